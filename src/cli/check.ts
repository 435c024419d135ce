/**
 * `secure-mcp-gateway check`: runs a policy's guardrails offline on a text, a JSON tool call
 * (`{"name": ..., "arguments": {...}}`) or a JSON tool result (`{"content": [...]}`), and prints what fires, what
 * the policy does about it, and the time taken, so policies can be tested in CI. Exit code 0: allowed (possibly
 * redacted); 5: blocked.
 */
import fs from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_POLICY, type Policy } from '../config/schema.js';
import { lazyProvider } from '../guardrails/providers/lazy.js';
import type { ProviderConfig } from '../guardrails/providers/schema.js';
import { silentLogger } from '../log.js';
import { assemblePipeline } from '../pipeline/assemble.js';
import type { JudgeEndpoint } from '../guardrails/judge/config-schema.js';
import { createJudgeRuntime } from '../guardrails/judge/runtime.js';
import { createSession, emptyServerPolicy } from '../pipeline/session.js';
import { RedactionVault } from '../pipeline/vault.js';
import { runStages } from '../pipeline/run.js';
import { LOCAL_PRINCIPAL, type CallContext, type StageRecord, type ToolCall } from '../pipeline/types.js';

export { EXIT_BLOCKED } from './exit.js';

export interface CheckInput {
  text: string;
  where: 'input' | 'output' | 'auto';
  policy: Policy;
  providers: Record<string, ProviderConfig>;
  /** Judge endpoints and policy documents (absolute paths): a policy's judge checks run too. */
  judges?: Record<string, JudgeEndpoint>;
  policyDocuments?: string[];
}

export interface CheckOutcome {
  phase: 'input' | 'output';
  blocked: boolean;
  ruleId?: string;
  reason?: string;
  trail: StageRecord[];
  value: unknown;
  ms: number;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function runCheck(input: CheckInput): Promise<CheckOutcome> {
  const json = parse(input.text) as Record<string, unknown> | undefined;
  const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
  const looksLikeResult = isObject && Array.isArray(json.content);
  const phase = input.where === 'auto' ? (looksLikeResult ? 'output' : 'input') : input.where;
  const providers = new Map(Object.entries(input.providers).map(([n, c]) => [n, lazyProvider(n, c)]));
  const judges =
    input.policy.judge && input.judges
      ? createJudgeRuntime({ judges: input.judges, documents: input.policyDocuments ?? [], watch: false })
      : undefined;
  try {
    const pipeline = await assemblePipeline(input.policy, providers, judges ? { judges } : {});
    return await checkWith(input, phase, json, looksLikeResult, pipeline);
  } finally {
    await judges?.close();
  }
}

/**
 * A result may name the call it answers, for the judge's relevancy and grounding checks:
 * `{"content": [...], "call": {"name": "search", "description": "...", "arguments": {...}}}`.
 */
async function checkWith(
  input: CheckInput,
  phase: 'input' | 'output',
  json: Record<string, unknown> | undefined,
  looksLikeResult: boolean,
  pipeline: Awaited<ReturnType<typeof assemblePipeline>>,
): Promise<CheckOutcome> {
  const obj = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const { call: named, ...rest } = json ?? {};
  const about = looksLikeResult ? obj(named) : json;
  const args = obj(about?.arguments) ?? (looksLikeResult ? {} : { text: input.text });
  const name = typeof about?.name === 'string' ? about.name : 'check';
  const description = typeof about?.description === 'string' ? { description: about.description } : {};
  const ctx: CallContext = {
    callId: 'check',
    server: 'check',
    identity: 'local',
    principal: LOCAL_PRINCIPAL,
    session: createSession('check'),
    serverPolicy: emptyServerPolicy(),
    tool: { name, ...description, inputSchema: { type: 'object' } },
    arguments: args,
    signal: AbortSignal.timeout(60_000),
    log: silentLogger(),
    vault: new RedactionVault(),
    notes: new Map(),
  };
  const started = performance.now();
  if (phase === 'input') {
    const call: ToolCall = { exposedName: ctx.tool.name, server: 'check', tool: ctx.tool.name, arguments: args };
    // The schema check needs a real tool definition; check runs the guardrails only.
    const stages = pipeline.request.filter((s) => s.slot === 'input-guardrail');
    const r = await runStages(stages, call, ctx);
    return outcome('input', r, performance.now() - started);
  }
  const result: CallToolResult = looksLikeResult
    ? (rest as unknown as CallToolResult)
    : { content: [{ type: 'text', text: input.text }] };
  const r = await runStages(
    pipeline.response.filter((s) => s.name !== 'restore'),
    result,
    ctx,
  );
  return outcome('output', r, performance.now() - started);
}

function outcome(
  phase: 'input' | 'output',
  r: Awaited<ReturnType<typeof runStages<unknown>>>,
  ms: number,
): CheckOutcome {
  const out: CheckOutcome = { phase, blocked: r.denied !== undefined, trail: r.trail, value: r.value, ms };
  if (r.denied) {
    out.ruleId = r.denied.ruleId;
    out.reason = r.denied.reason;
  }
  return out;
}

export function readInput(file: string): string {
  return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
}

export function formatOutcome(o: CheckOutcome): string {
  const lines = [`${o.phase} guardrails: ${o.blocked ? `BLOCKED by ${o.ruleId}` : 'allowed'} (${o.ms.toFixed(2)} ms)`];
  if (o.reason) lines.push(`  reason: ${o.reason}`);
  for (const t of o.trail) {
    if (t.action === 'allow' && !t.detections?.length) continue;
    lines.push(
      `  ${t.stage}: ${t.action}${t.enforced ? '' : ' (not enforced)'}${t.reason && t.action !== 'deny' ? ` - ${t.reason}` : ''}`,
    );
    for (const d of t.detections ?? [])
      lines.push(`    ${d.rule}  score ${d.score.toFixed(2)}  at ${d.path ?? '?'}  ${d.excerpt}`);
  }
  if (!o.blocked && o.trail.some((t) => t.action === 'modify'))
    lines.push(`  forwarded as: ${JSON.stringify(o.value).slice(0, 2000)}`);
  return lines.join('\n');
}

export { DEFAULT_POLICY };
