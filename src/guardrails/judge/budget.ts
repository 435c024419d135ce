/**
 * The per-identity budget of judge requests: a token bucket per gateway identity (`ctx.identity`) that holds
 * `perMinute` tokens and refills continuously, so one busy client cannot run up the organisation's model bill or
 * starve the other clients of the judge. Cache hits cost nothing. An identity over budget gets a judge failure,
 * which the stage turns into a block (fail closed) or a recorded error (fail open). In memory, per gateway process;
 * idle identities are forgotten (LRU), which only ever refills them.
 */
import { LRUCache } from 'lru-cache';

export interface JudgeBudget {
  /** Takes one request from the identity's bucket; false when it is empty. */
  take(identity: string): boolean;
}

export function createJudgeBudget(perMinute: number, now: () => number = Date.now): JudgeBudget {
  const buckets = new LRUCache<string, { tokens: number; at: number }>({ max: 10_000 });
  const ratePerMs = perMinute / 60_000;
  return {
    take(identity) {
      const t = now();
      const b = buckets.get(identity) ?? { tokens: perMinute, at: t };
      b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * ratePerMs);
      b.at = t;
      buckets.set(identity, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
