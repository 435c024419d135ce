/**
 * The state store: what the gateway keeps that may outlive one call and, with `serve` behind a load balancer, must
 * be shared by every instance (DESIGN.md, `state/`): rate-limit buckets and the AI proxy's budget counters
 * now; the discovery cache and sessions later.
 * One interface, two back ends: `memory.ts` (one process) and Redis (issue 6, shared).
 *
 * The interface is shaped for Redis so that the second back end is a drop-in:
 * - Everything is async and keyed by strings in ONE keyspace. Callers namespace their keys (`rl:` for rate limits).
 * - A bucket is read, refilled, decremented and written in ONE operation, never get-then-set from the caller: in
 *   Redis that is one Lua script (`EVALSHA` over a hash `{tokens, at}`), so two instances cannot both spend the
 *   last token. Each operation touches one key, so Redis Cluster needs no hash tags.
 * - There is no `now` parameter: the store owns the clock. Redis uses its own `TIME` inside the script, so
 *   instances with skewed clocks agree; the memory store takes an injectable clock for tests.
 * - Expiry is part of the contract (`PEXPIRE` in Redis): a bucket lives only until it would be full again, because
 *   a missing bucket IS a full bucket; a value lives for the `ttlMs` it was set with; a counter lives for the `ttlMs`
 *   of the add that created it, so a counter of one day dies after that day however often it is added to.
 */

/** A token bucket: holds up to `capacity` tokens and gains `refillPerMs` tokens every millisecond (fractions too). */
export interface TokenBucket {
  /** The burst: how many calls a full bucket allows at once. At least 1. */
  readonly capacity: number;
  /** The sustained rate, in tokens per millisecond (`perMinute / 60_000`). Greater than 0. */
  readonly refillPerMs: number;
}

export interface TakeResult {
  /** True when a token was taken. A denied take changes nothing. */
  readonly allowed: boolean;
  /** Whole tokens left in the bucket after this take. */
  readonly remaining: number;
  /** 0 when allowed; else the milliseconds (rounded up) until one whole token is back, so a retry then succeeds. */
  readonly retryAfterMs: number;
}

export interface StateStore {
  /**
   * Refills the bucket at `key` for the time since it was last touched, then takes one token if a whole one is
   * there. Atomic. An absent key is a full bucket; the key expires once the bucket would be full again. Taking from
   * the same key with a different `bucket` (a config reload) refills and caps by the new shape.
   */
  takeToken(key: string, bucket: TokenBucket): Promise<TakeResult>;
  /**
   * Gives back one token taken by `takeToken` for a call that was then not made (capped at the capacity). Atomic.
   * Returning to an absent key does nothing: that bucket is already full.
   */
  returnToken(key: string, bucket: TokenBucket): Promise<void>;
  /**
   * Adds `delta` (any finite number, fractions too) to the counter at `key` and returns the new total. Atomic. An
   * absent key counts from 0 and expires `ttlMs` after this first add; later adds keep that expiry (Redis
   * `INCRBYFLOAT`, then `PEXPIRE` only when the key has none). `get` reads a counter as its decimal string. A key
   * that holds a bucket, or a value that is not a number, rejects.
   */
  addCounter(key: string, delta: number, ttlMs: number): Promise<number>;
  /** The string at `key`, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Sets `key`, expiring after `ttlMs` when given (`SET key value PX ttl`); without it the key does not expire. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Releases connections and timers. Operations after close reject. */
  close(): Promise<void>;
}
