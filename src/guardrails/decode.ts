/**
 * Decoded and normalised views of a string, for the secrets detector and the data-flow guard (issue 15, class 4:
 * "secrets leave encoded"). A token sent as hex, base64 or base64url (also twice), percent-encoded, as `\x67`,
 * `\u0067`, `&#103;` or `103,104,112,…` character codes, reversed, or with a separator every few characters is the
 * same token: each view turns one of those spellings back into plain text, and remembers, for every character of
 * the view, which characters of the ORIGINAL string spelled it, so a finding on a view can redact the encoded form.
 *
 * Phase: any (input and output scans). Cost: decoding is kept off strings that cannot be an encoding (each kind
 * needs a run of its own character class of a minimal length, and a decoded candidate must be readable text), and
 * all candidates of one layer share one view, so a scan runs the rules once per layer. The run-shaped regexes are
 * only tried where longRuns() found a long enough run (issue 16: a 1 MB result must scan in milliseconds), and the
 * reversed and separated views visit only the places where a token can start. These prefilters are exact: each
 * skips only what provably cannot match, so the views are the same as a full pass would build.
 *
 * Failure mode: bounded, never silent. The input length, the number of candidates, the nesting of decodes (at most
 * `maxDepth` layers) and a time budget are checked; when one runs out, the unfinished candidate is returned in
 * `exceeded` (with its span in the original) and the caller reports it, so the stage denies instead of skipping.
 */

export type EncodingKind = 'base64' | 'hex' | 'percent' | 'escapes' | 'char-codes' | 'reversed' | 'separated';

/** A view of the original string: its text, and where in the original each of its characters came from. */
export interface View {
  text: string;
  /** Encodings undone to get here, outermost first (empty for the original). */
  kinds: readonly EncodingKind[];
  /** The [start, end) span of the original string that spelled the view's character `i`. */
  origin(i: number): [number, number];
}

export interface DecodeBudget {
  /** Longest string that is decoded at all (UTF-16 units). */
  maxInput: number;
  /** Most decoded candidates per string, over all layers. */
  maxCandidates: number;
  /** Layers of decoding (base64 of base64 is 2). A readable candidate one layer deeper is "exceeded". */
  maxDepth: number;
  /** Wall-clock budget per string, in milliseconds. */
  timeMs: number;
}

export const DEFAULT_DECODE_BUDGET: DecodeBudget = {
  maxInput: 16 * 1024 * 1024,
  maxCandidates: 50_000,
  maxDepth: 2,
  timeMs: 500,
};

export interface Exceeded {
  /** Span in the original string of what could not be decoded to the end. */
  start: number;
  end: number;
  reason: 'input' | 'candidates' | 'depth' | 'time';
}

export interface Decoded {
  /** One view per decoded layer (depth 1, then 2), each holding every candidate of that layer. */
  layers: View[];
  exceeded: Exceeded[];
}

/** The original string as a view. */
export function identityView(text: string): View {
  return { text, kinds: [], origin: (i) => [i, i + 1] };
}

/** The span of the original that spelled view characters [start, end). */
export function spanOf(view: View, start: number, end: number): [number, number] {
  const a = view.origin(start);
  const b = view.origin(Math.max(start, end - 1));
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

/** One decoded run: its text and, per UTF-16 unit, the [start, end) it came from in the parent view. */
interface Candidate {
  kind: EncodingKind;
  start: number;
  end: number;
  text: string;
  spans: Int32Array;
}

/** A decoded candidate must read as text: no control characters but tab and line breaks, no broken UTF-8. */
function readable(s: string): boolean {
  if (s.length < 6) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 ? c !== 9 && c !== 10 && c !== 13 : (c >= 0x7f && c < 0xa0) || c === 0xfffd) return false;
  }
  return true;
}

/** A byte that no text holds: a control character other than tab and line breaks. */
function controlByte(b: number): boolean {
  return (b < 0x20 && b !== 9 && b !== 10 && b !== 13) || b === 0x7f;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether `bytes` has the shape of UTF-8: each byte from 0x80 is a lead byte (0xC2–0xF4) followed by as many
 * continuation bytes (0x80–0xBF) as it announces. Every sequence this rejects is one the fatal decoder rejects too
 * (a stray continuation, a lead that cannot start a sequence, a sequence cut short; the valid sequences before it
 * have the same lengths for both, so both read from the same place); the finer ranges (overlong forms, surrogates,
 * past U+10FFFF) are left to the decoder, so the verdict is the decoder's own.
 */
export function utf8Shaped(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let i = 0; i < n;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b < 0xc2 ? -1 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : b < 0xf5 ? 3 : -1;
    if (need < 0 || i + need >= n) return false;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}

/**
 * Builds a candidate from decoded bytes, each with the span that spelled it; the bytes must be UTF-8 text.
 * Returns undefined for binary (an image, a hash, a compressed blob): it is no spelling of a secret.
 */
function fromBytes(kind: EncodingKind, start: number, end: number, bytes: Uint8Array, at: Int32Array) {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (controlByte(b)) return undefined;
    if (b >= 0x80) ascii = false;
  }
  if (ascii) {
    // ASCII without control bytes is readable once it is long enough, and each character is one byte: its text is
    // the bytes as latin1 and its spans are the bytes' own (issue 21: this was a third of a base64-heavy megabyte).
    if (bytes.length < 6) return undefined;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    return { kind, start, end, text, spans: at.slice(0, 2 * bytes.length) } satisfies Candidate;
  }
  // Most non-ASCII decodes are binary or a word misread as base64, whose bytes are not UTF-8 at all: checked here
  // without the decoder's throw, which cost more than the decode (issue 21: 7% of the secrets scan of short strings).
  if (!utf8Shaped(bytes)) return undefined;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  if (!readable(text)) return undefined;
  const spans = new Int32Array(text.length * 2);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c < 0xe000 && i > 0) {
      // The low half of a surrogate pair was spelled by its high half's four bytes.
      spans[2 * i] = spans[2 * i - 2]!;
      spans[2 * i + 1] = spans[2 * i - 1]!;
      continue;
    }
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 4 : 3;
    spans[2 * i] = at[2 * Math.min(b, bytes.length - 1)]!;
    spans[2 * i + 1] = at[2 * Math.min(b + n - 1, bytes.length - 1) + 1]!;
    b += n;
  }
  return { kind, start, end, text, spans } satisfies Candidate;
}

/**
 * A set of ASCII characters as a lookup table, for longRuns(). Built once per class at load.
 */
export function charClass(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Every maximal run of characters of `cls` that is at least `minLen` long, as [start, end) pairs in order: the
 * prefilter that keeps the run-shaped regexes (base64, hex, character codes, bare 40-character keys, PEM lines) off
 * the rest of a long text. Exact, not a heuristic: a run of `minLen` or more characters holds, for the stride
 * s = ⌊minLen/2⌋, two consecutive multiples of s and every character between them, so sampling every s-th
 * character and checking the s characters after each sample finds every such run, while prose (short words
 * between spaces and punctuation) costs about one read per sample.
 */
export function longRuns(text: string, cls: Uint8Array, minLen: number): [number, number][] {
  // A class of token characters has its runs inside the long token runs, found once per text for every caller
  // (the decoders, the bare-key and PEM rules and the reversed view all read the same text in one scan).
  if (minLen >= TOKEN_RUN_MIN && subsetOfToken(cls)) {
    const runs: [number, number][] = [];
    for (const [a, b] of tokenRuns(text)) {
      for (let i = a; i < b;) {
        let e = i;
        while (e < b && cls[text.charCodeAt(e)] === 1) e++;
        if (e - i >= minLen) runs.push([i, e]);
        i = e + 1;
      }
    }
    return runs;
  }
  return sampledRuns(text, cls, minLen);
}

/** longRuns() by sampling every ⌊minLen/2⌋-th character (see there). */
function sampledRuns(text: string, cls: Uint8Array, minLen: number): [number, number][] {
  const runs: [number, number][] = [];
  const n = text.length;
  // The stride argument needs two characters per run (2s ≤ minLen); a run of one is read character by character.
  if (minLen < 2) {
    for (let i = 0; i < n;) {
      let e = i;
      while (e < n && cls[text.charCodeAt(e)] === 1) e++;
      if (e > i) runs.push([i, e]);
      i = e + 1;
    }
    return runs;
  }
  const s = minLen >> 1;
  const inClass = (i: number): boolean => {
    const c = text.charCodeAt(i);
    return c < 128 && cls[c] === 1;
  };
  for (let p = 0; p + s < n; p += s) {
    // Check the far end first: in prose it is the likeliest to fail.
    let ok = inClass(p + s);
    for (let i = p; ok && i < p + s; i++) ok = inClass(i);
    if (!ok) continue;
    let a = p;
    while (a > 0 && inClass(a - 1)) a--;
    let e = p + s + 1;
    while (e < n && inClass(e)) e++;
    if (e - a >= minLen) runs.push([a, e]);
    // Resume at the first sample after the run (the loop adds s).
    p = Math.floor(e / s) * s;
  }
  return runs;
}

/** Token runs shorter than this hold nothing any caller looks for (the reversed view needs 16 + 1). */
const TOKEN_RUN_MIN = 17;
const SUBSET_OF_TOKEN = new WeakMap<Uint8Array, boolean>();

function subsetOfToken(cls: Uint8Array): boolean {
  let yes = SUBSET_OF_TOKEN.get(cls);
  if (yes === undefined) SUBSET_OF_TOKEN.set(cls, (yes = cls.every((v, c) => v === 0 || TOKEN[c] === 1)));
  return yes;
}

/**
 * The token runs of the last text asked about: one scan serves every reader of one string. A pure function of the
 * text (compared by value), so the memo cannot leak state between calls.
 */
let lastTokenRuns: { text: string; runs: [number, number][] } | undefined;
function tokenRuns(text: string): [number, number][] {
  if (lastTokenRuns?.text !== text) lastTokenRuns = { text, runs: sampledRuns(text, TOKEN, TOKEN_RUN_MIN) };
  return lastTokenRuns.runs;
}

/**
 * The starts of the matches of `sticky` (a regex with the y flag) in the order and with the consumption of a global
 * search, given `candidates`: ascending positions that include every position where a match can start. A
 * candidate inside the previous match is skipped, as the global search would step over it.
 */
export function* stickyMatches(text: string, sticky: RegExp, candidates: Iterable<number>): Iterable<RegExpExecArray> {
  let end = 0;
  for (const at of candidates) {
    if (at < end) continue;
    sticky.lastIndex = at;
    const m = sticky.exec(text);
    if (!m) continue;
    yield m;
    end = m.index + Math.max(1, m[0].length);
  }
}

/** The candidate starts inside runs: positions whose character is in `first` and whose predecessor is not in `notAfter`. */
function* runStarts(text: string, runs: [number, number][], first: Uint8Array, notAfter: Uint8Array): Iterable<number> {
  for (const [a, e] of runs) {
    for (let i = a; i < e; i++) {
      const c = text.charCodeAt(i);
      const b = i > 0 ? text.charCodeAt(i - 1) : -1;
      if (c < 128 && first[c] === 1 && !(b >= 0 && b < 128 && notAfter[b] === 1)) yield i;
    }
  }
}

/** The runs among `runs` that hold at least `min` characters of `cls`. */
function holding(text: string, runs: [number, number][], cls: Uint8Array, min: number): [number, number][] {
  return runs.filter(([a, e]) => {
    let n = 0;
    for (let i = a; i < e && n < min; i++) {
      const c = text.charCodeAt(i);
      if (c < 128 && cls[c] === 1) n++;
    }
    return n >= min;
  });
}

const BASE64_CLASS = charClass(`${ALNUM}+/_-`);
const HEX_DIGIT = charClass('0123456789abcdefABCDEF');
const HEX_RUN_CLASS = charClass('0123456789abcdefABCDEF :,.-');

const B64_VALUE = new Int8Array(128).fill(-1);
for (const [i, ch] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries())
  B64_VALUE[ch.charCodeAt(0)] = i;
B64_VALUE['-'.charCodeAt(0)] = 62; // base64url
B64_VALUE['_'.charCodeAt(0)] = 63;

/**
 * base64 and base64url runs of at least 24 characters (18 bytes: shorter than any token worth finding), which may
 * be wrapped in lines (MIME and PEM wrap at 76 and 64). A pure-hex run is left to the hex decoder. Decoding stops
 * at the first byte that no text holds, so binary (images, hashes in a lockfile) costs a few characters.
 */
const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}(?:\r?\n[A-Za-z0-9+/_-]{4,})*={0,2}/y;
const HEX_ONLY = /^[0-9a-fA-F]+$/;

const POS_SCRATCH = new Int32Array(4096);

function decodeBase64(text: string, out: Candidate[]): void {
  // A match starts where a run of 24 or more base64 characters starts (the previous match ends before a character
  // outside the class), so only those starts are tried.
  const runs = longRuns(text, BASE64_CLASS, 24);
  for (const m of stickyMatches(
    text,
    BASE64_RUN,
    runs.map((r) => r[0]),
  )) {
    const run = m[0];
    if (HEX_ONLY.test(run)) continue;
    const bytes = new Uint8Array(Math.floor((run.length * 6) / 8));
    const at = new Int32Array(bytes.length * 2);
    // Where each base64 character of the run is in the text (line breaks and padding are skipped): scratch, in a
    // buffer kept for short runs (a typed array per run cost more than the decode of a short one).
    const pos = run.length <= POS_SCRATCH.length ? POS_SCRATCH : new Int32Array(run.length);
    let np = 0;
    let acc = 0;
    let bits = 0;
    let j = 0;
    let binary = false;
    for (let i = 0; i < run.length && !binary; i++) {
      const c = run.charCodeAt(i);
      const v = c < 128 ? B64_VALUE[c]! : -1;
      if (v < 0) continue;
      pos[np++] = m.index + i;
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        const byte = (acc >> bits) & 0xff;
        if (controlByte(byte)) binary = true;
        bytes[j] = byte;
        // Byte j is bits [8j, 8j + 8) of the stream: the base64 characters that hold them.
        at[2 * j] = pos[Math.floor((8 * j) / 6)]!;
        at[2 * j + 1] = pos[Math.floor((8 * j + 7) / 6)]! + 1;
        j++;
      }
    }
    if (binary) continue;
    const c = fromBytes('base64', m.index, m.index + run.length, bytes.subarray(0, j), at.subarray(0, 2 * j));
    if (c) out.push(c);
  }
}

/** Hex bytes: contiguous, with one separator between bytes (`67 68`, `67:68`), `\x67`, or `0x67, 0x68`. */
const HEX_RUN = /(?<![0-9a-fA-F])[0-9a-fA-F]{2}(?:[ :,.-]?[0-9a-fA-F]{2}){11,}(?![0-9a-fA-F])/y;
const HEX_ESCAPED_RUN = /(?:\\x[0-9a-fA-F]{2}){6,}|(?:0x[0-9a-fA-F]{2}[ ,;]{0,2}){6,}/g;
const HEX_BYTE = /(?:\\x|0x)?([0-9a-fA-F]{2})/g;

function decodeHex(text: string, out: Candidate[]): void {
  const escaped = text.includes('\\x') || text.includes('0x');
  // A HEX_RUN match is 24 hex digits or more inside a run of hex digits and separators: only such runs are read.
  const hexRuns = holding(text, longRuns(text, HEX_RUN_CLASS, 24), HEX_DIGIT, 24);
  const runs = [
    ...stickyMatches(text, HEX_RUN, runStarts(text, hexRuns, HEX_DIGIT, HEX_DIGIT)),
    ...(escaped ? text.matchAll(HEX_ESCAPED_RUN) : []),
  ];
  for (const m of runs) {
    const run = m[0];
    const bytes: number[] = [];
    const at: number[] = [];
    for (const b of run.matchAll(HEX_BYTE)) {
      const byte = parseInt(b[1]!, 16);
      if (controlByte(byte)) break;
      bytes.push(byte);
      at.push(m.index + b.index, m.index + b.index + b[0].length);
    }
    if (bytes.length * 2 < run.replace(/\\x|0x|[^0-9a-fA-F]/g, '').length) continue;
    const c = fromBytes('hex', m.index, m.index + run.length, Uint8Array.from(bytes), Int32Array.from(at));
    if (c) out.push(c);
  }
}

/**
 * Runs around escapes: from each escape the run grows over the characters `literal` accepts (and further escapes)
 * on both sides, up to 256 characters each way, so `ghp%5F…` and a fully escaped token are one run each.
 */
function escapeRuns(text: string, escape: RegExp, literal: (c: number) => boolean): [number, number][] {
  const runs: [number, number][] = [];
  const next = new RegExp(escape.source, 'y');
  let end = -1;
  for (const m of text.matchAll(escape)) {
    if (m.index < end) continue;
    let s = m.index;
    for (let n = 0; s > 0 && n < 256 && literal(text.charCodeAt(s - 1)); n++) s--;
    let e = m.index + m[0].length;
    for (let n = 0; n < 256 && e < text.length;) {
      next.lastIndex = e;
      const x = next.exec(text);
      if (x) e += x[0].length;
      else if (literal(text.charCodeAt(e))) {
        e++;
        n++;
      } else break;
    }
    if (runs.length && s <= end) runs[runs.length - 1]![1] = e;
    else runs.push([s, e]);
    end = e;
  }
  return runs;
}

const URL_LITERAL = (c: number) =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  "._~!*'()+,;=:@/?&$-".includes(String.fromCharCode(c));
const PERCENT = /%[0-9A-Fa-f]{2}/g;

/** Percent-encoding, whole or in part (`ghp%5F…`): the run around the escapes, decoded as UTF-8. */
function decodePercent(text: string, out: Candidate[]): void {
  if (!text.includes('%')) return;
  for (const [s, e] of escapeRuns(text, PERCENT, URL_LITERAL)) {
    if (e - s < 8) continue;
    const bytes: number[] = [];
    const at: number[] = [];
    for (let i = s; i < e;) {
      const esc = text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3));
      const w = esc ? 3 : 1;
      bytes.push(esc ? parseInt(text.slice(i + 1, i + 3), 16) : text.charCodeAt(i));
      at.push(i, i + w);
      i += w;
    }
    const c = fromBytes('percent', s, e, Uint8Array.from(bytes), Int32Array.from(at));
    if (c) out.push(c);
  }
}

/** `\u0067`, `\u{67}`, `&#103;`, `&#x67;`, with literal characters between them. */
const ESCAPE = /\\u([0-9a-fA-F]{4})|\\u\{([0-9a-fA-F]{1,6})\}|&#([0-9]{1,7});|&#[xX]([0-9a-fA-F]{1,6});/g;
const ESCAPE_AT = new RegExp(ESCAPE.source, 'y');
const TOKEN_LITERAL = (c: number) =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  '_+/=.:-'.includes(String.fromCharCode(c));

function decodeEscapes(text: string, out: Candidate[]): void {
  if (!text.includes('\\u') && !text.includes('&#')) return;
  for (const [s0, e0] of escapeRuns(text, ESCAPE, TOKEN_LITERAL)) {
    let str = '';
    const at: number[] = [];
    let escapes = 0;
    for (let i = s0; i < e0;) {
      ESCAPE_AT.lastIndex = i;
      const e = ESCAPE_AT.exec(text);
      if (e) {
        const hex = e[1] ?? e[2] ?? e[4];
        const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(e[3]!, 10);
        const ch = cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
        for (let k = 0; k < ch.length; k++) at.push(i, i + e[0].length);
        str += ch;
        escapes++;
        i += e[0].length;
      } else {
        str += text[i];
        at.push(i, i + 1);
        i++;
      }
    }
    if (escapes >= 2 && readable(str))
      out.push({ kind: 'escapes', start: s0, end: e0, text: str, spans: Int32Array.from(at) });
  }
}

/** Decimal character codes `103,104,112,95,…` or `103 104 112`: at least eight, all printable ASCII. */
const CHAR_CODES = /(?<![\d.])\d{2,3}(?:(?:[ \t]*[,;][ \t]*|[ \t]+)\d{2,3}){7,}(?![\d.])/g;

function decodeCharCodes(text: string, out: Candidate[]): void {
  // The plain search: it starts with a digit, which V8 finds fast, where a run prefilter would read the space
  // padding of every table.
  for (const m of text.matchAll(CHAR_CODES)) {
    let str = '';
    const at: number[] = [];
    let ok = true;
    for (const d of m[0].matchAll(/\d+/g)) {
      const code = Number(d[0]);
      if (code < 32 || code > 126) {
        ok = false;
        break;
      }
      str += String.fromCharCode(code);
      at.push(m.index + d.index, m.index + d.index + d[0].length);
    }
    if (ok)
      out.push({
        kind: 'char-codes',
        start: m.index,
        end: m.index + m[0].length,
        text: str,
        spans: Int32Array.from(at),
      });
  }
}

const DECODERS = [decodeBase64, decodeHex, decodePercent, decodeEscapes, decodeCharCodes];

/** All candidates of one layer in one view, joined by line breaks so that no token spans two candidates. */
function layerView(parent: View, cands: Candidate[]): View {
  const offsets: number[] = [];
  const parts: string[] = [];
  let len = 0;
  for (const c of cands) {
    offsets.push(len);
    parts.push(c.text);
    len += c.text.length + 1;
  }
  const kinds = [...new Set(cands.map((c) => c.kind))];
  return {
    text: parts.join('\n'),
    kinds: [...parent.kinds, ...kinds],
    origin(i) {
      let lo = 0;
      let hi = offsets.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (offsets[mid]! <= i) lo = mid;
        else hi = mid - 1;
      }
      const c = cands[lo]!;
      const k = Math.max(0, Math.min(i - offsets[lo]!, c.text.length - 1));
      return spanOf(parent, c.spans[2 * k]!, c.spans[2 * k + 1]!);
    },
  };
}

/** The candidates one layer down from `view`, in parent order. */
function candidatesOf(view: View): Candidate[] {
  const out: Candidate[] = [];
  // Each decoder has its own prefilter (a long enough run of its characters, or its escape's literal).
  for (const decode of DECODERS) decode(view.text, out);
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Decodes `text` layer by layer. Every candidate that decodes to readable text is kept; one that would need a
 * layer deeper than `maxDepth`, or that the candidate count or the time budget does not reach, is `exceeded`.
 */
export function decodeLayers(
  text: string,
  budget: DecodeBudget = DEFAULT_DECODE_BUDGET,
  now = (): number => performance.now(),
): Decoded {
  const exceeded: Exceeded[] = [];
  if (text.length > budget.maxInput) return { layers: [], exceeded: [{ start: 0, end: text.length, reason: 'input' }] };
  const deadline = now() + budget.timeMs;
  const layers: View[] = [];
  let parent = identityView(text);
  let count = 0;
  for (let depth = 1; ; depth++) {
    const cands = candidatesOf(parent);
    if (cands.length === 0) break;
    const over = (c: Candidate, reason: Exceeded['reason']) => {
      const [start, end] = spanOf(parent, c.start, c.end);
      exceeded.push({ start, end, reason });
    };
    if (depth > budget.maxDepth) {
      for (const c of cands) over(c, 'depth');
      break;
    }
    if (count + cands.length > budget.maxCandidates) {
      for (const c of cands.slice(budget.maxCandidates - count)) over(c, 'candidates');
      cands.length = Math.max(0, budget.maxCandidates - count);
    }
    count += cands.length;
    if (now() > deadline) {
      for (const c of cands) over(c, 'time');
      break;
    }
    if (cands.length === 0) break;
    parent = layerView(parent, cands);
    layers.push(parent);
  }
  return { layers, exceeded };
}

/** The global twin of a gate, compiled once per gate (a scan must not compile a large alternation per string). */
const GLOBAL_GATES = new WeakMap<RegExp, RegExp>();
function globalOf(gate: RegExp): RegExp {
  let g = GLOBAL_GATES.get(gate);
  if (!g)
    GLOBAL_GATES.set(gate, (g = new RegExp(gate.source, gate.flags.includes('g') ? gate.flags : gate.flags + 'g')));
  return g;
}

/**
 * The windows of `view` around each match of `gate` (the rules' keywords spelled backwards), each read backwards
 * (a token sent reversed). Only windows are reversed: the rest of a long text cannot hold the token. A reversed
 * token is its body, then its prefix backwards (`…Xy9_phg`): a match without 16 token characters glued in front
 * (prose: "iPad" is "dapi" backwards) opens no window.
 *
 * `tokenGate`: the caller vouches that every match of `gate` is made of token characters (an alternation of such
 * keywords). A match that opens a window then lies in a run of at least 17 token characters, and the matches
 * inside one run do not depend on the text outside it, so the gate runs on those runs only (exactly the same
 * windows, without a pass of the alternation over the whole text).
 */
export function reversedView(view: View, gate: RegExp, reach = 400, tokenGate = false): View | undefined {
  const g = globalOf(gate);
  const windows: [number, number][] = [];
  const text = view.text;
  const runs = tokenGate ? tokenRuns(text) : [[0, text.length] as [number, number]];
  for (const [a, b] of runs) {
    const scope = a === 0 && b === text.length ? text : text.slice(a, b);
    g.lastIndex = 0;
    for (let m = g.exec(scope); m !== null; m = g.exec(scope)) {
      if (m[0].length === 0) g.lastIndex++;
      const index = a + m.index;
      let body = 0;
      while (body < 16 && index - body > 0 && TOKEN[text.charCodeAt(index - body - 1)] === 1) body++;
      if (body < 16) continue;
      const s = Math.max(0, index - reach);
      const e = Math.min(text.length, index + m[0].length + reach);
      const last = windows.at(-1);
      if (last && s <= last[1]) last[1] = e;
      else windows.push([s, e]);
    }
  }
  if (windows.length === 0) return undefined;
  // The windows reversed UTF-16 unit by unit and joined by line breaks, and for each unit of that, its index in the
  // text (a line break maps where the unit before it does). Built in typed arrays: on a base64-heavy megabyte the
  // windows cover most of the text (issue 21).
  let total = windows.length - 1;
  for (const [s, e] of windows) total += e - s;
  const units = new Uint16Array(total);
  const at = new Int32Array(total);
  let k = 0;
  for (const [s, e] of windows) {
    if (k > 0) {
      units[k] = 10;
      at[k] = at[k - 1]!;
      k++;
    }
    for (let i = e - 1; i >= s; i--, k++) {
      units[k] = text.charCodeAt(i);
      at[k] = i;
    }
  }
  let reversed = '';
  for (let i = 0; i < total; i += 8192) reversed += String.fromCharCode(...units.subarray(i, i + 8192));
  return { text: reversed, kinds: [...view.kinds, 'reversed'], origin: (i) => view.origin(at[i]!) };
}

/** Character classes by code: a token character, and each separator class. */
const TOKEN = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/=~.:-') TOKEN[ch.charCodeAt(0)] = 1;

interface SeparatorClass {
  /** The separator characters. */
  chars: string;
  /** Whether a token can hold it (then a separator off the period is the token's own). */
  native: boolean;
}

const SEPARATORS: readonly SeparatorClass[] = [
  { chars: ' \t\n\r', native: false },
  { chars: '-', native: true },
  { chars: '_', native: true },
  { chars: '.', native: true },
  { chars: ',;|', native: false },
];
const MAX_PERIOD = 8;
const MIN_PIECES = 4;

/**
 * Runs where a separator was put every k characters (k at most 8): `ghp_-AbCd-EfGh-…`, `g h p _ A b`, one line
 * per four characters. A run is found by its period: separators of the same width at q, q+p, q+2p, … for at least
 * four full pieces, with token characters between them (a token's own `-`, `_` or `.` may sit inside a piece).
 * Left of the first one, up to 64 token characters are kept, with the separators at the period removed; after the
 * last, a final piece of at most k. English prose has words of every length, so its spaces rarely line up, and when
 * they do, only vendor rules (prefixes, checksums) read the result.
 */
export function separatedView(view: View): View | undefined {
  const text = view.text;
  const n = text.length;
  if (n < 2 * MIN_PIECES) return undefined;
  // The positions the search below visits, instead of every character: where a run can start. A run of class k
  // has separators of that class at q, q+p, …, q+4p. A separator of a native class (`-`, `_`, `.`) may also sit
  // inside a piece, so a native q is visited when the fourth separator of its class after it is within 4p (p ≤ 9)
  // of it. A non-native one (whitespace, `,;|`) may not: a run's separators are then five consecutive blocks of its
  // class whose starts are p apart, so only the first block of four equal gaps in a row is visited (in prose, four
  // words of the same length in a row).
  const starts: number[] = [];
  // By class (SEPARATORS has five): where its last block started, the gap before it, and how many equal gaps; for
  // native classes, the last four positions (a ring) and how many there were.
  const lastStart = [-1, -1, -1, -1, -1, -1];
  const lastGap = [0, 0, 0, 0, 0, 0];
  const streak = [0, 0, 0, 0, 0, 0];
  const ring = new Array<number>(4 * (SEPARATORS.length + 1)).fill(0);
  const seen = [0, 0, 0, 0, 0, 0];
  const reach = MIN_PIECES * (MAX_PERIOD + 1);
  let any = false;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? SEP_CLASS[c]! : 0;
    const before = prev;
    prev = k;
    if (k === 0) continue;
    any = true;
    if (NATIVE[k] === 1) {
      // ring holds this class's previous four positions; the oldest is four separators back.
      const slot = 4 * k + (seen[k]! & 3);
      if (seen[k]! >= MIN_PIECES && i - ring[slot]! <= reach) starts.push(ring[slot]!);
      ring[slot] = i;
      seen[k]!++;
    } else if (before !== k) {
      const gap = lastStart[k]! < 0 ? -1 : i - lastStart[k]!;
      streak[k] = gap > 0 && gap <= MAX_PERIOD + 2 && gap === lastGap[k] ? streak[k]! + 1 : 1;
      lastGap[k] = gap;
      lastStart[k] = i;
      if (streak[k] >= MIN_PIECES) starts.push(i - MIN_PIECES * gap);
    }
  }
  if (!any) return undefined;
  starts.sort((a, b) => a - b);
  const parts: string[] = [];
  const at: number[] = [];
  let done = 0;
  for (const q of starts) {
    const k = sepClass(text, q);
    if (q === 0 || q < done) continue;
    const sep = SEPARATORS[k - 1]!;
    if (!inPiece(text, q - 1, k, sep.native)) continue;
    const w = !sep.native && sepClass(text, q + 1) === k ? 2 : 1;
    if (!periodic(text, q, w, k)) continue;
    const run = periodicFrom(text, q, w, k, sep.native);
    if (!run) continue;
    if (parts.length) at.push(at.at(-1)!);
    parts.push(run.idx.map((i) => text[i]).join(''));
    at.push(...run.idx);
    done = run.end;
  }
  if (parts.length === 0) return undefined;
  return { text: parts.join('\n'), kinds: [...view.kinds, 'separated'], origin: (i) => view.origin(at[i]!) };
}

const SEP_CLASS = new Uint8Array(128);
/** By class (1 + its index in SEPARATORS): 1 for the classes a token can hold. */
const NATIVE = new Uint8Array(SEPARATORS.length + 1);
SEPARATORS.forEach((sep, i) => {
  for (const ch of sep.chars) SEP_CLASS[ch.charCodeAt(0)] = i + 1;
  NATIVE[i + 1] = sep.native ? 1 : 0;
});

/**
 * The prefilter of periodicFrom(): a run of four pieces or more has separators of its class at q + p, q + 2p,
 * q + 3p and q + 4p for one period p; prose, whose words differ in length, fails this on the array alone, before any
 * character of a piece is read.
 */
function periodic(text: string, q: number, w: number, k: number): boolean {
  for (let p = 1 + w; p <= MAX_PERIOD + w; p++) {
    if (
      sepClass(text, q + p) === k &&
      sepClass(text, q + 2 * p) === k &&
      sepClass(text, q + 3 * p) === k &&
      sepClass(text, q + 4 * p) === k
    )
      return true;
  }
  return false;
}

/** The separator class of text[i] (1 + its index in SEPARATORS), 0 for any other character and past either end. */
function sepClass(text: string, i: number): number {
  const c = text.charCodeAt(i); // NaN past either end
  return c < 128 ? SEP_CLASS[c]! : 0;
}

/** Whether text[i] may sit inside a piece of a run separated by class k. */
function inPiece(text: string, i: number, k: number, native: boolean): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && TOKEN[c] === 1 && (native || sepClass(text, i) !== k);
}

/** The periodic run whose first separator (of width w, class k) is at q, if there is one. */
function periodicFrom(
  text: string,
  q: number,
  w: number,
  k: number,
  native: boolean,
): { idx: number[]; end: number } | undefined {
  const n = text.length;
  for (let len = 1; len <= MAX_PERIOD; len++) {
    const p = len + w;
    if (sepClass(text, q + p) !== k) continue;
    let pieces = 0;
    for (;;) {
      const s = q + (pieces + 1) * p;
      if (
        s >= n ||
        sepClass(text, s) !== k ||
        (w === 2 && sepClass(text, s + 1) !== k) ||
        (!native && sepClass(text, s + w) === k)
      )
        break;
      let ok = true;
      for (let i = q + pieces * p + w; i < s && ok; i++) ok = inPiece(text, i, k, native);
      if (!ok) break;
      pieces++;
    }
    if (pieces < MIN_PIECES) continue;
    // Left: token characters, dropping separators that sit on the period.
    const idx: number[] = [];
    for (let i = q - 1, taken = 0; i >= 0 && taken < 64 && inPiece(text, i, k, native); i--, taken++) {
      const onPeriod = (q - i) % p === 0 || (w === 2 && (q - i + 1) % p === 0);
      if (!(onPeriod && sepClass(text, i) === k)) idx.push(i);
    }
    idx.reverse();
    for (let r = 0; r < pieces; r++) for (let i = q + r * p + w; i < q + (r + 1) * p; i++) idx.push(i);
    // The last piece: up to len token characters after the last separator.
    const lastSep = q + pieces * p;
    let end = lastSep + w;
    while (end < n && end - lastSep - w < len && inPiece(text, end, k, native) && sepClass(text, end) !== k)
      idx.push(end++);
    return { idx, end };
  }
  return undefined;
}
