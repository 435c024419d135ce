/**
 * What every integrity command (`tools list|diff|approve|revoke|sign|verify`, `scan`) starts from: the servers to
 * look at, their live catalogs, the pin store and the other servers' tool names. One connection per server, opened
 * the way `start` opens it and closed as soon as the lists are read. Nothing here pins, caches or writes.
 *
 * Failure mode: a server that cannot be listed is returned with its error, so that a command can report it and
 * carry on with the others; only an unknown server name throws.
 */
import os from 'node:os';
import { describeUnavailable, type LoadedConfig, type ResolvedServer } from '../config/load.js';
import type { GatewayPaths } from '../config/paths.js';
import { messageOf } from '../errors.js';
import type { Lockfile, PinStore } from '../integrity/lockfile.js';
import { DEFAULT_STATE_CONFIG } from '../state/config-schema.js';
import { commandPinStore } from '../state/pins.js';
import type { OtherServer } from '../integrity/poisoning.js';
import { createSecretMasker, type Logger } from '../log.js';
import { fetchCatalog, type Catalog } from '../upstream/catalog.js';
import { closeHttpPool, openConnection } from '../upstream/connect.js';

export type Listed =
  | { server: ResolvedServer; catalog: Catalog; error?: undefined }
  | { server: ResolvedServer; catalog?: undefined; error: string };

/** The enabled servers, or only `only`; an unknown name is an error that lists the known ones. */
export function selectServers(loaded: LoadedConfig, only: string | undefined): ResolvedServer[] {
  const servers = loaded.servers.filter((s) => only === undefined || s.name === only);
  const unavailable = only === undefined ? undefined : loaded.unavailable.find((u) => u.name === only);
  if (unavailable !== undefined) throw new Error(describeUnavailable(unavailable));
  if (only !== undefined && servers.length === 0)
    throw new Error(`no enabled server named "${only}" (servers: ${loaded.servers.map((s) => s.name).join(', ')})`);
  return servers;
}

/** Connects to each server at once, lists its tools, prompts and resource templates, and disconnects. */
export async function fetchCatalogs(
  loaded: Pick<LoadedConfig, 'config' | 'secrets'>,
  servers: readonly ResolvedServer[],
  log: Logger,
): Promise<Listed[]> {
  const mask = createSecretMasker(loaded.secrets);
  const up = loaded.config.upstreams;
  const listed = await Promise.all(
    servers.map(async (server): Promise<Listed> => {
      try {
        const conn = await openConnection(server, {
          log,
          mask,
          relay: {},
          timeoutMs: up.connectTimeoutMs,
          maxMessageBytes: up.maxMessageBytes,
        });
        try {
          return { server, catalog: await fetchCatalog(conn.client, server.config.timeoutMs) };
        } finally {
          await conn.close();
        }
      } catch (error) {
        return { server, error: messageOf(error) };
      }
    }),
  );
  await closeHttpPool();
  return listed;
}

/**
 * The pin store the gateway uses: the shared pins when the config's state is Redis (state/pins.ts), else the
 * config's integrity.lockfile, else <home>/tools.lock.json.
 */
export function pinStoreFor(loaded: LoadedConfig | undefined, paths: GatewayPaths): PinStore {
  return commandPinStore(loaded?.state ?? DEFAULT_STATE_CONFIG, loaded?.lockfile ?? paths.lockfile);
}

/**
 * The other servers' tool names, for the scanner's cross-server rules: live where this run listed them, else the
 * names pinned in the lockfile (what the gateway last saw), so that `--server S` needs no other connection.
 */
export function neighbours(
  name: string,
  configured: readonly string[],
  listed: readonly Listed[],
  lock: Lockfile,
): OtherServer[] {
  const live = new Map(listed.flatMap((l) => (l.catalog ? [[l.server.name, l.catalog.tools.map((t) => t.name)]] : [])));
  const out: OtherServer[] = [];
  for (const server of new Set([...configured, ...live.keys()])) {
    if (server === name) continue;
    const tools =
      live.get(server) ?? Object.keys(Object.hasOwn(lock.servers, server) ? lock.servers[server]!.tools : {});
    if (tools.length > 0) out.push({ server, tools });
  }
  return out;
}

/** `S` or `S/T` (server names have no "/", tool names may). */
export function parseTarget(target: string): { server: string; tool?: string } {
  const slash = target.indexOf('/');
  if (slash < 0) return { server: target };
  const tool = target.slice(slash + 1);
  if (slash === 0 || tool === '') throw new Error(`expected SERVER or SERVER/TOOL, got "${target}"`);
  return { server: target.slice(0, slash), tool };
}

/** Who approves or revokes, when `--by` does not say: the OS user. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

export const shortHash = (hash: string): string => hash.slice(0, 12);
