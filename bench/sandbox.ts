/**
 * The cost of a sandbox (issue 19): server-everything behind the built gateway, unconfined (`sandbox: false`), in
 * the default sandbox (`sandbox: true`: no network) and in a sandbox with an egress allow list (which adds the
 * loopback relay and the gateway's egress proxy), in the same run, in one table:
 * - start-up: spawn of the gateway → first tools/list that names the echo tool, and → first echo answered (the
 *   upstream is up), each start with a fresh SMG_HOME (a cold discovery cache, so the sandbox's own start counts);
 * - per call: sequential echo round trips after warm-up, the variants alternating in rounds, p50/p99 and the p50
 *   added to the unconfined one (expected near zero: the sandbox is in the way of the start, not of stdio).
 * Skipped with one line saying why when this machine cannot sandbox (no bwrap, no user namespaces, not Linux).
 * Every process it starts is reaped; a survivor of the gateway's shutdown is reported and killed.
 *
 * Iteration counts (env): BENCH_SANDBOX_STARTS, BENCH_SANDBOX_CALLS, BENCH_SANDBOX_WARMUP, BENCH_ROUNDS.
 */
import { processTree } from '../test/helpers/gateway.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { detectSandbox } from '../src/sandbox/platform.js';
import { intEnv } from './env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.resolve(process.env.BENCH_GATEWAY_BIN ?? path.join(ROOT, 'bin/secure-mcp-gateway.js'));
const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const ECHO = 'everything__echo';

const N = {
  starts: intEnv('BENCH_SANDBOX_STARTS', 5),
  calls: intEnv('BENCH_SANDBOX_CALLS', 1000),
  warmup: intEnv('BENCH_SANDBOX_WARMUP', 100),
  rounds: intEnv('BENCH_ROUNDS', 4),
};

interface Variant {
  label: string;
  sandbox: unknown;
}

const VARIANTS: Variant[] = [
  { label: 'unconfined (sandbox: false)', sandbox: false },
  { label: 'sandbox: true (no network)', sandbox: true },
  // The host is never reached: the relay and the proxy are set up, which is what the row measures.
  { label: 'sandbox, network allow list', sandbox: { network: { allow: ['example.com'] } } },
];

interface Session {
  client: Client;
  pid: number;
  stderr: () => string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** pid → start time (field 22 of /proc/<pid>/stat): a pid is only ever killed while it is the same process. */
const started = new Map<number, string | undefined>();
const orphans: string[] = [];

function stat(pid: number): string[] | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s[0] !== 'Z' && s[19] === started.get(pid);
}

function comm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function track(pids: number[]): void {
  for (const pid of pids) if (!started.has(pid)) started.set(pid, stat(pid)?.[19]);
}

async function open(home: string, sandbox: unknown): Promise<Session> {
  const config = path.join(home, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      servers: { everything: { command: process.execPath, args: [EVERYTHING], sandbox } },
      log: { level: 'warn', file: false },
    }),
  );
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'start', '--config', config],
    env: { ...getDefaultEnvironment(), HOME: home, SMG_HOME: home },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8192)));
  const client = new Client({ name: 'smg-bench-sandbox', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error('no gateway pid');
  track([pid]);
  return { client, pid, stderr: () => stderr };
}

async function close(s: Session): Promise<void> {
  const tree = processTree(s.pid);
  track(tree);
  await s.client.close().catch(() => undefined);
  for (let i = 0; i < 40 && [s.pid, ...tree].some(alive); i++) await sleep(25);
  for (const pid of tree.filter(alive)) {
    orphans.push(`pid ${pid} (below gateway ${s.pid})`);
    process.kill(pid, 'SIGKILL');
  }
}

async function echo(s: Session, i: number): Promise<void> {
  const r = await s.client.callTool({ name: ECHO, arguments: { message: `bench ${i}` } });
  if (r.isError) throw new Error(`echo failed: ${JSON.stringify(r.content)}\n${s.stderr()}`);
}

/** Lists until the echo tool is there (a first list may answer before the upstream is up), then calls it once. */
async function timedStart(home: string, sandbox: unknown): Promise<{ list: number; call: number }> {
  const t0 = performance.now();
  const s = await open(home, sandbox);
  try {
    for (;;) {
      const { tools } = await s.client.listTools();
      if (tools.some((t) => t.name === ECHO)) break;
      if (performance.now() - t0 > 30_000) throw new Error(`no ${ECHO} after 30 s\n${s.stderr()}`);
      await sleep(10);
    }
    const list = performance.now() - t0;
    await echo(s, 0);
    return { list, call: performance.now() - t0 };
  } finally {
    await close(s);
  }
}

function p(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((q / 100) * sorted.length))) - 1] ?? NaN;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export async function benchSandbox(): Promise<string> {
  const support = await detectSandbox({ env: process.env });
  if (!support.available) return `sandbox: skipped, this machine cannot sandbox a server: ${support.reason}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-sandbox-'));
  let homes = 0;
  const fresh = () => {
    const home = path.join(tmp, `home-${++homes}`);
    fs.mkdirSync(home);
    return home;
  };
  try {
    // Start-up: the variants take turns, and who goes first rotates, so that drift on a busy machine (and the page
    // cache a previous start warmed) hurts them alike.
    const starts = VARIANTS.map(() => ({ list: [] as number[], call: [] as number[] }));
    for (let i = 0; i < N.starts; i++)
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = (i + k) % VARIANTS.length;
        const t = await timedStart(fresh(), VARIANTS[v]!.sandbox);
        starts[v]!.list.push(t.list);
        starts[v]!.call.push(t.call);
      }

    // Per call: one session per variant, warmed up, then sequential echo calls in alternating rounds.
    const sessions: Session[] = [];
    const latencies = VARIANTS.map(() => [] as number[]);
    try {
      for (const variant of VARIANTS) {
        const s = await open(fresh(), variant.sandbox);
        sessions.push(s);
        for (let i = 0; i < N.warmup; i++) await echo(s, i);
        // A row that says "sandbox" measures one: bwrap is below the gateway exactly when the profile asks for it.
        const confined = processTree(s.pid).some((pid) => comm(pid) === 'bwrap');
        if (confined !== (variant.sandbox !== false))
          throw new Error(
            `${variant.label}: bwrap is ${confined ? '' : 'not '}running below the gateway\n${s.stderr()}`,
          );
      }
      const per = Math.max(1, Math.ceil(N.calls / N.rounds));
      for (let r = 0; r < N.rounds; r++)
        for (const [v, s] of sessions.entries())
          for (let i = 0; i < per; i++) {
            const t0 = performance.now();
            await echo(s, i);
            latencies[v]!.push(performance.now() - t0);
          }
    } finally {
      for (const s of sessions) await close(s);
    }

    const fmt = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
    const fmt3 = (v: number) => (Number.isFinite(v) ? `${v.toFixed(3)} ms` : 'n/a');
    const base = { call: p(starts[0]!.call, 50), echo: p(latencies[0]!, 50) };
    const signed = (v: number, f: (x: number) => string) => (v >= 0 ? `+${f(v)}` : `-${f(-v)}`);
    const rows = VARIANTS.map((variant, v) => {
      const list = p(starts[v]!.list, 50);
      const call = p(starts[v]!.call, 50);
      const e50 = p(latencies[v]!, 50);
      return [
        variant.label,
        fmt(list),
        fmt(call),
        v === 0 ? '' : signed(call - base.call, fmt),
        fmt3(e50),
        fmt3(p(latencies[v]!, 99)),
        v === 0 ? '' : signed(e50 - base.echo, fmt3),
      ];
    });
    return [
      `sandbox (issue 19): server-everything behind the gateway, bubblewrap ${support.version} (${support.bwrap}); ` +
        `starts=${N.starts} per variant (fresh SMG_HOME), calls=${N.calls} warmup=${N.warmup} rounds=${N.rounds}`,
      table(
        ['server-everything', 'start→list p50', 'start→echo p50', 'added', 'echo p50', 'echo p99', 'added p50'],
        rows,
      ),
      `orphaned processes: ${orphans.length === 0 ? 'none' : orphans.join(', ')}`,
    ].join('\n');
  } finally {
    for (const pid of started.keys()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
