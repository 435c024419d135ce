/**
 * `audit report`: one self-contained HTML page, no script and no network (a Content-Security-Policy of
 * `default-src 'none'` says so to the browser). What a reader needs first comes first (issue 17): the blocked calls
 * (when, who, server, tool, rule, reason; newest first, capped, with the `audit query` line for the rest), then the
 * refused gateway keys, then what the sandbox did (issue 19: egress denials by server, host:port and rule; servers
 * stopped by policy, refused a start or run unconfined), then the AI proxy (issue 20: its blocked requests, the
 * requests not answered by rule, and requests, tokens and cost per deployment, project and user), then the summary (totals, calls and blocks over time as an inline SVG bar chart, the top
 * rules, the servers and tools with their p50/p99 latency without upstream start-up waits), then the rest grouped:
 * integrity and configuration events by kind and server with counts (the tool names folded in a <details>),
 * upstream crashes and restarts by server, approvals.
 *
 * Tables have fixed column widths: words never break; ids (monospace) break only when one cannot fit its column;
 * long reasons end in an ellipsis with the whole text in the cell's title. Every string from the log is
 * HTML-escaped. Pure: records in, HTML out.
 */
import { isCall, type AnyRecord } from './query.js';
import { summarizeLlm, usd, type LlmRow, type LlmSummary } from './llm-summary.js';
import type { SandboxSummary } from './sandbox-summary.js';
import { computeStats } from './stats.js';
import type { VerifyReport } from './verify.js';

export interface ReportInput {
  records: readonly AnyRecord[];
  file: string;
  verify?: VerifyReport;
  generatedAt?: Date;
  /** Rows in the blocked-calls table (50); the rest are counted and pointed to `moreCommand`. */
  recent?: number;
  /** The command line that lists every blocked call (the report's own filters), shown under a capped table. */
  moreCommand?: string;
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

/** Markup already built here (from escaped parts); every other cell value is escaped. */
class Html {
  constructor(
    readonly html: string,
    /** The cell's title (plain text): the whole value of a cell that may be clipped. */
    readonly title?: string,
  ) {}
}

/**
 * A column: `time` and `num` never wrap; `id` is monospace and breaks only inside an id too long for its column;
 * `reason` and `who` stay on one line and end in an ellipsis, the whole text in a title; `text` wraps between words.
 */
interface Column {
  head: string;
  kind: 'time' | 'id' | 'num' | 'reason' | 'who' | 'text';
  /** A CSS width; the column without one takes the rest. */
  width?: string;
}

function cell(col: Column, v: unknown): string {
  if (v instanceof Html)
    return `<td class="${col.kind}"${v.title !== undefined ? ` title="${esc(v.title)}"` : ''}>${v.html}</td>`;
  if (col.kind === 'reason') return `<td class="reason" title="${esc(v)}">${esc(v)}</td>`;
  return `<td class="${col.kind}">${esc(v)}</td>`;
}

function table(id: string, cols: Column[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}">${esc(empty)}</p>`;
  const widths = cols.map((c) => (c.width ? `<col style="width:${c.width}">` : '<col>')).join('');
  return `<table id="${id}"><colgroup>${widths}</colgroup><thead><tr>${cols.map((c) => `<th class="${c.kind}">${esc(c.head)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((v, i) => cell(cols[i]!, v)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** `2026-11-20 09:00:00` (UTC, as the page says), the full ISO time in the title. */
function when(ts: unknown): Html {
  const iso = text(ts);
  const short = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? iso.slice(0, 19).replace('T', ' ') : iso;
  return new Html(`<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(short)}</time>`);
}

/** `user / project` on one line; a pair too long for the column ends in an ellipsis, the whole pair in the title. */
function who(user: unknown, project: unknown): Html {
  const u = text(user);
  const p = text(project);
  const whole = p ? `${u} / ${p}` : u;
  return new Html(`${esc(u)}${p ? `<span class="muted"> / ${esc(p)}</span>` : ''}`, whole);
}

/** Who presented a refused credential: the key id, or for an SSO token its subject at its issuer (never the token). */
function credentialOf(r: { kind?: unknown; keyId?: unknown; subject?: unknown; issuer?: unknown }): string {
  if (r.kind !== 'sso') return text(r.keyId) || '(none given)';
  const subject = text(r.subject) || '(no subject)';
  return r.issuer ? `SSO ${subject} at ${text(r.issuer)}` : `SSO ${subject}`;
}

/** "N more — use `command`" under a capped table. */
function more(id: string, n: number, command: string): string {
  return n > 0 ? `<p class="more" id="${id}">${n} more — use <code>${esc(command)}</code></p>` : '';
}

/** Kinds shown grouped under "Integrity and configuration events"; keys, upstreams and approvals have their own. */
const OWN_SECTION = new Set(['call', 'key', 'sso', 'upstream', 'approval', 'sandbox', 'llm']);

/** Which groups come first: what blocked or lost something before what only recorded a fact. */
const GROUP_ORDER = ['tool changed', 'tool blocked', 'audit.lost', 'audit.recovered', 'config reloaded', 'tool pinned'];

interface Group {
  what: string;
  server: string;
  count: number;
  first: string;
  last: string;
  lastSeq: number;
  /** Tool names (tool events) or details, with how often each occurred. */
  items: Map<string, number>;
}

function detailOf(r: AnyRecord): string {
  if (r.kind === 'tool') return `${text(r.tool)}${r.event !== 'pinned' && r.ruleId ? ` (${text(r.ruleId)})` : ''}`;
  if (r.kind === 'relay') return `${text(r.method)}${r.ruleId ? ` (${text(r.ruleId)})` : ''}`;
  if (r.torn) return JSON.stringify(r.torn);
  if (r.count !== undefined) return `${text(r.count)} record(s) lost`;
  if (r.kind === 'config') return `${text(r.file)}${r.ok === false ? `: ${text(r.error)}` : ''}`;
  return text(r.reason ?? r.ruleId ?? '');
}

/** Integrity and other events, grouped by what happened and to which server, newest group first within a rank. */
export function groupEvents(records: readonly AnyRecord[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of records) {
    if (OWN_SECTION.has(r.kind)) continue;
    const what =
      r.kind === 'relay' ? `relay ${text(r.decision)}` : `${r.kind}${typeof r.event === 'string' ? ` ${r.event}` : ''}`;
    const server = text(r.server);
    const key = `${what}\u0000${server}`;
    let g = groups.get(key);
    if (!g)
      groups.set(key, (g = { what, server, count: 0, first: r.ts, last: r.ts, lastSeq: r.seq, items: new Map() }));
    g.count++;
    g.last = r.ts;
    g.lastSeq = r.seq;
    const d = detailOf(r);
    if (d) g.items.set(d, (g.items.get(d) ?? 0) + 1);
  }
  const rank = (g: Group) => {
    const i = GROUP_ORDER.indexOf(g.what);
    return i < 0 ? GROUP_ORDER.length : i;
  };
  return [...groups.values()].sort((a, b) => rank(a) - rank(b) || b.lastSeq - a.lastSeq);
}

/** One detail inline; more folded in a <details> whose summary says how many ("200 tools"). */
function items(g: Group, noun: string): Html | string {
  const list = [...g.items].map(([d, n]) => `<code>${esc(d)}</code>${n > 1 ? ` ×&nbsp;${n}` : ''}`);
  if (list.length === 0) return '';
  if (list.length === 1) return new Html(list[0]!);
  return new Html(
    `<details><summary>${list.length} ${noun}</summary><p class="items">${list.join(', ')}</p></details>`,
  );
}

/** The sandbox section: three small tables, or one line when the log holds no sandbox record at all. */
function sandboxSection(s: SandboxSummary): string {
  const total = s.denials.reduce((n, d) => n + d.count, 0);
  const head = `<h2>Sandbox: egress denied ${total} time(s)</h2>`;
  if (!s.denials.length && !s.stopped.length && !s.unconfined.length && !s.refused.length)
    return `${head}\n<p class="empty" id="sandbox-none">No sandbox events (no egress denied, no server stopped, refused or run unconfined).</p>`;
  const server = { head: 'server', kind: 'id', width: '140px' } as const;
  const count = { head: 'count', kind: 'num', width: '70px' } as const;
  const last = { head: 'last', kind: 'time', width: '160px' } as const;
  const reason = { head: 'last reason', kind: 'reason' } as const;
  return `${head}
<h3>Egress denials</h3>
${table(
  'sandbox-denials',
  [
    server,
    { head: 'host:port', kind: 'id', width: '220px' },
    { head: 'rule', kind: 'id', width: '250px' },
    count,
    last,
    reason,
  ],
  s.denials.map((d) => [d.server, d.target, d.ruleId, d.count, when(d.last), d.reason]),
  'No egress was denied.',
)}
<h3>Stopped by policy (stopAfterDenials)</h3>
${table(
  'sandbox-stopped',
  [server, count, { head: 'denials', kind: 'num', width: '80px' }, last, reason],
  s.stopped.map((d) => [d.server, d.count, d.denials, when(d.last), d.reason]),
  'No server was stopped.',
)}
<h3>Refused or unconfined</h3>
${table(
  'sandbox-unconfined',
  [server, { head: 'event', kind: 'text', width: '110px' }, count, last, reason],
  [
    ...s.refused.map((d) => [d.server, 'refused', d.count, when(d.last), d.reason]),
    ...s.unconfined.map((d) => [d.server, 'unconfined', d.count, when(d.last), d.reason]),
  ],
  'No server was refused or run unconfined.',
)}
<p class="more" id="sandbox-more">Every record: <code>secure-mcp-gateway audit query --kind sandbox</code></p>`;
}

/** A spend table (requests, blocked, tokens, cost) of deployments, projects or users, capped at `cap` rows. */
function spendTable<T extends LlmRow>(
  id: string,
  first: string,
  rows: readonly T[],
  cap: number,
  extra: { cols: Column[]; cells: (r: T) => unknown[] } = { cols: [], cells: () => [] },
): string {
  const shown = rows.slice(0, cap);
  return `${table(
    id,
    [
      { head: first, kind: 'id' },
      { head: 'requests', kind: 'num', width: '90px' },
      { head: 'blocked', kind: 'num', width: '80px' },
      { head: 'tokens in', kind: 'num', width: '100px' },
      { head: 'tokens out', kind: 'num', width: '115px' },
      { head: 'cost', kind: 'num', width: '110px' },
      ...extra.cols,
    ],
    shown.map((r) => [r.name, r.requests, r.blocked, r.inputTokens, r.outputTokens, usd(r.costUsd), ...extra.cells(r)]),
    'None.',
  )}${more(`${id}-more`, rows.length - shown.length, 'secure-mcp-gateway audit stats')}`;
}

/** The AI proxy section: its blocked requests, what was not answered by rule, and the spend tables. */
function llmSection(s: LlmSummary, cap: number): string {
  const head = `<h2>AI proxy: ${s.requests} request(s), ${s.totalBlocked} blocked</h2>`;
  if (s.requests === 0) return `${head}\n<p class="empty" id="llm-none">No AI proxy requests.</p>`;
  const n = (k: string) => s.outcomes[k] ?? 0;
  const cards = [
    ['llm-total', s.requests, 'requests'],
    ['llm-ok', n('ok'), 'answered'],
    ['llm-blocked', n('blocked'), 'blocked'],
    ['llm-refused', n('refused'), 'refused'],
    ['llm-limited', n('limited'), 'limited'],
    ['llm-error', n('error'), 'errors'],
    ['llm-tokens', `${s.inputTokens} / ${s.outputTokens}`, 'tokens in / out'],
    ['llm-cost', usd(s.costUsd), 'cost'],
  ]
    .map(([id, v, what]) => `<div class="card"><b id="${esc(id)}">${esc(v)}</b>${esc(what)}</div>`)
    .join('');
  const num = (head: string, width = '90px'): Column => ({ head, kind: 'num', width });
  return `${head}
<div class="cards">${cards}</div>
<p class="muted" id="llm-streamed">${s.streamed} streamed; ${s.fallbacks} answered after a fallback.</p>
<h3>Blocked requests</h3>
${table(
  'llm-blocked-requests',
  [
    { head: 'time', kind: 'time', width: '160px' },
    { head: 'who', kind: 'who', width: '210px' },
    { head: 'deployment', kind: 'id', width: '140px' },
    { head: 'endpoint', kind: 'id', width: '150px' },
    { head: 'rule', kind: 'id', width: '210px' },
    { head: 'reason', kind: 'reason' },
  ],
  s.recentBlocked.map((r) => [
    when(r.ts),
    who(r.user, r.project),
    r.deployment ?? '',
    `${text(r.endpoint)}${r.stream === true ? ' (stream)' : ''}`,
    r.ruleId ?? '',
    r.reason ?? '',
  ]),
  'No AI proxy request was blocked.',
)}
${more('llm-blocked-more', s.totalBlocked - s.recentBlocked.length, 'secure-mcp-gateway audit query --kind llm --blocked')}
<h3>Not answered, by rule</h3>
${table(
  'llm-rules',
  [
    { head: 'rule', kind: 'id', width: '260px' },
    { head: 'outcome', kind: 'text', width: '90px' },
    { head: 'count', kind: 'num', width: '70px' },
    { head: 'last', kind: 'time', width: '160px' },
    { head: 'last reason', kind: 'reason' },
  ],
  s.rules.map((r) => [r.rule, r.outcome, r.count, when(r.last), r.reason]),
  'Every request was answered.',
)}
<h3>Deployments</h3>
${spendTable('llm-deployments', 'deployment', s.byDeployment, cap, {
  cols: [num('answered', '110px'), num('p50'), num('p99')],
  cells: (d) => [d.answered, d.answered ? ms(d.p50Ms) : '—', d.answered ? ms(d.p99Ms) : '—'],
})}
<p class="muted" id="llm-note">A request counts under the deployment it asked for ("unknown": a caller or a model that is not known); its tokens and cost under the deployment that answered it. p50 and p99: the requests a deployment answered, to the end of the answer.</p>
<h3>Projects</h3>
${spendTable('llm-projects', 'project', s.byProject, cap)}
<h3>Users</h3>
${spendTable('llm-users', 'user', s.byUser, cap)}
<p class="more" id="llm-more">Every record: <code>secure-mcp-gateway audit query --kind llm</code></p>`;
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);

export function renderReport(input: ReportInput): string {
  const { records } = input;
  const stats = computeStats(records);
  const calls = records.filter(isCall);
  const cap = input.recent ?? 50;
  const allBlocked = calls.filter((c) => c.outcome === 'blocked');
  const blocked = allBlocked.slice(-cap).reverse();
  // Gateway keys and SSO tokens (serve.sso) are the two credentials serve accepts: their refusals share a table.
  const keyEvents = records.filter((r) => r.kind === 'key');
  const ssoEvents = records.filter((r) => r.kind === 'sso');
  const refusals = [...keyEvents, ...ssoEvents]
    .filter((r) => r.event === 'refused')
    .sort((a, b) => text(a.ts).localeCompare(text(b.ts)));
  const keysUsed = keyEvents.filter((r) => r.event === 'used');
  const ssoAccepted = ssoEvents.filter((r) => r.event === 'accepted');
  const approvals = records.filter((r) => r.kind === 'approval');
  const upstreams = groupUpstreams(records);
  const groups = groupEvents(records);
  const v = input.verify;
  const verdict = v
    ? v.ok
      ? `<p class="ok" id="verify">Chain verified: ${v.records} records in ${v.files.length} file(s), seq 1…${v.lastSeq} (${esc(v.alg ?? 'empty')}).${v.warnings.map((w) => `<br>${esc(w)}`).join('')}</p>`
      : `<p class="bad" id="verify">CHAIN BROKEN at ${esc(v.broken?.file)}:${v.broken?.line}${v.broken?.seq ? ` (seq ${v.broken.seq})` : ''}: ${esc(v.broken?.problem)}</p>`
    : '';
  const generated = (input.generatedAt ?? new Date()).toISOString();
  const command = input.moreCommand ?? 'secure-mcp-gateway audit query --blocked';
  const waits = stats.byTool.reduce((n, r) => n + r.waits, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>secure-mcp-gateway audit report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
.meta,.muted,.empty,.more{color:#5b6475}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid #dde1e8;border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f4;vertical-align:baseline;word-break:normal;overflow-wrap:normal}
th{background:#f5f7fa;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
td.time,td.num{white-space:nowrap;font-variant-numeric:tabular-nums}td.num,th.num{text-align:right}
td.id,code{font:12.5px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}td.id{overflow-wrap:anywhere}
td.reason,td.who{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
td.text code{overflow-wrap:anywhere}details summary{cursor:pointer}.items{margin:4px 0 0}
#sec-blocked h2{color:#991b1b}
svg text{font-size:11px;fill:#5b6475}.axis{stroke:#9aa3b2}
rect.allowed,.key.allowed{fill:#3b82f6;background:#3b82f6}rect.blocked,.key.blocked{fill:#dc2626;background:#dc2626}rect.failed,.key.failed{fill:#9ca3af;background:#9ca3af}
.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}.ok{color:#166534;background:#f0fdf4;padding:8px;border-radius:6px}.bad{color:#991b1b;background:#fef2f2;padding:8px;border-radius:6px;font-weight:600}
</style></head><body>
<h1>Audit report</h1>
<p class="meta">${esc(input.file)} · ${stats.first ? `${esc(stats.first)} … ${esc(stats.last)}` : 'no calls'} · generated ${esc(generated)} · times in UTC</p>
${verdict}
<section id="sec-blocked">
<h2>Blocked calls (${allBlocked.length})</h2>
${table(
  'recent-blocked',
  [
    { head: 'time', kind: 'time', width: '160px' },
    { head: 'who', kind: 'who', width: '210px' },
    { head: 'server', kind: 'id', width: '110px' },
    { head: 'tool', kind: 'id', width: '160px' },
    { head: 'rule', kind: 'id', width: '210px' },
    { head: 'reason', kind: 'reason' },
  ],
  blocked.map((c) => [
    when(c.ts),
    who(c.user, c.project),
    c.server ?? '',
    c.tool ?? c.exposed,
    c.ruleId ?? '',
    c.reason ?? '',
  ]),
  'No calls were blocked.',
)}
${more('blocked-more', allBlocked.length - blocked.length, command)}
</section>
<section id="sec-refusals">
<h2>Refused gateway keys${ssoEvents.length ? ' and SSO tokens' : ''} (${refusals.length})</h2>
${table(
  'key-refusals',
  [
    { head: 'time', kind: 'time', width: '160px' },
    { head: ssoEvents.length ? 'key id, or SSO subject' : 'key id', kind: 'id', width: '260px' },
    { head: 'reason', kind: 'reason' },
  ],
  refusals
    .slice(-cap)
    .reverse()
    .map((r) => [when(r.ts), credentialOf(r), r.reason ?? '']),
  ssoEvents.length ? 'No gateway key or SSO token was refused.' : 'No gateway key was refused.',
)}
${more('refusals-more', refusals.length - Math.min(cap, refusals.length), 'secure-mcp-gateway audit query --kind key')}
${keysUsed.length ? `<p class="muted" id="keys-used">Accepted: ${keysUsed.length} authentication(s) with ${new Set(keysUsed.map((r) => text(r.keyId))).size} key(s).</p>` : ''}
${ssoAccepted.length ? `<p class="muted" id="sso-accepted">Accepted SSO: ${ssoAccepted.length} session(s) of ${new Set(ssoAccepted.map((r) => text(r.user))).size} user(s) from ${esc([...new Set(ssoAccepted.map((r) => text(r.issuer)))].join(', '))}.</p>` : ''}
</section>
<section id="sec-sandbox">
${sandboxSection(stats.sandbox)}
</section>
<section id="sec-llm">
${llmSection(summarizeLlm(records, { recent: cap }), cap)}
</section>
<section id="sec-summary">
<h2>Summary</h2>
<div class="cards"><div class="card"><b id="total-calls">${stats.calls}</b>calls</div><div class="card"><b>${stats.outcomes.allowed ?? 0}</b>allowed</div><div class="card"><b id="total-blocked">${stats.outcomes.blocked ?? 0}</b>blocked</div><div class="card"><b>${(stats.outcomes.errored ?? 0) + (stats.outcomes['upstream-error'] ?? 0)}</b>errored</div><div class="card"><b id="total-refusals">${refusals.length}</b>keys refused</div><div class="card"><b id="total-egress-denied">${stats.sandbox.denials.reduce((n, d) => n + d.count, 0)}</b>egress denied</div><div class="card"><b>${approvals.filter((a) => a.event === 'asked').length}</b>approvals asked</div></div>
<h3>Calls and blocks over time</h3>
${chart(records)}
<h3>Top blocked rules</h3>
${table(
  'top-rules',
  [
    { head: 'rule', kind: 'id' },
    { head: 'blocks', kind: 'num', width: '100px' },
  ],
  stats.blocksByRule.slice(0, 20),
  'Nothing was blocked.',
)}
<h3>Servers and tools</h3>
${table(
  'tools',
  [
    { head: 'server', kind: 'id', width: '160px' },
    { head: 'tool', kind: 'id' },
    { head: 'calls', kind: 'num', width: '80px' },
    { head: 'blocked', kind: 'num', width: '80px' },
    { head: 'p50 ms', kind: 'num', width: '90px' },
    { head: 'p99 ms', kind: 'num', width: '90px' },
    { head: 'start-up waits', kind: 'num', width: '160px' },
  ],
  stats.byTool.map((r) => [
    r.server,
    r.tool,
    r.calls,
    r.blocked,
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.waits ? `${r.waits} (longest ${ms(r.maxWaitMs)})` : '—',
  ]),
  'No calls.',
)}
<p class="muted" id="latency-note">p50 and p99: from a call's arrival to its answer${waits ? `, without the wait for a server to start (${waits} call(s) waited: start-up waits)` : ''}.</p>
</section>
<section id="sec-integrity">
<h2>Integrity and configuration events</h2>
${table(
  'integrity',
  [
    { head: 'event', kind: 'text', width: '160px' },
    { head: 'server', kind: 'id', width: '110px' },
    { head: 'count', kind: 'num', width: '70px' },
    { head: 'first', kind: 'time', width: '160px' },
    { head: 'last', kind: 'time', width: '160px' },
    { head: 'tools / details', kind: 'text' },
  ],
  groups.map((g) => [
    g.what,
    g.server,
    g.count,
    when(g.first),
    when(g.last),
    items(g, g.what.startsWith('tool ') ? 'tools' : 'details'),
  ]),
  'No integrity events.',
)}
</section>
<section id="sec-upstreams">
<h2>Upstream crashes and restarts</h2>
${table(
  'upstreams',
  [
    { head: 'server', kind: 'id', width: '160px' },
    { head: 'event', kind: 'text', width: '100px' },
    { head: 'count', kind: 'num', width: '70px' },
    { head: 'last', kind: 'time', width: '160px' },
    { head: 'last reason', kind: 'reason' },
  ],
  upstreams.map((u) => [u.server, u.event, u.count, when(u.last), u.reason]),
  'No upstream crashed.',
)}
</section>
<section id="sec-approvals">
<h2>Approvals</h2>
${table(
  'approvals',
  [
    { head: 'time', kind: 'time', width: '160px' },
    { head: 'event', kind: 'text', width: '100px' },
    { head: 'server', kind: 'id', width: '130px' },
    { head: 'tool', kind: 'id', width: '200px' },
    { head: 'answer', kind: 'text', width: '100px' },
    { head: 'call', kind: 'id' },
  ],
  approvals
    .slice(-100)
    .reverse()
    .map((a) => [when(a.ts), a.event, a.server, a.tool, a.answer ?? '', a.callId]),
  'No approvals were asked.',
)}
${more('approvals-more', approvals.length - Math.min(100, approvals.length), 'secure-mcp-gateway audit query --kind approval')}
</section>
</body></html>
`;
}

/** Crashes and restarts by server and event: how many, the last one and its reason. */
function groupUpstreams(
  records: readonly AnyRecord[],
): { server: string; event: string; count: number; last: string; reason: string }[] {
  const out = new Map<string, { server: string; event: string; count: number; last: string; reason: string }>();
  for (const r of records) {
    if (r.kind !== 'upstream') continue;
    const key = `${text(r.server)}\u0000${text(r.event)}`;
    const u = out.get(key) ?? { server: text(r.server), event: text(r.event), count: 0, last: r.ts, reason: '' };
    u.count++;
    u.last = r.ts;
    if (r.reason !== undefined) u.reason = text(r.reason);
    out.set(key, u);
  }
  return [...out.values()].sort((a, b) => b.last.localeCompare(a.last));
}
