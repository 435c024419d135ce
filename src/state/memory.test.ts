import { describe, expect, it } from 'vitest';
import { describeStateStoreContract } from '../../test/helpers/state-contract.js';
import { MemoryStore } from './memory.js';
import type { TakeResult, TokenBucket } from './store.js';

/** A store on a clock the test moves by hand; `at(ms)` is relative to an arbitrary origin. */
function clocked(opts: { maxKeys?: number } = {}) {
  const origin = 1_000_000;
  let t = origin;
  const store = new MemoryStore({ ...opts, now: () => t });
  return {
    store,
    at: (ms: number) => {
      t = origin + ms;
    },
  };
}

const perMinute = (n: number, capacity = Math.ceil(n)): TokenBucket => ({ capacity, refillPerMs: n / 60_000 });

const ok = (remaining: number): TakeResult => ({ allowed: true, remaining, retryAfterMs: 0 });
const no = (retryAfterMs: number): TakeResult => ({ allowed: false, remaining: 0, retryAfterMs });

/** [at ms, expected result] steps, all on one key. */
type Step = [number, TakeResult];

const SEQUENCES: [string, TokenBucket, Step[]][] = [
  [
    'a full bucket allows a burst of its capacity at once, then denies',
    perMinute(60, 3),
    [
      [0, ok(2)],
      [0, ok(1)],
      [0, ok(0)],
      [0, no(1000)],
    ],
  ],
  [
    'refills continuously at perMinute / 60 000 tokens per millisecond',
    perMinute(60, 2),
    [
      [0, ok(1)],
      [0, ok(0)],
      [500, no(500)],
      [1000, ok(0)],
      [1999, no(1)],
      [2000, ok(0)],
    ],
  ],
  [
    'never refills beyond the capacity',
    perMinute(60, 2),
    [
      [0, ok(1)],
      [0, ok(0)],
      [60_000, ok(1)],
      [60_000, ok(0)],
      [60_000, no(1000)],
    ],
  ],
  [
    'refills fractional rates: 0.5 per minute is one call every two minutes',
    perMinute(0.5),
    [
      [0, ok(0)],
      [60_000, no(60_000)],
      [119_999, no(1)],
      [120_000, ok(0)],
    ],
  ],
  [
    'keeps the fraction of a token between calls (7 per minute: one every 8571.43 ms)',
    perMinute(7, 2),
    [
      [0, ok(1)],
      [0, ok(0)],
      [0, no(8572)],
      [5000, no(3572)],
      [8572, ok(0)],
      // 0.43 ms of refill carried over: the next token is due at 17 142.86 ms, not 17 144.
      [8572, no(8571)],
      [17_143, ok(0)],
    ],
  ],
  [
    'a denied take spends nothing: retrying early does not push the retry time back',
    perMinute(60, 1),
    [
      [0, ok(0)],
      [100, no(900)],
      [200, no(800)],
      [900, no(100)],
      [1000, ok(0)],
    ],
  ],
  [
    'ignores a clock that runs backwards instead of draining the bucket',
    perMinute(60, 2),
    [
      [10_000, ok(1)],
      [5_000, ok(0)],
      [5_000, no(1000)],
    ],
  ],
];

describe('MemoryStore.takeToken', () => {
  it.each(SEQUENCES)('%s', async (_name, bucket, steps) => {
    const { store, at } = clocked();
    for (const [t, expected] of steps) {
      at(t);
      expect(await store.takeToken('k', bucket), `at ${t} ms`).toEqual(expected);
    }
  });

  it.each(SEQUENCES)('gives the same answers for the same input twice: %s', async (_name, bucket, steps) => {
    const run = async () => {
      const { store, at } = clocked();
      const out: TakeResult[] = [];
      for (const [t] of steps) {
        at(t);
        out.push(await store.takeToken('k', bucket));
      }
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it.each([0.1, 1, 7, 13.7, 59, 60, 600, 1e6])(
    'at %s per minute, a retry after exactly retryAfterMs succeeds and one millisecond earlier does not',
    async (rate) => {
      const bucket = perMinute(rate, 1);
      const { store, at } = clocked();
      let now = 1234.5;
      for (let round = 0; round < 5; round++) {
        at(now);
        expect((await store.takeToken('k', bucket)).allowed).toBe(true);
        const denied = await store.takeToken('k', bucket);
        expect(denied.allowed).toBe(false);
        expect(denied.retryAfterMs).toBeGreaterThan(0);
        at(now + denied.retryAfterMs - 1);
        if (denied.retryAfterMs > 1) expect((await store.takeToken('k', bucket)).allowed).toBe(false);
        now += denied.retryAfterMs;
      }
    },
  );

  it('allows exactly the capacity among 50 concurrent takes', async () => {
    const { store } = clocked();
    const results = await Promise.all(Array.from({ length: 50 }, () => store.takeToken('k', perMinute(10))));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs === 6000)).toBe(true);
  });

  it('caps a bucket by its new capacity when the limit shrinks (a config reload)', async () => {
    const { store, at } = clocked();
    expect(await store.takeToken('k', perMinute(60, 10))).toEqual(ok(9));
    at(1);
    expect(await store.takeToken('k', perMinute(60, 3))).toEqual(ok(2));
  });
});

describe('MemoryStore.returnToken', () => {
  it('gives a token back, so the next take succeeds', async () => {
    const { store } = clocked();
    const bucket = perMinute(60, 1);
    await store.takeToken('k', bucket);
    await store.returnToken('k', bucket);
    expect(await store.takeToken('k', bucket)).toEqual(ok(0));
    expect(await store.takeToken('k', bucket)).toEqual(no(1000));
  });

  it('never fills a bucket beyond its capacity', async () => {
    const { store, at } = clocked();
    const bucket = perMinute(60, 2);
    await store.takeToken('k', bucket);
    at(500);
    await store.returnToken('k', bucket);
    await store.returnToken('k', bucket);
    expect(store.size).toBe(0);
    expect(await store.takeToken('k', bucket)).toEqual(ok(1));
  });

  it('does nothing for a bucket it does not hold (an absent bucket is full)', async () => {
    const { store } = clocked();
    await store.returnToken('k', perMinute(60, 1));
    expect(store.size).toBe(0);
  });
});

describe('MemoryStore memory bounds', () => {
  it('forgets a bucket once it would be full again, and the forgotten bucket reads as full', async () => {
    const { store, at } = clocked();
    const bucket = perMinute(60, 3);
    await store.takeToken('k', bucket);
    await store.takeToken('k', bucket);
    at(2000);
    expect(store.size).toBe(1);
    at(2001);
    expect(store.size).toBe(0);
    expect(await store.takeToken('k', bucket)).toEqual(ok(2));
  });

  it('drops a bucket that a take leaves full instead of storing it', async () => {
    const { store } = clocked();
    // Capacity 1 with a refill faster than a millisecond: full again at once.
    await store.takeToken('k', { capacity: 1, refillPerMs: 2 });
    expect(store.size).toBe(1);
    await store.returnToken('k', { capacity: 1, refillPerMs: 2 });
    expect(store.size).toBe(0);
  });

  it('holds at most maxKeys keys, dropping the least recently used', async () => {
    const { store } = clocked({ maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) await store.takeToken(key, perMinute(1));
    expect(store.size).toBe(2);
    expect(await store.takeToken('c', perMinute(1))).toEqual(no(60_000));
  });
});

describe('MemoryStore values', () => {
  it('expires a value once more than its ttl has passed (as Redis PX does), and keeps one without a ttl', async () => {
    const { store, at } = clocked();
    await store.set('short', 'x', 100);
    await store.set('long', 'y');
    at(100);
    expect(await store.get('short')).toBe('x');
    at(101);
    expect(await store.get('short')).toBeUndefined();
    at(1e9);
    expect(await store.get('long')).toBe('y');
  });

  it('runs on the real clock by default', async () => {
    const store = new MemoryStore();
    expect(await store.takeToken('k', perMinute(60, 1))).toEqual(ok(0));
    expect((await store.takeToken('k', perMinute(60, 1))).retryAfterMs).toBeGreaterThan(900);
  });
});

describe('MemoryStore counters', () => {
  it('keeps the expiry of the first add however often the counter is added to', async () => {
    const { store, at } = clocked();
    expect(await store.addCounter('c', 5, 1000)).toBe(5);
    at(600);
    expect(await store.addCounter('c', 2, 1000)).toBe(7);
    at(1000);
    expect(await store.get('c')).toBe('7');
    at(1001);
    expect(await store.get('c')).toBeUndefined();
    expect(await store.addCounter('c', 1, 1000)).toBe(1);
  });

  it('gives a numeric value set without a ttl the ttl of its first add (as PEXPIRE NX does)', async () => {
    const { store, at } = clocked();
    await store.set('c', '10');
    expect(await store.addCounter('c', -2.5, 500)).toBe(7.5);
    at(501);
    expect(await store.get('c')).toBeUndefined();
  });
});

describeStateStoreContract('memory', () => Promise.resolve(new MemoryStore()));
