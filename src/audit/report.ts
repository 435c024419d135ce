/**
 * `audit report`: one self-contained HTML page, no script and no network (a Content-Security-Policy of
 * `default-src 'none'` says so to the browser): calls and blocks over time as an inline SVG bar chart, the top
 * blocked rules, the servers and tools used with their p50/p99 latency, approvals, integrity events (tool pins and
 * changes, upstream crashes, audit recoveries and the result of `audit verify`) and the recent blocked calls with
 * their reasons. Every string from the log is HTML-escaped. Pure: records in, HTML out.
 */
import { isCall, type AnyRecord } from './query.js';
import { computeStats } from './stats.js';
import type { VerifyReport } from './verify.js';

export interface ReportInput {
  records: readonly AnyRecord[];
  file: string;
  verify?: VerifyReport;
  generatedAt?: Date;
  /** Rows in the recent-blocked table. */
  recent?: number;
}

/** Text for HTML: a value from the log may be anything, so objects are shown as JSON, never as [object Object]. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const esc = (v: unknown): string =>
  text(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const BUCKETS = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000];

interface Bucket {
  start: number;
  allowed: number;
  blocked: number;
  failed: number;
}

/** Calls per time bucket; the bucket size keeps the chart at 60 bars or fewer. */
export function timeline(records: readonly AnyRecord[]): { size: number; buckets: Bucket[] } {
  const calls = records.filter(isCall);
  if (calls.length === 0) return { size: 60_000, buckets: [] };
  const t0 = Date.parse(calls[0]!.ts);
  const t1 = Date.parse(calls[calls.length - 1]!.ts);
  const size = BUCKETS.find((b) => (t1 - t0) / b < 60) ?? BUCKETS[BUCKETS.length - 1]!;
  const first = Math.floor(t0 / size) * size;
  const buckets: Bucket[] = [];
  for (let s = first; s <= t1; s += size) buckets.push({ start: s, allowed: 0, blocked: 0, failed: 0 });
  for (const c of calls) {
    const b = buckets[Math.floor((Date.parse(c.ts) - first) / size)];
    if (!b) continue;
    if (c.outcome === 'allowed') b.allowed++;
    else if (c.outcome === 'blocked') b.blocked++;
    else b.failed++;
  }
  return { size, buckets };
}

function chart(records: readonly AnyRecord[]): string {
  const { size, buckets } = timeline(records);
  if (buckets.length === 0) return '<p class="empty">No calls in this period.</p>';
  const W = 960;
  const H = 240;
  const pad = { l: 44, r: 8, t: 10, b: 34 };
  const max = Math.max(1, ...buckets.map((b) => b.allowed + b.blocked + b.failed));
  const bw = (W - pad.l - pad.r) / buckets.length;
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const bars = buckets
    .map((b, i) => {
      const x = pad.l + i * bw + 1;
      const w = Math.max(1, bw - 2);
      let at = 0;
      return (
        [
          ['allowed', b.allowed],
          ['blocked', b.blocked],
          ['failed', b.failed],
        ] as const
      )
        .map(([cls, n]) => {
          if (n === 0) return '';
          const top = y(at + n);
          const h = y(at) - top;
          at += n;
          const when = new Date(b.start).toISOString().slice(0, 16).replace('T', ' ');
          return `<rect class="${cls}" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}"><title>${when}: ${n} ${cls}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const label = (i: number) => {
    const d = new Date(buckets[i]!.start).toISOString();
    return size >= 86_400_000 ? d.slice(0, 10) : d.slice(5, 16).replace('T', ' ');
  };
  const ticks = [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1]
    .filter((v, i, a) => a.indexOf(v) === i)
    .map(
      (i) =>
        // The first and last labels are anchored inwards, so that neither is cut off at the chart's edge.
        `<text x="${(pad.l + i * bw + bw / 2).toFixed(1)}" y="${H - 12}" text-anchor="${i === 0 && buckets.length > 1 ? 'start' : i === buckets.length - 1 && i > 0 ? 'end' : 'middle'}">${esc(label(i))}</text>`,
    )
    .join('');
  const axis = `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" class="axis"/><text x="${pad.l - 6}" y="${pad.t + 10}" text-anchor="end">${max}</text><text x="${pad.l - 6}" y="${H - pad.b}" text-anchor="end">0</text>`;
  return `<svg id="timeline" role="img" aria-label="calls and blocks over time" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${axis}${bars}${ticks}</svg>
<p class="legend"><span class="key allowed"></span> allowed <span class="key blocked"></span> blocked <span class="key failed"></span> errored · one bar = ${size >= 3_600_000 ? `${size / 3_600_000} h` : `${size / 60_000} min`}</p>`;
}

function table(id: string, head: string[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}">${esc(empty)}</p>`;
  return `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const INTEGRITY_KINDS = new Set(['tool', 'upstream', 'audit.recovered', 'audit.lost', 'config', 'key']);

export function renderReport(input: ReportInput): string {
  const { records } = input;
  const stats = computeStats(records);
  const calls = records.filter(isCall);
  const blocked = calls
    .filter((c) => c.outcome === 'blocked')
    .slice(-(input.recent ?? 50))
    .reverse();
  const approvals = records.filter((r) => r.kind === 'approval');
  const integrity = records
    .filter((r) => INTEGRITY_KINDS.has(r.kind))
    .slice(-200)
    .reverse();
  const v = input.verify;
  const verdict = v
    ? v.ok
      ? `<p class="ok" id="verify">Chain verified: ${v.records} records in ${v.files.length} file(s), seq 1…${v.lastSeq} (${esc(v.alg ?? 'empty')}).${v.warnings.map((w) => `<br>${esc(w)}`).join('')}</p>`
      : `<p class="bad" id="verify">CHAIN BROKEN at ${esc(v.broken?.file)}:${v.broken?.line}${v.broken?.seq ? ` (seq ${v.broken.seq})` : ''}: ${esc(v.broken?.problem)}</p>`
    : '';
  const generated = (input.generatedAt ?? new Date()).toISOString();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>secure-mcp-gateway audit report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#1d2330;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
.meta{color:#5b6475}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid #dde1e8;border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f4;vertical-align:top}
th{background:#f5f7fa;font-weight:600}td{word-break:break-word}svg text{font-size:11px;fill:#5b6475}.axis{stroke:#9aa3b2}
rect.allowed,.key.allowed{fill:#3b82f6;background:#3b82f6}rect.blocked,.key.blocked{fill:#dc2626;background:#dc2626}rect.failed,.key.failed{fill:#9ca3af;background:#9ca3af}
.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}.ok{color:#166534;background:#f0fdf4;padding:8px;border-radius:6px}.bad{color:#991b1b;background:#fef2f2;padding:8px;border-radius:6px;font-weight:600}.empty{color:#5b6475}
</style></head><body>
<h1>Audit report</h1>
<p class="meta">${esc(input.file)} · ${stats.first ? `${esc(stats.first)} … ${esc(stats.last)}` : 'no calls'} · generated ${esc(generated)}</p>
${verdict}
<div class="cards"><div class="card"><b id="total-calls">${stats.calls}</b>calls</div><div class="card"><b>${stats.outcomes.allowed ?? 0}</b>allowed</div><div class="card"><b id="total-blocked">${stats.outcomes.blocked ?? 0}</b>blocked</div><div class="card"><b>${(stats.outcomes.errored ?? 0) + (stats.outcomes['upstream-error'] ?? 0)}</b>errored</div><div class="card"><b>${approvals.filter((a) => a.event === 'asked').length}</b>approvals asked</div></div>
<h2>Calls and blocks over time</h2>
${chart(records)}
<h2>Top blocked rules</h2>
${table('top-rules', ['rule', 'blocks'], stats.blocksByRule.slice(0, 20), 'Nothing was blocked.')}
<h2>Servers and tools</h2>
${table(
  'tools',
  ['server', 'tool', 'calls', 'blocked', 'p50 ms', 'p99 ms'],
  stats.byTool.map((r) => [r.server, r.tool, r.calls, r.blocked, r.p50.toFixed(2), r.p99.toFixed(2)]),
  'No calls.',
)}
<h2>Approvals</h2>
${table(
  'approvals',
  ['time', 'event', 'server', 'tool', 'answer', 'call'],
  approvals
    .slice(-100)
    .reverse()
    .map((a) => [a.ts, a.event, a.server, a.tool, a.answer ?? '', a.callId]),
  'No approvals were asked.',
)}
<h2>Integrity events</h2>
${table(
  'integrity',
  ['time', 'kind', 'event', 'server', 'tool / detail'],
  integrity.map((r) => [
    r.ts,
    r.kind,
    r.event ?? '',
    r.server ?? '',
    r.tool ??
      r.ruleId ??
      r.reason ??
      (r.torn ? JSON.stringify(r.torn) : r.count !== undefined ? `${JSON.stringify(r.count)} record(s) lost` : ''),
  ]),
  'No integrity events.',
)}
<h2>Recent blocked calls</h2>
${table(
  'recent-blocked',
  ['time', 'server', 'tool', 'user', 'rule', 'reason'],
  blocked.map((c) => [c.ts, c.server ?? '', c.tool ?? c.exposed, c.user, c.ruleId ?? '', c.reason ?? '']),
  'No blocked calls.',
)}
</body></html>
`;
}
