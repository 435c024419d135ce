/**
 * Sandboxed upstreams (issue 19) through the built gateway with real bubblewrap:
 * - the real server-filesystem, told by its own arguments that it may serve a folder outside its roots and with the
 *   gateway's path checks turned off, reads inside its root and not outside: the sandbox alone stops it (a control
 *   run without the sandbox reads the outside file, so the test can fail);
 * - a compromised fixture (test/fixtures/exfil-server.ts) that tries, on start and on a call, to read a planted SSH
 *   key, to write outside its roots, to fetch an attacker and an allowed host (names mapped by `sandbox.resolve` to
 *   local HTTP servers) and to connect to the attacker directly: only the allowed fetch and the write inside its root
 *   work, the attacker sees nothing, the audit holds the egress denials and verifies; `stopAfterDenials` stops it;
 * - a fork bomb under `limits.processes` is contained, another server keeps answering, no process survives shutdown;
 * - without bwrap on PATH a `required` server is refused with the reason and the others serve; a server that does
 *   not require it runs unconfined, and the log and audit say so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Attempt } from '../fixtures/exfil-server.js';
import {
  BIN,
  alive,
  fixtureServer,
  logLines,
  nonJsonRpcLines,
  npmServer,
  processTree,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';
import { ensureSystemCommand } from '../helpers/system-packages.js';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY----- planted-by-the-sandbox-test';
const STATUS_TOOL = '_gateway_status';

type Report = Record<string, Attempt>;
interface AuditRecord {
  kind?: string;
  event?: string;
  server?: string;
  host?: string;
  port?: number;
  ruleId?: string;
  reason?: string;
  denials?: number;
}

/** A local HTTP server that records the path of every request it gets and answers `<name>-ok`. */
interface Listener {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

async function listen(name: string): Promise<Listener> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.end(`${name}-ok`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A home folder with a planted SSH key: what the gateway's user has, and what no sandboxed server may read. */
function plantedHome(): { home: string; key: string } {
  const home = fs.realpathSync(tempDir('smg-sbx-home-'));
  fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  const key = path.join(home, '.ssh', 'id_rsa');
  fs.writeFileSync(key, KEY, { mode: 0o600 });
  return { home, key };
}

function auditRecords(gw: SpawnedGateway): AuditRecord[] {
  const file = path.join(gw.home, 'audit.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
}

const sandboxRecords = (gw: SpawnedGateway, event: string) =>
  auditRecords(gw).filter((r) => r.kind === 'sandbox' && r.event === event);

function verifyAudit(gw: SpawnedGateway): { code: number | null; ok: boolean; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--json', '--config', gw.configPath], {
    env: { PATH: process.env.PATH ?? '', HOME: gw.home, SMG_HOME: gw.home },
    encoding: 'utf8',
  });
  let ok = false;
  try {
    ok = (JSON.parse(r.stdout) as { ok: boolean }).ok;
  } catch {
    // not JSON: ok stays false and the output is in the assertion message
  }
  return { code: r.status, ok, stdout: r.stdout + r.stderr };
}

/** The text of a call, or the message of the error it raised (a stopped server may answer either way). */
async function answer(gw: SpawnedGateway, name: string): Promise<string> {
  try {
    return textOf(await gw.client.callTool({ name, arguments: {} }));
  } catch (error) {
    return (error as Error).message;
  }
}

/** What a sandbox must stop of the exfil fixture's attempts, on start and on a call. */
const STOPPED = ['readHomeKey', 'readSecretPath', 'writeOutside', 'fetchAttacker', 'connectAttacker'];

/** In both reports: `works` succeeded, plainly ({ok: true} for writeInside); every stopped attempt and `alsoStopped` failed. */
function expectConfined(reports: { startup: Report; call: Report }, works: string[], alsoStopped: string[]): void {
  for (const [phase, report] of Object.entries(reports)) {
    const summary = JSON.stringify(report);
    for (const ok of works) expect(report[ok]?.ok, `${phase} ${ok}: ${summary}`).toBe(true);
    if (works.includes('writeInside')) expect(report.writeInside, summary).toEqual({ ok: true });
    for (const denied of [...STOPPED, ...alsoStopped])
      expect(report[denied]?.ok, `${phase} ${denied}: ${summary}`).toBe(false);
  }
}

async function attemptReport(gw: SpawnedGateway): Promise<{ startup: Report; call: Report }> {
  const r = await gw.client.callTool({ name: 'exfil__attempt', arguments: {} });
  expect(r.isError, textOf(r)).toBeFalsy();
  return JSON.parse(textOf(r)) as { startup: Report; call: Report };
}

/** The start time of a process (field 22 of /proc/<pid>/stat), so that a reused pid is never taken for it. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Every process the test saw below a gateway, killed at the end whatever happened (a failing test leaks nothing). */
const seen = new Map<number, string | undefined>();
const see = (pids: number[]) => {
  for (const pid of pids) seen.set(pid, startTime(pid));
};
const gateways: SpawnedGateway[] = [];
async function start(config: unknown, opts: Parameters<typeof startGateway>[1] = {}): Promise<SpawnedGateway> {
  const gw = await startGateway(config, { ...opts, env: { SMG_LOG_LEVEL: 'debug', ...opts.env } });
  gateways.push(gw);
  return gw;
}
afterEach(async () => {
  for (const gw of gateways.splice(0)) {
    see(processTree(gw.proc.pid!));
    if (gw.proc.exitCode === null && gw.proc.signalCode === null) await gw.closeStdin();
  }
  for (const [pid, started] of seen)
    if (alive(pid) && started !== undefined && startTime(pid) === started) process.kill(pid, 'SIGKILL');
  seen.clear();
});

beforeAll(() => {
  ensureSystemCommand({ command: 'bwrap', debianPackage: 'bubblewrap' });
});

describe('the filesystem of a sandboxed server', () => {
  /** A root with a file, and a folder outside it with a secret that server-filesystem is told it may serve. */
  function folders() {
    const root = fs.realpathSync(tempDir('smg-sbx-root-'));
    const outside = fs.realpathSync(tempDir('smg-sbx-outside-'));
    fs.writeFileSync(path.join(root, 'inside.txt'), 'inside the root');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'OUTSIDE-SECRET-4711');
    return { root, outside };
  }

  /**
   * server-filesystem with the outside folder among its own arguments and every gateway path check off. Without
   * "roots" in the config: the gateway answers the server's roots/list with its configured roots, and
   * server-filesystem would then serve those alone, so its own check would stop the read. The sandbox mounts the
   * root through `readWrite` instead; with `roots` (the second case) the mount comes from the roots.
   */
  function fsConfig(root: string, outside: string, sandbox: unknown, withRoots = false) {
    return {
      servers: {
        fs: {
          command: process.execPath,
          args: [npmServer('filesystem'), root, outside],
          ...(withRoots ? { roots: [root] } : {}),
          credentialPaths: 'allow',
          policy: 'open',
          sandbox,
        },
      },
      policies: { open: { arguments: { mode: 'off' } } },
    };
  }

  const secretOf = (outside: string) => path.join(outside, 'secret.txt');

  it('control: without a sandbox, server-filesystem with the gateway path checks off reads outside the root', async () => {
    const { root, outside } = folders();
    const gw = await start(fsConfig(root, outside, false));
    const r = await gw.client.callTool({ name: 'fs__read_text_file', arguments: { path: secretOf(outside) } });
    expect(textOf(r)).toContain('OUTSIDE-SECRET-4711');
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('reads inside the folder it may use and cannot read outside it, though server and gateway allow it: the sandbox alone stops it', async () => {
    const { root, outside } = folders();
    const gw = await start(fsConfig(root, outside, { readWrite: [root] }));
    const read = (p: string) => gw.client.callTool({ name: 'fs__read_text_file', arguments: { path: p } });
    expect(textOf(await read(path.join(root, 'inside.txt')))).toContain('inside the root');
    // The server was told to serve the outside folder, and could not even see it.
    expect(logLines(gw).some((l) => l.msg === `Warning: Cannot access directory ${outside}, skipping`)).toBe(true);
    for (const p of [secretOf(outside), path.join(gw.home, 'config.json'), '/etc/shadow']) {
      const r = await read(p);
      expect(r.isError, p).toBe(true);
      expect(textOf(r), p).not.toContain('OUTSIDE-SECRET-4711');
    }
    expect((await gw.closeStdin()).code).toBe(0);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
  });

  it('mounts its roots read-write with roots: "rw"', async () => {
    const { root, outside } = folders();
    const gw = await start(fsConfig(root, outside, { roots: 'rw' }, true));
    expect(
      textOf(
        await gw.client.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(root, 'inside.txt') } }),
      ),
    ).toContain('inside the root');
    const wrote = await gw.client.callTool({
      name: 'fs__write_file',
      arguments: { path: path.join(root, 'new.txt'), content: 'written in the sandbox' },
    });
    expect(wrote.isError, textOf(wrote)).toBeFalsy();
    expect(fs.readFileSync(path.join(root, 'new.txt'), 'utf8')).toBe('written in the sandbox');
    const r = await gw.client.callTool({ name: 'fs__read_text_file', arguments: { path: secretOf(outside) } });
    expect(textOf(r)).not.toContain('OUTSIDE-SECRET-4711');
    expect((await gw.closeStdin()).code).toBe(0);
  });
});

describe('a server that tries to steal and phone home', () => {
  let attacker: Listener;
  let allowed: Listener;
  beforeAll(async () => {
    attacker = await listen('attacker');
    allowed = await listen('allowed');
    return async () => {
      await attacker.close();
      await allowed.close();
    };
  });

  function exfil(sandbox: unknown) {
    const { home, key } = plantedHome();
    const root = fs.realpathSync(tempDir('smg-sbx-root-'));
    const outside = fs.realpathSync(tempDir('smg-sbx-outside-'));
    const env = {
      SECRET_PATH: key,
      OUTSIDE_FILE: path.join(outside, 'stolen.txt'),
      INSIDE_FILE: path.join(root, 'inside.txt'),
      ATTACKER_URL: `http://attacker.test:${attacker.port}/`,
      ALLOWED_URL: `http://allowed.test:${allowed.port}/`,
      ATTACKER_PORT: String(attacker.port),
    };
    const config = {
      servers: { exfil: { ...fixtureServer('exfil-server.ts'), env, roots: [root], sandbox } },
      sandbox: { resolve: { 'attacker.test': '127.0.0.1', 'allowed.test': '127.0.0.1' } },
    };
    return { config, env, home, root, outside };
  }

  const allowList = () => ({ allow: ['allowed.test', `127.0.0.1:${allowed.port}`] });

  it('control: unconfined, the fixture reads the planted key, writes outside its roots and reaches the attacker', async () => {
    const { config, env, home } = exfil(false);
    attacker.requests.length = 0;
    const gw = await start(config, { env: { HOME: home } });
    const { startup, call } = await attemptReport(gw);
    for (const report of [startup, call]) {
      expect(report.readHomeKey).toMatchObject({ ok: true });
      expect(report.readSecretPath).toMatchObject({ ok: true });
      expect(report.writeOutside).toMatchObject({ ok: true });
      expect(report.connectAttacker).toMatchObject({ ok: true });
    }
    expect(fs.readFileSync(env.OUTSIDE_FILE, 'utf8')).toBe('startup\ncall\n');
    await waitFor(() => attacker.requests.includes('/direct'));
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('with the default network "none", reaches nothing and reads no file outside its roots, on start and on a call', async () => {
    const { config, env, home } = exfil({ roots: 'rw' });
    attacker.requests.length = 0;
    allowed.requests.length = 0;
    const gw = await start(config, { env: { HOME: home } });
    const { startup, call } = await attemptReport(gw);
    expectConfined({ startup, call }, ['writeInside'], ['fetchAllowed']);
    expect(fs.existsSync(env.OUTSIDE_FILE)).toBe(false);
    expect(fs.readFileSync(env.INSIDE_FILE, 'utf8')).toBe('startup\ncall\n');
    expect([...attacker.requests, ...allowed.requests]).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
    for (const where of [gw.stderr(), gw.stdoutLines.join('\n')]) expect(where).not.toContain(KEY);
  });

  it('only the allowed fetch and the write inside its root work; the attacker sees nothing; the audit holds the denials', async () => {
    const { config, env, home } = exfil({ network: allowList(), roots: 'rw' });
    attacker.requests.length = 0;
    allowed.requests.length = 0;
    const gw = await start(config, { env: { HOME: home } });
    const { startup, call } = await attemptReport(gw);
    expectConfined({ startup, call }, ['writeInside', 'fetchAllowed'], []);
    for (const report of [startup, call]) expect(report.fetchAllowed).toEqual({ ok: true, detail: 'allowed-ok' });
    expect(fs.existsSync(env.OUTSIDE_FILE)).toBe(false);
    expect(fs.readFileSync(env.INSIDE_FILE, 'utf8')).toBe('startup\ncall\n');
    expect(allowed.requests).toEqual(['/startup', '/call']);
    expect(attacker.requests).toEqual([]);

    // The start-up attempts reached the gateway's log through the server's stderr.
    expect(logLines(gw).some((l) => typeof l.msg === 'string' && l.msg.includes('"exfil":"startup"'))).toBe(true);

    const denials = await waitFor(() => {
      const d = sandboxRecords(gw, 'egress-denied');
      return d.length >= 2 && d;
    });
    for (const d of denials)
      expect(d).toMatchObject({
        server: 'exfil',
        host: 'attacker.test',
        port: attacker.port,
        ruleId: 'sandbox.egress.not-allowed',
      });
    expect(denials.some((d) => d.host === 'allowed.test')).toBe(false);

    expect((await gw.closeStdin()).code).toBe(0);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    for (const where of [gw.stderr(), gw.stdoutLines.join('\n'), fs.readFileSync(path.join(gw.home, 'audit.jsonl'))])
      expect(String(where)).not.toContain(KEY);
    const verified = verifyAudit(gw);
    expect(verified.ok, verified.stdout).toBe(true);
    expect(verified.code).toBe(0);
  });

  it('stops a server that keeps trying after stopAfterDenials, and says so in the answer and the audit', async () => {
    const { config, home } = exfil({ network: allowList(), stopAfterDenials: 3 });
    const gw = await start(config, { env: { HOME: home } });
    // Start-up and the first call: two denials, the server still answers.
    const first = await attemptReport(gw);
    expect(first.call.fetchAttacker?.ok).toBe(false);
    // The second call is the third denial.
    await answer(gw, 'exfil__attempt');
    const [stopped] = await waitFor(() => {
      const s = sandboxRecords(gw, 'stopped');
      return s.length > 0 && s;
    });
    expect(stopped).toMatchObject({ server: 'exfil', denials: 3 });
    expect(await answer(gw, 'exfil__attempt')).toContain('sandbox.stopped');
    expect((await gw.closeStdin()).code).toBe(0);
    const verified = verifyAudit(gw);
    expect(verified.ok, verified.stdout).toBe(true);
  });
});

describe('a fork bomb', () => {
  it('is contained by limits.processes; the other server keeps answering; nothing survives shutdown', async () => {
    const gw = await start({
      servers: {
        bomb: { ...fixtureServer('forkbomb-server.ts'), sandbox: { limits: { processes: 64 } } },
        memory: { command: process.execPath, args: [npmServer('memory')], sandbox: false },
      },
    });
    const t0 = Date.now();
    const r = await gw.client.callTool({ name: 'bomb__bomb', arguments: {} }, undefined, { timeout: 30_000 });
    const { spawned, stoppedBy } = JSON.parse(textOf(r)) as { spawned: number; stoppedBy: string };
    expect(stoppedBy).not.toBe('max');
    expect(spawned).toBeGreaterThan(0);
    expect(spawned).toBeLessThan(64);
    expect(Date.now() - t0).toBeLessThan(30_000);

    // The machine and the gateway still work: the other server answers while the bomb's children hold the limit.
    const graph = await gw.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(graph.isError, textOf(graph)).toBeFalsy();
    const again = JSON.parse(textOf(await gw.client.callTool({ name: 'bomb__bomb', arguments: {} }))) as {
      spawned: number;
    };
    expect(again.spawned).toBeLessThan(64);

    const tree = processTree(gw.proc.pid!);
    see(tree);
    expect(tree.length).toBeGreaterThan(spawned);
    expect((await gw.closeStdin()).code).toBe(0);
    await waitFor(() => tree.every((pid) => !alive(pid)), 10_000).catch(() => undefined);
    expect(tree.filter(alive)).toEqual([]);
  });
});

describe('without bubblewrap', () => {
  /** A PATH that holds node and nothing else: the gateway runs, bwrap is not found. */
  function pathWithoutBwrap(): string {
    const dir = tempDir('smg-sbx-path-');
    fs.symlinkSync(process.execPath, path.join(dir, 'node'));
    return dir;
  }

  it('refuses a server that requires a sandbox, with the reason; runs one that does not unconfined and says so', async () => {
    const memory = { command: process.execPath, args: [npmServer('memory')] };
    const gw = await start(
      {
        servers: {
          strict: { ...memory, sandbox: { required: true } },
          loose: { ...memory, sandbox: true },
        },
      },
      { env: { PATH: pathWithoutBwrap() } },
    );
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('loose__read_graph');
    expect(names.filter((n) => n.startsWith('strict__'))).toEqual([]);

    const graph = await gw.client.callTool({ name: 'loose__read_graph', arguments: {} });
    expect(graph.isError, textOf(graph)).toBeFalsy();

    const [refused] = await waitFor(() => {
      const r = sandboxRecords(gw, 'refused');
      return r.length > 0 && r;
    });
    expect(refused).toMatchObject({ server: 'strict', reason: expect.stringContaining('bwrap') as unknown });
    const [unconfined] = await waitFor(() => {
      const u = sandboxRecords(gw, 'unconfined');
      return u.length > 0 && u;
    });
    expect(unconfined).toMatchObject({ server: 'loose', reason: expect.stringContaining('bwrap') as unknown });
    expect(sandboxRecords(gw, 'unconfined').some((u) => u.server === 'strict')).toBe(false);
    expect(
      logLines(gw).some((l) => l.server === 'loose' && typeof l.msg === 'string' && /unconfined/.test(l.msg)),
    ).toBe(true);

    // The client learns why from the status tool, in the words of the rule.
    const status = await answer(gw, STATUS_TOOL);
    const strictLine = status.split('\n').find((l) => l.includes('strict')) ?? status;
    expect(strictLine).toContain('sandbox.unavailable');
    expect(strictLine).toContain('bwrap');
    // Refused once: a server that cannot be sandboxed is not restarted in a loop.
    expect(sandboxRecords(gw, 'refused')).toHaveLength(1);

    expect((await gw.closeStdin()).code).toBe(0);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
  });
});
