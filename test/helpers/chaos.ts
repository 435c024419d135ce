/**
 * The chaos and soak driver (issue 9, item 4), shared by `npm run bench:chaos` (bench/chaos.ts: 20,000 calls at
 * concurrency 50) and its bounded e2e version (test/e2e/chaos.e2e.test.ts). It spawns the *built* gateway with three
 * fixture upstreams (a steady one, one that crashes every `crashEvery` calls, one that never answers every
 * `hangEvery` calls), drives `tools/call` as raw JSON-RPC over its stdin so that every answer line can be counted per
 * request id, and gathers what the invariants need: answers per id, outcomes, RSS after warm-up and at the end, the
 * processes the gateway ever started, its exit, the audit log's call records and `audit verify`.
 *
 * It measures and reports; it does not judge, except for `invariants()`, which lists the rules a run broke.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LATEST_PROTOCOL_VERSION, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { alive, BIN, fixtureServer, processTree, startGateway, tempDir, type SpawnedGateway } from './gateway.js';

export interface ChaosOptions {
  /** Calls in all, warm-up included. */
  calls: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Calls before the first RSS sample (made at this concurrency, counted in `calls`). */
  warmupCalls: number;
  /** The crashing upstream exits on every Nth call it receives. */
  crashEvery: number;
  /** The hanging upstream never answers every Nth call it receives. */
  hangEvery: number;
  /** timeoutMs of the hanging upstream: how long a hung call lasts before the gateway answers it. */
  hangTimeoutMs: number;
  /** A call the gateway has not answered after this long is counted as missing (far above every server timeout). */
  missingAfterMs?: number;
  /** Extra environment for the gateway process (e.g. NODE_OPTIONS for an A/B of V8 flags). */
  gatewayEnv?: Record<string, string>;
  /** Called now and then with the number of calls answered so far. */
  onProgress?: (answered: number, gatewayPid: number) => void;
}

export const SERVERS = ['steady', 'crashy', 'hangy'] as const;
export type ChaosServer = (typeof SERVERS)[number];
export type Outcome = 'ok' | 'crashed' | 'timeout' | 'other';

export interface ChaosReport {
  options: ChaosOptions;
  /** Calls sent, per server. */
  sent: Record<ChaosServer, number>;
  /** How many request ids got 0, 1, 2, … answers. */
  answersPerRequest: Map<number, number>;
  /** Answer lines whose id was never sent. */
  strayAnswers: number;
  outcomes: Record<Outcome, number>;
  outcomesByServer: Record<ChaosServer, Record<Outcome, number>>;
  /** Up to five messages of `other` outcomes. */
  otherSamples: string[];
  latenciesMs: number[];
  wallMs: number;
  rssWarmupKb: number;
  rssEndKb: number;
  rssPeakKb: number;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** Every process the gateway was seen to start. */
  childrenSeen: number;
  /** Those still alive after the gateway exited. */
  leftoverChildren: number[];
  audit: {
    callRecords: number;
    crashed: number;
    restarted: number;
    verifyExit: number | null;
    verifyOk: boolean;
    verifyRecords: number;
    verifyText: string;
  };
  /** The gateway's stderr (warn and above), for a failure report. */
  stderr: string;
}

/** How a crash and a timeout read (src/upstream/upstream.ts); anything else is "other". */
const CRASHED = /went away (while|before) tools\/call (was in flight|reached it)/;
const TIMED_OUT = /did not answer tools\/call within \d+ ms/;

/** The gateway config of a run: three fixture upstreams, fast restarts, the audit log batched. */
export function chaosConfig(o: ChaosOptions): unknown {
  return {
    servers: {
      steady: fixtureServer('crash-server.ts'),
      // Restarting a fixture takes a few hundred ms; calls to it wait (up to timeoutMs) for the new process.
      crashy: { ...fixtureServer('crash-server.ts'), env: { CRASH_EVERY: String(o.crashEvery) }, timeoutMs: 30_000 },
      hangy: {
        ...fixtureServer('hang-server.ts'),
        env: { HANG_EVERY: String(o.hangEvery) },
        timeoutMs: o.hangTimeoutMs,
      },
    },
    upstreams: { restartInitialDelayMs: 20, restartMaxDelayMs: 500 },
    audit: { fsync: 'batched' },
    log: { level: 'warn', file: false },
  };
}

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

function emptyOutcomes(): Record<Outcome, number> {
  return { ok: 0, crashed: 0, timeout: 0, other: 0 };
}

/** Sends JSON-RPC requests over the gateway's stdin and counts every answer line by id. */
class Wire {
  readonly answers = new Map<number | string, number>();
  strays = 0;
  private readonly waiting = new Map<number | string, (m: JSONRPCMessage) => void>();
  private readonly sentIds = new Set<number | string>();

  constructor(private readonly gw: SpawnedGateway) {
    gw.transport.onmessage = (m) => this.onMessage(m);
  }

  private onMessage(m: JSONRPCMessage): void {
    if (!('id' in m) || 'method' in m) return; // notifications and requests from the gateway
    const id = m.id;
    if (id === undefined || !this.sentIds.has(id)) {
      this.strays++;
      return;
    }
    this.answers.set(id, (this.answers.get(id) ?? 0) + 1);
    const resolve = this.waiting.get(id);
    this.waiting.delete(id);
    resolve?.(m);
  }

  /** Resolves with the answer, or with undefined when none came within `missingAfterMs`. */
  request(
    id: number | string,
    method: string,
    params: unknown,
    missingAfterMs: number,
  ): Promise<JSONRPCMessage | undefined> {
    this.sentIds.add(id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, missingAfterMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.gw.transport.send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage).catch(reject);
    });
  }

  notify(method: string): Promise<void> {
    return this.gw.transport.send({ jsonrpc: '2.0', method });
  }
}

function classify(answer: JSONRPCMessage | undefined): { outcome: Outcome | 'missing'; message?: string } {
  if (!answer) return { outcome: 'missing' };
  if ('error' in answer) {
    const message = answer.error.message;
    if (CRASHED.test(message)) return { outcome: 'crashed' };
    if (TIMED_OUT.test(message)) return { outcome: 'timeout' };
    return { outcome: 'other', message: `error ${answer.error.code}: ${message}` };
  }
  if ('result' in answer) {
    const r = answer.result as { isError?: boolean; content?: { text?: string }[] };
    if (!r.isError && r.content?.[0]?.text === 'ok') return { outcome: 'ok' };
    return { outcome: 'other', message: `result: ${JSON.stringify(r).slice(0, 300)}` };
  }
  return { outcome: 'other', message: `answer: ${JSON.stringify(answer).slice(0, 300)}` };
}

/** Counts the call and upstream records of every audit file under `home` (audit.jsonl and its rotations). */
function countAudit(home: string): { callRecords: number; crashed: number; restarted: number } {
  let callRecords = 0;
  let crashed = 0;
  let restarted = 0;
  for (const name of fs.readdirSync(home)) {
    if (!/^audit(\.\d+)?\.jsonl$/.test(name)) continue;
    for (const line of fs.readFileSync(path.join(home, name), 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { kind?: string; event?: string; server?: string };
      if (r.kind === 'call') callRecords++;
      else if (r.kind === 'upstream' && r.event === 'crashed') crashed++;
      else if (r.kind === 'upstream' && r.event === 'restarted') restarted++;
    }
  }
  return { callRecords, crashed, restarted };
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const missingAfterMs = o.missingAfterMs ?? 120_000;
  const home = tempDir('smg-chaos-');
  const gw = await startGateway(chaosConfig(o), {
    home,
    noClient: true,
    env: { SMG_LOG_LEVEL: 'warn', ...o.gatewayEnv },
  });
  const pid = gw.proc.pid!;
  const pids = new Set<number>();
  const recordTree = () => processTree(pid).forEach((p) => pids.add(p));
  const wire = new Wire(gw);
  try {
    const init = await wire.request(
      'init',
      'initialize',
      { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'chaos', version: '1.0.0' } },
      30_000,
    );
    if (!init || !('result' in init)) throw new Error(`initialize failed: ${JSON.stringify(init)}\n${gw.stderr()}`);
    await wire.notify('notifications/initialized');
    // tools/list waits for every upstream to connect, so the first calls do not measure start-up.
    const list = await wire.request('list', 'tools/list', {}, 30_000);
    const names =
      list && 'result' in list ? (list.result as { tools: { name: string }[] }).tools.map((t) => t.name) : [];
    for (const s of SERVERS)
      if (!names.includes(`${s}__ok`)) throw new Error(`${s}__ok is not listed: ${names.join(', ')}\n${gw.stderr()}`);
  } catch (error) {
    gw.proc.kill('SIGKILL');
    throw error;
  }
  recordTree();
  const treeTimer = setInterval(recordTree, 200);

  const sent: Record<ChaosServer, number> = { steady: 0, crashy: 0, hangy: 0 };
  const outcomes = emptyOutcomes();
  const outcomesByServer = { steady: emptyOutcomes(), crashy: emptyOutcomes(), hangy: emptyOutcomes() };
  const otherSamples: string[] = [];
  const latenciesMs: number[] = [];
  let next = 1;
  let answered = 0;
  let rssPeakKb = 0;

  /** Sends calls next..last, `concurrency` at a time; call i goes to SERVERS[i % 3]. */
  const phase = async (last: number) => {
    const worker = async () => {
      while (next <= last) {
        const id = next++;
        const server = SERVERS[id % SERVERS.length]!;
        sent[server]++;
        const t0 = performance.now();
        const answer = await wire.request(
          id,
          'tools/call',
          { name: `${server}__ok`, arguments: { message: `chaos call ${id}` } },
          missingAfterMs,
        );
        const c = classify(answer);
        if (c.outcome === 'missing') continue;
        latenciesMs.push(performance.now() - t0);
        outcomes[c.outcome]++;
        outcomesByServer[server][c.outcome]++;
        if (c.message && otherSamples.length < 5) otherSamples.push(`${server}: ${c.message}`);
        if (++answered % 1000 === 0) {
          rssPeakKb = Math.max(rssPeakKb, rssKb(pid));
          o.onProgress?.(answered, pid);
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  };

  const t0 = performance.now();
  await phase(Math.min(o.warmupCalls, o.calls));
  const rssWarmupKb = rssKb(pid);
  await phase(o.calls);
  const wallMs = performance.now() - t0;
  const rssEndKb = rssKb(pid);
  rssPeakKb = Math.max(rssPeakKb, rssWarmupKb, rssEndKb);

  clearInterval(treeTimer);
  recordTree();
  const exit = await gw.closeStdin();
  const leftoverChildren = [...pids].filter(alive);

  const answersPerRequest = new Map<number, number>();
  for (let id = 1; id <= o.calls; id++) {
    const n = wire.answers.get(id) ?? 0;
    answersPerRequest.set(n, (answersPerRequest.get(n) ?? 0) + 1);
  }

  const verify = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--json', '--config', gw.configPath], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  let verifyOk = false;
  let verifyRecords = 0;
  try {
    const v = JSON.parse(verify.stdout) as { ok: boolean; records: number };
    verifyOk = v.ok;
    verifyRecords = v.records;
  } catch {
    // not JSON: verifyOk stays false, and the text is in the report
  }
  const counts = countAudit(home);
  const report: ChaosReport = {
    options: o,
    sent,
    answersPerRequest,
    strayAnswers: wire.strays,
    outcomes,
    outcomesByServer,
    otherSamples,
    latenciesMs,
    wallMs,
    rssWarmupKb,
    rssEndKb,
    rssPeakKb,
    exit: { code: exit.code, signal: exit.signal },
    childrenSeen: pids.size,
    leftoverChildren,
    audit: {
      ...counts,
      verifyExit: verify.status,
      verifyOk: verify.status === 0 && verifyOk,
      verifyRecords,
      verifyText: (verify.stdout + verify.stderr).slice(0, 2000),
    },
    stderr: gw.stderr(),
  };
  if (leftoverChildren.length === 0) fs.rmSync(home, { recursive: true, force: true });
  return report;
}

/** The calls the hanging upstream must have left unanswered: it is never restarted, so it counts all its calls. */
export function expectedTimeouts(r: ChaosReport): number {
  return Math.floor(r.sent.hangy / r.options.hangEvery);
}

/**
 * The invariants of the issue that do not depend on the machine's speed, as a list of broken rules (empty when all
 * hold). RSS is judged separately (`rssWithin`), since a short run has no steady state to compare with.
 */
export function invariants(r: ChaosReport): string[] {
  const broken: string[] = [];
  const once = r.answersPerRequest.get(1) ?? 0;
  if (once !== r.options.calls)
    broken.push(
      `every request exactly one answer: ${once} of ${r.options.calls} (${describeAnswers(r.answersPerRequest)})`,
    );
  if (r.strayAnswers > 0) broken.push(`${r.strayAnswers} answers to ids never sent`);
  if (r.outcomes.other > 0) broken.push(`${r.outcomes.other} answers neither ok, crash nor timeout`);
  if (r.outcomesByServer.steady.ok !== r.sent.steady) broken.push('the steady upstream did not answer every call');
  if (r.outcomes.timeout !== expectedTimeouts(r))
    broken.push(
      `timeouts: ${r.outcomes.timeout}, expected ${expectedTimeouts(r)} (one per ${r.options.hangEvery} calls)`,
    );
  if (r.sent.crashy >= r.options.crashEvery && (r.audit.restarted < 1 || r.outcomes.crashed < r.audit.crashed))
    broken.push(
      `crashes: ${r.audit.crashed} upstream crashes, ${r.audit.restarted} restarts, ${r.outcomes.crashed} crash errors`,
    );
  if (r.exit.code !== 0 || r.exit.signal !== null)
    broken.push(`gateway exit: code ${r.exit.code}, signal ${r.exit.signal}`);
  if (r.leftoverChildren.length > 0) broken.push(`child processes left: ${r.leftoverChildren.join(', ')}`);
  if (r.audit.callRecords !== r.options.calls)
    broken.push(`audit call records: ${r.audit.callRecords} for ${r.options.calls} calls`);
  if (!r.audit.verifyOk) broken.push(`audit verify failed (exit ${r.audit.verifyExit}): ${r.audit.verifyText}`);
  return broken;
}

/** RSS at the end within `limit` (0.15) of RSS after warm-up. */
export function rssRatio(r: ChaosReport): number {
  return r.rssEndKb / r.rssWarmupKb;
}

export function describeAnswers(m: Map<number, number>): string {
  return [...m.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([answers, ids]) => `${ids} ids × ${answers}`)
    .join(', ');
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
