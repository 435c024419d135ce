/**
 * Secrets detector: API keys, tokens, private keys, credentials in URLs and high-entropy assignments, in call
 * arguments (input) and tool results (output). The rules are in secret-rules.ts, mostly ported from gitleaks.
 *
 * The hard part is not finding secrets but staying quiet on ordinary files, because a detector that blocks every
 * `read_file` gets switched off. So every rule is gated: a keyword must be in the text before its regex runs, the
 * secret must pass the rule's entropy threshold and allowlists, generic rules skip placeholders, stopwords, UUIDs and
 * identifiers, and a prefix match inside a long base64 run (an image, an integrity hash) is not a token.
 *
 * Each detection's span is the secret itself (a URL keeps its user and host, an assignment its key), so a
 * redaction replaces exactly the value. Text that is not plain ASCII is scanned in its normalised form (zero-width
 * characters inside a token, fullwidth letters) and mapped back.
 *
 * Encoded secrets (issue 15): the text is also read through decode.ts's views: hex, base64/base64url (up to two
 * layers), percent-encoding, `\x`/`\u`/`&#` escapes and character codes (every rule runs on those), and the text
 * reversed or with a separator every few characters rejoined (only the vendor rules, which need a prefix or a
 * checksum, run on those). A finding on a view keeps its rule id; its span is the ENCODED text in the original, so a
 * redaction removes the encoded form, and its excerpt ends with the encodings undone (`[encoded: base64>hex]`).
 * A decode that runs out of budget is reported as `secrets.decode-budget-exceeded` over the undecoded span, so the
 * stage blocks (or redacts) it instead of letting it through unread.
 *
 * Failure mode: a detector only reports; the stage decides (closed by default).
 */
import { keepStrongest, originalSpan } from './spans.js';
import { GatewayError } from '../errors.js';
import { normalize } from './normalize.js';
import { GLOBAL_ALLOW, PLACEHOLDERS, SECRET_RULES, shannonEntropy, type SecretRule } from './secret-rules.js';
import { maskExcerpt, type Detection, type Detector } from './types.js';
import { escapeRegExp } from '../util/regexp.js';
import {
  DEFAULT_DECODE_BUDGET,
  decodeLayers,
  reversedView,
  separatedView,
  spanOf,
  type DecodeBudget,
  type View,
} from './decode.js';

export interface SecretsOptions {
  /** Regexes (JavaScript source); a secret that one of them matches is never reported. */
  allow?: string[];
  /** Rule ids to skip, with or without the `secrets.` prefix. */
  disable?: string[];
  /** Read encoded spellings too (default true); off, only the raw and normalised text is scanned. */
  decode?: boolean;
  /** Limits of the decoding; what runs out is reported as `secrets.decode-budget-exceeded`. */
  budget?: Partial<DecodeBudget>;
}

interface CompiledRule {
  rule: SecretRule;
  re: RegExp | undefined;
}

interface Finding {
  rule: SecretRule;
  start: number;
  end: number;
  /** The encodings undone to find it, outermost first; absent for the text as it is. */
  encoding?: string;
}

/** The rule reported when a decode runs out of budget: not a secret found, a text that could not be read. */
const BUDGET_RULE: SecretRule = { id: 'decode-budget-exceeded', source: 'smg', keywords: [] };

/** Texts shorter than this hold no encoded token (the shortest prefixed token encodes to more). */
const MIN_ENCODED = 16;

const PLAIN_ASCII = /^[\x20-\x7e\t\n\r]*$/;
const BASE64_CHAR = /[A-Za-z0-9+/]/;

export const SECRET_RULE_IDS: readonly string[] = SECRET_RULES.map((r) => r.id);

export function createSecretsDetector(opts: SecretsOptions = {}): Detector {
  const disabled = new Set((opts.disable ?? []).map((id) => id.replace(/^secrets\./, '')));
  for (const id of disabled) {
    if (!SECRET_RULE_IDS.includes(id)) throw new GatewayError('CONFIG_INVALID', `secrets: unknown rule "${id}"`);
  }
  const allow = (opts.allow ?? []).map((source) => {
    try {
      return new RegExp(source);
    } catch (cause) {
      throw new GatewayError('CONFIG_INVALID', `secrets: invalid allow pattern ${JSON.stringify(source)}`, { cause });
    }
  });
  const rules: CompiledRule[] = SECRET_RULES.filter((r) => !disabled.has(r.id)).map((rule) => ({
    rule,
    re: rule.pattern ? new RegExp(rule.pattern.source, rule.pattern.flags.replace(/[gyd]/g, '') + 'gd') : undefined,
  }));
  const gate = createKeywordGate(rules);
  // Reversed and rejoined views only run the vendor rules: a prefix or a checksum does not appear by chance, where
  // a generic `key = value` rule would fire on English words run together.
  const strict = rules.filter((c) => !c.rule.generic && c.rule.id !== 'private-key-line');
  const strictGate = createKeywordGate(strict);
  const reversedKeywords = [...new Set(strict.flatMap((c) => c.rule.keywords))].filter((k) => k.length >= 4);
  const reversedGate = new RegExp(reversedKeywords.map((k) => escapeRegExp([...k].reverse().join(''))).join('|'), 'i');
  // Keywords of token characters only: the reversed view may then run its gate on long token runs alone.
  const tokenGate = reversedKeywords.every((k) => /^[A-Za-z0-9_+/=~.:-]+$/.test(k));
  const decode = opts.decode !== false;
  const budget: DecodeBudget = { ...DEFAULT_DECODE_BUDGET, ...opts.budget };

  /** Findings of `set` on one text, in that text's offsets. */
  const find = (text: string, g: (t: string) => CompiledRule[]): Finding[] => {
    const found: Finding[] = [];
    for (const c of g(text)) {
      for (const [start, end, matchStart, matchEnd] of spans(c, text)) {
        if (accept(c.rule, text, start, end, matchStart, matchEnd, allow)) found.push({ rule: c.rule, start, end });
      }
    }
    return found;
  };

  /** Findings on the encoded spellings in `base` (the scanned text), with spans in the original. */
  const findEncoded = (base: View): Finding[] => {
    const out: Finding[] = [];
    const onView = (view: View, g: (t: string) => CompiledRule[]) => {
      for (const f of find(view.text, g)) {
        const [start, end] = spanOf(view, f.start, f.end);
        out.push({ rule: f.rule, start, end, encoding: view.kinds.join('>') });
      }
    };
    const { layers, exceeded } = decodeLayers(base.text, budget);
    for (const view of [base, ...layers]) {
      if (view !== base) onView(view, gate);
      if (view.text.length < MIN_ENCODED) continue;
      const reversed = reversedKeywords.length > 0 ? reversedView(view, reversedGate, 400, tokenGate) : undefined;
      if (reversed) onView(reversed, strictGate);
      const rejoined = separatedView(view);
      if (rejoined) onView(rejoined, strictGate);
    }
    for (const e of exceeded) {
      const [start, end] = spanOf(base, e.start, Math.max(e.start + 1, e.end));
      out.push({ rule: BUDGET_RULE, start, end, encoding: `${e.reason} budget` });
    }
    return out;
  };

  return {
    id: 'secrets',
    scan(text) {
      if (text.length < 8) return [];
      const norm = PLAIN_ASCII.test(text) ? undefined : normalize(text, { decode: false });
      const view = norm?.text ?? text;
      const toOriginal = (f: Finding): Finding => {
        const [start, end] = norm ? originalSpan(norm, f.start, f.end) : [f.start, f.end];
        return { ...f, start, end };
      };
      const found = find(view, gate).map(toOriginal);
      if (decode && text.length >= MIN_ENCODED) {
        const base: View = norm
          ? { text: view, kinds: [], origin: (i) => originalSpan(norm, i, i + 1) }
          : { text, kinds: [], origin: (i) => [i, i + 1] };
        found.push(...findEncoded(base));
      }
      return resolveOverlaps(found).map((f) => {
        const masked = maskExcerpt(text.slice(f.start, f.end));
        return {
          detector: 'secrets',
          rule: `secrets.${f.rule.id}`,
          score: f.rule === BUDGET_RULE ? 1 : f.rule.generic ? 0.7 : 0.95,
          start: f.start,
          end: f.end,
          excerpt: f.encoding ? `${masked} [${f.rule === BUDGET_RULE ? '' : 'encoded: '}${f.encoding}]` : masked,
          entity: 'SECRET',
        } satisfies Detection;
      });
    },
  };
}

/**
 * The keyword gate: the rules of `set` (in their order) that the text may hold, those without keywords and those
 * with one of their keywords in the text. The keywords are found in one pass of one regex (an alternation of
 * literals, longest first) instead of a substring search per keyword. The search resumes one character after each
 * match, so a keyword that starts inside another is found; one that starts where a longer one matched is its prefix,
 * and is credited through `within`.
 */
function createKeywordGate(set: readonly CompiledRule[]): (text: string) => CompiledRule[] {
  const unique = [...new Set(set.flatMap((c) => c.rule.keywords))].sort((a, b) => b.length - a.length);
  const always = set.filter((c) => c.rule.keywords.length === 0);
  if (unique.length === 0) return () => always;
  const re = new RegExp(unique.map(escapeRegExp).join('|'), 'gi');
  // For each keyword matched, the indices (in `set`) of the rules it opens: its own and its prefixes'.
  const opens = new Map<string, number[]>();
  for (const k of unique) {
    const prefixes = unique.filter((o) => k.startsWith(o));
    opens.set(
      k,
      set.flatMap((c, i) => (c.rule.keywords.some((kw) => prefixes.includes(kw)) ? [i] : [])),
    );
  }
  const isAlways = set.map((c) => c.rule.keywords.length === 0);
  return (text) => {
    let open: Uint8Array | undefined;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      for (const i of opens.get(m[0].toLowerCase()) ?? []) (open ??= new Uint8Array(set.length))[i] = 1;
      re.lastIndex = m.index + 1;
    }
    re.lastIndex = 0;
    if (!open) return always;
    const out: CompiledRule[] = [];
    for (let i = 0; i < set.length; i++) if (isAlways[i] || open[i] === 1) out.push(set[i]!);
    return out;
  };
}

/** [secretStart, secretEnd, matchStart, matchEnd] for every match of a rule. */
function* spans(c: CompiledRule, text: string): Iterable<[number, number, number, number]> {
  if (c.rule.find) {
    for (const [s, e] of c.rule.find(text)) yield [s, e, s, e];
    return;
  }
  if (!c.re) return;
  const groups = c.rule.group === undefined ? [0] : typeof c.rule.group === 'number' ? [c.rule.group] : c.rule.group;
  for (const m of text.matchAll(c.re)) {
    const span = groups.map((g) => m.indices?.[g]).find((s) => s !== undefined);
    if (span && span[1] > span[0]) yield [span[0], span[1], m.index, m.index + m[0].length];
  }
}

function accept(
  rule: SecretRule,
  text: string,
  start: number,
  end: number,
  matchStart: number,
  matchEnd: number,
  extraAllow: readonly RegExp[],
): boolean {
  const secret = text.slice(start, end);
  // A valid vendor checksum stands in for entropy: a real token may look regular, a checksum never matches by chance.
  const entropyOk = rule.entropy === undefined || shannonEntropy(secret) >= rule.entropy || rule.checksum?.(secret);
  if (!entropyOk) return false;
  if (GLOBAL_ALLOW.some((r) => r.test(secret))) return false;
  if (rule.allow?.some((r) => r.test(secret))) return false;
  if (rule.generic && PLACEHOLDERS.some((r) => r.test(secret))) return false;
  if (!rule.embeddable && insideBase64(text, start, end)) return false;
  if (rule.check && !rule.check(secret, { text, start, end, matchStart, matchEnd })) return false;
  return !extraAllow.some((r) => r.test(secret));
}

/**
 * A prefix that happens to appear inside a long base64 run ("…/EAAA…", "…+SK0f…") is part of an image, a font or an
 * integrity hash, not a token: the secret is glued to '+' or '/' and base64 continues on that side.
 */
function insideBase64(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  const after = text[end];
  const run = (from: number, step: number): number => {
    let n = 0;
    for (let i = from; i >= 0 && i < text.length && n < 16 && BASE64_CHAR.test(text[i]!); i += step) n++;
    return n;
  };
  return (
    ((before === '+' || before === '/') && run(start - 2, -1) >= 16) ||
    ((after === '+' || after === '/') && run(end + 1, 1) >= 16)
  );
}

/** A budget that ran out first, then specific rules before generic ones; then the longer span wins. */
function resolveOverlaps(found: Finding[]): Finding[] {
  return keepStrongest(
    found,
    (a, b) =>
      Number(b.rule === BUDGET_RULE) - Number(a.rule === BUDGET_RULE) ||
      Number(a.rule.generic ?? false) - Number(b.rule.generic ?? false) ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
}
