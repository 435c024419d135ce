/**
 * One tools/call: request stages, then the upstream (the fixed terminal step, never a stage), then response
 * stages. A denied request never reaches the upstream; a denied response never reaches the client.
 */
import { runStages } from './run.js';
import type {
  CallContext,
  DenyVerdict,
  RequestStage,
  ResponseStage,
  Stage,
  StageRecord,
  ToolCall,
  ToolResult,
} from './types.js';

export interface CallPipeline {
  request: readonly RequestStage[];
  response: readonly ResponseStage[];
}

export type CallOutcome =
  | { kind: 'allowed'; result: ToolResult; trail: StageRecord[] }
  | {
      kind: 'blocked';
      phase: 'request' | 'response';
      verdict: DenyVerdict & { stage: Stage<ToolCall> | Stage<ToolResult> };
      trail: StageRecord[];
    };

/** The upstream call; `trail` is what the request stages decided, for the audit record of a call that fails there. */
export type Upstream = (call: ToolCall, ctx: CallContext, trail: readonly StageRecord[]) => Promise<ToolResult>;

export async function callTool(
  pipeline: CallPipeline,
  call: ToolCall,
  ctx: CallContext,
  upstream: Upstream,
): Promise<CallOutcome> {
  const before = await runStages(pipeline.request, call, ctx);
  if (before.denied) return { kind: 'blocked', phase: 'request', verdict: before.denied, trail: before.trail };
  const raw = await upstream(before.value, ctx, before.trail);
  const after = await runStages(pipeline.response, raw, ctx);
  const trail = [...before.trail, ...after.trail];
  if (after.denied) return { kind: 'blocked', phase: 'response', verdict: after.denied, trail };
  return { kind: 'allowed', result: after.value, trail };
}
