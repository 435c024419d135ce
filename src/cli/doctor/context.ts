/**
 * The shared, memoised state of one `doctor` run: the config loaded once, each upstream connected once.
 */
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import type { GatewayPaths } from '../../config/paths.js';
import { messageOf } from '../../errors.js';
import type { CatalogOptions } from '../../clients/catalog.js';
import type { Logger } from '../../log.js';
import { fetchCatalogs } from '../catalogs.js';
import type { DoctorContext, TimedListed } from './types.js';

export function createDoctorContext(opts: {
  paths: GatewayPaths;
  env: NodeJS.ProcessEnv;
  catalog: CatalogOptions;
  log: Logger;
}): DoctorContext {
  let loaded: { loaded: LoadedConfig } | { error: string } | undefined;
  let catalogs: Promise<TimedListed[]> | undefined;
  const ctx: DoctorContext = {
    paths: opts.paths,
    env: opts.env,
    catalog: opts.catalog,
    loaded() {
      if (loaded === undefined)
        try {
          loaded = { loaded: loadConfig(opts.paths.config, opts.env) };
        } catch (error) {
          loaded = { error: messageOf(error) };
        }
      return loaded;
    },
    catalogs() {
      catalogs ??= (async () => {
        const l = ctx.loaded();
        if (!('loaded' in l)) return [];
        const cfg = l.loaded;
        // One server per fetch, all at once, so that each gets its own time.
        return Promise.all(
          cfg.servers.map(async (server) => {
            const t0 = performance.now();
            const [listed] = await fetchCatalogs(cfg, [server], opts.log);
            return { listed: listed!, ms: Math.round(performance.now() - t0) };
          }),
        );
      })();
      return catalogs;
    },
  };
  return ctx;
}
