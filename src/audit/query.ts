/**
 * Reading the audit log back: every record of every file in chain order, filtered the way `audit query`,
 * `audit stats`, `audit export` and `audit report` ask. Lines that do not parse (a torn write) are skipped here;
 * `audit verify` is the command that judges them. Read only.
 */
import fs from 'node:fs';
import { logFiles } from './files.js';
import type { LlmRecord } from './llm-record.js';
import type { CallRecord } from './record.js';

export type AnyRecord = { seq: number; ts: string; kind: string } & Record<string, unknown>;

export interface QueryFilter {
  /** Epoch ms; records before it are skipped. */
  since?: number;
  until?: number;
  blocked?: boolean;
  server?: string;
  tool?: string;
  user?: string;
  kind?: string;
  /** AI-proxy requests (kind llm) that named this deployment or were answered by it. */
  deployment?: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `1h`, `7d`, or an ISO date/time; returns epoch ms, or undefined when it is neither. */
export function parseSince(value: string, now = Date.now()): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(value.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]!]!;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

export function* readRecords(current: string): Generator<AnyRecord> {
  for (const file of logFiles(current).all()) {
    const text = fs.readFileSync(file, 'utf8');
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      const line = text.slice(start, nl);
      start = nl + 1;
      if (!line) continue;
      try {
        const r = JSON.parse(line) as AnyRecord;
        if (typeof r.seq === 'number' && typeof r.kind === 'string') yield r;
      } catch {
        // torn or damaged: verify reports it
      }
    }
  }
}

export function matches(r: AnyRecord, f: QueryFilter): boolean {
  if (f.kind !== undefined && r.kind !== f.kind) return false;
  if (f.since !== undefined || f.until !== undefined) {
    const t = Date.parse(r.ts);
    if (f.since !== undefined && t < f.since) return false;
    if (f.until !== undefined && t > f.until) return false;
  }
  // Blocked calls; with a kind (`--kind llm`), the blocked records of that kind. Without one it stays calls only,
  // so that the report's "N more — use audit query --blocked" lists exactly the blocked calls it counts.
  if (f.blocked && !(r.outcome === 'blocked' && (f.kind !== undefined || r.kind === 'call'))) return false;
  if (f.server !== undefined && r.server !== f.server) return false;
  if (f.tool !== undefined && r.tool !== f.tool && r.exposed !== f.tool) return false;
  if (f.user !== undefined && r.user !== f.user) return false;
  if (
    f.deployment !== undefined &&
    !(isLlm(r) && (r.deployment === f.deployment || r.answeredBy?.deployment === f.deployment))
  )
    return false;
  return true;
}

export function query(current: string, f: QueryFilter = {}): AnyRecord[] {
  const out: AnyRecord[] = [];
  for (const r of readRecords(current)) if (matches(r, f)) out.push(r);
  return out;
}

export function isCall(r: AnyRecord): r is AnyRecord & CallRecord {
  return r.kind === 'call';
}

export function isLlm(r: AnyRecord): r is AnyRecord & LlmRecord {
  return r.kind === 'llm';
}

/** One line for a person: time, what happened, to what, by whom, why. */
export function formatRecord(r: AnyRecord): string {
  const t = r.ts.replace('T', ' ').replace('Z', '');
  if (isCall(r)) {
    const target = r.server ? `${r.server}/${r.tool}` : r.exposed;
    const why = r.ruleId ? ` ${r.ruleId}: ${r.reason ?? ''}` : r.error ? ` ${r.error}` : '';
    return `${t}  #${r.seq}  call ${r.outcome.padEnd(14)} ${target}  user=${r.user} project=${r.project}  ${r.latencyMs.toFixed(1)}ms${why}`;
  }
  if (isLlm(r)) {
    const asked = r.deployment ?? (r.model !== undefined ? `${r.model} (unknown)` : '(no model)');
    const by = r.answeredBy && r.answeredBy.deployment !== r.deployment ? ` → ${r.answeredBy.deployment}` : '';
    const tokens = r.usage ? `  ${r.usage.inputTokens}+${r.usage.outputTokens} tok` : '';
    const cost = r.costUsd !== undefined ? ` $${r.costUsd.toFixed(6)}` : '';
    const why = r.ruleId ? ` ${r.ruleId}: ${r.reason ?? ''}` : r.reason ? ` ${r.reason}` : '';
    return `${t}  #${r.seq}  llm ${r.outcome.padEnd(8)} ${r.status} ${r.endpoint}${r.stream ? ' (stream)' : ''} ${asked}${by}  user=${r.user} project=${r.project}${tokens}${cost}  ${r.durationMs.toFixed(1)}ms${why}`;
  }
  const rest = Object.entries(r)
    .filter(([k]) => !['v', 'seq', 'ts', 'kind', 'event', 'alg', 'prev', 'hash'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t}  #${r.seq}  ${r.kind}${typeof r.event === 'string' ? ` ${r.event}` : ''}  ${rest}`;
}
