/**
 * The one place where local outcomes become protocol messages.
 * - A call blocked by the pipeline is a normal CallToolResult with isError: true, so the model sees why and can
 *   adapt: the text names the slot and the rule, and _meta carries the verdict as data.
 * - A tool, prompt or resource the client may not see is "unknown" (-32602, or -32002 for resources), exactly as
 *   if it did not exist.
 * - Upstream and internal failures are JSON-RPC errors: the upstream's own code where it sent one, else -32603.
 */
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { GatewayError, messageOf, plainMessage } from '../errors.js';
import type { DenyVerdict, Slot } from '../pipeline/types.js';

export const META_KEY = 'secure-mcp-gateway/verdict';

/** MCP's "resource not found" code (spec, server/resources). */
export const RESOURCE_NOT_FOUND = -32002;
/**
 * A resource read or a prompt get that the output guardrails refused. These answers have no isError form, so the
 * refusal is a JSON-RPC error in the implementation-defined range, with the same text and _meta-style data as a
 * blocked call.
 */
export const BLOCKED_BY_POLICY = -32003;

/** The JSON-RPC error for a refused resource read or prompt get (see BLOCKED_BY_POLICY). */
export function blockedError(outcome: Blocked): WireError {
  const { verdict } = outcome;
  return new WireError(
    BLOCKED_BY_POLICY,
    `blocked by ${SLOT_LABEL[verdict.stage.slot]} ${verdict.ruleId}: ${verdict.reason}`,
    {
      [META_KEY]: {
        action: 'deny',
        phase: outcome.phase,
        slot: verdict.stage.slot,
        stage: verdict.stage.name,
        ruleId: verdict.ruleId,
        reason: verdict.reason,
        detections: verdict.detections ?? [],
      },
    },
  );
}

const SLOT_LABEL: Record<Slot, string> = {
  'input-guardrail': 'input guardrail',
  'parameter-check': 'parameter check',
  'output-guardrail': 'output guardrail',
};

/** A blocked call: by a pipeline stage, or before the pipeline (the integrity gate). */
export interface Blocked {
  phase: 'request' | 'response';
  verdict: DenyVerdict & { stage: { name: string; slot: Slot } };
}

export function blockedResult(outcome: Blocked): CallToolResult {
  const { verdict } = outcome;
  const slot = verdict.stage.slot;
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `blocked by ${SLOT_LABEL[slot]} ${verdict.ruleId}: ${verdict.reason}`,
      },
    ],
    _meta: {
      [META_KEY]: {
        action: 'deny',
        phase: outcome.phase,
        slot,
        stage: verdict.stage.name,
        ruleId: verdict.ruleId,
        reason: verdict.reason,
        detections: verdict.detections ?? [],
      },
    },
  };
}

/**
 * An OAuth upstream that needs a person to sign in (issue 18): a tool result with isError, so that the model can tell
 * the user what to run, instead of a protocol error it cannot act on. The text is the gateway's own.
 */
export function signInResult(error: GatewayError): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: error.message }] };
}

/**
 * What a request handler throws so that the SDK sends `{code, message, data}` as given. (McpError would prefix
 * the message with "MCP error <code>:", and the client's SDK adds that prefix again.)
 */
export class WireError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/**
 * An upstream's own error code, where a client can read it: JSON-RPC codes are integers, and the SDK's schema
 * takes only safe integers. An answer with any other code (found by fuzzing: -1.8e308) would be dropped by the
 * client, and the call would hang there until its own timeout; it becomes -32603 with the upstream's message.
 */
function wireCode(code: number | undefined): number {
  return code !== undefined && Number.isSafeInteger(code) ? code : ErrorCode.InternalError;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof WireError) return error;
  if (error instanceof McpError) return new WireError(wireCode(error.code), plainMessage(error), error.data);
  if (!(error instanceof GatewayError)) return new WireError(ErrorCode.InternalError, messageOf(error));
  const data = { code: error.code, ...(error.data === undefined ? {} : { details: error.data }) };
  switch (error.code) {
    case 'UNKNOWN_TOOL':
    case 'UNKNOWN_PROMPT':
    case 'AMBIGUOUS_RESOURCE':
    case 'UNSUPPORTED':
    case 'INVALID_CURSOR':
      return new WireError(ErrorCode.InvalidParams, error.message, data);
    case 'UNKNOWN_RESOURCE':
      return new WireError(RESOURCE_NOT_FOUND, error.message, data);
    case 'UPSTREAM_ERROR':
      return new WireError(wireCode(error.upstreamCode), error.message, error.data);
    default:
      return new WireError(ErrorCode.InternalError, error.message, data);
  }
}
