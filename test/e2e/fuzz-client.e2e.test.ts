/**
 * Fuzzing client → gateway JSON-RPC frames (fast-check, seeded and bounded; issue 9), against the built gateway
 * fronting the real server-everything. Frames come from categories whose right answer is known:
 * - a request with a unique id (any method, fuzzed params, tool names real and not): exactly one answer with that
 *   id, a result or a JSON-RPC error;
 * - a notification, or a response to a request never sent: no answer;
 * - a line that is not JSON: one -32700 error with id null;
 * - a request whose id is of a wrong type, a wrong envelope, a request in a batch: one -32600 error, with the id
 *   where it can be read and null where it cannot;
 * - deeply nested params and long strings: answered like any request.
 * Then the gateway still answers a ping, wrote nothing but JSON-RPC to stdout, and exits 0 on stdin EOF.
 * FUZZ_SEED and FUZZ_RUNS reproduce or widen a run.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { nonJsonRpcLines, npmServer, startGateway, waitFor, type SpawnedGateway } from '../helpers/gateway.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const FRAMES = Number(process.env.FUZZ_RUNS ?? 400);

type Id = string | number | null;
interface Frame {
  line: string;
  /** The id the one answer must carry; undefined: no answer at all. */
  answer?: Id;
}

const METHODS = [
  'ping',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'completion/complete',
  'logging/setLevel',
  'initialize',
  'sampling/createMessage',
  'no/such-method',
  '',
];
const TOOLS = ['everything__echo', 'everything__get-sum', 'everything__get-tiny-image', 'nope__tool', 'echo', '__', ''];

const json = fc.jsonValue({ maxDepth: 3 });
const params = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 4 }),
  fc.record(
    { name: fc.oneof(fc.constantFrom(...TOOLS), fc.string({ maxLength: 70 })), arguments: fc.option(json) },
    { requiredKeys: ['name'] },
  ),
  fc.record({ uri: fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 })), cursor: fc.string({ maxLength: 10 }) }),
  fc.constant({ name: 'everything__echo', arguments: { message: 'x'.repeat(100_000) } }),
  fc.integer({ min: 100, max: 2000 }).map((depth) => {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = { v };
    return { name: 'everything__echo', arguments: { message: v } };
  }),
);

/** One frame of a category; `n` makes ids unique. */
function frames(): fc.Arbitrary<(n: number) => Frame> {
  const anyRequest = fc.tuple(fc.constantFrom(...METHODS), fc.option(params));
  // Calls of the real echo tool with any text, so that allowed calls run the whole pipeline and the upstream.
  const echo = fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((message) => ['tools/call', { name: 'everything__echo', arguments: { message } }] as const);
  const request = fc
    .tuple(fc.oneof({ weight: 3, arbitrary: anyRequest }, { weight: 1, arbitrary: echo }), fc.boolean())
    .map(([[method, p], numeric]) => (n: number): Frame => {
      const id = numeric ? 1_000_000 + n : `fuzz-${n}`;
      return { line: JSON.stringify({ jsonrpc: '2.0', id, method, ...(p ? { params: p } : {}) }), answer: id };
    });
  const notification = fc
    .tuple(
      fc.constantFrom('notifications/initialized', 'notifications/cancelled', 'notifications/x', 'x'),
      fc.option(params),
    )
    .map(([method, p]) => (): Frame => ({
      line: JSON.stringify({ jsonrpc: '2.0', method, ...(p ? { params: p } : {}) }),
    }));
  const stale = fc
    .oneof(fc.constant({ result: {} }), fc.constant({ error: { code: -1, message: 'no' } }))
    .map((body) => (n: number): Frame => ({
      line: JSON.stringify({ jsonrpc: '2.0', id: `never-sent-${n}`, ...body }),
    }));
  const notJson = fc
    .string({ maxLength: 40 })
    .map((s) => (): Frame => ({ line: `{"jsonrpc":"2.0","id":${s.replace(/[\r\n]/g, ' ')}`, answer: null }));
  const badId = fc
    .oneof(fc.constant(true), fc.constant({}), fc.constant([1]), fc.constant(null), fc.constant('float'))
    .map((kind) => (n: number): Frame => {
      const id = kind === 'float' ? n + 0.5 : kind;
      // MCP ids are strings or integers: a fractional id cannot be echoed, so its error carries id null.
      const answer = null;
      return { line: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }), answer };
    });
  const badEnvelope = fc.constantFrom('version', 'params', 'method').map((what) => (n: number): Frame => {
    const id = `bad-${n}`;
    const body =
      what === 'version'
        ? { jsonrpc: '1.0', id, method: 'ping' }
        : what === 'params'
          ? { jsonrpc: '2.0', id, method: 'ping', params: [1, 2] }
          : { jsonrpc: '2.0', id, method: 42 };
    return { line: JSON.stringify(body), answer: id };
  });
  const batch = fc.constant((n: number): Frame => ({
    // MCP has no batches: the request inside one is answered alone, by its own id (issue 15, class 12).
    line: JSON.stringify([{ jsonrpc: '2.0', id: `batch-${n}`, method: 'ping' }]),
    answer: `batch-${n}`,
  }));
  const scalar = fc
    .oneof(fc.constant('42'), fc.constant('"text"'), fc.constant('null'), fc.constant('true'))
    .map((line) => (): Frame => ({ line, answer: null }));
  return fc.oneof(
    { weight: 8, arbitrary: request },
    { weight: 2, arbitrary: notification },
    { weight: 1, arbitrary: stale },
    { weight: 2, arbitrary: notJson },
    { weight: 2, arbitrary: badId },
    { weight: 1, arbitrary: badEnvelope },
    { weight: 1, arbitrary: batch },
    { weight: 1, arbitrary: scalar },
  );
}

interface Answer {
  id: Id;
  result?: unknown;
  error?: { code: number; message: string };
}

describe('fuzzing client frames against the built gateway', () => {
  let gw: SpawnedGateway | undefined;

  afterAll(() => {
    if (gw && gw.proc.exitCode === null) gw.proc.kill('SIGKILL');
  });

  it(`answers every request exactly once, and nothing else, over ${FRAMES} seeded frames`, async () => {
    gw = await startGateway(
      { servers: { everything: { command: process.execPath, args: [npmServer('everything')], timeoutMs: 10_000 } } },
      { noClient: true, env: { SMG_LOG_LEVEL: 'warn' } },
    );
    const g = gw;
    const answers: Answer[] = [];
    let seen = 0;
    const collect = () => {
      for (; seen < g.stdoutLines.length; seen++) {
        const msg = JSON.parse(g.stdoutLines[seen]!) as Answer & { method?: string };
        if (msg.method === undefined) answers.push(msg);
      }
    };
    const initialize = {
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } },
    };
    g.transport.sendRaw(JSON.stringify(initialize) + '\n');
    await waitFor(() => (collect(), answers.some((a) => a.id === 'init')));
    g.transport.sendRaw(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');

    const made = fc.sample(frames(), { seed: SEED, numRuns: FRAMES }).map((make, n) => make(n));
    for (const frame of made) g.transport.sendRaw(frame.line + '\n');
    const expected = made.filter((f) => f.answer !== undefined);
    await waitFor(() => (collect(), answers.length >= expected.length + 1), 90_000);
    // Late extra answers (a second answer to one request) would arrive right behind the others.
    await new Promise((r) => setTimeout(r, 300));
    collect();

    const count = (id: Id) => answers.filter((a) => a.id === id).length;
    for (const frame of expected.filter((f) => f.answer !== null))
      expect(count(frame.answer!), `answers to ${frame.line.slice(0, 120)}`).toBe(1);
    expect(count(null)).toBe(expected.filter((f) => f.answer === null).length);
    const allowedIds = new Set<Id>(['init', ...expected.map((f) => f.answer!)]);
    expect(answers.filter((a) => !allowedIds.has(a.id)).map((a) => a.id)).toEqual([]);
    for (const a of answers) expect(a.result !== undefined || typeof a.error?.code === 'number').toBe(true);
    // The run reached the upstream: some echo calls came back with content.
    const withContent = answers.filter((a) => (a.result as { content?: unknown[] } | undefined)?.content?.length);
    expect(withContent.length).toBeGreaterThan(5);

    g.transport.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 'last', method: 'ping' }) + '\n');
    await waitFor(() => (collect(), answers.some((a) => a.id === 'last' && a.result !== undefined)));
    expect(nonJsonRpcLines(g.stdoutLines)).toEqual([]);
    const { code } = await g.closeStdin();
    expect(code).toBe(0);
  }, 180_000);
});
