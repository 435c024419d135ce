/**
 * JSON-RPC 2.0 envelope helpers for the transports, applied to every frame before anything else reads it.
 * `isJsonRpcMessage` is a structural check of the envelope, used by both stdio transports on every line. It accepts
 * exactly what the SDK's JSONRPCMessageSchema accepts for the envelope (jsonrpc "2.0"; a request or notification with a
 * string method and object params; a response with an id and an object result or an error with a numeric code and
 * a string message) at a fraction of a zod parse's cost. The SDK validates each method's params itself afterwards.
 * `refuseBatch` answers a batch (one answer per request) and `recoverRequestId` reads the id of an oversized request
 * from its first bytes (issue 15, class 12). All are pure and bounded; none throws.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is string | number {
  return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
}

export function isJsonRpcMessage(v: unknown): v is JSONRPCMessage {
  if (!isObject(v) || v.jsonrpc !== '2.0') return false;
  if ('method' in v) {
    if (typeof v.method !== 'string') return false;
    if (v.params !== undefined && !isObject(v.params)) return false;
    return !('id' in v) || isId(v.id);
  }
  if (!isId(v.id)) return false;
  if ('result' in v) return isObject(v.result) && !('error' in v);
  const e = v.error;
  return isObject(e) && typeof e.code === 'number' && Number.isInteger(e.code) && typeof e.message === 'string';
}

/** An error answer as written on the wire: id null where the request's id could not be read (JSON-RPC 2.0 §5). */
export interface WireErrorAnswer {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

/** The id an answer can carry: a string or an integer (MCP's RequestId), else undefined. */
export function readableId(v: unknown): string | number | undefined {
  return isId(v) ? v : undefined;
}

export const BATCH_REFUSED =
  'Invalid Request: JSON-RPC batches are not supported (MCP 2025-06-18 removed them): send each message on its own';

/**
 * The answers to a JSON-RPC batch, which MCP no longer accepts (2025-06-18 removed batching): every element that is
 * a request with a readable id gets its own -32600 with that id, so each request is answered exactly once and a
 * client can tell which failed. Notifications and responses are dropped (JSON-RPC never answers them; the caller
 * logs the counts). Elements that are none of these (not an object, an unreadable id) and an empty batch get ONE
 * -32600 with id null between them, not one each, so a batch of junk cannot multiply the output.
 */
export function refuseBatch(batch: readonly unknown[]): {
  answers: WireErrorAnswer[];
  notifications: number;
  responses: number;
  invalid: number;
} {
  const answers: WireErrorAnswer[] = [];
  let notifications = 0;
  let responses = 0;
  let invalid = 0;
  for (const el of batch) {
    if (!isObject(el)) invalid++;
    else if ('method' in el) {
      if (!('id' in el)) notifications++;
      else if (isId(el.id)) answers.push(batchAnswer(el.id));
      else invalid++;
    } else if (isId(el.id) && ('result' in el || 'error' in el)) responses++;
    else invalid++;
  }
  if (invalid > 0 || batch.length === 0) answers.push(batchAnswer(null));
  return { answers, notifications, responses, invalid };
}

function batchAnswer(id: string | number | null): WireErrorAnswer {
  return { jsonrpc: '2.0', id, error: { code: -32600, message: BATCH_REFUSED } };
}

/** How much of an oversized frame's start `recoverRequestId` reads: the envelope comes first in practice. */
export const ID_SCAN_BYTES = 64 * 1024;

/**
 * The id of a request whose frame was too large to parse, read from the frame's first bytes so that its refusal
 * can be answered to it rather than to id null. A bounded scan of the TOP-LEVEL object only: nested objects and
 * arrays are skipped with their strings, so an "id" inside params is never taken. The id is returned only when the
 * prefix also shows a top-level "method" and no "result" or "error": an oversized *response* (to a request the
 * gateway sent) must not be answered with its id, since the client would take that for the answer to one of its own
 * requests with the same number. Undefined whenever anything is unclear (the prefix ends inside the id, the id is
 * not a string or an integer, the text is not an object).
 */
export function recoverRequestId(prefix: string): string | number | undefined {
  const s = prefix.length > ID_SCAN_BYTES ? prefix.slice(0, ID_SCAN_BYTES) : prefix;
  let i = skipWs(s, 0);
  if (s[i] !== '{') return undefined;
  i++;
  let id: string | number | undefined;
  let method = false;
  let response = false;
  for (;;) {
    i = skipWs(s, i);
    if (s[i] !== '"') break; // the end of the object, or of the prefix, or not JSON
    const keyEnd = stringEnd(s, i);
    if (keyEnd === -1) break;
    let key: unknown;
    try {
      key = JSON.parse(s.slice(i, keyEnd));
    } catch {
      return undefined;
    }
    i = skipWs(s, keyEnd);
    if (s[i] !== ':') return undefined;
    i = skipWs(s, i + 1);
    // The key alone says what the frame is, even when its value runs past the prefix.
    if (key === 'method') method = true;
    else if (key === 'result' || key === 'error') response = true;
    const valueEnd = skipValue(s, i);
    if (valueEnd === -1) break;
    if (key === 'id') {
      try {
        id = readableId(JSON.parse(s.slice(i, valueEnd)));
      } catch {
        id = undefined;
      }
    }
    i = skipWs(s, valueEnd);
    if (s[i] !== ',') break;
    i++;
  }
  return method && !response ? id : undefined;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

/** The index after the JSON string that opens at `i`, or -1 when the text ends first. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return -1;
}

/**
 * The index after the JSON value that starts at `i`, or -1 when the text ends inside it. A number or a literal ends
 * only at a delimiter, so a prefix cut inside "123" never reads as 12.
 */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === undefined) return -1;
  if (c === '"') return stringEnd(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') {
        j = stringEnd(s, j);
        if (j === -1) return -1;
        j--;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length && /[-+.\w]/.test(s[j]!)) j++;
  return j < s.length && j > i ? j : -1;
}
