import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CallCancel } from '../server/tool-calls.js';
import { DirectCaller } from './direct-call.js';

function harness() {
  const sent: JSONRPCMessage[] = [];
  const passed: JSONRPCMessage[] = [];
  let closed = 0;
  const transport: Transport = {
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
    send: (m) => {
      sent.push(m);
      return Promise.resolve();
    },
    onmessage: (m) => passed.push(m),
    onclose: () => closed++,
  };
  const caller = new DirectCaller(transport);
  const reply = (m: unknown) => transport.onmessage!(m as JSONRPCMessage);
  return { caller, sent, passed, reply, close: () => transport.onclose!(), closed: () => closed };
}

const params = { name: 'echo', arguments: { message: 'hi' } };

describe('DirectCaller', () => {
  it('sends tools/call with its own id and resolves with the result', async () => {
    const h = harness();
    const p = h.caller.call(params, { timeout: 1000 });
    expect(h.sent[0]).toEqual({ jsonrpc: '2.0', id: 'smg-1', method: 'tools/call', params });
    h.reply({ jsonrpc: '2.0', id: 'smg-1', result: { content: [{ type: 'text', text: 'hi' }], extra: 1 } });
    await expect(p).resolves.toEqual({ content: [{ type: 'text', text: 'hi' }], extra: 1 });
    expect(h.passed).toEqual([]);
    expect(h.caller.inFlight).toBe(0);
  });

  it('leaves the SDK its own messages', () => {
    const h = harness();
    h.reply({ jsonrpc: '2.0', id: 3, result: { tools: [] } });
    h.reply({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    h.reply({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 5, progress: 1 } });
    expect(h.passed).toHaveLength(3);
  });

  it('forwards progress under its own token and resets the timeout', async () => {
    const h = harness();
    const seen: unknown[] = [];
    const p = h.caller.call(params, { timeout: 60, onprogress: (x) => seen.push(x) });
    expect(h.sent[0]).toMatchObject({ params: { _meta: { progressToken: 'smg-1' } } });
    for (let i = 1; i <= 3; i++) {
      await new Promise((r) => setTimeout(r, 40));
      h.reply({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'smg-1', progress: i } });
    }
    h.reply({ jsonrpc: '2.0', id: 'smg-1', result: { content: [] } });
    await expect(p).resolves.toEqual({ content: [] });
    expect(seen).toEqual([{ progress: 1 }, { progress: 2 }, { progress: 3 }]);
  });

  it('times out with RequestTimeout and cancels upstream; a late answer is ignored', async () => {
    const h = harness();
    const p = h.caller.call(params, { timeout: 20 });
    await expect(p).rejects.toMatchObject({ code: ErrorCode.RequestTimeout });
    expect(h.sent[1]).toMatchObject({ method: 'notifications/cancelled', params: { requestId: 'smg-1' } });
    h.reply({ jsonrpc: '2.0', id: 'smg-1', result: { content: [] } });
    expect(h.passed).toEqual([]);
  });

  it('ends a call that progress keeps alive once maxTotalTimeout has passed, and cancels it upstream', async () => {
    const h = harness();
    const seen: unknown[] = [];
    const p = h.caller.call(params, { timeout: 400, maxTotalTimeout: 700, onprogress: (x) => seen.push(x) });
    // Progress every 20 ms resets the 400 ms idle timeout, so only the total bound can end the call.
    const drip = setInterval(
      () =>
        h.reply({
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken: 'smg-1', progress: seen.length },
        }),
      20,
    );
    await expect(p).rejects.toMatchObject({ code: ErrorCode.RequestTimeout, data: { maxTotalTimeout: 700 } });
    clearInterval(drip);
    expect(seen.length).toBeGreaterThan(2);
    expect(h.sent[1]).toMatchObject({ method: 'notifications/cancelled', params: { requestId: 'smg-1' } });
  });

  it('cancels upstream when the signal aborts', async () => {
    const h = harness();
    const ac = new AbortController();
    const p = h.caller.call(params, { timeout: 1000, signal: ac.signal });
    ac.abort('client cancelled');
    await expect(p).rejects.toThrow('client cancelled');
    expect(h.sent[1]).toMatchObject({
      method: 'notifications/cancelled',
      params: { requestId: 'smg-1', reason: 'client cancelled' },
    });
  });

  it('passes an upstream error on with its code', async () => {
    const h = harness();
    const p = h.caller.call(params, { timeout: 1000 });
    h.reply({ jsonrpc: '2.0', id: 'smg-1', error: { code: -32602, message: 'bad tool', data: { x: 1 } } });
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(McpError);
    expect(e).toMatchObject({ code: -32602, data: { x: 1 } });
  });

  it.each([[{ content: 'not an array' }], [{ content: [{ type: 5 }] }], [{ isError: 'yes', content: [] }]])(
    'rejects a malformed result %j',
    async (result) => {
      const h = harness();
      const p = h.caller.call(params, { timeout: 1000 });
      h.reply({ jsonrpc: '2.0', id: 'smg-1', result });
      await expect(p).rejects.toThrow(/Invalid tools\/call result from upstream/);
    },
  );

  it('fails every pending call at once when the connection closes, and then refuses new ones', async () => {
    const h = harness();
    const a = h.caller.call(params, { timeout: 60_000 });
    const b = h.caller.call(params, { timeout: 60_000 });
    h.close();
    await expect(a).rejects.toMatchObject({ code: ErrorCode.ConnectionClosed });
    await expect(b).rejects.toMatchObject({ code: ErrorCode.ConnectionClosed });
    expect(h.closed()).toBe(1);
    await expect(h.caller.call(params, { timeout: 10 })).rejects.toMatchObject({ code: ErrorCode.ConnectionClosed });
  });

  it('times each pending call out by its own deadline: a shorter one after a longer one, and the longer one still', async () => {
    const h = harness();
    const started = performance.now();
    const long = h.caller.call(params, { timeout: 150 }).catch((e: unknown) => [e, performance.now() - started]);
    const short = h.caller.call(params, { timeout: 30 }).catch((e: unknown) => [e, performance.now() - started]);
    const alive = h.caller.call(params, { timeout: 60_000 });
    const [shortError, shortAt] = (await short) as [unknown, number];
    expect(shortError).toMatchObject({ code: ErrorCode.RequestTimeout, data: { timeout: 30 } });
    expect(shortAt).toBeGreaterThanOrEqual(29);
    expect(shortAt).toBeLessThan(140);
    const [longError, longAt] = (await long) as [unknown, number];
    expect(longError).toMatchObject({ code: ErrorCode.RequestTimeout, data: { timeout: 150 } });
    expect(longAt).toBeGreaterThanOrEqual(149);
    // Each timed-out call was cancelled upstream once, under its own id; the third is still pending.
    const cancelled = h.sent.filter((m) => 'method' in m && m.method === 'notifications/cancelled');
    expect(cancelled.map((m) => (m as unknown as { params: { requestId: string } }).params.requestId).sort()).toEqual([
      'smg-1',
      'smg-2',
    ]);
    expect(h.caller.inFlight).toBe(1);
    h.reply({ jsonrpc: '2.0', id: 'smg-3', result: { content: [] } });
    await expect(alive).resolves.toEqual({ content: [] });
  });

  it('holds the process open with its timer only while a call is pending', async () => {
    const h = harness();
    const timer = () => (h.caller as unknown as { timer?: NodeJS.Timeout }).timer;
    for (const n of [1, 2]) {
      const p = h.caller.call(params, { timeout: 60_000 });
      expect(timer()?.hasRef()).toBe(true);
      h.reply({ jsonrpc: '2.0', id: `smg-${n}`, result: { content: [] } });
      await p;
      expect(timer()?.hasRef()).toBe(false);
    }
    h.close();
    expect(timer()).toBeUndefined();
  });

  it('answers a result the fast check cannot vouch for by the SDK schema (a resource link passes)', async () => {
    const h = harness();
    const result = { content: [{ type: 'resource_link', uri: 'file:///a', name: 'a' }] };
    const p = h.caller.call(params, { timeout: 1000 });
    h.reply({ jsonrpc: '2.0', id: 'smg-1', result });
    await expect(p).resolves.toEqual(result);
  });

  it('takes a plain cancel hook: an abort cancels upstream, and an answered call leaves no listener behind', async () => {
    const h = harness();
    const done = new CallCancel();
    const p1 = h.caller.call(params, { timeout: 1000, cancel: done });
    h.reply({ jsonrpc: '2.0', id: 'smg-1', result: { content: [] } });
    await p1;
    expect((done as unknown as { listeners?: Set<unknown> }).listeners?.size ?? 0).toBe(0);
    const cancel = new CallCancel();
    const p2 = h.caller.call(params, { timeout: 1000, cancel });
    cancel.abort('client cancelled');
    await expect(p2).rejects.toThrow('client cancelled');
    expect(h.sent[2]).toMatchObject({ method: 'notifications/cancelled', params: { requestId: 'smg-2' } });
    // Neither call needed an AbortSignal.
    expect((cancel as unknown as { controller?: unknown }).controller).toBeUndefined();
    const late = new CallCancel();
    late.abort('already');
    await expect(h.caller.call(params, { timeout: 1000, cancel: late })).rejects.toThrow('already');
  });
});
