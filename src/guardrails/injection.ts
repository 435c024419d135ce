/**
 * Prompt-injection detector, for every phase: tool arguments ('input': direct injection and jailbreaks), tool results
 * ('output': indirect injection hidden in data, exfiltration, fake chat markers and tool calls) and tool
 * descriptions ('description': tool poisoning and shadowing). Pure and synchronous; a throw is a deny in the stage
 * (fail closed). The rules themselves live in injection-rules.ts.
 *
 * How it reads a text, cheapest first:
 * 1. Prefilter. Each word keyword of the rule set is reduced to its literal stems, and one regex of all the stems (a
 *    plain alternation of literals, which V8 scans fastest) plus base64/hex candidates runs over the raw text; a
 *    stem hit counts only where the whole keyword matches (one sticky regex per stem). A second regex finds the
 *    keywords that start with punctuation (`<|im_start|>`, `![`, `<!--`) and URL/HTML escape runs. Small
 *    case-sensitive passes, skipped for ASCII text, find characters that hide words (invisible characters next to
 *    letters, words spelled across scripts, compatibility forms, tag characters) and override words in runs of
 *    non-Latin script. Benign text usually stops here.
 * 2. Rules. Each rule whose keyword hit runs on a window of ±WINDOW characters around the hit, never on the whole
 *    text, so a 1 MB tool result costs a few linear passes plus small ones.
 * 3. Normalisation. Around suspicious characters the text is normalised (normalize.ts: NFKC, homoglyphs, invisible
 *    characters removed, tag smuggling decoded) and matched again; offsets map back with `toOriginal`. Encoded runs
 *    are decoded by normalize() and scanned too; a finding inside one reports the run's original span.
 * 4. Scoring. Evidence is scored per region (hits closer than CLUSTER_GAP characters): noisy-OR of the best weight of
 *    each rule, raised by hidden characters and by encoding. A region at or above the profile's threshold reports its
 *    hits, each widened to its sentence so that redaction removes the whole injected instruction.
 */
import { decodeShifted, decodeSpelled, normalize, type HiddenSignals, type NormalizedText } from './normalize.js';
import {
  ENCODED_SYMBOL,
  ENCODED_WORD,
  FULLWIDTH_PUNCTUATION,
  KEYWORDS,
  ANSWER_TURN,
  QUESTION_TURN,
  REPEATED_TOKEN,
  RULES,
  ALWAYS_SUSPICIOUS,
  FOREIGN_KEY,
  FOREIGN_RUN,
  FOREIGN_WORDS,
  INVISIBLE,
  SYMBOLS,
  WINDOW,
  WORDS,
} from './injection-rules.js';
import type { Detection, Detector, Where } from './types.js';
import { escapeRegExp } from '../util/regexp.js';
import { scoreText, sharedModel } from './model/model.js';

export interface InjectionOptions {
  /** Report evidence scoring at least this (0..1). Defaults per profile: DEFAULT_THRESHOLDS. */
  threshold?: number;
  /**
   * Rule ids whose evidence does not count. A prompt (prompts/get) sets the model a task by design, so for prompts
   * the gateway leaves out `injection.task-injection`, whose whole point is a task smuggled into data.
   */
  ignoreRules?: readonly string[];
  /**
   * The learned detector (model/model.ts), rule `injection.model`: on by default with the shipped weights and the
   * threshold calibrated for each phase. `as`: score every text as this phase (a prompt's messages are read as a
   * prompt, where a task is expected, not as a tool result, where it is injected).
   */
  model?: { enabled: boolean; threshold?: number; path?: string; as?: Where };
}

/** Tuned on the development sets (bench/eval.ts): the best recall under each false-positive budget. */
export const DEFAULT_THRESHOLDS: Record<Where, number> = { input: 0.5, output: 0.5, description: 0.5 };

/** Rules weaker than this in a profile are left out of it: they could only nudge a score, at the cost of a run. */
const MIN_WEIGHT = 0.1;
const NON_ASCII = /[\u0080-\uffff]/;
const READABLE_WORDS = /[a-z]{2,}\s+[a-z]{2,}/i;
const ALWAYS_SUSPICIOUS_RUN = new RegExp(ALWAYS_SUSPICIOUS, 'g');
const INVISIBLE_RUN = new RegExp(INVISIBLE, 'g');
const FOREIGN_RUN_RE = new RegExp(FOREIGN_RUN, 'g');
const FOREIGN_WORDS_RE = new RegExp(FOREIGN_WORDS, 'gi');

/** Hits further apart than this are separate pieces of evidence, scored on their own. */
const CLUSTER_GAP = 600;
/** The repeated-token check has no keyword; it only runs on inputs up to this size. */
const REPEAT_MAX = 64 * 1024;
/** Shifted words (Caesar, ROT13) are looked for in texts up to this size. */
const SHIFT_MAX = 64 * 1024;
/** An encoded run is expanded to its whitespace-delimited token, up to this length. */
const TOKEN_MAX = 256 * 1024;
const MAX_DETECTIONS = 50;

const WHERE: Where[] = ['input', 'output', 'description'];
/** Readable text spelled in Unicode tag characters is invisible to a person: never benign. */
const HIDDEN_TEXT_WEIGHT: Record<Where, number> = { input: 0.6, output: 0.6, description: 0.7 };
/** The repeated-token attack (a word ten or more times in a row) only matters in a prompt. */
const REPEATED_WEIGHT: Record<Where, number> = { input: 0.5, output: 0, description: 0 };
/** Three or more fabricated Q/A turns in a prompt; a single turn only adds to other evidence. */
const MANY_SHOT_WEIGHT: Record<Where, number> = { input: 0.5, output: 0, description: 0 };
const FEW_SHOT_WEIGHT: Record<Where, number> = { input: 0.25, output: 0, description: 0 };

interface CompiledRule {
  id: string;
  re: RegExp;
  weight: number;
  raw: boolean;
}

interface Profile {
  /** `\b(?:stem|stem|...|(encoded))`: the literal stems of the word keywords, and base64/hex candidates. */
  words: RegExp;
  /** `(symbol)|(symbol)|...|(encoded)`: keywords that start with punctuation, and URL/HTML escape runs. */
  symbols: RegExp;
  /** For capture group g (1-based) of `symbols`: the rules it starts, or a marker. */
  groups: (number[] | 'encoded')[];
  /**
   * A stem (lower case) → one sticky regex that tries, at the hit, every word keyword starting with that stem (each an
   * optional lookahead with one capture group), and the rules of each keyword in group order.
   */
  stems: Map<string, { confirm: RegExp; rules: number[][] }>;
  /** Rules started by FOREIGN_WORDS inside runs of non-Latin script. */
  foreignRules: number[];
  rules: CompiledRule[];
  /** Slots of the rules checked without a pattern: text in tag characters, repeated tokens, fabricated dialogue. */
  hiddenText: number;
  repeated: number;
  manyShot: number;
  fewShot: number;
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

/** A keyword's stems, worked out once for the three profiles (parsing the patterns is most of their compile). */
const keywordStems = new Map<string, string[]>();
function stemsOf(key: string): string[] {
  let stems = keywordStems.get(key);
  if (!stems) keywordStems.set(key, (stems = literalPrefixes(WORDS[key]!)));
  return stems;
}

const profiles = new Map<Where, Profile>(WHERE.map((where) => [where, compile(where)]));

function compile(where: Where): Profile {
  const rules: CompiledRule[] = [];
  const byKey = new Map<string, number[]>();
  for (const rule of RULES) {
    const weight = rule.weight[where] ?? 0;
    if (weight < MIN_WEIGHT) continue; // too weak to matter in this profile: not worth its regex
    const index = rules.length;
    rules.push({ id: rule.id, re: new RegExp(rule.pattern, rule.cased ? 'g' : 'gi'), weight, raw: rule.raw === true });
    for (const key of rule.keys) {
      if (!(key in KEYWORDS) && key !== FOREIGN_KEY) {
        throw new Error(`injection rule ${rule.id} names unknown keyword ${key}`);
      }
      byKey.set(key, [...(byKey.get(key) ?? []), index]);
    }
  }
  // Word keywords: the trigger looks for their literal stems only (a plain alternation of literals is what the
  // regex engine scans fastest); the keyword itself is confirmed with a sticky regex where a stem hit.
  const stemKeys = new Map<string, string[]>();
  const symbols: string[] = [];
  const groups: Profile['groups'] = [];
  for (const [key, indexes] of byKey) {
    if (key === FOREIGN_KEY) continue;
    if (key in WORDS) {
      for (const stem of stemsOf(key)) stemKeys.set(stem, [...(stemKeys.get(stem) ?? []), key]);
    } else {
      symbols.push(`(${SYMBOLS[key]!})`);
      groups.push(indexes);
    }
  }
  // A hit on a long stem must also try the keywords of every shorter stem that is its prefix ("your" and "you").
  // The shorter stems are found by looking up each proper prefix (stems are a few letters long), not by comparing
  // every pair: the pairwise loop was most of the detector's start-up, on the first call's path. They are added in
  // the order the stems were found, as the pairwise loop added them, so the confirm regexes are the same.
  const order = new Map([...stemKeys.keys()].map((stem, i) => [stem, i]));
  const stems = new Map<string, { confirm: RegExp; rules: number[][] }>();
  for (const [stem, keys] of stemKeys) {
    const all = new Set(keys);
    const shorter: string[] = [];
    for (let end = 1; end < stem.length; end++) if (order.has(stem.slice(0, end))) shorter.push(stem.slice(0, end));
    shorter.sort((a, b) => order.get(a)! - order.get(b)!);
    for (const other of shorter) for (const k of stemKeys.get(other)!) all.add(k);
    const list = [...all];
    stems.set(stem, {
      confirm: new RegExp(list.map((k) => `(?=(${WORDS[k]!})|)`).join(''), 'iy'),
      rules: list.map((k) => byKey.get(k)!),
    });
  }
  // Longest first: an alternation takes the first branch that matches, and the hit must name its stem exactly. Plain
  // literals only: even a trailing \b on a few of them makes the engine several times slower.
  const words = [...stems.keys()].sort((x, y) => y.length - x.length).map(escapeRegExp);
  symbols.push(`(${ENCODED_SYMBOL})`);
  groups.push('encoded');
  const symbolSource = symbols.join('|');
  // Two passes are cheaper than one: mixed into the word alternation, the symbols would be tried at every position.
  const wordSource = `\\b(?:${words.join('|')}|(${ENCODED_WORD}))`;
  const slot = (id: string, weight: number): number => rules.push({ id, re: /$^/g, weight, raw: false }) - 1;
  const hiddenText = slot('injection.hidden-text', HIDDEN_TEXT_WEIGHT[where]);
  const repeated = slot('injection.repeated-token', REPEATED_WEIGHT[where]);
  const manyShot = slot('injection.many-shot', MANY_SHOT_WEIGHT[where]);
  const fewShot = slot('injection.many-shot', FEW_SHOT_WEIGHT[where]);
  return {
    words: new RegExp(wordSource, 'gi'),
    symbols: new RegExp(symbolSource, 'gi'),
    groups,
    stems,
    foreignRules: byKey.get(FOREIGN_KEY) ?? [],
    rules,
    hiddenText,
    repeated,
    manyShot,
    fewShot,
  };
}

/**
 * The literal stems that every match of a keyword pattern starts with: each top-level branch's leading literal
 * characters, through one leading group (and past a leading lookbehind). Throws for a branch that starts with
 * anything else, because the trigger could not find it.
 */
export function literalPrefixes(src: string): string[] {
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

function branchPrefixes(s: string): string[] {
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
    if (q === '+') break;
  }
  if (stem !== '') return [stem];
  if (s.startsWith('(?:')) {
    const e = groupEnd(s, 0);
    const inner = literalPrefixes(s.slice(3, e));
    const optional = s[e + 1] === '?' || s[e + 1] === '*';
    return optional ? [...inner, ...branchPrefixes(s.slice(e + 2))] : inner;
  }
  throw new Error(`injection keyword branch has no literal start: ${s.slice(0, 40)}`);
}

export function createInjectionDetector(opts: InjectionOptions = {}): Detector {
  const ignored = new Set(opts.ignoreRules ?? []);
  const model = opts.model ?? { enabled: true };
  return {
    id: 'injection',
    scan(text: string, where: Where): Detection[] {
      const profile = profiles.get(where);
      if (!profile || text.length === 0) return [];
      const threshold = opts.threshold ?? DEFAULT_THRESHOLDS[where];
      let hits = findHits(profile, text, where);
      if (ignored.size > 0) hits = hits.filter((h) => !ignored.has(profile.rules[h.rule]!.id));
      const found = hits.length === 0 ? [] : score(profile, text, hits, threshold);
      if (!model.enabled) return found;
      // A missing or damaged weights file throws here: the stage denies (fail closed) with the file named.
      const learned = sharedModel(model.path);
      const phase = model.as ?? where;
      const { hits: windows } = scoreText(learned, text, phase, model.threshold ?? learned.header.thresholds[phase]);
      if (windows.length === 0) return found;
      const out = found.concat(
        windows.slice(0, MAX_DETECTIONS).map((w) => ({
          detector: 'injection',
          rule: MODEL_RULE,
          score: Math.round(w.score * 1000) / 1000,
          start: w.start,
          end: w.end,
          excerpt: clip(text.slice(w.start, w.end)),
        })),
      );
      return out.sort((a, b) => a.start! - b.start! || a.end! - b.end!).slice(0, MAX_DETECTIONS);
    },
  };
}

/** The rule id of the learned detector's findings. */
export const MODEL_RULE = 'injection.model';

// ---------------------------------------------------------------------------------------------------------------
// Finding evidence

function findHits(p: Profile, text: string, where: Where): Hit[] {
  const hits: Hit[] = [];
  const c = collect(p, text, true);
  const plain: Sink = { hits, base: 0, norm: undefined, span: undefined, kind: undefined, hidden: undefined };

  if (c.suspicious.length === 0) runRules(p, text, c.ruleHits, undefined, plain);
  else {
    // Regions around characters that normalisation changes are matched on the normalised text; elsewhere (and for
    // the rules that read the original script) the text is matched as it is.
    const regions = mergeSpans(c.suspicious, WINDOW, text.length);
    runRules(p, text, c.ruleHits, regions, plain);
    for (const [rs, re] of regions) {
      const n = normalize(text.slice(rs, re), { decode: false });
      const inner = collect(p, n.text, false);
      const sink: Sink = { hits, base: rs, norm: n, span: undefined, kind: undefined, hidden: n.hidden };
      runRules(p, n.text, inner.ruleHits, undefined, sink);
      for (const run of n.decoded) scanDecoded(p, run.text, [rs + run.start, rs + run.end], run.kind, hits, n.hidden);
    }
  }

  // Encoded runs: normalize() decodes those that read as text; the decoded text is scanned like any other.
  if (c.encoded.length > 0) {
    for (const [ts, te] of tokens(text, c.encoded)) {
      for (const run of normalize(text.slice(ts, te)).decoded) {
        // Tag characters were decoded with the regions above.
        if (run.kind !== 'tags') scanDecoded(p, run.text, [ts + run.start, ts + run.end], run.kind, hits, undefined);
      }
    }
  }

  // Text spelled in Morse code or binary groups, and words in a Caesar shift: no keyword gives these away, so they
  // are looked for directly (the shift only in texts up to SHIFT_MAX, as it reads every word).
  for (const run of decodeSpelled(text)) scanDecoded(p, run.text, [run.start, run.end], run.kind, hits, undefined);
  if (text.length <= SHIFT_MAX) {
    for (const run of decodeShifted(text)) scanDecoded(p, run.text, [run.start, run.end], run.kind, hits, undefined);
  }

  if (where === 'input' && text.length <= REPEAT_MAX) {
    const m = REPEATED_TOKEN.exec(text);
    if (m) hits.push({ rule: p.repeated, start: m.index, end: m.index + m[0].length });
    manyShot(p, text, hits);
  }
  return hits;
}

/**
 * Many-shot priming: a prompt that fabricates a dialogue ("Q: ... A: ... Q: ...") so that the model continues it.
 * Counted rather than matched with one regex, which would backtrack badly over many turns.
 */
function manyShot(p: Profile, text: string, hits: Hit[]): void {
  if (!text.includes(':')) return;
  let questions = 0;
  let first = -1;
  for (const m of text.matchAll(QUESTION_TURN)) {
    if (first < 0) first = m.index;
    if (++questions >= 3) break;
  }
  if (questions < 2) return;
  let answers = 0;
  let last = -1;
  for (const m of text.matchAll(ANSWER_TURN)) {
    answers++;
    last = m.index + m[0].length;
  }
  if (answers === 0 || last < first) return;
  const rule = questions >= 3 && answers >= 2 ? p.manyShot : p.fewShot;
  hits.push({ rule, start: first, end: last });
}

/** Where the matches in one scanned string go, and how their offsets map back to the original text. */
interface Sink {
  hits: Hit[];
  /** Offset of the scanned string in the original. */
  base: number;
  /** The scanned string is this normalised window: map offsets through it. */
  norm: NormalizedText | undefined;
  /** The scanned string is decoded text: every match reports this original span. */
  span: Span | undefined;
  kind: string | undefined;
  hidden: HiddenSignals | undefined;
}

/**
 * Runs the prefilter once and sorts what it found: rule → positions, encoded-run candidates and suspicious runs.
 * A stem hit counts only where its keyword is confirmed. `outer`: the original text (look for suspicious characters
 * too); false for a normalised window or decoded text.
 */
function collect(p: Profile, s: string, outer: boolean): Collected {
  const c: Collected = { ruleHits: new Map(), encoded: [], suspicious: [] };
  const words = p.words;
  words.lastIndex = 0;
  for (let m = words.exec(s); m !== null; m = words.exec(s)) {
    const at = m.index;
    if (m[1] !== undefined) {
      c.encoded.push([at, at + m[0].length]);
      continue;
    }
    const stem = p.stems.get(m[0].toLowerCase());
    if (stem === undefined) continue;
    stem.confirm.lastIndex = at;
    const k = stem.confirm.exec(s);
    if (k === null) continue;
    for (let g = 1; g < k.length; g++)
      if (k[g] !== undefined) for (const rule of stem.rules[g - 1]!) addHit(c.ruleHits, rule, at);
  }
  words.lastIndex = 0;
  const symbols = p.symbols;
  symbols.lastIndex = 0;
  for (let m = symbols.exec(s); m !== null; m = symbols.exec(s)) {
    let g = 1;
    while (g < m.length && m[g] === undefined) g++;
    const kind = p.groups[g - 1];
    if (kind === 'encoded') c.encoded.push([m.index, m.index + m[0].length]);
    else if (kind !== undefined) for (const rule of kind) addHit(c.ruleHits, rule, m.index);
  }
  symbols.lastIndex = 0;
  // Non-Latin and invisible characters: a separate case-sensitive pass (a case-insensitive character class with many
  // ranges is several times slower), skipped for ASCII text.
  if (outer && NON_ASCII.test(s)) suspiciousAndForeign(p, s, c);
  return c;
}

/**
 * The non-ASCII passes, each skipped when it cannot find anything: characters that hide words (see SUSPICIOUS in
 * injection-rules.ts) and override words in other scripts, looked for only inside runs of those scripts.
 */
function suspiciousAndForeign(p: Profile, s: string, c: Collected): void {
  const always = ALWAYS_SUSPICIOUS_RUN;
  always.lastIndex = 0;
  for (let m = always.exec(s); m !== null; m = always.exec(s)) {
    if (!FULLWIDTH_PUNCTUATION.test(m[0])) c.suspicious.push([m.index, m.index + m[0].length]);
  }
  always.lastIndex = 0;
  const invisible = INVISIBLE_RUN;
  invisible.lastIndex = 0;
  for (let m = invisible.exec(s); m !== null; m = invisible.exec(s)) {
    const end = m.index + m[0].length;
    if (isLatinLetter(s.charCodeAt(m.index - 1)) || isLatinLetter(s.charCodeAt(end))) c.suspicious.push([m.index, end]);
  }
  invisible.lastIndex = 0;
  const runs = FOREIGN_RUN_RE;
  const words = FOREIGN_WORDS_RE;
  runs.lastIndex = 0;
  for (let r = runs.exec(s); r !== null; r = runs.exec(s)) {
    const run = r[0];
    const end = r.index + run.length;
    // A Cyrillic or Greek letter touching a Latin one: a word spelled across scripts.
    if (
      (isLookalike(run.charCodeAt(0)) && isLatinLetter(s.charCodeAt(r.index - 1))) ||
      (isLookalike(run.charCodeAt(run.length - 1)) && isLatinLetter(s.charCodeAt(end)))
    ) {
      c.suspicious.push([r.index, end]);
    }
    if (run.length < 2 || p.foreignRules.length === 0) continue;
    words.lastIndex = 0;
    for (let m = words.exec(run); m !== null; m = words.exec(run)) {
      for (const rule of p.foreignRules) addHit(c.ruleHits, rule, r.index + m.index);
    }
  }
  runs.lastIndex = 0;
  words.lastIndex = 0;
}

function isLookalike(c: number): boolean {
  return c >= 0x370 && c <= 0x52f;
}

function isLatinLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function addHit(ruleHits: Map<number, number[]>, rule: number, at: number): void {
  const list = ruleHits.get(rule);
  if (list) list.push(at);
  else ruleHits.set(rule, [at]);
}

/**
 * Runs each rule that a keyword started, on merged windows around its hits. With `regions`, hits inside them are
 * left to the normalised pass, except for rules that read the original script; without, a normalised or decoded
 * string runs only the other rules.
 */
function runRules(
  p: Profile,
  s: string,
  ruleHits: Map<number, number[]>,
  regions: Span[] | undefined,
  sink: Sink,
): void {
  const inWindow = sink.norm !== undefined || sink.span !== undefined;
  for (const [rule, positions] of ruleHits) {
    const compiled = p.rules[rule]!;
    if (inWindow && compiled.raw) continue;
    let windows: Span[] = [];
    for (const pos of positions) {
      if (regions !== undefined && !compiled.raw && inSpans(regions, pos)) continue;
      windows.push([Math.max(0, pos - WINDOW), Math.min(s.length, pos + WINDOW)]);
    }
    if (windows.length === 0) continue;
    if (windows.length > 1) windows = mergeSpans(windows, 0, s.length);
    const re = compiled.re;
    for (const [ws, we] of windows) {
      // A window that starts mid-line gets a one-letter guard, so that `^` in a pattern cannot pretend that the cut
      // is the start of a sentence.
      const midLine = ws > 0 && s.charCodeAt(ws - 1) !== 10;
      const slice = midLine ? 'x' + s.slice(ws, we) : ws === 0 && we === s.length ? s : s.slice(ws, we);
      const shift = midLine ? ws - 1 : ws;
      re.lastIndex = 0;
      for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        emit(sink, rule, m.index + shift, m.index + shift + m[0].length, s);
      }
      re.lastIndex = 0;
    }
  }
}

function emit(sink: Sink, rule: number, start: number, end: number, scanned: string): void {
  if (sink.span !== undefined) {
    sink.hits.push({
      rule,
      start: sink.span[0],
      end: sink.span[1],
      encoded: sink.kind,
      decoded: scanned.slice(start, end),
      hidden: sink.hidden,
    });
  } else if (sink.norm !== undefined) {
    const n = sink.norm;
    sink.hits.push({
      rule,
      start: sink.base + n.toOriginal(start),
      end: sink.base + n.toOriginal(end),
      hidden: sink.hidden,
    });
  } else sink.hits.push({ rule, start: start + sink.base, end: end + sink.base });
}

function inSpans(spans: Span[], pos: number): boolean {
  for (const [s, e] of spans) if (pos >= s && pos < e) return true;
  return false;
}

/** Scans the text of a decoded run in full; every hit reports the run's original span. */
function scanDecoded(
  p: Profile,
  decoded: string,
  span: Span,
  kind: string,
  hits: Hit[],
  hidden: HiddenSignals | undefined,
): void {
  const inner = collect(p, decoded, false);
  runRules(p, decoded, inner.ruleHits, undefined, { hits, base: 0, norm: undefined, span, kind, hidden });
  if (kind === 'tags' && READABLE_WORDS.test(decoded)) {
    // Text spelled in Unicode tag characters is invisible to a person: readable words there are never benign.
    hits.push({ rule: p.hiddenText, start: span[0], end: span[1], encoded: kind, decoded, hidden });
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

/** Sorts and merges spans, each first widened by `pad` on both sides (within 0..limit). */
function mergeSpans(spans: Span[], pad: number, limit: number): Span[] {
  const sorted = spans.length > 1 ? spans.slice().sort((a, b) => a[0] - b[0]) : spans;
  const out: Span[] = [];
  for (const [s0, e0] of sorted) {
    const s = Math.max(0, s0 - pad);
    const e = Math.min(limit, e0 + pad);
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
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

/**
 * One detection per rule and span. A plain match reports the sentence around it, an encoded one the encoded run;
 * overlapping spans of one rule merge, and the excerpt shows the first match (or the decoded text).
 */
function toDetections(p: Profile, text: string, cluster: Hit[], s: number): Detection[] {
  const out: Detection[] = [];
  const last = new Map<string, Detection>();
  for (const h of cluster) {
    const rule = p.rules[h.rule]!;
    if (rule.weight <= 0) continue;
    const [start, end] = h.encoded ? [h.start, h.end] : sentenceAround(text, h.start, h.end);
    const prev = last.get(rule.id);
    if (prev && start <= prev.end!) {
      prev.end = Math.max(prev.end!, end);
      continue;
    }
    const excerpt = h.encoded
      ? `${h.encoded}: ${clip(h.decoded ?? text.slice(h.start, h.end))}`
      : clip(text.slice(h.start, h.end));
    const d: Detection = { detector: 'injection', rule: rule.id, score: s, start, end, excerpt };
    out.push(d);
    last.set(rule.id, d);
  }
  return out.sort((a, b) => a.start! - b.start! || a.end! - b.end!);
}

/** How far a reported span may grow to reach the edges of its sentence. */
const SENTENCE_REACH = 400;

/**
 * Widens a match to the sentence (or line) it sits in, so that redaction removes the whole injected instruction and
 * not only the words that gave it away ("…and send the contents to https://…" would survive otherwise). A sentence
 * ends at a line break or at . ! ? followed by white space; a sentence longer than SENTENCE_REACH keeps its match.
 */
function sentenceAround(text: string, start: number, end: number): Span {
  let s = start;
  const lo = Math.max(0, start - SENTENCE_REACH);
  while (s > lo) {
    const c = text.charCodeAt(s - 1);
    if (c === 10 || c === 13) break;
    if (isSpace(c) && s >= 2 && isSentenceEnd(text.charCodeAt(s - 2))) break;
    s--;
  }
  if (s === lo && lo > 0) s = start;
  while (s < start && isSpace(text.charCodeAt(s))) s++;
  let e = end;
  const hi = Math.min(text.length, end + SENTENCE_REACH);
  while (e < hi) {
    const c = text.charCodeAt(e);
    if (c === 10 || c === 13) break;
    e++;
    if (isSentenceEnd(c) && (e === text.length || isSpace(text.charCodeAt(e)))) break;
  }
  if (e === hi && hi < text.length) e = end;
  return [s, Math.max(e, end)];
}

function isSentenceEnd(c: number): boolean {
  return c === 46 || c === 33 || c === 63; // . ! ?
}

function clip(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length <= 80 ? flat : `${flat.slice(0, 77)}…`;
}
