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
 * checked against the MCP CallToolResult shape (call-result.ts: the SDK schema's verdict, mostly without a zod
 * parse), so no malformed result ever reaches the pipeline's response stages. The timeouts of all pending calls
 * share one timer (see `timer`) rather than two timers per call.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  type CallToolResult,
  type JSONRPCMessage,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { checkCallToolResult } from './call-result.js';

export interface DirectCallOptions {
  /** Idle timeout: progress from the upstream resets it. */
  timeout: number;
  /** Total timeout, which progress does not reset (the SDK's maxTotalTimeout). */
  maxTotalTimeout?: number;
  signal?: AbortSignal;
  /** The call's cancellation without an AbortSignal (server/tool-calls.ts); used instead of `signal` when given. */
  cancel?: Cancel;
  onprogress?: (progress: Progress) => void;
}

/**
 * A cancellation that costs nothing until it is used. Node makes an AbortSignal, and the first 'abort' listener on
 * it, at about 5-10 µs per call (an EventTarget set up per signal), which a tools/call that is never cancelled does
 * not need: `onAbort` registers a plain callback, and `signal` makes the AbortSignal only for a reader that wants one.
 */
export interface Cancel {
  readonly aborted: boolean;
  readonly reason: unknown;
  readonly signal: AbortSignal;
  /** Calls `listener` once when the call is cancelled; returns the function that unregisters it. */
  onAbort(listener: () => void): () => void;
}

/** An AbortSignal seen as a Cancel. */
function signalCancel(signal: AbortSignal): Cancel {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason(): unknown {
      return signal.reason as unknown;
    },
    signal,
    onAbort(listener) {
      signal.addEventListener('abort', listener, { once: true });
      return () => signal.removeEventListener('abort', listener);
    },
  };
}

interface Pending {
  resolve: (result: CallToolResult) => void;
  reject: (error: unknown) => void;
  /** When the idle timeout ends the call (performance.now() ms); progress moves it. */
  deadline: number;
  /** When the total timeout ends it, progress or not; Infinity without maxTotalTimeout. */
  totalDeadline: number;
  opts: DirectCallOptions;
  onprogress?: (progress: Progress) => void;
  cleanup: () => void;
}

export class DirectCaller {
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private closed = false;
  /**
   * One timer for every pending call, armed for the earliest deadline, instead of two timers per call: a sequential
   * stream of calls finds it armed (for the first call's deadline, which is earlier than theirs) and costs nothing.
   * When it fires it ends the calls that are due and re-arms for the next deadline. It holds the process open only
   * while a call is pending, as the per-call timers did.
   */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

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
    const cancel = opts.cancel ?? (opts.signal ? signalCancel(opts.signal) : undefined);
    if (cancel?.aborted) return Promise.reject(asError(cancel.reason));
    const id = `smg-${++this.next}`;
    const message: JSONRPCMessage = {
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: opts.onprogress ? { ...params, _meta: { ...params._meta, progressToken: id } } : params,
    };
    return new Promise<CallToolResult>((resolve, reject) => {
      const onAbort = () => {
        entry.cleanup();
        this.cancelUpstream(id, cancel?.reason ?? 'cancelled');
        reject(asError(cancel?.reason));
      };
      const now = performance.now();
      const entry: Pending = {
        resolve,
        reject,
        deadline: now + opts.timeout,
        totalDeadline: opts.maxTotalTimeout === undefined ? Infinity : now + opts.maxTotalTimeout,
        opts,
        cleanup: () => {
          unlisten?.();
          this.pending.delete(id);
          // Nothing left to time: the armed timer may fire later, but it no longer keeps the process alive.
          if (this.pending.size === 0) this.timer?.unref();
        },
      };
      if (opts.onprogress) entry.onprogress = opts.onprogress;
      const unlisten = cancel?.onAbort(onAbort);
      this.pending.set(id, entry);
      this.arm(Math.min(entry.deadline, entry.totalDeadline));
      this.transport.send(message).catch((error: unknown) => {
        if (!this.pending.has(id)) return;
        entry.cleanup();
        reject(asError(error));
      });
    });
  }

  /** Makes sure the timer fires by `at`; a timer already due earlier only needs to hold the process open again. */
  private arm(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) {
      this.timer.ref();
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.sweep, Math.max(1, Math.ceil(at - performance.now())));
  }

  /** Ends every call whose deadline has passed (cancelling it upstream), then re-arms for the next one. */
  private readonly sweep = () => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [id, entry] of [...this.pending]) {
      const { opts } = entry;
      if (now >= entry.totalDeadline) {
        entry.cleanup();
        this.cancelUpstream(id, `still running after ${opts.maxTotalTimeout} ms`);
        entry.reject(
          new McpError(ErrorCode.RequestTimeout, 'Maximum total timeout exceeded', {
            maxTotalTimeout: opts.maxTotalTimeout,
          }),
        );
      } else if (now >= entry.deadline) {
        entry.cleanup();
        this.cancelUpstream(id, `timed out after ${opts.timeout} ms`);
        entry.reject(new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: opts.timeout }));
      } else next = Math.min(next, entry.deadline, entry.totalDeadline);
    }
    if (next !== Infinity) this.arm(next);
  };

  /** notifications/cancelled for a call we gave up on, so the upstream can stop working on it. */
  private cancelUpstream(id: string, reason: unknown): void {
    this.transport
      .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: String(reason) } })
      .catch(() => undefined);
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
        // Progress resets the idle timeout, as resetTimeoutOnProgress does in the SDK. The deadline only moves
        // later, so the armed timer (due no later than before) still fires in time and re-arms from there.
        entry.deadline = performance.now() + entry.opts.timeout;
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
    const checked = checkCallToolResult(message.result);
    if (checked.ok) entry.resolve(message.result as CallToolResult);
    else
      entry.reject(new McpError(ErrorCode.InvalidParams, `Invalid tools/call result from upstream: ${checked.error}`));
    return true;
  }

  private failAll(error: McpError): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
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
