/**
 * The learned injection detector's runtime: loads the weights that ship with the package (models/injection.bin,
 * written by `npm run train`, bench/train/train.ts) and scores a text's windows (features.ts), offline and
 * in-process, with no dependency. Used by the injection detector in every phase as rule `injection.model`.
 *
 * The file: the 8-byte magic `SMGINJ1\n`, a little-endian u32 header length, the header (JSON: hash bits, weight
 * scale, bias, length weights, per-phase thresholds, the SHA-256 of the weights, what it was trained on), then
 * 2^bits signed 8-bit weights.
 *
 * Failure mode: CLOSED. A missing, truncated or altered file (the weights' digest is checked on load), or a header
 * that does not fit, throws a ModelError naming the file and what is wrong; the injection detector lets it through,
 * so the guardrail stage denies the call (a throwing detector is a deny) rather than scanning without the model.
 * The file is read once, on the first scan that needs it, and a failed load is tried again on the next scan.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Where } from '../types.js';
import {
  fold,
  foldInto,
  forEachFeature,
  forEachWindow,
  lengthBucket,
  LENGTH_BUCKETS,
  PHASES,
  segments,
  sumFeatures,
  unitPrefix,
  WINDOW_MIN_UNITS,
  type FoldBuffers,
} from './features.js';

export const MAGIC = 'SMGINJ1\n';

export class ModelError extends Error {
  override readonly name = 'ModelError';
}

export interface ModelHeader {
  version: 1;
  /** log2 of the number of hash buckets. */
  bits: number;
  /** A weight is `int8 * scale`. */
  scale: number;
  bias: number;
  /** Added to the bias in each phase. */
  phaseBias: Record<Where, number>;
  lengthWeights: number[];
  /** Probability at or above which a window is reported, per phase (calibrated to a false-positive budget). */
  thresholds: Record<Where, number>;
  /**
   * The long-document correction: a text of n segments, n above `segments`, has `perLog * ln(n / segments)` (at most
   * `max`) taken off every window's logit. Every window is a chance of a false positive, so a long benign document
   * would otherwise be flagged far more often than a short one; the cap keeps padding from hiding an instruction.
   */
  longDocument: { segments: number; perLog: number; max: number };
  /** SHA-256 (hex) of the weight bytes. */
  sha256: string;
  /** What the weights were trained on: free-form, for `doctor` and the docs. */
  trained?: Record<string, unknown>;
}

export interface InjectionModel {
  header: ModelHeader;
  weights: Int8Array;
  /** Where it was loaded from, for messages. */
  file: string;
}

/** A window that reached the threshold: its span in the original text and its probability. */
export interface ModelHit {
  start: number;
  end: number;
  score: number;
}

export function encodeModel(header: Omit<ModelHeader, 'sha256'>, weights: Int8Array): Buffer {
  const bytes = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength);
  const full: ModelHeader = { ...header, sha256: createHash('sha256').update(bytes).digest('hex') };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), len, json, bytes]);
}

export function decodeModel(buf: Buffer, file: string): InjectionModel {
  const bad = (what: string): ModelError =>
    new ModelError(`injection model ${file} is not usable: ${what} (reinstall the package or run npm run train)`);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw bad('not a model file (bad magic)');
  const len = buf.readUInt32LE(8);
  if (12 + len > buf.length) throw bad('truncated header');
  let header: ModelHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as ModelHeader;
  } catch {
    throw bad('header is not JSON');
  }
  const where: Where[] = ['input', 'output', 'description'];
  if (
    header.version !== 1 ||
    !Number.isInteger(header.bits) ||
    header.bits < 8 ||
    header.bits > 24 ||
    !(header.scale > 0) ||
    !Number.isFinite(header.bias) ||
    !Array.isArray(header.lengthWeights) ||
    header.lengthWeights.length !== LENGTH_BUCKETS ||
    !header.lengthWeights.every(Number.isFinite) ||
    !where.every((w) => typeof header.thresholds?.[w] === 'number' && header.thresholds[w] > 0) ||
    !where.every((w) => Number.isFinite(header.phaseBias?.[w])) ||
    !(header.longDocument?.segments > 0) ||
    !(header.longDocument.perLog >= 0) ||
    !(header.longDocument.max >= 0) ||
    typeof header.sha256 !== 'string'
  ) {
    throw bad('header does not fit version 1');
  }
  const body = buf.subarray(12 + len);
  if (body.length !== 1 << header.bits) throw bad(`expected ${1 << header.bits} weights, found ${body.length}`);
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw bad('weights do not match their digest');
  const weights = new Int8Array(body.length);
  weights.set(new Int8Array(body.buffer, body.byteOffset, body.length));
  return { header, weights, file };
}

let defaultPath: string | undefined;

/**
 * Where the shipped weights are: models/injection.bin at the package root, found upwards from this module (once: a
 * scan must not touch the file system).
 */
export function defaultModelPath(): string {
  return (defaultPath ??= findModelPath());
}

function findModelPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'models', 'injection.bin');
    if (fs.existsSync(candidate)) return candidate;
    if (fs.existsSync(path.join(dir, 'package.json'))) return candidate;
    dir = path.dirname(dir);
  }
  return path.join(dir, 'models', 'injection.bin');
}

export function loadModel(file: string): InjectionModel {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ModelError(
      `injection model ${file} cannot be read (${code}); reinstall the package or run npm run train`,
    );
  }
  return decodeModel(buf, file);
}

const models = new Map<string, InjectionModel>();

/** The model at `file` (default: the shipped one), loaded once. A failed load throws and is tried again next time. */
export function sharedModel(file = defaultModelPath()): InjectionModel {
  let m = models.get(file);
  if (!m) {
    m = loadModel(file);
    models.set(file, m);
  }
  return m;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Scores every window of a text. Returns the best probability over all windows and the windows at or above
 * `threshold` that do not overlap a better one (non-maximum suppression: where windows of one, two and three
 * segments all reach the threshold around one instruction, the tightest, best-scoring one is the finding), in text
 * order, at most MAX_HITS.
 */
export function scoreText(
  model: InjectionModel,
  text: string,
  where: Where,
  threshold: number,
): { best: number; hits: ModelHit[] } {
  if (text.length === 0 || !mayHaveWindow(text)) return { best: 0, hits: [] };
  const b = buffersFor(text.length);
  const f = foldInto(text, b);
  if (f.length === 0) return { best: 0, hits: [] };
  const { weights, header } = model;
  // sums[i]: the summed weights of every feature ending before folded position i; counts[i] likewise their number.
  const { sums, counts } = b;
  sumFeatures(f, PHASES.indexOf(where), weights, sums, counts);
  const { scale, lengthWeights, longDocument } = header;
  const segs = segments(f);
  const n = segs.length >> 1;
  const penalty =
    n > longDocument.segments
      ? Math.min(longDocument.max, longDocument.perLog * Math.log(n / longDocument.segments))
      : 0;
  const bias = header.bias + header.phaseBias[where] - penalty;
  const limit = Math.log(threshold / (1 - threshold));
  let best = -Infinity;
  const above: { s: number; e: number; logit: number }[] = [];
  forEachWindow(segs, f.units, (s, e) => {
    const c = counts[e]! - counts[s]!;
    if (c === 0) return;
    const logit = bias + lengthWeights[lengthBucket(e - s)]! + (scale * (sums[e]! - sums[s]!)) / Math.sqrt(c);
    if (logit > best) best = logit;
    if (logit >= limit) above.push({ s, e, logit });
  });
  // Non-maximum suppression: the best window of a region claims it; the finding is the tightest window inside it that
  // still reaches the threshold, so that a redaction removes the instruction and not the sentences around it.
  const claimed: typeof above = [];
  const chosen: typeof above = [];
  above.sort((a, b) => b.logit - a.logit || a.s - b.s);
  for (const w of above) {
    if (chosen.length >= MAX_HITS) break;
    if (!claimed.every((c) => w.e <= c.s || w.s >= c.e)) continue;
    claimed.push(w);
    let tight = w;
    for (const v of above) if (v.s >= w.s && v.e <= w.e && v.e - v.s < tight.e - tight.s) tight = v;
    chosen.push(tight);
  }
  chosen.sort((a, b) => a.s - b.s);
  const hits = chosen.map((w) => ({
    start: f.toOriginal[w.s]!,
    end: trimEnd(text, w.e >= f.length ? text.length : f.toOriginal[w.e]!),
    score: sigmoid(w.logit),
  }));
  return { best: best === -Infinity ? 0 : sigmoid(best), hits };
}

/**
 * Texts up to this many characters are scored in buffers kept from one call to the next (what a call's strings and
 * most prompts are: five typed arrays per text cost more than scoring a short one); a longer text gets its own, so
 * that a megabyte result leaves nothing behind.
 */
const SCRATCH_MAX = 16 * 1024;

type ScoreBuffers = FoldBuffers & { sums: Int32Array; counts: Int32Array };

let scratch: ScoreBuffers | undefined;

function newBuffers(n: number): ScoreBuffers {
  return {
    codes: new Uint16Array(n),
    toOriginal: new Int32Array(n + 1),
    units: new Int32Array(n + 1),
    sums: new Int32Array(n + 1),
    counts: new Int32Array(n + 1),
  };
}

function buffersFor(n: number): ScoreBuffers {
  if (n > SCRATCH_MAX) return newBuffers(n);
  if (scratch === undefined || scratch.codes.length < n) scratch = newBuffers(Math.max(n, 1024));
  return scratch;
}

/** Texts up to this length are checked for enough letters before they are folded. */
const SHORT_TEXT = 128;

/**
 * False when no window of the text can reach WINDOW_MIN_UNITS, so that nothing would be scored: an argument like
 * "hello world 1234" or a key like "content" (most strings of a small call). An upper bound of the units that fold
 * would count: one per ASCII letter, three per any other non-ASCII character (the most a folded character counts).
 */
export function mayHaveWindow(text: string): boolean {
  if (text.length > SHORT_TEXT) return true;
  let units = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) units += 3;
    else if ((c | 32) >= 97 && (c | 32) <= 122) units += 1;
  }
  return units >= WINDOW_MIN_UNITS;
}

/** At most this many findings per text. */
const MAX_HITS = 50;

/** A window ends where the next begins: give back the white space between them. */
function trimEnd(text: string, end: number): number {
  while (end > 0 && /\s/.test(text[end - 1]!)) end--;
  return end;
}

/** The features of one text for training: every window with its features (see bench/train/train.ts). */
export interface TextWindows {
  /** Bucket ids of all features, position by position. */
  features: Uint32Array;
  /** featureStart[i]: index in `features` of the first feature of folded position i (length + 1 entries). */
  featureStart: Int32Array;
  /** Windows as [start, end) folded positions, flattened. */
  windows: Int32Array;
  toOriginal: Int32Array;
  length: number;
}

export function textWindows(text: string, where: Where, bits: number): TextWindows {
  const f = fold(text);
  const features: number[] = [];
  const featureStart = new Int32Array(f.length + 1);
  forEachFeature(
    f,
    PHASES.indexOf(where),
    0,
    f.length,
    bits,
    (b) => features.push(b),
    (i) => {
      featureStart[i + 1] = features.length;
    },
  );
  const windows: number[] = [];
  forEachWindow(segments(f), unitPrefix(f), (s, e) => windows.push(s, e));
  return {
    features: Uint32Array.from(features),
    featureStart,
    windows: Int32Array.from(windows),
    toOriginal: f.toOriginal,
    length: f.length,
  };
}
