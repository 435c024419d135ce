/**
 * Gateway keys shared through Redis (issue 15, class 14) against a real redis-server: two KeyStores with different
 * keys.json files stand for two hosts on one Redis.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/helpers/redis.js';
import { RedisStore } from '../state/redis.js';
import { KeyStore, SHARED_KEYS, SHARED_KEYS_USED } from './keys.js';

let redis: RedisServer;
const open: RedisStore[] = [];
const stores: KeyStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  stores.forEach((s) => s.stop());
  await Promise.all(open.map((s) => s.close()));
  await redis?.stop();
});

/** Two hosts: each its own keys.json, both on one fresh key prefix. */
function hosts(extra: { now?: () => number; maxStaleMs?: number } = {}): [KeyStore, KeyStore, RedisStore] {
  const prefix = `keys${crypto.randomBytes(4).toString('hex')}:`;
  const make = () => {
    const shared = new RedisStore({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 300 });
    open.push(shared);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-keys-'));
    const store = new KeyStore({ file: path.join(dir, 'keys.json'), shared, refreshEveryMs: 100, ...extra });
    stores.push(store);
    return { store, shared };
  };
  const a = make();
  const b = make();
  return [a.store, b.store, a.shared];
}

describe('gateway keys in the shared state store', () => {
  it('authenticates on every host a key created on one, and keeps only its hash in Redis', async () => {
    const [a, b, shared] = hosts();
    await Promise.all([a.start(), b.start()]);
    const { key, record } = a.create({ project: 'p', user: 'alice@example.com' });
    await a.share(record);
    const stored = (await shared.hashGetAll(SHARED_KEYS))[record.id]!;
    expect(stored).not.toContain(key.slice(-43));
    expect(JSON.parse(stored)).toMatchObject({ id: record.id, hash: record.hash, project: 'p' });
    // B never had it in its keys.json: it learns it from the published change.
    await expect.poll(() => b.verify(key).ok, { timeout: 3000 }).toBe(true);
    for (let i = 0; i < 2; i++) expect(b.verify(key)).toMatchObject({ ok: true, record: { id: record.id } });
    expect(b.verify(`smg_${record.id}_${'A'.repeat(43)}`)).toEqual({
      ok: false,
      reason: 'unknown or wrong gateway key',
    });
  });

  it.each([
    ['revoke', /was revoked at/],
    ['disable', /is disabled/],
  ] as const)('refuses on every host a key that another host changes with %s', async (verb, reason) => {
    const [a, b] = hosts();
    await Promise.all([a.start(), b.start()]);
    const { key, record } = a.create({ project: 'p', user: 'alice@example.com' });
    await a.share(record);
    await expect.poll(() => b.verify(key).ok, { timeout: 3000 }).toBe(true);
    // B changes a key that only the shared store gives it; A (which has it in keys.json too) honours it.
    await b.changeEverywhere(record.id, verb);
    await expect.poll(() => a.verify(key).ok, { timeout: 3000 }).toBe(false);
    expect(a.verify(key)).toMatchObject({ ok: false, keyId: record.id, reason: expect.stringMatching(reason) });
    expect(a.refusal(record.id)).toMatch(reason);
    expect(b.verify(key).ok).toBe(false);
    if (verb === 'disable') {
      await a.changeEverywhere(record.id, 'enable');
      await expect.poll(() => b.verify(key).ok, { timeout: 3000 }).toBe(true);
      expect(a.verify(key).ok).toBe(true);
    }
  });

  it('counts a revocation in either copy, and trusts neither when the copies hold different secrets', async () => {
    const [a, , shared] = hosts();
    await a.start();
    const { key, record } = a.create({ project: 'p', user: 'alice@example.com' });
    await a.share(record);
    a.revoke(record.id); // keys.json only
    expect(a.verify(key)).toMatchObject({ ok: false, reason: expect.stringMatching(/was revoked/) });
    const other = a.create({ project: 'p', user: 'bob@example.com' });
    await shared.hashSet(
      SHARED_KEYS,
      other.record.id,
      JSON.stringify({ ...other.record, hash: `sha256:${'0'.repeat(64)}` }),
    );
    await a.refresh();
    expect(a.verify(other.key)).toEqual({ ok: false, reason: 'unknown or wrong gateway key' });
  });

  it('skips shared entries that are not key records', async () => {
    const [a, , shared] = hosts();
    await shared.hashSet(SHARED_KEYS, '0123456789abcdef', 'not json');
    await shared.hashSet(SHARED_KEYS, 'fedcba9876543210', JSON.stringify({ id: 'another' }));
    await a.start();
    expect(a.list()).toEqual([]);
  });

  it('refuses every key, naming the store, while the mirror cannot be refreshed, and recovers', async () => {
    let now = Date.now();
    const [a] = hosts({ now: () => now, maxStaleMs: 5_000 });
    const { key, record } = a.create({ project: 'p', user: 'alice@example.com' });
    // Not loaded yet: nothing is trusted, not even keys.json's own key (a revocation may be in Redis).
    expect(a.verify(key)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot be checked: not loaded yet/),
    });
    await a.start();
    await a.share(record);
    expect(a.verify(key).ok).toBe(true);
    redis.pause();
    try {
      await a.refresh();
      now += 6_000;
      for (let i = 0; i < 2; i++)
        expect(a.verify(key)).toMatchObject({
          ok: false,
          reason: expect.stringMatching(
            new RegExp(
              `the gateway keys in the shared state store \\(Redis at ${redis.url}\\) cannot be checked \\(last read 6 s ago\\)`,
            ),
          ),
        });
      expect(a.refusal(record.id)).toMatch(/cannot be checked/);
      expect(a.get(record.id)).toBeUndefined();
    } finally {
      redis.resume();
    }
    await expect.poll(() => a.verify(key).ok, { timeout: 5000 }).toBe(true);
  }, 20_000);

  it('stamps the last use of a shared key in Redis, and rotates a key that only Redis holds', async () => {
    const [a, b, shared] = hosts();
    await Promise.all([a.start(), b.start()]);
    const { key, record } = a.create({ project: 'p', user: 'alice@example.com' });
    await a.share(record);
    await expect.poll(() => b.verify(key).ok, { timeout: 3000 }).toBe(true);
    expect(b.touch(record.id)).toBe(true);
    expect(b.touch(record.id)).toBe(false); // at most once a minute
    await expect.poll(async () => Object.keys(await shared.hashGetAll(SHARED_KEYS_USED))).toEqual([record.id]);
    await b.refresh();
    expect(b.list()[0]!.lastUsedAt).toBeDefined();
    // B rotates it: a new key in B's keys.json and in Redis, the old one revoked in Redis (and so on A).
    const rotated = b.rotate(record.id);
    await b.share(rotated.record);
    await b.changeEverywhere(record.id, 'revoke');
    await expect.poll(() => a.verify(rotated.key).ok, { timeout: 3000 }).toBe(true);
    await expect.poll(() => a.verify(key).ok, { timeout: 3000 }).toBe(false);
    await expect(b.changeEverywhere('0000000000000000', 'revoke')).rejects.toThrow(
      new RegExp(
        `no gateway key with id 0000000000000000 in .*keys\\.json or the shared state store \\(Redis at ${redis.url}\\)`,
      ),
    );
  });

  it('changes no copy of a key when the shared store cannot be read (never keys.json alone)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-keys-'));
    const file = path.join(dir, 'keys.json');
    const { key, record } = new KeyStore({ file }).create({ project: 'p', user: 'a@example.com' });
    const away = new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 100, commandTimeoutMs: 100 });
    open.push(away);
    const s = new KeyStore({ file, shared: away });
    await expect(s.changeEverywhere(record.id, 'revoke')).rejects.toThrow(
      /the gateway keys in the shared state store \(Redis at redis:\/\/127\.0\.0\.1:1\) cannot be checked: .*unavailable/,
    );
    await expect(s.ready()).rejects.toThrow(/cannot be checked/);
    expect(new KeyStore({ file }).verify(key).ok).toBe(true);
  });

  it('is keys.json alone without a shared store (start and share do nothing)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-keys-'));
    const s = new KeyStore({ file: path.join(dir, 'keys.json') });
    await s.start();
    await s.refresh();
    const { key, record } = s.create({ project: 'p', user: 'a@example.com' });
    await s.share(record);
    expect(s.verify(key).ok).toBe(true);
    await expect(s.changeEverywhere(record.id, 'disable')).resolves.toMatchObject({ disabled: true });
    await expect(s.changeEverywhere('0000000000000000', 'revoke')).rejects.toThrow(/in .*keys\.json$/);
  });
});
