/**
 * Keyword detector: a deny list and named topics of words and phrases, matched case-insensitively as whole words
 * over the normalised text (so fullwidth letters, homoglyphs and zero-width characters inside a word do not hide
 * it), and over runs that normalisation decoded (base64, hex, URL and HTML escapes, tag characters). All terms are
 * compiled into one regex. Rules: `keywords.deny` and `keywords.topic.<name>`; a term listed under several rules
 * reports each. An empty configuration never fires. Runs in every phase; it only reports, the stage decides.
 */
import { originalSpan } from './spans.js';
import { normalize } from './normalize.js';
import type { Detection, Detector } from './types.js';
import { escapeRegExp } from '../util/regexp.js';

export interface KeywordOptions {
  deny: string[];
  /** Topic name → its words and phrases; each topic reports as `keywords.topic.<name>`. */
  topics?: Record<string, string[]>;
}

/** Scripts written without spaces between words: their terms match inside longer runs of letters. */
const UNSPACED =
  /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const WORD_CHAR = String.raw`[\p{L}\p{N}\p{M}_]`;
const MAX_EXCERPT = 60;

/** The form in which terms and matched text are compared: normalised, lower-case, single spaces. */
function fold(s: string): string {
  return normalize(s, { decode: false }).text.toLowerCase().replace(/\s+/g, ' ').trim();
}

function escapeTerm(term: string): string {
  return escapeRegExp(term).replace(/ /g, String.raw`\s+`);
}

function alternative(term: string): string {
  const body = escapeTerm(term);
  const first = term[0]!;
  const last = term.at(-1)!;
  const wordStart = new RegExp(WORD_CHAR, 'u').test(first) && !UNSPACED.test(first);
  const wordEnd = new RegExp(WORD_CHAR, 'u').test(last) && !UNSPACED.test(last);
  return `${wordStart ? `(?<!${WORD_CHAR})` : ''}${body}${wordEnd ? `(?!${WORD_CHAR})` : ''}`;
}

export function createKeywordDetector(opts: KeywordOptions): Detector {
  const rulesByTerm = new Map<string, string[]>();
  const add = (term: string, rule: string): void => {
    const key = fold(term);
    if (key === '') return;
    const rules = rulesByTerm.get(key) ?? [];
    if (!rules.includes(rule)) rules.push(rule);
    rulesByTerm.set(key, rules);
  };
  for (const t of opts.deny) add(t, 'keywords.deny');
  for (const [name, terms] of Object.entries(opts.topics ?? {}))
    for (const t of terms) add(t, `keywords.topic.${name}`);

  // Longest first, so that a phrase wins over a word it starts with.
  const terms = [...rulesByTerm.keys()].sort((a, b) => b.length - a.length);
  const re = terms.length > 0 ? new RegExp(terms.map(alternative).join('|'), 'giu') : undefined;

  return {
    id: 'keywords',
    scan(text) {
      if (!re || text.length === 0) return [];
      const norm = normalize(text);
      const out: Detection[] = [];
      const seen = new Set<string>();
      for (const m of norm.text.matchAll(re)) {
        const [start, end] = originalSpan(norm, m.index, m.index + m[0].length);
        report(rulesFor(rulesByTerm, m[0]), start, end, 1, text.slice(start, end), out, seen);
      }
      // Decoded runs report the whole encoded run: that is the span a redaction has to replace.
      for (const run of norm.decoded) {
        for (const m of fold(run.text).matchAll(re)) {
          report(rulesFor(rulesByTerm, m[0]), run.start, run.end, 0.9, `${run.kind}: ${m[0]}`, out, seen);
        }
      }
      return out;
    },
  };
}

function rulesFor(rulesByTerm: Map<string, string[]>, matched: string): string[] {
  const exact = rulesByTerm.get(fold(matched));
  if (exact) return exact;
  // The regex folds case per character (/iu) and toLowerCase per string; the two differ for a few letters.
  for (const [term, rules] of rulesByTerm) if (new RegExp(`^${escapeTerm(term)}$`, 'iu').test(matched)) return rules;
  return [];
}

function report(
  rules: string[],
  start: number,
  end: number,
  score: number,
  shown: string,
  out: Detection[],
  seen: Set<string>,
): void {
  const excerpt = shown.length > MAX_EXCERPT ? `${shown.slice(0, MAX_EXCERPT - 1)}…` : shown;
  for (const rule of rules) {
    const key = `${rule}:${start}:${end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ detector: 'keywords', rule, score, start, end, excerpt, entity: 'KEYWORD' });
  }
}
