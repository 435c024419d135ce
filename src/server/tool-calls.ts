/**
 * tools/call from the client, taken off the transport before the SDK Server sees it. The SDK's request path costs
 * more CPU than the whole pipeline (a zod parse of the request and again of the result, an AbortController and a
 * handler chain per request), and a gateway on a laptop is CPU-bound at concurrency. This keeps the protocol's
 * rules for the one method that is hot:
 * - params are checked (`name` a string, `arguments` an object) and a bad request gets -32602;
 * - a second request with the id of one still in flight never gets here: the protocol guard (protocol-guard.ts),
 *   installed outside this, refuses it for every method;
 * - `notifications/cancelled` for an in-flight call aborts it, and a cancelled call gets no answer;
 * - progress goes out with the client's own token, related to the request (for transports that route by it);
 * - the rest of the request's `_meta` is kept for the upstream (the progress token is the gateway's to map);
 * - the answer is a result or a JSON-RPC error built by to-wire.ts, sent once.
 * Works on any Transport: it wraps `onmessage` after the SDK Server has connected.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  type CallToolResult,
  type JSONRPCMessage,
  type Progress,
  type ProgressToken,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { Cancel } from '../upstream/direct-call.js';
import { WireError, toWireError } from './to-wire.js';

export interface ToolCallRequest {
  /** The JSON-RPC id, so that requests the gateway sends while serving the call (elicitation) can relate to it. */
  requestId: RequestId;
  name: string;
  arguments: Record<string, unknown>;
  progressToken?: ProgressToken;
  /** The request's `_meta` without `progressToken`, passed to the upstream as it is. */
  meta?: Record<string, unknown>;
  /** The call's AbortSignal, made when first read (see `cancel`). */
  readonly signal: AbortSignal;
  /** The same cancellation without an AbortSignal, for the hot path (upstream/direct-call.ts `Cancel`). */
  cancel: Cancel;
  /** Sends notifications/progress with the client's token; resolves when written. */
  sendProgress(progress: Progress): Promise<void>;
}

export type ToolCallHandler = (call: ToolCallRequest) => Promise<CallToolResult>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type ParsedParams = Omit<ToolCallRequest, 'requestId' | 'signal' | 'cancel' | 'sendProgress'>;

function parseParams(params: unknown): ParsedParams {
  if (!isObject(params))
    throw new WireError(ErrorCode.InvalidParams, 'Invalid tools/call request: params must be an object');
  const { name, arguments: args, _meta } = params;
  if (typeof name !== 'string')
    throw new WireError(ErrorCode.InvalidParams, 'Invalid tools/call request: name must be a string');
  if (args !== undefined && !isObject(args))
    throw new WireError(ErrorCode.InvalidParams, 'Invalid tools/call request: arguments must be an object');
  const token = isObject(_meta) ? _meta.progressToken : undefined;
  const out: ParsedParams = { name, arguments: args ?? {} };
  if (typeof token === 'string' || (typeof token === 'number' && Number.isInteger(token))) out.progressToken = token;
  const meta = passThroughMeta(_meta);
  if (meta) out.meta = meta;
  return out;
}

/** A request's `_meta` for the upstream: everything but `progressToken` (the gateway sends its own); undefined if empty. */
export function passThroughMeta(meta: unknown): Record<string, unknown> | undefined {
  if (!isObject(meta)) return undefined;
  const { progressToken: _, ...rest } = meta;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * One call's cancellation (see `Cancel`): plain callbacks, and an AbortController only once something reads
 * `signal` (a remote guardrail provider, an approval prompt, an upstream that is not connected yet).
 */
export class CallCancel implements Cancel {
  private controller: AbortController | undefined;
  private listeners: Set<() => void> | undefined;
  aborted = false;
  reason: unknown;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  onAbort(listener: () => void): () => void {
    let fired = false;
    const once = () => {
      if (fired) return;
      fired = true;
      listener();
    };
    (this.listeners ??= new Set()).add(once);
    return () => this.listeners?.delete(once);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const l of listeners) l();
    this.controller?.abort(reason);
  }
}

export function interceptToolCalls(transport: Transport, handle: ToolCallHandler): void {
  const inflight = new Map<RequestId, CallCancel>();
  const onmessage = transport.onmessage;

  const send = (message: JSONRPCMessage, relatedRequestId: RequestId) =>
    transport.send(message, { relatedRequestId }).catch(() => undefined);

  const run = (id: RequestId, params: unknown) => {
    const cancel = new CallCancel();
    inflight.set(id, cancel);
    void (async () => {
      let reply: JSONRPCMessage;
      try {
        const parsed = parseParams(params);
        const token = parsed.progressToken;
        const result = await handle({
          ...parsed,
          requestId: id,
          cancel,
          get signal() {
            return cancel.signal;
          },
          sendProgress: (p) =>
            token === undefined
              ? Promise.resolve()
              : send({ jsonrpc: '2.0', method: 'notifications/progress', params: { ...p, progressToken: token } }, id),
        });
        reply = { jsonrpc: '2.0', id, result };
      } catch (error) {
        const e = toWireError(error);
        reply = {
          jsonrpc: '2.0',
          id,
          error: { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) },
        };
      }
      if (inflight.get(id) === cancel) inflight.delete(id);
      if (!cancel.aborted) await send(reply, id);
    })();
  };

  transport.onmessage = (message, extra) => {
    if ('method' in message) {
      if (message.method === 'tools/call' && 'id' in message) return run(message.id, message.params);
      if (message.method === 'notifications/cancelled' && !('id' in message)) {
        const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        const cancel = requestId === undefined ? undefined : inflight.get(requestId);
        if (cancel) {
          inflight.delete(requestId!);
          cancel.abort((message.params as { reason?: unknown }).reason ?? 'cancelled by the client');
          return;
        }
      }
    }
    onmessage?.call(transport, message, extra);
  };
}
