/**
 * The built command: shebang, version, help, exit codes, and the precise messages for broken config files.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from '../helpers/gateway.js';

function run(args: string[], opts: { home?: string; env?: Record<string, string>; input?: string } = {}) {
  const home = opts.home ?? tempDir();
  const r = spawnSync(BIN, args, {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, ...opts.env },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, home };
}

function withConfig(text: string) {
  const home = tempDir();
  const file = path.join(home, 'config.json');
  fs.writeFileSync(file, text);
  return { home, file };
}

describe('the secure-mcp-gateway command', () => {
  it('is an executable node script', () => {
    expect(fs.readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(BIN).mode & 0o111).not.toBe(0);
  });

  it('prints its version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('prints help listing the commands', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/start[\s\S]*config[\s\S]*cache/);
  });

  it('exits 2 on an unknown option', () => {
    expect(run(['--no-such-flag']).code).toBe(2);
  });

  it('lists only its own options under each command: --command is install-only (issue 17, 9c)', () => {
    const install = run(['install', '--help']);
    const uninstall = run(['uninstall', '--help']);
    expect(install.code).toBe(0);
    expect(uninstall.code).toBe(0);
    expect(install.stdout).toMatch(/^ +--command <command> +the command the client runs/m);
    expect(uninstall.stdout).toMatch(/^ +--client <name> /m);
    expect(uninstall.stdout).not.toContain('--command');
    const r = run(['uninstall', '--all', '--command', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--command'/);
  });

  it('exits 2 on a mistyped client id and names the nearest one (issue 17, 9d)', () => {
    const r = run(['install', '--client', 'cursr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^secure-mcp-gateway: unknown client "cursr"; did you mean "cursor"\? \(known: claude-desktop, cursor, /,
    );
    expect(r.stdout).toBe('');
  });

  it('exits 3 and says how to create a config when there is none', () => {
    const r = run([]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no config file at .*config\.json[\s\S]*secure-mcp-gateway init/);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['bad JSON', '{"servers": {"fs": {"command": "x",}}}', /config\.json: not valid JSON: .* at line 1, column \d+/],
    [
      'a wrong type',
      '{"servers": {"fs": {"command": "x", "args": "-y"}}}',
      /at servers\.fs\.args: Invalid input: expected array, received string/,
    ],
    [
      'an unknown server field',
      '{"servers": {"fs": {"command": "x", "environment": {}}}}',
      /at servers\.fs: unknown field "environment"/,
    ],
    [
      // In a server's own settings it costs that server only (test/e2e/server-status.e2e.test.ts).
      'a missing ${env:X} outside servers',
      '{"servers": {}, "state": {"backend": "redis", "url": "${env:SMG_TEST_UNSET}"}}',
      /at state\.url: environment variable SMG_TEST_UNSET is not set/,
    ],
  ])('refuses to start on %s: exit 4 with file, JSON path and expectation', (_what, text, message) => {
    const { home, file } = withConfig(text);
    for (const args of [
      ['--config', file],
      ['config', 'validate', '--config', file],
    ]) {
      const r = run(args, { home });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('validates a good config and lists its servers', () => {
    const { home, file } = withConfig(
      JSON.stringify({
        servers: { a: { command: 'node', args: ['x.js'] }, b: { url: 'https://h.example/mcp', enabled: false } },
      }),
    );
    const r = run(['config', 'validate'], { home, env: { SMG_CONFIG: file } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid\n\s+a\s+stdio: node x\.js\n\s+b\s+disabled/);
  });

  it('validates a config whose AI provider has an unresolved key: lists its deployments, warns, --strict exits 1', () => {
    const { home, file } = withConfig(
      JSON.stringify({
        servers: {},
        llm: {
          providers: { openai: { kind: 'openai', apiKey: '${env:SMG_TEST_OPENAI}' } },
          deployments: { 'gpt-fast': { provider: 'openai', model: 'gpt-4o-mini' } },
        },
      }),
    );
    for (const strict of [false, true]) {
      const r = run(['config', 'validate', '--config', file, ...(strict ? ['--strict'] : [])], { home });
      expect(r.code).toBe(strict ? 1 : 0);
      expect(r.stdout).toContain('  gpt-fast             llm: openai/gpt-4o-mini, unavailable (see below)\n');
      expect(r.stdout).toContain(
        '⚠ AI provider "openai" is unavailable (deployment gpt-fast fails): at llm.providers.openai.apiKey: environment variable SMG_TEST_OPENAI is not set',
      );
      expect(r.stdout).toMatch(/^ {2}fix: set SMG_TEST_OPENAI in the environment/m);
    }
  });

  it('ships an example config that validates', () => {
    const r = run(['config', 'validate', '--config', path.join(ROOT, 'config/example.config.json')], {
      env: { SMG_WORKSPACE: '/tmp' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('clears the discovery cache', () => {
    const home = tempDir();
    fs.mkdirSync(path.join(home, 'cache'));
    fs.writeFileSync(path.join(home, 'cache', 'abc.json'), '{}');
    const r = run(['cache', 'clear'], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/removed 1 cache file/);
    expect(fs.readdirSync(path.join(home, 'cache'))).toEqual([]);
  });

  it('exits 0 at once when stdin closes before any client spoke', () => {
    const { home, file } = withConfig(JSON.stringify({ servers: {} }));
    const r = run(['--config', file], { home, input: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });
});
