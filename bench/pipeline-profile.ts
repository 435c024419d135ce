/**
 * Where the guardrail pipeline spends its time (`npx tsx bench/pipeline-profile.ts`): for every local detector that
 * the default policy runs (injection, PII, secrets, keywords, toxicity when a policy turns it on) and for the size
 * guard, the median µs per KB over each input set (CyberSecEval, NotInject, WildGuard benign) and the ms to scan the
 * same 1 MB tool output as `npm run eval` (clean BIPIA contexts joined), then the whole input and output pipelines.
 * The figures are the ones `npm run eval` checks against the issue 16 targets, split per detector so that the cost
 * is visible; run it with `node --cpu-prof --import tsx bench/pipeline-profile.ts` to find the hot spots.
 *
 * The data is read from ../shared/datasets (or $SMG_DATASETS), as eval.ts does; nothing is copied. Flags: `--only=<detector,…>` times
 * only those detectors (a profile of one), `--toxicity` adds the opt-in toxicity detector, `--rounds=N` repeats the
 * 1 MB scan N times (default 7, the first two are warm-up).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_POLICY } from '../src/config/schema.js';
import { buildGuardrails } from '../src/guardrails/registry.js';
import { jsonBytes } from '../src/guardrails/size.js';
import type { Detector, Where } from '../src/guardrails/types.js';
import { megabyteOf } from './train/measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// SMG_DATASETS points elsewhere (a git worktree sits one level deeper than the checkout).
const DATA = process.env.SMG_DATASETS ?? path.join(ROOT, '..', 'shared', 'datasets');
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ONLY = arg('only')?.split(',');
const WITH_TOXICITY = process.argv.includes('--toxicity');
const ROUNDS = Math.max(3, Number(arg('rounds') ?? 7));

if (!fs.existsSync(DATA)) {
  console.error(`pipeline-profile: the datasets are missing; expected them in ${DATA}.`);
  process.exit(1);
}

const readJson = (rel: string): unknown => JSON.parse(fs.readFileSync(path.join(DATA, rel), 'utf8'));
const readJsonl = (rel: string): Record<string, unknown>[] =>
  fs
    .readFileSync(path.join(DATA, rel), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const inputSets: Record<string, string[]> = {
  CyberSecEval: (readJson('cyberseceval-prompt-injection/prompt_injection.json') as { user_input: string }[]).map(
    (r) => r.user_input,
  ),
  NotInject: ['NotInject_one.json', 'NotInject_two.json'].flatMap((f) =>
    (readJson(`injecguard/${f}`) as { prompt: string }[]).map((r) => r.prompt),
  ),
  WildGuard: (readJson('injecguard/wildguard.json') as { prompt: string; label: number }[])
    .filter((r) => r.label === 0)
    .map((r) => r.prompt),
};

/** The same 1 MB text as eval.ts's timeOneMb(): the clean BIPIA contexts (email, table, code) joined. */
function oneMbText(): string {
  const contexts = (['email', 'table', 'code'] as const).flatMap((task) =>
    readJsonl(`bipia/benchmark/${task}/train.jsonl`).map((row) =>
      Array.isArray(row.context) ? row.context.join('\n') : String(row.context),
    ),
  );
  return megabyteOf(contexts);
}

/** Median µs per KB over a set, each text timed in a batch of repeats so that tiny texts measure (as eval.ts). */
function usPerKb(d: Detector, where: Where, texts: string[]): number {
  for (const t of texts.slice(0, 50)) d.scan(t, where);
  const perKb: number[] = [];
  for (const t of texts) {
    const reps = Math.max(1, Math.min(50, Math.ceil(4096 / Math.max(1, t.length))));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) d.scan(t, where);
    const us = ((performance.now() - t0) * 1000) / reps;
    perKb.push(us / Math.max(Buffer.byteLength(t, 'utf8') / 1024, 1 / 1024));
  }
  return median(perKb);
}

function msOnce(d: Detector, text: string): { ms: number; detections: number } {
  let detections = 0;
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    detections = d.scan(text, 'output').length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times.slice(2)), detections };
}

function main(): void {
  const policy = WITH_TOXICITY
    ? {
        ...DEFAULT_POLICY,
        input: { ...DEFAULT_POLICY.input, toxicity: 'warn' as const },
        output: { ...DEFAULT_POLICY.output, toxicity: 'warn' as const },
      }
    : DEFAULT_POLICY;
  const g = buildGuardrails(policy);
  const on = (rules: typeof g.input.rules) =>
    rules.filter((r) => r.action !== 'off' && (!ONLY || ONLY.includes(r.detector.id)));
  const input = on(g.input.rules);
  const output = on(g.output.rules);
  // The size guard is a stage, not a detector: what it costs is one JSON serialisation of the message.
  const size: Detector = {
    id: 'size',
    scan: (t) => (jsonBytes({ content: [{ type: 'text', text: t }] }) < 0 ? [] : []),
  };
  const big = oneMbText();
  const setNames = Object.keys(inputSets);
  console.log(
    `# Guardrail pipeline profile  (1 MB text: ${(Buffer.byteLength(big) / 1048576).toFixed(2)} MB of clean BIPIA ` +
      `contexts; load ${fs.existsSync('/proc/loadavg') ? fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : '?'})`,
  );
  console.log(`| detector | ${setNames.map((n) => `${n} µs/KB`).join(' | ')} | 1 MB output ms | detections on 1 MB |`);
  console.log(`| --- | ${setNames.map(() => '---:').join(' | ')} | ---: | ---: |`);
  const row = (name: string, dIn: Detector | undefined, dOut: Detector | undefined): void => {
    const us = setNames.map((n) => (dIn ? usPerKb(dIn, 'input', inputSets[n]!).toFixed(1) : '—'));
    const mb = dOut ? msOnce(dOut, big) : undefined;
    console.log(`| ${name} | ${us.join(' | ')} | ${mb ? mb.ms.toFixed(1) : '—'} | ${mb ? mb.detections : '—'} |`);
  };
  const ids = [...new Set([...input, ...output].map((r) => r.detector.id))];
  for (const id of ids) {
    row(id, input.find((r) => r.detector.id === id)?.detector, output.find((r) => r.detector.id === id)?.detector);
  }
  if (!ONLY || ONLY.includes('size')) row('size (JSON bytes)', size, size);
  const whole = (rules: typeof input, dir: string): Detector => ({
    id: `pipeline-${dir}`,
    scan: (t, w) => rules.flatMap((r) => r.detector.scan(t, w)),
  });
  row(`**whole pipeline** (${ids.join(', ')})`, whole(input, 'input'), whole(output, 'output'));
}

main();
