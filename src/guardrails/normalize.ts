/**
 * Text normalisation, run before any detector that reads meaning (injection, keywords, toxicity). Attackers hide
 * instructions from people and from naive filters, so:
 * - NFKC folds compatibility forms (fullwidth letters, ligatures, circled letters) into plain ones;
 * - zero-width, bidi-control and Unicode tag characters are removed and counted: their presence is a signal of its
 *   own, and tag characters (U+E0020–U+E007E) that spell ASCII are decoded ("ASCII smuggling");
 * - common Cyrillic and Greek homoglyphs map to the Latin letters they imitate;
 * - ANSI escape sequences are stripped (terminal output from tools);
 * - base64, hex, URL-encoded and HTML-entity runs that decode to readable text are decoded, so the decoded text is
 *   scanned too; so are text spelled in Morse code or in 8-bit binary groups, and (decodeShifted, on request) words
 *   in a Caesar or ROT13 shift.
 * Every index of the normalised text maps back to the original (`toOriginal`), so a detection on normalised text
 * can redact the exact original span. Pure ASCII without escapes takes a fast path that copies nothing.
 */

export interface DecodedRun {
  kind: 'base64' | 'hex' | 'url' | 'html' | 'tags' | 'morse' | 'binary' | 'shifted';
  text: string;
  /** Offsets of the encoded run in the original text. */
  start: number;
  end: number;
}

export interface HiddenSignals {
  zeroWidth: number;
  bidi: number;
  tags: number;
  ansi: number;
  homoglyphs: number;
}

export interface NormalizedText {
  original: string;
  text: string;
  /** Maps an index of `text` (0..text.length) to an index of `original`. */
  toOriginal(index: number): number;
  hidden: HiddenSignals;
  decoded: DecodedRun[];
}

export interface NormalizeOptions {
  stripAnsi?: boolean;
  decode?: boolean;
}

const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;
// Matching ANSI escapes needs the ESC and BEL control characters in the pattern.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** Zero-width and invisible formatting characters. */
export function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x200b && cp <= 0x200d) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    cp === 0xfeff ||
    cp === 0x00ad ||
    cp === 0x180e ||
    cp === 0x034f
  );
}

/** Bidirectional control characters (embeddings, overrides, isolates, marks). */
export function isBidi(cp: number): boolean {
  return cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/** Unicode tag characters (U+E0000–U+E007F): invisible, and able to spell ASCII. */
export function isTag(cp: number): boolean {
  return cp >= 0xe0000 && cp <= 0xe007f;
}

/** Letters that look Latin but are not. Lower and upper case. */
const HOMOGLYPHS: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  ɡ: 'g',
  ɑ: 'a',
  ο: 'o',
  α: 'a',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
  І: 'I',
  Ј: 'J',
  Ѕ: 'S',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
};

/**
 * The last text normalised without decoding, and its result: the PII, secrets and keyword detectors each normalise
 * the same string in turn, so the second and third get it for free. One entry; results are never mutated.
 */
let last: { original: string; stripAnsi: boolean; result: NormalizedText } | undefined;

export function normalize(original: string, opts: NormalizeOptions = {}): NormalizedText {
  if (opts.decode !== false) return normalizeOnce(original, opts);
  const stripAnsi = opts.stripAnsi === true;
  if (last?.original === original && last.stripAnsi === stripAnsi) return last.result;
  const result = normalizeOnce(original, opts);
  last = { original, stripAnsi, result };
  return result;
}

function normalizeOnce(original: string, opts: NormalizeOptions): NormalizedText {
  const hidden: HiddenSignals = { zeroWidth: 0, bidi: 0, tags: 0, ansi: 0, homoglyphs: 0 };
  const hasEsc = original.includes('\x1b');
  let text: string;
  let toOriginal: (index: number) => number = (i) => i;
  const decoded: DecodedRun[] = [];

  if (PLAIN_ASCII.test(original) && !(hasEsc && opts.stripAnsi)) {
    text = original;
  } else {
    const map = new OffsetMap(original.length);
    text = slowNormalize(original, opts.stripAnsi === true && hasEsc, hidden, decoded, map);
    toOriginal = (i) => map.toOriginal(i, text.length);
  }
  if (opts.decode !== false) decodeRuns(original, decoded);
  return { original, text, toOriginal, hidden, decoded };
}

/**
 * Offsets of the normalised text back into the original, piecewise: segment k starts at `out[k]` in the text and at
 * `orig[k]` in the original, and either copies characters one to one (step 1) or is what one original character
 * became (step 0: an NFKC expansion such as "ﬁ" → "fi"). Plain stretches are one segment each, so a mostly-ASCII
 * megabyte costs a few entries, not an array as long as the text.
 */
class OffsetMap {
  private readonly out: number[] = [];
  private readonly orig: number[] = [];
  private readonly step: number[] = [];

  constructor(private readonly originalLength: number) {}

  add(outAt: number, origAt: number, step: 0 | 1): void {
    const k = this.out.length - 1;
    // A one-to-one segment that continues the previous one on both sides is the same segment.
    if (step === 1 && k >= 0 && this.step[k] === 1 && origAt - this.orig[k]! === outAt - this.out[k]!) return;
    this.out.push(outAt);
    this.orig.push(origAt);
    this.step.push(step);
  }

  toOriginal(i: number, textLength: number): number {
    if (i >= textLength) return this.originalLength;
    let lo = 0;
    let hi = this.out.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.out[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.orig[lo]! + this.step[lo]! * (i - this.out[lo]!);
  }
}

/** Runs of characters that are not plain printable ASCII: only these are looked at one by one. */
const NOT_PLAIN = /[^\t\n\r\x20-\x7e]+/g;
/** Characters that need the careful path: invisible, bidi and tag characters, Greek, Cyrillic and IPA letters (and ESC). */
const NEEDS_CARE =
  // U+034F (combining grapheme joiner) stands alone on purpose: it is one of the invisible characters.
  // eslint-disable-next-line no-misleading-character-class
  /[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u0250-\u02af\u0370-\u052f\u{e0000}-\u{e007f}]/u;
const ANSI_AT = new RegExp(ANSI.source, 'y');

function slowNormalize(
  original: string,
  stripAnsi: boolean,
  hidden: HiddenSignals,
  decoded: DecodedRun[],
  map: OffsetMap,
): string {
  const out: string[] = [];
  let outLen = 0;
  const copy = (from: number, to: number): void => {
    if (to <= from) return;
    map.add(outLen, from, 1);
    out.push(original.slice(from, to));
    outLen += to - from;
  };
  let tagText = '';
  let tagStart = -1;
  let tagEnd = -1;
  let last = 0;
  const runs = new RegExp(NOT_PLAIN.source, 'g');
  for (let r = runs.exec(original); r !== null; r = runs.exec(original)) {
    const run = r[0];
    copy(last, r.index);
    last = r.index + run.length;
    // Most non-ASCII text (accented letters, CJK, emoji) is already in NFKC form and hides nothing: copied whole.
    if (!NEEDS_CARE.test(run) && !run.includes('\x1b') && run.normalize('NFKC') === run) {
      copy(r.index, last);
      continue;
    }
    for (let i = r.index; i < last;) {
      const cp = original.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      if (cp === 0x1b && stripAnsi) {
        ANSI_AT.lastIndex = i;
        const m = ANSI_AT.exec(original);
        if (m) {
          hidden.ansi++;
          // The escape sequence goes on in ASCII after the run; the scan resumes after it.
          i += m[0].length;
          if (i > last) {
            last = i;
            runs.lastIndex = i;
          }
          continue;
        }
      }
      if (isTag(cp)) {
        hidden.tags++;
        if (cp >= 0xe0020 && cp <= 0xe007e) {
          if (tagStart < 0) tagStart = i;
          tagText += String.fromCharCode(cp - 0xe0000);
          tagEnd = i + width;
        }
      } else if (isZeroWidth(cp)) hidden.zeroWidth++;
      else if (isBidi(cp)) hidden.bidi++;
      else {
        const ch = original.slice(i, i + width);
        let folded = cp < 0x80 ? ch : ch.normalize('NFKC');
        const latin = folded.length === 1 ? HOMOGLYPHS[folded] : undefined;
        if (latin !== undefined) {
          folded = latin;
          hidden.homoglyphs++;
        }
        if (folded.length > 0) {
          map.add(outLen, i, folded === ch ? 1 : 0);
          out.push(folded);
          outLen += folded.length;
        }
      }
      i += width;
    }
  }
  copy(last, original.length);
  if (tagText.trim() !== '') decoded.push({ kind: 'tags', text: tagText, start: tagStart, end: tagEnd });
  return out.join('');
}

const BASE64_RUN = /[A-Za-z0-9+/]{20,}={0,2}|[A-Za-z0-9_-]{24,}/g;
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}){10,}\b/g;
const URL_RUN = /(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._~!$&'()*+,;=:@/?-]){0,200}(?:%[0-9A-Fa-f]{2}[^\s%]{0,20}){3,}/g;
const HTML_RUN = /(?:&(?:#\d{2,7}|#x[0-9A-Fa-f]{2,6}|[A-Za-z]{2,8});[^&\s]{0,3}){4,}/g;

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  colon: ':',
  sol: '/',
  lpar: '(',
  rpar: ')',
  lsqb: '[',
  rsqb: ']',
  excl: '!',
  period: '.',
  comma: ',',
  semi: ';',
  equals: '=',
  num: '#',
  percnt: '%',
};

/** Decoded text counts only when it reads as text: mostly printable, with letters and at least one space. */
function readable(s: string): boolean {
  if (s.length < 8) return false;
  let printable = 0;
  let letters = 0;
  let spaces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 10 || c === 13 || c === 9 || c >= 0xa0) printable++;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
    if (c === 32) spaces++;
  }
  return printable / s.length > 0.95 && letters / s.length > 0.5 && spaces > 0;
}

function decodeRuns(original: string, out: DecodedRun[]): void {
  if (original.length < 20) return;
  for (const m of original.matchAll(BASE64_RUN)) {
    const run = m[0];
    const b64 = run.replace(/-/g, '+').replace(/_/g, '/');
    const text = Buffer.from(b64, 'base64').toString('utf8');
    if (readable(text)) out.push({ kind: 'base64', text, start: m.index, end: m.index + run.length });
  }
  for (const m of original.matchAll(HEX_RUN)) {
    const text = Buffer.from(m[0], 'hex').toString('utf8');
    if (readable(text)) out.push({ kind: 'hex', text, start: m.index, end: m.index + m[0].length });
  }
  if (original.includes('%')) {
    for (const m of original.matchAll(URL_RUN)) {
      let text: string;
      try {
        text = decodeURIComponent(m[0].replace(/\+/g, ' '));
      } catch {
        continue;
      }
      if (text !== m[0] && readable(text)) out.push({ kind: 'url', text, start: m.index, end: m.index + m[0].length });
    }
  }
  if (original.includes('&')) {
    for (const m of original.matchAll(HTML_RUN)) {
      const text = decodeEntities(m[0]);
      if (text !== m[0] && readable(text)) out.push({ kind: 'html', text, start: m.index, end: m.index + m[0].length });
    }
  }
  out.push(...decodeSpelled(original));
}

// ---------------------------------------------------------------------------------------------------------------
// Text spelled in symbols: Morse code and 8-bit binary groups. Each is looked for only when a cheap hint is present.

const MORSE: Record<string, string> = {
  '.-': 'a',
  '-...': 'b',
  '-.-.': 'c',
  '-..': 'd',
  '.': 'e',
  '..-.': 'f',
  '--.': 'g',
  '....': 'h',
  '..': 'i',
  '.---': 'j',
  '-.-': 'k',
  '.-..': 'l',
  '--': 'm',
  '-.': 'n',
  '---': 'o',
  '.--.': 'p',
  '--.-': 'q',
  '.-.': 'r',
  '...': 's',
  '-': 't',
  '..-': 'u',
  '...-': 'v',
  '.--': 'w',
  '-..-': 'x',
  '-.--': 'y',
  '--..': 'z',
  '-----': '0',
  '.----': '1',
  '..---': '2',
  '...--': '3',
  '....-': '4',
  '.....': '5',
  '-....': '6',
  '--...': '7',
  '---..': '8',
  '----.': '9',
  '.-.-.-': '.',
  '--..--': ',',
  '..--..': '?',
  '-.-.--': '!',
  '-..-.': '/',
};
/** Eight or more Morse letters in a row, words parted by " / " or by three spaces. */
const MORSE_RUN = /(?<![\w.-])[.-]{1,6}(?:(?: {1,3}| *\/ *)[.-]{1,6}){7,}(?![\w.-])/g;
/** Five or more bytes written as 8-bit binary groups. */
const BINARY_RUN = /\b[01]{8}(?:[ ,]{1,2}[01]{8}){4,}\b/g;

/** Morse code and binary groups that decode to readable text. */
export function decodeSpelled(original: string): DecodedRun[] {
  const out: DecodedRun[] = [];
  if (original.includes('.-') || original.includes('-.')) {
    for (const m of original.matchAll(MORSE_RUN)) {
      const text = decodeMorse(m[0]);
      if (text !== undefined && readable(text))
        out.push({ kind: 'morse', text, start: m.index, end: m.index + m[0].length });
    }
  }
  if (original.includes('0000') || original.includes('1 0') || original.includes('0 0')) {
    for (const m of original.matchAll(BINARY_RUN)) {
      const bytes = m[0].split(/[ ,]+/).map((b) => parseInt(b, 2));
      const text = Buffer.from(bytes).toString('utf8');
      if (readable(text)) out.push({ kind: 'binary', text, start: m.index, end: m.index + m[0].length });
    }
  }
  return out;
}

function decodeMorse(run: string): string | undefined {
  let text = '';
  for (const word of run.split(/ *\/ *| {3}/)) {
    if (text !== '') text += ' ';
    for (const letter of word.split(/ +/)) {
      if (letter === '') continue;
      const ch = MORSE[letter];
      if (ch === undefined) return undefined;
      text += ch;
    }
  }
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Shifted words (Caesar, ROT13). No character gives these away, so the check reads the words: a stretch of six or
// more words with no common English word in it is tried with every shift, and one that turns a good share of the
// words into common ones is decoded. Ordinary prose has a common word every few words and costs one pass.

const COMMON = new Set(
  (
    'a an the and or but if of to in on at by for with from as is are was were be been am do does did have has had ' +
    'not no it its this that these those there then than you your i me my we our us he she they them their his her ' +
    'what who how why when where which will would can could should must may all any some so just now only also very'
  ).split(' '),
);
/** Longest stretch tried, in characters; and how many stretches at most per text. */
const SHIFT_SPAN_MAX = 4000;
const SHIFT_RUNS_MAX = 8;

/** A word of up to five letters as a number (five bits a letter, case folded): a set lookup without a string. */
function wordKey(w: string): number {
  let key = 0;
  for (let i = 0; i < w.length; i++) key = key * 32 + ((w.charCodeAt(i) | 0x20) - 96);
  return key;
}
/** The keys of the common words in an open-addressed table: a lookup is a few array reads. */
const COMMON_TABLE = new Int32Array(1024).fill(-1);
for (const w of COMMON) {
  let slot = wordKey(w) & 1023;
  while (COMMON_TABLE[slot] !== -1) slot = (slot + 1) & 1023;
  COMMON_TABLE[slot] = wordKey(w);
}
function isCommonKey(key: number): boolean {
  for (let slot = key & 1023; ; slot = (slot + 1) & 1023) {
    const k = COMMON_TABLE[slot]!;
    if (k === key) return true;
    if (k === -1) return false;
  }
}

/**
 * Words in a Caesar or ROT13 shift that decode to readable text. One pass over the characters (no regex, no
 * strings): words are keyed as numbers, and only a stretch of six or more words with no common word in it is tried.
 */
export function decodeShifted(original: string): DecodedRun[] {
  const out: DecodedRun[] = [];
  const n = original.length;
  let runStart = -1;
  let runEnd = -1;
  let count = 0;
  let wordStart = -1;
  let key = 0;
  const flush = (): void => {
    if (count >= 6 && runEnd - runStart <= SHIFT_SPAN_MAX && out.length < SHIFT_RUNS_MAX) {
      const text = unshift(original.slice(runStart, runEnd));
      if (text !== undefined) out.push({ kind: 'shifted', text, start: runStart, end: runEnd });
    }
    runStart = -1;
    count = 0;
  };
  for (let i = 0; i <= n; i++) {
    const lower = i < n ? original.charCodeAt(i) | 0x20 : 0;
    if (lower >= 97 && lower <= 122) {
      if (wordStart < 0) {
        wordStart = i;
        key = 0;
      }
      if (i - wordStart < 5) key = key * 32 + (lower - 96);
      continue;
    }
    if (wordStart < 0) continue;
    if (i - wordStart <= 5 && isCommonKey(key)) {
      if (count >= 6) flush();
      else runStart = -1;
      count = 0;
    } else {
      if (runStart >= 0 && wordStart - runEnd > 3) flush();
      if (runStart < 0) runStart = wordStart;
      runEnd = i;
      count++;
    }
    wordStart = -1;
  }
  flush();
  return out;
}

/**
 * The shift (1..25) that makes at least a quarter of the words common English words, with three different ones
 * among them and one of three letters or more (so that markup such as `td`/`tr` shifted to `is`/`ig` never counts).
 * Keys are computed from letter numbers, without building the shifted strings.
 */
function unshift(run: string): string | undefined {
  const words = run.match(/[A-Za-z]+/g) ?? [];
  const shortWords = words.filter((w) => w.length <= 5);
  // Only short words can be common ones: too few of them and no shift can make a quarter of the words common.
  if (shortWords.length * 4 < words.length) return undefined;
  const short = shortWords.map((w) => Array.from(w, (ch) => (ch.charCodeAt(0) | 0x20) - 97));
  let best = 0;
  let bestCount = 0;
  for (let k = 1; k < 26; k++) {
    // Three different common words are enough: the first three are kept, not a set per shift.
    const seen: number[] = [];
    let count = 0;
    let long = false;
    for (const letters of short) {
      let key = 0;
      for (const l of letters) key = key * 32 + ((l + k) % 26) + 1;
      if (!isCommonKey(key)) continue;
      count++;
      if (seen.length < 3 && !seen.includes(key)) seen.push(key);
      if (letters.length >= 3) long = true;
    }
    if (seen.length >= 3 && long && count > bestCount) {
      best = k;
      bestCount = count;
    }
  }
  if (bestCount === 0 || bestCount * 4 < words.length) return undefined;
  return shift(run, best);
}

function shift(s: string, k: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) out += String.fromCharCode(((c - 97 + k) % 26) + 97);
    else if (c >= 65 && c <= 90) out += String.fromCharCode(((c - 65 + k) % 26) + 65);
    else out += s[i];
  }
  return out;
}

export function decodeEntities(s: string): string {
  return s.replace(/&(#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});/g, (whole, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X')) return safeFromCodePoint(parseInt(body.slice(2), 16), whole);
    if (body.startsWith('#')) return safeFromCodePoint(parseInt(body.slice(1), 10), whole);
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

function safeFromCodePoint(cp: number, fallback: string): string {
  return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}
