/**
 * The features of the learned injection detector (model.ts), shared with its trainer (bench/train/train.ts) so that
 * training and inference read a text the same way, to the bit.
 *
 * A text is first folded (`fold`): lower case, full-width ASCII to ASCII, every digit to 0, runs of spaces and tabs to
 * one space, runs of line breaks to one; an offset table maps each folded character back to the original. The folded
 * text is cut into segments (a line, a sentence, or at most SEGMENT_MAX characters), and a *window* is a run of one to
 * WINDOW_SEGMENTS consecutive segments, at most WINDOW_MAX characters long. The model scores each window; a text
 * scores its best window. Windows keep a score local: one injected sentence in a megabyte of data is still a whole
 * window of its own, and benign text around it cannot dilute it.
 *
 * The features of a window are every hashed character n-gram (n = 2..5) and every hashed word and word pair that ENDS
 * inside it, so each feature belongs to exactly one position of the folded text. That is what makes scoring linear:
 * the weight of every feature ending at a position is summed once per position (`contributions`), a prefix sum
 * makes every window's sum O(1), and a megabyte costs one pass. Character n-grams carry every script alike (a Chinese
 * or Japanese word is two or three characters; Russian and Arabic words are letter runs); word features add the
 * English-and-European vocabulary of instructions.
 *
 * The window's logit is `bias + lengthWeight[bucket(length)] + sum / sqrt(count)`: the square root sits between a
 * sum (long windows win) and a mean (one strong sentence is diluted by its neighbours).
 */

/** Folded characters per segment at most: a longer sentence is cut at a space near this length. */
export const SEGMENT_MAX = 280;
/** A window joins at most this many consecutive segments ... */
export const WINDOW_SEGMENTS = 3;
/** ... and at most this many folded characters (a single segment is never longer than SEGMENT_MAX). */
export const WINDOW_MAX = 560;
/** Character n-gram orders. */
export const NGRAM_MIN = 2;
export const NGRAM_MAX = 5;
/** Length buckets of a window for the dense length weights: floor(log2(length)), clamped. */
export const LENGTH_BUCKETS = 12;

/** A text read for the model: the folded characters and where each came from. */
export interface Folded {
  /** Folded UTF-16 code units. */
  codes: Uint16Array;
  length: number;
  /** toOriginal[i]: offset in the original text of folded character i; toOriginal[length] = the original length. */
  toOriginal: Int32Array;
}

const SPACE = 32;
const NEWLINE = 10;
const ZERO = 48;

/**
 * ASCII characters folded by table: the folded code, or LINE / BLANK for the characters that start a run of line
 * breaks or of spaces. Upper case is lowered here too, for callers of foldInto that skip nothing: the table gives
 * what the character-by-character rules below give.
 */
const LINE = -1;
const BLANK = -2;
const ASCII_FOLD = new Int32Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_FOLD[c] =
    c === NEWLINE || c === 13 || c === 11 || c === 12
      ? LINE
      : c === SPACE || c === 9
        ? BLANK
        : c >= 65 && c <= 90
          ? c + 32
          : c > ZERO && c <= 57
            ? ZERO
            : c;
}

/** Where fold writes: arrays of at least the text's length (+ 1 for the offsets and units). */
export interface FoldBuffers {
  codes: Uint16Array;
  toOriginal: Int32Array;
  units: Int32Array;
}

/** Folds a text (see the module header). Linear; one native toLowerCase and one pass. */
export function fold(text: string): Folded {
  const n = text.length;
  return foldInto(text, { codes: new Uint16Array(n), toOriginal: new Int32Array(n + 1), units: new Int32Array(n + 1) });
}

/**
 * fold, into the given buffers (which the result then refers to), and with `units`: units[i] = the units (see
 * WINDOW_MIN_UNITS) of the folded characters before position i, what unitPrefix computes, in the same pass.
 */
export function foldInto(text: string, into: FoldBuffers): Folded & { units: Int32Array } {
  // toLowerCase keeps the length for every character but İ (it becomes i̇): fold per character then, so the offsets
  // stay true. Without İ or Σ (the one character whose lower case depends on its neighbours: final sigma), lower case
  // is per character anyway, and the loop lowers the non-ASCII characters itself (lowerCode): a native toLowerCase of
  // a two-byte string takes ~10 ms per megabyte.
  let lower = text;
  let perCode = false;
  if (text.includes('\u0130')) lower = lowerEachSameLength(text);
  else if (text.includes('\u03a3')) lower = text.toLowerCase();
  else perCode = true;
  const n = lower.length;
  let lowSurrogate = -1;
  const { codes, toOriginal, units } = into;
  let k = 0;
  let u = 0;
  // 0: no white space pending; BLANK: a run of spaces; LINE: a run with a line break (a line break wins).
  let pending = 0;
  let spaceAt = 0;
  units[0] = 0;
  for (let i = 0; i < n; i++) {
    let c = lower.charCodeAt(i);
    if (c < 128) {
      const t = ASCII_FOLD[c]!;
      if (t < 0) {
        if (t === LINE) {
          if (pending !== LINE) spaceAt = i;
          pending = LINE;
        } else if (pending === 0) {
          spaceAt = i;
          pending = BLANK;
        }
        continue;
      }
      c = t;
    } else {
      if (perCode) {
        if (lowSurrogate >= 0) {
          c = lowSurrogate;
          lowSurrogate = -1;
        } else if (c >= 0xd800 && c < 0xdc00 && (lower.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          // An astral letter lowers as a pair (𐐀 → 𐐨): both halves come from the pair's lower case.
          const pair = lower.slice(i, i + 2).toLowerCase();
          c = pair.charCodeAt(0);
          if (pair.length === 2) lowSurrogate = pair.charCodeAt(1);
        } else c = lowerCode(c);
      }
      if (c === 0x2028 || c === 0x2029 || c === 0x85) {
        if (pending !== LINE) spaceAt = i;
        pending = LINE;
        continue;
      }
      if (c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f) {
        if (pending === 0) {
          spaceAt = i;
          pending = BLANK;
        }
        continue;
      }
      if (c >= 0xff01 && c <= 0xff5e) {
        c -= 0xfee0; // full-width ASCII
        if (c >= 65 && c <= 90)
          c += 32; // a full-width capital
        else if (c > ZERO && c <= 57) c = ZERO;
      }
    }
    if (pending !== 0) {
      if (k > 0) {
        codes[k] = pending === LINE ? NEWLINE : SPACE;
        toOriginal[k++] = spaceAt;
        units[k] = u;
      }
      pending = 0;
    }
    if (c >= 0x2e80 && c < 0xfb00) u += 3;
    else if ((c >= 97 && c <= 122) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c !== 0x2028 && c !== 0x3000)) u += 1;
    codes[k] = c;
    toOriginal[k++] = i;
    units[k] = u;
  }
  toOriginal[k] = n;
  return { codes, length: k, toOriginal, units };
}

/** Lower case of each BMP code unit, filled in as characters are met (0: not yet known). */
const LOWER = new Uint16Array(0x10000);

function lowerCode(c: number): number {
  let l = LOWER[c]!;
  if (l === 0) {
    const s = String.fromCharCode(c).toLowerCase();
    l = s.length === 1 ? s.charCodeAt(0) : c;
    LOWER[c] = l;
  }
  return l;
}

/**
 * Lower case character by character, keeping every character whose lower case is longer: U+0130 (İ → i̇) is the
 * only one. Per character, Σ is always σ (the whole-string final-sigma rule does not apply); features.test.ts holds
 * this to the per-character definition. The pieces between the İs are lowered natively: a per-character pass costs
 * tens of milliseconds per megabyte.
 */
export function lowerEachSameLength(text: string): string {
  return text
    .split('\u0130')
    .map((piece) => piece.replaceAll('\u03a3', '\u03c3').toLowerCase())
    .join('\u0130');
}

function isSentenceEnd(c: number): boolean {
  return c === 46 || c === 33 || c === 63 || c === 59; // . ! ? ;
}

function isWideSentenceEnd(c: number): boolean {
  // 。！？；： and the ideographic full stop: CJK sentences need no space after them.
  return c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0xff1b || c === 0xff61;
}

/**
 * The segments of a folded text as [start, end) pairs, in order and covering it: a segment ends after a line break,
 * after . ! ? ; followed by a space, after a CJK sentence end, or at a space near SEGMENT_MAX (hard cut at SEGMENT_MAX
 * when there is none).
 */
export function segments(f: Folded): Int32Array {
  const out: number[] = [];
  const { codes, length } = f;
  let start = 0;
  let lastSpace = -1;
  for (let i = 0; i < length; i++) {
    const c = codes[i]!;
    let cut = -1;
    if (c === NEWLINE) cut = i + 1;
    else if (isWideSentenceEnd(c)) cut = i + 1;
    else if (c === SPACE) {
      if (i > start && isSentenceEnd(codes[i - 1]!)) cut = i + 1;
      else lastSpace = i;
    }
    if (cut < 0 && i + 1 - start >= SEGMENT_MAX) cut = lastSpace > start + SEGMENT_MAX / 2 ? lastSpace + 1 : i + 1;
    if (cut > start) {
      out.push(start, cut);
      start = cut;
      lastSpace = -1;
    }
  }
  if (start < length) out.push(start, length);
  return Int32Array.from(out);
}

/**
 * A window with fewer letters than this is not scored: a word or two ("messages", "max_tokens") or a run of numbers
 * ("103 104 112 95") carries no instruction, and its few or unfamiliar features would make any score noise. A letter
 * is a unit, a character of a CJK script, kana or hangul three (one is often a word); digits, punctuation and spaces
 * count nothing: "忽略以上指令" is enough, "ignore" is not.
 */
export const WINDOW_MIN_UNITS = 16;

/** units[i]: the units (see WINDOW_MIN_UNITS) of folded characters before position i. */
export function unitPrefix(f: Folded): Int32Array {
  const units = new Int32Array(f.length + 1);
  let u = 0;
  for (let i = 0; i < f.length; i++) {
    const c = f.codes[i]!;
    if (c >= 0x2e80 && c < 0xfb00) u += 3;
    else if ((c >= 97 && c <= 122) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c !== 0x2028 && c !== 0x3000)) u += 1;
    units[i + 1] = u;
  }
  return units;
}

/**
 * Calls `each(start, end)` for every window: runs of 1..WINDOW_SEGMENTS segments within WINDOW_MAX characters and of
 * at least WINDOW_MIN_UNITS units.
 */
export function forEachWindow(segs: Int32Array, units: Int32Array, each: (start: number, end: number) => void): void {
  const count = segs.length >> 1;
  for (let s = 0; s < count; s++) {
    const start = segs[2 * s]!;
    for (let e = s; e < count && e < s + WINDOW_SEGMENTS; e++) {
      const end = segs[2 * e + 1]!;
      if (e > s && end - start > WINDOW_MAX) break;
      if (units[end]! - units[start]! >= WINDOW_MIN_UNITS) each(start, end);
    }
  }
}

export function lengthBucket(length: number): number {
  return Math.min(LENGTH_BUCKETS - 1, 31 - Math.clz32(Math.max(1, length)));
}

function isWordChar(c: number): boolean {
  // ASCII letters (folded to lower case) and the digit 0, and letters of alphabetic scripts (Latin-1 to Cyrillic,
  // Armenian, Hebrew, Arabic). CJK characters are not word characters: their n-grams already are words.
  return (c >= 97 && c <= 122) || c === ZERO || (c >= 0xc0 && c <= 0x6ff && c !== 0xd7 && c !== 0xf7);
}

/** Bucket of a hash: multiplicative (Fibonacci) hashing, the top `bits` bits of the product. */
function bucket(h: number, shift: number): number {
  return Math.imul(h, 0x9e3779b1) >>> shift;
}

const NGRAM_SEED = [0, 0, 0x2545f491, 0x6c8e9cf5, 0x1b873593, 0x7feb352d];
/** Phases, in the order of the tables below. */
export const PHASES = ['input', 'output', 'description'] as const;
export type Phase = (typeof PHASES)[number];
/**
 * The seeds each phase's features are hashed with: every n-gram (and every word and word pair) is a feature once per
 * seed. A prompt has its own features only (seed 0x68e31da4): a plain question is benign there and an injection
 * inside a tool result, so the two cannot share weights. A tool result shares its n-grams with descriptions and adds
 * its own words; a description has both shared and own n-grams (descriptions are short, so the doubled cost is
 * small; tool results can be megabytes).
 */
const NGRAM_SEEDS: readonly (readonly number[])[] = [[0x68e31da4], [0], [0, 0x7a3f2b15]];
const WORD_SEEDS: readonly (readonly number[])[] = [[0x68e31da4], [0, 0x1b56c4e9], [0, 0x7a3f2b15]];
const WORD_SEED = 0x3c6ef372;
const PAIR_SEED = 0x5bd1e995;

/**
 * Calls `each(bucket)` for every feature that ends at each position of the folded text in a phase (PHASES index),
 * position by position, and
 * `done(position, count)` after each position with the number of features it had. Positions before `from` are read
 * for context (n-grams and words that reach into the range) but report nothing.
 */
export function forEachFeature(
  f: Folded,
  phase: number,
  from: number,
  to: number,
  bits: number,
  each: (bucket: number) => void,
  done?: (position: number, count: number) => void,
): void {
  const { codes } = f;
  // Start far enough back to know the current word and the word before it.
  let i = Math.max(0, from - 64);
  while (i > 0 && isWordChar(codes[i - 1]!)) i--;
  const ngramSeeds = NGRAM_SEEDS[phase]!;
  const wordSeeds = WORD_SEEDS[phase]!;
  const shift = 32 - bits;
  let word = 0;
  let inWord = false;
  let prevWord = 0;
  for (; i < to; i++) {
    const c = codes[i]!;
    let count = 0;
    const report = i >= from;
    // Character n-grams ending here, built backwards: h covers codes[i-n+1..i].
    let h = c;
    for (let n = 2; n <= NGRAM_MAX && i - n + 1 >= 0; n++) {
      h = Math.imul(h, 0x01000193) ^ codes[i - n + 1]!;
      if (n >= NGRAM_MIN && report) {
        for (const seed of ngramSeeds) each(bucket(h ^ NGRAM_SEED[n]! ^ seed, shift));
        count += ngramSeeds.length;
      }
    }
    // A word and the pair it makes with the word before it are features of the word's last character.
    if (isWordChar(c)) {
      word = inWord ? Math.imul(word, 0x01000193) ^ c : c + 0x9e37;
      inWord = true;
      if (i + 1 >= f.length || !isWordChar(codes[i + 1]!)) {
        if (report) {
          const pair = Math.imul(prevWord, 0x27d4eb2d) ^ word ^ PAIR_SEED;
          for (const seed of wordSeeds) {
            each(bucket(word ^ WORD_SEED ^ seed, shift));
            each(bucket(pair ^ seed, shift));
          }
          count += 2 * wordSeeds.length;
        }
        prevWord = word;
        inWord = false;
      }
    }
    if (report && done) done(i, count);
  }
}

/**
 * The scoring loop of forEachFeature, specialised: for each folded position, the running sum of the weights of every
 * feature ending at or before it (`sums[i + 1]`) and their number (`counts[i + 1]`). The same features as
 * forEachFeature, to the bit (features.test.ts holds them together); written out because a callback per feature
 * costs more than the feature itself.
 */
export function sumFeatures(f: Folded, phase: number, weights: Int8Array, sums: Int32Array, counts: Int32Array): void {
  const { codes, length } = f;
  const shift = 32 - (31 - Math.clz32(weights.length));
  // One or two seeds per kind of feature (NGRAM_SEEDS, WORD_SEEDS); `two` says whether the second one is used.
  const ng = NGRAM_SEEDS[phase]!;
  const wd = WORD_SEEDS[phase]!;
  const n0 = ng[0]!;
  const n1 = ng[1] ?? 0;
  const twoN = ng.length > 1;
  const w0 = wd[0]!;
  const w1 = wd[1] ?? 0;
  const twoW = wd.length > 1;
  const perN = ng.length;
  const perW = 2 * wd.length;
  const s2 = NGRAM_SEED[2]!;
  const s3 = NGRAM_SEED[3]!;
  const s4 = NGRAM_SEED[4]!;
  const s5 = NGRAM_SEED[5]!;
  let acc = 0;
  let n = 0;
  let word = 0;
  let inWord = false;
  let prevWord = 0;
  // The last four characters, newest first.
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let c4 = 0;
  for (let i = 0; i < length; i++) {
    const c = codes[i]!;
    if (i >= 1) {
      let h = Math.imul(c, 0x01000193) ^ c1;
      let x = h ^ s2;
      acc += weights[Math.imul(x ^ n0, 0x9e3779b1) >>> shift]!;
      if (twoN) acc += weights[Math.imul(x ^ n1, 0x9e3779b1) >>> shift]!;
      n += perN;
      if (i >= 2) {
        h = Math.imul(h, 0x01000193) ^ c2;
        x = h ^ s3;
        acc += weights[Math.imul(x ^ n0, 0x9e3779b1) >>> shift]!;
        if (twoN) acc += weights[Math.imul(x ^ n1, 0x9e3779b1) >>> shift]!;
        n += perN;
        if (i >= 3) {
          h = Math.imul(h, 0x01000193) ^ c3;
          x = h ^ s4;
          acc += weights[Math.imul(x ^ n0, 0x9e3779b1) >>> shift]!;
          if (twoN) acc += weights[Math.imul(x ^ n1, 0x9e3779b1) >>> shift]!;
          n += perN;
          if (i >= 4) {
            h = Math.imul(h, 0x01000193) ^ c4;
            x = h ^ s5;
            acc += weights[Math.imul(x ^ n0, 0x9e3779b1) >>> shift]!;
            if (twoN) acc += weights[Math.imul(x ^ n1, 0x9e3779b1) >>> shift]!;
            n += perN;
          }
        }
      }
    }
    if (isWordChar(c)) {
      word = inWord ? Math.imul(word, 0x01000193) ^ c : c + 0x9e37;
      inWord = true;
      if (i + 1 >= length || !isWordChar(codes[i + 1]!)) {
        const pair = Math.imul(prevWord, 0x27d4eb2d) ^ word ^ PAIR_SEED;
        const w = word ^ WORD_SEED;
        acc += weights[Math.imul(w ^ w0, 0x9e3779b1) >>> shift]! + weights[Math.imul(pair ^ w0, 0x9e3779b1) >>> shift]!;
        if (twoW) {
          acc +=
            weights[Math.imul(w ^ w1, 0x9e3779b1) >>> shift]! + weights[Math.imul(pair ^ w1, 0x9e3779b1) >>> shift]!;
        }
        n += perW;
        prevWord = word;
        inWord = false;
      }
    }
    sums[i + 1] = acc;
    counts[i + 1] = n;
    c4 = c3;
    c3 = c2;
    c2 = c1;
    c1 = c;
  }
}
