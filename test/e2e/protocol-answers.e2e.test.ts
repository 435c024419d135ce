/**
 * Every request gets exactly one answer (issue 15, class 12), end to end through the built gateway with raw frames:
 * over stdio (a child process, frames written to its stdin) and over `serve` (raw HTTP POSTs on a real session).
 * A batch is answered request by request with their ids; a request whose id is in flight gets one -32600 with that
 * id and the first still gets its real answer; a request before initialize is answered at once; an oversized frame
 * is answered to the id its first bytes show. The gateway keeps serving after each, and writes only JSON-RPC.
 */
import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  logLines,
  nonJsonRpcLines,
  npmServer,
  startGateway,
  tempDir,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';
import { identityConfig, makeKey } from '../helpers/identity.js';
import { httpClient, MCP_HEADERS, rawRequest, startServe, type ServeProcess } from '../helpers/serve.js';

type Answer = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string } };

const everything = { command: process.execPath, args: [npmServer('everything')] };
const init = (id: string | number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
const frame = (id: unknown, method: string, params?: object) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const longRun = { name: 'everything__trigger-long-running-operation', arguments: { duration: 2, steps: 2 } };

describe('one answer per request over stdio', () => {
  const running: SpawnedGateway[] = [];
  afterAll(() => {
    for (const gw of running) if (gw.proc.exitCode === null) gw.proc.kill('SIGKILL');
  });

  async function raw(): Promise<{ gw: SpawnedGateway; answers: (id: unknown) => Answer[]; send: (l: string) => void }> {
    const gw = await startGateway({ servers: { everything } }, { noClient: true });
    running.push(gw);
    const answers = (id: unknown) =>
      gw.stdoutLines.map((l) => JSON.parse(l) as Answer & { method?: string }).filter((m) => !m.method && m.id === id);
    return { gw, answers, send: (l) => gw.transport.sendRaw(l + '\n') };
  }

  async function done(gw: SpawnedGateway) {
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  }

  it('answers a request sent before initialize at once, serves ping, then initializes normally', async () => {
    const { gw, answers, send } = await raw();
    const t0 = Date.now();
    send(frame('early-list', 'tools/list'));
    send(frame('early-call', 'tools/call', { name: 'everything__echo', arguments: { message: 'hi' } }));
    send(frame('early-ping', 'ping'));
    await waitFor(() => answers('early-list').length && answers('early-call').length && answers('early-ping').length);
    expect(Date.now() - t0).toBeLessThan(5_000);
    for (const id of ['early-list', 'early-call'])
      expect(answers(id)).toEqual([
        { jsonrpc: '2.0', id, error: { code: -32000, message: expect.stringMatching(/^Server not initialized/) } },
      ]);
    expect(answers('early-ping')).toEqual([{ jsonrpc: '2.0', id: 'early-ping', result: {} }]);
    // The log (stderr) may trail the answers (stdout).
    await waitFor(() => logLines(gw).filter((l) => l.event === 'protocol.not-initialized').length === 2);

    send(init('init'));
    await waitFor(() => answers('init').length);
    send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    send(frame('list', 'tools/list'));
    await waitFor(() => answers('list').length);
    expect(answers('list')[0]!.result).toMatchObject({ tools: expect.arrayContaining([expect.anything()]) });
    await new Promise((r) => setTimeout(r, 200));
    expect(answers('early-list')).toHaveLength(1);
    await done(gw);
  });

  it('answers a batch of three requests with three -32600s, each with its own id, and drops its notification', async () => {
    const { gw, answers, send } = await raw();
    send(init(0));
    await waitFor(() => answers(0).length);
    const before = gw.stdoutLines.length;
    send(
      JSON.stringify([
        JSON.parse(frame(1, 'tools/list')),
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        JSON.parse(frame('b', 'ping')),
        JSON.parse(frame(3, 'tools/call', { name: 'everything__echo', arguments: { message: 'x' } })),
      ]),
    );
    send(frame('after', 'ping'));
    await waitFor(() => answers('after').length);
    await new Promise((r) => setTimeout(r, 300));
    const batchAnswers = gw.stdoutLines
      .slice(before)
      .map((l) => JSON.parse(l) as Answer)
      .filter((a) => a.id !== 'after');
    expect(batchAnswers).toEqual(
      [1, 'b', 3].map((id) => ({
        jsonrpc: '2.0',
        id,
        error: { code: -32600, message: expect.stringMatching(/batches are not supported/) },
      })),
    );
    await waitFor(() => logLines(gw).some((l) => l.event === 'protocol.refused'));
    expect(logLines(gw).find((l) => l.event === 'protocol.refused')).toMatchObject({
      reason: 'batch',
      elements: 4,
      answered: 3,
      droppedNotifications: 1,
    });
    await done(gw);
  });

  it('refuses a duplicate of an in-flight id with one -32600, and still gives the first its real answer', async () => {
    const { gw, answers, send } = await raw();
    send(init(0));
    await waitFor(() => answers(0).length);
    send(frame('dup', 'tools/call', longRun));
    await new Promise((r) => setTimeout(r, 300));
    send(frame('dup', 'tools/list'));
    send(frame('dup', 'tools/call', longRun));
    await waitFor(() => answers('dup').length >= 2);
    expect(answers('dup')).toEqual([
      { jsonrpc: '2.0', id: 'dup', error: { code: -32600, message: expect.stringMatching(/already in use/) } },
      { jsonrpc: '2.0', id: 'dup', error: { code: -32600, message: expect.stringMatching(/already in use/) } },
    ]);
    await waitFor(() => answers('dup').length >= 3, 15_000);
    expect(answers('dup')[2]!.result).toMatchObject({ content: [expect.objectContaining({ type: 'text' })] });
    // The id is free once answered.
    send(frame('dup', 'ping'));
    await waitFor(() => answers('dup').length >= 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(answers('dup').slice(3)).toEqual([{ jsonrpc: '2.0', id: 'dup', result: {} }]);
    await done(gw);
  });

  it('answers an oversized frame to the id its prefix shows, and null when it shows none', async () => {
    const { gw, answers, send } = await raw();
    send(init(0));
    await waitFor(() => answers(0).length);
    const huge = 'x'.repeat(17 * 1024 * 1024);
    send(
      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"everything__echo","arguments":{"message":"${huge}"}}}`,
    );
    send(`{ "jsonrpc" : "2.0", "id" : "big-s", "method" : "tools/call", "params" : { "id" : 8, "a" : "${huge}" } }`);
    send(`{"jsonrpc":"2.0","method":"tools/call","params":{"id":9,"message":"${huge}"}}`);
    send(frame('after', 'ping'));
    await waitFor(() => answers('after').length, 30_000);
    const tooBig = { code: -32600, message: expect.stringMatching(/exceeds the limit/) };
    expect(answers(7)).toEqual([{ jsonrpc: '2.0', id: 7, error: tooBig }]);
    expect(answers('big-s')).toEqual([{ jsonrpc: '2.0', id: 'big-s', error: tooBig }]);
    expect(answers(8)).toEqual([]);
    expect(answers(9)).toEqual([]);
    expect(answers(null)).toEqual([{ jsonrpc: '2.0', id: null, error: tooBig }]);
    await done(gw);
  }, 60_000);
});

describe('one answer per request over serve', () => {
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    if (serve) expect(await serve.stop()).toBe(0);
    serve = undefined;
  });

  async function session() {
    const base = identityConfig();
    const config = {
      ...base,
      servers: { ...base.servers, everything: { ...everything } },
      projects: { one: { servers: ['alpha', 'everything'] }, two: { servers: ['beta'] } },
    };
    const home = tempDir();
    fs.writeFileSync(`${home}/config.json`, JSON.stringify(config));
    const { key } = makeKey(home, 'one', 'alice@example.com');
    serve = await startServe(config, { home });
    const { transport } = await httpClient(serve.url, key);
    const headers = {
      ...MCP_HEADERS,
      Authorization: `Bearer ${key}`,
      'Mcp-Session-Id': transport.sessionId!,
      'Mcp-Protocol-Version': '2025-06-18',
    };
    const post = (body: string) => rawRequest(serve!.url, { headers, body });
    return { post };
  }

  /** The JSON-RPC messages of a response, SSE or JSON. */
  function messages(body: string): Answer[] {
    if (body.trimStart().startsWith('{') || body.trimStart().startsWith('['))
      return ([] as Answer[]).concat(JSON.parse(body) as Answer | Answer[]);
    return body
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l.length > 6)
      .map((l) => JSON.parse(l.slice(6)) as Answer);
  }

  it('answers a batch of three requests with 400 and three -32600s by id, and runs none of them', async () => {
    const { post } = await session();
    const r = await post(
      JSON.stringify([
        JSON.parse(frame(1, 'tools/list')),
        JSON.parse(frame('b', 'ping')),
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        JSON.parse(frame(3, 'tools/call', { name: 'alpha__whoami', arguments: {} })),
      ]),
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual(
      [1, 'b', 3].map((id) => ({
        jsonrpc: '2.0',
        id,
        error: { code: -32600, message: expect.stringMatching(/batches are not supported/) },
      })),
    );
    const empty = await post('[]');
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.body)).toMatchObject({ id: null, error: { code: -32600 } });
    // The session still serves.
    const after = await post(frame('after', 'ping'));
    expect(messages(after.body)).toEqual([{ jsonrpc: '2.0', id: 'after', result: {} }]);
  });

  it('refuses a duplicate of an in-flight id by that id, and the first gets its real answer on its own stream', async () => {
    const { post } = await session();
    const first = post(frame('dup', 'tools/call', longRun));
    await new Promise((r) => setTimeout(r, 500));
    const second = await post(frame('dup', 'tools/list'));
    expect(second.status).toBe(200);
    expect(messages(second.body)).toEqual([
      { jsonrpc: '2.0', id: 'dup', error: { code: -32600, message: expect.stringMatching(/already in use/) } },
    ]);
    const answered = messages((await first).body).filter((m) => m.id === 'dup');
    expect(answered).toHaveLength(1);
    expect(answered[0]!.result).toMatchObject({ content: [expect.objectContaining({ type: 'text' })] });
    // Free again once answered.
    expect(messages((await post(frame('dup', 'ping'))).body)).toEqual([{ jsonrpc: '2.0', id: 'dup', result: {} }]);
    await waitFor(() => serve!.logs().some((l) => l.event === 'protocol.duplicate-id'));
    expect(serve!.logs().filter((l) => l.event === 'protocol.duplicate-id')).toHaveLength(1);
  }, 30_000);
});
