/**
 * Trains the learned injection detector (src/guardrails/model) and writes the weights that ship with the package:
 * `npm run train` → models/injection.bin. Reproducible: the corpus, the shuffles and the planted positives are
 * seeded (TRAIN_SEED), the arithmetic is single-threaded, so the same data gives the same bytes.
 *
 * The model: logistic regression over the hashed features of a window (features.ts), trained as multiple-instance
 * learning because a positive document says only that SOME window carries the instruction. Every window of a benign
 * document is a negative; a positive document contributes its best-scoring candidate window each epoch (candidates:
 * the windows that overlap the planted instruction where its span is known, else all), and the windows of a planted
 * positive away from the instruction are negatives (they are the clean document). Adagrad, L2, a few epochs.
 *
 * Calibration: per phase, the threshold is the lowest that keeps every benign source's calibration split at or below
 * its false-positive budget (CALIBRATION_FPR), scoring whole documents as the gateway does (the best window).
 *
 * Only the `train` split trains and only `calib` calibrates; `test` and `heldout` are for eval.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  decodeModel,
  encodeModel,
  scoreText,
  textWindows,
  type InjectionModel,
  type TextWindows,
} from '../../src/guardrails/model/model.js';
import { LENGTH_BUCKETS, lengthBucket, PHASES } from '../../src/guardrails/model/features.js';
import { loadCorpus, prng, ROOT, type Doc, type Where } from './corpus.js';

export interface TrainOptions {
  bits: number;
  epochs: number;
  seed: number;
  learningRate: number;
  l2: number;
  /** Per phase: the false-positive budget on each benign source's calibration split. */
  calibrationFpr: Record<Where, number>;
  /** A (source, label) group larger than this weighs as this many documents. */
  groupCap: number;
  /** At most this many windows of one document are used as negatives. */
  windowsPerDoc: number;
  /** In all, negatives weigh this many times as much as positives: injection is the rare case. */
  negativeRatio: number;
  /**
   * Learn a weight per window length. Off: multiple-instance learning picks long windows as positives, and the
   * weights then learn that any long window is suspicious.
   */
  lengthWeights: boolean;
  /**
   * The lowest threshold per phase, whatever the calibration says. The calibration sets are small (tens to hundreds
   * of documents a source), and benign text that speaks to its reader ("Please follow the safety instructions on the
   * ladder") reaches scores no calibration set showed: prompts and tool results get a high floor, bought with recall
   * that the eval reports (docs/detection.md).
   */
  thresholdFloor: Record<Where, number>;
  /** See ModelHeader.longDocument. */
  longDocument: { segments: number; perLog: number; max: number };
}

export const DEFAULT_TRAIN: TrainOptions = {
  bits: 20,
  epochs: 10,
  seed: 20240611,
  learningRate: 0.25,
  l2: 1e-7,
  calibrationFpr: { input: 0.01, output: 0.01, description: 0.01 },
  groupCap: 2500,
  windowsPerDoc: 100,
  negativeRatio: 3,
  lengthWeights: false,
  longDocument: { segments: 32, perLog: 1, max: 3.5 },
  thresholdFloor: { input: 0.98, output: 0.95, description: 0.9 },
};

interface Example {
  tw: TextWindows;
  phase: number;
  /** Window index (into tw.windows / 2), or -1 for a positive: picked from `candidates` each epoch. */
  window: number;
  candidates?: number[];
  label: 0 | 1;
  weight: number;
}

class Trainer {
  readonly w: Float32Array;
  readonly g: Float32Array;
  bias = 0;
  gBias = 1e-8;
  readonly pb = new Float64Array(3);
  readonly gPb = new Float64Array(3).fill(1e-8);
  readonly lw = new Float64Array(LENGTH_BUCKETS);
  readonly gLw = new Float64Array(LENGTH_BUCKETS).fill(1e-8);

  constructor(readonly opts: TrainOptions) {
    this.w = new Float32Array(1 << opts.bits);
    this.g = new Float32Array(1 << opts.bits).fill(1e-8);
  }

  logit(tw: TextWindows, k: number, phase: number): number {
    const s = tw.windows[2 * k]!;
    const e = tw.windows[2 * k + 1]!;
    const a = tw.featureStart[s]!;
    const b = tw.featureStart[e]!;
    const base = this.bias + this.pb[phase]! + this.lw[lengthBucket(e - s)]!;
    if (b === a) return base;
    let sum = 0;
    for (let i = a; i < b; i++) sum += this.w[tw.features[i]!]!;
    return base + sum / Math.sqrt(b - a);
  }

  step(tw: TextWindows, k: number, phase: number, label: number, weight: number): void {
    const s = tw.windows[2 * k]!;
    const e = tw.windows[2 * k + 1]!;
    const a = tw.featureStart[s]!;
    const b = tw.featureStart[e]!;
    const z = this.logit(tw, k, phase);
    const p = 1 / (1 + Math.exp(-z));
    const g = (p - label) * weight;
    const lr = this.opts.learningRate;
    const l2 = this.opts.l2;
    if (b > a) {
      const x = 1 / Math.sqrt(b - a);
      for (let i = a; i < b; i++) {
        const f = tw.features[i]!;
        const grad = g * x + l2 * this.w[f]!;
        this.g[f]! += grad * grad;
        this.w[f]! -= (lr * grad) / Math.sqrt(this.g[f]!);
      }
    }
    this.gBias += g * g;
    this.bias -= (lr * g) / Math.sqrt(this.gBias);
    this.gPb[phase]! += g * g;
    this.pb[phase]! -= (lr * g) / Math.sqrt(this.gPb[phase]!);
    if (this.opts.lengthWeights) {
      const lb = lengthBucket(e - s);
      this.gLw[lb]! += g * g;
      this.lw[lb]! -= (lr * g) / Math.sqrt(this.gLw[lb]!);
    }
  }
}

/**
 * How a window of a planted positive relates to the planted instruction: 'start' when it holds the instruction's
 * first words (a candidate: the lead-in is what makes it an injection, the task after it may be a plain question),
 * 'other' when it overlaps the rest of it (left out), 'clean' when it is all document (a negative).
 */
function relation(tw: TextWindows, k: number, span: [number, number]): 'start' | 'other' | 'clean' {
  const s = tw.toOriginal[tw.windows[2 * k]!]!;
  const e = tw.windows[2 * k + 1]! >= tw.length ? Infinity : tw.toOriginal[tw.windows[2 * k + 1]!]!;
  if (e <= span[0] || s >= span[1]) return 'clean';
  return s <= span[0] + 8 && e > span[0] + 8 ? 'start' : 'other';
}

function shuffle<T>(xs: T[], rand: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}

function examples(docs: Doc[], opts: TrainOptions, rand: () => number): Example[] {
  const groups = new Map<string, number>();
  for (const d of docs) groups.set(`${d.source}/${d.label}`, (groups.get(`${d.source}/${d.label}`) ?? 0) + 1);
  const out: Example[] = [];
  let pos = 0;
  let neg = 0;
  for (const d of docs) {
    const docWeight = Math.min(1, opts.groupCap / groups.get(`${d.source}/${d.label}`)!);
    const tw = textWindows(d.text, d.where, opts.bits);
    const phase = PHASES.indexOf(d.where);
    const count = tw.windows.length >> 1;
    if (count === 0) continue;
    const negatives: number[] = [];
    if (d.label === 1) {
      const candidates: number[] = [];
      for (let k = 0; k < count; k++) {
        const r = d.span ? relation(tw, k, d.span) : 'start';
        if (r === 'start') candidates.push(k);
        else if (r === 'clean') negatives.push(k);
      }
      if (candidates.length === 0) continue;
      out.push({ tw, phase, window: -1, candidates, label: 1, weight: docWeight });
      pos += docWeight;
    } else for (let k = 0; k < count; k++) negatives.push(k);
    if (negatives.length > opts.windowsPerDoc) {
      shuffle(negatives, rand);
      negatives.length = opts.windowsPerDoc;
    }
    // A document's windows share its weight, but each counts at least a little: long benign documents are where a
    // window-level false positive hides.
    const each = docWeight / Math.max(1, Math.sqrt(negatives.length));
    for (const k of negatives) {
      out.push({ tw, phase, window: k, label: 0, weight: each });
      neg += each;
    }
  }
  // Balance the classes: positives weigh 1/negativeRatio of the negatives, in all.
  const up = neg / opts.negativeRatio / Math.max(1e-9, pos);
  for (const e of out) if (e.label === 1) e.weight *= up;
  return out;
}

export interface Trained {
  model: InjectionModel;
  bytes: Buffer;
  /** Per phase and benign calibration source: the threshold it alone would need. */
  calibration: Record<string, number>;
}

export function train(
  all: Doc[],
  opts: TrainOptions = DEFAULT_TRAIN,
  include: (d: Doc) => boolean = () => true,
): Trained {
  const rand = prng(opts.seed);
  const docs = all.filter((d) => d.split === 'train' && include(d));
  const ex = examples(docs, opts, rand);
  const t = new Trainer(opts);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle(ex, rand);
    for (const e of ex) {
      let k = e.window;
      if (k < 0) {
        // Multiple-instance learning: the positive window is the candidate the model now scores highest (the
        // longest one in the first epoch, before the model knows anything).
        let best = -Infinity;
        for (const c of e.candidates!) {
          const score = epoch === 0 ? e.tw.windows[2 * c + 1]! - e.tw.windows[2 * c]! : t.logit(e.tw, c, e.phase);
          if (score > best) {
            best = score;
            k = c;
          }
        }
      }
      t.step(e.tw, k, e.phase, e.label, e.weight);
    }
  }
  // Quantise to signed bytes.
  let max = 0;
  for (const x of t.w) max = Math.max(max, Math.abs(x));
  const scale = max / 127 || 1;
  const weights = new Int8Array(t.w.length);
  for (let i = 0; i < t.w.length; i++) weights[i] = Math.round(t.w[i]! / scale);
  const header = {
    version: 1 as const,
    bits: opts.bits,
    scale,
    bias: t.bias,
    phaseBias: { input: t.pb[0]!, output: t.pb[1]!, description: t.pb[2]! },
    longDocument: opts.longDocument,
    lengthWeights: Array.from(t.lw),
    thresholds: { input: 0.5, output: 0.5, description: 0.5 },
  };
  const draft = decodeModel(encodeModel(header, weights), 'draft');
  const calibration = calibrate(
    draft,
    all.filter((d) => d.split === 'calib' && d.label === 0 && include(d)),
    opts,
  );
  const thresholds = { ...opts.thresholdFloor };
  for (const [key, value] of Object.entries(calibration)) {
    const where = key.split('/')[0] as Where;
    thresholds[where] = Math.max(thresholds[where], value);
  }
  const sources = [...new Set(docs.map((d) => d.source))].sort();
  const bytes = encodeModel(
    {
      ...header,
      thresholds,
      trained: {
        seed: opts.seed,
        epochs: opts.epochs,
        documents: docs.length,
        sources,
        calibrationFpr: opts.calibrationFpr,
      },
    },
    weights,
  );
  return { model: decodeModel(bytes, 'trained'), bytes, calibration };
}

/** Per phase and benign source: the score that keeps the source's calibration documents within the budget. */
function calibrate(model: InjectionModel, benign: Doc[], opts: TrainOptions): Record<string, number> {
  const scores = new Map<string, number[]>();
  for (const d of benign) {
    const key = `${d.where}/${d.source}`;
    const list = scores.get(key) ?? [];
    list.push(scoreText(model, d.text, d.where, 0.999999).best);
    scores.set(key, list);
  }
  const out: Record<string, number> = {};
  for (const [key, list] of scores) {
    const where = key.split('/')[0] as Where;
    list.sort((a, b) => b - a);
    // Allowed false positives in this source; the threshold sits just above the next score.
    const allowed = Math.round(list.length * opts.calibrationFpr[where]);
    const above = list[allowed] ?? 0;
    out[key] = Math.min(0.999, above + 1e-6);
  }
  return out;
}

async function main(): Promise<void> {
  const seed = Number(process.env.TRAIN_SEED ?? DEFAULT_TRAIN.seed);
  const t0 = Date.now();
  const corpus = await loadCorpus({ seed });
  console.log(`corpus: ${corpus.length} documents (${Date.now() - t0} ms)`);
  const trained = train(corpus, { ...DEFAULT_TRAIN, seed });
  const out = path.join(ROOT, 'models', 'injection.bin');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, trained.bytes);
  const h = trained.model.header;
  console.log(`wrote ${path.relative(ROOT, out)}: ${(trained.bytes.length / 1024).toFixed(0)} KiB, sha256 ${h.sha256}`);
  console.log(`thresholds: ${JSON.stringify(h.thresholds)}  (${Date.now() - t0} ms)`);
  const worst = Object.entries(trained.calibration).sort((a, b) => b[1] - a[1]);
  for (const [key, value] of worst.slice(0, 8)) console.log(`  calibration ${key}: ${value.toFixed(4)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
