/**
 * Builds a server's stage lists from its policy. The order here is the order of the flow in DESIGN.md:
 * input guardrails, then parameter checks, then (after the upstream) output guardrails. A test asserts it.
 */
import type { Policy } from '../config/schema.js';
import { createArgumentSizeStage, createResultSizeStage } from '../guardrails/size.js';
import { createSchemaStage } from '../policy/schema.js';
import type { CallPipeline } from './call-tool.js';
import type { RequestStage, ResponseStage } from './types.js';

export function assemblePipeline(policy: Policy): CallPipeline {
  const inputGuardrails: RequestStage[] = [];
  const parameterChecks: RequestStage[] = [];
  const outputGuardrails: ResponseStage[] = [];

  if (policy.limits.mode !== 'off') {
    inputGuardrails.push(
      createArgumentSizeStage({ maxBytes: policy.limits.maxArgumentBytes, mode: policy.limits.mode }),
    );
    outputGuardrails.push(createResultSizeStage({ maxBytes: policy.limits.maxResultBytes, mode: policy.limits.mode }));
  }
  if (policy.schema.mode !== 'off')
    parameterChecks.push(createSchemaStage({ mode: policy.schema.mode, uncompilable: policy.schema.uncompilable }));

  return { request: [...inputGuardrails, ...parameterChecks], response: outputGuardrails };
}
