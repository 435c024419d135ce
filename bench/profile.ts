/**
 * `npm run bench -- --profile`: where the gateway's CPU goes (issue 21). Two runs of the built gateway under
 * `node --cpu-prof`, each into a kept directory: BENCH_PROFILE_CALLS (5000) sequential echo calls to
 * server-everything after a warm-up, then BENCH_PROFILE_LARGE (3) calls of each 1 MiB content kind of
 * test/fixtures/big-result-server.ts. For each it prints the .cpuprofile path and the top self-time functions and
 * files, source-mapped through the bundle's linked maps (dist/*.map), so a minified frame reads as its function in
 * src/. Only samples after the warm-up count (the bench marks the moment on the monotonic clock that the profile's
 * timestamps use), so start-up and first compilation do not pass for per-call cost.
 *
 * The gateway is stopped by stdin EOF and given time to exit by itself: Node writes the profile on exit, and a
 * SIGKILL would lose it. A run whose profile never appears fails the bench with the gateway's stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SourceMapConsumer } from 'source-map-js';
import { intEnv } from './env.js';
import { LARGE_KINDS } from './large-result.js';
import { table } from './report.js';

// ---------------------------------------------------------------------------------------------------------------
// The summary: pure, so that a test can feed it a small profile

/** The parts of V8's .cpuprofile that the summary reads. */
export interface CpuProfile {
  /** µs on the monotonic clock (CLOCK_MONOTONIC on Linux, the clock of process.hrtime). */
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** An original position for a generated one (1-based line, 0-based column, as in source maps), or undefined. */
export type Resolve = (
  url: string,
  line: number,
  column: number,
) => { source: string; line: number; name?: string } | undefined;

export interface Entry {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

export interface Summary {
  busyMs: number;
  idleMs: number;
  functions: Entry[];
  files: Entry[];
}

/** `…/src/pipeline/run.ts` → `src/pipeline/run.ts`; `…/node_modules/x/y.js` → `node_modules/x/y.js`. */
export function shortSource(source: string): string {
  const m = /(?:^|\/)((?:src|node_modules|bench|test)\/.*)$/.exec(source.replace(/^file:\/\//, ''));
  return m ? m[1]! : source.replace(/^file:\/\//, '');
}

/**
 * Self time per function and per file. A sample's time is the delta that follows it in V8's order (the sampled
 * frame ran until the next sample). `(idle)` is counted apart; GC and `(program)` are kept, as they are busy time.
 * Samples taken before `fromUs` (same clock as the profile's startTime) are left out: start-up and warm-up.
 */
export function summarize(profile: CpuProfile, resolve: Resolve, top = 25, fromUs = -Infinity): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at >= fromUs) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)?.callFrame;
    if (!cf) continue;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    // A frame without a url is V8's own ((garbage collector), (program)) or a native function: its name is its place.
    let file = cf.functionName || '(native)';
    let fn = file;
    if (cf.url !== '') {
      const original = resolve(cf.url, cf.lineNumber + 1, cf.columnNumber);
      const name = original?.name ?? (cf.functionName || '(anonymous)');
      file = shortSource(original?.source ?? cf.url);
      fn = `${name} ${file}:${original?.line ?? cf.lineNumber + 1}`;
    }
    // A RegExp frame is named by its whole source, which can run to kilobytes.
    if (fn.length > 100) fn = `${fn.slice(0, 99)}…`;
    if (file.length > 100) file = `${file.slice(0, 99)}…`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const rank = (m: Map<string, number>, n: number): Entry[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions: rank(fns, top), files: rank(files, 20) };
}

/** Resolves through `<file>.map` beside each generated file (esbuild's linked maps); a file without one is left as is. */
export function sourceMapResolver(): Resolve {
  const maps = new Map<string, SourceMapConsumer | undefined>();
  const consumer = (url: string) => {
    if (!url.startsWith('file://')) return undefined;
    const file = fileURLToPath(url);
    if (!maps.has(file)) {
      let c: SourceMapConsumer | undefined;
      try {
        c = new SourceMapConsumer(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
      } catch {
        c = undefined; // no map: the frame keeps its generated name and place
      }
      maps.set(file, c);
    }
    return maps.get(file);
  };
  return (url, line, column) => {
    const o = consumer(url)?.originalPositionFor({ line, column });
    if (!o?.source) return undefined;
    return { source: o.source, line: o.line, ...(o.name ? { name: o.name } : {}) };
  };
}

export function formatSummary(title: string, file: string, s: Summary): string {
  const pct = (e: Entry) => `${(e.share * 100).toFixed(1)}%`;
  const ms = (e: Entry) => `${e.ms.toFixed(0)} ms`;
  return [
    `${title}: ${file}`,
    `busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`,
    '',
    table(
      ['self time, by function', 'share', 'ms'],
      s.functions.map((e) => [e.name, pct(e), ms(e)]),
    ),
    '',
    table(
      ['self time, by file', 'share', 'ms'],
      s.files.map((e) => [e.name, pct(e), ms(e)]),
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The runs

/**
 * A client transport over a child we spawned ourselves, so that closing it is stdin EOF only: the SDK's
 * StdioClientTransport sends SIGTERM, then SIGKILL, after 2 s, which can cut a large profile short.
 */
class ChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly child: ChildProcess) {}

  start(): Promise<void> {
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let m = this.buffer.readMessage(); m; m = this.buffer.readMessage()) this.onmessage?.(m);
    });
    this.child.once('exit', () => this.onclose?.());
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) =>
      this.child.stdin!.write(serializeMessage(message), (e) => (e ? reject(e) : resolve())),
    );
  }

  close(): Promise<void> {
    this.child.stdin!.end();
    return Promise.resolve();
  }
}

interface ServerEntry {
  command: string;
  args: string[];
}

export interface ProfileOptions {
  bin: string;
  /** A fresh SMG_HOME; the profiles go to a kept directory of their own. */
  home: string;
  everything: ServerEntry;
  progress: (text: string) => void;
}

async function profiled(
  o: ProfileOptions,
  dir: string,
  servers: Record<string, ServerEntry>,
  /** Calls `measure()` when the warm-up is over: the summary reads the samples after that moment. */
  drive: (c: Client, measure: () => void) => Promise<void>,
): Promise<{ file: string; fromUs: number }> {
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(o.home, `${path.basename(dir)}.json`);
  fs.writeFileSync(config, JSON.stringify({ servers, log: { level: 'warn', file: false } }));
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, o.bin, 'start', '--config', config], {
    env: { ...getDefaultEnvironment(), HOME: o.home, SMG_HOME: o.home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8192)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = new Client({ name: 'smg-bench-profile', version: '1.0.0' });
  let fromUs = -Infinity;
  try {
    await client.connect(new ChildTransport(child));
    await drive(client, () => (fromUs = monotonicUs()));
  } finally {
    await client.close();
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    await exited;
    clearTimeout(timer);
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}; the gateway said:\n${stderr}`);
  return { file: path.join(dir, file), fromUs };
}

/** process.hrtime reads CLOCK_MONOTONIC, the clock of V8's profile timestamps on Linux. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export async function runProfile(o: ProfileOptions): Promise<string> {
  const calls = intEnv('BENCH_PROFILE_CALLS', 5000);
  const large = intEnv('BENCH_PROFILE_LARGE', 3);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-profile-'));
  const fixture = fileURLToPath(new URL('../test/fixtures/big-result-server.ts', import.meta.url));
  const call = async (c: Client, name: string, args: Record<string, unknown>) => {
    const r = (await c.callTool({ name, arguments: args })) as CallToolResult;
    if (r.isError) throw new Error(`${name} was refused: ${JSON.stringify(r.content).slice(0, 300)}`);
  };

  o.progress(`profile: ${calls} sequential echo calls`);
  const echo = await profiled(o, path.join(root, 'echo'), { everything: o.everything }, async (c, measure) => {
    for (let i = 0; i < 300; i++) await call(c, 'everything__echo', { message: `warm ${i}` });
    measure();
    for (let i = 0; i < calls; i++) await call(c, 'everything__echo', { message: `bench ${i}` });
  });
  o.progress(`profile: ${large} calls of each 1 MiB kind, after one 64 KiB call each`);
  const bigServer = { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), fixture] };
  const big = await profiled(o, path.join(root, 'large'), { big: bigServer }, async (c, measure) => {
    for (const [, tool] of LARGE_KINDS) await call(c, `big__${tool}`, { kb: 64 });
    measure();
    for (const [, tool] of LARGE_KINDS) for (let i = 0; i < large; i++) await call(c, `big__${tool}`, { kb: 1024 });
  });

  const resolve = sourceMapResolver();
  const read = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as CpuProfile;
  return [
    `gateway CPU profiles (kept in ${root}; open them in Chrome DevTools or speedscope)`,
    '',
    formatSummary(
      `${calls} sequential echo calls (samples after 300 to warm up)`,
      echo.file,
      summarize(read(echo.file), resolve, 25, echo.fromUs),
    ),
    '',
    formatSummary(
      `${large} calls of each 1 MiB kind, samples after one 64 KiB call each (${LARGE_KINDS.map(([, t]) => t).join(', ')})`,
      big.file,
      summarize(read(big.file), resolve, 25, big.fromUs),
    ),
  ].join('\n');
}
