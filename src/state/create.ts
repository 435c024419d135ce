/**
 * Builds the process's state store from the `state` config (state/config-schema.ts): a MemoryStore, or a RedisStore
 * whose changes between reachable and not are logged once each, with what they mean for the calls. Start-up never
 * waits for Redis here: the store connects in the background, and each consumer fails as it must when Redis is not
 * there (rate limits deny, the discovery cache uses memory, pins block).
 */
import type { Logger } from '../log.js';
import type { StateConfig } from './config-schema.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { StateStore } from './store.js';

/** What the shared back end means while it is down; logged with every outage. */
export const OUTAGE_EFFECTS =
  'rate-limited calls are denied (fail closed), the discovery cache uses this process’s memory and files, tool pins cannot be read or written (tools whose pins cannot be checked are blocked; they are checked again when the store is back), and every gateway key is refused once the copy of the shared keys is 10 s old';

export function createStateStore(cfg: StateConfig, log: Logger): StateStore {
  if (cfg.backend === 'memory') return new MemoryStore();
  let seenUp = false;
  const store = new RedisStore({
    url: cfg.url!,
    keyPrefix: cfg.keyPrefix,
    connectTimeoutMs: cfg.connectTimeoutMs,
    commandTimeoutMs: cfg.commandTimeoutMs,
    onStatus: (status, reason) => {
      if (status === 'down') {
        log.warn({ store: store.where, reason }, `the shared state store is unavailable: ${OUTAGE_EFFECTS}`);
        return;
      }
      log.info(
        { store: store.where },
        seenUp ? 'the shared state store is back; shared state resumes' : 'connected to the shared state store',
      );
      seenUp = true;
    },
  });
  return store;
}

/** The Redis store behind a StateStore, when the config chose Redis (pins and the discovery cache use its extras). */
export function sharedStore(store: StateStore): RedisStore | undefined {
  return store instanceof RedisStore ? store : undefined;
}

/**
 * A Redis store for a one-shot command (`keys …`, `tools reset-pins`), when the config chose Redis: its commands
 * may wait as long as a connection attempt, since the command has nothing else to do. The caller closes it.
 */
export function commandRedisStore(cfg: StateConfig): RedisStore | undefined {
  if (cfg.backend !== 'redis' || cfg.url === undefined) return undefined;
  return new RedisStore({
    url: cfg.url,
    keyPrefix: cfg.keyPrefix,
    connectTimeoutMs: cfg.connectTimeoutMs,
    commandTimeoutMs: Math.max(cfg.commandTimeoutMs, cfg.connectTimeoutMs),
  });
}
