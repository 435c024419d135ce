import { describe, expect, it } from 'vitest';
import { runStages } from '../pipeline/run.js';
import { emptyServerPolicy } from '../pipeline/session.js';
import { testCall, testContext } from '../../test/support/test-context.js';
import type { CallContext, ToolCall, Verdict } from '../pipeline/types.js';
import { MemoryStore } from '../state/memory.js';
import type { StateStore } from '../state/store.js';
import type { RateLimit } from './config-schema.js';
import { bucketOf, createRateLimitStage } from './rate-limit.js';

function clockedStore() {
  let t = 1_000_000;
  const store = new MemoryStore({ now: () => t });
  return { store, advance: (ms: number) => (t += ms) };
}

/** A context for `server`/`tool`, with the server's own limit when given. */
function ctxFor(opts: { server?: string; identity?: string; serverLimit?: RateLimit } = {}): CallContext {
  const base = testContext();
  return {
    ...base,
    server: opts.server ?? 'srv',
    identity: opts.identity ?? 'local',
    serverPolicy: { ...emptyServerPolicy('/'), ...(opts.serverLimit ? { rateLimit: opts.serverLimit } : {}) },
  };
}

const call = (tool = 'tool', server = 'srv'): ToolCall => ({
  ...testCall(),
  server,
  tool,
  exposedName: `${server}__${tool}`,
});

/** A store that records which keys were asked, around a real memory store. */
function spyStore(inner: StateStore) {
  const log: string[] = [];
  const store: StateStore = {
    takeToken: (k, b) => (log.push(`take ${k}`), inner.takeToken(k, b)),
    returnToken: (k, b) => (log.push(`return ${k}`), inner.returnToken(k, b)),
    addCounter: (k, d, ttl) => inner.addCounter(k, d, ttl),
    get: (k) => inner.get(k),
    set: (k, v, ttl) => inner.set(k, v, ttl),
    delete: (k) => inner.delete(k),
    close: () => inner.close(),
  };
  return { store, log };
}

const actions = (vs: Verdict<ToolCall>[]) => vs.map((v) => (v.action === 'deny' ? v.ruleId : v.action));

describe('bucketOf', () => {
  it.each<[RateLimit, number, number]>([
    [{ perMinute: 30, burst: 10 }, 10, 0.0005],
    [{ perMinute: 30 }, 30, 0.0005],
    [{ perMinute: 2.5 }, 3, 2.5 / 60_000],
    [{ perMinute: 0.5 }, 1, 0.5 / 60_000],
  ])('turns %j into a bucket of %d refilled at %d per ms (burst defaults to perMinute rounded up)', (l, cap, r) => {
    expect(bucketOf(l)).toEqual({ capacity: cap, refillPerMs: r });
  });
});

describe('rate-limit stage', () => {
  it('is a synchronous no-op that allocates nothing when no limit applies', () => {
    const stage = createRateLimitStage({ store: new MemoryStore() });
    const first = stage.check(call(), ctxFor());
    expect(first).toEqual({ action: 'allow' });
    expect(stage.check(call(), ctxFor())).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('sits in the parameter-check slot and fails closed', () => {
    const stage = createRateLimitStage({ store: new MemoryStore() });
    expect([stage.name, stage.slot, stage.failureMode ?? 'closed', stage.mode ?? 'enforce']).toEqual([
      'rate-limit',
      'parameter-check',
      'closed',
      'enforce',
    ]);
  });

  it('allows the burst of a tool limit, then denies naming the rule and when to retry', async () => {
    const stage = createRateLimitStage({ store: new MemoryStore(), policyLimit: { perMinute: 10, burst: 3 } });
    const out: Verdict<ToolCall>[] = [];
    for (let i = 0; i < 4; i++) out.push(await stage.check(call('echo'), ctxFor()));
    expect(actions(out)).toEqual(['allow', 'allow', 'allow', 'rate-limit.tool']);
    expect(out[3]).toEqual({
      action: 'deny',
      ruleId: 'rate-limit.tool',
      reason: expect.stringMatching(
        /^rate limit of 10 calls per minute for srv tool echo exceeded; retry in (6|5\.\d) s$/,
      ) as string,
    });
  });

  it('allows a call again once the retry time has passed', async () => {
    const { store, advance } = clockedStore();
    const stage = createRateLimitStage({ store, policyLimit: { perMinute: 6, burst: 1 } });
    expect((await stage.check(call(), ctxFor())).action).toBe('allow');
    const denied = await stage.check(call(), ctxFor());
    expect(denied).toMatchObject({ reason: expect.stringContaining('retry in 10 s') as string });
    advance(9_999);
    expect((await stage.check(call(), ctxFor())).action).toBe('deny');
    advance(1);
    expect((await stage.check(call(), ctxFor())).action).toBe('allow');
  });

  it.each<[string, number, string]>([
    ['one token every 6 s', 10, 'retry in 6 s'],
    ['one token every 0.2 s', 300, 'retry in 0.2 s'],
    ['one token every 12 s', 5, 'retry in 12 s'],
    ['one token every 8.57 s, rounded up', 7, 'retry in 8.6 s'],
    ['one token every 2 minutes', 0.5, 'retry in 120 s'],
  ])('says when to retry: %s', async (_name, perMinute, text) => {
    const { store } = clockedStore();
    const stage = createRateLimitStage({ store, policyLimit: { perMinute, burst: 1 } });
    await stage.check(call(), ctxFor());
    const denied = await stage.check(call(), ctxFor());
    expect(denied.action === 'deny' && denied.reason).toMatch(new RegExp(`${text.replace('.', '\\.')}$`));
  });

  it('keeps one tool bucket per identity, server and tool', async () => {
    const stage = createRateLimitStage({ store: new MemoryStore(), policyLimit: { perMinute: 1 } });
    const calls: [ToolCall, CallContext][] = [
      [call('a'), ctxFor()],
      [call('b'), ctxFor()],
      [call('a', 'other'), ctxFor({ server: 'other' })],
      [call('a'), ctxFor({ identity: 'alice' })],
      [call('a'), ctxFor()],
    ];
    const out: Verdict<ToolCall>[] = [];
    for (const [c, ctx] of calls) out.push(await stage.check(c, ctx));
    expect(actions(out)).toEqual(['allow', 'allow', 'allow', 'allow', 'rate-limit.tool']);
  });

  it('shares the server bucket among all tools of the server, per identity', async () => {
    const serverLimit = { perMinute: 2 };
    const stage = createRateLimitStage({ store: new MemoryStore() });
    const out: Verdict<ToolCall>[] = [];
    for (const [tool, identity] of [
      ['a', 'local'],
      ['b', 'local'],
      ['c', 'alice'],
      ['c', 'local'],
    ] as const)
      out.push(await stage.check(call(tool), ctxFor({ serverLimit, identity })));
    expect(actions(out)).toEqual(['allow', 'allow', 'allow', 'rate-limit.server']);
    expect(out[3]).toMatchObject({
      reason: expect.stringMatching(/^rate limit of 2 calls per minute for server srv exceeded; retry in/) as string,
    });
  });

  it('uses the documented keys, the tool bucket first', async () => {
    const { store, log } = spyStore(new MemoryStore());
    const stage = createRateLimitStage({ store, policyLimit: { perMinute: 5 } });
    await stage.check(call('echo'), ctxFor({ serverLimit: { perMinute: 5 } }));
    expect(log).toEqual(['take rl:local:srv:echo', 'take rl:local:srv']);
  });

  it.each([
    ['team:alice', 'rl:team%3Aalice:srv:echo'],
    ['50%', 'rl:50%25:srv:echo'],
    ['bob', 'rl:bob:srv:echo'],
  ])('percent-encodes an identity that holds ":" or "%%" (%s), so keys never collide', async (identity, key) => {
    const { store, log } = spyStore(new MemoryStore());
    const stage = createRateLimitStage({ store, policyLimit: { perMinute: 5 } });
    await stage.check(call('echo'), ctxFor({ identity }));
    expect(log).toEqual([`take ${key}`]);
  });

  it('does not touch the server bucket when the tool bucket denies', async () => {
    const { store, log } = spyStore(new MemoryStore());
    const stage = createRateLimitStage({ store, policyLimit: { perMinute: 1 } });
    const ctx = ctxFor({ serverLimit: { perMinute: 100 } });
    await stage.check(call('echo'), ctx);
    log.length = 0;
    expect((await stage.check(call('echo'), ctx)).action).toBe('deny');
    expect(log).toEqual(['take rl:local:srv:echo']);
  });

  it('gives the tool token back when the server bucket denies, so a denied call spends nothing', async () => {
    const { store, log } = spyStore(new MemoryStore());
    const stage = createRateLimitStage({ store, policyLimit: { perMinute: 2 } });
    const ctx = ctxFor({ serverLimit: { perMinute: 1 } });
    expect((await stage.check(call('a'), ctx)).action).toBe('allow');
    log.length = 0;
    expect(await stage.check(call('b'), ctx)).toMatchObject({ ruleId: 'rate-limit.server' });
    expect(log).toEqual(['take rl:local:srv:b', 'take rl:local:srv', 'return rl:local:srv:b']);
    // b's bucket is full again: both of its tokens are there for when the server bucket refills.
    expect(await store.takeToken('rl:local:srv:b', bucketOf({ perMinute: 2 }))).toEqual({
      allowed: true,
      remaining: 1,
      retryAfterMs: 0,
    });
  });

  it('lets exactly the burst through among 50 concurrent calls', async () => {
    const stage = createRateLimitStage({ store: new MemoryStore(), policyLimit: { perMinute: 10, burst: 10 } });
    const out = await Promise.all(Array.from({ length: 50 }, async () => stage.check(call('echo'), ctxFor())));
    expect(out.filter((v) => v.action === 'allow')).toHaveLength(10);
    expect(out.filter((v) => v.action === 'deny' && v.ruleId === 'rate-limit.tool')).toHaveLength(40);
  });

  it('holds both limits exactly among 50 concurrent calls to several tools', async () => {
    const stage = createRateLimitStage({ store: new MemoryStore(), policyLimit: { perMinute: 4 } });
    const ctx = ctxFor({ serverLimit: { perMinute: 10 } });
    const out = await Promise.all(Array.from({ length: 50 }, async (_, i) => stage.check(call(`t${i % 5}`), ctx)));
    expect(out.filter((v) => v.action === 'allow')).toHaveLength(10);
  });

  it('gives the same verdicts for the same calls twice', async () => {
    const run = async () => {
      const { store } = clockedStore();
      const stage = createRateLimitStage({ store, policyLimit: { perMinute: 3 } });
      const ctx = ctxFor({ serverLimit: { perMinute: 4 } });
      const out: Verdict<ToolCall>[] = [];
      for (const tool of ['a', 'a', 'b', 'a', 'b', 'c', 'c']) out.push(await stage.check(call(tool), ctx));
      return out;
    };
    const first = await run();
    expect(actions(first)).toEqual([
      'allow',
      'allow',
      'allow',
      'allow',
      'rate-limit.server',
      'rate-limit.server',
      'rate-limit.server',
    ]);
    expect(await run()).toEqual(first);
  });

  it('denies the call when the store fails (fail closed)', async () => {
    const broken: StateStore = {
      takeToken: () => Promise.reject(new Error('connection refused')),
      returnToken: () => Promise.resolve(),
      addCounter: () => Promise.resolve(0),
      get: () => Promise.resolve(undefined),
      set: () => Promise.resolve(),
      delete: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const stage = createRateLimitStage({ store: broken, policyLimit: { perMinute: 1 } });
    const r = await runStages([stage], call(), ctxFor());
    expect(r.denied).toMatchObject({
      ruleId: 'rate-limit.unavailable',
      reason: 'the rate limit of srv tool tool cannot be checked, so the call is denied: connection refused',
    });
  });

  it('denies the call when the store fails on the server bucket after the tool bucket allowed it', async () => {
    let takes = 0;
    const flaky: StateStore = {
      takeToken: () =>
        ++takes === 1
          ? Promise.resolve({ allowed: true, remaining: 0, retryAfterMs: 0 })
          : Promise.reject(new Error('the shared state store (Redis at redis://h:1) is unavailable: timeout')),
      returnToken: () => Promise.resolve(),
      addCounter: () => Promise.resolve(0),
      get: () => Promise.resolve(undefined),
      set: () => Promise.resolve(),
      delete: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const stage = createRateLimitStage({ store: flaky, policyLimit: { perMinute: 1 } });
    const r = await runStages([stage], call(), ctxFor({ serverLimit: { perMinute: 5 } }));
    expect(r.denied?.ruleId).toBe('rate-limit.unavailable');
    expect(r.denied?.reason).toMatch(/cannot be checked, so the call is denied: the shared state store \(Redis at/);
  });
});
