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
 */
import { GatewayError } from '../errors.js';
import { canonicalJson } from '../integrity/canonical.js';
import type { ToolLike } from '../integrity/hash.js';
import {
  LockfileSchema,
  buildPinStore,
  createPinStore,
  emptyLockfile,
  parseLockfile,
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

/** How often a change is re-applied after losing a compare-and-set race before giving up. */
const MAX_ATTEMPTS = 50;

export interface SharedPinStoreOptions {
  store: RedisStore;
  /** The local lockfile: the starting value while the shared document does not exist. */
  seedFile?: string;
  now?: () => Date;
}

export function createSharedPinStore(opts: SharedPinStoreOptions): PinStore {
  const { store } = opts;
  const label = `${store.where} (key ${PINS_KEY})`;
  const seed = opts.seedFile === undefined ? undefined : createPinStore({ file: opts.seedFile });
  let chain: Promise<unknown> = Promise.resolve();

  /** The document as stored (undefined: absent), and the lockfile it holds or starts from. */
  async function load(): Promise<{ text: string | undefined; lock: Lockfile }> {
    const text = await store.get(PINS_KEY);
    if (text !== undefined) return { text, lock: parseLockfile(text, label) };
    return { text, lock: seed ? await seed.read() : emptyLockfile() };
  }

  async function update<T>(fn: (lock: Lockfile) => T | Promise<T>): Promise<T> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { text, lock } = await load();
      const before = canonicalJson(lock);
      const result = await fn(lock);
      const after = canonicalJson(lock);
      // Unchanged: nothing to write (an unchanged seed stays in the file until the first real change).
      if (after === before) return result;
      LockfileSchema.parse(lock); // a bug here must not reach the shared pins
      if (await store.compareAndSet(PINS_KEY, text, after)) return result;
    }
    throw new GatewayError(
      'INTERNAL',
      `the shared pins at ${label} changed ${MAX_ATTEMPTS} times while this change was applied; nothing was written`,
    );
  }

  return buildPinStore({
    file: label,
    read: async () => (await load()).lock,
    update: (fn) => {
      const run = chain.then(() => update(fn));
      chain = run.catch(() => undefined);
      return run;
    },
    now: () => (opts.now?.() ?? new Date()).toISOString(),
  });
}

/**
 * The pin store for a process: the shared document when the state store is Redis, else the lockfile. `shared`
 * is the Redis store (state/create.ts `sharedStore`), when there is one.
 */
export function pinStoreOn(shared: RedisStore | undefined, lockfile: string): PinStore {
  return shared ? createSharedPinStore({ store: shared, seedFile: lockfile }) : createPinStore({ file: lockfile });
}

/**
 * The pin store for a one-shot command (`tools approve/revoke/list/diff`, `scan`): with the Redis back end each
 * operation opens its own connection and closes it, so that the command exits when it is done and never holds a
 * connection it no longer needs.
 */
export function commandPinStore(state: StateConfig, lockfile: string): PinStore {
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
        return await op(createSharedPinStore({ store, seedFile: lockfile }), ...args);
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
