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

  const req = (id: unknown, method = 'ping') => ({ jsonrpc: '2.0', id, method });
  const note = { jsonrpc: '2.0', method: 'notifications/initialized' };
  const batchError = (id: unknown) => ({
    jsonrpc: '2.0',
    id,
    error: { code: -32600, message: expect.stringMatching(/batches are not supported/) },
  });
  it.each([
    ['three requests', [req(1), req('b', 'tools/list'), req(3, 'tools/call')], [1, 'b', 3]],
    ['requests and a notification', [req(1), note, req(2)], [1, 2]],
    ['one request', [req(9)], [9]],
    ['only notifications', [note, note], []],
    ['a response', [{ jsonrpc: '2.0', id: 4, result: {} }], []],
    ['empty', [], [null]],
    ['numbers', [1, 2, 3], [null]],
    ['junk and a request', [1, { id: { x: 1 }, method: 'ping' }, req(5), 'x'], [5, null]],
    ['nested batch', [[req(6)]], [null]],
  ])('answers a batch (%s) with one -32600 per request, by its id, and runs none', async (_n, batch, ids) => {
    const h = await harness();
    const dropped: Record<string, unknown>[] = [];
    h.t.onrefused = (_what, fields) => dropped.push(fields);
    h.stdin.write(JSON.stringify(batch) + '\n');
    h.stdin.write(JSON.stringify(batch) + '\n');
    h.stdin.write('{"jsonrpc":"2.0","id":"after","method":"ping"}\n');
    await h.flush();
    expect(h.out).toEqual([...ids, ...ids].map(batchError));
    expect(h.received).toEqual([req('after')]);
    expect(dropped).toHaveLength(2);
    expect(dropped[0]).toMatchObject({ reason: 'batch', elements: batch.length, answered: ids.length });
  });

  it('does not answer a malformed notification', async () => {
    const h = await harness();
    h.stdin.write('{"jsonrpc":"2.0","method":5}\n');
    await h.flush();
    expect(h.out).toEqual([]);
  });

  const pad = 'x'.repeat(100);
  it.each([
    [`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${pad}"}}`, 1],
    [`{"jsonrpc":"2.0","id":"r-1","method":"tools/call","params":{"pad":"${pad}"}}`, 'r-1'],
    [`{"jsonrpc":"2.0","method":"ping","params":{"id":5,"pad":"${pad}"}}`, null],
    [`{"jsonrpc":"2.0","id":1,"result":{"pad":"${pad}"}}`, null],
    [`{"jsonrpc":"2.0","params":{"pad":"${pad}"},"id":1,"method":"ping"}`, null],
    [`["${pad}"]`, null],
  ])(
    'rejects an oversized message %#, to its id when the prefix shows one, and keeps the stream in sync',
    async (line, id) => {
      const h = await harness(64);
      const refused: Record<string, unknown>[] = [];
      h.t.onrefused = (_what, fields) => refused.push(fields);
      h.stdin.write(line + '\n');
      h.stdin.write(line + '\n');
      h.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
      await h.flush();
      const answer = {
        jsonrpc: '2.0',
        id,
        error: { code: -32600, message: expect.stringMatching(/exceeds the limit of 64/) },
      };
      expect(h.out).toEqual([answer, answer]);
      expect(h.received).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
      expect(refused[0]).toMatchObject({ reason: 'oversized', id });
    },
  );

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
