/**
 * Gateway keys (issue 6): `smg_<id>_<secret>`, shown once at creation. keys.json (under <home>, mode 0600) keeps
 * only the id, a SHA-256 hash of the secret, the project, the user and the created / expiry / last-used / revoked
 * times. SHA-256 and not a slow hash: the secret is 256 random bits, so there is nothing to guess, and `serve`
 * checks a key on every request. Comparison is constant-time (crypto.timingSafeEqual), and an unknown id costs
 * the same compare as a known one.
 *
 * Every change is read-modify-write under an exclusive lock file (<file>.lock, O_EXCL, stale after 10 s) and lands
 * by rename of a 0600 temp file, so concurrent gateways and CLI commands never lose each other's writes (a
 * last-used stamp included). Readers re-read the file when its mtime/size/inode change, so a revocation takes
 * effect on the next request without a restart. Failure mode: an unreadable or malformed keys.json refuses every
 * key, with the reason; it never falls back to "no keys".
 *
 * Shared keys (issue 15, class 14): with the Redis state back end, instances on different hosts share their keys.
 * The records (hashes, never secrets) are also kept in the Redis hash `keys` (field: the key id), and each change
 * is published on `keys:changed`. A gateway mirrors that hash in memory (`start()`): loaded before it serves,
 * reloaded on every published change and every `refreshEveryMs` (one second) in case a message was lost, so that a
 * key created, revoked or disabled on one host is honoured by every instance on its next request after that. Where
 * keys.json and Redis both hold a key, a revocation or a disable in either one counts. Failure mode: closed. While
 * the mirror has not been refreshed for `maxStaleMs` (the store is down or stalled), every key is refused with
 * the reason, since a revocation made meanwhile could not be seen. Last-used stamps of shared keys go to the hash
 * `keys:used`, best effort.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError, messageOf } from '../errors.js';
import type { RedisStore } from '../state/redis.js';

/** The Redis hash of shared key records, the hash of their last-used stamps, and the change channel. */
export const SHARED_KEYS = 'keys';
export const SHARED_KEYS_USED = 'keys:used';
export const KEYS_CHANNEL = 'keys:changed';

export interface KeyRecord {
  id: string;
  /** "sha256:<hex>" of the secret part. */
  hash: string;
  project: string;
  user: string;
  createdAt: string;
  expiresAt?: string;
  lastUsedAt?: string;
  revokedAt?: string;
  disabled?: boolean;
  /** The key this one replaced (`keys rotate`). */
  rotatedFrom?: string;
}

interface KeysFile {
  version: 1;
  keys: KeyRecord[];
}

export type KeyCheck = { ok: true; record: KeyRecord } | { ok: false; keyId?: string; reason: string };

export const KEY_PATTERN = /^smg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function keysFile(home: string): string {
  return path.join(home, 'keys.json');
}

/** "90d", "12h", "30m", "2w", "45s" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new GatewayError('CONFIG_INVALID', `"${text}" is not a duration (expected e.g. 90d, 12h, 30m, 2w)`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
    m[2] as 's' | 'm' | 'h' | 'd' | 'w'
  ];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new GatewayError('CONFIG_INVALID', `"${text}" is not a positive duration`);
  return ms;
}

function hashSecret(secret: string): string {
  return `sha256:${crypto.createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

const DUMMY_HASH = hashSecret('not a key');

export interface KeyStoreOptions {
  file: string;
  now?: () => number;
  /** A last-used stamp is written at most this often per key (default one minute). */
  touchEveryMs?: number;
  /** The shared state store, when there is one: keys are kept in it too (see the header). */
  shared?: RedisStore;
  /** How often the mirror of the shared keys is reloaded even without a published change. Default 1000 ms. */
  refreshEveryMs?: number;
  /** A mirror older than this refuses every key (fail closed). Default 10 000 ms. */
  maxStaleMs?: number;
}

/** A record read from the shared store, or undefined when it is not one (it then authenticates nobody). */
function parseShared(text: string): KeyRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<KeyRecord> | null;
    if (
      r &&
      typeof r.id === 'string' &&
      typeof r.hash === 'string' &&
      typeof r.project === 'string' &&
      typeof r.user === 'string' &&
      typeof r.createdAt === 'string'
    )
      return r as KeyRecord;
  } catch {
    // not JSON: skipped below
  }
  return undefined;
}

/** One key known to both keys.json and the shared store: either's revocation or disable counts. */
function mergeRecords(shared: KeyRecord, local: KeyRecord): KeyRecord {
  const merged: KeyRecord = { ...shared };
  // Two different secrets under one id: neither is trusted (DUMMY-like hash that no secret matches).
  if (shared.hash !== local.hash) merged.hash = 'conflict';
  const revokedAt = shared.revokedAt ?? local.revokedAt;
  if (revokedAt !== undefined) merged.revokedAt = revokedAt;
  if (shared.disabled || local.disabled) merged.disabled = true;
  const expiry = [shared.expiresAt, local.expiresAt].filter((e): e is string => e !== undefined).sort()[0];
  if (expiry !== undefined) merged.expiresAt = expiry;
  const used = [shared.lastUsedAt, local.lastUsedAt]
    .filter((e): e is string => e !== undefined)
    .sort()
    .at(-1);
  if (used !== undefined) merged.lastUsedAt = used;
  return merged;
}

export class KeyStore {
  readonly file: string;
  private readonly now: () => number;
  private readonly touchEveryMs: number;
  private cache: { sig: string; data: KeysFile } | undefined;
  private readonly touched = new Map<string, number>();
  private readonly shared: RedisStore | undefined;
  private readonly refreshEveryMs: number;
  private readonly maxStaleMs: number;
  /** The shared records as last loaded, and when (this.now()); undefined until the first load. */
  private mirror: { records: Map<string, KeyRecord>; at: number } | undefined;
  private mirrorError = 'not loaded yet';
  private refreshing: Promise<void> | undefined;
  private stops: (() => void)[] = [];

  constructor(opts: KeyStoreOptions) {
    this.file = opts.file;
    this.now = opts.now ?? Date.now;
    this.touchEveryMs = opts.touchEveryMs ?? 60_000;
    this.shared = opts.shared;
    this.refreshEveryMs = opts.refreshEveryMs ?? 1_000;
    this.maxStaleMs = opts.maxStaleMs ?? 10_000;
  }

  /**
   * With a shared store: loads the mirror (the caller waits for it before serving), then keeps it current on
   * every published change and every `refreshEveryMs`. Without one, nothing to do.
   */
  async start(): Promise<void> {
    const shared = this.shared;
    if (!shared || this.stops.length > 0) return;
    this.stops.push(shared.subscribe(KEYS_CHANNEL, () => void this.refresh()));
    const timer = setInterval(() => void this.refresh(), this.refreshEveryMs);
    timer.unref();
    this.stops.push(() => clearInterval(timer));
    await this.refresh();
  }

  /** Stops following the shared store (the store itself belongs to the caller). */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Reloads the mirror of the shared keys now (one at a time); a failure keeps the old one, which then ages. */
  refresh(): Promise<void> {
    const shared = this.shared;
    if (!shared) return Promise.resolve();
    this.refreshing ??= (async () => {
      try {
        const [records, used] = await Promise.all([
          shared.hashGetAll(SHARED_KEYS),
          shared.hashGetAll(SHARED_KEYS_USED),
        ]);
        const map = new Map<string, KeyRecord>();
        for (const [id, text] of Object.entries(records)) {
          const r = parseShared(text);
          if (r === undefined || r.id !== id) continue;
          const stamp = used[id];
          if (stamp !== undefined && (r.lastUsedAt === undefined || stamp > r.lastUsedAt)) r.lastUsedAt = stamp;
          map.set(id, r);
        }
        this.mirror = { records: map, at: this.now() };
      } catch (error) {
        this.mirrorError = messageOf(error);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /**
   * Reloads the shared keys, and throws (naming the store) when they cannot be read: an admin change must reach
   * every copy of a key or none, never keys.json alone while Redis is away.
   */
  async ready(): Promise<void> {
    await this.refresh();
    this.records();
  }

  /** Every key, newest first. */
  list(): KeyRecord[] {
    return [...this.records()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The record of a key id, or undefined (an unreadable file counts as no record). */
  get(id: string): KeyRecord | undefined {
    try {
      return this.records().find((k) => k.id === id);
    } catch {
      return undefined;
    }
  }

  /** Why a key id no longer authenticates anyone (gone, revoked, disabled, expired), or undefined. */
  refusal(id: string): string | undefined {
    try {
      this.records();
    } catch (error) {
      return (error as Error).message;
    }
    const r = this.get(id);
    if (!r) return `gateway key ${id} no longer exists`;
    if (r.revokedAt) return `gateway key ${id} was revoked at ${r.revokedAt}`;
    if (r.disabled) return `gateway key ${id} is disabled`;
    if (r.expiresAt !== undefined && Date.parse(r.expiresAt) <= this.now())
      return `gateway key ${id} expired at ${r.expiresAt}`;
    return undefined;
  }

  create(opts: { project: string; user: string; expiresInMs?: number; rotatedFrom?: string }): {
    key: string;
    record: KeyRecord;
  } {
    const id = crypto.randomBytes(8).toString('hex');
    const secret = crypto.randomBytes(32).toString('base64url');
    const now = this.now();
    const record: KeyRecord = {
      id,
      hash: hashSecret(secret),
      project: opts.project,
      user: opts.user.toLowerCase(),
      createdAt: new Date(now).toISOString(),
      ...(opts.expiresInMs !== undefined ? { expiresAt: new Date(now + opts.expiresInMs).toISOString() } : {}),
      ...(opts.rotatedFrom !== undefined ? { rotatedFrom: opts.rotatedFrom } : {}),
    };
    this.update((data) => {
      data.keys.push(record);
    });
    return { key: `smg_${id}_${secret}`, record };
  }

  revoke(id: string): KeyRecord {
    return this.change(id, (r) => {
      r.revokedAt ??= new Date(this.now()).toISOString();
    });
  }

  setDisabled(id: string, disabled: boolean): KeyRecord {
    return this.change(id, (r) => {
      if (disabled) r.disabled = true;
      else delete r.disabled;
    });
  }

  /** A new key for the same project and user (and the same lifetime), and the old one revoked, in one write. */
  rotate(id: string): { key: string; record: KeyRecord } {
    const old = this.records().find((k) => k.id === id);
    if (!old) throw new GatewayError('CONFIG_INVALID', `no gateway key with id ${id} in ${this.file}${this.where()}`);
    if (old.revokedAt) throw new GatewayError('CONFIG_INVALID', `gateway key ${id} is revoked; create a new one`);
    const lifetime = old.expiresAt !== undefined ? Date.parse(old.expiresAt) - Date.parse(old.createdAt) : undefined;
    const created = this.create({
      project: old.project,
      user: old.user,
      rotatedFrom: id,
      ...(lifetime !== undefined ? { expiresInMs: lifetime } : {}),
    });
    // A key that only the shared store holds is revoked there by the caller (changeEverywhere).
    if (this.read().keys.some((k) => k.id === id)) this.revoke(id);
    return created;
  }

  /** Checks a presented key: format, secret (constant time), then revoked, disabled, expired. */
  verify(presented: string): KeyCheck {
    const m = KEY_PATTERN.exec(presented.trim());
    if (!m) return { ok: false, reason: 'the gateway key is malformed (expected smg_<id>_<secret>)' };
    const [, id, secret] = m as unknown as [string, string, string];
    let records: KeyRecord[];
    try {
      records = this.records();
    } catch (error) {
      return { ok: false, reason: `gateway keys cannot be checked: ${(error as Error).message}` };
    }
    const record = records.find((k) => k.id === id);
    const expected = Buffer.from(record?.hash ?? DUMMY_HASH);
    const actual = Buffer.from(hashSecret(secret));
    const same = expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
    if (!record || !same) return { ok: false, reason: 'unknown or wrong gateway key' };
    if (record.revokedAt)
      return { ok: false, keyId: id, reason: `gateway key ${id} was revoked at ${record.revokedAt}` };
    if (record.disabled) return { ok: false, keyId: id, reason: `gateway key ${id} is disabled` };
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= this.now())
      return { ok: false, keyId: id, reason: `gateway key ${id} expired at ${record.expiresAt}` };
    return { ok: true, record };
  }

  /**
   * Records that a key was used, at most once per `touchEveryMs` per key and process. Never throws: a stamp that
   * cannot be written is not a reason to refuse a valid key.
   */
  touch(id: string): boolean {
    const now = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && now - last < this.touchEveryMs) return false;
    this.touched.set(id, now);
    const at = new Date(now).toISOString();
    let local: boolean;
    try {
      local = this.read().keys.some((k) => k.id === id);
    } catch {
      return false;
    }
    if (this.shared && this.mirror?.records.has(id))
      void this.shared.hashSet(SHARED_KEYS_USED, id, at).catch(() => undefined);
    if (!local) return this.shared !== undefined && this.mirror?.records.has(id) === true;
    try {
      this.change(id, (r) => {
        r.lastUsedAt = at;
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The admin side of the shared keys (`keys create|revoke|disable|enable|rotate` with the Redis back end):
   * writes a record to the shared store and tells every instance. Without a shared store, nothing to do.
   */
  async share(record: KeyRecord): Promise<void> {
    if (!this.shared) return;
    await this.shared.hashSet(SHARED_KEYS, record.id, JSON.stringify(record));
    await this.shared.publish(KEYS_CHANNEL, record.id).catch(() => undefined);
    await this.refresh();
  }

  /**
   * A revoke, disable or enable on every copy of a key: keys.json when it has the key, and the shared store when
   * it has it. Throws when neither has it.
   */
  async changeEverywhere(id: string, verb: 'revoke' | 'disable' | 'enable'): Promise<KeyRecord> {
    const apply = (r: KeyRecord): void => {
      if (verb === 'revoke') r.revokedAt ??= new Date(this.now()).toISOString();
      else if (verb === 'disable') r.disabled = true;
      else delete r.disabled;
    };
    await this.ready();
    const inFile = this.read().keys.some((k) => k.id === id);
    let out = inFile ? this.change(id, apply) : undefined;
    const remote = this.mirror?.records.get(id);
    if (remote) {
      const next = { ...remote };
      apply(next);
      await this.share(next);
      out = next;
    }
    if (!out) throw new GatewayError('CONFIG_INVALID', `no gateway key with id ${id} in ${this.file}${this.where()}`);
    return out;
  }

  /** ` or the shared store (Redis at …)`, for messages. */
  private where(): string {
    return this.shared ? ` or the shared state store (Redis at ${this.shared.where})` : '';
  }

  /**
   * keys.json's records, and with a shared store the mirror's, merged by id. Throws (every key refused) when the
   * file cannot be read, or the mirror is missing or older than `maxStaleMs`.
   */
  private records(): KeyRecord[] {
    const local = this.read().keys;
    if (!this.shared) return local;
    const mirror = this.mirror;
    if (mirror === undefined || this.now() - mirror.at > this.maxStaleMs)
      throw new GatewayError(
        'INTERNAL',
        `the gateway keys in the shared state store (Redis at ${this.shared.where}) cannot be checked${mirror ? ` (last read ${Math.round((this.now() - mirror.at) / 1000)} s ago)` : ''}: ${this.mirrorError}`,
      );
    const merged = new Map(mirror.records);
    for (const r of local) {
      const s = merged.get(r.id);
      merged.set(r.id, s ? mergeRecords(s, r) : r);
    }
    return [...merged.values()];
  }

  private change(id: string, fn: (r: KeyRecord) => void): KeyRecord {
    let out: KeyRecord | undefined;
    this.update((data) => {
      const r = data.keys.find((k) => k.id === id);
      if (!r) throw new GatewayError('CONFIG_INVALID', `no gateway key with id ${id} in ${this.file}`);
      fn(r);
      out = { ...r };
    });
    return out!;
  }

  /** The file as it is now; re-parsed only when it changed on disk. A missing file is no keys. */
  private read(): KeysFile {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
      throw error;
    }
    const sig = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (this.cache?.sig === sig) return this.cache.data;
    const data = parseKeysFile(fs.readFileSync(this.file, 'utf8'), this.file);
    this.cache = { sig, data };
    return data;
  }

  /** Read-modify-write under the lock; the new file replaces the old by rename, mode 0600. */
  private update(fn: (data: KeysFile) => void): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    withLock(`${this.file}.lock`, () => {
      this.cache = undefined;
      const data = structuredClone(this.read());
      fn(data);
      const tmp = `${this.file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
      fs.chmodSync(tmp, 0o600);
      fs.renameSync(tmp, this.file);
      this.cache = undefined;
    });
  }
}

function parseKeysFile(text: string, file: string): KeysFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new GatewayError('CONFIG_INVALID', `${file}: not valid JSON`);
  }
  const data = raw as Partial<KeysFile>;
  if (data === null || typeof data !== 'object' || data.version !== 1 || !Array.isArray(data.keys))
    throw new GatewayError('CONFIG_INVALID', `${file}: expected {"version": 1, "keys": [...]}`);
  data.keys.forEach((k, i) => {
    const r = k as Partial<KeyRecord> | null;
    if (
      !r ||
      typeof r.id !== 'string' ||
      typeof r.hash !== 'string' ||
      typeof r.project !== 'string' ||
      typeof r.user !== 'string' ||
      typeof r.createdAt !== 'string'
    )
      throw new GatewayError('CONFIG_INVALID', `${file}: keys[${i}] needs id, hash, project, user and createdAt`);
  });
  return data as KeysFile;
}

const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` while holding an O_EXCL lock file; a lock older than 10 s is left over from a crash and taken. */
function withLock<T>(lock: string, fn: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS) fs.rmSync(lock, { force: true });
      } catch {
        // gone between the two calls: try again
      }
      if (Date.now() > deadline) throw new GatewayError('INTERNAL', `${lock} is held by another process`);
      sleepSync(5 + Math.random() * 20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
