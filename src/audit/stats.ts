/**
 * `audit stats` and the numbers of the HTML report: calls by outcome, blocks by rule, and p50/p99 latency by
 * server and tool, computed from call records. A call's latency here leaves out the time it waited for its upstream
 * to start (`upstreamWaitMs`): the first call to a server would otherwise carry the server's start-up as its own
 * cost. Those waits are counted apart. The sandbox's and the AI proxy's records have their own summaries
 * (sandbox-summary.ts, llm-summary.ts). Pure.
 */
import { formatLlmSummary, summarizeLlm, type LlmSummary } from './llm-summary.js';
import { percentile } from './percentile.js';
import { isCall, type AnyRecord } from './query.js';
import { formatSandboxSummary, summarizeSandbox, type SandboxSummary } from './sandbox-summary.js';

export interface LatencyRow {
  server: string;
  tool: string;
  calls: number;
  blocked: number;
  p50: number;
  p99: number;
  /** Calls that waited for the upstream to start or restart, and the longest wait (ms). */
  waits: number;
  maxWaitMs: number;
}

export interface AuditStats {
  calls: number;
  outcomes: Record<string, number>;
  blocksByRule: [string, number][];
  byTool: LatencyRow[];
  /** What the sandbox denied, stopped, refused or left unconfined (issue 19). */
  sandbox: SandboxSummary;
  /** The AI proxy's requests (issue 20): outcomes, rules, tokens and cost by deployment, project and user. */
  llm: LlmSummary;
  first?: string;
  last?: string;
}

export { percentile } from './percentile.js';

export function computeStats(records: Iterable<AnyRecord>): AuditStats {
  const outcomes: Record<string, number> = {};
  const rules = new Map<string, number>();
  const tools = new Map<
    string,
    { server: string; tool: string; ms: number[]; blocked: number; waits: number; maxWaitMs: number }
  >();
  let calls = 0;
  let first: string | undefined;
  let last: string | undefined;
  const sandbox: AnyRecord[] = [];
  const llm: AnyRecord[] = [];
  for (const r of records) {
    if (r.kind === 'sandbox') sandbox.push(r);
    if (r.kind === 'llm') llm.push(r);
    if (!isCall(r)) continue;
    calls++;
    first ??= r.ts;
    last = r.ts;
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.outcome === 'blocked') rules.set(r.ruleId ?? '(none)', (rules.get(r.ruleId ?? '(none)') ?? 0) + 1);
    const server = r.server ?? '(unknown)';
    const tool = r.tool ?? r.exposed;
    const key = `${server}\u0000${tool}`;
    let t = tools.get(key);
    if (!t) tools.set(key, (t = { server, tool, ms: [], blocked: 0, waits: 0, maxWaitMs: 0 }));
    const wait = typeof r.upstreamWaitMs === 'number' ? r.upstreamWaitMs : 0;
    t.ms.push(Math.max(0, r.latencyMs - wait));
    if (wait > 0) {
      t.waits++;
      t.maxWaitMs = Math.max(t.maxWaitMs, wait);
    }
    if (r.outcome === 'blocked') t.blocked++;
  }
  const byTool = [...tools.values()]
    .map((t) => {
      const sorted = t.ms.sort((a, b) => a - b);
      return {
        server: t.server,
        tool: t.tool,
        calls: sorted.length,
        blocked: t.blocked,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        waits: t.waits,
        maxWaitMs: t.maxWaitMs,
      };
    })
    .sort((a, b) => b.calls - a.calls || a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool));
  return {
    calls,
    outcomes,
    blocksByRule: [...rules].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    byTool,
    sandbox: summarizeSandbox(sandbox),
    llm: summarizeLlm(llm),
    ...(first ? { first } : {}),
    ...(last ? { last } : {}),
  };
}

export function formatStats(s: AuditStats): string {
  const lines = [`calls: ${s.calls}${s.first ? ` (${s.first} … ${s.last})` : ''}`];
  for (const [k, v] of Object.entries(s.outcomes).sort()) lines.push(`  ${k.padEnd(16)} ${v}`);
  lines.push('', 'blocks by rule:');
  if (s.blocksByRule.length === 0) lines.push('  (none)');
  for (const [rule, n] of s.blocksByRule) lines.push(`  ${rule.padEnd(40)} ${n}`);
  lines.push(
    '',
    `${'server'.padEnd(16)} ${'tool'.padEnd(28)} ${'calls'.padStart(7)} ${'blocked'.padStart(8)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`,
  );
  for (const r of s.byTool)
    lines.push(
      `${r.server.padEnd(16)} ${r.tool.padEnd(28)} ${String(r.calls).padStart(7)} ${String(r.blocked).padStart(8)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(9)}`,
    );
  const waits = s.byTool.reduce((n, r) => n + r.waits, 0);
  if (waits > 0)
    lines.push(
      '',
      `latency leaves out upstream start-up: ${waits} call(s) waited for their server to start, the longest ${Math.max(...s.byTool.map((r) => r.maxWaitMs)).toFixed(0)} ms`,
    );
  lines.push(...formatSandboxSummary(s.sandbox));
  lines.push(...formatLlmSummary(s.llm));
  return lines.join('\n');
}
