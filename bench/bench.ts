/**
 * Issue 21's measuring instrument: the same SDK Client talking to server-everything directly, through a bare SDK
 * relay (bench/relay.ts: the floor of any stdio proxy) and through the built gateway with the default policy, in ONE
 * table with the ratios to direct, then the targets with PASS/FAIL:
 * - `echo` round trip, sequential, after warm-up: p50/p99 (target: gateway p50 ≤ 2.0× direct and below the relay);
 * - calls per second sequential and with BENCH_CONCURRENCY (10) in flight (target: gateway ≥ ×0.6 of direct at 10);
 * - CPU per call of each process (client, proxy, server) from /proc/<pid>/stat, sequential and at 10 in flight; the
 *   target (gateway ≤ 150 µs) is read at 10 in flight, where the per-call cost is not inflated by a wake-up per pipe
 *   write (the sequential row shows that cost);
 * - spawn → first tools/list and → first echo: direct, relay, gateway with a cold discovery cache (fresh SMG_HOME)
 *   and with a warm one (target: warm first echo ≤ direct + 50 ms; cold is context);
 * - VmRSS of the gateway alone with three upstreams (everything, filesystem, memory) at its warm level (after the
 *   first 1000 calls; target ≤ 80 MB) and after BENCH_SOAK_CALLS (20,000) sequential calls (target: within 15% of
 *   the warm level); a burst at 10 in flight after that is context (V8 grows its young generation under load);
 * - a 1 MiB result per content kind (bench/large-result.ts; target: ≤ 20 ms added each).
 * Direct, relay and gateway runs alternate in rounds, so that drift on a busy machine hurts all alike. Every process
 * it starts is reaped (a survivor of the gateway's own shutdown is reported as an orphan), and its temp dir removed.
 *
 * `--only <section>` runs one section alone (`npm run bench -- --only sandbox`); `--profile` profiles the
 * gateway instead of benchmarking it (bench/profile.ts); `--core` stops after issue 21's targets.
 *
 * Iteration counts (env): BENCH_CALLS, BENCH_WARMUP, BENCH_CONC_CALLS, BENCH_CONCURRENCY, BENCH_STARTS, BENCH_ROUNDS,
 * BENCH_SOAK_CALLS, BENCH_LARGE_CALLS. BENCH_GATEWAY_BIN runs another build of the gateway (A/B).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { benchJudges } from './judges.js';
import { benchParameterChecks } from './parameter-checks.js';
import { benchAudit } from './audit.js';
import { benchStateStore } from './state-store.js';
import { benchLargeResult } from './large-result.js';
import { benchSandbox } from './sandbox.js';
import { runProfile } from './profile.js';
import {
  fmtMb,
  fmtMs,
  fmtMsShort,
  fmtPct,
  fmtPerSec,
  fmtRatio,
  fmtUs,
  stats,
  table,
  target,
  targetTable,
  type Stats,
  type Target,
} from './report.js';
import { intEnv } from './env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** BENCH_GATEWAY_BIN runs another build of the gateway (say, a patched copy of dist/cli.js) for an A/B comparison. */
const BIN = path.resolve(process.env.BENCH_GATEWAY_BIN ?? path.join(ROOT, 'bin/secure-mcp-gateway.js'));

function npmServer(name: 'everything' | 'filesystem' | 'memory'): string {
  return path.join(ROOT, 'node_modules/@modelcontextprotocol', `server-${name}`, 'dist/index.js');
}

const N = {
  calls: intEnv('BENCH_CALLS', 3000),
  warmup: intEnv('BENCH_WARMUP', 300),
  concCalls: intEnv('BENCH_CONC_CALLS', 5000),
  concurrency: intEnv('BENCH_CONCURRENCY', 10),
  starts: intEnv('BENCH_STARTS', 10),
  rounds: intEnv('BENCH_ROUNDS', 4),
  soakCalls: intEnv('BENCH_SOAK_CALLS', 20_000),
};

/** The calls after which the RSS of the gateway with three upstreams is its "warm level" (issue 21). */
const WARM_CALLS = 1000;

/** The sections `--only` can pick out of a full run. */
const SECTIONS = {
  sandbox: benchSandbox,
  large: async () => (await benchLargeResult()).report,
} as const;
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  if (i === -1) return undefined;
  const name = process.argv[i + 1];
  if (name === undefined || !(name in SECTIONS))
    throw new Error(`--only takes one of: ${Object.keys(SECTIONS).join(', ')} (got ${name ?? 'nothing'})`);
  return name as keyof typeof SECTIONS;
})();
const PROFILE = process.argv.includes('--profile');
/** `--core`: issue 21's table, the 1 MiB kinds and the targets, without the older sections after them. */
const CORE = process.argv.includes('--core');

/** Issue 21's targets. */
const TARGETS = {
  p50RatioToDirect: 2.0,
  concRatio: 0.6,
  gatewayCpuUs: 150,
  warmFirstCallAddedMs: 50,
  rssMb: 80,
  soakGrowth: 0.15,
};
// ---------------------------------------------------------------------------------------------------------------
// Processes and temp files

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-'));
let homes = 0;

function freshHome(): string {
  const home = path.join(tmpRoot, `home-${++homes}`);
  fs.mkdirSync(home, { recursive: true });
  return home;
}

/** Every pid we started or saw below a process we started; reaped at the end whatever happens. */
const spawned = new Set<number>();
const orphans: string[] = [];

/** Parent pid of every process, read from /proc. */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // raced with an exit
    }
  }
  return children;
}

function descendants(pid: number): number[] {
  const children = parentMap();
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** True while the pid exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** User + system CPU time of a process in µs, from /proc/<pid>/stat (USER_HZ is 100 on Linux: 10 ms ticks). */
function cpuUs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

function ownCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** VmRSS (now) or VmHWM (the peak so far) of a process, in kB. */
function rssKb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// Sessions: one SDK Client over stdio, to server-everything directly, through the bare relay or the built gateway

type Kind = 'direct' | 'relay' | 'gateway';

interface Session {
  kind: Kind;
  client: Client;
  transport: StdioClientTransport;
  pid: number;
  /** The server-everything process: `pid` itself when direct, the proxy's child otherwise. */
  serverPid: number;
  /** The exposed name of server-everything's echo tool in this session. */
  echo: string;
  stderr: () => string;
}

interface ServerEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

function writeConfig(home: string, servers: Record<string, ServerEntry>): string {
  const file = path.join(home, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ servers, log: { level: 'warn', file: false } }, null, 2));
  return file;
}

const EVERYTHING: ServerEntry = { command: process.execPath, args: [npmServer('everything')] };

/**
 * bench/relay.ts bundled into one ESM file, as the gateway is (build.mjs), so that the relay's start-up is not
 * measured through tsx's loader.
 */
async function bundleRelay(): Promise<string> {
  const outfile = path.join(tmpRoot, 'relay.mjs');
  await build({
    entryPoints: [path.join(ROOT, 'bench/relay.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}
let relayBundle = '';

async function open(kind: Kind, transport: StdioClientTransport): Promise<Session> {
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-8192);
  });
  const client = new Client({ name: 'smg-bench', version: '1.0.0' }, { capabilities: {} });
  try {
    await client.connect(transport);
  } catch (error) {
    if (transport.pid) spawned.add(transport.pid);
    throw new Error(`${kind}: could not connect: ${(error as Error).message}\n${stderr}`, { cause: error });
  }
  const pid = transport.pid;
  if (pid === null) throw new Error(`${kind}: no pid`);
  spawned.add(pid);
  return {
    kind,
    client,
    transport,
    pid,
    serverPid: pid,
    echo: kind === 'gateway' ? 'everything__echo' : 'echo',
    stderr: () => stderr,
  };
}

function openDirect(): Promise<Session> {
  return open('direct', new StdioClientTransport({ ...EVERYTHING, stderr: 'pipe' }));
}

function openRelay(): Promise<Session> {
  return open(
    'relay',
    new StdioClientTransport({
      command: process.execPath,
      args: [relayBundle, EVERYTHING.command, ...EVERYTHING.args],
      stderr: 'pipe',
    }),
  );
}

function openGateway(home: string, configPath: string, nodeArgs: string[] = []): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...nodeArgs, BIN, 'start', '--config', configPath],
    env: { ...getDefaultEnvironment(), HOME: home, SMG_HOME: home },
    stderr: 'pipe',
  });
  return open('gateway', transport);
}

/**
 * Closes the client (stdin EOF). The gateway is given time to drain and reap its upstreams itself; anything below
 * it that is still alive after it exited is an orphan: reported, then killed. server-everything exits on EOF; it
 * gets a SIGTERM if it has not within a moment.
 */
async function close(s: Session): Promise<void> {
  const tree = descendants(s.pid);
  for (const pid of tree) spawned.add(pid);
  const timer = setTimeout(() => kill(s.pid, 'SIGTERM'), s.kind === 'direct' ? 500 : 5000);
  await s.client.close().catch(() => undefined);
  clearTimeout(timer);
  for (let i = 0; i < 20 && tree.some(alive); i++) await sleep(25);
  for (const pid of tree.filter(alive)) {
    orphans.push(`pid ${pid} (below ${s.kind} ${s.pid})`);
    kill(pid, 'SIGKILL');
  }
}

function reapAll(): void {
  for (const pid of spawned) if (alive(pid)) kill(pid, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------------------------------
// Measurements

async function echo(s: Session, i: number): Promise<void> {
  const r = await s.client.callTool({ name: s.echo, arguments: { message: `bench ${i}` } });
  if (r.isError) throw new Error(`${s.kind}: echo failed: ${JSON.stringify(r.content)}\n${s.stderr()}`);
}

/** The one upstream process below a proxy, once it answered a call (the gateway connects on demand). */
async function findServer(s: Session): Promise<void> {
  if (s.kind === 'direct') return;
  await echo(s, 0);
  const children = descendants(s.pid);
  if (children.length !== 1) throw new Error(`${s.kind}: expected one upstream process, found ${children.length}`);
  s.serverPid = children[0]!;
}

interface Cpu {
  client: number;
  proxy: number;
  server: number;
}

interface Run {
  latencies: number[];
  calls: number;
  ms: number;
  /** CPU time in µs spent by each process during the run. */
  cpu: Cpu;
}

const emptyRun = (): Run => ({ latencies: [], calls: 0, ms: 0, cpu: { client: 0, proxy: 0, server: 0 } });

function cpuOf(s: Session): Cpu {
  return { client: ownCpuUs(), proxy: s.kind === 'direct' ? 0 : cpuUs(s.pid), server: cpuUs(s.serverPid) };
}

/** `count` calls, `concurrency` of them in flight at any time; adds each call's latency and the wall time to `run`. */
async function drive(s: Session, count: number, concurrency: number, run: Run): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await echo(s, i);
      run.latencies.push(performance.now() - t0);
    }
  };
  const cpu0 = cpuOf(s);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  run.ms += performance.now() - t0;
  const cpu1 = cpuOf(s);
  run.calls += count;
  run.cpu.client += cpu1.client - cpu0.client;
  run.cpu.proxy += cpu1.proxy - cpu0.proxy;
  run.cpu.server += cpu1.server - cpu0.server;
}

/** Alternates the sessions in BENCH_ROUNDS rounds; returns one run per session, in order. */
async function alternate(sessions: readonly Session[], total: number, concurrency: number): Promise<Run[]> {
  const runs = sessions.map(emptyRun);
  const per = Math.max(1, Math.ceil(total / N.rounds));
  for (let r = 0; r < N.rounds; r++)
    for (const [i, s] of sessions.entries()) await drive(s, per, concurrency, runs[i]!);
  return runs;
}

interface StartSample {
  /** spawn → first tools/list answered. */
  list: number;
  /** spawn → first echo answered (the upstream is connected). */
  call: number;
  tools: number;
}

/** Spawns, lists tools, calls echo once, closes. The clock starts just before the spawn. */
async function timedStart(openIt: () => Promise<Session>): Promise<StartSample> {
  const t0 = performance.now();
  const s = await openIt();
  try {
    const { tools } = await s.client.listTools();
    const list = performance.now() - t0;
    await echo(s, 0);
    const call = performance.now() - t0;
    return { list, call, tools: tools.length };
  } finally {
    await close(s);
  }
}

function cacheFiles(home: string): number {
  try {
    return fs.readdirSync(path.join(home, 'cache')).filter((f) => f.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output

function log(text = ''): void {
  console.log(text);
}

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

const KINDS: readonly Kind[] = ['direct', 'relay', 'gateway'];

/** CPU per call of each process: `client + [proxy +] server = total µs`. */
function cpuCell(r: Run, kind: Kind): string {
  const per = (us: number) => us / r.calls;
  const parts = kind === 'direct' ? [r.cpu.client, r.cpu.server] : [r.cpu.client, r.cpu.proxy, r.cpu.server];
  const each = parts.map(per);
  return `${each.map((v) => v.toFixed(0)).join(' + ')} = ${each.reduce((a, b) => a + b, 0).toFixed(0)} µs`;
}

/** Three cells (direct, relay, gateway) and the gateway's ratio to direct. */
function row(name: string, values: readonly number[], fmt: (v: number) => string, ratio = true): string[] {
  const [d, r, g] = values as [number, number, number];
  return [name, fmt(d), fmt(r), fmt(g), ratio ? `${fmtRatio(r / d)} / ${fmtRatio(g / d)}` : ''];
}

// ---------------------------------------------------------------------------------------------------------------

interface Hot {
  seq: Run[];
  conc: Run[];
  directRssKb: number;
}

/** 1. Round trips and throughput: one long-lived session of each kind, alternating. */
async function roundTrips(): Promise<Hot> {
  progress('round trips and throughput: direct, relay, gateway');
  const gwHome = freshHome();
  const sessions: Session[] = [];
  try {
    sessions.push(await openDirect());
    sessions.push(await openRelay());
    sessions.push(await openGateway(gwHome, writeConfig(gwHome, { everything: EVERYTHING })));
    for (const s of sessions) {
      const { tools } = await s.client.listTools();
      if (!tools.some((t) => t.name === s.echo)) throw new Error(`${s.kind}: no tool ${s.echo}`);
      await findServer(s);
      await drive(s, N.warmup, 1, emptyRun());
      await drive(s, N.warmup, N.concurrency, emptyRun());
    }
    const seq = await alternate(sessions, N.calls, 1);
    const conc = await alternate(sessions, N.concCalls, N.concurrency);
    return { seq, conc, directRssKb: rssKb(sessions[0]!.pid) };
  } finally {
    for (const s of sessions) await close(s);
  }
}

interface Starts {
  byKind: Record<'direct' | 'relay' | 'cold' | 'warm', StartSample[]>;
  cached: number;
}

/** 2. Start-up: spawn → first tools/list answered, and → first echo answered. */
async function startUps(): Promise<Starts> {
  progress(`start-up, ${N.starts} times each: direct, relay, gateway cold, gateway warm`);
  const byKind: Starts['byKind'] = { direct: [], relay: [], cold: [], warm: [] };
  const warmHome = freshHome();
  const warmConfig = writeConfig(warmHome, { everything: EVERYTHING });
  await timedStart(() => openGateway(warmHome, warmConfig)); // fills <home>/cache/
  const cached = cacheFiles(warmHome);
  if (cached === 0) progress('warning: the first run left no file in <home>/cache/; "warm" is not warm');
  for (let i = 0; i < N.starts; i++) {
    byKind.direct.push(await timedStart(openDirect));
    byKind.relay.push(await timedStart(openRelay));
    const home = freshHome();
    const config = writeConfig(home, { everything: EVERYTHING });
    byKind.cold.push(await timedStart(() => openGateway(home, config)));
    byKind.warm.push(await timedStart(() => openGateway(warmHome, warmConfig)));
  }
  return { byKind, cached };
}

interface Memory {
  tools: number;
  /** RSS after the first 560 calls (issue 5's measuring point, for comparison with older runs). */
  earlyKb: number;
  warmKb: number;
  soakKb: number;
  /** RSS sampled every tenth of the soak: the trend, not only its end. */
  trace: number[];
  burstKb: number;
  peakKb: number;
  upstreamKb: number[];
}

/** 3. Memory: the gateway alone with three upstreams, warm, after the soak, after a burst. */
async function memory(): Promise<Memory> {
  progress(`memory with three upstreams, soak of ${N.soakCalls} calls`);
  const memHome = freshHome();
  const fsRoot = path.join(tmpRoot, 'fs-root');
  fs.mkdirSync(fsRoot, { recursive: true });
  fs.writeFileSync(path.join(fsRoot, 'hello.txt'), 'hello\n');
  const memConfig = writeConfig(memHome, {
    everything: EVERYTHING,
    filesystem: { command: process.execPath, args: [npmServer('filesystem'), fsRoot] },
    memory: {
      command: process.execPath,
      args: [npmServer('memory')],
      env: { MEMORY_FILE_PATH: path.join(tmpRoot, 'memory.jsonl') },
    },
  });
  const three = await openGateway(memHome, memConfig);
  try {
    const { tools } = await three.client.listTools();
    for (const server of ['everything', 'filesystem', 'memory'])
      if (!tools.some((t) => t.name.startsWith(`${server}__`))) throw new Error(`gateway: no tools from ${server}`);
    await drive(three, 500, 1, emptyRun());
    for (let i = 0; i < 20; i++) {
      await three.client.callTool({ name: 'filesystem__list_directory', arguments: { path: fsRoot } });
      await three.client.callTool({ name: 'filesystem__read_text_file', arguments: { path: `${fsRoot}/hello.txt` } });
      await three.client.callTool({ name: 'memory__read_graph', arguments: {} });
    }
    await sleep(200);
    const earlyKb = rssKb(three.pid);
    await drive(three, WARM_CALLS - 560, 1, emptyRun());
    await sleep(200);
    const warmKb = rssKb(three.pid);
    const trace: number[] = [];
    const rest = Math.max(0, N.soakCalls - WARM_CALLS);
    const step = Math.max(1, Math.ceil(rest / 10));
    for (let done = 0; done < rest; done += step) {
      await drive(three, Math.min(step, rest - done), 1, emptyRun());
      trace.push(rssKb(three.pid));
    }
    await sleep(200);
    const soakKb = rssKb(three.pid);
    const upstreamKb = descendants(three.pid).map((pid) => {
      try {
        return rssKb(pid);
      } catch {
        return 0;
      }
    });
    // Context, not a target: a sustained burst lets V8 grow its young generation.
    await drive(three, N.concCalls, N.concurrency, emptyRun());
    await sleep(200);
    return {
      tools: tools.length,
      earlyKb,
      warmKb,
      soakKb,
      trace,
      burstKb: rssKb(three.pid),
      peakKb: rssKb(three.pid, 'VmHWM'),
      upstreamKb,
    };
  } finally {
    await close(three);
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing; run `npm run bench`');
  if (!fs.existsSync(BIN)) throw new Error(`no gateway at ${BIN}`);
  if (ONLY) {
    progress(ONLY);
    log(await SECTIONS[ONLY]());
    return;
  }
  if (PROFILE) {
    log(await runProfile({ bin: BIN, home: freshHome(), everything: EVERYTHING, progress }));
    return;
  }
  const started = performance.now();
  relayBundle = await bundleRelay();
  log('secure-mcp-gateway bench (issue 21): SDK Client → server-everything, direct | bare SDK relay | gateway');
  log(
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, calls=${N.calls} warmup=${N.warmup} concCalls=${N.concCalls} concurrency=${N.concurrency} ` +
      `starts=${N.starts} rounds=${N.rounds} soak=${N.soakCalls}`,
  );
  if (process.env.BENCH_GATEWAY_BIN) log(`gateway: ${BIN}`);
  log();

  const hot = await roundTrips();
  const starts = await startUps();
  const mem = await memory();

  const seq = hot.seq.map((r) => stats(r.latencies)) as [Stats, Stats, Stats];
  const conc = hot.conc.map((r) => stats(r.latencies)) as [Stats, Stats, Stats];
  const rate = (r: Run) => (r.calls / r.ms) * 1000;
  const gwCpu = (r: Run) => r.cpu.proxy / r.calls;
  const st = (k: keyof Starts['byKind'], m: 'list' | 'call') => stats(starts.byKind[k].map((x) => x[m]));
  const startRow = (name: string, m: 'list' | 'call', p: 'p50' | 'p99', gw: 'cold' | 'warm') =>
    row(name, [st('direct', m)[p], st('relay', m)[p], st(gw, m)[p]], fmtMsShort);
  const listTools = new Set(Object.values(starts.byKind).flatMap((xs) => xs.map((x) => x.tools)));

  log(
    table(
      ['metric', 'direct', 'bare relay', 'gateway', 'relay / gateway ÷ direct'],
      [
        row(
          `echo round trip p50 (sequential, n=${seq[0].n})`,
          seq.map((x) => x.p50),
          fmtMs,
        ),
        row(
          'echo round trip p99 (sequential)',
          seq.map((x) => x.p99),
          fmtMs,
        ),
        row('sequential calls per second', hot.seq.map(rate), fmtPerSec),
        row(`calls per second, ${N.concurrency} in flight (n=${conc[0].n})`, hot.conc.map(rate), fmtPerSec),
        row(
          `echo latency p50, ${N.concurrency} in flight`,
          conc.map((x) => x.p50),
          fmtMs,
        ),
        row(
          `echo latency p99, ${N.concurrency} in flight`,
          conc.map((x) => x.p99),
          fmtMs,
        ),
        ['CPU per call, sequential: client + [proxy +] server', ...KINDS.map((k, i) => cpuCell(hot.seq[i]!, k)), ''],
        [
          `CPU per call, ${N.concurrency} in flight: client + [proxy +] server`,
          ...KINDS.map((k, i) => cpuCell(hot.conc[i]!, k)),
          '',
        ],
        startRow(`spawn → first tools/list p50 (n=${N.starts}), gateway cold cache`, 'list', 'p50', 'cold'),
        startRow('spawn → first tools/list p50, gateway warm cache', 'list', 'p50', 'warm'),
        startRow('spawn → first tools/list p99 (max), gateway warm cache', 'list', 'p99', 'warm'),
        startRow('spawn → first echo answered p50, gateway cold cache', 'call', 'p50', 'cold'),
        startRow('spawn → first echo answered p50, gateway warm cache', 'call', 'p50', 'warm'),
        startRow('spawn → first echo answered p99 (max), gateway warm cache', 'call', 'p99', 'warm'),
        ['RSS of server-everything alone (direct), after the call runs', fmtMb(hot.directRssKb), '', '', ''],
        [`RSS of the gateway, 3 upstreams (${mem.tools} tools), after 560 calls`, '', '', fmtMb(mem.earlyKb), ''],
        [`RSS of the gateway, 3 upstreams, warm level (after ${WARM_CALLS} calls)`, '', '', fmtMb(mem.warmKb), ''],
        [`RSS of the gateway after ${N.soakCalls} sequential calls`, '', '', fmtMb(mem.soakKb), ''],
        [
          `RSS of the gateway after ${N.concCalls} more, ${N.concurrency} in flight (peak)`,
          '',
          '',
          `${fmtMb(mem.burstKb)} (${fmtMb(mem.peakKb)})`,
          '',
        ],
        [
          'RSS of its 3 upstream processes (context)',
          '',
          '',
          mem.upstreamKb.map((kb) => fmtMb(kb).replace(' MB', '')).join(' + ') + ' MB',
          '',
        ],
      ],
    ),
  );
  log();
  log(
    `RSS during the soak, every ${Math.ceil((N.soakCalls - WARM_CALLS) / 10)} calls: ` +
      mem.trace.map((kb) => (kb / 1024).toFixed(1)).join(' → ') +
      ' MB',
  );
  log(
    `tools listed per start: ${[...listTools].join(', ')}; discovery cache files after the first run: ` +
      `${starts.cached}; p99 of ${N.starts} start samples is their maximum`,
  );
  log();
  // After the table, so that a section that fails below does not lose the figures above.
  progress('large results');
  const large = await benchLargeResult();
  log(large.report);
  log();

  const directCall = st('direct', 'call').p50;
  const checks: Target[] = [
    target(
      'echo p50 (sequential), gateway ÷ direct',
      seq[2].p50 / seq[0].p50,
      '<=',
      TARGETS.p50RatioToDirect,
      fmtRatio,
    ),
    target('echo p50 (sequential), gateway − bare relay', seq[2].p50 - seq[1].p50, '<', 0, fmtMs),
    target(
      `throughput at ${N.concurrency} in flight, gateway ÷ direct`,
      rate(hot.conc[2]!) / rate(hot.conc[0]!),
      '>=',
      TARGETS.concRatio,
      fmtRatio,
    ),
    target(`gateway CPU per call, ${N.concurrency} in flight`, gwCpu(hot.conc[2]!), '<=', TARGETS.gatewayCpuUs, fmtUs),
    ...large.targets,
    target(
      'spawn → first echo, gateway warm − direct (p50)',
      st('warm', 'call').p50 - directCall,
      '<=',
      TARGETS.warmFirstCallAddedMs,
      fmtMsShort,
    ),
    target(`gateway RSS, 3 upstreams, warm (${WARM_CALLS} calls)`, mem.warmKb, '<=', TARGETS.rssMb * 1024, fmtMb),
    target(
      `gateway RSS growth, ${WARM_CALLS} → ${N.soakCalls} calls`,
      mem.soakKb / mem.warmKb - 1,
      '<=',
      TARGETS.soakGrowth,
      fmtPct,
    ),
  ];
  log(targetTable(checks));
  log(
    `context: gateway CPU per call sequential ${fmtUs(gwCpu(hot.seq[2]!))} (a wake-up per pipe write); ` +
      `cold first echo − direct ${fmtMsShort(st('cold', 'call').p50 - directCall)}; ` +
      `orphaned processes: ${orphans.length === 0 ? 'none' : orphans.join(', ')}; ` +
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; bench took ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (CORE) return;
  log();
  log(await benchParameterChecks());
  log();
  progress('judge guardrails');
  log(await benchJudges());
  log();
  progress('audit log');
  log(await benchAudit());
  log();
  progress('state store');
  log(await benchStateStore());
  log();
  progress('sandbox');
  log(await benchSandbox());
}
function cleanUp(): void {
  reapAll();
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error('bench failed:', error);
} finally {
  cleanUp();
}
process.exit(failed ? 1 : 0);
