/**
 * The incremental scanner for a streamed completion (issue 20, "streamed answers scanned incrementally with a
 * bounded look-back"). It is format-neutral: it reads the text deltas of one stream, in order, and returns from each
 * push the text that is now safe to send.
 *
 * How: the last `lookBack` characters are always held back, so a detection that is not yet whole (a secret or an
 * injection phrase split across deltas) is never partly released: a span no longer than `lookBack` that ends in the
 * newest text starts inside the held-back part. A window is scanned when more than `lookBack + minBatch` characters
 * wait and either `intervalMs` has passed since the last scan or `lookBack + maxBatch` characters wait: `context`
 * characters already released (for detectors that read what comes before a match), then everything unreleased.
 * So a slow stream is released every `intervalMs` (the model is slower than the scan), and a fast one (a burst, a
 * replay) in large windows, read about once, not once per delta: the cost of a push is bounded by the window, never
 * by the whole text.
 *
 * What a finding does, by the policy's action for its detector (the same actions as the output guardrail stage):
 * - `block`: the stream stops; nothing unreleased is ever sent, every later push and end() return '', and
 *   `blocked` names the rule;
 * - `redact`: the span is replaced before release; a span that reaches into text already sent cannot be redacted
 *   and stops the stream instead (fail closed);
 * - `warn` and shadow findings are recorded in `detections` and let through.
 * Placeholders of the input redaction (`[EMAIL_1]`, which the model may echo) are restored on release; the release
 * point never cuts one in half. Failure mode: closed. A scan that throws stops the stream (`guardrails.failed`), one
 * that takes longer than `maxScanMs` too (`guard.budget-exceeded`), and so does a stream past `maxBytes`.
 */
import type { Detection } from '../guardrails/types.js';

/** One finding in a scanned window, with the action the policy gives its detector. */
export interface StreamFinding extends Detection {
  start: number;
  end: number;
  action: 'block' | 'redact' | 'warn';
  mode: 'enforce' | 'shadow';
}

/** Scans one window of text. Synchronous and local: remote providers and judges do not run per window. */
export type WindowScan = (text: string) => StreamFinding[];

export interface StreamScanOptions {
  scan: WindowScan;
  /** Characters always held back; the longest span that is caught before any of it is sent. Default 512. */
  lookBack?: number;
  /** Characters already released that each window re-reads before the new text. Default 256. */
  context?: number;
  /** New characters (past the look-back) that a scan waits for. Default 128. */
  minBatch?: number;
  /** New characters past which a scan runs whatever the interval. Default 32768. */
  maxBatch?: number;
  /** Least time between two scans while fewer than maxBatch characters wait. Default 20 ms; 0 scans at minBatch. */
  intervalMs?: number;
  /** Puts the input redaction's placeholders back (RedactionVault.restore); identity when absent. */
  restore?: (text: string) => string;
  /** The replacement of a redacted span. Default: `[REDACTED:<ENTITY>]`, as the output guardrail stage writes. */
  redaction?: (f: StreamFinding) => string;
  /** UTF-8 bytes the stream may carry; past it the stream stops with `sizeRule`. Default: no limit. */
  maxBytes?: number;
  sizeRule?: string;
  /** Time one window scan may take. Default 5000 ms. */
  maxScanMs?: number;
}

export interface StreamBlock {
  ruleId: string;
  reason: string;
  detections: Detection[];
}

export interface StreamScanStats {
  /** Windows scanned. */
  scans: number;
  /** Characters read by all scans together (the cost: about the stream's length × window / batch). */
  scannedChars: number;
  /** Characters received. */
  receivedChars: number;
  /** Characters released (before restore). */
  releasedChars: number;
}

export interface StreamScanner {
  /** Adds the next delta; returns the text that is now safe to send (often ''). '' for ever once blocked. */
  push(delta: string): string;
  /** The stream ended: scans what is held back and returns the rest (or '' when that blocks). */
  end(): string;
  /** Why the stream stopped, once it has. */
  readonly blocked: StreamBlock | undefined;
  /** What was redacted or recorded (warn, shadow), in the order found. */
  readonly detections: readonly Detection[];
  readonly stats: Readonly<StreamScanStats>;
}

/** The longest placeholder the input redaction writes (`[CREDIT_CARD_123]`); a release never ends inside one. */
const MAX_PLACEHOLDER = 48;
const PLACEHOLDER_PREFIX = /^\[[A-Z][A-Z0-9_]*$/;

function defaultRedaction(f: StreamFinding): string {
  if (f.detector === 'injection') return '[REMOVED: suspected instruction]';
  return `[REDACTED:${(f.entity ?? f.detector).toUpperCase().replace(/[^A-Z0-9]/g, '_')}]`;
}

/** What may leave the gateway: no offsets into a window (they mean nothing to the client), no raw values. */
function publicOf(f: StreamFinding): Detection {
  const { action, mode, start: _s, end: _e, ...d } = f;
  const excerpt = f.detector === 'injection' ? `${f.end - f.start} chars withheld` : d.excerpt;
  return { ...d, excerpt, rule: mode === 'shadow' ? `${f.rule} (shadow ${action})` : f.rule };
}

export function createStreamScanner(opts: StreamScanOptions): StreamScanner {
  const lookBack = opts.lookBack ?? 512;
  const contextChars = opts.context ?? 256;
  const minBatch = Math.max(1, opts.minBatch ?? 128);
  const maxBatch = Math.max(minBatch, opts.maxBatch ?? 32_768);
  const intervalMs = opts.intervalMs ?? 20;
  const maxScanMs = opts.maxScanMs ?? 5_000;
  const restore = opts.restore ?? ((s: string) => s);
  const redaction = opts.redaction ?? defaultRedaction;
  if (!(lookBack >= 0 && contextChars >= 0 && intervalMs >= 0))
    throw new RangeError('stream scan: lookBack, context and intervalMs must be >= 0');
  let lastScan = -Infinity;
  /** Released text the next window re-reads (as sent, before restore). */
  let context = '';
  /** Received and not yet released. */
  let pending = '';
  let bytes = 0;
  let blocked: StreamBlock | undefined;
  const detections: Detection[] = [];
  const stats: StreamScanStats = { scans: 0, scannedChars: 0, receivedChars: 0, releasedChars: 0 };

  const stop = (ruleId: string, reason: string, found: Detection[] = []): string => {
    blocked = { ruleId, reason, detections: found };
    pending = '';
    context = '';
    return '';
  };

  /** Scans context + pending and releases what is safe: everything when `final`, else all but the look-back. */
  const release = (final: boolean): string => {
    const window = context + pending;
    const base = context.length;
    const started = (lastScan = performance.now());
    let findings: StreamFinding[];
    try {
      findings = opts.scan(window);
    } catch (error) {
      return stop('guardrails.failed', `the stream's guardrail scan failed: ${(error as Error).message ?? error}`);
    }
    stats.scans++;
    stats.scannedChars += window.length;
    const ms = performance.now() - started;
    if (ms > maxScanMs)
      return stop(
        'guard.budget-exceeded',
        `the stream's guardrail scan took ${Math.round(ms)} ms (limit ${maxScanMs})`,
      );

    const enforced = findings.filter((f) => f.mode === 'enforce');
    const blocks = enforced.filter((f) => f.action === 'block');
    if (blocks.length) {
      const first = blocks[0]!;
      return stop(
        first.rule,
        `the completion carries what the policy blocks: ${first.rule} (${publicOf(first).excerpt})`,
        blocks.map(publicOf),
      );
    }
    let cut = final ? window.length : Math.max(base, window.length - lookBack);
    const redactions = enforced
      .filter((f) => f.action === 'redact' && f.end > f.start)
      .sort((a, b) => a.start - b.start || b.end - a.end);
    for (const r of redactions) {
      // A span inside text already sent was redacted when it was sent (context holds the redacted text), unless
      // only more context revealed it: then part of it is out, and stopping is all that is left.
      if (r.start < base)
        return stop(r.rule, `the completion carries ${r.rule} in text already sent; the stream stops`, [publicOf(r)]);
      if (!final && r.start < cut && r.end > cut) cut = r.start;
    }
    if (!final) {
      // Never end a release inside a placeholder such as `[EMAIL_1]`: restore() could not match its halves.
      const open = window.lastIndexOf('[', cut - 1);
      if (open >= base && cut - open < MAX_PLACEHOLDER && PLACEHOLDER_PREFIX.test(window.slice(open, cut))) cut = open;
    }
    let out = '';
    let at = base;
    for (const r of redactions) {
      if (r.end > cut || r.start < at) continue;
      out += window.slice(at, r.start) + redaction(r);
      at = r.end;
      detections.push(publicOf(r));
    }
    out += window.slice(at, cut);
    for (const f of findings)
      if ((f.mode === 'shadow' || f.action === 'warn') && f.start >= base && f.start < cut)
        detections.push(publicOf(f));
    pending = window.slice(cut);
    context = contextChars === 0 ? '' : (context + out).slice(-contextChars);
    stats.releasedChars += out.length;
    return out === '' ? '' : restore(out);
  };

  return {
    push(delta) {
      if (blocked) return '';
      if (delta === '') return '';
      stats.receivedChars += delta.length;
      if (opts.maxBytes !== undefined) {
        bytes += Buffer.byteLength(delta, 'utf8');
        if (bytes > opts.maxBytes)
          return stop(opts.sizeRule ?? 'size.max-result-bytes', `the completion is larger than ${opts.maxBytes} bytes`);
      }
      pending += delta;
      const waiting = pending.length - lookBack;
      if (waiting < minBatch) return '';
      if (waiting < maxBatch && performance.now() - lastScan < intervalMs) return '';
      return release(false);
    },
    end() {
      if (blocked) return '';
      if (pending === '') return '';
      return release(true);
    },
    get blocked() {
      return blocked;
    },
    detections,
    stats,
  };
}
