/**
 * The shared state store on Redis (issue 6, item 5), through ioredis: every gateway instance that points at the
 * same Redis and key prefix sees the same rate-limit buckets, discovery cache entries and pins.
 *
 * Atomicity: a token bucket is a hash `{tokens, at}` read, refilled, decremented and written by ONE Lua script
 * (EVALSHA, loaded once by ioredis `defineCommand`), so two instances can never both spend the last token. The
 * script reads the clock with Redis `TIME`, so instances with skewed clocks agree, and sets `PEXPIRE` to the time
 * until the bucket is full again (a missing bucket is a full one). Every operation touches one key.
 *
 * Failure mode: an operation never hangs and never answers from stale data. While the connection is down, every
 * operation rejects at once with a StateUnavailableError that names the store (callers decide: rate limits deny,
 * the discovery cache falls back to memory, pins block). Only before the very first connection attempt has
 * finished does a command wait, in ioredis' offline queue, and then for at most `commandTimeoutMs`. ioredis
 * reconnects on its own (back-off up to one second); `onStatus` reports each change between up and down once.
 *
 * A STALLED Redis (DEBUG SLEEP, CLIENT PAUSE, a frozen process, a saturated network) keeps its connection open, so
 * ioredis never reports it (issue 15, class 14). A command that times out therefore counts as an outage too: the
 * store goes down with the reason, and a probe (one PING every `probeEveryMs`) brings it back up once Redis
 * answers again, so that watchers re-run what failed meanwhile and the recovery is logged.
 *
 * Pub/sub (`publish`/`subscribe`) tells the other instances that shared state changed (pins, keys). It is a hint,
 * never the source of truth: a message lost in an outage is made up for by the re-checks on `up`.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Redis, RedisOptions } from 'ioredis';

/**
 * ioredis is loaded when the first RedisStore is made, not when this module is: it costs about 20 MB of memory, and a
 * gateway on the memory back end (the default) never needs it. The package ships it bundled on its own
 * (dist/vendor/ioredis.cjs, build.mjs), so there is no run-time dependency to fetch and a gateway without Redis does
 * not even parse it. Run from source (tsx, vitest) it is resolved from node_modules.
 */
declare const __SMG_IOREDIS__: string | undefined;
let RedisClass: typeof Redis | undefined;
function redisClass(): typeof Redis {
  return (RedisClass ??= (createRequire(import.meta.url)(ioredisPath()) as { Redis: typeof Redis }).Redis);
}
/** The bundled file relative to dist/, found from this code's place there: dist/ itself or dist/chunks/. */
function ioredisPath(): string {
  if (typeof __SMG_IOREDIS__ !== 'string') return 'ioredis';
  const here = new URL('.', import.meta.url);
  const dist = here.pathname.endsWith('/chunks/') ? new URL('..', here) : here;
  return fileURLToPath(new URL(__SMG_IOREDIS__, dist));
}
import { GatewayError, messageOf } from '../errors.js';
import type { StateStore, TakeResult, TokenBucket } from './store.js';

export interface RedisStoreOptions {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  url: string;
  /** Prefix of every key (ioredis `keyPrefix`). Default "smg:". */
  keyPrefix?: string;
  /** One connection attempt. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** One command. Default 500 ms. */
  commandTimeoutMs?: number;
  /** Called on every change between reachable ("up") and not ("down"), with the reason when down. */
  onStatus?: (status: 'up' | 'down', reason?: string) => void;
  /** While a stalled store is down, how often a PING checks whether it answers again. Default 250 ms. */
  probeEveryMs?: number;
}

/** ioredis' message for a command that got no answer within `commandTimeout`: the store stalled. */
const TIMED_OUT = 'Command timed out';

/** The store cannot be reached (or answered too late): the caller fails closed or falls back, as it must. */
export class StateUnavailableError extends GatewayError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, cause === undefined ? undefined : { cause });
  }
}

/** scheme://host:port of a Redis URL: what messages and logs name, never the password or the database. */
export function redisWhere(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}`;
}

/** See memory.ts: the same slack, so that both back ends give the same answers. */
const EPSILON = 1e-9;

/**
 * KEYS[1] the bucket; ARGV capacity, refill per ms, epsilon, and 1 to take / 0 to give back.
 * Returns {allowed 0|1, remaining, retryAfterMs}. Numbers are written with %.17g so that a round trip through the
 * hash loses nothing (tostring keeps only 14 digits, which is coarser than a microsecond at today's epoch).
 */
const BUCKET_LUA = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local eps = tonumber(ARGV[3])
local take = ARGV[4] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = cap
if held[1] then
  tokens = math.min(cap, tonumber(held[1]) + math.max(0, now - tonumber(held[2])) * rate)
elseif not take then
  return {1, 0, 0}
end
local left
if take then
  if tokens < 1 - eps then
    return {0, 0, math.ceil((1 - eps - tokens) / rate)}
  end
  left = tokens - 1
else
  left = math.min(cap, tokens + 1)
end
local ttl = math.ceil((cap - left) / rate)
if ttl > 0 then
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', left), 'at', string.format('%.17g', now))
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
return {1, math.floor(left + eps), 0}
`;

/**
 * KEYS[1] a value; ARGV the expected current value ('' when it must be absent), the new value.
 * Sets the key only when it still holds what the caller read: an optimistic compare-and-set. Returns 1 or 0.
 */
const CAS_LUA = `
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

/**
 * KEYS[1] a counter; ARGV the delta, the ttl in ms. Adds, then sets the expiry only when the key has none, so that
 * the first add's ttl stands (PEXPIRE NX, written with PTTL so that Redis 6 runs it too). Returns the new total as
 * INCRBYFLOAT's decimal string.
 */
const COUNTER_LUA = `
local total = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return total
`;

interface BucketCommands {
  smgBucket(
    key: string,
    capacity: string,
    rate: string,
    eps: string,
    take: '0' | '1',
  ): Promise<[number, number, number]>;
  smgCas(key: string, expected: string, value: string): Promise<number>;
  smgCounter(key: string, delta: string, ttlMs: string): Promise<string>;
}

export class RedisStore implements StateStore {
  private readonly client: Redis & BucketCommands;
  /** scheme://host:port (never the password), for messages. */
  readonly where: string;
  /** Undefined until the first attempt ends, so that a Redis that is down from the start is reported once too. */
  private up: boolean | undefined;
  /** True once the first connection attempt has succeeded or failed: from then on a down store fails fast. */
  private attempted = false;
  private lastReason = 'not connected yet';
  private closed = false;
  private readonly watchers = new Set<(status: 'up' | 'down') => void>();
  /** The PING loop of a stalled store (see the header); undefined while none runs. */
  private probe: NodeJS.Timeout | undefined;
  /** The connection in subscriber mode, made on the first subscribe (a subscribed connection runs nothing else). */
  private subscriber: Redis | undefined;
  private readonly channels = new Map<string, Set<(message: string) => void>>();

  /** The key prefix; channels carry it too, since ioredis does not prefix them. */
  readonly keyPrefix: string;

  constructor(private readonly opts: RedisStoreOptions) {
    this.where = redisWhere(opts.url);
    this.keyPrefix = opts.keyPrefix ?? 'smg:';
    const options: RedisOptions = {
      keyPrefix: this.keyPrefix,
      connectTimeout: opts.connectTimeoutMs ?? 2_000,
      commandTimeout: opts.commandTimeoutMs ?? 500,
      // Queued commands (before the first connect) fail after one reconnect attempt rather than waiting for Redis.
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 100, 1_000),
      // The queue serves only the commands sent before the first attempt has finished (start-up), each bounded by
      // commandTimeout; afterwards run() rejects at once while the connection is down, so nothing else queues.
      enableOfflineQueue: true,
      lazyConnect: false,
    };
    const Client = redisClass();
    this.client = new Client(opts.url, options) as Redis & BucketCommands;
    this.client.defineCommand('smgBucket', { numberOfKeys: 1, lua: BUCKET_LUA });
    this.client.defineCommand('smgCas', { numberOfKeys: 1, lua: CAS_LUA });
    this.client.defineCommand('smgCounter', { numberOfKeys: 1, lua: COUNTER_LUA });
    this.client.on('ready', () => {
      this.stopProbe();
      this.status(true);
    });
    // ioredis emits 'error' for every failed attempt and 'close' on a dropped connection; both mean down.
    this.client.on('error', (error: Error) => this.status(false, error.message));
    this.client.on('close', () => this.status(false, 'the connection closed'));
  }

  /**
   * Calls `listener` on every later change between up and down (a gateway re-checks what it could not check while
   * the store was down). Returns the function that stops it.
   */
  watch(listener: (status: 'up' | 'down') => void): () => void {
    this.watchers.add(listener);
    return () => void this.watchers.delete(listener);
  }

  /** True while the connection is up. */
  get available(): boolean {
    return this.up === true;
  }

  async takeToken(key: string, bucket: TokenBucket): Promise<TakeResult> {
    const [allowed, remaining, retryAfterMs] = await this.run(key, () =>
      this.client.smgBucket(key, String(bucket.capacity), String(bucket.refillPerMs), String(EPSILON), '1'),
    );
    return { allowed: allowed === 1, remaining, retryAfterMs };
  }

  async returnToken(key: string, bucket: TokenBucket): Promise<void> {
    await this.run(key, () =>
      this.client.smgBucket(key, String(bucket.capacity), String(bucket.refillPerMs), String(EPSILON), '0'),
    );
  }

  async addCounter(key: string, delta: number, ttlMs: number): Promise<number> {
    if (!Number.isFinite(delta)) throw new RangeError(`delta must be a finite number, got ${delta}`);
    if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
    // %.17g-equivalent: String() of a double round-trips exactly, and INCRBYFLOAT reads exponents ("1e-7").
    const total = await this.run(
      key,
      () => this.client.smgCounter(key, String(delta), String(Math.ceil(ttlMs))),
      undefined,
      'holds a bucket, not a counter',
    );
    return Number(total);
  }

  async get(key: string): Promise<string | undefined> {
    // A bucket read as a value is absent, as in the memory store.
    return (await this.run(key, () => this.client.get(key), null)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs !== undefined && !(ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
    await this.run(key, () =>
      ttlMs === undefined ? this.client.set(key, value) : this.client.set(key, value, 'PX', Math.ceil(ttlMs)),
    );
  }

  async delete(key: string): Promise<void> {
    await this.run(key, () => this.client.del(key));
  }

  /**
   * Sets `key` to `value` only if it still holds `expected` (undefined: only if it is absent). Atomic across
   * instances: of two writers that read the same value, exactly one succeeds. Used for the shared pins.
   */
  async compareAndSet(key: string, expected: string | undefined, value: string): Promise<boolean> {
    return (await this.run(key, () => this.client.smgCas(key, expected ?? '', value))) === 1;
  }

  /** Every field of the hash at `key` (empty when absent). */
  async hashGetAll(key: string): Promise<Record<string, string>> {
    return this.run(key, () => this.client.hgetall(key));
  }

  async hashSet(key: string, field: string, value: string): Promise<void> {
    await this.run(key, () => this.client.hset(key, field, value));
  }

  /** Sets `key` only when it is absent (`SET NX`); true when this call set it. */
  async setIfAbsent(key: string, value: string): Promise<boolean> {
    return (await this.run(key, () => this.client.set(key, value, 'NX'))) === 'OK';
  }

  /** Adds members to the set at `key`. */
  async setAdd(key: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.run(key, () => this.client.sadd(key, ...members));
  }

  async setRemove(key: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.run(key, () => this.client.srem(key, ...members));
  }

  async setMembers(key: string): Promise<string[]> {
    return this.run(key, () => this.client.smembers(key));
  }

  /** Publishes on `<keyPrefix><channel>`, so that deployments on different prefixes never hear each other. */
  async publish(channel: string, message: string): Promise<void> {
    await this.run(channel, () => this.client.publish(this.keyPrefix + channel, message));
  }

  /**
   * Calls `listener` with every message published on `<keyPrefix><channel>`, over a second connection (ioredis
   * re-subscribes it after a reconnect). Returns the function that stops it.
   */
  subscribe(channel: string, listener: (message: string) => void): () => void {
    const full = this.keyPrefix + channel;
    if (!this.subscriber) {
      // No command timeout: a SUBSCRIBE sent during a stall must wait for Redis, not time out and be forgotten.
      const sub = this.client.duplicate({ keyPrefix: '', commandTimeout: undefined });
      // Its errors are the main connection's too; the main connection reports them (status()).
      sub.on('error', () => undefined);
      sub.on('message', (ch: string, message: string) => {
        for (const l of this.channels.get(ch) ?? []) l(message);
      });
      this.subscriber = sub;
    }
    let set = this.channels.get(full);
    if (!set) {
      this.channels.set(full, (set = new Set()));
      this.subscriber.subscribe(full).catch(() => undefined);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** One PING round trip (for `doctor`): its time in milliseconds, or a StateUnavailableError naming the store. */
  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.run('PING', () => this.client.ping());
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopProbe();
    this.subscriber?.disconnect();
    this.client.removeAllListeners('close');
    this.client.removeAllListeners('error');
    this.client.on('error', () => undefined);
    // QUIT lets Redis finish what was sent; a dead connection is simply dropped.
    if (this.up) await this.client.quit().catch(() => undefined);
    this.client.disconnect();
  }

  private status(up: boolean, reason?: string): void {
    this.attempted = true;
    if (!up && reason) this.lastReason = reason;
    if (up === this.up || this.closed) return;
    this.up = up;
    this.opts.onStatus?.(up ? 'up' : 'down', up ? undefined : this.lastReason);
    for (const watcher of this.watchers) watcher(up ? 'up' : 'down');
  }

  /**
   * A command timed out on a connection that is still open: the store stalled. It is down until a PING answers in
   * time again (one probe at a time, each bounded by commandTimeout).
   */
  private stalled(reason: string): void {
    this.status(false, `${reason} (Redis stalled: no answer within ${this.opts.commandTimeoutMs ?? 500} ms)`);
    if (this.probe || this.closed) return;
    const every = this.opts.probeEveryMs ?? 250;
    // The first probe goes at once: a Redis that was only slow for one command is back after one round trip.
    const tick = (delay: number): void => {
      this.probe = setTimeout(() => {
        if (this.closed) return;
        this.client.ping().then(
          () => {
            this.probe = undefined;
            this.status(true);
          },
          () => {
            if (this.probe !== undefined) tick(every);
          },
        );
      }, delay);
      this.probe.unref();
    };
    tick(0);
  }

  private stopProbe(): void {
    if (this.probe) clearTimeout(this.probe);
    this.probe = undefined;
  }

  /**
   * Runs one command; `onWrongType` is the answer when the key holds the other kind of entry (else an error that
   * says the key `wrongType`).
   */
  private async run<T>(
    key: string,
    op: () => Promise<T>,
    onWrongType?: T,
    wrongType = 'holds a value, not a bucket',
  ): Promise<T> {
    if (this.closed) throw new GatewayError('INTERNAL', 'the state store is closed');
    if (!this.up && this.attempted) throw this.unavailable(this.lastReason);
    try {
      return await op();
    } catch (error) {
      const message = messageOf(error);
      if (message.startsWith('WRONGTYPE')) {
        if (onWrongType !== undefined) return onWrongType;
        throw new GatewayError('INTERNAL', `state key ${key} ${wrongType}`, { cause: error });
      }
      // INCRBYFLOAT on a string that is not a number: the key's content is wrong, the store is fine.
      if (message.includes('not a valid float'))
        throw new GatewayError('INTERNAL', `state key ${key} holds a value that is not a number`, { cause: error });
      if (message === TIMED_OUT && this.up) this.stalled(message);
      throw this.unavailable(message, error);
    }
  }

  private unavailable(reason: string, cause?: unknown): StateUnavailableError {
    return new StateUnavailableError(
      `the shared state store (Redis at ${this.where}) is unavailable: ${reason}`,
      cause,
    );
  }
}
