/**
 * What the sandbox did (issue 19), read back from the audit log's `kind: "sandbox"` records for `audit report`
 * and `audit stats`: egress denials grouped by server, host:port and rule with counts; servers stopped by policy
 * (stopAfterDenials); servers that ran unconfined and servers that were refused a start. Pure: records in, rows
 * out. A record missing a field still counts (under "(unknown)"): a damaged record must not hide a denial.
 */
import type { AnyRecord } from './query.js';

export interface SandboxRow {
  server: string;
  count: number;
  first: string;
  last: string;
  /** The reason of the newest record of the row. */
  reason: string;
}

export interface EgressDenialRow extends SandboxRow {
  /** host:port (IPv6 in brackets), as the server asked for it. */
  target: string;
  ruleId: string;
}

export interface StoppedRow extends SandboxRow {
  /** The denials that stopped it, as the newest stop reported them. */
  denials: number;
}

export interface SandboxSummary {
  denials: EgressDenialRow[];
  stopped: StoppedRow[];
  unconfined: SandboxRow[];
  refused: SandboxRow[];
}

const str = (v: unknown, fallback = '(unknown)'): string =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : fallback;

/** `host:port`, with an IPv6 address in brackets so that the port stays readable. */
export function targetOf(host: unknown, port: unknown): string {
  const h = str(host);
  const p = typeof port === 'number' || typeof port === 'string' ? `:${port}` : '';
  return h.includes(':') && p ? `[${h}]${p}` : `${h}${p}`;
}

export function summarizeSandbox(records: Iterable<AnyRecord>): SandboxSummary {
  const denials = new Map<string, EgressDenialRow>();
  const stopped = new Map<string, StoppedRow>();
  const unconfined = new Map<string, SandboxRow>();
  const refused = new Map<string, SandboxRow>();
  const bump = <T extends SandboxRow>(m: Map<string, T>, key: string, r: AnyRecord, make: () => T): T => {
    let row = m.get(key);
    if (!row) m.set(key, (row = make()));
    row.count++;
    row.last = r.ts;
    row.reason = str(r.reason, '');
    return row;
  };
  for (const r of records) {
    if (r.kind !== 'sandbox') continue;
    const server = str(r.server);
    const base = { server, count: 0, first: r.ts, last: r.ts, reason: '' };
    if (r.event === 'egress-denied') {
      const target = targetOf(r.host, r.port);
      const ruleId = str(r.ruleId);
      bump(denials, `${server}\u0000${target}\u0000${ruleId}`, r, () => ({ ...base, target, ruleId }));
    } else if (r.event === 'stopped') {
      const row = bump(stopped, server, r, () => ({ ...base, denials: 0 }));
      if (typeof r.denials === 'number') row.denials = r.denials;
    } else if (r.event === 'refused') bump(refused, server, r, () => ({ ...base }));
    else bump(unconfined, server, r, () => ({ ...base }));
  }
  const byCount = (a: { count: number; server: string }, b: { count: number; server: string }) =>
    b.count - a.count || a.server.localeCompare(b.server);
  const byServer = (a: SandboxRow, b: SandboxRow) => a.server.localeCompare(b.server);
  return {
    denials: [...denials.values()].sort(byCount),
    stopped: [...stopped.values()].sort(byServer),
    unconfined: [...unconfined.values()].sort(byServer),
    refused: [...refused.values()].sort(byServer),
  };
}

/** The text lines of `audit stats` (none when the log has no sandbox records). */
export function formatSandboxSummary(s: SandboxSummary): string[] {
  if (!s.denials.length && !s.stopped.length && !s.unconfined.length && !s.refused.length) return [];
  const lines = ['', 'sandbox egress denials:'];
  if (s.denials.length === 0) lines.push('  (none)');
  for (const d of s.denials)
    lines.push(`  ${d.server.padEnd(16)} ${d.target.padEnd(32)} ${d.ruleId.padEnd(32)} ${String(d.count).padStart(5)}`);
  for (const d of s.stopped)
    lines.push(`sandbox stopped: ${d.server} (${d.count} time(s); last: ${d.reason || `${d.denials} denials`})`);
  for (const d of s.refused) lines.push(`sandbox refused to start: ${d.server} (${d.reason})`);
  for (const d of s.unconfined) lines.push(`ran unconfined: ${d.server} (${d.reason})`);
  return lines;
}
