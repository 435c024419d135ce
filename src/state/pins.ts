/**
 * Tool pins in the shared state store (issue 6, item 5): with the Redis back end, every gateway instance and every
 * `tools approve/revoke/list` reads and writes ONE pin document, so an approval on one instance is honoured by all
 * and a rug pull seen by one is blocked on all. The document is the lockfile itself (the same schema, canonical
 * JSON) under the key `pins`, and the pin operations are the lockfile's own (integrity/lockfile.ts buildPinStore);
 * only the backing differs.
 *
 * Atomicity: each change is an optimistic read-modify-write. It reads the document, applies the change, and writes
 * it with a compare-and-set that succeeds only if the document is still what it read; otherwise it reads again and
 * re-applies. Two instances pinning the same new tool at once: exactly one write wins, and the other, on its retry,
 * finds the tool pinned and writes nothing. Changes within one process also run one after the other.
 *
 * Migration: while the shared document does not exist yet, the local lockfile (if any) is its starting value, so
 * turning Redis on keeps the approvals and revocations made so far; the first change writes them to Redis.
 *
 * Failure mode: closed. A store that cannot be reached rejects, so the integrity gate blocks the server's tools
 * (integrity.failed, naming the store) and the CLI reports the error; a document that is not a valid lockfile is a
 * CONFIG_INVALID error, never reset.
 *
 * Push (issue 15, class 14): every change that lands is published on the channel `pins:changed` with the names of
 * the servers it touched, so every instance re-checks those servers' lists at once (an approval lists the tool
 * everywhere, with `notifications/tools/list_changed`, without waiting for a call).
 *
 * A reset store (issue 15, class 14): a Redis restarted without persistence, flushed or evicting comes back with
 * no pins, and a changed tool would then be pinned as new: a rug pull through a restart. So the first write of the
 * pins also writes an epoch (`pins:epoch`, a random id), and every instance keeps the epoch it saw, with the
 * servers that had pins under it, in memory and in `pins-epoch.json` next to its lockfile (mode 0600). When the
 * store's epoch is not the one this instance (or its marker file) knew, the store was reset: the servers known to
 * have had pins go into the set `pins:reset`, shared by every instance, and while such a server has no pins its
 * new tools are not pinned but refused (integrity.unapproved: the pin store was reset; re-approve with `tools
 * approve`). The same holds when the epoch is still there but the pins are gone (an eviction or a DEL of the pins
 * alone). The error is logged once per reset. A deliberate reset is `tools reset-pins --yes`: it deletes the pins
 * and the reset set and starts a new epoch that names the one it replaced (`pins:epoch:previous`), so instances
 * that knew the old one take it as a fresh start. Left open: an instance that never saw the old epoch (a new host
 * without the marker) and starts first after a reset trusts the lists it sees, as on any first use; an instance
 * that slept through two deliberate resets takes the second as a loss (its servers then need `tools approve`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { canonicalJson } from '../integrity/canonical.js';
import type { ToolLike } from '../integrity/hash.js';
import {
  LockfileSchema,
  buildPinStore,
  createPinStore,
  emptyLockfile,
  parseLockfile,
  writeAtomic,
  type ApproveOptions,
  type CheckOptions,
  type IntegrityMode,
  type LauncherPin,
  type Lockfile,
  type PinStore,
  type RevokeOptions,
} from '../integrity/lockfile.js';
import type { StateConfig } from './config-schema.js';
import { RedisStore, redisWhere } from './redis.js';

export const PINS_KEY = 'pins';
/** The random id written with the first pins: a store without it (or with another) lost the pins it had. */
export const EPOCH_KEY = 'pins:epoch';
/** The epoch a deliberate reset replaced: instances that knew it take the new one as a fresh start. */
export const PREVIOUS_EPOCH_KEY = 'pins:epoch:previous';
/** Servers that had pins before the store was reset: their tools need a person's approval again. */
export const RESET_KEY = 'pins:reset';
/** Published after each change: a JSON array of the servers whose pins changed. */
export const PINS_CHANNEL = 'pins:changed';
/** The local epoch marker, next to the lockfile. */
export const EPOCH_MARKER = 'pins-epoch.json';

/** What this instance knew of one store: the epoch it saw, and the servers that had pins under it. */
interface KnownEpoch {
  epoch: string;
  servers: string[];
}

/** How often a change is re-applied after losing a compare-and-set race before giving up. */
const MAX_ATTEMPTS = 50;

export interface SharedPinStoreOptions {
  store: RedisStore;
  /** The local lockfile: the starting value while the shared document (and its epoch) never existed. */
  seedFile?: string;
  /** The local epoch marker; default `pins-epoch.json` next to `seedFile` (none without either). */
  markerFile?: string;
  /** Where a detected reset is logged (once per reset). */
  log?: Logger;
  now?: () => Date;
}

/** The message of a refusal after a reset, with how to get out of it. */
export function resetReason(server: string): string {
  return `the shared pin store was reset (Redis lost its pins: a restart without persistence, a flush or an eviction) after ${server} had pins, so its tools are not trusted as a first use; review them with \`secure-mcp-gateway tools diff ${server}\` and re-approve them with \`secure-mcp-gateway tools approve ${server}\` (\`tools reset-pins --yes\` starts over deliberately)`;
}

/** The marker file: `{version: 1, stores: {"<where> <prefix>": {epoch, servers}}}`; unreadable counts as empty. */
function readMarker(file: string): Record<string, KnownEpoch> {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { stores?: Record<string, KnownEpoch> };
    return data.stores && typeof data.stores === 'object' ? data.stores : {};
  } catch {
    return {};
  }
}

export function createSharedPinStore(opts: SharedPinStoreOptions): PinStore {
  const { store } = opts;
  const label = `${store.where} (key ${PINS_KEY})`;
  const seed = opts.seedFile === undefined ? undefined : createPinStore({ file: opts.seedFile });
  const markerFile =
    opts.markerFile ?? (opts.seedFile === undefined ? undefined : path.join(path.dirname(opts.seedFile), EPOCH_MARKER));
  const storeId = `${store.where} ${store.keyPrefix}`;
  let known: KnownEpoch | undefined = markerFile === undefined ? undefined : readMarker(markerFile)[storeId];
  /** The last epoch a reset was logged for, so that it is logged once. */
  let reported: string | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  /** Keeps what this instance now knows, in memory and (when it changed) in the marker file. */
  async function remember(next: KnownEpoch, replace = false): Promise<void> {
    next = { epoch: next.epoch, servers: [...new Set(next.servers)].sort() };
    if (replace) known = undefined;
    if (known && known.epoch === next.epoch && known.servers.join('\u0000') === next.servers.join('\u0000')) return;
    known = next;
    if (markerFile === undefined) return;
    const stores = { ...readMarker(markerFile), [storeId]: next };
    // Other processes on this home (a gateway, a CLI command) may know more servers under the same epoch.
    const before = readMarker(markerFile)[storeId];
    if (!replace && before?.epoch === next.epoch)
      stores[storeId] = { epoch: next.epoch, servers: [...new Set([...before.servers, ...next.servers])].sort() };
    try {
      await fs.promises.mkdir(path.dirname(markerFile), { recursive: true, mode: 0o700 });
      await writeAtomic(markerFile, `${JSON.stringify({ version: 1, stores }, null, 2)}\n`);
    } catch (error) {
      // The marker only adds to what memory holds; a gateway that cannot write it still detects a reset while up.
      opts.log?.warn({ file: markerFile, err: messageOf(error) }, 'cannot write the pin epoch marker');
    }
  }

  /** A new epoch when there is none (first pins, or after a reset); the one that won when two raced. */
  async function ensureEpoch(current: string | undefined): Promise<string> {
    if (current !== undefined) return current;
    await store.setIfAbsent(EPOCH_KEY, randomBytes(16).toString('hex'));
    const epoch = await store.get(EPOCH_KEY);
    if (epoch === undefined) throw new GatewayError('INTERNAL', `the pin epoch at ${label} vanished as it was set`);
    return epoch;
  }

  /**
   * The document as stored (undefined: absent), the lockfile it holds or starts from, and the servers whose pins
   * were lost in a reset. Detects a reset (see the header).
   */
  async function load(): Promise<{ text: string | undefined; lock: Lockfile; reset: Set<string> }> {
    const [text, stored, previous, resetList] = await Promise.all([
      store.get(PINS_KEY),
      store.get(EPOCH_KEY),
      store.get(PREVIOUS_EPOCH_KEY),
      store.setMembers(RESET_KEY),
    ]);
    let epoch = stored;
    const lock = text !== undefined ? parseLockfile(text, label) : undefined;
    const servers = Object.keys(lock?.servers ?? {});
    const reset = new Set(resetList);
    // `tools reset-pins` replaced the epoch this instance knew: a fresh start, not a loss.
    const deliberate = known !== undefined && epoch !== undefined && epoch !== known.epoch && previous === known.epoch;
    // The same epoch but no pins, where this instance saw some: the pins alone were lost (evicted, deleted).
    const docLost = known !== undefined && epoch === known.epoch && lock === undefined && known.servers.length > 0;
    if (deliberate) {
      await remember({ epoch: epoch!, servers }, true);
    } else if (known !== undefined && (epoch !== known.epoch || docLost)) {
      const lost = known.servers;
      await store.setAdd(RESET_KEY, lost);
      for (const s of lost) reset.add(s);
      epoch = await ensureEpoch(epoch);
      if (reported !== epoch && lost.length > 0)
        opts.log?.error(
          { store: store.where, servers: lost, epoch: { was: known.epoch, now: stored ?? null } },
          'the shared pin store was reset (its epoch changed): the tools of servers that had pins need `tools approve` again; a first use is not trusted',
        );
      reported = epoch;
      await remember({ epoch, servers: [...servers, ...lost] });
    } else if (epoch !== undefined) {
      await remember({ epoch, servers: [...servers, ...(known?.servers ?? [])] });
    } else if (lock !== undefined) {
      // Pins written before epochs existed: give them one now, so that a later reset is seen.
      await remember({ epoch: await ensureEpoch(undefined), servers });
    }
    if (lock !== undefined) return { text, lock, reset };
    // The seed is for a store that never had pins (turning Redis on); after that it is stale, never a source.
    const fresh = epoch === undefined && known === undefined;
    return { text, lock: fresh && seed ? await seed.read() : emptyLockfile(), reset };
  }

  async function update<T>(fn: (lock: Lockfile) => T | Promise<T>): Promise<T> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { text, lock } = await load();
      const before = canonicalJson(lock);
      const beforeServers = new Map(Object.entries(lock.servers).map(([s, p]) => [s, canonicalJson(p)]));
      const result = await fn(lock);
      const after = canonicalJson(lock);
      // Unchanged: nothing to write (an unchanged seed stays in the file until the first real change).
      if (after === before) return result;
      LockfileSchema.parse(lock); // a bug here must not reach the shared pins
      // The first pins of a store start its epoch, before they can be seen.
      const epoch = await ensureEpoch(await store.get(EPOCH_KEY));
      if (await store.compareAndSet(PINS_KEY, text, after)) {
        const changed = [...new Set([...Object.keys(lock.servers), ...beforeServers.keys()])].filter(
          (s) => beforeServers.get(s) !== (lock.servers[s] ? canonicalJson(lock.servers[s]) : undefined),
        );
        await remember({ epoch, servers: [...Object.keys(lock.servers), ...(known?.servers ?? [])] });
        // A hint to the other instances; a lost message is made up for by their re-checks (see pool.ts).
        await store.publish(PINS_CHANNEL, JSON.stringify(changed)).catch(() => undefined);
        return result;
      }
    }
    throw new GatewayError(
      'INTERNAL',
      `the shared pins at ${label} changed ${MAX_ATTEMPTS} times while this change was applied; nothing was written`,
    );
  }

  const pins = buildPinStore({
    file: label,
    read: async () => (await load()).lock,
    update: (fn) => {
      const run = chain.then(() => update(fn));
      chain = run.catch(() => undefined);
      return run;
    },
    now: () => (opts.now?.() ?? new Date()).toISOString(),
  });
  return {
    ...pins,
    async check(server, tools, mode) {
      const { lock, reset } = await load();
      // A server that had pins before a reset and has none now: its list is not a first use.
      if (mode === 'off' || !reset.has(server) || Object.hasOwn(lock.servers, server))
        return pins.check(server, tools, mode);
      return { ...(await pins.check(server, tools, 'require-approval')), unapprovedReason: resetReason(server) };
    },
  };
}

/**
 * The deliberate reset (`tools reset-pins --yes`): deletes the shared pins and the reset set, and keeps the epoch,
 * so that the instances take the empty store as a fresh start (pin on first use), not as a lost one.
 */
export async function resetSharedPins(store: RedisStore): Promise<void> {
  const old = await store.get(EPOCH_KEY);
  // The new epoch names the one it replaces first, so that no instance sees the new one without it.
  if (old !== undefined) await store.set(PREVIOUS_EPOCH_KEY, old);
  await store.set(EPOCH_KEY, randomBytes(16).toString('hex'));
  await store.delete(PINS_KEY);
  await store.delete(RESET_KEY);
  await store.publish(PINS_CHANNEL, JSON.stringify(['*'])).catch(() => undefined);
}

/**
 * Calls `listener` with the servers whose shared pins another instance (or `tools approve/revoke`) changed; `'*'`
 * means every server. Returns the function that stops it.
 */
export function watchPins(store: RedisStore, listener: (servers: readonly string[]) => void): () => void {
  return store.subscribe(PINS_CHANNEL, (message) => {
    try {
      const servers = JSON.parse(message) as unknown;
      if (Array.isArray(servers)) listener(servers.filter((s): s is string => typeof s === 'string'));
    } catch {
      // Not ours, or garbled: a hint only, nothing to do.
    }
  });
}

/**
 * The pin store for a process: the shared document when the state store is Redis, else the lockfile. `shared`
 * is the Redis store (state/create.ts `sharedStore`), when there is one.
 */
export function pinStoreOn(shared: RedisStore | undefined, lockfile: string, log?: Logger): PinStore {
  return shared
    ? createSharedPinStore({ store: shared, seedFile: lockfile, ...(log ? { log } : {}) })
    : createPinStore({ file: lockfile });
}

/**
 * The pin store for a one-shot command (`tools approve/revoke/list/diff`, `scan`): with the Redis back end each
 * operation opens its own connection and closes it, so that the command exits when it is done and never holds a
 * connection it no longer needs.
 */
export function commandPinStore(state: StateConfig, lockfile: string, log?: Logger): PinStore {
  if (state.backend !== 'redis' || state.url === undefined) return createPinStore({ file: lockfile });
  const options = {
    url: state.url,
    keyPrefix: state.keyPrefix,
    connectTimeoutMs: state.connectTimeoutMs,
    commandTimeoutMs: Math.max(state.commandTimeoutMs, state.connectTimeoutMs),
  };
  const once =
    <A extends unknown[], R>(op: (pins: PinStore, ...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const store = new RedisStore(options);
      try {
        return await op(createSharedPinStore({ store, seedFile: lockfile, ...(log ? { log } : {}) }), ...args);
      } finally {
        await store.close();
      }
    };
  return {
    file: `${redisWhere(state.url)} (key ${PINS_KEY})`,
    read: once((p) => p.read()),
    check: once((p, server: string, tools: readonly ToolLike[], mode: IntegrityMode, o?: CheckOptions) =>
      p.check(server, tools, mode, o),
    ),
    approve: once((p, server: string, tools: readonly ToolLike[], o?: ApproveOptions) => p.approve(server, tools, o)),
    revoke: once((p, server: string, o?: RevokeOptions) => p.revoke(server, o)),
    setLauncher: once((p, server: string, launcher: Omit<LauncherPin, 'recordedAt'>) =>
      p.setLauncher(server, launcher),
    ),
    update: once((p, fn: (lock: Lockfile) => unknown) => p.update(fn)) as PinStore['update'],
  };
}
