/**
 * The AI proxy's refusals in the caller's own wire format, so that an OpenAI or Anthropic SDK raises its usual
 * error class with a message that says what happened. OpenAI: `{"error": {message, type, code, param}}`; Anthropic:
 * `{"type": "error", "error": {type, message}}`. A guardrail's block carries its rule in `error.rule` (and OpenAI's
 * `code`) and the detections at the top level. Messages never hold a key: the callers build them from rule reasons
 * and provider errors, which are scrubbed where they are made.
 */
import type { ChatDetection } from './chat-guard.js';

export type WireFormat = 'openai' | 'anthropic';

/** What went wrong, independent of the format. */
export type RefusalKind =
  | 'invalid' // a request the proxy cannot read (400)
  | 'blocked' // a guardrail or an argument rule (400)
  | 'auth' // no, bad or revoked credentials (401)
  | 'forbidden' // a deployment the caller's role may not use (403)
  | 'denied' // credentials that are valid but do not admit the caller (403: an SSO user of no project)
  | 'not-found' // no such deployment or route (404)
  | 'too-large' // a body over serve.maxBodyBytes (413)
  | 'limited' // a rate limit or budget (429)
  | 'provider' // the provider failed after the fallbacks (502, 429 or 504 by `status`)
  | 'unavailable'; // the gateway cannot check or serve now (503)

export interface Refusal {
  kind: RefusalKind;
  status: number;
  message: string;
  /** The rule that decided it (guardrails, limits). */
  rule?: string;
  detections?: ChatDetection[];
  retryAfterS?: number;
}

const STATUS: Record<RefusalKind, number> = {
  invalid: 400,
  blocked: 400,
  auth: 401,
  forbidden: 403,
  denied: 403,
  'not-found': 404,
  'too-large': 413,
  limited: 429,
  provider: 502,
  unavailable: 503,
};

export function refusal(kind: RefusalKind, message: string, extra: Partial<Omit<Refusal, 'kind'>> = {}): Refusal {
  return { kind, status: STATUS[kind], message, ...extra };
}

export const BLOCKED_TYPE = 'secure_mcp_gateway_blocked';

const OPENAI_TYPE: Record<RefusalKind, string> = {
  invalid: 'invalid_request_error',
  blocked: BLOCKED_TYPE,
  auth: 'invalid_request_error',
  forbidden: 'invalid_request_error',
  denied: 'invalid_request_error',
  'not-found': 'invalid_request_error',
  'too-large': 'invalid_request_error',
  limited: 'rate_limit_exceeded',
  provider: 'api_error',
  unavailable: 'api_error',
};

const ANTHROPIC_TYPE: Record<RefusalKind, string> = {
  invalid: 'invalid_request_error',
  blocked: BLOCKED_TYPE,
  auth: 'authentication_error',
  forbidden: 'permission_error',
  denied: 'permission_error',
  'not-found': 'not_found_error',
  'too-large': 'request_too_large',
  limited: 'rate_limit_error',
  provider: 'api_error',
  unavailable: 'overloaded_error',
};

const OPENAI_CODE: Partial<Record<RefusalKind, string>> = {
  auth: 'invalid_api_key',
  forbidden: 'model_not_allowed',
  denied: 'permission_denied',
  'not-found': 'model_not_found',
};

/** The `error` object of a refusal (also the payload of a stream's error event). */
export function errorObject(format: WireFormat, r: Refusal): Record<string, unknown> {
  const rule = r.rule === undefined ? {} : { rule: r.rule };
  if (format === 'anthropic') return { type: ANTHROPIC_TYPE[r.kind], message: r.message, ...rule };
  return {
    message: r.message,
    type: OPENAI_TYPE[r.kind],
    code: r.rule ?? OPENAI_CODE[r.kind] ?? null,
    param: r.kind === 'not-found' || r.kind === 'forbidden' ? 'model' : null,
    ...rule,
  };
}

/** The whole error body of a refused request. */
export function errorBody(format: WireFormat, r: Refusal): Record<string, unknown> {
  const detections = r.detections === undefined ? {} : { secure_mcp_gateway_detections: r.detections };
  return format === 'anthropic'
    ? { type: 'error', error: errorObject(format, r), ...detections }
    : { error: errorObject(format, r), ...detections };
}

/** The SSE text that ends a stream with a refusal: OpenAI's `data: {"error": …}`, Anthropic's `event: error`. */
export function streamErrorEvent(format: WireFormat, r: Refusal): string {
  if (format === 'anthropic')
    return `event: error\ndata: ${JSON.stringify({ type: 'error', error: errorObject(format, r) })}\n\n`;
  return `data: ${JSON.stringify({ error: errorObject(format, r) })}\n\n`;
}

/** The detections of a streamed answer, as an SSE comment (clients ignore comments; a reader can parse it). */
export function detectionsComment(detections: readonly ChatDetection[]): string {
  return `: secure_mcp_gateway_detections ${JSON.stringify(detections)}\n\n`;
}
