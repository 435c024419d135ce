/**
 * What of a call's arguments (and of free text such as an upstream's stderr) may be written to the audit log and
 * the logs. The same detectors the input guardrails use (secrets.ts, pii.ts) find the values; a redaction replaces
 * exactly each span with a typed placeholder (`[SECRET:secrets.github-pat]`, `[EMAIL]`), and values under keys
 * that name a credential (password, token, apiKey, authorization, …) are replaced whole. Modes:
 * - `redacted`: the arguments with every secret and PII value replaced;
 * - `hashed`: every string value replaced by `sha256:<hex>` (HMAC-SHA256 with the audit key when there is one, so
 *   that a dictionary of likely values cannot be hashed and compared by someone without the key);
 * - `omitted`: no arguments, only their names.
 * Failure mode: a detector that throws on some text makes that whole string `[UNSCANNED]`, never the raw value.
 */
import crypto from 'node:crypto';
import { createPiiDetector } from '../guardrails/pii.js';
import { createSecretsDetector } from '../guardrails/secrets.js';
import { keepStrongest } from '../guardrails/spans.js';
import type { Detector } from '../guardrails/types.js';

export type ArgumentsMode = 'redacted' | 'hashed' | 'omitted';

const CREDENTIAL_KEY =
  /pass(word|phrase)?$|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key/i;
const MAX_DEPTH = 32;

export interface Redactor {
  /** Free text with every secret and PII value replaced. */
  text(value: string): string;
  /** A JSON value with every string redacted and credential-named keys replaced. */
  value(value: unknown): unknown;
  /** The arguments as the mode keeps them: `{ arguments }` or `{ argumentNames }`. */
  arguments(args: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

export function createRedactor(mode: ArgumentsMode = 'redacted', key?: string): Redactor {
  const detectors: Detector[] = [createSecretsDetector(), createPiiDetector()];
  const text = (value: string): string => {
    if (value.length < 5) return value;
    let spans: { start: number; end: number; label: string; score: number }[] = [];
    try {
      for (const d of detectors)
        for (const f of d.scan(value, 'input'))
          if (f.start !== undefined && f.end !== undefined)
            spans.push({
              start: f.start,
              end: f.end,
              score: f.score,
              label: d.id === 'secrets' ? `SECRET:${f.rule}` : (f.entity ?? f.rule),
            });
    } catch {
      return '[UNSCANNED]';
    }
    if (spans.length === 0) return value;
    spans = keepStrongest(spans, (a, b) => b.score - a.score || b.end - b.start - (a.end - a.start));
    let out = '';
    let at = 0;
    for (const s of spans) {
      out += `${value.slice(at, s.start)}[${s.label}]`;
      at = s.end;
    }
    return out + value.slice(at);
  };
  const walk = (v: unknown, depth: number, leaf: (s: string) => string): unknown => {
    if (typeof v === 'string') return leaf(v);
    if (v === null || typeof v !== 'object') return v;
    // What lies deeper than the redactor reads is not recorded at all: it could hold a secret (issue 15).
    if (depth > MAX_DEPTH) return '[NOT RECORDED: nested too deep]';
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1, leaf));
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        // A key can carry a secret as well as a value can: it is redacted (never hashed: the shape stays readable).
        text(k),
        CREDENTIAL_KEY.test(k) && x !== null && typeof x !== 'object' ? '[REDACTED]' : walk(x, depth + 1, leaf),
      ]),
    );
  };
  const hash = (s: string): string =>
    `sha256:${(key ? crypto.createHmac('sha256', key) : crypto.createHash('sha256')).update(s).digest('hex')}`;
  return {
    text,
    value: (v) => walk(v, 0, text),
    arguments(args) {
      if (mode === 'omitted') return { argumentNames: Object.keys(args) };
      return { arguments: walk(args, 0, mode === 'hashed' ? hash : text) };
    },
  };
}
