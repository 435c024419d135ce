/**
 * tools/call to an upstream without the SDK Client's request machinery. A gateway is CPU-bound on the hot path,
 * and the SDK spends most of its per-call time on things a proxy does not need twice (two failing envelope
 * parses per message, an AbortController and timers per request, a zod parse of the whole result). This sends the
 * request on the connection's own transport with an id of our own (`smg-<n>`, which can never collide with the
 * SDK's numeric ids), and takes its progress notifications and its response off the transport before the SDK
 * sees them. Everything else (lists, resources, prompts, server-to-client requests) still goes through the Client.
 *
 * It keeps the SDK's semantics: a per-request timeout that progress resets, cancellation forwarded upstream as
 * notifications/cancelled (on abort and on timeout), and every pending call failed at once when the connection
 * closes. Errors are McpErrors with the SDK's codes, so Upstream maps them exactly like Client errors. The result is
 * checked against the MCP CallToolResult shape, so no malformed result ever reaches the pipeline's response stages.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
  type JSONRPCMessage,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';

export interface DirectCallOptions {
  /** Idle timeout: progress from the upstream resets it. */
  timeout: number;
  /** Total timeout, which progress does not reset (the SDK's maxTotalTimeout). */
  maxTotalTimeout?: number;
  signal?: AbortSignal;
  onprogress?: (progress: Progress) => void;
}

interface Pending {
  resolve: (result: CallToolResult) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  arm: () => void;
  onprogress?: (progress: Progress) => void;
  cleanup: () => void;
}

export class DirectCaller {
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private closed = false;

  /** Wraps the transport's handlers; call after the SDK Client has connected (it sets them in connect()). */
  constructor(private readonly transport: Transport) {
    const onmessage = transport.onmessage;
    const onclose = transport.onclose;
    transport.onmessage = (message, extra) => {
      if (!this.take(message)) onmessage?.call(transport, message, extra);
    };
    transport.onclose = () => {
      this.failAll(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
      onclose?.call(transport);
    };
  }

  get inFlight(): number {
    return this.pending.size;
  }

  call(
    params: { name: string; arguments: Record<string, unknown>; _meta?: Record<string, unknown> },
    opts: DirectCallOptions,
  ): Promise<CallToolResult> {
    if (this.closed) return Promise.reject(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    if (opts.signal?.aborted) return Promise.reject(asError(opts.signal.reason));
    const id = `smg-${++this.next}`;
    const message: JSONRPCMessage = {
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: opts.onprogress ? { ...params, _meta: { ...params._meta, progressToken: id } } : params,
    };
    return new Promise<CallToolResult>((resolve, reject) => {
      const cancel = (reason: unknown) => {
        this.transport
          .send({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: id, reason: String(reason) },
          })
          .catch(() => undefined);
      };
      const onAbort = () => {
        entry.cleanup();
        cancel(opts.signal?.reason ?? 'cancelled');
        reject(asError(opts.signal?.reason));
      };
      const onTimeout = () => {
        entry.cleanup();
        cancel(`timed out after ${opts.timeout} ms`);
        reject(new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: opts.timeout }));
      };
      const onTotalTimeout = () => {
        entry.cleanup();
        cancel(`still running after ${opts.maxTotalTimeout} ms`);
        reject(
          new McpError(ErrorCode.RequestTimeout, 'Maximum total timeout exceeded', {
            maxTotalTimeout: opts.maxTotalTimeout,
          }),
        );
      };
      const total = opts.maxTotalTimeout === undefined ? undefined : setTimeout(onTotalTimeout, opts.maxTotalTimeout);
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(onTimeout, opts.timeout),
        arm: () => entry.timer.refresh(),
        cleanup: () => {
          clearTimeout(entry.timer);
          clearTimeout(total);
          opts.signal?.removeEventListener('abort', onAbort);
          this.pending.delete(id);
        },
      };
      if (opts.onprogress) entry.onprogress = opts.onprogress;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, entry);
      this.transport.send(message).catch((error: unknown) => {
        if (!this.pending.has(id)) return;
        entry.cleanup();
        reject(asError(error));
      });
    });
  }

  /** Handles our own progress notifications and responses; returns false for everything else. */
  private take(message: JSONRPCMessage): boolean {
    if ('method' in message) {
      if (message.method !== 'notifications/progress' || 'id' in message) return false;
      const params = message.params as (Progress & { progressToken?: unknown }) | undefined;
      const token = params?.progressToken;
      if (typeof token !== 'string' || !token.startsWith('smg-')) return false;
      const entry = this.pending.get(token);
      if (entry) {
        entry.arm(); // progress resets the timeout, as resetTimeoutOnProgress does in the SDK
        const { progressToken: _token, ...progress } = params!;
        entry.onprogress?.(progress);
      }
      return true;
    }
    const id = message.id;
    if (typeof id !== 'string' || !id.startsWith('smg-')) return false;
    const entry = this.pending.get(id);
    if (!entry) return true; // a late answer to a call we already gave up on
    entry.cleanup();
    if ('error' in message) {
      entry.reject(new McpError(message.error.code, message.error.message, message.error.data));
      return true;
    }
    const parsed = CallToolResultSchema.safeParse(message.result);
    if (parsed.success) entry.resolve(message.result as CallToolResult);
    else
      entry.reject(
        new McpError(ErrorCode.InvalidParams, `Invalid tools/call result from upstream: ${parsed.error.message}`),
      );
    return true;
  }

  private failAll(error: McpError): void {
    this.closed = true;
    for (const entry of [...this.pending.values()]) {
      entry.cleanup();
      entry.reject(error);
    }
  }
}

/** An abort reason may be any value (the SDK passes the client's reason string); promises reject with Errors. */
function asError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : 'cancelled');
}
