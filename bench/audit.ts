/**
 * In-process figures for the audit log (issue 7), printed by `npm run bench`: what recording one call costs (the
 * median time from a call's end to its answer being released, which covers building the record, redacting the
 * arguments, sealing it into the chain and, in `always` mode, waiting for its fsync), in `batched` and `always`
 * modes, the amortised cost including the batched writes, and the size of a typical call record.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createChain } from '../src/audit/chain.js';
import { createRedactor } from '../src/audit/redact.js';
import { AuditSink } from '../src/audit/sink.js';
import { AuditWriter } from '../src/audit/writer.js';
import { silentLogger } from '../src/log.js';
import { LOCAL_PRINCIPAL, type StageRecord } from '../src/pipeline/types.js';

const N = Number(process.env.BENCH_AUDIT_CALLS ?? 3000);

/** The trail of an allowed call through the default policy. */
const TRAIL: StageRecord[] = [
  ['size', 'input-guardrail'],
  ['guardrails', 'input-guardrail'],
  ['schema', 'parameter-check'],
  ['arguments', 'parameter-check'],
  ['data-flow', 'parameter-check'],
  ['rate-limit', 'parameter-check'],
  ['size', 'output-guardrail'],
  ['guardrails', 'output-guardrail'],
  ['restore', 'output-guardrail'],
].map(([stage, slot]) => ({
  stage: stage!,
  slot: slot as StageRecord['slot'],
  action: 'allow',
  enforced: true,
  ms: 0.012,
}));

const RESULT = {
  content: [{ type: 'text' as const, text: 'Contents of notes.txt: meeting moved to Thursday, 10:00.' }],
};

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function run(fsync: 'batched' | 'always', dir: string) {
  const file = path.join(dir, `audit-${fsync}.jsonl`);
  const writer = new AuditWriter({
    file,
    chain: createChain(),
    fsync,
    fsyncIntervalMs: 200,
    maxFileBytes: 64 * 1024 * 1024,
    log: silentLogger(),
  });
  const sink = new AuditSink({
    writer,
    required: false,
    fsync,
    redactor: createRedactor(),
    argumentsMode: 'redacted',
    log: silentLogger(),
  });
  const unaudited = () => RESULT;
  const one = async (i: number) => {
    const audit = sink.beginCall({
      exposed: 'fs__read_text_file',
      arguments: { path: `/home/alice/project/notes-${i}.txt`, head: 20 },
      sessionId: 'bench',
      principal: LOCAL_PRINCIPAL,
    });
    audit.routed('fs', 'read_text_file');
    audit.observe({
      kind: 'allowed',
      result: RESULT,
      trail: TRAIL,
      upstream: { start: Date.now(), ms: 1, failed: false },
    });
    const done = Promise.resolve(RESULT);
    const t0 = performance.now();
    await audit.settle(done, unaudited);
    return performance.now() - t0;
  };
  for (let i = 0; i < 200; i++) await one(i); // warm-up
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) times.push(await one(i));
  await writer.flush();
  const total = performance.now() - t0;
  await sink.close();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  return {
    medianUs: median(times) * 1000,
    amortisedUs: (total / N) * 1000,
    bytes: median(lines.map((l) => Buffer.byteLength(l) + 1)),
  };
}

export async function benchAudit(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-audit-'));
  try {
    const batched = await run('batched', dir);
    const always = await run('always', dir);
    const f = (n: number) => n.toFixed(1).padStart(9);
    return [
      `audit log (${N} calls, in process, log in ${dir})`,
      `  mode       median µs/call  amortised µs/call (incl. writes)`,
      `  batched    ${f(batched.medianUs)}       ${f(batched.amortisedUs)}`,
      `  always     ${f(always.medianUs)}       ${f(always.amortisedUs)}`,
      `  call record size: ${batched.bytes} bytes (median, one allowed call with 9 stages)`,
    ].join('\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchAudit());
