import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ListToolsRequestSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { guardProtocol, NOT_INITIALIZED, type GuardableTransport } from './protocol-guard.js';
import { interceptToolCalls } from './tool-calls.js';

const silent = pino({ level: 'silent' });

/** A transport that records what is sent, with the guard installed over a handler that records what passed. */
function harness(log = silent) {
  const sent: JSONRPCMessage[] = [];
  const passed: JSONRPCMessage[] = [];
  const transport: GuardableTransport = {
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
    send: (m) => {
      sent.push(m);
      return Promise.resolve();
    },
    onmessage: (m) => passed.push(m),
  };
  guardProtocol(transport, log);
  const deliver = (m: object) => transport.onmessage!(m as JSONRPCMessage);
  const answer = (id: string | number, extra: object = { result: {} }) =>
    transport.send({ jsonrpc: '2.0', id, ...extra } as JSONRPCMessage);
  return { transport, sent, passed, deliver, answer };
}

const init = (id: string | number = 0) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});
const req = (id: string | number, method = 'tools/list', params?: object) => ({
  jsonrpc: '2.0',
  id,
  method,
  ...(params ? { params } : {}),
});
const idsOf = (ms: JSONRPCMessage[]) => ms.map((m) => ('id' in m ? m.id : undefined));

describe('guardProtocol: requests before initialize', () => {
  it.each(['tools/list', 'tools/call', 'resources/read', 'prompts/get', 'completion/complete', 'no/such-method'])(
    'answers %s before initialize at once with -32000, and never runs it',
    (method) => {
      const h = harness();
      h.deliver(req(1, method));
      h.deliver(req(2, method));
      expect(h.passed).toEqual([]);
      expect(h.sent).toEqual(
        [1, 2].map((id) => ({
          jsonrpc: '2.0',
          id,
          error: {
            code: NOT_INITIALIZED,
            message: expect.stringMatching(/^Server not initialized: send initialize before/),
          },
        })),
      );
    },
  );

  it('lets ping and notifications through before initialize, and everything after it', () => {
    const h = harness();
    h.deliver(req('p', 'ping'));
    h.deliver({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    h.deliver(init(0));
    h.deliver(req(1));
    expect(h.sent).toEqual([]);
    expect(idsOf(h.passed)).toEqual(['p', undefined, 0, 1]);
  });

  it('refuses again after an initialize that failed, and accepts a retry', async () => {
    const h = harness();
    h.deliver(init(0));
    await h.answer(0, { error: { code: -32602, message: 'bad version' } });
    h.deliver(req(1));
    expect(h.sent.at(-1)).toMatchObject({ id: 1, error: { code: NOT_INITIALIZED } });
    h.deliver(init(2));
    await h.answer(2);
    h.deliver(req(3));
    expect(idsOf(h.passed)).toEqual([0, 2, 3]);
    // Once initialised, a later initialize that fails (found by the client fuzzer) leaves the session as it is.
    h.deliver(init(4));
    await h.answer(4, { error: { code: -32602, message: 'bad params' } });
    h.deliver(req(5));
    expect(idsOf(h.passed)).toEqual([0, 2, 3, 4, 5]);
  });
});

describe('guardProtocol: one answer per id', () => {
  it.each([
    ['a number', 7, 'tools/list'],
    ['a string', 'x-1', 'resources/read'],
    ['a ping', 'p', 'ping'],
    ['a tools/call', 9, 'tools/call'],
  ])(
    'refuses a duplicate in-flight id (%s) with -32600 and that id, and the first keeps its answer',
    async (_n, id, method) => {
      const h = harness();
      h.deliver(init());
      h.deliver(req(id, method));
      h.deliver(req(id, method));
      h.deliver(req(id, 'ping'));
      expect(idsOf(h.passed)).toEqual([0, id]);
      expect(h.sent).toEqual([
        {
          jsonrpc: '2.0',
          id,
          error: { code: -32600, message: expect.stringMatching(/already in use by a request in flight/) },
        },
        { jsonrpc: '2.0', id, error: { code: -32600, message: expect.stringMatching(/already in use/) } },
      ]);
      // The refusals did not free the id: a third copy is still refused, until the first is answered.
      h.deliver(req(id, method));
      expect(h.sent).toHaveLength(3);
      await h.answer(id);
      h.deliver(req(id, method));
      expect(idsOf(h.passed)).toEqual([0, id, id]);
    },
  );

  // Held out: written after the guard was done, and passed without a change to it.
  it('held out: refuses a second initialize with the id of one in flight, and frees it once answered', async () => {
    const h = harness();
    h.deliver(init(0));
    h.deliver(init(0));
    expect(h.sent).toEqual([expect.objectContaining({ id: 0, error: expect.objectContaining({ code: -32600 }) })]);
    await h.answer(0);
    h.deliver(req(0));
    expect(idsOf(h.passed)).toEqual([0, 0]);
  });

  it('held out: a cancel for an id never seen, or of a wrong type, frees nothing', () => {
    const h = harness();
    h.deliver(init());
    h.deliver(req(1));
    h.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: '1' } });
    h.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: { id: 1 } } });
    h.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled' });
    h.deliver(req(1));
    expect(h.sent).toEqual([expect.objectContaining({ id: 1, error: expect.objectContaining({ code: -32600 }) })]);
  });

  it('keeps numeric and string ids apart', () => {
    const h = harness();
    h.deliver(init());
    h.deliver(req(1));
    h.deliver(req('1'));
    expect(idsOf(h.passed)).toEqual([0, 1, '1']);
    expect(h.sent).toEqual([]);
  });

  it('frees an id when the client cancels it (a cancelled request is not answered)', () => {
    const h = harness();
    h.deliver(init());
    h.deliver(req(5));
    h.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5 } });
    h.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: {} });
    h.deliver(req(5));
    expect(h.sent).toEqual([]);
    expect(idsOf(h.passed)).toEqual([0, 5, undefined, undefined, 5]);
  });

  it('does not take a request the gateway sends, or a response the client sends, for an answer', async () => {
    const h = harness();
    h.deliver(init());
    h.deliver(req(3));
    await h.transport.send({ jsonrpc: '2.0', id: 3, method: 'sampling/createMessage', params: {} });
    h.deliver({ jsonrpc: '2.0', id: 3, result: {} });
    h.deliver(req(3));
    expect(h.sent.at(-1)).toMatchObject({ id: 3, error: { code: -32600 } });
  });

  it('logs each refusal and the frames the transport refused', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const h = harness(log);
    h.deliver(req(1));
    h.deliver(init());
    h.deliver(req(2));
    h.deliver(req(2));
    h.transport.onrefused!('JSON-RPC batch refused', { reason: 'batch', elements: 3 });
    expect(lines.map((l) => l.event)).toEqual([
      'protocol.not-initialized',
      'protocol.duplicate-id',
      'protocol.refused',
    ]);
    expect(lines[2]).toMatchObject({ reason: 'batch', elements: 3 });
  });
});

describe('guardProtocol over the SDK Server and the tools/call interception', () => {
  async function wired(slowCall: Promise<void>) {
    const server = new Server({ name: 'g', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    interceptToolCalls(serverSide, async () => {
      await slowCall;
      return { content: [{ type: 'text', text: 'done' }] };
    });
    guardProtocol(serverSide, silent);
    const got: JSONRPCMessage[] = [];
    clientSide.onmessage = (m) => got.push(m);
    await clientSide.start();
    const send = (m: object) => clientSide.send(m as JSONRPCMessage);
    const settle = () => new Promise((r) => setTimeout(r, 10));
    return { got, send, settle };
  }

  it('answers every request exactly once: before initialize, duplicates of a slow call, and the call itself', async () => {
    let release!: () => void;
    const h = await wired(new Promise<void>((r) => (release = r)));
    await h.send(req('early'));
    await h.send(req('p', 'ping'));
    await h.send(init(0));
    await h.send(req(7, 'tools/call', { name: 'slow' }));
    await h.send(req(7, 'tools/call', { name: 'slow' }));
    await h.send(req(7, 'tools/list'));
    await h.settle();
    // The SDK answers ping and initialize a turn later than the guard answers: the order is not the point.
    expect(h.got).toHaveLength(5);
    expect(h.got).toEqual(
      expect.arrayContaining([
        { jsonrpc: '2.0', id: 'early', error: expect.objectContaining({ code: NOT_INITIALIZED }) },
        { jsonrpc: '2.0', id: 'p', result: {} },
        expect.objectContaining({ id: 0, result: expect.objectContaining({ protocolVersion: '2025-06-18' }) }),
        { jsonrpc: '2.0', id: 7, error: expect.objectContaining({ code: -32600 }) },
        { jsonrpc: '2.0', id: 7, error: expect.objectContaining({ code: -32600 }) },
      ]),
    );
    release();
    await h.settle();
    expect(h.got.slice(5)).toEqual([{ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'done' }] } }]);
    await h.send(req(7, 'tools/list'));
    await h.settle();
    expect(h.got.slice(6)).toEqual([{ jsonrpc: '2.0', id: 7, result: { tools: [] } }]);
  });
});
