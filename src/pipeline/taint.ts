/**
 * The session's taint: values that a tool result carried out in the open (a secret or PII a detector found and the
 * policy only warned about, or a URL or address inside content flagged as an injection). The output guardrails
 * record them here; the data-flow guard (policy/data-flow.ts) looks for them in later outbound calls. It lives with
 * the session state, so that neither stage imports the other.
 */
import type { Detection, SessionState } from './types.js';

/** How many values a session remembers; the oldest go first. */
const MAX_TAINTED = 1000;
/** Values shorter than this are too common to follow (a two-digit number, "a@b"). */
export const MIN_LENGTH = 6;
const URL_OR_EMAIL = /\bhttps?:\/\/[^\s"'<>)\]]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

export interface TaintSource {
  /** `<server>/<tool>` whose result carried the value. */
  from: string;
  /** The scanned strings by path, as the detections name them. */
  text: (path: string) => string | undefined;
}

/**
 * Remembers the values that a result let through: PII and secret spans, and the URLs and email addresses inside
 * spans flagged as injected instructions. `passed` are detections that were recorded, not redacted or blocked.
 */
export function recordTaint(session: SessionState, passed: readonly Detection[], source: TaintSource): void {
  for (const d of passed) {
    if (d.start === undefined || d.end === undefined || d.path === undefined) continue;
    const span = source.text(d.path)?.slice(d.start, d.end);
    if (!span) continue;
    if (d.detector === 'pii' || d.detector === 'secrets') remember(session, span, d.entity ?? d.detector, source.from);
    else if (d.detector === 'injection')
      for (const m of span.matchAll(URL_OR_EMAIL)) remember(session, m[0], 'UNTRUSTED_DESTINATION', source.from);
  }
}

function remember(session: SessionState, value: string, entity: string, from: string): void {
  if (value.length < MIN_LENGTH) return;
  session.tainted.delete(value);
  session.tainted.set(value, { entity, from });
  if (session.tainted.size > MAX_TAINTED) session.tainted.delete(session.tainted.keys().next().value!);
}
