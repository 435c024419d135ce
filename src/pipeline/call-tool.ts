/**
 * One tools/call: request stages, then the upstream (the fixed terminal step, never a stage), then response
 * stages. A denied request never reaches the upstream; a denied response never reaches the client. Every way a
 * call can end is an outcome, a failed upstream included, so that the audit reads the finished call once.
 *
 * An upstream's JSON-RPC error is the upstream's own text on its way to the model, like a result: its message and
 * data run through the response stages as an error result (a deny blocks the call by that rule, a redaction rewrites
 * the error). Errors the gateway wrote itself (timeouts, a crash, shutting down) carry no upstream words.
 */
import { GatewayError } from '../errors.js';
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

/** When the upstream step started (ms since the epoch, sub-millisecond), how long it took, and whether it threw. */
export interface UpstreamTiming {
  start: number;
  ms: number;
  failed: boolean;
}

/**
 * Every outcome may say how long the call waited, before its stages ran, for its upstream to start (or restart):
 * the call handler does that waiting and sets `upstreamWaitMs`, absent when the upstream was already up.
 */
export type CallOutcome = (
  | { kind: 'allowed'; result: ToolResult; trail: StageRecord[]; upstream: UpstreamTiming }
  | {
      kind: 'blocked';
      phase: 'request' | 'response';
      verdict: DenyVerdict & { stage: Stage<ToolCall> | Stage<ToolResult> };
      trail: StageRecord[];
      upstream?: UpstreamTiming;
    }
  /** The upstream failed (crashed, timed out, answered with an error): `error` is what it threw. */
  | { kind: 'failed'; error: unknown; trail: StageRecord[]; upstream: UpstreamTiming }
) & { upstreamWaitMs?: number };

export type Upstream = (call: ToolCall, ctx: CallContext) => Promise<ToolResult>;

const now = () => performance.timeOrigin + performance.now();

export async function callTool(
  pipeline: CallPipeline,
  call: ToolCall,
  ctx: CallContext,
  upstream: Upstream,
): Promise<CallOutcome> {
  const before = await runStages(pipeline.request, call, ctx);
  if (before.denied) return { kind: 'blocked', phase: 'request', verdict: before.denied, trail: before.trail };
  const start = now();
  let raw: ToolResult;
  try {
    raw = await upstream(before.value, ctx);
  } catch (error) {
    const timing = { start, ms: now() - start, failed: true };
    if (!isUpstreamError(error)) return { kind: 'failed', error, trail: before.trail, upstream: timing };
    const read = await runStages(pipeline.response, upstreamErrorAsResult(error), ctx);
    const trail = [...before.trail, ...read.trail];
    if (read.denied) return { kind: 'blocked', phase: 'response', verdict: read.denied, trail, upstream: timing };
    return { kind: 'failed', error: upstreamErrorFromResult(error, read.value), trail, upstream: timing };
  }
  const timing = { start, ms: now() - start, failed: false };
  const after = await runStages(pipeline.response, raw, ctx);
  const trail = [...before.trail, ...after.trail];
  if (after.denied) return { kind: 'blocked', phase: 'response', verdict: after.denied, trail, upstream: timing };
  return { kind: 'allowed', result: after.value, trail, upstream: timing };
}

/** True for an upstream's own JSON-RPC error, whose message and data the upstream wrote. */
export function isUpstreamError(error: unknown): error is GatewayError {
  return error instanceof GatewayError && error.code === 'UPSTREAM_ERROR';
}

/** An upstream's error as the response stages read a result: its message, then its data as JSON (when it has any). */
export function upstreamErrorAsResult(error: GatewayError): ToolResult {
  const content = [{ type: 'text' as const, text: error.message }];
  if (error.data !== undefined) content.push({ type: 'text', text: JSON.stringify(error.data) });
  return { content, isError: true };
}

/** The error again, with what the stages changed (a redaction) in its message and data; unchanged when they did not. */
export function upstreamErrorFromResult(error: GatewayError, read: Pick<ToolResult, 'content'>): GatewayError {
  const texts = read.content.map((c) => (c.type === 'text' ? c.text : ''));
  const message = texts[0] ?? error.message;
  let data: unknown = error.data;
  if (error.data !== undefined && texts[1] !== JSON.stringify(error.data)) {
    try {
      data = JSON.parse(texts[1] ?? 'null');
    } catch {
      data = texts[1];
    }
  }
  if (message === error.message && data === error.data) return error;
  return new GatewayError('UPSTREAM_ERROR', message, { cause: error, upstreamCode: error.upstreamCode, data });
}
