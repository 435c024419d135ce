/**
 * The ONE place where the gateway's state store is made (DESIGN.md, `state/`) when the caller has not made one:
 * memory, or Redis shared by every instance, from the config's `state` section (state/create.ts). Every pool and
 * session of a process shares the store it returns.
 */
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { createStateStore } from '../state/create.js';
import type { StateStore } from '../state/store.js';

export function createGatewayState(loaded: LoadedConfig, log: Logger): StateStore {
  return createStateStore(loaded.state, log);
}
