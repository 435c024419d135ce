/**
 * `npm run bench:chaos` (issue 9, item 4): chaos and soak. 20,000 `tools/call` at concurrency 50 through the built
 * gateway, spread over three upstreams: a steady one, one that crashes every 1,000 calls it receives and one that
 * never answers every 500th call (its timeoutMs is 1.5 s, so those calls end with the gateway's timeout error).
 * Invariants: every request gets exactly one answer; the steady upstream answers every call; one timeout per 500
 * calls to the hanging one; the crashing one is restarted; the gateway's RSS after the run is within 15% of its RSS
 * after a 1,000-call warm-up; the audit log has one call record per call and `audit verify` passes; the gateway
 * exits 0 on stdin EOF and leaves no child process. Prints the figures; exits 1 when an invariant fails.
 *
 * A benchmark, not a timed test: wall time, throughput and latency depend on the machine and are only reported.
 * Env: CHAOS_CALLS (20000), CHAOS_CONCURRENCY (50), CHAOS_WARMUP (1000), CHAOS_CRASH_EVERY (1000),
 * CHAOS_HANG_EVERY (500), CHAOS_HANG_TIMEOUT_MS (1500);
 * CHAOS_NODE_OPTIONS is passed to the gateway as NODE_OPTIONS.
 */
import os from 'node:os';
import {
  describeAnswers,
  expectedTimeouts,
  invariants,
  percentile,
  rssRatio,
  runChaos,
  SERVERS,
  type ChaosOptions,
} from '../test/helpers/chaos.js';
import { intEnv } from './env.js';

const RSS_LIMIT = 0.15;

async function main(): Promise<number> {
  const options: ChaosOptions = {
    calls: intEnv('CHAOS_CALLS', 20_000),
    concurrency: intEnv('CHAOS_CONCURRENCY', 50),
    warmupCalls: intEnv('CHAOS_WARMUP', 1000),
    crashEvery: intEnv('CHAOS_CRASH_EVERY', 1000),
    hangEvery: intEnv('CHAOS_HANG_EVERY', 500),
    hangTimeoutMs: intEnv('CHAOS_HANG_TIMEOUT_MS', 1500),
    ...(process.env.CHAOS_NODE_OPTIONS ? { gatewayEnv: { NODE_OPTIONS: process.env.CHAOS_NODE_OPTIONS } } : {}),
    onProgress: (n) => {
      if (n % 5000 === 0) process.stderr.write(`  … ${n} calls answered\n`);
    },
  };
  process.stderr.write(
    `bench:chaos: ${options.calls} calls at concurrency ${options.concurrency} (warm-up ${options.warmupCalls})\n`,
  );
  const r = await runChaos(options);

  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
  const ratio = rssRatio(r);
  const rssOk = Math.abs(ratio - 1) <= RSS_LIMIT;
  const o = r.outcomes;
  const rows: [string, string][] = [
    ['calls', `${options.calls} (${SERVERS.map((s) => `${s} ${r.sent[s]}`).join(', ')})`],
    ['concurrency', String(options.concurrency)],
    [
      'chaos',
      `crashy exits every ${options.crashEvery} calls; hangy hangs every ${options.hangEvery} (timeout ${options.hangTimeoutMs} ms)`,
    ],
    ['wall time', `${(r.wallMs / 1000).toFixed(2)} s`],
    ['throughput', `${(options.calls / (r.wallMs / 1000)).toFixed(0)} calls/s`],
    [
      'latency p50 / p99 / max',
      `${ms(percentile(sorted, 50))} / ${ms(percentile(sorted, 99))} / ${ms(sorted.at(-1) ?? NaN)}`,
    ],
    ['answers per request', `${describeAnswers(r.answersPerRequest)}; stray answers ${r.strayAnswers}`],
    ['outcomes', `ok ${o.ok}, upstream crashed ${o.crashed}, timeout ${o.timeout}, other ${o.other}`],
    ...SERVERS.map((s): [string, string] => {
      const b = r.outcomesByServer[s];
      return [`  ${s}`, `ok ${b.ok}, crashed ${b.crashed}, timeout ${b.timeout}, other ${b.other}`];
    }),
    ['timeouts expected', String(expectedTimeouts(r))],
    ['upstream crashes / restarts', `${r.audit.crashed} / ${r.audit.restarted} (audit log)`],
    ['RSS warm-up → end (peak)', `${mb(r.rssWarmupKb)} → ${mb(r.rssEndKb)} (${mb(r.rssPeakKb)})`],
    ['RSS end ÷ warm-up', `×${ratio.toFixed(3)} (limit ×${(1 - RSS_LIMIT).toFixed(2)}–×${(1 + RSS_LIMIT).toFixed(2)})`],
    ['audit call records', `${r.audit.callRecords} for ${options.calls} calls`],
    [
      'audit verify',
      `${r.audit.verifyOk ? 'ok' : 'FAILED'} (exit ${r.audit.verifyExit}, ${r.audit.verifyRecords} records)`,
    ],
    ['gateway exit', `code ${r.exit.code}${r.exit.signal ? `, signal ${r.exit.signal}` : ''}`],
    ['children seen / left', `${r.childrenSeen} / ${r.leftoverChildren.length}`],
  ];
  process.stdout.write(`bench:chaos (${os.cpus().length} CPUs, Node ${process.version})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(28)} ${v}\n`);
  for (const s of r.otherSamples) process.stdout.write(`  other: ${s}\n`);

  const broken = invariants(r);
  if (!rssOk) broken.push(`RSS at the end is ×${ratio.toFixed(3)} of RSS after warm-up (limit ±${RSS_LIMIT * 100}%)`);
  if (broken.length === 0) {
    process.stdout.write('PASS: every invariant holds\n');
    return 0;
  }
  for (const b of broken) process.stdout.write(`FAIL: ${b}\n`);
  if (r.stderr) process.stdout.write(`gateway stderr (last 2000 chars):\n${r.stderr.slice(-2000)}\n`);
  return 1;
}

process.exitCode = await main();
