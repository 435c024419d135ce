/**
 * The discovery cache: each upstream's last catalog, in memory (lru-cache) and on disk under <home>/cache/, so
 * that the first tools/list after start-up is answered at once while upstreams connect. Entries are keyed by a
 * hash of the server's whole identity (issue 15, class 5): its name, the project (pool) it serves, its kind, the
 * launcher (command, args, cwd), a hash of its env names AND values, its URL, a hash of its header names and values,
 * and its transport. Two servers that differ only in a token (two GitHub servers, two projects' servers in `serve`)
 * see different tool lists, so each must have its own entry; a changed config never reads a stale entry. No env or
 * header value is stored: the key is a SHA-256 over them. Entries expire after the TTL. A file is zod-validated on
 * read; a corrupt or foreign one is ignored (and overwritten on the next successful discovery). Files are written
 * atomically, mode 0600.
 *
 * A cached list is only ever SHOWN (integrity/gate.ts, source 'cache'): it never pins anything, so a planted or
 * stale entry cannot make a first-use pin; the live list decides.
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

/** 2: keys cover the server name, the project and env/header values (version 1 entries are never read again). */
const FILE_VERSION = 2;

const CacheFileSchema = z.object({
  version: z.literal(FILE_VERSION),
  key: z.string(),
  server: z.string(),
  project: z.string(),
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

/**
 * The cache key of a server as one project's pool runs it. Env and header values enter only through a SHA-256 of
 * the sorted [name, value] pairs (JSON, so no separator can be forged), so neither the key nor the file holds them.
 */
export function serverIdentityKey(server: ResolvedServer, project: string): string {
  const identity = {
    v: FILE_VERSION,
    name: server.name,
    project,
    kind: server.kind,
    command: server.command ?? null,
    args: server.args,
    cwd: server.cwd ?? null,
    env: pairsHash(Object.entries(server.env)),
    url: server.url ?? null,
    // Header names are case-insensitive on the wire: "Authorization" and "authorization" are the same header.
    headers: pairsHash(Object.entries(server.headers).map(([k, v]) => [k.toLowerCase(), v])),
    transport: server.kind === 'remote' ? server.transport : null,
  };
  return crypto.createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

function pairsHash(pairs: [string, string][]): string {
  const sorted = pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return crypto.createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

export class DiscoveryCache {
  private readonly memory: LRUCache<string, CachedCatalog>;
  private readonly now: () => number;

  constructor(private readonly opts: DiscoveryCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.memory = new LRUCache({ max: 256 });
  }

  /** The entry of `server` as the pool of `project` runs it. */
  get(server: ResolvedServer, project: string): CachedCatalog | undefined {
    if (!this.opts.enabled) return undefined;
    const key = serverIdentityKey(server, project);
    const hit = this.memory.get(key) ?? this.readFile(key, server.name);
    if (!hit) return undefined;
    if (this.now() - hit.savedAt > this.opts.ttlMs) {
      this.memory.delete(key);
      return undefined;
    }
    this.memory.set(key, hit);
    return hit;
  }

  set(server: ResolvedServer, project: string, catalog: Catalog): void {
    if (!this.opts.enabled) return;
    const key = serverIdentityKey(server, project);
    const entry: CachedCatalog = { catalog, savedAt: this.now() };
    this.memory.set(key, entry);
    const file = this.fileFor(key);
    const body = JSON.stringify({
      version: FILE_VERSION,
      key,
      server: server.name,
      project,
      savedAt: entry.savedAt,
      catalog,
    });
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
   * Reads each server's shared entry, for each of `projects`, and keeps it in memory where it is newer than the
   * local one, so that the synchronous `get` answers from it. Returns the servers answered from the shared cache.
   * Never throws: a store that is down leaves the local cache as it is.
   */
  async preload(servers: readonly ResolvedServer[], projects: readonly string[]): Promise<string[]> {
    const { shared } = this.opts;
    if (!this.opts.enabled || !shared) return [];
    const loaded = new Set<string>();
    await Promise.all(
      pairs(servers, projects).map(async ([server, project]) => {
        const key = serverIdentityKey(server, project);
        let text: string | undefined;
        try {
          text = await shared.get(`dc:${key}`);
        } catch (error) {
          this.opts.log.debug({ server: server.name, err: String(error) }, 'shared discovery cache not read');
          return;
        }
        const entry = text === undefined ? undefined : this.parse(text, key, server.name, `dc:${key}`, 'shared entry');
        if (!entry || this.now() - entry.savedAt > this.opts.ttlMs) return;
        const local = this.get(server, project);
        if (local && local.savedAt >= entry.savedAt) return;
        this.memory.set(key, entry);
        loaded.add(server.name);
      }),
    );
    return [...loaded];
  }

  /**
   * Removes the shared entries of these servers in these projects (the shared store has no listing to walk, so the
   * configuration names the keys); returns how many there were. A store that is down rejects, naming itself.
   */
  async clearShared(servers: readonly ResolvedServer[], projects: readonly string[]): Promise<number> {
    const { shared } = this.opts;
    if (!shared) return 0;
    let removed = 0;
    for (const [server, project] of pairs(servers, projects)) {
      const key = `dc:${serverIdentityKey(server, project)}`;
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

function pairs(servers: readonly ResolvedServer[], projects: readonly string[]): [ResolvedServer, string][] {
  return [...new Set(projects)].flatMap((project) => servers.map((s): [ResolvedServer, string] => [s, project]));
}
