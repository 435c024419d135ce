import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { GatewayStdioServerTransport } from './stdio-transport.js';

async function harness(maxMessageBytes?: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out: unknown[] = [];
  stdout.on('data', (c: Buffer) =>
    c
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((l) => out.push(JSON.parse(l))),
  );
  const t = new GatewayStdioServerTransport({ stdin, stdout, ...(maxMessageBytes ? { maxMessageBytes } : {}) });
  const received: JSONRPCMessage[] = [];
  const events: string[] = [];
  t.onmessage = (m) => received.push(m);
  t.onclose = () => events.push('close');
  await t.start();
  const flush = () => new Promise((r) => setImmediate(r));
  return { t, stdin, out, received, events, flush };
}

describe('GatewayStdioServerTransport', () => {
  it('passes valid JSON-RPC messages on', async () => {
    const h = await harness();
    h.stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    await h.flush();
    expect(h.received).toHaveLength(2);
    expect(h.out).toEqual([]);
  });

  it.each([
    ['not json\n', { id: null, error: expect.objectContaining({ code: -32700 }) }],
    [
      '[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n',
      { id: null, error: { code: -32600, message: expect.stringMatching(/batches/) } },
    ],
    [
      '{"jsonrpc":"1.0","id":7,"method":"ping"}\n',
      { id: 7, error: { code: -32600, message: expect.stringMatching(/jsonrpc/) } },
    ],
    [
      '{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}\n',
      { id: null, error: { code: -32600, message: expect.stringMatching(/id must be/) } },
    ],
    ['"just a string"\n', { id: null, error: expect.objectContaining({ code: -32600 }) }],
    // Found by fuzzing: an id of 1.5 echoed back is not an MCP RequestId, and the client would reject the answer.
    ['{"jsonrpc":"2.0","id":1.5,"method":"ping"}\n', { id: null, error: expect.objectContaining({ code: -32600 }) }],
  ])('answers malformed input %s with an error and keeps reading', async (line, reply) => {
    const h = await harness();
    h.stdin.write(line);
    h.stdin.write(line);
    h.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await h.flush();
    expect(h.out).toEqual([expect.objectContaining({ jsonrpc: '2.0', ...reply }), expect.objectContaining(reply)]);
    expect(h.received).toHaveLength(1);
  });

  it('refuses a request whose id is in flight, and frees the id once answered or cancelled', async () => {
    const h = await harness();
    const ping = (id: unknown) => h.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }) + '\n');
    ping('a');
    ping('a');
    ping(1);
    ping('1');
    await h.flush();
    expect(h.received.map((m) => ('id' in m ? m.id : undefined))).toEqual(['a', 1, '1']);
    expect(h.out).toEqual([
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'Invalid Request: id "a" is already in use by a request in flight' },
      },
    ]);
    await h.t.send({ jsonrpc: '2.0', id: 'a', result: {} });
    h.stdin.write(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }) + '\n',
    );
    ping('a');
    ping(1);
    ping('1');
    await h.flush();
    expect(h.received.filter((m) => 'id' in m).map((m) => ('id' in m ? m.id : undefined))).toEqual([
      'a',
      1,
      '1',
      'a',
      1,
    ]);
    expect(h.out.filter((o) => (o as { id?: unknown }).id === null)).toHaveLength(2);
  });

  it('does not answer a malformed notification', async () => {
    const h = await harness();
    h.stdin.write('{"jsonrpc":"2.0","method":5}\n');
    await h.flush();
    expect(h.out).toEqual([]);
  });

  it('rejects an oversized message and keeps the stream in sync', async () => {
    const h = await harness(64);
    h.stdin.write(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(100)}"}}\n`);
    h.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await h.flush();
    expect(h.out).toEqual([expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) })]);
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
  });

  it('reports the end of stdin through oninputend and still writes answers afterwards', async () => {
    const h = await harness();
    let ended = 0;
    h.t.oninputend = () => ended++;
    h.stdin.end();
    await h.flush();
    expect(ended).toBe(1);
    expect(h.events).toEqual([]);
    await h.t.send({ jsonrpc: '2.0', id: 1, result: {} });
    await h.flush();
    expect(h.out).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    await h.t.close();
    expect(h.events).toEqual(['close']);
  });

  it('closes by itself at the end of stdin when nobody listens for it', async () => {
    const h = await harness();
    h.stdin.end();
    await h.flush();
    expect(h.events).toEqual(['close']);
  });
});
