/**
 * Prompt-injection detector, for every phase: tool arguments ('input': direct injection and jailbreaks), tool results
 * ('output': indirect injection hidden in data, exfiltration, fake chat markers and tool calls) and tool
 * descriptions ('description': tool poisoning and shadowing). Pure and synchronous; a throw is a deny in the stage
 * (fail closed).
 *
 * How it reads a text, cheapest first:
 * 1. ONE combined keyword regex runs over the raw text. Each keyword is a capture group that names the rules it can
 *    start; two more groups find encoded runs (base64, hex, URL and HTML escapes) and characters that normalisation
 *    would change (zero-width, bidi, Unicode tags, homoglyph scripts, fullwidth and other compatibility forms).
 *    Benign text usually stops here.
 * 2. Each rule whose keyword hit runs on a window of WINDOW characters around the hit, never on the whole text, so a
 *    1 MB tool result costs one regex pass plus a few small ones.
 * 3. Around suspicious characters the window is normalised first (normalize.ts: NFKC, homoglyphs, invisible
 *    characters removed, tag smuggling decoded) and every rule may run there; offsets map back with `toOriginal`.
 *    Encoded runs are decoded by normalize() and scanned too; a finding in one reports the run's original span.
 * 4. Evidence is scored per region (hits closer than CLUSTER_GAP characters): noisy-OR of the best weight of each
 *    rule, raised by hidden characters and by encoding. A region at or above the profile's threshold reports all its
 *    hits, each with its original span so that output redaction can cut exactly the injected text.
 */
import { normalize, type HiddenSignals } from './normalize.js';
import {
  ENCODED_SYMBOL,
  ENCODED_WORD,
  FOREIGN,
  KEYWORDS,
  REPEATED_TOKEN,
  RULES,
  SUSPICIOUS,
  SYMBOLS,
  WINDOW,
  WORDS,
} from './injection-rules.js';
import type { Detection, Detector, Where } from './types.js';

export interface InjectionOptions {
  /** Report evidence scoring at least this (0..1). Defaults per profile: DEFAULT_THRESHOLDS. */
  threshold?: number;
}

/** Tuned on the development sets (bench/eval.ts): the best recall under each false-positive budget. */
export const DEFAULT_THRESHOLDS: Record<Where, number> = { input: 0.5, output: 0.5, description: 0.5 };

/** Hits further apart than this are separate pieces of evidence, scored on their own. */
const CLUSTER_GAP = 600;
/** The repeated-token check has no keyword; it only runs on inputs up to this size. */
const REPEAT_MAX = 64 * 1024;
/** An encoded run is expanded to its whitespace-delimited token, up to this length. */
const TOKEN_MAX = 256 * 1024;
const MAX_DETECTIONS = 50;

const WHERE: Where[] = ['input', 'output', 'description'];
/** Readable text spelled in Unicode tag characters is invisible to a person: never benign. */
const HIDDEN_TEXT_WEIGHT: Record<Where, number> = { input: 0.6, output: 0.6, description: 0.7 };
/** The repeated-token attack (a word ten or more times in a row) only matters in a prompt. */
const REPEATED_WEIGHT: Record<Where, number> = { input: 0.5, output: 0, description: 0 };

interface CompiledRule {
  id: string;
  re: RegExp;
  weight: number;
  raw: boolean;
}

interface Profile {
  /** `\b(?:stem|stem|...|(encoded))|(symbol)|...|(encoded)|(suspicious)|(foreign)`: one pass over the text. */
  trigger: RegExp;
  /** For capture group g (1-based): the rules it starts, or a marker. Stems have no group: see `stems`. */
  groups: (number[] | 'encoded' | 'suspicious' | 'foreign')[];
  /** A stem (lower case) → the word keywords that start with it, each a sticky regex confirmed at the hit. */
  stems: Map<string, { confirm: RegExp; rules: number[] }[]>;
  /** Rules that match the original text; runs of non-Latin scripts start them too. */
  rawRules: number[];
  rules: CompiledRule[];
  /** Slots of the rules that have no pattern: text hidden in tag characters, and a token repeated many times. */
  hiddenText: number;
  repeated: number;
}

interface Hit {
  rule: number;
  start: number;
  end: number;
  /** Found inside a decoded run of this kind. */
  encoded?: string;
  /** The decoded text, for the excerpt of a hit inside an encoded run. */
  decoded?: string;
  hidden?: HiddenSignals;
}

type Span = [number, number];

interface Collected {
  ruleHits: Map<number, number[]>;
  encoded: Span[];
  suspicious: Span[];
}

export const profiles = new Map<Where, Profile>(WHERE.map((where) => [where, compile(where)]));

function compile(where: Where): Profile {
  const rules: CompiledRule[] = [];
  const byKey = new Map<string, number[]>();
  const raw: number[] = [];
  for (const rule of RULES) {
    const weight = rule.weight[where] ?? 0;
    if (weight <= 0) continue; // not part of this profile
    const index = rules.length;
    rules.push({ id: rule.id, re: new RegExp(rule.pattern, rule.cased ? 'g' : 'gi'), weight, raw: rule.raw === true });
    if (rule.raw) raw.push(index);
    for (const key of rule.keys) {
      if (!(key in KEYWORDS)) throw new Error(`injection rule ${rule.id} names unknown keyword ${key}`);
      byKey.set(key, [...(byKey.get(key) ?? []), index]);
    }
  }
  // Word keywords: the trigger looks for their literal stems only (a plain alternation of literals is what the
  // regex engine scans fastest); the keyword itself is confirmed with a sticky regex where a stem hit.
  const stems = new Map<string, { confirm: RegExp; rules: number[] }[]>();
  const stemSources = new Map<string, string>();
  const symbols: string[] = [];
  const groups: Profile['groups'] = ['encoded'];
  for (const [key, indexes] of byKey) {
    if (key in WORDS) {
      const confirm = { confirm: new RegExp(WORDS[key]!, 'iy'), rules: indexes };
      for (const { stem, whole } of literalPrefixes(WORDS[key]!)) {
        stems.set(stem, [...(stems.get(stem) ?? []), confirm]);
        // A stem that is a whole word in every keyword that has it gets a trailing \b (fewer hits).
        const source = escapeRegExp(stem) + (whole ? '\\b' : '');
        const known = stemSources.get(stem);
        stemSources.set(stem, known !== undefined && known !== source ? escapeRegExp(stem) : source);
      }
    } else {
      symbols.push(`(${SYMBOLS[key]!})`);
      groups.push(indexes);
    }
  }
  // A hit on a long stem must also try the keywords of every shorter stem that is its prefix ("your" and "you").
  for (const [stem, list] of [...stems]) {
    for (const [other, more] of stems) if (other !== stem && stem.startsWith(other)) list.push(...more);
  }
  // Longest first: an alternation takes the first branch that matches, and the hit must name its stem exactly.
  const words = [...stemSources].sort((x, y) => y[0].length - x[0].length).map(([, source]) => source);
  symbols.push(`(${ENCODED_SYMBOL})`, `(${SUSPICIOUS})`, `(${FOREIGN})`);
  groups.push('encoded', 'suspicious', 'foreign');
  const source = `\\b(?:${words.join('|')}|(${ENCODED_WORD}))|${symbols.join('|')}`;
  const slot = (id: string, weight: number): number => rules.push({ id, re: /$^/g, weight, raw: false }) - 1;
  const hiddenText = slot('injection.hidden-text', HIDDEN_TEXT_WEIGHT[where]);
  const repeated = slot('injection.repeated-token', REPEATED_WEIGHT[where]);
  return { trigger: new RegExp(source, 'gi'), groups, stems, rawRules: raw, rules, hiddenText, repeated };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The literal stems that every match of a keyword pattern starts with: each top-level branch's leading literal
 * characters, through one leading group (and past a leading lookbehind). Throws for a branch that starts with
 * anything else, because the trigger could not find it.
 */
export function literalPrefixes(src: string): { stem: string; whole: boolean }[] {
  return splitTop(src).flatMap(branchPrefixes);
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
    } else if (c === '[') {
      const e = classEnd(s, i);
      cur += s.slice(i, e + 1);
      i = e;
    } else if (c === '|' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function classEnd(s: string, i: number): number {
  for (let k = i + 1; k < s.length; k++) {
    if (s[k] === '\\') k++;
    else if (s[k] === ']') return k;
  }
  return s.length - 1;
}

function groupEnd(s: string, i: number): number {
  let depth = 0;
  for (let k = i; k < s.length; k++) {
    if (s[k] === '\\') k++;
    else if (s[k] === '[') k = classEnd(s, k);
    else if (s[k] === '(') depth++;
    else if (s[k] === ')' && --depth === 0) return k;
  }
  return s.length - 1;
}

function branchPrefixes(s: string): { stem: string; whole: boolean }[] {
  if (s.startsWith('(?<=') || s.startsWith('(?<!')) return branchPrefixes(s.slice(groupEnd(s, 0) + 1));
  let stem = '';
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i]!;
    let ch: string | undefined;
    let width = 1;
    if (/[a-z0-9_'-]/i.test(c)) ch = c.toLowerCase();
    else if (c === '\\' && /[.()+/$-]/.test(s[i + 1] ?? '')) {
      ch = s[i + 1];
      width = 2;
    }
    if (ch === undefined) break;
    const q = s[i + width];
    if (q === '?' || q === '*' || q === '{') break;
    stem += ch;
    i += width - 1;
    if (q === '+') {
      i += 2;
      break;
    }
  }
  if (stem !== '') {
    // Whole word when what follows cannot continue the word: a space, a boundary, punctuation or the end.
    const rest = s.slice(i);
    const whole = /^[a-z0-9_]/i.test(stem.slice(-1)) && /^(?:$|\\s\+|\\s(?![*?{])|\\b|[:'.,;!?](?![*?{]))/.test(rest);
    return [{ stem, whole }];
  }
  if (s.startsWith('(?:')) {
    const e = groupEnd(s, 0);
    const inner = literalPrefixes(s.slice(3, e));
    const optional = s[e + 1] === '?' || s[e + 1] === '*';
    // A complete literal alternative continues into what follows the group; keep it a prefix (not whole).
    const body = inner.map(({ stem }) => ({ stem, whole: false }));
    return optional ? [...body, ...branchPrefixes(s.slice(e + 2))] : body;
  }
  throw new Error(`injection keyword branch has no literal start: ${s.slice(0, 40)}`);
}

export function createInjectionDetector(opts: InjectionOptions = {}): Detector {
  return {
    id: 'injection',
    scan(text: string, where: Where): Detection[] {
      const profile = profiles.get(where);
      if (!profile || text.length === 0) return [];
      const threshold = opts.threshold ?? DEFAULT_THRESHOLDS[where];
      const hits = findHits(profile, text, where);
      return hits.length === 0 ? [] : score(profile, text, hits, threshold);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Finding evidence

function findHits(p: Profile, text: string, where: Where): Hit[] {
  const hits: Hit[] = [];
  const c = collect(p, text);

  // Regions around characters that normalisation changes: matched on the normalised text.
  const regions = mergeSpans(
    c.suspicious.map(([s, e]): Span => [Math.max(0, s - WINDOW), Math.min(text.length, e + WINDOW)]),
    0,
  );
  const inRegion = (pos: number): boolean => regions.some(([s, e]) => pos >= s && pos < e);

  runRules(
    p,
    text,
    c.ruleHits,
    (rule, pos) => p.rules[rule]!.raw || !inRegion(pos),
    (rule, s, e) => {
      hits.push({ rule, start: s, end: e });
    },
  );

  for (const [rs, re] of regions) {
    const n = normalize(text.slice(rs, re), { decode: false });
    const inner = collect(p, n.text);
    const hidden = n.hidden;
    runRules(
      p,
      n.text,
      inner.ruleHits,
      (rule) => !p.rules[rule]!.raw,
      (rule, s, e) => {
        hits.push({ rule, start: rs + n.toOriginal(s), end: rs + n.toOriginal(e), hidden });
      },
    );
    for (const run of n.decoded) scanDecoded(p, run.text, rs + run.start, rs + run.end, run.kind, hits, hidden);
  }

  // Encoded runs: normalize() decodes those that read as text; the decoded text is scanned like any other.
  for (const [ts, te] of tokens(text, c.encoded)) {
    const n = normalize(text.slice(ts, te));
    for (const run of n.decoded) {
      if (run.kind === 'tags') continue; // already handled by the suspicious-character regions
      scanDecoded(p, run.text, ts + run.start, ts + run.end, run.kind, hits, undefined);
    }
  }

  if (where === 'input' && text.length <= REPEAT_MAX) {
    const m = REPEATED_TOKEN.exec(text);
    if (m) hits.push({ rule: p.repeated, start: m.index, end: m.index + m[0].length });
  }
  return hits;
}

/** Runs the trigger once and sorts what it found; a stem hit counts only where its keyword is confirmed. */
function collect(p: Profile, s: string): Collected {
  const ruleHits = new Map<number, number[]>();
  const encoded: Span[] = [];
  const suspicious: Span[] = [];
  const groups = p.groups;
  const add = (rule: number, at: number): void => {
    const list = ruleHits.get(rule);
    if (list) list.push(at);
    else ruleHits.set(rule, [at]);
  };
  const re = p.trigger;
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const at = m.index;
    let g = 1;
    while (g < m.length && m[g] === undefined) g++;
    if (g === m.length) {
      for (const k of p.stems.get(m[0].toLowerCase()) ?? []) {
        k.confirm.lastIndex = at;
        if (k.confirm.exec(s) !== null) for (const rule of k.rules) add(rule, at);
      }
      continue;
    }
    const kind = groups[g - 1];
    if (kind === 'encoded') encoded.push([at, at + m[0].length]);
    else if (kind === 'suspicious' || kind === 'foreign') {
      if (kind === 'suspicious') suspicious.push([at, at + m[0].length]);
      for (const rule of p.rawRules) add(rule, at);
    } else if (kind !== undefined) for (const rule of kind) add(rule, at);
  }
  re.lastIndex = 0;
  return { ruleHits, encoded, suspicious };
}

/** Runs each rule that a keyword started on merged windows around its hits. */
function runRules(
  p: Profile,
  s: string,
  ruleHits: Map<number, number[]>,
  keep: (rule: number, pos: number) => boolean,
  emit: (rule: number, start: number, end: number) => void,
): void {
  for (const [rule, positions] of ruleHits) {
    const spans = mergeSpans(
      positions
        .filter((pos) => keep(rule, pos))
        .map((pos): Span => [Math.max(0, pos - WINDOW), Math.min(s.length, pos + WINDOW)]),
      0,
    );
    const re = p.rules[rule]!.re;
    for (const [ws, we] of spans) {
      // A window that starts mid-line gets a one-letter guard, so that `^` in a pattern cannot pretend that the cut
      // is the start of a sentence.
      const midLine = ws > 0 && s.charCodeAt(ws - 1) !== 10;
      const slice = midLine ? `x${s.slice(ws, we)}` : s.slice(ws, we);
      const shift = midLine ? ws - 1 : ws;
      re.lastIndex = 0;
      for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        emit(rule, m.index + shift, m.index + m[0].length + shift);
      }
      re.lastIndex = 0;
    }
  }
}

/** Scans the text of a decoded run in full; every hit reports the run's original span. */
function scanDecoded(
  p: Profile,
  decoded: string,
  start: number,
  end: number,
  kind: string,
  hits: Hit[],
  hidden: HiddenSignals | undefined,
): void {
  const inner = collect(p, decoded);
  runRules(
    p,
    decoded,
    inner.ruleHits,
    () => true,
    (rule, s, e) => {
      hits.push({ rule, start, end, encoded: kind, decoded: decoded.slice(s, e), hidden });
    },
  );
  if (kind === 'tags' && /[a-z]{2,}\s+[a-z]{2,}/i.test(decoded)) {
    // Text spelled in Unicode tag characters is invisible to a person: readable words there are never benign.
    hits.push({ rule: p.hiddenText, start, end, encoded: kind, decoded, hidden });
  }
}

/** Whitespace-delimited tokens around encoded-run candidates, merged and bounded. */
function tokens(text: string, candidates: Span[]): Span[] {
  const out: Span[] = [];
  let lastEnd = -1;
  for (const [cs, ce] of candidates) {
    if (cs < lastEnd) continue;
    let s = cs;
    let e = ce;
    const lo = Math.max(0, cs - TOKEN_MAX);
    const hi = Math.min(text.length, ce + TOKEN_MAX);
    while (s > lo && !isSpace(text.charCodeAt(s - 1))) s--;
    while (e < hi && !isSpace(text.charCodeAt(e))) e++;
    out.push([s, e]);
    lastEnd = e;
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 11;
}

function mergeSpans(spans: Span[], gap: number): Span[] {
  const sorted = spans.slice().sort((a, b) => a[0] - b[0]);
  const out: Span[] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + gap) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring

/** How much hidden characters and encodings add to the evidence around them. */
const BOOST = { invisible: 0.25, homoglyph: 0.2, encoded: 0.15 } as const;

function score(p: Profile, text: string, hits: Hit[], threshold: number): Detection[] {
  hits.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Detection[] = [];
  let i = 0;
  while (i < hits.length && out.length < MAX_DETECTIONS) {
    let j = i + 1;
    let end = hits[i]!.end;
    while (j < hits.length && hits[j]!.start <= end + CLUSTER_GAP) {
      end = Math.max(end, hits[j]!.end);
      j++;
    }
    const cluster = hits.slice(i, j);
    const s = clusterScore(p, cluster);
    if (s >= threshold) out.push(...toDetections(p, text, cluster, s));
    i = j;
  }
  return out.slice(0, MAX_DETECTIONS);
}

function clusterScore(p: Profile, cluster: Hit[]): number {
  const best = new Map<string, number>();
  let invisible = false;
  let homoglyph = false;
  let encoded = false;
  for (const h of cluster) {
    const rule = p.rules[h.rule]!;
    if (rule.weight <= 0) continue;
    best.set(rule.id, Math.max(best.get(rule.id) ?? 0, rule.weight));
    if (h.encoded) encoded = true;
    if (h.hidden) {
      if (h.hidden.zeroWidth + h.hidden.bidi + h.hidden.tags > 0) invisible = true;
      if (h.hidden.homoglyphs > 0) homoglyph = true;
    }
  }
  if (best.size === 0) return 0;
  let miss = 1;
  for (const weight of best.values()) miss *= 1 - weight;
  if (invisible) miss *= 1 - BOOST.invisible;
  if (homoglyph) miss *= 1 - BOOST.homoglyph;
  if (encoded) miss *= 1 - BOOST.encoded;
  return Math.round((1 - miss) * 1000) / 1000;
}

/** One detection per rule and span; overlapping spans of one rule are merged. */
function toDetections(p: Profile, text: string, cluster: Hit[], s: number): Detection[] {
  const byRule = new Map<string, Hit[]>();
  for (const h of cluster) {
    const id = p.rules[h.rule]!.id;
    if (p.rules[h.rule]!.weight <= 0) continue;
    const list = byRule.get(id);
    const last = list?.[list.length - 1];
    if (last && h.start <= last.end) last.end = Math.max(last.end, h.end);
    else if (list) list.push({ ...h });
    else byRule.set(id, [{ ...h }]);
  }
  const out: Detection[] = [];
  for (const [rule, list] of byRule) {
    for (const h of list) {
      const excerpt = h.encoded
        ? `${h.encoded}: ${clip(h.decoded ?? text.slice(h.start, h.end))}`
        : clip(text.slice(h.start, h.end));
      out.push({ detector: 'injection', rule, score: s, start: h.start, end: h.end, excerpt });
    }
  }
  return out.sort((a, b) => a.start! - b.start!);
}

function clip(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length <= 80 ? flat : `${flat.slice(0, 77)}…`;
}
