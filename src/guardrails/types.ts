/**
 * The guardrails' vocabulary. A Detector is pure and fast: it reads one string and says what it found, with
 * offsets into that string so a redaction can replace exactly the span. It never decides what happens; the policy
 * does (block, redact, warn or off), in stage.ts.
 */

/** Where the text came from, so a detector can use the right profile. */
export type Where = 'input' | 'output' | 'description';

export interface Detection {
  /** 'injection', 'pii', 'secrets', 'keywords', 'toxicity', or a provider's name. */
  detector: string;
  /** The rule that fired, e.g. 'injection.ignore-previous', 'pii.email', 'secrets.aws-access-key'. */
  rule: string;
  /** 0..1; a detector's threshold decides which detections it reports. */
  score: number;
  /** Offsets into the scanned string (UTF-16 units), when the finding is a span that can be redacted. */
  start?: number;
  end?: number;
  /** A short, already-masked excerpt for logs and block messages: never the full secret or PII value. */
  excerpt: string;
  /** The PII entity type or the secret kind, for typed placeholders: EMAIL, PHONE, CARD, IBAN, SSN, IP, SECRET... */
  entity?: string;
  /** Where in the call or result the string was: `arguments.path`, `content[0].text`, `structuredContent.items[2]`. */
  path?: string;
}

export interface Detector {
  readonly id: string;
  scan(text: string, where: Where): Detection[];
}

/** A remote provider (HTTP). It may be slow and may fail: stage.ts applies its timeout and failure mode. */
export interface AsyncDetector {
  readonly id: string;
  scan(text: string, where: Where, signal: AbortSignal): Promise<Detection[]>;
}

/**
 * Masks a matched value for excerpts: keeps a little context, never the value. Counts code points, so an astral
 * character is never cut in half (a lone surrogate is ill-formed text that some clients reject).
 */
export function maskExcerpt(value: string, keep = 2): string {
  const chars = Array.from(value);
  if (chars.length <= keep * 2 + 2) return '*'.repeat(Math.min(chars.length, 8));
  return `${chars.slice(0, keep).join('')}…${chars.slice(-keep).join('')} (${chars.length} chars)`;
}
