import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { FORK_BOMB, connectProbe } from '../../test/support/sandbox-probes.js';
import { SandboxProfileSchema } from './config-schema.js';
import { prepareLaunch, type LaunchRequest } from './launch.js';
import { detectSandbox } from './platform.js';
import { SandboxRefusedError, type ResolvedSandbox, type SandboxEvent } from './types.js';

const log = pino({ level: 'silent' });
const support = await detectSandbox({ env: process.env });
// Real bubblewrap: CI installs it (.ci/run). Where it cannot run, these tests fail loudly rather than skip.
if (!support.available) throw new Error(`these tests need bubblewrap: ${support.reason}`);

let base: string;
let home: string;
let gatewayHome: string;
let root: string;
let outside: string;
let server: http.Server;
let port = 0;

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-launch-'));
  home = path.join(base, 'home');
  gatewayHome = path.join(home, '.secure-mcp-gateway');
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  for (const d of [path.join(home, '.ssh'), gatewayHome, root, outside]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(home, '.ssh', 'id_rsa'), 'PRIVATE KEY');
  fs.writeFileSync(path.join(home, 'notes.txt'), 'notes');
  fs.writeFileSync(path.join(gatewayHome, 'keys.json'), '{"secret":1}');
  fs.writeFileSync(path.join(root, 'in.txt'), 'inside');
  fs.writeFileSync(path.join(outside, 'out.txt'), 'outside');
  server = http.createServer((_req, res) => res.end('reached'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(base, { recursive: true, force: true });
});

function profile(extra: Partial<ResolvedSandbox> = {}): ResolvedSandbox {
  const p = SandboxProfileSchema.parse({});
  return { ...p, stopWindowSeconds: 60, resolve: {}, ...extra };
}

function request(script: string, extra: Partial<LaunchRequest> = {}, events: SandboxEvent[] = []): LaunchRequest {
  return {
    server: 'probe',
    command: '/bin/sh',
    args: ['-c', script],
    env: { PATH: '/usr/bin:/bin', HOME: home },
    roots: [root],
    profile: profile(),
    gatewayHome,
    gatewayEnv: process.env,
    log,
    onEvent: (e) => events.push(e),
    ...extra,
  };
}

/** Runs a shell line in the sandbox and returns its exit code and output. */
async function inSandbox(script: string, extra: Partial<LaunchRequest> = {}) {
  const launch = await prepareLaunch(request(script, extra));
  const r = spawnSync(launch.command, launch.args, { env: launch.env, encoding: 'utf8', timeout: 20_000 });
  await launch.cleanup();
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim(), launch };
}

describe('the bubblewrap sandbox', () => {
  it.each([
    ['a file in its root', () => path.join(root, 'in.txt'), 'inside'],
    ['the system', () => '/etc/os-release', 'ID='],
  ])('shows %s', async (_what, file, expected) => {
    for (let i = 0; i < 2; i++) {
      const r = await inSandbox(`cat ${file()}`);
      expect(r.code).toBe(0);
      expect(r.out).toContain(expected);
    }
  });

  it.each([
    ['a file outside its roots', () => path.join(outside, 'out.txt')],
    ['~/.ssh/id_rsa', () => path.join(home, '.ssh', 'id_rsa')],
    ['the user’s other files', () => path.join(home, 'notes.txt')],
    ['the gateway’s own home', () => path.join(gatewayHome, 'keys.json')],
  ])('hides %s', async (_what, file) => {
    for (let i = 0; i < 2; i++) {
      const r = await inSandbox(`cat ${file()}`);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/No such file/);
    }
  });

  it('masks /etc/shadow: it cannot be read', async () => {
    const r = await inSandbox('cat /etc/shadow && echo READ');
    expect(r.code).not.toBe(0);
    expect(r.out).not.toContain('READ');
    expect(r.err).toMatch(/Permission denied/);
  });

  it('writes in a read-write root, not in a read-only one, never in the system', async () => {
    const rw = await inSandbox(`echo x > ${root}/rw.txt && echo ok`);
    expect(rw.out).toBe('ok');
    expect(fs.readFileSync(path.join(root, 'rw.txt'), 'utf8')).toBe('x\n');
    const ro = await inSandbox(`echo x > ${root}/ro.txt`, { profile: profile({ roots: 'ro' }) });
    expect(ro.code).not.toBe(0);
    expect(ro.err).toMatch(/Read-only file system/);
    expect(fs.existsSync(path.join(root, 'ro.txt'))).toBe(false);
    const sys = await inSandbox('echo x > /usr/evil');
    expect(sys.code).not.toBe(0);
  });

  it('keeps /tmp private', async () => {
    fs.writeFileSync(path.join(os.tmpdir(), 'smg-launch-visible'), 'host tmp');
    const r = await inSandbox('ls /tmp; echo x > /tmp/mine && cat /tmp/mine');
    expect(r.out).not.toContain('smg-launch-visible');
    expect(r.out.split('\n').at(-1)).toBe('x');
    fs.rmSync(path.join(os.tmpdir(), 'smg-launch-visible'));
  });

  it('has no network with network "none": not even the host’s loopback', async () => {
    const r = await inSandbox(`node -e "${connectProbe(port)}"`);
    expect(r.code).toBe(3);
  });

  it('reaches the host with network "all"', async () => {
    const r = await inSandbox(`node -e "${connectProbe(port)}"`, { profile: profile({ network: 'all' }) });
    expect(r.code).toBe(0);
  });

  it('runs in its own PID namespace with no capabilities', async () => {
    const r = await inSandbox('echo $$; grep CapEff /proc/self/status; ls /proc | grep -c "^[0-9]"');
    const [pid, caps, count] = r.out.split('\n');
    expect(Number(pid)).toBeLessThan(10);
    expect(caps).toMatch(/CapEff:\s+0000000000000000/);
    expect(Number(count)).toBeLessThan(10);
  });

  it('keeps a persistent home private to the server across starts', async () => {
    const p = profile({ home: 'persistent' });
    await inSandbox('echo remembered > "$HOME/cache.txt"', { profile: p });
    const r = await inSandbox('cat "$HOME/cache.txt"; ls "$HOME"', { profile: p });
    expect(r.out).toBe('remembered\ncache.txt');
    expect(fs.readFileSync(path.join(gatewayHome, 'sandbox', 'probe', 'home', 'cache.txt'), 'utf8')).toBe(
      'remembered\n',
    );
  });

  it('masks credentials and the gateway home when a root is the home folder itself', async () => {
    const r = await inSandbox(`cat ${home}/notes.txt; ls -A ${home}/.ssh | wc -w; ls -A ${gatewayHome} | wc -w`, {
      roots: [home],
    });
    expect(r.out).toBe('notes0\n0');
  });

  it('limits processes: a fork bomb stops at the limit', async () => {
    const r = await inSandbox(`node -e "${FORK_BOMB}"`, { profile: profile({ limits: { processes: 24 } }) });
    expect(r.launch.summary).toMatch(/processes ≤ 24/);
    expect(r.code).toBeGreaterThan(0);
    expect(r.code).toBeLessThan(24);
  });
});

describe('when no sandbox is available', () => {
  const noBwrap = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-nobwrap-'));
    return { PATH: dir };
  };

  it('refuses a server whose profile is required, naming bwrap', async () => {
    const events: SandboxEvent[] = [];
    const req = request('true', { gatewayEnv: noBwrap(), profile: profile({ required: true }) }, events);
    const error = await prepareLaunch(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxRefusedError);
    expect((error as Error).message).toMatch(/^sandbox\.unavailable: .*bwrap/);
    expect(events).toEqual([expect.objectContaining({ event: 'refused', server: 'probe' })]);
  });

  it('runs a server that does not require it unconfined, and says so', async () => {
    const events: SandboxEvent[] = [];
    const launch = await prepareLaunch(request('true', { gatewayEnv: noBwrap() }, events));
    expect(launch.confined).toBe(false);
    expect(launch.command).toBe('/bin/sh');
    expect(events).toEqual([expect.objectContaining({ event: 'unconfined', reason: expect.stringMatching(/bwrap/) })]);
  });
});
