/**
 * The in-process state store: one per gateway process. Every operation runs to completion synchronously inside
 * one event-loop turn, so it is atomic by construction; the promise only keeps the StateStore shape.
 *
 * Memory stays bounded two ways. A bucket is kept only until it would be full again (its TTL is the time to refill
 * it), and a forgotten bucket reads as full, so forgetting it changes no answer: an idle identity costs nothing.
 * And an LRU caps the number of keys (`maxKeys`, default 100 000, tens of MB at worst). Evicting a bucket that is
 * not yet full would hand its key a fresh burst, so the cap is set far above what a config yields (identities ×
 * servers × tools in use within a minute or so).
 *
 * The clock is injectable (`now`) and drives the LRU's expiry too, so tests can step time. The default is the
 * monotonic `performance.now()`: a wall-clock jump neither refills nor drains a bucket.
 */
import { LRUCache } from 'lru-cache';
import { GatewayError } from '../errors.js';
import type { StateStore, TakeResult, TokenBucket } from './store.js';

export interface MemoryStoreOptions {
  /** Milliseconds since any fixed origin, always above 0 (lru-cache reads a start time of 0 as "no TTL"). Default `performance.now()`. */
  now?: () => number;
  /** The most keys kept; the least recently used go first. Default 100 000. */
  maxKeys?: number;
}

type Entry = { kind: 'bucket'; tokens: number; at: number } | { kind: 'value'; value: string };

/**
 * Floating-point slack: a bucket that holds 0.999 999 999 9 tokens after an exact refill holds one. It is used both
 * to allow a take and to compute `retryAfterMs`, so that a retry after exactly that long succeeds and a whole-number
 * wait is not rounded up by a stray 1e-16.
 */
const EPSILON = 1e-9;

export class MemoryStore implements StateStore {
  private readonly entries: LRUCache<string, Entry>;
  private readonly now: () => number;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    // ttlResolution 0: read the clock on every check, so an injected clock is obeyed to the millisecond.
    this.entries = new LRUCache({ max: opts.maxKeys ?? 100_000, ttlResolution: 0, perf: { now: this.now } });
  }

  takeToken(key: string, bucket: TokenBucket): Promise<TakeResult> {
    return this.run(() => {
      const now = this.now();
      const entry = this.bucketAt(key);
      const tokens = entry ? refilled(entry, bucket, now) : bucket.capacity;
      // A denied take writes nothing: the stored {tokens, at} yields the same refill later.
      if (tokens < 1 - EPSILON)
        return { allowed: false, remaining: 0, retryAfterMs: Math.ceil((1 - EPSILON - tokens) / bucket.refillPerMs) };
      const left = tokens - 1;
      this.putBucket(key, entry, left, now, bucket);
      return { allowed: true, remaining: Math.max(0, Math.floor(left + EPSILON)), retryAfterMs: 0 };
    });
  }

  returnToken(key: string, bucket: TokenBucket): Promise<void> {
    return this.run(() => {
      const entry = this.bucketAt(key);
      if (!entry) return;
      const now = this.now();
      this.putBucket(key, entry, Math.min(bucket.capacity, refilled(entry, bucket, now) + 1), now, bucket);
    });
  }

  addCounter(key: string, delta: number, ttlMs: number): Promise<number> {
    return this.run(() => {
      if (!Number.isFinite(delta)) throw new RangeError(`delta must be a finite number, got ${delta}`);
      if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
      const entry = this.entries.get(key);
      if (entry === undefined) {
        this.entries.set(key, { kind: 'value', value: String(delta) }, { ttl: ttlMs });
        return delta;
      }
      if (entry.kind === 'bucket') throw new GatewayError('INTERNAL', `state key ${key} holds a bucket, not a counter`);
      const held = entry.value.trim() === '' ? Number.NaN : Number(entry.value);
      if (!Number.isFinite(held))
        throw new GatewayError('INTERNAL', `state key ${key} holds a value that is not a number`);
      const total = held + delta;
      // Changed in place, so the expiry set by the first add stands (a `set` would restart it); a value that was
      // set without one gets this add's, as Redis PEXPIRE NX does.
      entry.value = String(total);
      if (this.entries.getRemainingTTL(key) === Infinity) this.entries.set(key, entry, { ttl: ttlMs });
      return total;
    });
  }

  get(key: string): Promise<string | undefined> {
    return this.run(() => {
      const entry = this.entries.get(key);
      return entry?.kind === 'value' ? entry.value : undefined;
    });
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.run(() => {
      if (ttlMs !== undefined && !(ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
      this.entries.set(key, { kind: 'value', value }, { ttl: ttlMs ?? 0 });
    });
  }

  delete(key: string): Promise<void> {
    return this.run(() => void this.entries.delete(key));
  }

  close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
    return Promise.resolve();
  }

  /** How many keys are held (tests: idle buckets are forgotten). */
  get size(): number {
    this.entries.purgeStale();
    return this.entries.size;
  }

  private bucketAt(key: string): Extract<Entry, { kind: 'bucket' }> | undefined {
    const entry = this.entries.get(key);
    if (entry?.kind === 'value') throw new GatewayError('INTERNAL', `state key ${key} holds a value, not a bucket`);
    return entry;
  }

  /** Stores the bucket until it would be full again; a full bucket is simply dropped. */
  private putBucket(
    key: string,
    entry: Extract<Entry, { kind: 'bucket' }> | undefined,
    tokens: number,
    now: number,
    bucket: TokenBucket,
  ): void {
    const ttl = Math.ceil((bucket.capacity - tokens) / bucket.refillPerMs);
    if (!(ttl > 0)) {
      this.entries.delete(key);
      return;
    }
    if (entry) {
      entry.tokens = tokens;
      entry.at = now;
    }
    this.entries.set(key, entry ?? { kind: 'bucket', tokens, at: now }, { ttl });
  }

  /** Runs one operation to completion (that is the atomicity) and turns a throw into a rejection. */
  private run<T>(op: () => T): Promise<T> {
    try {
      if (this.closed) throw new GatewayError('INTERNAL', 'the state store is closed');
      return Promise.resolve(op());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** Tokens in the bucket at `now`: what it held, plus the refill since, capped at the (current) capacity. */
function refilled(entry: { tokens: number; at: number }, bucket: TokenBucket, now: number): number {
  const elapsed = Math.max(0, now - entry.at);
  return Math.min(bucket.capacity, entry.tokens + elapsed * bucket.refillPerMs);
}
