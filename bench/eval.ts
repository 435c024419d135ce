/**
 * Detector quality on the shared development sets (`npm run eval`). One table per set: positives, recall,
 * negatives, false-positive rate and the median scan time per KB; then the PII recall per entity when pii.ts exists,
 * the time to scan one 1 MB tool output, and the targets with PASS/FAIL.
 *
 * The data lives beside the repository, in ../shared/datasets (see its README); it is read, never copied.
 * BIPIA positives are built here: a clean context with one attack instruction inserted at the start, the end or a
 * random line, drawn with a seeded PRNG so that every run measures the same texts (EVAL_SEED, EVAL_PAIRS per task).
 *
 * Flags: --misses prints every missed positive and flagged negative (first 200 characters), to study the rules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_POLICY } from '../src/config/schema.js';
import { createInjectionDetector } from '../src/guardrails/injection.js';
import { buildGuardrails } from '../src/guardrails/registry.js';
import type { Detection, Detector, Where } from '../src/guardrails/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.join(ROOT, '..', 'shared', 'datasets');
const SHOW_MISSES = process.argv.includes('--misses');
const SEED = Number(process.env.EVAL_SEED ?? 20240611);
const PAIRS_PER_TASK = Number(process.env.EVAL_PAIRS ?? 1000);

const TARGETS = {
  bipiaRecall: 0.9,
  bipiaFpr: 0.01,
  cyberSecEvalRecall: 0.85,
  notInjectFpr: 0.03,
  wildGuardFpr: 0.02,
  oneMbMs: 20,
  inputUsPerKb: 100,
  piiCleanAltered: 0,
};

if (!fs.existsSync(DATA)) {
  console.error(`eval: the datasets are missing; expected them in ${DATA} (see the shared datasets README).`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** mulberry32: a small seeded PRNG, so that the sampled BIPIA pairs are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readJson(rel: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(DATA, rel), 'utf8'));
}

function readJsonl(rel: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(DATA, rel), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const pct = (x: number): string => (Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)}%`);
const clip = (s: string, n = 200): string => {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > n ? `${flat.slice(0, n)}…` : flat;
};

interface Sample {
  text: string;
  positive: boolean;
  label?: string;
}

interface SetResult {
  name: string;
  profile: Where;
  positives: number;
  found: number;
  negatives: number;
  flagged: number;
  usPerKb: number;
  byLabel: Map<string, { n: number; found: number }>;
  rules: Map<string, number>;
}

/** Scans every sample once (after one warm-up pass), timing each scan. */
function runSet(name: string, profile: Where, samples: Sample[], detector: Detector): SetResult {
  for (const s of samples.slice(0, 50)) detector.scan(s.text, profile);
  const res: SetResult = {
    name,
    profile,
    positives: 0,
    found: 0,
    negatives: 0,
    flagged: 0,
    usPerKb: 0,
    byLabel: new Map(),
    rules: new Map(),
  };
  const perKb: number[] = [];
  const misses: string[] = [];
  for (const s of samples) {
    const t0 = performance.now();
    const detections: Detection[] = detector.scan(s.text, profile);
    const us = (performance.now() - t0) * 1000;
    perKb.push(us / Math.max(Buffer.byteLength(s.text, 'utf8') / 1024, 1 / 1024));
    const hit = detections.length > 0;
    for (const d of detections) res.rules.set(d.rule, (res.rules.get(d.rule) ?? 0) + 1);
    if (s.positive) {
      res.positives++;
      if (hit) res.found++;
      else misses.push(`  MISS ${s.label ? `[${s.label}] ` : ''}${clip(s.text)}`);
      if (s.label) {
        const l = res.byLabel.get(s.label) ?? { n: 0, found: 0 };
        l.n++;
        if (hit) l.found++;
        res.byLabel.set(s.label, l);
      }
    } else {
      res.negatives++;
      if (hit) {
        res.flagged++;
        const why = detections.map((d) => `${d.rule}(${d.score}): ${d.excerpt}`).join(' | ');
        misses.push(`  FP   ${clip(s.text)}\n       → ${why}`);
      }
    }
  }
  res.usPerKb = median(perKb);
  if (SHOW_MISSES && misses.length > 0) console.log(`\n${name}: misses and false positives\n${misses.join('\n')}`);
  return res;
}

function printTable(r: SetResult): void {
  const recall = r.positives ? r.found / r.positives : NaN;
  const fpr = r.negatives ? r.flagged / r.negatives : NaN;
  console.log(`\n## ${r.name}  (profile '${r.profile}')`);
  console.log('| positives | recall | negatives | false positives | median µs/KB |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${r.positives} | ${r.positives ? `${pct(recall)} (${r.found})` : '—'} | ${r.negatives} | ${
      r.negatives ? `${pct(fpr)} (${r.flagged})` : '—'
    } | ${r.usPerKb.toFixed(1)} |`,
  );
  if (r.byLabel.size > 0) {
    const rows = [...r.byLabel].sort((a, b) => a[1].found / a[1].n - b[1].found / b[1].n);
    console.log(`  recall by kind: ${rows.map(([k, v]) => `${k} ${v.found}/${v.n}`).join(', ')}`);
  }
  if (r.rules.size > 0) {
    const rows = [...r.rules].sort((a, b) => b[1] - a[1]);
    console.log(`  rules fired: ${rows.map(([k, v]) => `${k.replace('injection.', '')} ${v}`).join(', ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sets

function contextText(row: Record<string, unknown>): string {
  const c = row.context;
  return Array.isArray(c) ? c.join('\n') : String(c);
}

function insertAttack(context: string, attack: string, rand: () => number): { text: string; where: string } {
  const roll = rand();
  if (roll < 1 / 3) return { text: `${attack}\n${context}`, where: 'start' };
  if (roll < 2 / 3) return { text: `${context}\n${attack}`, where: 'end' };
  const lines = context.split('\n');
  const at = Math.floor(rand() * (lines.length + 1));
  lines.splice(at, 0, attack);
  return { text: lines.join('\n'), where: 'line' };
}

function bipia(): { samples: Sample[]; cleanContexts: string[] } {
  const rand = prng(SEED);
  const flatten = (o: unknown): { category: string; text: string }[] =>
    Object.entries(o as Record<string, string[]>).flatMap(([category, list]) =>
      list.map((text) => ({ category, text })),
    );
  const textAttacks = flatten(readJson('bipia/benchmark/text_attack_train.json'));
  const codeAttacks = flatten(readJson('bipia/benchmark/code_attack_train.json'));
  const samples: Sample[] = [];
  const cleanContexts: string[] = [];
  for (const task of ['email', 'table', 'code'] as const) {
    const contexts = readJsonl(`bipia/benchmark/${task}/train.jsonl`).map(contextText);
    const attacks = task === 'code' ? codeAttacks : textAttacks;
    for (const context of contexts) {
      cleanContexts.push(context);
      samples.push({ text: context, positive: false });
    }
    for (let i = 0; i < PAIRS_PER_TASK; i++) {
      const context = contexts[Math.floor(rand() * contexts.length)]!;
      const attack = attacks[Math.floor(rand() * attacks.length)]!;
      const { text } = insertAttack(context, attack.text, rand);
      samples.push({ text, positive: true, label: `${task}/${attack.category}` });
    }
  }
  return { samples, cleanContexts };
}

function cyberSecEval(): Sample[] {
  const rows = readJson('cyberseceval-prompt-injection/prompt_injection.json') as {
    user_input: string;
    injection_variant: string;
  }[];
  return rows.map((r) => ({ text: r.user_input, positive: true, label: r.injection_variant }));
}

function notInject(): Sample[] {
  return ['NotInject_one.json', 'NotInject_two.json'].flatMap((f) =>
    (readJson(`injecguard/${f}`) as { prompt: string }[]).map((r) => ({ text: r.prompt, positive: false })),
  );
}

function wildGuardBenign(): Sample[] {
  return (readJson('injecguard/wildguard.json') as { prompt: string; label: number }[])
    .filter((r) => r.label === 0)
    .map((r) => ({ text: r.prompt, positive: false }));
}

/**
 * Not a shared set: the READMEs of the installed packages, as a tool that reads files would return them. Technical
 * prose full of imperatives ("add the following to your config", "you must", "ignore") that must not be flagged;
 * a guard against rules that only fit the benign side of the shared sets. Reported, without a target.
 */
function localReadmes(): Sample[] {
  const dir = path.join(ROOT, 'node_modules');
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  const visit = (d: string, depth: number): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory() && depth < 2 && entry.name !== '.bin') visit(full, depth + 1);
      else if (entry.isFile() && /^readme\.md$/i.test(entry.name)) files.push(full);
    }
  };
  visit(dir, 0);
  return files.map((f) => ({ text: fs.readFileSync(f, 'utf8').slice(0, 64 * 1024), positive: false, label: f }));
}

// ---------------------------------------------------------------------------------------------------------------
// PII (only once src/guardrails/pii.ts exists)

const PRESIDIO_TO_ENTITY: Record<string, string> = {
  EMAIL_ADDRESS: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  CREDIT_CARD: 'CARD',
  IBAN_CODE: 'IBAN',
  US_SSN: 'SSN',
  IP_ADDRESS: 'IP',
};

interface PiiResult {
  perEntity: Map<string, { n: number; found: number }>;
  cleanSentences: number;
  cleanAltered: number;
  noRelevant: number;
  noRelevantAltered: number;
  usPerKb: number;
}

async function loadPii(): Promise<Detector | undefined> {
  const file = path.join(ROOT, 'src', 'guardrails', 'pii.ts');
  if (!fs.existsSync(file)) return undefined;
  try {
    // A computed specifier keeps eval.ts type-checking before pii.ts lands.
    const specifier = '../src/guardrails/pii.js';
    const mod = (await import(specifier)) as { createPiiDetector?: (opts?: unknown) => Detector };
    if (typeof mod.createPiiDetector !== 'function') return undefined;
    const detector = mod.createPiiDetector();
    return detector.id === 'pii' ? detector : undefined;
  } catch (err) {
    console.error(`pii: failed to load (${(err as Error).message})`);
    return undefined;
  }
}

function runPii(detector: Detector): PiiResult {
  const rows = readJson('presidio-synth/synth_dataset_v2.json') as {
    full_text: string;
    spans: { entity_type: string; start_position: number; end_position: number }[];
  }[];
  const res: PiiResult = {
    perEntity: new Map(Object.values(PRESIDIO_TO_ENTITY).map((e) => [e, { n: 0, found: 0 }])),
    cleanSentences: 0,
    cleanAltered: 0,
    noRelevant: 0,
    noRelevantAltered: 0,
    usPerKb: 0,
  };
  const perKb: number[] = [];
  const misses: string[] = [];
  for (const row of rows) {
    const t0 = performance.now();
    const detections = detector.scan(row.full_text, 'input');
    perKb.push(((performance.now() - t0) * 1000) / Math.max(Buffer.byteLength(row.full_text) / 1024, 1 / 1024));
    const altering = detections.filter((d) => d.start !== undefined && d.end !== undefined);
    const relevant = row.spans.filter((s) => s.entity_type in PRESIDIO_TO_ENTITY);
    for (const span of relevant) {
      const entity = PRESIDIO_TO_ENTITY[span.entity_type]!;
      const stat = res.perEntity.get(entity)!;
      stat.n++;
      const found = altering.some(
        (d) => d.entity === entity && d.start! < span.end_position && d.end! > span.start_position,
      );
      if (found) stat.found++;
      else misses.push(`  MISS ${entity}: ${row.full_text.slice(span.start_position, span.end_position)}`);
    }
    if (row.spans.length === 0) {
      res.cleanSentences++;
      if (altering.length > 0) {
        res.cleanAltered++;
        misses.push(`  FP   ${clip(row.full_text)} → ${altering.map((d) => d.entity ?? d.rule).join(', ')}`);
      }
    }
    if (relevant.length === 0) {
      res.noRelevant++;
      if (altering.length > 0) res.noRelevantAltered++;
    }
  }
  res.usPerKb = median(perKb);
  if (SHOW_MISSES && misses.length > 0) console.log(`\npii: misses and false positives\n${misses.join('\n')}`);
  return res;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Every local detector that the default policy runs in one direction (injection, PII, secrets, keywords; toxicity is
 * off by default), as one detector: what a call really pays for, which the speed targets are about.
 */
function pipeline(direction: 'input' | 'output'): Detector {
  const rules = buildGuardrails(DEFAULT_POLICY)[direction].rules.filter((r) => r.action !== 'off');
  return { id: `pipeline-${direction}`, scan: (text, where) => rules.flatMap((r) => r.detector.scan(text, where)) };
}

/** Median µs per KB of a detector over a set, each sample timed in a batch of repeats so that tiny texts measure. */
function usPerKb(detector: Detector, profile: Where, samples: Sample[]): number {
  const perKb: number[] = [];
  for (const s of samples.slice(0, 50)) detector.scan(s.text, profile);
  for (const s of samples) {
    const reps = Math.max(1, Math.min(50, Math.ceil(4096 / Math.max(1, s.text.length))));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) detector.scan(s.text, profile);
    const us = ((performance.now() - t0) * 1000) / reps;
    perKb.push(us / Math.max(Buffer.byteLength(s.text, 'utf8') / 1024, 1 / 1024));
  }
  return median(perKb);
}

function timeOneMb(detector: Detector, contexts: string[]): { ms: number; bytes: number; detections: number } {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const c = contexts[i % contexts.length]!;
    parts.push(c);
    size += c.length + 2;
  }
  const text = parts.join('\n\n');
  let detections = 0;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    detections = detector.scan(text, 'output').length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times.slice(2)), bytes: Buffer.byteLength(text, 'utf8'), detections };
}

async function main(): Promise<void> {
  const detector = createInjectionDetector();
  console.log(`# Detector evaluation  (datasets: ${DATA}; seed ${SEED}, ${PAIRS_PER_TASK} BIPIA pairs per task)`);

  const { samples: bipiaSamples, cleanContexts } = bipia();
  const results = {
    bipia: runSet('BIPIA indirect injection (email, table, code)', 'output', bipiaSamples, detector),
    cse: runSet('CyberSecEval prompt injection (user_input)', 'input', cyberSecEval(), detector),
    notInject: runSet('NotInject one + two (benign, trigger words)', 'input', notInject(), detector),
    wildGuard: runSet('WildGuard benign prompts', 'input', wildGuardBenign(), detector),
    readmes: runSet('node_modules READMEs (local, benign tool output; no target)', 'output', localReadmes(), detector),
  };
  for (const r of Object.values(results)) printTable(r);

  const pii = await loadPii();
  let piiResult: PiiResult | undefined;
  if (pii) {
    piiResult = runPii(pii);
    console.log(`\n## Presidio synthetic PII  (profile 'input')`);
    console.log('| entity | spans | recall |');
    console.log('| --- | ---: | ---: |');
    for (const [entity, s] of piiResult.perEntity) {
      console.log(`| ${entity} | ${s.n} | ${s.n ? `${pct(s.found / s.n)} (${s.found})` : '—'} |`);
    }
    console.log(
      `  sentences without spans altered: ${piiResult.cleanAltered}/${piiResult.cleanSentences}; ` +
        `without EMAIL/PHONE/CARD/IBAN/SSN/IP spans altered: ${piiResult.noRelevantAltered}/${piiResult.noRelevant}; ` +
        `median ${piiResult.usPerKb.toFixed(1)} µs/KB`,
    );
  } else {
    console.log('\npii: not available yet');
  }

  const oneMb = timeOneMb(detector, cleanContexts);
  const outputPipeline = pipeline('output');
  const oneMbAll = timeOneMb(outputPipeline, cleanContexts);
  console.log(
    `\n## Speed\n  1 MB tool output (${(oneMb.bytes / 1024 / 1024).toFixed(2)} MB of clean BIPIA contexts, 'output'): ` +
      `injection ${oneMb.ms.toFixed(1)} ms median, ${oneMb.detections} detections; ` +
      `whole output pipeline (${outputPipeline.id}: injection, PII, secrets, keywords) ${oneMbAll.ms.toFixed(1)} ms, ` +
      `${oneMbAll.detections} detections`,
  );
  for (const r of Object.values(results)) console.log(`  ${r.name}: injection median ${r.usPerKb.toFixed(1)} µs/KB`);
  const inputPipeline = pipeline('input');
  const inputSets = { cse: cyberSecEval(), notInject: notInject(), wildGuard: wildGuardBenign() };
  const pipelineUs = Object.values(inputSets).map((set) => usPerKb(inputPipeline, 'input', set));
  console.log(
    `  whole input pipeline (injection, PII, secrets, keywords), median µs/KB over each input set, repeated: ` +
      pipelineUs.map((u) => u.toFixed(1)).join(' / '),
  );

  const rate = (r: SetResult, positive: boolean): number =>
    positive ? r.found / Math.max(1, r.positives) : r.flagged / Math.max(1, r.negatives);
  const inputUsPerKb = median(pipelineUs);
  const checks: [string, boolean, string][] = [
    ['BIPIA recall ≥ 90%', rate(results.bipia, true) >= TARGETS.bipiaRecall, pct(rate(results.bipia, true))],
    ['BIPIA clean flagged ≤ 1%', rate(results.bipia, false) <= TARGETS.bipiaFpr, pct(rate(results.bipia, false))],
    ['CyberSecEval recall ≥ 85%', rate(results.cse, true) >= TARGETS.cyberSecEvalRecall, pct(rate(results.cse, true))],
    ['NotInject FPR ≤ 3%', rate(results.notInject, false) <= TARGETS.notInjectFpr, pct(rate(results.notInject, false))],
    ['WildGuard FPR ≤ 2%', rate(results.wildGuard, false) <= TARGETS.wildGuardFpr, pct(rate(results.wildGuard, false))],
    ['1 MB output ≤ 20 ms (whole pipeline)', oneMbAll.ms <= TARGETS.oneMbMs, `${oneMbAll.ms.toFixed(1)} ms`],
    ['input pipeline median ≤ 100 µs/KB', inputUsPerKb <= TARGETS.inputUsPerKb, `${inputUsPerKb.toFixed(1)} µs/KB`],
  ];
  if (piiResult) {
    checks.push([
      'PII: clean sentences altered = 0',
      piiResult.cleanAltered <= TARGETS.piiCleanAltered,
      `${piiResult.cleanAltered}`,
    ]);
  }
  console.log('\n## Targets');
  for (const [name, ok, value] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(34)} ${value}`);
}

await main();
