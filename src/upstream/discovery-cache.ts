/**
 * The discovery cache: each upstream's last catalog, in memory (lru-cache) and on disk under <home>/cache/, so
 * that the first tools/list after start-up is answered at once while upstreams connect. Entries are keyed by a
 * hash of the server's identity (command, args, cwd, env *names*, url, header *names*) so that a changed config
 * never reads a stale entry, and they expire after the TTL. A file is zod-validated on read; a corrupt or foreign
 * one is ignored (and overwritten on the next successful discovery). Files are written atomically, mode 0600.
 *
 * With a shared state store (Redis, issue 6), each entry is also written there (`dc:<key>`, expiring with the TTL),
 * and `preload` reads the shared entries at start-up, so that a second gateway instance answers its first tools/list
 * from what another one discovered. The shared layer is best effort: when the store is down, reads and writes fall
 * back to memory and files (the store logs the outage once), and a shared entry is validated like a file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { ResolvedServer } from '../config/load.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../state/store.js';
import { CatalogSchema, type Catalog } from './catalog.js';

const FILE_VERSION = 1;

const CacheFileSchema = z.object({
  version: z.literal(FILE_VERSION),
  key: z.string(),
  server: z.string(),
  savedAt: z.number(),
  catalog: CatalogSchema,
});

export interface DiscoveryCacheOptions {
  dir: string;
  ttlMs: number;
  enabled: boolean;
  log: Logger;
  now?: () => number;
  /** The shared state store, when there is one (Redis): entries are written there too, and `preload` reads them. */
  shared?: StateStore;
}

export interface CachedCatalog {
  catalog: Catalog;
  savedAt: number;
}

export function serverIdentityKey(server: ResolvedServer): string {
  const identity = {
    kind: server.kind,
    command: server.command ?? null,
    args: server.args,
    cwd: server.cwd ?? null,
    env: Object.keys(server.env).sort(),
    url: server.url ?? null,
    headers: Object.keys(server.headers)
      .map((h) => h.toLowerCase())
      .sort(),
    transport: server.kind === 'remote' ? server.transport : null,
  };
  return crypto.createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

export class DiscoveryCache {
  private readonly memory: LRUCache<string, CachedCatalog>;
  private readonly now: () => number;

  constructor(private readonly opts: DiscoveryCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.memory = new LRUCache({ max: 256 });
  }

  get(server: ResolvedServer): CachedCatalog | undefined {
    if (!this.opts.enabled) return undefined;
    const key = serverIdentityKey(server);
    const hit = this.memory.get(key) ?? this.readFile(key, server.name);
    if (!hit) return undefined;
    if (this.now() - hit.savedAt > this.opts.ttlMs) {
      this.memory.delete(key);
      return undefined;
    }
    this.memory.set(key, hit);
    return hit;
  }

  set(server: ResolvedServer, catalog: Catalog): void {
    if (!this.opts.enabled) return;
    const key = serverIdentityKey(server);
    const entry: CachedCatalog = { catalog, savedAt: this.now() };
    this.memory.set(key, entry);
    const file = this.fileFor(key);
    const body = JSON.stringify({ version: FILE_VERSION, key, server: server.name, savedAt: entry.savedAt, catalog });
    this.opts.shared?.set(`dc:${key}`, body, this.opts.ttlMs).catch((error: unknown) => {
      this.opts.log.debug({ server: server.name, err: String(error) }, 'shared discovery cache not written');
    });
    try {
      fs.mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
      fs.writeFileSync(tmp, body, { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (error) {
      this.opts.log.warn({ err: error, server: server.name }, 'could not write the discovery cache');
    }
  }

  /**
   * Reads each server's shared entry and keeps it in memory where it is newer than the local one, so that the
   * synchronous `get` answers from it. Returns the servers answered from the shared cache. Never throws: a store
   * that is down leaves the local cache as it is.
   */
  async preload(servers: readonly ResolvedServer[]): Promise<string[]> {
    const { shared } = this.opts;
    if (!this.opts.enabled || !shared) return [];
    const loaded: string[] = [];
    await Promise.all(
      servers.map(async (server) => {
        const key = serverIdentityKey(server);
        let text: string | undefined;
        try {
          text = await shared.get(`dc:${key}`);
        } catch (error) {
          this.opts.log.debug({ server: server.name, err: String(error) }, 'shared discovery cache not read');
          return;
        }
        const entry = text === undefined ? undefined : this.parse(text, key, server.name, `dc:${key}`, 'shared entry');
        if (!entry || this.now() - entry.savedAt > this.opts.ttlMs) return;
        const local = this.get(server);
        if (local && local.savedAt >= entry.savedAt) return;
        this.memory.set(key, entry);
        loaded.push(server.name);
      }),
    );
    return loaded;
  }

  /**
   * Removes the shared entries of these servers (the shared store has no listing to walk, so the configured servers
   * name the keys); returns how many there were. A store that is down rejects, naming itself.
   */
  async clearShared(servers: readonly ResolvedServer[]): Promise<number> {
    const { shared } = this.opts;
    if (!shared) return 0;
    let removed = 0;
    for (const server of servers) {
      const key = `dc:${serverIdentityKey(server)}`;
      if ((await shared.get(key)) === undefined) continue;
      await shared.delete(key);
      removed++;
    }
    return removed;
  }

  /** Removes every cache file and the memory entries; returns how many files were removed. */
  clear(): number {
    this.memory.clear();
    let removed = 0;
    let names: string[];
    try {
      names = fs.readdirSync(this.opts.dir);
    } catch {
      return 0;
    }
    for (const name of names)
      if (name.endsWith('.json') || name.endsWith('.tmp')) {
        fs.rmSync(path.join(this.opts.dir, name), { force: true });
        removed++;
      }
    return removed;
  }

  private fileFor(key: string): string {
    return path.join(this.opts.dir, `${key}.json`);
  }

  private readFile(key: string, server: string): CachedCatalog | undefined {
    const file = this.fileFor(key);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    const entry = this.parse(text, key, server, file, 'file');
    if (!entry) fs.rmSync(file, { force: true });
    return entry;
  }

  /** A cache entry (file or shared), or undefined (logged) when it is corrupt or another server's. */
  private parse(
    text: string,
    key: string,
    server: string,
    where: string,
    what: 'file' | 'shared entry',
  ): CachedCatalog | undefined {
    try {
      const parsed = CacheFileSchema.parse(JSON.parse(text));
      if (parsed.key !== key) throw new Error('the entry belongs to another server identity');
      return { catalog: parsed.catalog, savedAt: parsed.savedAt };
    } catch (error) {
      this.opts.log.warn(
        { server, where, err: (error as Error).message },
        `ignoring a corrupt discovery cache ${what}`,
      );
      return undefined;
    }
  }
}
