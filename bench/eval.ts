/**
 * Detector quality on the shared development sets (`npm run eval`), measured the honest way (issue 16): by source
 * and split, never by row alone.
 *
 * - **By source and split**: the gateway's injection detector as the default policy runs it (the rules and the
 *   learned model, `injection.model`), on the corpus of bench/train/corpus.ts. `dev` is the test split of the
 *   categories the shipped model trained on (in distribution); `held-out` are whole attack categories it never saw
 *   (corpus.ts HELD_OUT). Rules alone and the model alone are shown beside it.
 * - **Leave one source out**: for each source of positives, a model trained (same seed, same recipe) without any
 *   document of that source or its family, calibrated without it, measured on all of it: the figure for a kind of
 *   attack, or of document, from somewhere new. Leave one language out likewise.
 * - **Languages**: recall on the multilingual direct injections and false positives on multilingual benign prompts.
 * - Tool descriptions (bench/eval-descriptions.ts, when present), PII, speed, memory, and the targets.
 *
 * The data lives beside the repository, in ../shared/datasets (see its README); it is read, never copied.
 * Flags: --misses prints missed positives and flagged negatives of the shipped detector; --quick skips the
 * leave-one-out trainings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_POLICY } from '../src/config/schema.js';
import { createInjectionDetector } from '../src/guardrails/injection.js';
import { scoreText, sharedModel, type InjectionModel } from '../src/guardrails/model/model.js';
import { buildGuardrails } from '../src/guardrails/registry.js';
import type { Detector, Where } from '../src/guardrails/types.js';
import { DATA, loadCorpus, ROOT, type Doc, type Split } from './train/corpus.js';
import { fpr, merge, pct, recall, type Cell, emptyCell, add, megabyteOf } from './train/measure.js';
import { DEFAULT_TRAIN, train } from './train/train.js';

const SHOW_MISSES = process.argv.includes('--misses');
const QUICK = process.argv.includes('--quick');
const SEED = Number(process.env.EVAL_SEED ?? DEFAULT_TRAIN.seed);

const TARGETS = {
  losoIndirectRecall: 0.9,
  losoIndirectFpr: 0.01,
  multilingualRecall: 0.8,
  englishRecall: 0.9,
  benignFpr: 0.02,
  descriptionsRecall: 0.95,
  descriptionsFpr: 0.01,
  oneMbMs: 20,
  inputUsPerKb: 100,
  modelRssMb: 30,
  piiCleanAltered: 0,
};

if (!fs.existsSync(DATA)) {
  console.error(`eval: the datasets are missing; expected them in ${DATA} (see the shared datasets README).`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function readJson(rel: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(DATA, rel), 'utf8'));
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const clip = (s: string, n = 200): string => {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > n ? `${flat.slice(0, n)}…` : flat;
};

interface Sample {
  text: string;
  positive: boolean;
  label?: string;
}

type Flag = (text: string, where: Where) => boolean;

const rulesOnly = createInjectionDetector({ model: { enabled: false } });
const shipped = createInjectionDetector();

function modelFlag(model: InjectionModel): Flag {
  return (text, where) => scoreText(model, text, where, model.header.thresholds[where]).hits.length > 0;
}

function either(a: Flag, b: Flag): Flag {
  return (text, where) => a(text, where) || b(text, where);
}

const detectorFlag =
  (d: Detector): Flag =>
  (text, where) =>
    d.scan(text, where).length > 0;

/** Families: sources that share their attacks are left out together. */
function family(source: string): string {
  if (source.endsWith('-planted') && source !== 'tasktracker-planted')
    return family(source.slice(0, -'-planted'.length));
  if (source.startsWith('tasktracker')) return source === 'tasktracker-tasks' ? source : 'tasktracker';
  if (source.startsWith('synthetic')) return 'synthetic';
  if (source === 'enkrypt-outputs' || source === 'enkrypt-tools') return 'enkrypt';
  return source;
}

function cellText(c: Cell | undefined): string {
  if (!c || c.positives + c.negatives === 0) return '—';
  if (c.positives > 0) return `${pct(recall(c))} of ${c.positives}`;
  return `FP ${pct(fpr(c))} of ${c.negatives}`;
}

// ---------------------------------------------------------------------------------------------------------------
// By source and split

interface SourceRow {
  source: string;
  where: Where;
  label: 0 | 1;
  cells: Record<'shipped' | 'rules' | 'model', Partial<Record<Split, Cell>>>;
}

function bySource(docs: Doc[], flags: Record<'shipped' | 'rules' | 'model', Flag>): SourceRow[] {
  const rows = new Map<string, SourceRow>();
  const misses: string[] = [];
  for (const d of docs) {
    if (d.split === 'train' || d.split === 'calib') continue;
    const key = `${d.source}/${d.label}`;
    let row = rows.get(key);
    if (!row) {
      row = { source: d.source, where: d.where, label: d.label, cells: { shipped: {}, rules: {}, model: {} } };
      rows.set(key, row);
    }
    for (const kind of ['shipped', 'rules', 'model'] as const) {
      const cell = (row.cells[kind][d.split] ??= emptyCell());
      const hit = flags[kind](d.text, d.where);
      add(cell, d.label, hit);
      if (SHOW_MISSES && kind === 'shipped' && hit !== (d.label === 1)) {
        misses.push(`  ${d.label ? 'MISS' : 'FP  '} [${d.source}/${d.category}/${d.split}] ${clip(d.text)}`);
      }
    }
  }
  if (misses.length > 0) console.log(`\nmisses and false positives of the shipped detector\n${misses.join('\n')}`);
  return [...rows.values()].sort(
    (a, b) => b.label - a.label || a.where.localeCompare(b.where) || a.source.localeCompare(b.source),
  );
}

function printBySource(rows: SourceRow[]): void {
  console.log('\n## Injection by source and split (rules + injection.model, default policy)');
  console.log('dev: the test split of categories the model trained on; held-out: whole categories it never saw.\n');
  console.log('| source | phase | dev | held-out | rules alone (dev / held-out) | model alone (dev / held-out) |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const c = r.cells;
    console.log(
      `| ${r.source} | ${r.where} | ${cellText(c.shipped.test)} | ${cellText(c.shipped.heldout)} | ` +
        `${cellText(c.rules.test)} / ${cellText(c.rules.heldout)} | ${cellText(c.model.test)} / ${cellText(c.model.heldout)} |`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Leave one out

interface LeaveOut {
  name: string;
  where: Where;
  all: Cell;
  modelAlone: Cell;
  /** The shipped detector on the same documents' dev + held-out splits, for comparison. */
}

function leaveOut(docs: Doc[], name: string, excluded: (d: Doc) => boolean, measured: (d: Doc) => boolean): LeaveOut {
  const t0 = Date.now();
  const { model } = train(docs, { ...DEFAULT_TRAIN, seed: SEED }, (d) => !excluded(d));
  const m = modelFlag(model);
  const both = either(detectorFlag(rulesOnly), m);
  const all = emptyCell();
  const alone = emptyCell();
  let where: Where = 'output';
  for (const d of docs) {
    if (!measured(d)) continue;
    where = d.where;
    add(all, d.label, both(d.text, d.where));
    add(alone, d.label, m(d.text, d.where));
  }
  console.error(`  left out ${name}: ${Date.now() - t0} ms`);
  return { name, where, all, modelAlone: alone };
}

function printLeaveOut(title: string, rows: LeaveOut[]): void {
  console.log(`\n## ${title}`);
  console.log('| left out | phase | recall (rules + model) | FP on its clean documents | model alone |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.where} | ${r.all.positives ? `${pct(recall(r.all))} of ${r.all.positives}` : '—'} | ` +
        `${r.all.negatives ? `${pct(fpr(r.all))} of ${r.all.negatives}` : '—'} | ` +
        `${r.modelAlone.positives ? pct(recall(r.modelAlone)) : '—'}${r.modelAlone.negatives ? ` / FP ${pct(fpr(r.modelAlone))}` : ''} |`,
    );
  }
}

const LANGUAGES = ['en', 'es', 'fr', 'de', 'pt', 'it', 'zh', 'ja', 'ko', 'ru', 'ar'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Languages

interface LangRow {
  lang: string;
  direct: Cell;
  benign: Cell;
}

/** Direct injections (input phase) and benign prompts per language, dev and held-out splits. */
function languages(docs: Doc[], flag: Flag): LangRow[] {
  const rows = new Map<string, LangRow>();
  for (const d of docs) {
    if (d.where !== 'input' || (d.split !== 'test' && d.split !== 'heldout')) continue;
    if (d.label === 1 && d.source !== 'xsafety-goal-hijacking' && d.source !== 'synthetic-input') continue;
    if (
      d.label === 0 &&
      !['mgsm', 'multijail', 'tasktracker-tasks', 'synthetic-input', 'xsafety-harmful'].includes(d.source)
    )
      continue;
    const row = rows.get(d.lang) ?? { lang: d.lang, direct: emptyCell(), benign: emptyCell() };
    rows.set(d.lang, row);
    add(d.label === 1 ? row.direct : row.benign, d.label, flag(d.text, d.where));
  }
  return [...rows.values()].sort((a, b) => a.lang.localeCompare(b.lang));
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
  const text = megabyteOf(contexts);
  let detections = 0;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    detections = detector.scan(text, 'output').length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times.slice(2)), bytes: Buffer.byteLength(text, 'utf8'), detections };
}

// ---------------------------------------------------------------------------------------------------------------
// Tool descriptions (the poisoning scanner as the gateway runs it), when bench/eval-descriptions.ts exists

interface DescriptionRow {
  set: string;
  positives: number;
  found: number;
  negatives: number;
  flagged: number;
  medianMicros?: number;
}

async function descriptions(): Promise<DescriptionRow[] | undefined> {
  const file = path.join(ROOT, 'bench', 'eval-descriptions.ts');
  if (!fs.existsSync(file)) return undefined;
  const specifier = './eval-descriptions.js';
  const mod = (await import(specifier)) as { evalDescriptions(dataDir: string): Promise<DescriptionRow[]> };
  return mod.evalDescriptions(DATA);
}

// ---------------------------------------------------------------------------------------------------------------

function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

async function main(): Promise<void> {
  console.log(`# Detector evaluation  (datasets: ${DATA}; seed ${SEED})`);
  const rssBefore = rssMb();
  const model = sharedModel();
  const rssModel = rssMb() - rssBefore;
  const h = model.header;
  console.log(
    `model: ${path.relative(ROOT, model.file)}, ${(fs.statSync(model.file).size / 1024).toFixed(0)} KiB, ` +
      `2^${h.bits} weights, thresholds ${Object.entries(h.thresholds)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ')}; loading it added ${rssModel.toFixed(1)} MB RSS`,
  );
  const docs = await loadCorpus({ seed: SEED });
  const flags = { shipped: detectorFlag(shipped), rules: detectorFlag(rulesOnly), model: modelFlag(model) };
  const rows = bySource(docs, flags);
  printBySource(rows);
  const shippedCell = (source: string, label: 0 | 1, split: Split): Cell | undefined =>
    rows.find((r) => r.source === source && r.label === label)?.cells.shipped[split];

  // Languages, with the shipped detector.
  const langs = languages(docs, flags.shipped);
  console.log('\n## Languages (input phase; dev and held-out splits)');
  console.log('direct: XSafety goal hijacking and the synthetic prompts; benign: MGSM, MultiJail, TaskTracker tasks,');
  console.log('XSafety harmful (not injection), synthetic look-alikes.\n');
  console.log('| language | direct injection recall | benign flagged |');
  console.log('| --- | ---: | ---: |');
  for (const l of langs) console.log(`| ${l.lang} | ${cellText(l.direct)} | ${cellText(l.benign)} |`);

  // Leave one source out, and one language out.
  const loso: LeaveOut[] = [];
  const lolo: LeaveOut[] = [];
  if (!QUICK) {
    console.error('eval: training the leave-one-out models (use --quick to skip)');
    const sources = [...new Set(docs.filter((d) => d.label === 1).map((d) => family(d.source)))].sort();
    for (const fam of sources) {
      loso.push(
        leaveOut(
          docs,
          fam,
          (d) => family(d.source) === fam,
          (d) => family(d.source) === fam,
        ),
      );
    }
    for (const lang of LANGUAGES) {
      if (lang === 'en') continue;
      lolo.push(
        leaveOut(
          docs,
          lang,
          (d) => d.lang === lang,
          (d) => d.lang === lang && d.where === 'input' && d.split !== 'train',
        ),
      );
    }
    printLeaveOut('Leave one source out (a model trained and calibrated without it; measured on all of it)', loso);
    printLeaveOut('Leave one language out (input phase: a model trained without any text in it)', lolo);
  }

  // Tool descriptions through the poisoning scanner.
  const desc = await descriptions();
  if (desc) {
    console.log('\n## Tool descriptions (the poisoning scanner, default policy: a tool counts when it is held back)');
    console.log('| set | poisoned caught | real tools flagged | median µs per tool |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const r of desc) {
      console.log(
        `| ${r.set} | ${r.positives ? `${pct(r.found / r.positives)} of ${r.positives}` : '—'} | ` +
          `${r.negatives ? `${pct(r.flagged / r.negatives)} of ${r.negatives}` : '—'} | ${r.medianMicros?.toFixed(0) ?? '—'} |`,
      );
    }
  }

  // READMEs of the installed packages: benign tool output the sets do not have.
  const readmes = localReadmes();
  const readmeCell = emptyCell();
  for (const s of readmes) add(readmeCell, 0, flags.shipped(s.text, 'output'));
  console.log(`\nnode_modules READMEs (benign tool output, ${readmes.length}): flagged ${cellText(readmeCell)}`);

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
  }

  // Speed.
  const cleanContexts = docs.filter((d) => d.source === 'bipia' && d.label === 0).map((d) => d.text);
  const inputSamples = (source: string): Sample[] =>
    docs.filter((d) => d.source === source).map((d) => ({ text: d.text, positive: d.label === 1 }));
  const oneMbRules = timeOneMb(rulesOnly, cleanContexts);
  const oneMb = timeOneMb(shipped, cleanContexts);
  const outputPipeline = pipeline('output');
  const oneMbAll = timeOneMb(outputPipeline, cleanContexts);
  console.log(
    `\n## Speed\n  1 MB tool output (${(oneMb.bytes / 1024 / 1024).toFixed(2)} MB of clean BIPIA contexts, 'output'): ` +
      `injection rules ${oneMbRules.ms.toFixed(1)} ms, rules + model ${oneMb.ms.toFixed(1)} ms (${oneMb.detections} detections); ` +
      `whole output pipeline (injection, PII, secrets, keywords) ${oneMbAll.ms.toFixed(1)} ms, ${oneMbAll.detections} detections`,
  );
  const inputSets = {
    cse: inputSamples('cyberseceval'),
    notInject: inputSamples('notinject'),
    wildGuard: inputSamples('wildguard'),
  };
  const injectionUs = Object.values(inputSets).map((set) => usPerKb(shipped, 'input', set));
  const inputPipeline = pipeline('input');
  const pipelineUs = Object.values(inputSets).map((set) => usPerKb(inputPipeline, 'input', set));
  console.log(
    `  injection (rules + model), median µs/KB on CyberSecEval / NotInject / WildGuard: ${injectionUs.map((u) => u.toFixed(1)).join(' / ')}`,
  );
  console.log(
    `  whole input pipeline (injection, PII, secrets, keywords), median µs/KB on the same: ${pipelineUs.map((u) => u.toFixed(1)).join(' / ')}`,
  );

  // Targets.
  const direct = merge(langs.filter((l) => l.lang !== 'en').map((l) => l.direct));
  const english = merge(
    docs.length
      ? rows
          .filter(
            (r) =>
              r.label === 1 &&
              r.where === 'input' &&
              ['cyberseceval', 'tasktracker', 'garak-jailbreak'].includes(r.source),
          )
          .flatMap((r) => [r.cells.shipped.test, r.cells.shipped.heldout])
          .concat(langs.filter((l) => l.lang === 'en').map((l) => l.direct))
      : [],
  );
  const indirect = loso.filter((r) => r.where === 'output' && r.all.positives > 0);
  const indirectAll = merge(indirect.map((r) => r.all));
  const benignSets: [string, Cell | undefined][] = [
    ['WildGuard benign', merge([shippedCell('wildguard', 0, 'test')])],
    ['NotInject', merge([shippedCell('notinject', 0, 'test')])],
    ['XSTest safe', merge([shippedCell('xstest', 0, 'test')])],
    ['MGSM (11 languages)', merge([shippedCell('mgsm', 0, 'test')])],
    ['MultiJail (harmful, not injection)', merge([shippedCell('multijail', 0, 'test')])],
    ['BIPIA clean contexts', merge([shippedCell('bipia', 0, 'test')])],
    [
      'docs and code (garak, github)',
      merge([shippedCell('garak-docs', 0, 'test'), shippedCell('github-docs', 0, 'test')]),
    ],
    ['READMEs', readmeCell],
  ];
  const checks: [string, boolean, string][] = [];
  if (indirect.length > 0) {
    checks.push([
      'leave-one-source-out indirect recall ≥ 90%',
      recall(indirectAll) >= TARGETS.losoIndirectRecall,
      `${pct(recall(indirectAll))} (${indirect.map((r) => `${r.name} ${pct(recall(r.all))}`).join(', ')})`,
    ]);
    checks.push([
      'leave-one-source-out clean contexts ≤ 1%',
      !(fpr(indirectAll) > TARGETS.losoIndirectFpr),
      pct(fpr(indirectAll)),
    ]);
  }
  checks.push(['direct, other languages ≥ 80%', recall(direct) >= TARGETS.multilingualRecall, pct(recall(direct))]);
  checks.push(['direct, English ≥ 90%', recall(english) >= TARGETS.englishRecall, pct(recall(english))]);
  for (const [name, cell] of benignSets) {
    if (cell && cell.negatives > 0) checks.push([`${name} FPR ≤ 2%`, fpr(cell) <= TARGETS.benignFpr, pct(fpr(cell))]);
  }
  if (desc) {
    const pos =
      desc.reduce((a, r) => a + r.found, 0) /
      Math.max(
        1,
        desc.reduce((a, r) => a + r.positives, 0),
      );
    const neg =
      desc.reduce((a, r) => a + r.flagged, 0) /
      Math.max(
        1,
        desc.reduce((a, r) => a + r.negatives, 0),
      );
    checks.push(['poisoned descriptions ≥ 95%', pos >= TARGETS.descriptionsRecall, pct(pos)]);
    checks.push(['real tool descriptions flagged ≤ 1%', neg <= TARGETS.descriptionsFpr, pct(neg)]);
  }
  checks.push(['1 MB output ≤ 20 ms (whole pipeline)', oneMbAll.ms <= TARGETS.oneMbMs, `${oneMbAll.ms.toFixed(1)} ms`]);
  const inputUs = median(pipelineUs);
  checks.push(['input pipeline median ≤ 100 µs/KB', inputUs <= TARGETS.inputUsPerKb, `${inputUs.toFixed(1)} µs/KB`]);
  checks.push(['model adds ≤ 30 MB RSS', rssModel <= TARGETS.modelRssMb, `${rssModel.toFixed(1)} MB`]);
  if (piiResult) {
    checks.push([
      'PII: clean sentences altered = 0',
      piiResult.cleanAltered <= TARGETS.piiCleanAltered,
      `${piiResult.cleanAltered}`,
    ]);
  }
  console.log('\n## Targets');
  for (const [name, ok, value] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(44)} ${value}`);
}

await main();
