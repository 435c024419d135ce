/**
 * The tools/call handler: routes a call to its server and live tool definition, builds the call's context, runs
 * the pipeline around the upstream, and answers. It only routes: every decision is a stage (audit.required and the
 * integrity gate first, then the policy's input guardrails and parameter checks; after the upstream, the output
 * guardrails), and the audit reads the finished call once. It depends on a small session interface, not on the
 * SDK Server: gateway.ts owns the SDK wiring and shutdown.
 */
import type {
  CallToolResult,
  ElicitRequestFormParams,
  ElicitResult,
  Progress,
} from '@modelcontextprotocol/sdk/types.js';
import type { AuditSink } from '../audit/sink.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { Access } from '../identity/access.js';
import type { Logger } from '../log.js';
import { callTool } from '../pipeline/call-tool.js';
import type { ApprovalAnswer, CallContext, Principal, SessionState, ToolCall } from '../pipeline/types.js';
import { RedactionVault } from '../pipeline/vault.js';
import type { UpstreamPool } from './pool.js';
import { blockedResult, signInResult } from './to-wire.js';
import type { ToolCallRequest } from './tool-calls.js';

/** What the handler needs of the client session it serves. */
export interface CallSession {
  readonly principal: Principal;
  /** The caller as one string, for per-caller keys ("local", "<user>/<project>"). */
  readonly identity: string;
  readonly session: SessionState;
  readonly audit: AuditSink;
  /** What the caller may use now (a config reload can change it). */
  access(): Access;
  readonly log: Logger;
  /** Throws the refusal when the caller's identity no longer stands (a revoked or expired key). */
  checkIdentity(): void;
  /** The upstream name of an exposed tool, waiting (bounded) for lists that have not arrived yet. */
  routeTool(exposed: string): Promise<{ server: string; name: string }>;
  /** The pool that serves a server for this session. */
  poolOf(server: string): UpstreamPool | undefined;
  /**
   * Asks the user through MCP form elicitation, related to the pending call; undefined when the client did not
   * declare form elicitation.
   */
  elicitor(): Elicit | undefined;
}

export type Elicit = (
  params: Omit<ElicitRequestFormParams, 'mode'>,
  options: { signal: AbortSignal; relatedRequestId: ToolCallRequest['requestId'] },
) => Promise<ElicitResult>;

/**
 * The approval form (policy/approval.ts): one required choice. `enum` with `enumNames` is the titled enum that
 * clients of both the 2025-06-18 and the 2025-11-25 spec accept; 2025-11-25 prefers `oneOf` with titles, which
 * older clients reject as an invalid request.
 */
export const APPROVAL_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    decision: {
      type: 'string',
      title: 'Decision',
      enum: ['allow_once', 'allow_session', 'deny'],
      enumNames: ['Allow once', 'Allow for this session', 'Deny'],
    },
  },
  required: ['decision'],
};
const APPROVAL_ANSWERS = new Map<unknown, ApprovalAnswer>([
  ['allow_once', 'once'],
  ['allow_session', 'session'],
  ['deny', 'deny'],
]);

/** The user's answer to the approval form: declining or dismissing it is a deny. */
export function approvalAnswer(result: ElicitResult): ApprovalAnswer {
  return (result.action === 'accept' && APPROVAL_ANSWERS.get(result.content?.decision)) || 'deny';
}

/** One tools/call, audited: every outcome (allowed, blocked, errored, upstream error) leaves one record. */
export async function handleToolCall(s: CallSession, req: ToolCallRequest): Promise<CallToolResult> {
  s.checkIdentity();
  const audit = s.audit.beginCall({
    exposed: req.name,
    arguments: req.arguments,
    sessionId: s.session.id,
    principal: s.principal,
  });
  return audit.settle(run(s, req, audit), (deny) =>
    blockedResult({ phase: 'response', verdict: { ...deny, stage: { name: 'audit', slot: 'output-guardrail' } } }),
  );
}

async function run(s: CallSession, req: ToolCallRequest, audit: ReturnType<AuditSink['beginCall']>) {
  const exposed = req.name;
  const arrived = performance.timeOrigin + performance.now();
  const route = await s.routeTool(exposed);
  audit.routed(route.server, route.name);
  const pool = s.poolOf(route.server);
  if (!pool) throw new GatewayError('UNKNOWN_TOOL', `Unknown tool: ${exposed}`);
  const upstream = pool.upstream(route.server);
  const timeout = upstream.server.config.timeoutMs;
  try {
    // Only a call that must wait for its upstream needs the AbortSignal (made on first read: tool-calls.ts).
    if (!upstream.live) await upstream.ready(timeout, req.signal);
  } catch (error) {
    // An OAuth server waiting for `auth login` (issue 18): the model is told what to run, as a tool error.
    if (isGatewayError(error, 'SIGN_IN_REQUIRED')) return signInResult(error);
    throw error;
  }
  // The connection came up after the call arrived: the call waited that long (routing included) for the upstream
  // to start, which the audit keeps apart from the call's own latency.
  const waited = upstream.readyAt > arrived ? upstream.readyAt - arrived : undefined;
  // Check against the live definition, never a cached one: that is what the upstream will run.
  const tool = upstream.catalog?.tools.find((t) => t.name === route.name);
  if (!tool || !pool.allowsTool(route.server, tool.name) || !s.access().allowsTool(route.server, tool.name))
    throw new GatewayError('UNKNOWN_TOOL', `Unknown tool: ${exposed}`);
  const callId = audit.callId;
  // The per-call child logger is made only when something logs: creating one costs more than the rest of the
  // pipeline on an allowed call.
  let callLog: Logger | undefined;
  const base = s.log;
  const ctx: CallContext = {
    callId,
    server: route.server,
    identity: s.identity,
    principal: s.principal,
    session: s.session,
    serverPolicy: pool.serverPolicy(route.server),
    tool,
    arguments: req.arguments,
    get signal() {
      return req.signal;
    },
    vault: new RedactionVault(),
    notes: new Map(),
    ...approver(s, req, { callId, server: route.server, tool: tool.name }),
    get log() {
      return (callLog ??= base.child({ callId, server: route.server, tool: tool.name }));
    },
  };
  const call: ToolCall = { exposedName: exposed, server: route.server, tool: tool.name, arguments: req.arguments };
  // Progress goes out with the client's own token. The last notification is awaited before the result is
  // returned, so the client never sees a progress notification after the answer it belongs to.
  let lastProgress: Promise<void> | undefined;
  // A progress message is upstream text for the client's status line: the secret masker reads it first.
  const onprogress =
    req.progressToken === undefined
      ? undefined
      : (p: Progress) =>
          void (lastProgress = req.sendProgress(p.message === undefined ? p : { ...p, message: pool.mask(p.message) }));

  const pipeline = await pool.pipelineForTool(route.server, tool.name, s.access().policyFor(route.server));
  const outcome = await callTool(pipeline, call, ctx, (c) =>
    upstream.callTool(
      { name: c.tool, arguments: c.arguments, ...(req.meta ? { _meta: req.meta } : {}) },
      {
        cancel: req.cancel,
        timeout,
        maxTotalTimeout: upstream.server.config.maxTotalMs ?? 10 * timeout,
        ...(onprogress ? { onprogress } : {}),
      },
    ),
  );
  if (lastProgress) {
    // Clients built on the SDK drop a progress notification that they read in the same chunk as its response
    // (see upstream/progress-order.ts); a turn of the event loop between the two avoids that.
    await lastProgress;
    await new Promise((resolve) => setImmediate(resolve));
  }
  audit.observe(waited === undefined ? outcome : { ...outcome, upstreamWaitMs: waited });
  if (outcome.kind === 'failed') {
    if (isGatewayError(outcome.error, 'SIGN_IN_REQUIRED')) return signInResult(outcome.error);
    throw outcome.error;
  }
  const shadow = outcome.trail.filter((t) => t.action === 'deny' && !t.enforced);
  if (shadow.length) ctx.log.warn({ shadow }, 'shadow rules would have blocked this call');
  if (outcome.kind === 'blocked') {
    ctx.log.warn(
      { phase: outcome.phase, ruleId: outcome.verdict.ruleId, reason: outcome.verdict.reason },
      'call blocked',
    );
    return blockedResult(outcome);
  }
  if (base.isLevelEnabled('debug')) ctx.log.debug({ trail: outcome.trail }, 'call allowed');
  return outcome.result;
}

/**
 * `approve` for a call's context: asks the user through MCP elicitation (form mode), as a request related to
 * the pending tools/call (so a transport that routes by request sends it on that call's stream), cancelled with
 * the call. Only where the client declared form elicitation at initialize; without it a stage that needs
 * approval denies with guidance. Declining or dismissing the form is a deny.
 */
function approver(
  s: CallSession,
  req: ToolCallRequest,
  call: { callId: string; server: string; tool: string },
): Pick<CallContext, 'approve'> {
  const elicit = s.elicitor();
  if (!elicit) return {};
  return {
    approve: async ({ message }) => {
      s.audit.approval({ event: 'asked', ...call });
      const result = await elicit(
        { message, requestedSchema: APPROVAL_SCHEMA },
        { signal: req.signal, relatedRequestId: req.requestId },
      );
      const answer = approvalAnswer(result);
      s.audit.approval({ event: 'answered', ...call, answer });
      return answer;
    },
  };
}
