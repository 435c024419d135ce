/**
 * A hashed bag of words for small local models (onnx.ts): the feature vector scikit-learn's HashingVectorizer
 * makes with its defaults, so a linear model trained on that vectorizer and exported with skl2onnx reads the same
 * numbers here. Words are runs of two or more word characters (token_pattern `(?u)\b\w\w+\b`), optionally
 * lower-cased, with word n-grams joined by one space; each goes to column |h| mod n of the signed 32-bit
 * MurmurHash3 of its UTF-8 bytes (seed 0), counted +1, or -1 when h < 0 with alternateSign; then the vector is
 * normalised (l2 by default). Python's `\w` and JavaScript's Unicode classes differ at the edges (some marks and
 * connectors), which matters only for unusual scripts.
 */

export interface HashingOptions {
  features: number;
  ngrams?: number;
  lowercase?: boolean;
  alternateSign?: boolean;
  norm?: 'l2' | 'l1' | 'none';
}

const WORD = /[\p{L}\p{N}\p{M}\p{Pc}]{2,}/gu;

/** MurmurHash3 x86 32-bit of the UTF-8 bytes, as a signed 32-bit integer (sklearn's murmurhash3_32, positive=False). */
export function murmurhash3(key: string, seed = 0): number {
  const bytes = Buffer.from(key, 'utf8');
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes.readUInt32LE(i);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** The words of a text, in order; stops after `limit` words. */
export function hashingWords(text: string, lowercase = true, limit = Infinity): string[] {
  const words: string[] = [];
  for (const m of (lowercase ? text.toLowerCase() : text).matchAll(WORD)) {
    if (words.length >= limit) break;
    words.push(m[0]);
  }
  return words;
}

/** The feature vector of a list of words (one chunk of a text). */
export function hashingVector(words: readonly string[], opts: HashingOptions): Float32Array {
  const n = opts.features;
  const out = new Float64Array(n);
  const maxN = opts.ngrams ?? 1;
  for (let size = 1; size <= maxN; size++) {
    for (let i = 0; i + size <= words.length; i++) {
      const h = murmurhash3(words.slice(i, i + size).join(' '));
      // |-2^31| does not fit an int32; sklearn defines its column as (2^31 - 1 - (n - 1)) mod n.
      const column = h === -2147483648 ? (2147483647 - (n - 1)) % n : Math.abs(h) % n;
      out[column]! += opts.alternateSign === false || h >= 0 ? 1 : -1;
    }
  }
  const norm = opts.norm ?? 'l2';
  if (norm !== 'none') {
    let total = 0;
    for (const v of out) total += norm === 'l2' ? v * v : Math.abs(v);
    const scale = norm === 'l2' ? Math.sqrt(total) : total;
    if (scale > 0) for (let i = 0; i < n; i++) out[i]! /= scale;
  }
  return Float32Array.from(out);
}
