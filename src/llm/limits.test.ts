/**
 * The AI proxy's limits over the memory store (a table of admit/charge sequences per scope, budget and override,
 * with the wall clock and the store's clock stepped by hand), what a refusal says, the give-back, the failure mode,
 * and, against a real redis-server, that two limiters on one Redis share their buckets and budgets.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/helpers/redis.js';
import { MemoryStore } from '../state/memory.js';
import { RedisStore } from '../state/redis.js';
import type { StateStore } from '../state/store.js';
import { LlmLimitsSchema } from './config-schema.js';
import { createLlmLimiter, periodOf, type LlmSubject } from './limits.js';

const NOON = Date.parse('2026-12-07T12:00:00Z');

const ANA: LlmSubject = { keyId: 'k1', user: 'ana@example.com', project: 'web' };
const ANA2: LlmSubject = { keyId: 'k2', user: 'ana@example.com', project: 'web' };
const BOB: LlmSubject = { keyId: 'k3', user: 'bob@example.com', project: 'web' };
const BOB_OPS: LlmSubject = { keyId: 'k4', user: 'bob@example.com', project: 'ops' };
const ANA_SSO: LlmSubject = { user: 'ana@example.com', project: 'web' };

/** A limiter on a memory store whose clock (the buckets') the test steps with `wait`. */
function setup(limits: unknown, wrap: (s: StateStore) => StateStore = (s) => s) {
  let t = 1_000_000;
  const memory = new MemoryStore({ now: () => t });
  const store = wrap(memory);
  return {
    memory,
    limiter: createLlmLimiter(store, LlmLimitsSchema.parse(limits)),
    wait: (ms: number) => void (t += ms),
  };
}

type Step =
  | ['admit', LlmSubject]
  | ['charge', LlmSubject, number, number]
  /** Sets the wall clock (the period) to this ISO time. */
  | ['at', string]
  /** Moves the store's clock (the buckets' refill). */
  | ['wait', number];

/** Runs the steps; returns each admit's verdict as 'ok' or its rule id. */
async function play(limits: unknown, steps: readonly Step[]): Promise<string[]> {
  const { limiter, wait } = setup(limits);
  let now = NOON;
  const out: string[] = [];
  for (const step of steps) {
    if (step[0] === 'at') now = Date.parse(step[1]);
    else if (step[0] === 'wait') wait(step[1]);
    else if (step[0] === 'charge') await limiter.charge(step[1], { tokens: step[2], costUsd: step[3] }, now);
    else {
      const v = await limiter.admit(step[1], now);
      out.push(v.ok ? 'ok' : v.ruleId);
    }
  }
  return out;
}

const RL = 'llm.rate-limit';
const TOK = 'llm.budget.tokens';
const COST = 'llm.budget.cost';

const CASES: [string, unknown, Step[], string[]][] = [
  [
    'no limits admit everything',
    {},
    [
      ['admit', ANA],
      ['charge', ANA, 1e9, 1e6],
      ['admit', ANA],
    ],
    ['ok', 'ok'],
  ],
  [
    'a key rate limit counts each key apart, and refills',
    { key: { requestsPerMinute: 2 } },
    [
      ['admit', ANA],
      ['admit', ANA],
      ['admit', ANA],
      ['admit', ANA2],
      ['wait', 30_000],
      ['admit', ANA],
      ['admit', ANA],
    ],
    ['ok', 'ok', RL, 'ok', 'ok', RL],
  ],
  [
    'a user rate limit counts all the user’s keys together',
    { user: { requestsPerMinute: 2 } },
    [
      ['admit', ANA],
      ['admit', ANA2],
      ['admit', ANA],
      ['admit', BOB],
    ],
    ['ok', 'ok', RL, 'ok'],
  ],
  [
    'a project rate limit counts all its users together',
    { project: { requestsPerMinute: 2 } },
    [
      ['admit', ANA],
      ['admit', BOB],
      ['admit', BOB_OPS],
      ['admit', ANA2],
    ],
    ['ok', 'ok', 'ok', RL],
  ],
  [
    'an SSO user without a key has a key scope of their own',
    { key: { requestsPerMinute: 1 } },
    [
      ['admit', ANA_SSO],
      ['admit', ANA_SSO],
      ['admit', ANA],
    ],
    ['ok', RL, 'ok'],
  ],
  [
    'a key’s daily tokens refuse once spent (spent >= limit), for that key only',
    { key: { tokensPerDay: 100 } },
    [
      ['admit', ANA],
      ['charge', ANA, 60, 0],
      ['admit', ANA],
      ['charge', ANA, 40, 0],
      ['admit', ANA],
      ['admit', ANA2],
    ],
    ['ok', 'ok', TOK, 'ok'],
  ],
  [
    'a user’s monthly tokens hold for all their keys until the next UTC month',
    { user: { tokensPerMonth: 100 } },
    [
      ['charge', ANA, 100, 0],
      ['admit', ANA2],
      ['admit', BOB],
      ['at', '2026-12-31T23:59:59.999Z'],
      ['admit', ANA],
      ['at', '2027-01-01T00:00:00Z'],
      ['admit', ANA],
    ],
    [TOK, 'ok', TOK, 'ok'],
  ],
  [
    'a project’s daily cost holds for all its users',
    { project: { costPerDayUsd: 1 } },
    [
      ['charge', ANA, 0, 0.25],
      ['charge', BOB, 0, 0.5],
      ['admit', ANA2],
      ['charge', ANA, 0, 0.25],
      ['admit', BOB],
      ['admit', BOB_OPS],
    ],
    ['ok', COST, 'ok'],
  ],
  [
    'a key’s monthly cost survives the day’s end',
    { key: { costPerMonthUsd: 2 } },
    [
      ['charge', ANA, 0, 2.5],
      ['at', '2026-12-08T00:00:00Z'],
      ['admit', ANA],
      ['admit', ANA2],
    ],
    [COST, 'ok'],
  ],
  [
    'a daily budget renews at the next UTC day',
    { key: { tokensPerDay: 100 } },
    [
      ['at', '2026-12-07T23:59:59.999Z'],
      ['charge', ANA, 100, 0],
      ['admit', ANA],
      ['at', '2026-12-08T00:00:00Z'],
      ['admit', ANA],
    ],
    [TOK, 'ok'],
  ],
  [
    'users[email] replaces user for that user (matched without regard to case)',
    { user: { requestsPerMinute: 1 }, users: { 'Ana@Example.com': { requestsPerMinute: 3 } } },
    [
      ['admit', ANA],
      ['admit', ANA2],
      ['admit', ANA],
      ['admit', ANA],
      ['admit', BOB],
      ['admit', BOB],
    ],
    ['ok', 'ok', 'ok', RL, 'ok', RL],
  ],
  [
    'projects[name] replaces project for that project',
    { project: { tokensPerDay: 10 }, projects: { ops: { tokensPerDay: 1000 } } },
    [
      ['charge', BOB_OPS, 500, 0],
      ['admit', BOB_OPS],
      ['charge', ANA, 10, 0],
      ['admit', BOB],
      ['admit', BOB_OPS],
    ],
    ['ok', TOK, 'ok'],
  ],
  [
    'every scope that applies is enforced: the key’s own limit, then the user’s',
    { key: { requestsPerMinute: 1 }, user: { tokensPerDay: 5 } },
    [
      ['admit', ANA],
      ['admit', ANA],
      ['admit', ANA2],
      ['charge', ANA2, 5, 0],
      ['admit', ANA2],
      ['admit', BOB],
    ],
    ['ok', RL, 'ok', TOK, 'ok'],
  ],
];

describe('createLlmLimiter over the memory store', () => {
  it.each(CASES)('%s', async (_name, limits, steps, expected) => {
    expect(await play(limits, steps)).toEqual(expected);
    // The same input on a fresh store gives the same answers.
    expect(await play(limits, steps)).toEqual(expected);
  });

  it('names the scope, the limit and when to retry: the bucket refill for a rate', async () => {
    const { limiter } = setup({ key: { requestsPerMinute: 2 } });
    await limiter.admit(ANA);
    await limiter.admit(ANA);
    expect(await limiter.admit(ANA)).toEqual({
      ok: false,
      ruleId: 'llm.rate-limit',
      reason: 'the rate limit of 2 requests per minute for gateway key k1 is exceeded; retry in 30 s',
      retryAfterMs: 30_000,
      status: 429,
    });
  });

  it.each<[string, unknown, LlmSubject, { tokens: number; costUsd: number }, string, number]>([
    [
      'the next UTC day for a daily token budget',
      { key: { tokensPerDay: 100 } },
      ANA,
      { tokens: 120, costUsd: 0 },
      'the token budget of 100 tokens per UTC day for gateway key k1 is spent (120 tokens used in 2026-12-07); retry after 2026-12-08T00:00:00Z',
      12 * 3_600_000,
    ],
    [
      'the next UTC month for a monthly cost budget, naming an SSO user',
      { key: { costPerMonthUsd: 0.5 } },
      ANA_SSO,
      { tokens: 0, costUsd: 0.500012345 },
      'the cost budget of $0.5 per UTC month for user ana@example.com (signed in without a key) is spent ($0.5 used in 2026-12); retry after 2027-01-01T00:00:00Z',
      Date.parse('2027-01-01T00:00:00Z') - NOON,
    ],
    [
      'the budget that renews last when several are spent',
      { user: { tokensPerDay: 10, costPerDayUsd: 1 }, project: { tokensPerMonth: 10 } },
      ANA,
      { tokens: 10, costUsd: 1 },
      'the token budget of 10 tokens per UTC month for project web is spent (10 tokens used in 2026-12); retry after 2027-01-01T00:00:00Z',
      Date.parse('2027-01-01T00:00:00Z') - NOON,
    ],
  ])('says when to retry: %s', async (_name, limits, subject, usage, reason, retryAfterMs) => {
    const { limiter } = setup(limits);
    await limiter.charge(subject, usage, NOON);
    expect(await limiter.admit(subject, NOON)).toMatchObject({ ok: false, reason, retryAfterMs, status: 429 });
  });

  it('gives back the tokens it took when a later bucket refuses, and takes none when a budget refuses', async () => {
    const log: string[] = [];
    const { limiter } = setup(
      { key: { requestsPerMinute: 5 }, project: { requestsPerMinute: 1, tokensPerDay: 10 } },
      (inner) => ({
        ...bind(inner),
        takeToken: (k, b) => (log.push(`take ${k}`), inner.takeToken(k, b)),
        returnToken: (k, b) => (log.push(`return ${k}`), inner.returnToken(k, b)),
      }),
    );
    expect((await limiter.admit(ANA, NOON)).ok).toBe(true);
    expect(await limiter.admit(ANA, NOON)).toMatchObject({ ruleId: 'llm.rate-limit' });
    expect(log).toEqual([
      'take llm:rl:key:k1',
      'take llm:rl:project:web',
      'take llm:rl:key:k1',
      'take llm:rl:project:web',
      'return llm:rl:key:k1',
    ]);
    log.length = 0;
    await limiter.charge(ANA, { tokens: 10, costUsd: 0 }, NOON);
    expect(await limiter.admit(ANA, NOON)).toMatchObject({ ruleId: 'llm.budget.tokens' });
    expect(log).toEqual([]);
  });

  it.each<[string, (inner: StateStore) => Partial<StateStore>, RegExp]>([
    [
      'a store that is down',
      () => ({ get: () => Promise.reject(new Error('connection refused')) }),
      /connection refused/,
    ],
    [
      'a store that fails on the second bucket',
      (inner) => ({ takeToken: failSecond(inner) }),
      /the shared state store \(Redis at redis:\/\/h:1\) is unavailable/,
    ],
    [
      'a counter that is not a number',
      () => ({ get: () => Promise.resolve('lots') }),
      /the counter llm:user:ana@example.com:tokens:2026-12-07 holds "lots", not a number/,
    ],
  ])('refuses with llm.limits.unavailable (503) on %s, and gives back what it took', async (name, broken, message) => {
    const returned: string[] = [];
    const { limiter, memory } = setup(
      { key: { requestsPerMinute: 1 }, user: { requestsPerMinute: 5, tokensPerDay: 100 } },
      (inner) => ({
        ...bind(inner),
        returnToken: (k, b) => (returned.push(k), inner.returnToken(k, b)),
        ...broken(inner),
      }),
    );
    const verdict = await limiter.admit(ANA, NOON);
    expect(verdict).toMatchObject({ ok: false, ruleId: 'llm.limits.unavailable', status: 503, retryAfterMs: 1000 });
    expect(!verdict.ok && verdict.reason).toMatch(
      /^the limits of gateway key k1, user ana@example.com cannot be checked, so the request is refused: /,
    );
    expect(!verdict.ok && verdict.reason).toMatch(message);
    // The key's token came back whenever it had been taken, so the key's one request a minute is still there.
    expect(await createLlmLimiter(memory, LlmLimitsSchema.parse({ key: { requestsPerMinute: 1 } })).admit(ANA)).toEqual(
      {
        ok: true,
      },
    );
    expect(returned).toEqual(name.includes('second bucket') ? ['llm:rl:key:k1'] : []);
  });

  it('charges only the counters that apply, under names that hold the scope, id, measure and period', async () => {
    const { limiter, memory } = setup({
      key: { tokensPerDay: 1000 },
      user: { costPerMonthUsd: 10 },
      projects: { web: { tokensPerMonth: 5000, costPerDayUsd: 5 } },
    });
    await limiter.charge(ANA_SSO, { tokens: 300, costUsd: 0.75 }, NOON);
    await limiter.charge(ANA_SSO, { tokens: 0, costUsd: 0 }, NOON);
    await limiter.charge(BOB_OPS, { tokens: 300, costUsd: 0.75 }, NOON);
    const read = (k: string) => memory.get(k);
    expect(await read('llm:key:sso%3Aana%40example.com:tokens:2026-12-07')).toBe('300');
    expect(await read('llm:key:sso%3Aana%40example.com:cost:2026-12-07')).toBeUndefined();
    expect(await read('llm:user:ana@example.com:cost:2026-12')).toBe('0.75');
    expect(await read('llm:user:ana@example.com:tokens:2026-12')).toBeUndefined();
    expect(await read('llm:project:web:tokens:2026-12')).toBe('300');
    expect(await read('llm:project:web:cost:2026-12-07')).toBe('0.75');
    expect(await read('llm:project:ops:tokens:2026-12')).toBeUndefined();
    expect(await limiter.usage(ANA_SSO, NOON)).toEqual([
      {
        scope: 'key',
        id: 'sso:ana@example.com',
        subject: 'user ana@example.com (signed in without a key)',
        measure: 'tokens',
        period: 'day',
        periodId: '2026-12-07',
        spent: 300,
        limit: 1000,
        left: 700,
        renewsAt: '2026-12-08T00:00:00.000Z',
      },
      expect.objectContaining({ scope: 'user', measure: 'cost', period: 'month', spent: 0.75, left: 9.25 }),
      expect.objectContaining({ scope: 'project', measure: 'tokens', period: 'month', spent: 300, left: 4700 }),
      expect.objectContaining({ scope: 'project', measure: 'cost', period: 'day', spent: 0.75, left: 4.25 }),
    ]);
  });

  it('lets a day’s counter expire a little after the day ends', async () => {
    const { limiter, memory, wait } = setup({ key: { tokensPerDay: 100 } });
    await limiter.charge(ANA, { tokens: 7, costUsd: 0 }, Date.parse('2026-12-07T23:00:00Z'));
    wait(3_600_000 + 10 * 60_000);
    expect(await memory.get('llm:key:k1:tokens:2026-12-07')).toBe('7');
    wait(1);
    expect(await memory.get('llm:key:k1:tokens:2026-12-07')).toBeUndefined();
  });

  it.each([
    [{ tokens: -1, costUsd: 0 }, /usage.tokens must be a finite number >= 0, got -1/],
    [{ tokens: 1, costUsd: Number.NaN }, /usage.costUsd must be a finite number >= 0, got NaN/],
  ])('rejects a charge of %j', async (usage, message) => {
    const { limiter } = setup({ key: { tokensPerDay: 100 } });
    await expect(limiter.charge(ANA, usage)).rejects.toThrow(message);
  });

  it('tries every counter when one fails, then rejects naming the scopes', async () => {
    const added: string[] = [];
    const { limiter, memory } = setup({ key: { tokensPerDay: 100 }, user: { tokensPerDay: 100 } }, (inner) => ({
      ...bind(inner),
      addCounter: (k, d, ttl) =>
        k.startsWith('llm:key:') ? Promise.reject(new Error('timeout')) : (added.push(k), inner.addCounter(k, d, ttl)),
    }));
    await expect(limiter.charge(ANA, { tokens: 5, costUsd: 0 }, NOON)).rejects.toThrow(
      'the usage of gateway key k1, user ana@example.com could not all be counted: timeout',
    );
    expect(added).toEqual(['llm:user:ana@example.com:tokens:2026-12-07']);
    expect(await memory.get(added[0]!)).toBe('5');
  });
});

describe('periodOf', () => {
  it.each<[string, 'day' | 'month', string, string]>([
    ['2026-12-07T12:00:00Z', 'day', '2026-12-07', '2026-12-08T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', 'day', '2026-12-31', '2027-01-01T00:00:00.000Z'],
    ['2028-02-28T05:00:00Z', 'day', '2028-02-28', '2028-02-29T00:00:00.000Z'],
    ['2026-12-07T12:00:00Z', 'month', '2026-12', '2027-01-01T00:00:00.000Z'],
    ['2027-01-31T23:59:59Z', 'month', '2027-01', '2027-02-01T00:00:00.000Z'],
  ])('puts %s in the %s %s, which ends at %s', (at, period, id, end) => {
    const p = periodOf(period, Date.parse(at));
    expect(p.id).toBe(id);
    expect(new Date(p.end).toISOString()).toBe(end);
  });
});

describe('createLlmLimiter shared through a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it('lets two limiters on one Redis share a budget and a rate, with counters that expire after their period', async () => {
    const prefix = `llm${crypto.randomBytes(4).toString('hex')}:`;
    const a = new RedisStore({ url: redis.url, keyPrefix: prefix });
    const b = new RedisStore({ url: redis.url, keyPrefix: prefix });
    try {
      const limits = LlmLimitsSchema.parse({ key: { requestsPerMinute: 3 }, user: { tokensPerDay: 100 } });
      const [one, two] = [createLlmLimiter(a, limits), createLlmLimiter(b, limits)];
      const admits = await Promise.all([one, two, one, two].map((l) => l.admit(ANA)));
      expect(admits.map((v) => (v.ok ? 'ok' : v.ruleId)).sort()).toEqual(['llm.rate-limit', 'ok', 'ok', 'ok']);
      await one.charge(ANA2, { tokens: 60, costUsd: 0 });
      expect((await two.admit(ANA2)).ok).toBe(true);
      await two.charge(ANA2, { tokens: 40, costUsd: 0 });
      expect(await one.admit(ANA2)).toMatchObject({ ok: false, ruleId: 'llm.budget.tokens' });
      expect((await one.usage(ANA))[0]).toMatchObject({ scope: 'user', spent: 100, left: 0 });
      const now = Date.now();
      const key = `${prefix}llm:user:ana@example.com:tokens:${periodOf('day', now).id}`;
      const ttl = Number(redis.cli('PTTL', key));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(periodOf('day', now).end - now + 10 * 60_000);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/** The store's methods bound to it, so that a test can override some and spread the rest. */
function bind(store: StateStore): StateStore {
  return {
    takeToken: (k, b) => store.takeToken(k, b),
    returnToken: (k, b) => store.returnToken(k, b),
    addCounter: (k, d, ttl) => store.addCounter(k, d, ttl),
    get: (k) => store.get(k),
    set: (k, v, ttl) => store.set(k, v, ttl),
    delete: (k) => store.delete(k),
    close: () => store.close(),
  };
}

/** A takeToken that takes the first token from `inner` and fails the second as a Redis that went down does. */
function failSecond(inner: StateStore): StateStore['takeToken'] {
  let takes = 0;
  return (k, b) =>
    ++takes === 1
      ? inner.takeToken(k, b)
      : Promise.reject(new Error('the shared state store (Redis at redis://h:1) is unavailable: timeout'));
}
