/**
 * A structural check of the JSON-RPC 2.0 envelope, used by both stdio transports on every line. It accepts exactly
 * what the SDK's JSONRPCMessageSchema accepts for the envelope (jsonrpc "2.0"; a request or notification with a
 * string method and object params; a response with an id and an object result or an error with a numeric code and
 * a string message) at a fraction of a zod parse's cost. The SDK validates each method's params itself afterwards.
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
