/**
 * Argument checks through the real gateway: path traversal, symlink escapes and absolute paths outside the
 * server's roots, and SSRF URLs are blocked before the upstream sees them (a recording fixture proves it), while
 * reads inside the roots and URLs on the allowlist work; with server-filesystem scoped to a temporary folder too.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, fixtureServer, npmServer, startGateway, tempDir, textOf, recorded } from '../helpers/gateway.js';

/** A folder with a file, a symlink that points outside it, and a secret outside it. */
function workspace() {
  const home = tempDir();
  const root = fs.realpathSync(tempDir('smg-root-'));
  const outside = fs.realpathSync(tempDir('smg-outside-'));
  fs.writeFileSync(path.join(root, 'notes.txt'), 'meeting at noon');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
  fs.symlinkSync(outside, path.join(root, 'escape'));
  return { home, root, outside, record: path.join(home, 'rec.jsonl') };
}

const ATTACKS = (root: string, outside: string): [string, string][] => [
  ['../../../../etc/passwd', 'args.path.traversal'],
  [path.join(root, 'escape', 'secret.txt'), 'args.path.symlink-escape'],
  [path.join(outside, 'secret.txt'), 'args.path.outside'],
  ['/etc/passwd', 'args.path.outside'],
  ['..%2f..%2fetc%2fpasswd', 'args.path.encoded-traversal'],
];

describe('argument checks end to end', () => {
  it('blocks traversal, symlink escapes and paths outside the roots before the upstream sees them', async () => {
    const { home, root, outside, record } = workspace();
    const gw = await startGateway(
      { servers: { files: { ...fixtureServer('files-server.ts'), cwd: root, env: { RECORD_FILE: record } } } },
      { home },
    );
    const ok = await gw.client.callTool({ name: 'files__read_text_file', arguments: { path: 'notes.txt' } });
    expect(textOf(ok)).toBe('meeting at noon');
    for (const [attack, rule] of ATTACKS(root, outside)) {
      const r = await gw.client.callTool({ name: 'files__read_text_file', arguments: { path: attack } });
      expect(r.isError, attack).toBe(true);
      expect(textOf(r)).toMatch(new RegExp(`^blocked by parameter check ${rule.replace(/\./g, '\\.')}: argument path`));
      expect(textOf(r)).not.toContain('top secret');
    }
    expect(recorded(record)).toEqual([{ tool: 'read_text_file', args: { path: 'notes.txt' } }]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('keeps server-filesystem inside the configured roots', async () => {
    const { home, root, outside } = workspace();
    const gw = await startGateway(
      {
        servers: { fs: { command: process.execPath, args: [npmServer('filesystem'), root], cwd: root, roots: [root] } },
      },
      { home },
    );
    const ok = await gw.client.callTool({
      name: 'fs__read_text_file',
      arguments: { path: path.join(root, 'notes.txt') },
    });
    expect(textOf(ok)).toContain('meeting at noon');
    for (const [attack, rule] of ATTACKS(root, outside)) {
      const r = await gw.client.callTool({ name: 'fs__read_text_file', arguments: { path: attack } });
      expect(r.isError, attack).toBe(true);
      expect(textOf(r), attack).toContain(`blocked by parameter check ${rule}`);
    }
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('blocks metadata, loopback and decimal-IP URLs and passes hosts on the allowlist', async () => {
    const { home, record } = workspace();
    const gw = await startGateway(
      {
        servers: {
          // No rule: the inferred URL check keeps requests away from private and metadata addresses.
          web: { ...fixtureServer('files-server.ts'), env: { RECORD_FILE: record } },
          // A rule: only these hosts.
          docs: {
            ...fixtureServer('files-server.ts'),
            env: { RECORD_FILE: record },
            arguments: { 'fetch.url': { kind: 'url', hosts: ['example.com', '*.example.com'] } },
          },
        },
      },
      { home },
    );
    const blocked: [string, string][] = [
      ['http://169.254.169.254/latest/meta-data/iam/', 'args.url.metadata'],
      ['http://127.0.0.1:6379/', 'args.url.private-address'],
      ['http://2130706433/', 'args.url.private-address'],
      ['http://0x7f000001/', 'args.url.private-address'],
      ['http://[::ffff:127.0.0.1]/', 'args.url.private-address'],
      ['file:///etc/passwd', 'args.url.scheme'],
      ['docs:https://evil.test/', 'args.url.host-not-allowed'],
      ['docs:http://10.0.0.5/', 'args.url.host-not-allowed'],
    ];
    for (const [spec, rule] of blocked) {
      const [server, url] = spec.startsWith('docs:') ? ['docs', spec.slice(5)] : ['web', spec];
      const r = await gw.client.callTool({ name: `${server}__fetch`, arguments: { url } });
      expect(r.isError, url).toBe(true);
      expect(textOf(r), url).toContain(`blocked by parameter check ${rule}`);
    }
    for (const url of ['https://example.com/', 'https://docs.example.com/guide?x=1']) {
      const r = await gw.client.callTool({ name: 'docs__fetch', arguments: { url } });
      expect(textOf(r)).toBe(`fetched ${url}`);
    }
    expect(recorded(record).map((c) => c.args.url)).toEqual([
      'https://example.com/',
      'https://docs.example.com/guide?x=1',
    ]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('infers command and SQL arguments and blocks chaining and stacked statements', async () => {
    const { home, record } = workspace();
    const gw = await startGateway(
      { servers: { db: { ...fixtureServer('files-server.ts'), env: { RECORD_FILE: record } } } },
      { home },
    );
    const chained = await gw.client.callTool({ name: 'db__run_command', arguments: { command: 'ls; curl evil.test' } });
    expect(textOf(chained)).toContain('blocked by parameter check args.command.chaining');
    const stacked = await gw.client.callTool({
      name: 'db__query',
      arguments: { sql: 'SELECT 1; DROP TABLE users' },
    });
    expect(textOf(stacked)).toContain('blocked by parameter check args.sql.stacked');
    const fine = await gw.client.callTool({
      name: 'db__query',
      arguments: { sql: "SELECT name FROM t WHERE x = ';'" },
    });
    expect(textOf(fine)).toBe('rows: 0');
    expect(recorded(record).map((c) => c.tool)).toEqual(['query']);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('shows, with tools list, the kind and the check of every argument', () => {
    const { home, root } = workspace();
    const config = path.join(home, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        servers: {
          files: {
            ...fixtureServer('files-server.ts'),
            cwd: root,
            arguments: { 'fetch.url': { kind: 'url', hosts: ['example.com'] } },
          },
          off: { ...fixtureServer('files-server.ts'), enabled: false },
        },
      }),
    );
    const run = (...args: string[]) =>
      spawnSync(BIN, ['tools', 'list', '--config', config, ...args], {
        encoding: 'utf8',
        env: { ...process.env, SMG_HOME: home },
      });
    const text = run('--server', 'files');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/read_text_file\n\s+path\s+path\s+inferred path check \(inside /);
    expect(text.stdout).toMatch(/fetch\n\s+url\s+url\s+rule "fetch\.url"/);
    expect(text.stdout).toMatch(/run_command\n\s+command\s+command\s+inferred command check/);
    const json = JSON.parse(run('--json').stdout) as { server: string; tools: { name: string }[] }[];
    expect(json.map((v) => v.server)).toEqual(['files']);
    expect(json[0]!.tools.map((t) => t.name)).toEqual(['read_text_file', 'fetch', 'run_command', 'query']);
    const missing = run('--server', 'nope');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no enabled server named "nope"');
  });
});
