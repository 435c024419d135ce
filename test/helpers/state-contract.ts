/**
 * The StateStore contract (src/state/store.ts) as one suite that every back end runs: memory.test.ts against the
 * in-process store, redis.test.ts against a real redis-server. These tests run on the store's own clock (Redis uses
 * `TIME`), so they step time by waiting a little, and assert only what a correct store guarantees whatever the
 * scheduling: a retry after `retryAfterMs` succeeds, and a take right after a denied one is denied too.
 */
import { describe, expect, it } from 'vitest';
import type { StateStore, TakeResult, TokenBucket } from '../../src/state/store.js';

export const perMinute = (n: number, capacity = Math.ceil(n)): TokenBucket => ({
  capacity,
  refillPerMs: n / 60_000,
});

const ok = (remaining: number): TakeResult => ({ allowed: true, remaining, retryAfterMs: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `make` returns a fresh, empty store; the suite closes it. */
export function describeStateStoreContract(backend: string, make: () => Promise<StateStore>): void {
  const withStore = (fn: (store: StateStore) => Promise<void>) => async () => {
    const store = await make();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  describe(`StateStore contract: ${backend}`, () => {
    it(
      'allows a burst of the capacity at once, then denies with the time until one token is back',
      withStore(async (store) => {
        const bucket = perMinute(60, 3);
        expect(await store.takeToken('k', bucket)).toEqual(ok(2));
        expect(await store.takeToken('k', bucket)).toEqual(ok(1));
        expect(await store.takeToken('k', bucket)).toEqual(ok(0));
        const denied = await store.takeToken('k', bucket);
        expect(denied.allowed).toBe(false);
        expect(denied.remaining).toBe(0);
        expect(denied.retryAfterMs).toBeGreaterThan(0);
        expect(denied.retryAfterMs).toBeLessThanOrEqual(1000);
      }),
    );

    it(
      'gives the same answers for the same input twice',
      withStore(async (store) => {
        const run = async (key: string) => {
          const out: boolean[] = [];
          for (let i = 0; i < 4; i++) out.push((await store.takeToken(key, perMinute(6, 2))).allowed);
          return out;
        };
        expect(await run('a')).toEqual([true, true, false, false]);
        expect(await run('b')).toEqual([true, true, false, false]);
      }),
    );

    it(
      'refills on the store’s own clock: a retry after retryAfterMs succeeds',
      withStore(async (store) => {
        const bucket = perMinute(600, 1); // one token every 100 ms
        expect((await store.takeToken('k', bucket)).allowed).toBe(true);
        const denied = await store.takeToken('k', bucket);
        expect(denied.allowed).toBe(false);
        expect(denied.retryAfterMs).toBeGreaterThan(0);
        expect(denied.retryAfterMs).toBeLessThanOrEqual(100);
        await sleep(denied.retryAfterMs + 5);
        expect(await store.takeToken('k', bucket)).toEqual(ok(0));
      }),
    );

    it(
      'keeps buckets apart by key',
      withStore(async (store) => {
        const bucket = perMinute(1, 1);
        expect(await store.takeToken('a', bucket)).toEqual(ok(0));
        expect(await store.takeToken('b', bucket)).toEqual(ok(0));
        expect((await store.takeToken('a', bucket)).allowed).toBe(false);
      }),
    );

    it(
      'allows exactly the capacity among 50 concurrent takes',
      withStore(async (store) => {
        const results = await Promise.all(Array.from({ length: 50 }, () => store.takeToken('k', perMinute(1, 10))));
        expect(results.filter((r) => r.allowed)).toHaveLength(10);
        expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs > 50_000)).toBe(true);
      }),
    );

    it(
      'caps a bucket by its new capacity when the limit shrinks (a config reload)',
      withStore(async (store) => {
        expect(await store.takeToken('k', perMinute(1, 10))).toEqual(ok(9));
        expect(await store.takeToken('k', perMinute(1, 3))).toEqual(ok(2));
      }),
    );

    it(
      'gives a token back, never beyond the capacity, and ignores a bucket it does not hold',
      withStore(async (store) => {
        const bucket = perMinute(1, 1);
        await store.returnToken('absent', bucket);
        expect(await store.takeToken('absent', bucket)).toEqual(ok(0));
        await store.takeToken('k', bucket);
        await store.returnToken('k', bucket);
        await store.returnToken('k', bucket);
        expect(await store.takeToken('k', bucket)).toEqual(ok(0));
        expect((await store.takeToken('k', bucket)).allowed).toBe(false);
      }),
    );

    it(
      'gets, sets and deletes strings',
      withStore(async (store) => {
        expect(await store.get('v')).toBeUndefined();
        await store.set('v', 'one');
        expect(await store.get('v')).toBe('one');
        await store.set('v', 'two');
        expect(await store.get('v')).toBe('two');
        await store.delete('v');
        expect(await store.get('v')).toBeUndefined();
        await store.delete('v');
      }),
    );

    it(
      'expires a value after its ttl and keeps one without a ttl',
      withStore(async (store) => {
        await store.set('short', 'x', 30);
        await store.set('long', 'y');
        expect(await store.get('short')).toBe('x');
        await sleep(80);
        expect(await store.get('short')).toBeUndefined();
        expect(await store.get('long')).toBe('y');
      }),
    );

    it.each([0, -1, Number.NaN])('rejects a ttl of %s', async (ttl) => {
      await withStore(async (store) => {
        await expect(store.set('v', 'x', ttl)).rejects.toThrow(RangeError);
      })();
    });

    it(
      'rejects a token take on a key that holds a value, and reads a bucket as no value',
      withStore(async (store) => {
        await store.set('v', 'x');
        await expect(store.takeToken('v', perMinute(1))).rejects.toThrow(/holds a value/);
        await store.takeToken('b', perMinute(1));
        expect(await store.get('b')).toBeUndefined();
      }),
    );

    it(
      'adds to a counter atomically, fractions too, and reads it back as a decimal string (same input twice)',
      withStore(async (store) => {
        for (const key of ['c1', 'c2']) {
          expect(await store.addCounter(key, 120, 60_000)).toBe(120);
          expect(await store.addCounter(key, 0.25, 60_000)).toBeCloseTo(120.25, 9);
          expect(Number(await store.get(key))).toBeCloseTo(120.25, 9);
        }
        const totals = await Promise.all(Array.from({ length: 50 }, () => store.addCounter('c3', 2, 60_000)));
        expect(Math.max(...totals)).toBe(100);
        expect(new Set(totals).size).toBe(50);
      }),
    );

    it(
      'expires a counter ttlMs after its first add',
      withStore(async (store) => {
        await store.addCounter('c', 1, 30);
        await sleep(80);
        expect(await store.get('c')).toBeUndefined();
        expect(await store.addCounter('c', 1, 60_000)).toBe(1);
      }),
    );

    it.each<[number, number, RegExp]>([
      [Number.NaN, 1000, /delta must be a finite number/],
      [Number.POSITIVE_INFINITY, 1000, /delta must be a finite number/],
      [1, 0, /ttlMs must be positive/],
      [1, -5, /ttlMs must be positive/],
    ])('rejects a counter add of %s with a ttl of %s', async (delta, ttl, message) => {
      await withStore(async (store) => {
        await expect(store.addCounter('c', delta, ttl)).rejects.toThrow(message);
        expect(await store.get('c')).toBeUndefined();
      })();
    });

    it(
      'rejects a counter add on a bucket or on a value that is not a number, and changes neither',
      withStore(async (store) => {
        await store.takeToken('b', perMinute(1, 5));
        await expect(store.addCounter('b', 1, 1000)).rejects.toThrow(/state key b holds a bucket, not a counter/);
        expect(await store.takeToken('b', perMinute(1, 5))).toEqual(ok(3));
        await store.set('v', 'hello');
        await expect(store.addCounter('v', 1, 1000)).rejects.toThrow(/state key v holds a value that is not a number/);
        expect(await store.get('v')).toBe('hello');
      }),
    );

    it('rejects every operation after close', async () => {
      const store = await make();
      await store.close();
      await expect(store.takeToken('k', perMinute(1))).rejects.toThrow(/closed/);
      await expect(store.get('k')).rejects.toThrow(/closed/);
      await expect(store.addCounter('k', 1, 1000)).rejects.toThrow(/closed/);
      await store.close();
    });
  });
}
