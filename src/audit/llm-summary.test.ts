import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { createChain } from './chain.js';
import { toCsv } from './export.js';
import type { LlmAuditRecord } from './llm-record.js';
import { summarizeLlm, usd } from './llm-summary.js';
import { llmDeploymentLabel } from './metrics.js';
import { createPrometheusMetrics } from './prometheus.js';
import { formatRecord, query, type AnyRecord } from './query.js';
import { createRedactor } from './redact.js';
import { renderReport } from './report.js';
import { AuditSink } from './sink.js';
import { computeStats, formatStats } from './stats.js';
import { verifyLog } from './verify.js';
import { AuditWriter } from './writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-llm-audit-'));
const file = path.join(dir, 'audit.jsonl');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const ana = { user: 'ana@example.com', project: 'web', keyId: 'k_ana' };
const bo = { user: 'bo@example.com', project: 'data', keyId: 'k_bo' };
const fast = { deployment: 'gpt-fast', provider: 'fake-openai', model: 'gpt-4o-mini' };
const backup = { deployment: 'gpt-backup', provider: 'fake-openai', model: 'gpt-4o' };
const claude = { deployment: 'claude-fast', provider: 'fake-anthropic', model: 'claude-haiku-4-5' };
let n = 0;
const req = (over: Partial<LlmAuditRecord>): LlmAuditRecord => ({
  requestId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  endpoint: 'chat.completions',
  ...ana,
  stream: false,
  outcome: 'ok',
  status: 200,
  stages: [{ side: 'input', stage: 'guardrails', action: 'allow', ms: 0.5 }],
  detections: [],
  durationMs: 100,
  ...over,
});

/** A fixed day of the proxy: answers, a fallback, blocks (input and mid-stream), refusals, a limit, an error. */
const requests: LlmAuditRecord[] = [
  req({ deployment: 'gpt-fast', answeredBy: fast, usage: { inputTokens: 100, outputTokens: 50 }, costUsd: 0.000045 }),
  req({
    deployment: 'gpt-fast',
    answeredBy: fast,
    stream: true,
    usage: { inputTokens: 200, outputTokens: 100 },
    costUsd: 0.00009,
    durationMs: 300,
  }),
  req({
    deployment: 'gpt-fast',
    answeredBy: backup,
    attempts: [{ deployment: 'gpt-fast', provider: 'fake-openai', error: `upstream 500 (echoed ${token})` }],
    usage: { inputTokens: 10, outputTokens: 20 },
    costUsd: 0.5,
    durationMs: 2000,
  }),
  req({
    ...bo,
    endpoint: 'messages',
    deployment: 'claude-fast',
    answeredBy: claude,
    usage: { inputTokens: 7, outputTokens: 3, estimated: true },
    durationMs: 50,
  }),
  req({
    deployment: 'gpt-fast',
    outcome: 'blocked',
    status: 400,
    ruleId: 'secrets.github-pat',
    reason: `the input carries ${token}`,
    stages: [{ side: 'input', stage: 'guardrails', action: 'deny', ruleId: 'secrets.github-pat', ms: 1 }],
    detections: [
      // What a careless caller might pass: the excerpt must not reach the log.
      { rule: 'secrets.github-pat', detector: 'secrets', where: 'messages[0]', excerpt: token } as never,
    ],
    durationMs: 2,
  }),
  req({
    ...bo,
    endpoint: 'messages',
    deployment: 'claude-fast',
    answeredBy: claude,
    stream: true,
    outcome: 'blocked',
    status: 200,
    ruleId: 'injection.ignore-previous',
    reason: 'the answer tells the reader to ignore previous instructions',
    stages: [{ side: 'stream', stage: 'guardrails', action: 'deny', ruleId: 'injection.ignore-previous' }],
    detections: [{ rule: 'injection.ignore-previous', detector: 'injection', where: 'output' }],
    usage: { inputTokens: 5, outputTokens: 1 },
    durationMs: 40,
  }),
  req({ deployment: 'gpt-fast', outcome: 'refused', status: 403, ruleId: 'llm.deployment.forbidden', reason: 'no' }),
  req({ model: `made-up-${'x'.repeat(300)}`, outcome: 'refused', status: 404, ruleId: 'llm.model.unknown' }),
  // A record that names a deployment the model string gave, though it was unknown: still "unknown" in metrics.
  req({ deployment: 'whatever-the-caller-typed', outcome: 'refused', status: 404 }),
  req({ user: '', project: '', keyId: undefined, outcome: 'refused', status: 401, reason: 'no gateway key' }),
  req({ deployment: 'gpt-fast', outcome: 'limited', status: 429, ruleId: 'llm.budget.tokens', reason: 'spent' }),
  req({
    endpoint: 'embeddings',
    deployment: 'gpt-fast',
    outcome: 'error',
    status: 502,
    attempts: [{ deployment: 'gpt-fast', provider: 'fake-openai', error: 'fake-openai answered 401' }],
    reason: 'fake-openai answered 401',
  }),
];

let records: AnyRecord[] = [];
let metrics = '';
beforeAll(async () => {
  const prom = createPrometheusMetrics();
  const writer = new AuditWriter({
    file,
    chain: createChain(),
    fsync: 'always',
    fsyncIntervalMs: 5,
    maxFileBytes: 1 << 20,
    log: silentLogger(),
  });
  const sink = new AuditSink({
    writer,
    required: false,
    fsync: 'always',
    redactor: createRedactor(),
    argumentsMode: 'redacted',
    observers: [prom.observer],
    log: silentLogger(),
  });
  sink.key({ event: 'used', keyId: 'k_ana', user: ana.user, project: ana.project });
  for (const r of requests) sink.llm(r);
  await sink.close();
  records = query(file);
  metrics = await prom.registry.metrics();
});

describe('llm records in the audit log', () => {
  it('are chained with the other records, and audit verify accepts the chain', () => {
    expect(records.map((r) => r.kind)).toEqual(['key', ...requests.map(() => 'llm')]);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const v = verifyLog(file);
    expect(v).toMatchObject({ ok: true, records: requests.length + 1 });
  });

  it('keep the request id, who, the deployments, the outcome and the numbers', () => {
    expect(records[3]).toMatchObject({
      kind: 'llm',
      requestId: requests[2]!.requestId,
      endpoint: 'chat.completions',
      user: 'ana@example.com',
      project: 'web',
      keyId: 'k_ana',
      deployment: 'gpt-fast',
      answeredBy: backup,
      stream: false,
      outcome: 'ok',
      status: 200,
      usage: { inputTokens: 10, outputTokens: 20 },
      costUsd: 0.5,
      durationMs: 2000,
    });
  });

  it('keep that the gateway estimated the tokens, and no field the record type does not name', () => {
    expect(records[4]!.usage).toEqual({ inputTokens: 7, outputTokens: 3, estimated: true });
    expect(records[1]!.usage).toEqual({ inputTokens: 100, outputTokens: 50 });
  });

  it('redact a secret in the reason and in a failed attempt, and never write a detection excerpt', () => {
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(records[5]!.reason).toBe('the input carries [SECRET:secrets.github-pat]');
    expect(records[3]!.attempts).toEqual([
      { deployment: 'gpt-fast', provider: 'fake-openai', error: 'upstream 500 (echoed [SECRET:secrets.github-pat])' },
    ]);
    expect(records[5]!.detections).toEqual([{ rule: 'secrets.github-pat', detector: 'secrets', where: 'messages[0]' }]);
    expect((records[8]!.model as string).length).toBe(128);
  });

  it('are found by --kind llm, --deployment (asked for or answered by) and --blocked', () => {
    expect(query(file, { kind: 'llm' })).toHaveLength(requests.length);
    expect(query(file, { deployment: 'gpt-backup' }).map((r) => r.requestId)).toEqual([requests[2]!.requestId]);
    expect(query(file, { deployment: 'claude-fast' })).toHaveLength(2);
    expect(query(file, { kind: 'llm', blocked: true }).map((r) => r.ruleId)).toEqual([
      'secrets.github-pat',
      'injection.ignore-previous',
    ]);
    expect(query(file, { kind: 'call' })).toHaveLength(0);
    // Without --kind, --blocked stays the blocked calls: the report's "N more" line counts those.
    expect(query(file, { blocked: true })).toHaveLength(0);
  });

  it('never throw at the proxy: a failing observer or a record that cannot be built is logged', () => {
    const warnings: string[] = [];
    const log = {
      ...silentLogger(),
      warn: (_: unknown, m: string) => warnings.push(m),
      error: (_: unknown, m: string) => warnings.push(m),
    };
    const sink = new AuditSink({
      required: false,
      fsync: 'batched',
      redactor: createRedactor(),
      argumentsMode: 'redacted',
      observers: [
        {
          onLlm: () => {
            throw new Error('metrics down');
          },
        },
      ],
      log: log as unknown as ReturnType<typeof silentLogger>,
    });
    expect(() => sink.llm(requests[0]!)).not.toThrow();
    expect(() => sink.llm({ ...requests[0]!, stages: undefined } as unknown as LlmAuditRecord)).not.toThrow();
    expect(warnings).toEqual(['an audit observer failed', 'could not build the llm audit record']);
  });

  it('print as one line each', () => {
    expect(formatRecord(records[3]!)).toMatch(
      /#4 {2}llm ok +200 chat\.completions gpt-fast → gpt-backup {2}user=ana@example\.com project=web {2}10\+20 tok \$0\.500000 {2}2000\.0ms$/,
    );
    expect(formatRecord(records[6]!)).toContain('llm blocked  200 messages (stream) claude-fast');
    expect(formatRecord(records[6]!)).toContain('injection.ignore-previous: the answer tells');
  });

  it('export to CSV with their own columns', () => {
    const [head, , row] = toCsv(records.slice(0, 2)).split('\r\n');
    expect(head).toMatch(/,requestId,endpoint,deployment,answeredBy,status,usage,costUsd,durationMs$/);
    expect(row).toContain(`,${requests[0]!.requestId},chat.completions,gpt-fast,`);
  });
});

describe('llm metrics', () => {
  it.each([
    ['a configured deployment', { deployment: 'gpt-fast', status: 200 }, 'gpt-fast'],
    ['only an answering deployment', { answeredBy: { deployment: 'gpt-fast' }, status: 200 }, 'gpt-fast'],
    ['no deployment', { status: 400 }, 'unknown'],
    ['an unknown model, even when named', { deployment: 'typed-by-caller', status: 404 }, 'unknown'],
    ['an unauthenticated caller', { deployment: 'gpt-fast', status: 401 }, 'unknown'],
  ])('label %s as %s', (_, r, want) => {
    expect(llmDeploymentLabel(r)).toBe(want);
  });

  it.each([
    'smg_llm_requests_total{deployment="gpt-fast",endpoint="chat.completions",outcome="ok",rule="(none)"} 3',
    'smg_llm_requests_total{deployment="gpt-fast",endpoint="chat.completions",outcome="blocked",rule="secrets.github-pat"} 1',
    'smg_llm_requests_total{deployment="claude-fast",endpoint="messages",outcome="blocked",rule="injection.ignore-previous"} 1',
    'smg_llm_requests_total{deployment="unknown",endpoint="chat.completions",outcome="refused",rule="llm.model.unknown"} 1',
    'smg_llm_requests_total{deployment="unknown",endpoint="chat.completions",outcome="refused",rule="(none)"} 2',
    'smg_llm_requests_total{deployment="gpt-fast",endpoint="chat.completions",outcome="limited",rule="llm.budget.tokens"} 1',
    'smg_llm_requests_total{deployment="gpt-fast",endpoint="embeddings",outcome="error",rule="(none)"} 1',
    'smg_llm_tokens_total{deployment="gpt-fast",direction="input"} 300',
    'smg_llm_tokens_total{deployment="gpt-fast",direction="output"} 150',
    'smg_llm_tokens_total{deployment="gpt-backup",direction="input"} 10',
    'smg_llm_tokens_total{deployment="claude-fast",direction="output"} 4',
    'smg_llm_cost_usd_total{deployment="gpt-backup",project="web"} 0.5',
    'smg_llm_request_duration_seconds_bucket{le="1",deployment="gpt-fast",endpoint="chat.completions"} 5',
    'smg_llm_request_duration_seconds_bucket{le="2.5",deployment="gpt-fast",endpoint="chat.completions"} 6',
    'smg_llm_request_duration_seconds_count{deployment="claude-fast",endpoint="messages"} 2',
  ])('serve %s', (line) => {
    expect(metrics.split('\n')).toContain(line);
  });

  it('sum the cost by the deployment that answered and the project', () => {
    const cost = /^smg_llm_cost_usd_total\{deployment="gpt-fast",project="web"\} (\S+)$/m.exec(metrics);
    expect(Number(cost?.[1])).toBeCloseTo(0.000135, 12);
    expect(metrics).not.toMatch(/smg_llm_cost_usd_total\{deployment="claude-fast"/);
  });

  it('never make a series of what a caller typed', () => {
    expect(metrics).not.toContain('whatever-the-caller-typed');
    expect(metrics).not.toContain('made-up');
  });
});

describe('llm summary', () => {
  it('counts requests by outcome, the unanswered ones by rule, and the totals', () => {
    const s = summarizeLlm(records);
    expect(s).toMatchObject({
      requests: 12,
      blocked: 2,
      streamed: 2,
      fallbacks: 2,
      outcomes: { ok: 4, blocked: 2, refused: 4, limited: 1, error: 1 },
      inputTokens: 322,
      outputTokens: 174,
      totalBlocked: 2,
    });
    expect(s.costUsd).toBeCloseTo(0.500135, 9);
    expect(s.rules.map((r) => [r.rule, r.outcome, r.count])).toEqual([
      ['(none)', 'refused', 2],
      ['(none)', 'error', 1],
      ['injection.ignore-previous', 'blocked', 1],
      ['llm.budget.tokens', 'limited', 1],
      ['llm.deployment.forbidden', 'refused', 1],
      ['llm.model.unknown', 'refused', 1],
      ['secrets.github-pat', 'blocked', 1],
    ]);
    expect(s.recentBlocked.map((r) => r.ruleId)).toEqual(['injection.ignore-previous', 'secrets.github-pat']);
  });

  it('puts requests under the deployment asked for, tokens and cost under the one that answered', () => {
    const rows = summarizeLlm(records).byDeployment.map((d) => [
      d.name,
      d.requests,
      d.answered,
      d.blocked,
      d.inputTokens,
      d.outputTokens,
      d.p50Ms,
      d.p99Ms,
    ]);
    expect(rows).toEqual([
      ['gpt-backup', 0, 1, 0, 10, 20, 2000, 2000],
      ['gpt-fast', 7, 2, 1, 300, 150, 100, 300],
      ['claude-fast', 2, 2, 1, 12, 4, 40, 50],
      ['unknown', 3, 0, 0, 0, 0, 0, 0],
    ]);
  });

  it('sums per project and per user, the biggest spender first', () => {
    const s = summarizeLlm(records);
    expect(s.byProject.map((p) => [p.name, p.requests, p.blocked, p.inputTokens, p.outputTokens])).toEqual([
      ['web', 9, 1, 310, 170],
      ['data', 2, 1, 12, 4],
      ['(unknown)', 1, 0, 0, 0],
    ]);
    expect(s.byUser.map((u) => u.name)).toEqual(['ana@example.com', 'bo@example.com', '(unknown)']);
  });

  it('gives the same numbers for the same records read twice', () => {
    expect(summarizeLlm([...records, ...records]).requests).toBe(24);
    expect(summarizeLlm(records)).toEqual(summarizeLlm(query(file)));
  });

  it.each([
    [0, '$0'],
    [0.000045, '$0.000045'],
    [0.5, '$0.5000'],
    [12.3456789, '$12.3457'],
  ])('writes %s dollars as %s', (v, want) => {
    expect(usd(v)).toBe(want);
  });

  it('shows in audit stats, and not at all without llm records', () => {
    const text = formatStats(computeStats(records));
    expect(text).toContain('AI proxy: 12 request(s), 2 streamed, 2 with a fallback');
    expect(text).toContain('ok 4 · blocked 2 · refused 4 · limited 1 · error 1');
    expect(text).toContain('tokens 322 in, 174 out · cost $0.5001');
    expect(text).toMatch(/secrets\.github-pat +blocked +1/);
    expect(text).toMatch(/gpt-backup +0 +0 +10 +20 +\$0\.5000 +1 +2000 +2000/);
    expect(text).toMatch(/\nweb +9 +1 +310 +170 +\$0\.5001/);
    expect(formatStats(computeStats([]))).not.toContain('AI proxy');
  });
});

describe('llm section of the report', () => {
  const section = (html: string) => html.slice(html.indexOf('id="sec-llm"'), html.indexOf('id="sec-summary"'));

  it('comes after the sandbox and before the summary, with its cards, blocked requests and spend tables', () => {
    const html = renderReport({ records, file });
    const at = ['sec-sandbox', 'sec-llm', 'sec-summary'].map((id) => html.indexOf(`id="${id}"`));
    expect(at[0]).toBeLessThan(at[1]!);
    expect(at[1]).toBeLessThan(at[2]!);
    const s = section(html);
    expect(s).toContain('AI proxy: 12 request(s), 2 blocked');
    expect(s).toContain('<b id="llm-cost">$0.5001</b>');
    expect(s).toContain('<b id="llm-refused">4</b>');
    const blocked = s.slice(s.indexOf('id="llm-blocked-requests"'), s.indexOf('id="llm-rules"'));
    expect(blocked.indexOf('injection.ignore-previous')).toBeLessThan(blocked.indexOf('secrets.github-pat'));
    expect(blocked).toContain('<td class="id">messages (stream)</td>');
    expect(blocked).toContain('title="the input carries [SECRET:secrets.github-pat]"');
    expect(s).toMatch(
      /<td class="id">gpt-backup<\/td><td class="num">0<\/td><td class="num">0<\/td><td class="num">10<\/td><td class="num">20<\/td><td class="num">\$0\.5000<\/td><td class="num">1<\/td><td class="num">2\.0 s<\/td>/,
    );
    expect(s.slice(s.indexOf('id="llm-projects"'))).toMatch(/<td class="id">data<\/td><td class="num">2<\/td>/);
    expect(s).toContain('audit query --kind llm');
    // Not repeated among the integrity events.
    expect(html.slice(html.indexOf('id="sec-integrity"'))).not.toContain('gpt-fast');
  });

  it('caps its tables and points to the commands for the rest', () => {
    const s = section(renderReport({ records, file, recent: 1 }));
    expect(s).toContain('1 more — use <code>secure-mcp-gateway audit query --kind llm --blocked</code>');
    expect(s).toContain('id="llm-deployments-more"');
  });

  it('says so in one line when the log has none', () => {
    const html = renderReport({ records: [], file: 'x' });
    expect(html).toContain('id="llm-none"');
    expect(html).not.toContain('id="llm-deployments"');
  });
});
