/**
 * Builds a policy's stage lists. The order here is the order of the flow in DESIGN.md: input guardrails (size,
 * then the detectors, then the judge), then parameter checks; after the upstream, output guardrails (size, then the
 * detectors, then the judge), and last the restore of values the input guardrails replaced with placeholders. A test asserts it. The
 * gateway builds each policy's pipeline once, off the start-up path.
 */
import type { Policy } from '../config/schema.js';
import { createArgumentSizeStage, createResultSizeStage } from '../guardrails/size.js';
import {
  createInputGuardrailStage,
  createOutputGuardrailStage,
  createRestoreStage,
  type GuardrailOptions,
} from '../guardrails/stage.js';
import type { AsyncDetector } from '../guardrails/types.js';
import type { JudgeRuntime } from '../guardrails/judge/runtime.js';
import { GatewayError } from '../errors.js';
import { classifyTool } from '../policy/annotations.js';
import { allowsEverything, createApprovalStage } from '../policy/approval.js';
import { createDataFlowStage } from '../policy/data-flow.js';
import { createRateLimitStage } from '../policy/rate-limit.js';
import { createSchemaStage } from '../policy/schema.js';
import { MemoryStore } from '../state/memory.js';
import type { StateStore } from '../state/store.js';
import type { CallPipeline } from './call-tool.js';
import type { RequestStage, ResponseStage } from './types.js';

export async function assemblePipeline(
  policy: Policy,
  providers?: ReadonlyMap<string, AsyncDetector>,
  // `store`: the process's one state store (rate-limit buckets); without it, a private one when needed. `name`: the
  // policy's name under `policies`, so that block messages name the exact config key.
  // `judges`: the process's judge endpoints and policy documents, for a policy with a "judge" section.
  // `content: 'prompt'`: the pipeline reads prompt messages, not tool results (see guardrails/registry.ts).
  deps: { store?: StateStore; name?: string; judges?: JudgeRuntime; content?: 'results' | 'prompt' } = {},
): Promise<CallPipeline> {
  const inputGuardrails: RequestStage[] = [];
  const parameterChecks: RequestStage[] = [];
  const outputGuardrails: ResponseStage[] = [];

  if (policy.limits.mode !== 'off') {
    inputGuardrails.push(
      createArgumentSizeStage({ maxBytes: policy.limits.maxArgumentBytes, mode: policy.limits.mode }),
    );
    outputGuardrails.push(createResultSizeStage({ maxBytes: policy.limits.maxResultBytes, mode: policy.limits.mode }));
  }
  // The detectors (phone metadata, secret rules, word lists) load on first use, not at start-up.
  const { buildGuardrails } = await import('../guardrails/registry.js');
  const guardrails = buildGuardrails(policy, providers, deps.content);
  // The budgets apply whatever limits.mode says: a guard that cannot read all of a message denies it.
  const { maxDepth, maxStrings, maxScanMs } = policy.limits;
  guardrails.input.budget = guardrails.output.budget = { maxDepth, maxStrings, maxScanMs };
  const active = (g: GuardrailOptions) => g.rules.some((r) => r.action !== 'off') || (g.providers?.length ?? 0) > 0;
  if (active(guardrails.input)) inputGuardrails.push(createInputGuardrailStage(guardrails.input));
  if (active(guardrails.output)) outputGuardrails.push(createOutputGuardrailStage(guardrails.output));
  // The judge reads what the guardrails let through: placeholders instead of PII, before the restore below.
  if (policy.judge) {
    if (!deps.judges) throw new GatewayError('INTERNAL', 'a policy with judge checks needs the judge runtime');
    const { createJudgeStages } = await import('../guardrails/judge/stage.js');
    const judge = createJudgeStages({
      runtime: deps.judges,
      config: policy.judge,
      judge: policy.judge.judge ?? deps.judges.names[0]!,
      injectionThreshold: policy.detectors.injection.threshold ?? 0.5,
    });
    if (judge.input) inputGuardrails.push(judge.input);
    if (judge.output) outputGuardrails.push(judge.output);
  }
  // Restore runs last, and only where the input side can put placeholders in.
  if (guardrails.input.rules.some((r) => r.action === 'redact' && r.mode === 'enforce'))
    outputGuardrails.push(createRestoreStage());
  if (policy.schema.mode !== 'off')
    parameterChecks.push(
      createSchemaStage({
        mode: policy.schema.mode,
        uncompilable: policy.schema.uncompilable,
        undeclared: policy.schema.undeclared,
      }),
    );
  if (policy.arguments.mode !== 'off') {
    // The argument checkers (shell-quote, the SQL lexer, ipaddr.js) load with the first pipeline, not at start-up.
    const { createArgumentsStage } = await import('../policy/arguments.js');
    parameterChecks.push(createArgumentsStage({ mode: policy.arguments.mode, infer: policy.arguments.infer }));
  }
  // Values that earlier results let through may not leave through an outbound tool.
  if (policy.dataFlow.action !== 'off')
    parameterChecks.push(
      createDataFlowStage({
        action: policy.dataFlow.action,
        outbound: (ctx) => {
          const c = classifyTool(ctx.tool, ctx.serverPolicy.annotations);
          return c.destructive || c.openWorld;
        },
      }),
    );
  // After the checks that refuse malformed calls (they spend no token), before approval (DESIGN.md). With a shared
  // store a server's own rateLimit may apply to any call, so the stage is there and is a no-op without a limit.
  if (policy.rateLimit || deps.store)
    parameterChecks.push(
      createRateLimitStage({ store: deps.store ?? new MemoryStore(), policyLimit: policy.rateLimit }),
    );
  // Approval last: a human is asked only about a call that every other check lets through.
  if (!allowsEverything(policy.annotations))
    parameterChecks.push(
      createApprovalStage({ annotations: policy.annotations, ...(deps.name ? { policy: deps.name } : {}) }),
    );

  return { request: [...inputGuardrails, ...parameterChecks], response: outputGuardrails };
}
