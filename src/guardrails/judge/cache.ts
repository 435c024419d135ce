/**
 * The judge's verdict cache: an LRU of validated verdicts keyed by SHA-256 of (check, policy version, model, prompt).
 * The prompt holds the judged text and everything else the verdict depends on (the tool, the call, the context), and
 * the policy version changes whenever a policy document does, so a hit is always a verdict about the same question.
 * Only verdicts are cached, never failures: a judge that timed out is asked again next time. Entries expire after
 * ten minutes, because the model behind an endpoint name may change.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

const TTL_MS = 10 * 60_000;

export interface VerdictCache {
  key(parts: readonly unknown[]): string;
  get(key: string): unknown;
  set(key: string, verdict: object): void;
  readonly size: number;
}

export function createVerdictCache(max: number): VerdictCache {
  const lru = max > 0 ? new LRUCache<string, object>({ max, ttl: TTL_MS }) : undefined;
  return {
    key: (parts) => createHash('sha256').update(JSON.stringify(parts)).digest('hex'),
    get: (key) => lru?.get(key),
    set: (key, verdict) => void lru?.set(key, verdict),
    get size() {
      return lru?.size ?? 0;
    },
  };
}
