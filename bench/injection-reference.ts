/**
 * The injection detector's reference outputs, so that a change made for speed can prove that it changed no verdict
 * (issue 21): every text of ../shared/datasets (each string of a JSON/JSONL file, each line of a CSV or markdown file,
 * and each whole file up to 2 MB), and with --kinds the 1 MB texts of bench/injection-speed.ts, scanned in every phase by the whole
 * detector (rules and model), by the rules alone at threshold 0 (every cluster of hits, however weak), and by the
 * model alone (its best window, to the last bit). Only digests are kept: the datasets are not copied.
 *
 * `npx tsx bench/injection-reference.ts --src=<dir of a checkout's src> [--out=file] [--kinds]` records the digests of that
 * implementation (default: this one) to test/fixtures/injection-reference.json; injection-reference.test.ts holds
 * the current code to them. The documents of `npm run eval` (bench/train/corpus.ts: planted BIPIA and TaskTracker
 * positives, the benign sets) are digested too, each in its own phase, so that the eval's injection figures cannot
 * move.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as InjectionModule from '../src/guardrails/injection.js';
import type * as ModelModule from '../src/guardrails/model/model.js';
import type { Detector, Where } from '../src/guardrails/types.js';
import { corpus, DATA } from './injection-speed.js';
import { DATA as CORPUS_DATA, loadCorpus, type Doc } from './train/corpus.js';

/** Whether the eval corpus can be read (bench/train/corpus.ts looks in $SMG_DATASETS or ../shared/datasets only). */
export const EVAL_PRESENT = fs.existsSync(CORPUS_DATA);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export { DATA };
export const FIXTURE = path.join(ROOT, 'test/fixtures/injection-reference.json');
const WHERE: Where[] = ['input', 'output', 'description'];
const WHOLE_FILE_MAX = 2 << 20;

export interface Impl {
  whole: Detector;
  rules: Detector;
  best: (text: string, where: Where) => number;
}

export async function loadImpl(src: string): Promise<Impl> {
  const inj = (await import(path.join(src, 'guardrails/injection.ts'))) as typeof InjectionModule;
  const mod = (await import(path.join(src, 'guardrails/model/model.ts'))) as typeof ModelModule;
  const file = path.join(ROOT, 'models/injection.bin');
  const learned = mod.sharedModel(file);
  return {
    whole: inj.createInjectionDetector({ model: { enabled: true, path: file } }),
    rules: inj.createInjectionDetector({ threshold: 0, model: { enabled: false } }),
    best: (text, where) => mod.scoreText(learned, text, where, learned.header.thresholds[where]).best,
  };
}

function strings(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      strings(x, out);
    }
  }
}

/** The texts of one dataset file, deduplicated, in file order. */
export function textsOf(file: string): string[] {
  const raw = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  if (file.endsWith('.json')) strings(JSON.parse(raw), out);
  else if (file.endsWith('.jsonl')) {
    for (const line of raw.split('\n')) if (line.trim() !== '') strings(JSON.parse(line), out);
  } else out.push(...raw.split('\n'));
  if (raw.length <= WHOLE_FILE_MAX) out.push(raw);
  return [...new Set(out)].filter((t) => t.trim() !== '');
}

export function datasetFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (/\.(jsonl?|csv|md)$/.test(name)) out.push(full);
    }
  };
  walk(DATA);
  return out;
}

/** One digest per phase over every text: the whole detector's findings, the rules' clusters and the model's best. */
export function digest(impl: Impl, texts: string[]): Record<Where, string> {
  const out = {} as Record<Where, string>;
  for (const where of WHERE) {
    const h = createHash('sha256');
    for (const t of texts) {
      h.update(JSON.stringify(impl.whole.scan(t, where)));
      h.update(JSON.stringify(impl.rules.scan(t, where)));
      h.update(JSON.stringify(impl.best(t, where)));
      h.update('\n');
    }
    out[where] = h.digest('hex');
  }
  return out;
}

/** Each text in its own phase: the eval corpus, whose documents each belong to one. */
export function digestOwn(impl: Impl, docs: readonly { text: string; where: Where }[]): string {
  const h = createHash('sha256');
  for (const d of docs) {
    h.update(JSON.stringify(impl.whole.scan(d.text, d.where)));
    h.update(JSON.stringify(impl.rules.scan(d.text, d.where)));
    h.update(JSON.stringify(impl.best(d.text, d.where)));
    h.update('\n');
  }
  return h.digest('hex');
}

/** The documents `npm run eval` scores (bench/train/corpus.ts, planted positives included), by source. */
export async function evalCorpus(): Promise<Map<string, Doc[]>> {
  const out = new Map<string, Doc[]>();
  if (!EVAL_PRESENT) return out;
  for (const d of await loadCorpus()) {
    const name = `eval/${d.source}`;
    out.set(name, [...(out.get(name) ?? []), d]);
  }
  return out;
}

export type Reference = Record<string, { texts: number; digest: Partial<Record<Where | 'own', string>> }>;

/**
 * The corpus by name: each dataset file (relative to DATA), and with `kinds` each 1 MB text of
 * bench/injection-speed.ts (built from node_modules, so they change with the dependencies: not in the fixture).
 */
export function referenceCorpus(kinds = false): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of datasetFiles()) out.set(path.relative(DATA, f), textsOf(f));
  if (kinds) for (const [kind, text] of Object.entries(corpus())) out.set(`1mb/${kind}`, [text]);
  return out;
}

async function record(): Promise<void> {
  const arg = (name: string): string | undefined =>
    process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const impl = await loadImpl(path.resolve(arg('src') ?? path.join(ROOT, 'src')));
  const ref: Reference = {};
  for (const [name, texts] of referenceCorpus(process.argv.includes('--kinds'))) {
    ref[name] = { texts: texts.length, digest: digest(impl, texts) };
  }
  for (const [name, docs] of await evalCorpus())
    ref[name] = { texts: docs.length, digest: { own: digestOwn(impl, docs) } };
  const out = arg('out') ?? FIXTURE;
  fs.writeFileSync(out, JSON.stringify(ref, null, 2) + '\n');
  process.stderr.write(`injection-reference: ${Object.keys(ref).length} files → ${out}\n`);
}

if (process.argv[1]?.endsWith('injection-reference.ts')) await record();
