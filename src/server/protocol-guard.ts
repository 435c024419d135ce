/**
 * Every client request gets exactly one answer (issue 15, class 12). A wrapper around any server-side Transport,
 * installed by gateway.ts's connect() after the SDK Server and the tools/call interception, so it is the first to
 * see each incoming message and the last to see each outgoing one. It matches, on client → gateway requests:
 * - a request whose id is still in flight (any method): -32600 with that id, and the request never runs. The first
 *   request keeps its single answer. JSON-RPC ids must be unique among a sender's open requests; one that is reused
 *   would have its answer taken for the other's, so the reuse is refused where it can be named (the answer carries
 *   the id, as JSON-RPC requires whenever the id can be read). An id is free again when its answer is sent, or when
 *   the client cancels it (a cancelled request gets no answer: MCP cancellation).
 * - a request other than `initialize` and `ping` before `initialize` arrived: -32000 "Server not initialized"
 *   at once, instead of waiting forever for upstreams that only start at `initialize`. MCP lifecycle (2025-06-18,
 *   basic/lifecycle): "The client SHOULD NOT send requests other than pings before the server has responded to the
 *   initialize request". The code and text are the SDK's own for the same case (StreamableHTTPServerTransport:
 *   400, -32000 "Bad Request: Server not initialized"); -32002 is not used because MCP gives it to "Resource not
 *   found", which a client would misread.
 * Refusals are written with the transport's own send, past this wrapper, so they never free the id they refuse.
 * Frames refused below JSON-RPC (a batch, an oversized line, see stdio-transport.ts) are logged here through the
 * transport's `onrefused` hook when it has one. Failure mode: a refusal that cannot be written is dropped (the
 * client is gone); nothing here throws into the transport.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';

/** JSON-RPC 2.0 §5.1 leaves -32000..-32099 to the server; the SDK answers "not initialized" with -32000. */
export const NOT_INITIALIZED = -32000;

/** What a transport reports about a frame it refused before it became a JSON-RPC message. */
export type RefusedFrameHook = (what: string, fields: Record<string, unknown>) => void;

export type GuardableTransport = Transport & { onrefused?: RefusedFrameHook };

function idKey(id: RequestId): string {
  return typeof id === 'string' ? `s:${id}` : `n:${id}`;
}

export function guardProtocol(transport: GuardableTransport, log: Logger): void {
  const inFlight = new Set<string>();
  /** initialize has arrived (and was not answered with an error). */
  let initialized = false;
  /** An initialize was answered with a result: from then on the session stays initialised. */
  let succeeded = false;
  let initializeId: string | undefined;
  const onmessage = transport.onmessage;
  const send = transport.send.bind(transport);

  const refuse = (id: RequestId, code: number, message: string) => {
    send({ jsonrpc: '2.0', id, error: { code, message } }, { relatedRequestId: id }).catch(() => undefined);
  };

  transport.onrefused = (what, fields) => log.warn({ event: 'protocol.refused', ...fields }, what);

  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if ('method' in message) {
      if ('id' in message) {
        const key = idKey(message.id);
        if (inFlight.has(key)) {
          log.warn({ event: 'protocol.duplicate-id', id: message.id, method: message.method }, 'duplicate request id');
          return refuse(
            message.id,
            ErrorCode.InvalidRequest,
            `Invalid Request: id ${JSON.stringify(message.id)} is already in use by a request in flight`,
          );
        }
        if (message.method === 'initialize') {
          initialized = true;
          initializeId = key;
        } else if (!initialized && message.method !== 'ping') {
          log.warn(
            { event: 'protocol.not-initialized', id: message.id, method: message.method },
            'request before initialize',
          );
          return refuse(
            message.id,
            NOT_INITIALIZED,
            `Server not initialized: send initialize before ${JSON.stringify(message.method)} (only ping may come first)`,
          );
        }
        inFlight.add(key);
      } else if (message.method === 'notifications/cancelled') {
        const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
        if (typeof id === 'string' || typeof id === 'number') inFlight.delete(idKey(id));
      }
    }
    onmessage?.call(transport, message, extra);
  };

  transport.send = (message, options) => {
    if (!('method' in message) && message.id !== undefined) {
      const key = idKey(message.id);
      inFlight.delete(key);
      // A failed first initialize leaves the session uninitialised: the client may try again, and nothing else may
      // run. A failed later one (a client re-sending initialize) changes nothing: the session it has stays.
      if (key === initializeId) {
        if ('result' in message) succeeded = true;
        else if (!succeeded) initialized = false;
      }
    }
    return send(message, options);
  };
}
