import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptEarly,
  defaultEnvironment,
  earlyPids,
  earlySpecs,
  releaseEarly,
  spawnEarly,
  startConfigPath,
  type SpawnSpec,
} from './early-spawn.js';

const env = { HOME: '/home/u', PATH: '/usr/bin', SMG_HOME: '/h' };
const argv = (...rest: string[]) => ['node', 'smg', ...rest];

afterEach(() => releaseEarly());

describe('early spawn: which command line is `start`', () => {
  it.each([
    [[], '/h/config.json'],
    [['start'], '/h/config.json'],
    [['start', '--config', '/x/c.json'], '/x/c.json'],
    [['start', '-c', '/x/c.json', '--log-level', 'debug'], '/x/c.json'],
    [['--config=/x/c.json'], '/x/c.json'],
    [['start', '--log-level=warn'], '/h/config.json'],
  ])('%j reads %s', (args, file) => {
    for (let i = 0; i < 2; i++) expect(startConfigPath(argv(...args), env)).toBe(file);
  });

  it.each([
    [['serve']],
    [['tools', 'list']],
    [['--version']],
    [['start', '--help']],
    [['start', '--config']],
    [['start', '--config', '--log-level']],
    [['start', '--unknown', 'x']],
  ])('%j is not', (args) => {
    expect(startConfigPath(argv(...args), env)).toBeUndefined();
  });
});

describe('early spawn: which servers', () => {
  const plain = { command: 'node', args: ['server.js'], env: { A: '1' } };

  it('spawns a plain stdio server with the default environment and its own', () => {
    expect(earlySpecs({ servers: { s: plain } }, env)).toEqual([
      { command: 'node', args: ['server.js'], env: { HOME: '/home/u', PATH: '/usr/bin', A: '1' } },
    ]);
    expect(earlySpecs({ servers: { s: { ...plain, sandbox: false } } }, env)).toHaveLength(1);
  });

  it.each([
    ['an unset variable in an arg', { servers: { s: { ...plain, args: ['${env:UNSET}'] } } }],
    ['a file reference in env', { servers: { s: { ...plain, env: { T: '${file:~/t}' } } } }],
    ['a keychain reference in env', { servers: { s: { ...plain, env: { T: '${keychain:t}' } } } }],
    ['an empty reference', { servers: { s: { ...plain, args: ['${env:}'] } } }],
    ['an unset variable in the command', { servers: { s: { ...plain, command: '${env:CMD}' } } }],
    ['a folder', { servers: { s: { ...plain, cwd: '/w' } } }],
    ['roots', { servers: { s: { ...plain, roots: ['/w'] } } }],
    ['a disabled server', { servers: { s: { ...plain, enabled: false } } }],
    ['a remote server', { servers: { s: { url: 'https://x' } } }],
    ['its own sandbox', { servers: { s: { ...plain, sandbox: true } } }],
    ['a sandbox section', { servers: { s: plain }, sandbox: { default: {} } }],
    ['identities', { servers: { s: plain }, users: { 'a@b.c': {} } }],
    ['a per-user server', { servers: { s: { ...plain, perUser: true } } }],
    ['args that are not strings', { servers: { s: { ...plain, args: [1] } } }],
    ['no servers', {}],
    ['not an object', 'x'],
  ])('spawns nothing for %s', (_what, config) => {
    expect(earlySpecs(config, env)).toEqual([]);
  });

  it('resolves ${env:} references as the config loader does', async () => {
    const { resolveRefs } = await import('../config/refs.js');
    const config = {
      servers: {
        s: { command: '${env:HOME}/bin/x', args: ['--t=${env:PATH}', '$${env:PATH}'], env: { T: '${env:HOME}' } },
      },
    };
    const [spec] = earlySpecs(config, env);
    const ctx = { env, baseDir: '/' };
    expect(spec).toEqual({
      command: resolveRefs('${env:HOME}/bin/x', ctx),
      args: [resolveRefs('--t=${env:PATH}', ctx), resolveRefs('$${env:PATH}', ctx)],
      env: { HOME: '/home/u', PATH: '/usr/bin', T: '/home/u' },
    });
    expect(spec!.args).toEqual(['--t=/usr/bin', '${env:PATH}']);
  });

  it('inherits the same environment as the SDK transport', () => {
    expect(defaultEnvironment()).toEqual(getDefaultEnvironment());
  });
});

describe('early spawn: adoption', () => {
  function setup(): { spec: SpawnSpec; run: () => number } {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-early-'));
    const script = path.join(home, 'child.mjs');
    // Says hello on both streams at once, then echoes stdin.
    fs.writeFileSync(
      script,
      "import fs from 'node:fs'; fs.writeSync(1, 'out\\n'); fs.writeSync(2, 'err\\n'); process.stdin.pipe(process.stdout);",
    );
    const config = path.join(home, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ servers: { s: { command: process.execPath, args: [script] } } }));
    const childEnv: NodeJS.ProcessEnv = { ...process.env, SMG_HOME: home };
    delete childEnv.SMG_GATEWAY_KEY;
    return {
      spec: { command: process.execPath, args: [script], env: defaultEnvironment(childEnv) },
      run: () => spawnEarly(argv('start', '--config', config), childEnv),
    };
  }

  const until = async (ok: () => boolean) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  };

  it('hands the exact same spec its child once, with what it wrote so far', async () => {
    const { spec, run } = setup();
    expect(run()).toBe(1);
    expect(earlyPids()).toHaveLength(1);
    // Not the same environment: not adopted.
    expect(adoptEarly({ ...spec, env: { ...spec.env, EXTRA: '1' } })).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500));
    const early = adoptEarly(spec)!;
    expect(early).toBeDefined();
    await until(() => early.stdout.length > 0 && early.stderr.length > 0);
    expect(Buffer.concat(early.stdout).toString()).toBe('out\n');
    expect(Buffer.concat(early.stderr).toString()).toBe('err\n');
    expect(early.spawned).toBe(true);
    // Once only.
    expect(adoptEarly(spec)).toBeUndefined();
    const echoed = new Promise<string>((resolve) =>
      early.child.stdout!.once('data', (c: Buffer) => resolve(c.toString())),
    );
    early.child.stdin!.write('ping\n');
    expect(await echoed).toBe('ping\n');
    early.child.kill('SIGKILL');
  });

  it('kills a child nobody adopted', async () => {
    const { run } = setup();
    expect(run()).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    const [pid] = earlyPids() as [number];
    releaseEarly();
    expect(earlyPids()).toEqual([]);
    const gone = () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    await until(gone);
    expect(gone()).toBe(true);
  });

  it.each([
    ['a gateway key', { SMG_GATEWAY_KEY: 'k' }],
    ['SMG_EARLY_SPAWN=0', { SMG_EARLY_SPAWN: '0' }],
  ])('spawns nothing with %s', (_what, extra) => {
    expect(spawnEarly(argv('start'), { ...env, ...extra })).toBe(0);
  });

  it('spawns nothing when the config cannot be read', () => {
    expect(spawnEarly(argv('start', '--config', '/nonexistent/config.json'), env)).toBe(0);
  });
});
