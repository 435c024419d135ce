import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isJsonRpcMessage } from './jsonrpc.js';

describe('isJsonRpcMessage agrees with the SDK schema', () => {
  it.each([
    { jsonrpc: '2.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x' } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, result: {} },
    { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'bad' } },
    { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'bad', data: { x: 1 } } },
    { jsonrpc: '1.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: { x: 1 }, method: 'ping' },
    { jsonrpc: '2.0', id: 1.5, method: 'ping' },
    { jsonrpc: '2.0', id: 1, method: 5 },
    { jsonrpc: '2.0', id: 1, method: 'x', params: [1, 2] },
    { jsonrpc: '2.0', id: 1 },
    { jsonrpc: '2.0', id: 1, result: 5 },
    { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'bad' } },
    { jsonrpc: '2.0', id: null, error: { code: 1, message: 'bad' } },
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
    'string',
    42,
    null,
  ])('%j', (v) => {
    const sdk = JSONRPCMessageSchema.safeParse(v).success;
    expect(isJsonRpcMessage(v)).toBe(sdk);
    expect(isJsonRpcMessage(v)).toBe(sdk);
  });
});
