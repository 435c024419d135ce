/**
 * `audit export`: records as JSON Lines (every field, the chain fields included) or as CSV with one
 * row per record and the columns an auditor filters on; the stage trail goes into one JSON column. CSV fields are
 * quoted per RFC 4180, and a field that starts with = + - @ is prefixed with ' so that a spreadsheet does not run
 * it as a formula (CSV injection). Pure.
 */
import type { AnyRecord } from './query.js';

export const CSV_COLUMNS = [
  'seq',
  'ts',
  'kind',
  'event',
  'callId',
  'sessionId',
  'user',
  'project',
  'server',
  'tool',
  'outcome',
  'phase',
  'ruleId',
  'reason',
  'error',
  'latencyMs',
  'upstreamMs',
  'upstreamWaitMs',
  'resultBytes',
  'resultSha256',
  'stages',
  'arguments',
  // AI-proxy requests (kind llm, issue 20): added at the end so that existing column positions hold.
  'requestId',
  'endpoint',
  'deployment',
  'answeredBy',
  'status',
  'usage',
  'costUsd',
  'durationMs',
] as const;

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(records: Iterable<AnyRecord>): string {
  const rows: string[] = [CSV_COLUMNS.join(',')];
  for (const r of records)
    rows.push(CSV_COLUMNS.map((c) => cell(c === 'arguments' ? (r.arguments ?? r.argumentNames) : r[c])).join(','));
  return `${rows.join('\r\n')}\r\n`;
}

export function toJsonl(records: Iterable<AnyRecord>): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(r)}\n`;
  return out;
}
