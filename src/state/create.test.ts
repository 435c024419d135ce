import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startRedis, type RedisServer } from '../../test/helpers/redis.js';
import { DEFAULT_STATE_CONFIG, StateConfigSchema } from './config-schema.js';
import { commandRedisStore, createStateStore, sharedStore } from './create.js';
import { MemoryStore } from './memory.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

/** A pino logger that keeps its lines. */
function recordingLog() {
  const lines: { level: number; msg: string; store?: string; reason?: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('StateConfigSchema', () => {
  it('defaults to the memory back end', () => {
    expect(StateConfigSchema.parse({})).toEqual(DEFAULT_STATE_CONFIG);
  });

  it.each([
    [{ backend: 'redis' }, /needs a "url"/],
    [{ backend: 'memory', url: 'redis://x' }, /only applies to the redis backend/],
    [{ backend: 'redis', url: 'redis://x', keyPrefix: 'a b' }, /expected 1-64 letters/],
    [{ backend: 'redis', url: 'redis://x', commandTimeoutMs: 0 }, /too small|>=10/],
    [{ backend: 'etcd' }, /memory|redis/],
  ])('refuses %j', (input, message) => {
    const r = StateConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });
});

describe('createStateStore', () => {
  it('builds a memory store by default, which is not shared', async () => {
    const store = createStateStore(DEFAULT_STATE_CONFIG, recordingLog().log);
    expect(store).toBeInstanceOf(MemoryStore);
    expect(sharedStore(store)).toBeUndefined();
    await store.close();
  });

  it('builds a Redis store and logs connect, outage (with its effects) and return once each', async () => {
    const { log, lines } = recordingLog();
    const store = createStateStore({ ...DEFAULT_STATE_CONFIG, backend: 'redis', url: `${redis.url}/0` }, log);
    try {
      expect(sharedStore(store)).toBeDefined();
      await store.set('create-test', 'v');
      await expect.poll(() => lines.map((l) => l.msg)).toContain('connected to the shared state store');
      await redis.kill();
      await expect.poll(() => lines.length, { timeout: 5000 }).toBe(2);
      await redis.start();
      await expect.poll(() => lines.length, { timeout: 10_000 }).toBe(3);
      expect(lines.map((l) => l.msg)).toEqual([
        'connected to the shared state store',
        expect.stringMatching(/^the shared state store is unavailable: rate-limited calls are denied \(fail closed\)/),
        'the shared state store is back; shared state resumes',
      ]);
      expect(lines[1]!.store).toBe(redis.url);
      expect(lines[1]!.level).toBe(40);
    } finally {
      await store.close();
    }
  }, 30_000);
});

describe('commandRedisStore (one-shot commands)', () => {
  it('is none with the memory back end, and a Redis store on the configured prefix otherwise', async () => {
    expect(commandRedisStore(DEFAULT_STATE_CONFIG)).toBeUndefined();
    const store = commandRedisStore({ ...DEFAULT_STATE_CONFIG, backend: 'redis', url: redis.url, keyPrefix: 'cmd:' })!;
    try {
      expect(store.keyPrefix).toBe('cmd:');
      await store.set('k', 'v');
      expect(redis.cli('GET', 'cmd:k')).toBe('v');
    } finally {
      await store.close();
    }
  });
});
