/**
 * Text normalisation, run before any detector that reads meaning (injection, keywords, toxicity). Attackers hide
 * instructions from people and from naive filters, so:
 * - NFKC folds compatibility forms (fullwidth letters, ligatures, circled letters) into plain ones;
 * - zero-width, bidi-control and Unicode tag characters are removed and counted: their presence is a signal of its
 *   own, and tag characters (U+E0020–U+E007E) that spell ASCII are decoded ("ASCII smuggling");
 * - common Cyrillic and Greek homoglyphs map to the Latin letters they imitate;
 * - ANSI escape sequences are stripped (terminal output from tools);
 * - base64, hex, URL-encoded and HTML-entity runs that decode to readable text are decoded, so the decoded text is
 *   scanned too.
 * Every index of the normalised text maps back to the original (`toOriginal`), so a detection on normalised text
 * can redact the exact original span. Pure ASCII without escapes takes a fast path that copies nothing.
 */

export interface DecodedRun {
  kind: 'base64' | 'hex' | 'url' | 'html' | 'tags';
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
function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x200b && cp <= 0x200d) ||
    cp === 0x2060 ||
    cp === 0x2061 ||
    cp === 0x2062 ||
    cp === 0x2063 ||
    cp === 0x2064 ||
    cp === 0xfeff ||
    cp === 0x00ad ||
    cp === 0x180e ||
    cp === 0x034f
  );
}

function isBidi(cp: number): boolean {
  return cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

function isTag(cp: number): boolean {
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

export function normalize(original: string, opts: NormalizeOptions = {}): NormalizedText {
  const hidden: HiddenSignals = { zeroWidth: 0, bidi: 0, tags: 0, ansi: 0, homoglyphs: 0 };
  const hasEsc = original.includes('\x1b');
  let text: string;
  let map: Int32Array | undefined;
  const decoded: DecodedRun[] = [];

  if (PLAIN_ASCII.test(original) && !(hasEsc && opts.stripAnsi)) {
    text = original;
  } else {
    ({ text, map } = slowNormalize(original, opts.stripAnsi === true && hasEsc, hidden, decoded));
  }
  const toOriginal = map ? (i: number) => (i >= map.length ? original.length : map[i]!) : (i: number) => i;
  if (opts.decode !== false) decodeRuns(original, decoded);
  return { original, text, toOriginal, hidden, decoded };
}

function slowNormalize(
  original: string,
  stripAnsi: boolean,
  hidden: HiddenSignals,
  decoded: DecodedRun[],
): { text: string; map: Int32Array } {
  // Ranges of ANSI escapes to skip.
  const skip: [number, number][] = [];
  if (stripAnsi) {
    ANSI.lastIndex = 0;
    for (let m = ANSI.exec(original); m; m = ANSI.exec(original)) {
      skip.push([m.index, m.index + m[0].length]);
      hidden.ansi++;
    }
  }
  const out: string[] = [];
  const map: number[] = [];
  let tagText = '';
  let tagStart = -1;
  let tagEnd = -1;
  let s = 0;
  for (let i = 0; i < original.length;) {
    while (s < skip.length && skip[s]![1] <= i) s++;
    if (s < skip.length && skip[s]![0] <= i) {
      i = skip[s]![1];
      continue;
    }
    const cp = original.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
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
      for (let k = 0; k < folded.length; k++) {
        out.push(folded[k]!);
        map.push(i);
      }
    }
    i += width;
  }
  if (tagText.trim() !== '') decoded.push({ kind: 'tags', text: tagText, start: tagStart, end: tagEnd });
  return { text: out.join(''), map: Int32Array.from(map) };
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
