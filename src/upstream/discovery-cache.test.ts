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

function named(name: string, cfg: object) {
  return parseConfig(JSON.stringify({ servers: { [name]: cfg } }), '/c.json', {}).servers[0]!;
}

function remote(extra: object = {}) {
  return named('s', { url: 'https://mcp.example/mcp', headers: { Authorization: 'Bearer one' }, ...extra });
}

function cache(dir: string, now: () => number, ttlMs = 1000) {
  return new DiscoveryCache({ dir, ttlMs, enabled: true, log: silentLogger(), now });
}

describe('DiscoveryCache', () => {
  it('survives a restart through its file, and expires after the TTL', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    let t = 1000;
    cache(dir, () => t).set(server(), 'p', catalog);
    const file = path.join(dir, `${serverIdentityKey(server(), 'p')}.json`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(cache(dir, () => t).get(server(), 'p')?.catalog).toEqual(catalog);
    t += 1001;
    expect(cache(dir, () => t).get(server(), 'p')).toBeUndefined();
  });

  // Issue 15, class 5: two servers that differ in any of these may list different tools, so they never share an entry.
  it.each([
    ['an env value', () => server({ env: { T: 'v2' } }), 'p'],
    ['an env name', () => server({ env: { U: 'v1' } }), 'p'],
    ['one more env variable', () => server({ env: { T: 'v1', U: '' } }), 'p'],
    ['an argument', () => server({ args: ['b.js'] }), 'p'],
    ['the cwd', () => server({ cwd: '/tmp' }), 'p'],
    ['the project', () => server(), 'q'],
    ['a per-user pool', () => server(), 'p/alice'],
    ['the server name', () => named('t', { command: 'node', args: ['a.js'], env: { T: 'v1' } }), 'p'],
  ] as const)('keys entries by the whole identity: %s counts', (_, other, project) => {
    expect(serverIdentityKey(other(), project)).not.toBe(serverIdentityKey(server(), 'p'));
    // The same input twice gives the same key.
    expect(serverIdentityKey(other(), project)).toBe(serverIdentityKey(other(), project));
  });

  it.each([
    ['a header value', () => remote({ headers: { Authorization: 'Bearer two' } })],
    ['a header name', () => remote({ headers: { 'X-Api-Key': 'Bearer one' } })],
    ['the URL', () => remote({ url: 'https://other.example/mcp' })],
    ['the transport', () => remote({ transport: 'sse' })],
  ] as const)('keys remote entries by the whole identity: %s counts', (_, other) => {
    expect(serverIdentityKey(other(), 'p')).not.toBe(serverIdentityKey(remote(), 'p'));
    expect(serverIdentityKey(other(), 'p')).toBe(serverIdentityKey(other(), 'p'));
  });

  it('keeps the same key for the same identity, whatever the order of env entries or the case of header names', () => {
    expect(serverIdentityKey(server({ env: { T: 'v1', U: 'x' } }), 'p')).toBe(
      serverIdentityKey(server({ env: { U: 'x', T: 'v1' } }), 'p'),
    );
    expect(serverIdentityKey(remote({ headers: { authorization: 'Bearer one' } }), 'p')).toBe(
      serverIdentityKey(remote(), 'p'),
    );
  });

  it('never writes an env or header value to the cache file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const secret = server({ env: { GITHUB_TOKEN: 'ghp_notarealtokenbutsecret0123456789' } });
    const r = remote({ headers: { Authorization: 'Bearer header-secret-value' } });
    cache(dir, () => 1).set(secret, 'p', catalog);
    cache(dir, () => 1).set(r, 'p', catalog);
    const text = fs
      .readdirSync(dir)
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    expect(text).not.toContain('ghp_notarealtokenbutsecret');
    expect(text).not.toContain('header-secret-value');
    expect(text).not.toContain('GITHUB_TOKEN');
  });

  it('gives two servers with the same launcher and different env values their own entries', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const one = server({ env: { T: 'one' } });
    const two = server({ env: { T: 'two' } });
    const other: Catalog = { ...catalog, tools: [{ name: 'other', inputSchema: { type: 'object' } }] };
    cache(dir, () => 1).set(one, 'p', catalog);
    cache(dir, () => 1).set(two, 'p', other);
    expect(cache(dir, () => 1).get(one, 'p')?.catalog).toEqual(catalog);
    expect(cache(dir, () => 1).get(two, 'p')?.catalog).toEqual(other);
    expect(cache(dir, () => 1).get(one, 'q')).toBeUndefined();
  });

  it.each([
    ['not json'],
    ['{"version":2}'],
    [JSON.stringify({ version: 2, key: 'other', server: 's', project: 'p', savedAt: 1, catalog })],
    // An entry of version 1 (keyed by env names only) is never trusted again.
    [JSON.stringify({ version: 1, key: 'k', server: 's', savedAt: 1, catalog })],
  ])('ignores and removes a corrupt file: %s', (content) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const file = path.join(dir, `${serverIdentityKey(server(), 'p')}.json`);
    fs.writeFileSync(file, content);
    expect(cache(dir, () => 1).get(server(), 'p')).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    // Rewritten by the next successful discovery.
    cache(dir, () => 1).set(server(), 'p', catalog);
    expect(cache(dir, () => 1).get(server(), 'p')?.catalog).toEqual(catalog);
  });

  it('clear() removes every file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const c = cache(dir, () => 1);
    c.set(server(), 'p', catalog);
    c.set(server({ args: ['b.js'] }), 'p', catalog);
    expect(c.clear()).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(c.get(server(), 'p')).toBeUndefined();
  });

  it('does nothing when disabled', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cache-'));
    const c = new DiscoveryCache({ dir, ttlMs: 1000, enabled: false, log: silentLogger() });
    c.set(server(), 'p', catalog);
    expect(c.get(server(), 'p')).toBeUndefined();
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
    on(shared, () => t).set(server(), 'p', catalog);
    await settle();
    const second = on(shared, () => t);
    expect(second.get(server(), 'p')).toBeUndefined();
    expect(await second.preload([server()], ['p'])).toEqual(['s']);
    expect(second.get(server(), 'p')?.catalog).toEqual(catalog);
    // The same input again gives the same answer.
    expect(await second.preload([server()], ['p'])).toEqual([]);
  });

  it('keeps a newer local entry, and ignores an expired, corrupt or disabled shared one', async () => {
    const shared = new MemoryStore();
    on(shared, () => 1000).set(server(), 'p', catalog);
    await settle();
    // An instance whose own file (written without the shared store) is newer than the shared entry keeps it.
    const dir = tmp();
    const newer = { ...catalog, tools: [{ name: 'two', inputSchema: { type: 'object' as const } }] };
    cache(dir, () => 1500).set(server(), 'p', newer);
    const local = new DiscoveryCache({ dir, ttlMs: 1000, enabled: true, log: silentLogger(), now: () => 1500, shared });
    expect(await local.preload([server()], ['p'])).toEqual([]);
    expect(local.get(server(), 'p')?.catalog).toEqual(newer);
    expect(await on(shared, () => 3000).preload([server()], ['p'])).toEqual([]); // expired
    expect(await on(shared, () => 1000, { enabled: false }).preload([server()], ['p'])).toEqual([]);
    await shared.set(`dc:${serverIdentityKey(server(), 'p')}`, '{"version":1}');
    expect(await on(shared, () => 1000).preload([server()], ['p'])).toEqual([]); // corrupt
  });

  it('clears the shared entries of the given servers', async () => {
    const shared = new MemoryStore();
    const c = on(shared, () => 1000);
    c.set(server(), 'p', catalog);
    await settle();
    expect(await c.clearShared([server(), server({ args: ['other.js'] })], ['p', 'q'])).toBe(1);
    expect(await on(shared, () => 1000).preload([server()], ['p'])).toEqual([]);
    expect(await c.clearShared([server()], ['p'])).toBe(0);
    expect(await cache(tmp(), () => 1000).clearShared([server()], ['p'])).toBe(0);
  });

  it('falls back to memory and files when the shared store fails', async () => {
    const broken: StateStore = Object.assign(new MemoryStore(), {
      get: () => Promise.reject(new Error('down')),
      set: () => Promise.reject(new Error('down')),
    });
    const c = on(broken, () => 1000);
    c.set(server(), 'p', catalog);
    await settle();
    expect(await c.preload([server()], ['p'])).toEqual([]);
    expect(c.get(server(), 'p')?.catalog).toEqual(catalog);
  });
});
