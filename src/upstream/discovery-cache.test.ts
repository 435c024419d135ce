import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import type { Catalog } from './catalog.js';
import { MemoryStore } from '../state/memory.js';
import type { StateStore } from '../state/store.js';
import { DiscoveryCache, serverIdentityKey } from './discovery-cache.js';

const catalog: Catalog = {
  tools: [{ name: 'echo', inputSchema: { type: 'object' } }],
  resources: [],
  resourceTemplates: [],
  prompts: [],
};

function server(extra: object = {}) {
  const text = JSON.stringify({ servers: { s: { command: 'node', args: ['a.js'], env: { T: 'v1' }, ...extra } } });
  return parseConfig(text, '/c.json', {}).servers[0]!;
}

function cache(dir: string, now: () => number, ttlMs = 1000) {
  return new DiscoveryCache({ dir, ttlMs, enabled: true, log: silentLogger(), now });
}

describe('DiscoveryCache', () => {
  it('survives a restart through its file, and expires after the TTL', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    let t = 1000;
    cache(dir, () => t).set(server(), catalog);
    const file = path.join(dir, `${serverIdentityKey(server())}.json`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(cache(dir, () => t).get(server())?.catalog).toEqual(catalog);
    t += 1001;
    expect(cache(dir, () => t).get(server())).toBeUndefined();
  });

  it('keys entries by identity: env names count, env values do not', () => {
    expect(serverIdentityKey(server({ env: { T: 'v2' } }))).toBe(serverIdentityKey(server()));
    expect(serverIdentityKey(server({ env: { U: 'v1' } }))).not.toBe(serverIdentityKey(server()));
    expect(serverIdentityKey(server({ args: ['b.js'] }))).not.toBe(serverIdentityKey(server()));
  });

  it.each([
    ['not json'],
    ['{"version":1}'],
    [JSON.stringify({ version: 1, key: 'other', server: 's', savedAt: 1, catalog })],
  ])('ignores and removes a corrupt file: %s', (content) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const file = path.join(dir, `${serverIdentityKey(server())}.json`);
    fs.writeFileSync(file, content);
    expect(cache(dir, () => 1).get(server())).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    // Rewritten by the next successful discovery.
    cache(dir, () => 1).set(server(), catalog);
    expect(cache(dir, () => 1).get(server())?.catalog).toEqual(catalog);
  });

  it('clear() removes every file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const c = cache(dir, () => 1);
    c.set(server(), catalog);
    c.set(server({ args: ['b.js'] }), catalog);
    expect(c.clear()).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(c.get(server())).toBeUndefined();
  });

  it('does nothing when disabled', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const c = new DiscoveryCache({ dir, ttlMs: 1000, enabled: false, log: silentLogger() });
    c.set(server(), catalog);
    expect(c.get(server())).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('DiscoveryCache shared layer', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
  const on = (shared: StateStore, now: () => number, opts: { enabled?: boolean; ttlMs?: number } = {}) =>
    new DiscoveryCache({
      dir: tmp(),
      ttlMs: opts.ttlMs ?? 1000,
      enabled: opts.enabled ?? true,
      log: silentLogger(),
      now,
      shared,
    });
  const settle = () => new Promise((r) => setImmediate(r));

  it('lets a second instance answer from what the first one discovered, after preload', async () => {
    const shared = new MemoryStore();
    const t = 1000;
    on(shared, () => t).set(server(), catalog);
    await settle();
    const second = on(shared, () => t);
    expect(second.get(server())).toBeUndefined();
    expect(await second.preload([server()])).toEqual(['s']);
    expect(second.get(server())?.catalog).toEqual(catalog);
    // The same input again gives the same answer.
    expect(await second.preload([server()])).toEqual([]);
  });

  it('keeps a newer local entry, and ignores an expired, corrupt or disabled shared one', async () => {
    const shared = new MemoryStore();
    on(shared, () => 1000).set(server(), catalog);
    await settle();
    // An instance whose own file (written without the shared store) is newer than the shared entry keeps it.
    const dir = tmp();
    const newer = { ...catalog, tools: [{ name: 'two', inputSchema: { type: 'object' as const } }] };
    cache(dir, () => 1500).set(server(), newer);
    const local = new DiscoveryCache({ dir, ttlMs: 1000, enabled: true, log: silentLogger(), now: () => 1500, shared });
    expect(await local.preload([server()])).toEqual([]);
    expect(local.get(server())?.catalog).toEqual(newer);
    expect(await on(shared, () => 3000).preload([server()])).toEqual([]); // expired
    expect(await on(shared, () => 1000, { enabled: false }).preload([server()])).toEqual([]);
    await shared.set(`dc:${serverIdentityKey(server())}`, '{"version":1}');
    expect(await on(shared, () => 1000).preload([server()])).toEqual([]); // corrupt
  });

  it('clears the shared entries of the given servers', async () => {
    const shared = new MemoryStore();
    const c = on(shared, () => 1000);
    c.set(server(), catalog);
    await settle();
    expect(await c.clearShared([server(), server({ args: ['other.js'] })])).toBe(1);
    expect(await on(shared, () => 1000).preload([server()])).toEqual([]);
    expect(await c.clearShared([server()])).toBe(0);
    expect(await cache(tmp(), () => 1000).clearShared([server()])).toBe(0);
  });

  it('falls back to memory and files when the shared store fails', async () => {
    const broken: StateStore = Object.assign(new MemoryStore(), {
      get: () => Promise.reject(new Error('down')),
      set: () => Promise.reject(new Error('down')),
    });
    const c = on(broken, () => 1000);
    c.set(server(), catalog);
    await settle();
    expect(await c.preload([server()])).toEqual([]);
    expect(c.get(server())?.catalog).toEqual(catalog);
  });
});
