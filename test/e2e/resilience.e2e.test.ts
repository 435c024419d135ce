/**
 * Resilience, end to end: a real SDK client → the built gateway → misbehaving fixture servers as real children.
 * An upstream that crashes mid-call, one that never answers, one that writes garbage to stdout and one whose tool
 * list changes at run time must each leave the gateway serving, its stdout pure JSON-RPC, and no process behind
 * once stdin closes.
 */
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  alive,
  fixtureServer,
  nonJsonRpcLines,
  processTree,
  startGateway,
  waitFor,
  type SpawnedGateway,
  logLines,
  textOf,
} from '../helpers/gateway.js';

/** Remembers every descendant of the gateway seen so far, across restarts of its upstreams. */
function recordTree(gw: SpawnedGateway, pids: Set<number>): void {
  for (const pid of processTree(gw.proc.pid!)) pids.add(pid);
}

/** Closes stdin, expects a clean exit, and expects every process the gateway ever started to be gone. */
async function closeAndExpectClean(gw: SpawnedGateway, pids: Set<number>): Promise<void> {
  recordTree(gw, pids);
  const { code, signal } = await gw.closeStdin();
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect([...pids].filter(alive)).toEqual([]);
  expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
}

/** The JSON-RPC error a call failed with; fails the test if it did not fail. */
async function errorOf(call: Promise<unknown>): Promise<McpError> {
  const outcome = await call.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected the call to fail, got ${JSON.stringify(outcome.result)}`);
  expect(outcome.error).toBeInstanceOf(McpError);
  return outcome.error as McpError;
}

describe('resilience', () => {
  it('fails a call in flight at once when its upstream crashes, restarts it, and keeps the others serving', async () => {
    const timeoutMs = 30_000;
    const gw = await startGateway({
      servers: {
        crashy: { ...fixtureServer('crash-server.ts'), timeoutMs },
        steady: fixtureServer('crash-server.ts'),
      },
    });
    const pids = new Set<number>();
    const { tools } = await gw.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['crashy__crash', 'crashy__ok', 'steady__crash', 'steady__ok']);
    recordTree(gw, pids);
    expect(pids.size).toBeGreaterThanOrEqual(2);

    const [crashed, steadyDuring] = await Promise.all([
      errorOf(gw.client.callTool({ name: 'crashy__crash', arguments: {} })),
      gw.client.callTool({ name: 'steady__ok', arguments: {} }),
    ]);
    // The point of this test: the crash is reported when it happens (this message), not as the timeout error that
    // the 30 s timeout would give.
    expect(crashed.code).toBe(ErrorCode.InternalError);
    expect(crashed.message).toMatch(/upstream "crashy" went away while tools\/call was in flight/);
    expect(crashed.message).toMatch(/exited with code 1/);
    expect(textOf(steadyDuring)).toBe('ok');

    expect(textOf(await gw.client.callTool({ name: 'steady__ok', arguments: {} }))).toBe('ok');
    // The gateway holds the call until the restarted upstream is ready (bounded by its timeoutMs).
    expect(textOf(await gw.client.callTool({ name: 'crashy__ok', arguments: {} }))).toBe('ok');
    expect(textOf(await gw.client.callTool({ name: 'steady__ok', arguments: {} }))).toBe('ok');

    const log = logLines(gw);
    expect(log.some((l) => l.server === 'crashy' && l.msg === 'upstream went away; restarting')).toBe(true);
    expect(log.filter((l) => l.server === 'crashy' && l.msg === 'upstream connected')).toHaveLength(2);
    expect(log.some((l) => l.server === 'steady' && l.msg === 'upstream went away; restarting')).toBe(false);

    await closeAndExpectClean(gw, pids);
  });

  it('times out a call that never answers with an error naming the server, and keeps the server usable', async () => {
    const gw = await startGateway({ servers: { sleepy: { ...fixtureServer('hang-server.ts'), timeoutMs: 1000 } } });
    const pids = new Set<number>();
    // Listing waits for the upstream to connect, so the 1 s timeout measures the call alone.
    const { tools } = await gw.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['sleepy__hang', 'sleepy__ok']);
    recordTree(gw, pids);

    const hung = await errorOf(gw.client.callTool({ name: 'sleepy__hang', arguments: {} }));
    expect(hung.code).toBe(ErrorCode.InternalError);
    expect(hung.message).toMatch(/upstream "sleepy" did not answer tools\/call within 1000 ms/);

    expect(textOf(await gw.client.callTool({ name: 'sleepy__ok', arguments: {} }))).toBe('ok');
    expect(textOf(await gw.client.callTool({ name: 'sleepy__ok', arguments: {} }))).toBe('ok');
    // A timeout is not a crash: the upstream was never restarted.
    expect(logLines(gw).some((l) => l.msg === 'upstream went away; restarting')).toBe(false);

    await closeAndExpectClean(gw, pids);
  });

  it('answers a call still in flight at stdin EOF with a shutting-down error, not a crash', async () => {
    const timeoutMs = 30_000;
    const gw = await startGateway({
      servers: { sleepy: { ...fixtureServer('hang-server.ts'), timeoutMs } },
      shutdown: { drainTimeoutMs: 300 },
    });
    const pids = new Set<number>();
    await gw.client.listTools();
    recordTree(gw, pids);

    const pending = errorOf(gw.client.callTool({ name: 'sleepy__hang', arguments: {} }));
    await waitFor(() => logLines(gw).some((l) => l.server === 'sleepy' && l.msg === 'hang-server: hanging'));
    const [error] = await Promise.all([pending, closeAndExpectClean(gw, pids)]);
    // The drain is bounded: the call ends at shutdown with this message, not with the timeout error of the
    // upstream's 30 s timeout.
    expect(error.code).toBe(ErrorCode.InternalError);
    expect(error.message).toMatch(
      /upstream "sleepy" was closed before it answered tools\/call: the gateway is shutting down/,
    );
    expect(logLines(gw).some((l) => l.msg === 'upstream went away; restarting')).toBe(false);
  });

  it('drops and logs the non-JSON-RPC lines of a noisy upstream and writes only JSON-RPC to its own stdout', async () => {
    const gw = await startGateway({ servers: { noisy: fixtureServer('noisy-server.ts') } });
    const pids = new Set<number>();
    const { tools } = await gw.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['noisy__echo']);
    recordTree(gw, pids);

    for (const message of ['one', 'two']) {
      const result = await gw.client.callTool({ name: 'noisy__echo', arguments: { message } });
      expect(textOf(result)).toBe(`echo: ${message}`);
    }
    // The noise written after the last answer has been read and dropped too.
    const dropped = await waitFor(() => {
      const lines = logLines(gw).filter((l) => l.server === 'noisy' && l.msg?.startsWith('dropped a stdout line'));
      return lines.some((l) => String(l.excerpt).includes('after answering')) && lines;
    });
    const excerpts = new Set(dropped.map((l) => String(l.excerpt)));
    for (const line of ['*** garbage {{{ ***', '{"hello":"world"}', '[1,2,3]', '42'])
      expect(excerpts, line).toContain(line);
    expect(dropped.some((l) => l.msg === 'dropped a stdout line from upstream: not JSON')).toBe(true);
    expect(dropped.some((l) => l.msg === 'dropped a stdout line from upstream: not a JSON-RPC message')).toBe(true);
    expect(logLines(gw).some((l) => l.msg === 'upstream went away; restarting')).toBe(false);

    await closeAndExpectClean(gw, pids);
  });

  it('re-sends an upstream’s tools/list_changed and lists the new tool', async () => {
    // Integrity off for this server: under the default pin-on-first-use, a tool added after the first list waits for
    // approval (test/attack covers that); this test is about relaying list_changed.
    const gw = await startGateway({
      servers: { changing: { ...fixtureServer('changing-server.ts'), integrity: { mode: 'off' } } },
    });
    const pids = new Set<number>();
    let changed = 0;
    gw.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const before = await gw.client.listTools();
    expect(before.tools.map((t) => t.name).sort()).toEqual(['changing__add_tool', 'changing__first']);
    recordTree(gw, pids);

    expect(textOf(await gw.client.callTool({ name: 'changing__add_tool', arguments: {} }))).toBe('added second');
    await waitFor(() => changed > 0);

    const after = await gw.client.listTools();
    expect(after.tools.map((t) => t.name).sort()).toEqual([
      'changing__add_tool',
      'changing__first',
      'changing__second',
    ]);
    expect(textOf(await gw.client.callTool({ name: 'changing__second', arguments: {} }))).toBe('second');

    await closeAndExpectClean(gw, pids);
  });

  it('keeps serving the other upstreams when one cannot even start, and retries it with back-off', async () => {
    const gw = await startGateway({
      servers: {
        broken: { command: '/nonexistent/mcp-server', args: [] },
        good: fixtureServer('changing-server.ts'),
      },
    });
    const pids = new Set<number>();
    const { tools } = await gw.client.listTools();
    // The status tool names the broken one (test/e2e/server-status.e2e.test.ts).
    expect(tools.map((t) => t.name).sort()).toEqual(['_gateway_status', 'good__add_tool', 'good__first']);
    expect(textOf(await gw.client.callTool({ name: 'good__first', arguments: {} }))).toBe('first');
    await waitFor(
      () => logLines(gw).filter((l) => l.server === 'broken' && l.msg === 'upstream restart scheduled').length >= 2,
    );
    const delays = logLines(gw)
      .filter((l) => l.server === 'broken' && l.msg === 'upstream restart scheduled')
      .map((l) => l.delayMs as number);
    expect(delays[1]).toBeGreaterThan(delays[0]!); // exponential, with jitter of at most ±20%
    expect(logLines(gw).find((l) => l.server === 'broken' && l.msg === 'upstream failed to connect')?.err).toMatch(
      /ENOENT/,
    );
    await closeAndExpectClean(gw, pids);
  });

  it('answers malformed JSON-RPC on its stdin with errors and keeps serving', async () => {
    const gw = await startGateway({ servers: { good: fixtureServer('changing-server.ts') } });
    const pids = new Set<number>();
    await gw.client.listTools();
    const before = gw.stdoutLines.length;
    gw.transport.sendRaw('this is not json\n');
    gw.transport.sendRaw('{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":42}}\n');
    gw.transport.sendRaw('{"jsonrpc":"2.0","id":{"bad":true},"method":"ping"}\n');
    await waitFor(() => gw.stdoutLines.length >= before + 3);
    const replies = gw.stdoutLines.slice(before).map((l) => JSON.parse(l) as { id: unknown; error?: { code: number } });
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: null, error: expect.objectContaining({ code: ErrorCode.ParseError }) }),
        expect.objectContaining({ id: 99, error: expect.objectContaining({ code: ErrorCode.InvalidParams }) }),
        expect.objectContaining({ id: null, error: expect.objectContaining({ code: ErrorCode.InvalidRequest }) }),
      ]),
    );
    expect(textOf(await gw.client.callTool({ name: 'good__first', arguments: {} }))).toBe('first');
    await closeAndExpectClean(gw, pids);
  });
});
