/**
 * What the judge stages of every policy share in one gateway process: one client (keep-alive pool) and one verdict
 * cache per judge endpoint, and the policy documents, read at start-up and re-read on change. Created once by the
 * gateway (or by `check`), handed to the pipeline assembly, closed on shutdown.
 */
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { createVerdictCache, type VerdictCache } from './cache.js';
import { createJudgeClient, JudgeFailure, type JudgeClient } from './client.js';
import type { JudgeEndpoint } from './config-schema.js';
import { createPolicyLibrary, type PolicyLibrary, type PolicyRules } from './documents.js';

export interface JudgeRuntimeOptions {
  judges: Record<string, JudgeEndpoint>;
  /** Absolute paths of the policy documents. */
  documents: readonly string[];
  /** Re-read documents when they change. Default true. */
  watch?: boolean;
  /** fs.watchFile polling interval. Default 1000 ms. */
  watchIntervalMs?: number;
  log?: Logger;
}

export interface JudgeRuntime {
  /** The configured judges' names. */
  readonly names: readonly string[];
  /** The client and verdict cache of a configured judge. */
  judge(name: string): { client: JudgeClient; cache: VerdictCache };
  /** The current policy rules; throws JudgeFailure('documents') when none are configured or one is unreadable. */
  rules(): Promise<PolicyRules>;
  close(): Promise<void>;
}

export function createJudgeRuntime(opts: JudgeRuntimeOptions): JudgeRuntime {
  const judges = new Map<string, { client: JudgeClient; cache: VerdictCache }>();
  const library: PolicyLibrary | undefined =
    opts.documents.length > 0
      ? createPolicyLibrary(opts.documents, {
          watch: opts.watch ?? true,
          ...(opts.watchIntervalMs !== undefined ? { intervalMs: opts.watchIntervalMs } : {}),
          ...(opts.log ? { log: opts.log } : {}),
        })
      : undefined;
  return {
    names: Object.keys(opts.judges),
    judge(name) {
      let j = judges.get(name);
      if (!j) {
        const endpoint = opts.judges[name];
        if (!endpoint) throw new GatewayError('CONFIG_INVALID', `no judge named "${name}" under "judges"`);
        j = { client: createJudgeClient(name, endpoint), cache: createVerdictCache(endpoint.cacheSize) };
        judges.set(name, j);
      }
      return j;
    },
    rules() {
      if (!library) return Promise.reject(new JudgeFailure('documents', 'no policy documents are configured'));
      return library.current();
    },
    async close() {
      library?.close();
      await Promise.all([...judges.values()].map((j) => j.client.close()));
      judges.clear();
    },
  };
}
