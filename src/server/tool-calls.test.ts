import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import {
  CallCancel,
  interceptToolCalls,
  passThroughMeta,
  type ToolCallHandler,
  type ToolCallRequest,
} from './tool-calls.js';

function harness(handle: ToolCallHandler) {
  const sent: JSONRPCMessage[] = [];
  const passed: JSONRPCMessage[] = [];
  const transport: Transport = {
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
    send: (m) => {
      sent.push(m);
      return Promise.resolve();
    },
    onmessage: (m) => passed.push(m),
  };
  interceptToolCalls(transport, handle);
  const deliver = (m: unknown) => transport.onmessage!(m as JSONRPCMessage);
  const settle = () => new Promise((r) => setTimeout(r, 5));
  return { sent, passed, deliver, settle };
}

const ok: ToolCallHandler = (c) => Promise.resolve({ content: [{ type: 'text', text: `ran ${c.name}` }] });

describe('interceptToolCalls', () => {
  it('answers tools/call itself and passes every other message to the SDK', async () => {
    const h = harness(ok);
    h.deliver({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a__b', arguments: { x: 1 } } });
    h.deliver({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await h.settle();
    expect(h.sent).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'ran a__b' }] } }]);
    expect(h.passed).toEqual([{ jsonrpc: '2.0', id: 2, method: 'tools/list' }]);
  });

  it.each([
    [undefined, /params must be an object/],
    [{ arguments: {} }, /name must be a string/],
    [{ name: 5 }, /name must be a string/],
    [{ name: 'x', arguments: [1] }, /arguments must be an object/],
    [{ name: 'x', arguments: 'a=1' }, /arguments must be an object/],
  ])('rejects params %j with -32602', async (params, message) => {
    const h = harness(ok);
    h.deliver({ jsonrpc: '2.0', id: 'r', method: 'tools/call', params });
    h.deliver({ jsonrpc: '2.0', id: 'r2', method: 'tools/call', params });
    await h.settle();
    expect(h.sent).toHaveLength(2);
    expect(h.sent[0]).toMatchObject({ id: 'r', error: { code: -32602, message: expect.stringMatching(message) } });
  });

  it('aborts a cancelled call and never answers it', async () => {
    let seen: ToolCallRequest | undefined;
    const h = harness(
      (c) =>
        new Promise((_resolve, reject) => {
          seen = c;
          c.signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    );
    h.deliver({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'slow' } });
    h.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'user' } });
    await h.settle();
    expect(seen?.signal.aborted).toBe(true);
    expect(seen?.signal.reason).toBe('user');
    expect(seen?.requestId).toBe(3);
    expect(h.sent).toEqual([]);
    expect(h.passed).toEqual([]);
  });

  it('aborts a cancelled call through its plain cancel hook, without any AbortSignal', async () => {
    let seen: ToolCallRequest | undefined;
    const h = harness(
      (c) =>
        new Promise((_resolve, reject) => {
          seen = c;
          c.cancel.onAbort(() => reject(new Error('aborted')));
        }),
    );
    h.deliver({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'slow' } });
    h.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 4, reason: 'user' } });
    await h.settle();
    expect(seen?.cancel).toMatchObject({ aborted: true, reason: 'user' });
    // The signal read only now is made aborted, with the reason.
    expect(seen?.signal.aborted).toBe(true);
    expect(seen?.signal.reason).toBe('user');
    expect(h.sent).toEqual([]);
  });

  it('sends progress with the client token, related to the request', async () => {
    const h = harness(async (c) => {
      await c.sendProgress({ progress: 1, total: 2 });
      return { content: [] };
    });
    h.deliver({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'p', _meta: { progressToken: 'tok' } } });
    await h.settle();
    expect(h.sent[0]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progress: 1, total: 2, progressToken: 'tok' },
    });
    expect(h.sent[1]).toMatchObject({ id: 9, result: {} });
  });

  it('maps a local error to its JSON-RPC error', async () => {
    const h = harness(() => Promise.reject(new GatewayError('UNKNOWN_TOOL', 'Unknown tool: nope')));
    h.deliver({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'nope' } });
    await h.settle();
    expect(h.sent).toEqual([
      { jsonrpc: '2.0', id: 4, error: { code: -32602, message: 'Unknown tool: nope', data: { code: 'UNKNOWN_TOOL' } } },
    ]);
  });
});

describe('passThroughMeta', () => {
  it.each([
    [
      'keeps every key but the progress token',
      { progressToken: 7, 'example.com/trace': 'x' },
      { 'example.com/trace': 'x' },
    ],
    ['is empty for only a progress token', { progressToken: 'p' }, undefined],
    ['is empty for no _meta', undefined, undefined],
    ['ignores a _meta that is not an object', 'text', undefined],
    ['ignores an array', ['a'], undefined],
  ])('%s', (_, meta, expected) => {
    expect(passThroughMeta(meta)).toEqual(expected);
  });
});

describe('CallCancel', () => {
  it.each([
    ['read before the abort', true],
    ['read after the abort', false],
  ])('makes its AbortSignal only when read, aborted with the reason (%s)', (_, early) => {
    const c = new CallCancel();
    expect((c as unknown as { controller?: AbortController }).controller).toBeUndefined();
    const before = early ? c.signal : undefined;
    c.abort('stop');
    const signal = before ?? c.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('stop');
    expect(c.signal).toBe(signal);
  });

  it('calls each listener once, not after it unregistered, and ignores a second abort', () => {
    const c = new CallCancel();
    const calls: string[] = [];
    c.onAbort(() => calls.push('a'));
    const off = c.onAbort(() => calls.push('b'));
    off();
    c.abort('x');
    c.abort('y');
    expect(calls).toEqual(['a']);
    expect(c.reason).toBe('x');
  });
});
