/**
 * What the AI proxy did (issue 20), read back from the audit log's `kind: "llm"` records for `audit report` and
 * `audit stats`: requests by outcome; the requests not answered, by rule and outcome; and requests, tokens and cost
 * per deployment, per project and per user. Pure: records in, rows out.
 *
 * A request counts under the deployment it asked for (as the metrics do: `unknown` for a 401, a 404 or none named);
 * its tokens and cost count under the deployment that answered it, which differs after a fallback. A record missing
 * a field still counts (under "(unknown)", its numbers as 0): a damaged record must not hide a request.
 */
import { llmDeploymentLabel } from './metrics.js';
import { percentile } from './percentile.js';
import type { AnyRecord } from './query.js';

export interface LlmSpend {
  requests: number;
  blocked: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface LlmRow extends LlmSpend {
  name: string;
}

export interface LlmDeploymentRow extends LlmRow {
  /** Requests this deployment answered, its own and other deployments' fallbacks. */
  answered: number;
  /** Duration of the requests it answered (ms), nearest rank. */
  p50Ms: number;
  p99Ms: number;
}

export interface LlmRuleRow {
  rule: string;
  outcome: string;
  count: number;
  last: string;
  /** The reason of the newest record of the row. */
  reason: string;
}

export interface LlmSummary extends LlmSpend {
  outcomes: Record<string, number>;
  streamed: number;
  /** Requests that failed over: answered by another deployment than asked, or after a failed try. */
  fallbacks: number;
  /** Requests not answered (blocked, refused, limited, error), by rule ("(none)" without one) and outcome. */
  rules: LlmRuleRow[];
  byDeployment: LlmDeploymentRow[];
  byProject: LlmRow[];
  byUser: LlmRow[];
  /** The newest blocked requests, newest first (at most `recent`). */
  recentBlocked: AnyRecord[];
  totalBlocked: number;
  first?: string;
  last?: string;
}

const str = (v: unknown, fallback = '(unknown)'): string => (typeof v === 'string' && v !== '' ? v : fallback);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
const spend = (): LlmSpend => ({ requests: 0, blocked: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });

export function summarizeLlm(records: Iterable<AnyRecord>, opts: { recent?: number } = {}): LlmSummary {
  const total: LlmSpend = spend();
  const outcomes: Record<string, number> = {};
  const rules = new Map<string, LlmRuleRow>();
  const deployments = new Map<string, LlmDeploymentRow & { ms: number[] }>();
  const projects = new Map<string, LlmRow>();
  const users = new Map<string, LlmRow>();
  const blocked: AnyRecord[] = [];
  let streamed = 0;
  let fallbacks = 0;
  let first: string | undefined;
  let last: string | undefined;
  const row = <T extends LlmRow>(m: Map<string, T>, name: string, make: () => T): T => {
    let r = m.get(name);
    if (!r) m.set(name, (r = make()));
    return r;
  };
  const deployment = (name: string) =>
    row(deployments, name, () => ({ name, ...spend(), answered: 0, p50Ms: 0, p99Ms: 0, ms: [] }));
  for (const r of records) {
    if (r.kind !== 'llm') continue;
    first ??= r.ts;
    last = r.ts;
    const outcome = str(r.outcome);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (r.stream === true) streamed++;
    const answeredBy = r.answeredBy as { deployment?: unknown } | undefined;
    const by = typeof answeredBy?.deployment === 'string' ? answeredBy.deployment : undefined;
    const asked = llmDeploymentLabel({
      deployment: typeof r.deployment === 'string' ? r.deployment : undefined,
      answeredBy: by !== undefined ? { deployment: by } : undefined,
      status: num(r.status),
    });
    if ((by !== undefined && by !== asked) || (Array.isArray(r.attempts) && r.attempts.length > 0)) fallbacks++;
    const usage = (r.usage ?? {}) as { inputTokens?: unknown; outputTokens?: unknown };
    const input = num(usage.inputTokens);
    const output = num(usage.outputTokens);
    const cost = num(r.costUsd);
    const isBlocked = outcome === 'blocked';
    if (isBlocked) blocked.push(r);
    if (outcome !== 'ok') {
      const rule = str(r.ruleId, '(none)');
      const key = `${rule}\u0000${outcome}`;
      const rr = rules.get(key) ?? { rule, outcome, count: 0, last: r.ts, reason: '' };
      rr.count++;
      rr.last = r.ts;
      rr.reason = str(r.reason, '');
      rules.set(key, rr);
    }
    const count = (s: LlmSpend, withSpend: boolean) => {
      s.requests++;
      if (isBlocked) s.blocked++;
      if (withSpend) {
        s.inputTokens += input;
        s.outputTokens += output;
        s.costUsd += cost;
      }
    };
    count(total, true);
    count(
      row(projects, str(r.project), () => ({ name: str(r.project), ...spend() })),
      true,
    );
    count(
      row(users, str(r.user), () => ({ name: str(r.user), ...spend() })),
      true,
    );
    const d = deployment(asked);
    count(d, by === undefined);
    if (by !== undefined) {
      const a = deployment(by);
      a.answered++;
      a.inputTokens += input;
      a.outputTokens += output;
      a.costUsd += cost;
      a.ms.push(num(r.durationMs));
    }
  }
  const bySpend = (a: LlmRow, b: LlmRow) =>
    b.costUsd - a.costUsd ||
    b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) ||
    b.requests - a.requests ||
    a.name.localeCompare(b.name);
  const recent = opts.recent ?? 20;
  return {
    ...total,
    outcomes,
    streamed,
    fallbacks,
    rules: [...rules.values()].sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
    byDeployment: [...deployments.values()]
      .map(({ ms, ...d }) => {
        const sorted = ms.sort((a, b) => a - b);
        return { ...d, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
      })
      .sort(bySpend),
    byProject: [...projects.values()].sort(bySpend),
    byUser: [...users.values()].sort(bySpend),
    recentBlocked: blocked.slice(-recent).reverse(),
    totalBlocked: blocked.length,
    ...(first ? { first } : {}),
    ...(last ? { last } : {}),
  };
}

/** Dollars: cents and up with 4 decimals, less with 6 (a cheap model's request costs fractions of a cent). */
export function usd(v: number): string {
  return v === 0 ? '$0' : `$${v.toFixed(v >= 0.01 ? 4 : 6)}`;
}

const OUTCOMES = ['ok', 'blocked', 'refused', 'limited', 'error'];

/** The text lines of `audit stats` (none when the log has no AI-proxy record). */
export function formatLlmSummary(s: LlmSummary): string[] {
  if (s.requests === 0) return [];
  const outcomes = [
    ...OUTCOMES,
    ...Object.keys(s.outcomes)
      .filter((k) => !OUTCOMES.includes(k))
      .sort(),
  ]
    .map((k) => `${k} ${s.outcomes[k] ?? 0}`)
    .join(' · ');
  const lines = [
    '',
    `AI proxy: ${s.requests} request(s), ${s.streamed} streamed, ${s.fallbacks} with a fallback${s.first ? ` (${s.first} … ${s.last})` : ''}`,
    `  ${outcomes}`,
    `  tokens ${s.inputTokens} in, ${s.outputTokens} out · cost ${usd(s.costUsd)}`,
    '',
    'AI proxy requests not answered, by rule:',
  ];
  if (s.rules.length === 0) lines.push('  (none)');
  for (const r of s.rules) lines.push(`  ${r.rule.padEnd(40)} ${r.outcome.padEnd(8)} ${String(r.count).padStart(6)}`);
  const head = (first: string) =>
    `${first.padEnd(28)} ${'requests'.padStart(8)} ${'blocked'.padStart(8)} ${'in tok'.padStart(10)} ${'out tok'.padStart(10)} ${'cost'.padStart(12)}`;
  const line = (r: LlmRow) =>
    `${r.name.padEnd(28)} ${String(r.requests).padStart(8)} ${String(r.blocked).padStart(8)} ${String(r.inputTokens).padStart(10)} ${String(r.outputTokens).padStart(10)} ${usd(r.costUsd).padStart(12)}`;
  lines.push('', `${head('deployment')} ${'answered'.padStart(8)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`);
  for (const d of s.byDeployment)
    lines.push(
      `${line(d)} ${String(d.answered).padStart(8)} ${d.p50Ms.toFixed(0).padStart(9)} ${d.p99Ms.toFixed(0).padStart(9)}`,
    );
  lines.push('', head('project'));
  for (const p of s.byProject) lines.push(line(p));
  lines.push('', head('user'));
  for (const u of s.byUser) lines.push(line(u));
  return lines;
}
