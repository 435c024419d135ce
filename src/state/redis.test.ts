/**
 * The Redis back end against a real redis-server (test/helpers/redis.ts): the shared StateStore contract, then what
 * only a shared store must show: two separate clients never spend more than the capacity between them, a bucket
 * expires once it would be full, and a store whose Redis goes away fails fast with an error that names it, and
 * resumes when Redis is back.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/helpers/redis.js';
import { describeStateStoreContract, perMinute } from '../../test/helpers/state-contract.js';
import { RedisStore, StateUnavailableError, type RedisStoreOptions } from './redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

/** A store on its own key prefix, so that tests never see each other's keys. */
function storeOn(prefix = `t${crypto.randomBytes(4).toString('hex')}:`, extra: Partial<RedisStoreOptions> = {}) {
  return new RedisStore({ url: redis.url, keyPrefix: prefix, ...extra });
}

describeStateStoreContract('redis', () => Promise.resolve(storeOn()));

describe('RedisStore shared by instances', () => {
  it('never lets two clients together take more than the capacity among 200 concurrent takes', async () => {
    const prefix = `race${crypto.randomBytes(4).toString('hex')}:`;
    const a = storeOn(prefix);
    const b = storeOn(prefix);
    try {
      const takes = Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).takeToken('rl:x', perMinute(1, 25)));
      const results = await Promise.all(takes);
      expect(results.filter((r) => r.allowed)).toHaveLength(25);
      // Both saw the same bucket: the remaining counts 24..0 each appear exactly once.
      expect(
        results
          .filter((r) => r.allowed)
          .map((r) => r.remaining)
          .sort((x, y) => x - y),
      ).toEqual(Array.from({ length: 25 }, (_, i) => i));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps a bucket only until it would be full again (PEXPIRE), under the key prefix', async () => {
    const prefix = `exp${crypto.randomBytes(4).toString('hex')}:`;
    const store = storeOn(prefix);
    try {
      await store.takeToken('rl:y', perMinute(60, 5)); // one token short: full again after 1000 ms
      const ttl = Number(redis.cli('PTTL', `${prefix}rl:y`));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000);
      expect(redis.cli('HGET', `${prefix}rl:y`, 'tokens')).toBe('4');
      // A take on a bucket that refills in under a millisecond leaves it full: nothing is stored.
      await store.takeToken('rl:z', { capacity: 1, refillPerMs: 2 });
      await store.returnToken('rl:z', { capacity: 1, refillPerMs: 2 });
      expect(redis.cli('EXISTS', `${prefix}rl:z`)).toBe('0');
    } finally {
      await store.close();
    }
  });

  it('shares a counter between two clients, under the key prefix, with the first add’s expiry (PEXPIRE NX)', async () => {
    const prefix = `ctr${crypto.randomBytes(4).toString('hex')}:`;
    const a = storeOn(prefix);
    const b = storeOn(prefix);
    try {
      const adds = Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).addCounter('llm:c', 0.5, 60_000));
      expect(Math.max(...(await Promise.all(adds)))).toBe(50);
      expect(await a.get('llm:c')).toBe('50');
      const ttl = Number(redis.cli('PTTL', `${prefix}llm:c`));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      // A later add with a longer ttl keeps the first one.
      await b.addCounter('llm:c', 1, 3_600_000);
      expect(Number(redis.cli('PTTL', `${prefix}llm:c`))).toBeLessThanOrEqual(60_000);
      // A value set without a ttl gets the ttl of the first add.
      redis.cli('SET', `${prefix}llm:d`, '3');
      expect(await a.addCounter('llm:d', 1e-7, 5_000)).toBeCloseTo(3.0000001, 12);
      expect(Number(redis.cli('PTTL', `${prefix}llm:d`))).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers PING with its round-trip time (doctor)', async () => {
    const store = storeOn();
    try {
      const ms = await store.ping();
      expect(ms).toBeGreaterThan(0);
      expect(store.available).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('sets a value only when it still holds what the caller read (compare-and-set)', async () => {
    const a = storeOn('cas:');
    const b = storeOn('cas:');
    try {
      await a.delete('pins');
      const [first, second] = await Promise.all([
        a.compareAndSet('pins', undefined, 'from a'),
        b.compareAndSet('pins', undefined, 'from b'),
      ]);
      expect([first, second].sort()).toEqual([false, true]);
      const winner = await a.get('pins');
      expect(await b.compareAndSet('pins', 'stale', 'x')).toBe(false);
      expect(await b.compareAndSet('pins', winner, 'next')).toBe(true);
      expect(await a.get('pins')).toBe('next');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('RedisStore extras for shared pins and keys', () => {
  it('keeps hashes and sets under the key prefix, and sets a value only when absent', async () => {
    const prefix = `x${crypto.randomBytes(4).toString('hex')}:`;
    const store = storeOn(prefix);
    try {
      expect(await store.hashGetAll('h')).toEqual({});
      await store.hashSet('h', 'a', '1');
      await store.hashSet('h', 'b', '2');
      expect(await store.hashGetAll('h')).toEqual({ a: '1', b: '2' });
      expect(redis.cli('HGET', `${prefix}h`, 'a')).toBe('1');
      await store.setAdd('s', ['x', 'y']);
      await store.setAdd('s', []);
      await store.setRemove('s', ['x']);
      await store.setRemove('s', []);
      expect(await store.setMembers('s')).toEqual(['y']);
      expect(await store.setIfAbsent('n', 'first')).toBe(true);
      expect(await store.setIfAbsent('n', 'second')).toBe(false);
      expect(await store.get('n')).toBe('first');
    } finally {
      await store.close();
    }
  });

  it('delivers what one instance publishes to every subscriber on the same prefix, and to no other prefix', async () => {
    const prefix = `ps${crypto.randomBytes(4).toString('hex')}:`;
    const [a, b, other] = [storeOn(prefix), storeOn(prefix), storeOn()];
    const got: string[] = [];
    const stop = b.subscribe('news', (m) => got.push(`b:${m}`));
    b.subscribe('news', (m) => got.push(`b2:${m}`));
    other.subscribe('news', (m) => got.push(`other:${m}`));
    try {
      // A subscription is live once Redis counts it.
      await expect.poll(() => redis.cli('PUBSUB', 'NUMSUB', `${prefix}news`).split('\n')[1]).toBe('1');
      await a.publish('news', 'one');
      await expect.poll(() => got.sort()).toEqual(['b2:one', 'b:one']);
      stop();
      await a.publish('news', 'two');
      await expect.poll(() => got).toContain('b2:two');
      expect(got).not.toContain('b:two');
      expect(got.filter((g) => g.startsWith('other:'))).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });
});

describe('RedisStore when Redis goes away', () => {
  it('fails fast with an error naming the store, reports down and up once each, and resumes', async () => {
    const events: string[] = [];
    const store = storeOn(undefined, { onStatus: (s) => events.push(s) });
    try {
      expect((await store.takeToken('k', perMinute(1, 5))).allowed).toBe(true);
      expect(store.available).toBe(true);
      await redis.kill();
      await expect.poll(() => store.available, { timeout: 5000 }).toBe(false);
      const failed = store.takeToken('k', perMinute(1, 5));
      await expect(failed).rejects.toBeInstanceOf(StateUnavailableError);
      await expect(failed).rejects.toThrow(`the shared state store (Redis at ${redis.url}) is unavailable`);
      await expect(store.get('v')).rejects.toThrow(/unavailable/);
      await redis.start();
      await expect.poll(() => store.available, { timeout: 10_000 }).toBe(true);
      // A fresh Redis (no persistence): the bucket is full again, and the store works as before.
      expect(await store.takeToken('k', perMinute(1, 5))).toEqual({ allowed: true, remaining: 4, retryAfterMs: 0 });
      expect(events).toEqual(['up', 'down', 'up']);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('bounds every command by commandTimeoutMs when Redis hangs with the connection open', async () => {
    const store = storeOn(undefined, { commandTimeoutMs: 150 });
    try {
      await store.takeToken('k', perMinute(1, 5));
      redis.pause();
      const failed = store.takeToken('k', perMinute(1, 5));
      await expect(failed).rejects.toBeInstanceOf(StateUnavailableError);
      await expect(failed).rejects.toThrow(/unavailable: Command timed out/);
    } finally {
      redis.resume();
    }
    // The stall made the store down until a probe PING answered again (see the next test).
    await expect.poll(() => store.available, { timeout: 5000 }).toBe(true);
    expect((await store.takeToken('k', perMinute(1, 5))).allowed).toBe(true);
    await store.close();
  });

  it('takes a stall (a command timed out, the connection open) as an outage, and the next answered probe as up', async () => {
    const events: string[] = [];
    const store = storeOn(undefined, {
      commandTimeoutMs: 150,
      probeEveryMs: 50,
      onStatus: (s, reason) => events.push(reason === undefined ? s : `${s}: ${reason}`),
    });
    const seen: string[] = [];
    await store.get('k');
    const stop = store.watch((s) => seen.push(s));
    try {
      redis.pause();
      await expect(store.get('k')).rejects.toThrow(/unavailable: Command timed out/);
      expect(store.available).toBe(false);
      // While it is down, operations fail at once instead of each waiting for its own timeout.
      const t0 = performance.now();
      await expect(store.get('k')).rejects.toThrow(/Redis stalled: no answer within 150 ms/);
      expect(performance.now() - t0).toBeLessThan(100);
      // Probes that time out while it is still stalled report nothing new.
      await new Promise((r) => setTimeout(r, 400));
      expect(events).toEqual(['up', 'down: Command timed out (Redis stalled: no answer within 150 ms)']);
    } finally {
      redis.resume();
    }
    await expect.poll(() => store.available, { timeout: 5000 }).toBe(true);
    expect(await store.get('k')).toBeUndefined();
    expect(events).toEqual(['up', 'down: Command timed out (Redis stalled: no answer within 150 ms)', 'up']);
    expect(seen).toEqual(['down', 'up']);
    stop();
    await store.close();
  }, 20_000);

  // Held out from the tuning (written after the code, run once): stalls of other kinds than SIGSTOP.
  it.each([
    // A long script keeps Redis busy, answering no one (DEBUG SLEEP is disabled by default in Redis 7).
    ['a busy Lua script', ['EVAL', 'local n = 0 for i = 1, 200000000 do n = n + i end return 1', '0']],
    ['CLIENT PAUSE 1000', ['CLIENT', 'PAUSE', '1000']],
  ])(
    'recovers on its own from a stall made with %s',
    async (_name, args) => {
      const events: string[] = [];
      const store = storeOn(undefined, { commandTimeoutMs: 150, probeEveryMs: 50, onStatus: (s) => events.push(s) });
      try {
        await store.get('k');
        // Asynchronously: redis-cli waits for the sleep, and this process must keep running meanwhile.
        const sleeper = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), ...args], {
          stdio: 'ignore',
        });
        const exited = new Promise((r) => sleeper.once('close', r));
        await new Promise((r) => setTimeout(r, 300));
        await expect(store.get('k')).rejects.toThrow(/Command timed out/);
        expect(store.available).toBe(false);
        await exited;
        await expect.poll(() => store.available, { timeout: 5000 }).toBe(true);
        expect(await store.get('k')).toBeUndefined();
        expect(events).toEqual(['up', 'down', 'up']);
      } finally {
        await store.close();
      }
    },
    20_000,
  );

  it('tells a watcher when the store goes down and comes back, until it stops watching', async () => {
    const store = storeOn();
    const seen: string[] = [];
    await store.get('x');
    const stop = store.watch((s) => seen.push(s));
    try {
      await redis.kill();
      await expect.poll(() => seen).toEqual(['down']);
      await redis.start();
      await expect.poll(() => seen, { timeout: 10_000 }).toEqual(['down', 'up']);
      stop();
      await redis.kill();
      await expect.poll(() => store.available, { timeout: 5000 }).toBe(false);
      expect(seen).toEqual(['down', 'up']);
    } finally {
      await redis.start();
      await store.close();
    }
  }, 30_000);

  it('fails within the connect timeout when Redis is not there at all', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200, commandTimeoutMs: 200 });
    try {
      await expect(store.takeToken('k', perMinute(1))).rejects.toThrow(
        /the shared state store \(Redis at redis:\/\/127\.0\.0\.1:1\) is unavailable/,
      );
      // Once the first attempt has failed, later operations fail at once rather than queueing.
      await expect(store.set('v', 'x')).rejects.toBeInstanceOf(StateUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StateUnavailableError);
    } finally {
      await store.close();
    }
  });
});
