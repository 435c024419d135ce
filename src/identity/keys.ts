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
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../errors.js';

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
}

export class KeyStore {
  readonly file: string;
  private readonly now: () => number;
  private readonly touchEveryMs: number;
  private cache: { sig: string; data: KeysFile } | undefined;
  private readonly touched = new Map<string, number>();

  constructor(opts: KeyStoreOptions) {
    this.file = opts.file;
    this.now = opts.now ?? Date.now;
    this.touchEveryMs = opts.touchEveryMs ?? 60_000;
  }

  /** Every key, newest first. */
  list(): KeyRecord[] {
    return [...this.read().keys].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The record of a key id, or undefined (an unreadable file counts as no record). */
  get(id: string): KeyRecord | undefined {
    try {
      return this.read().keys.find((k) => k.id === id);
    } catch {
      return undefined;
    }
  }

  /** Why a key id no longer authenticates anyone (gone, revoked, disabled, expired), or undefined. */
  refusal(id: string): string | undefined {
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
    const old = this.read().keys.find((k) => k.id === id);
    if (!old) throw new GatewayError('CONFIG_INVALID', `no gateway key with id ${id} in ${this.file}`);
    if (old.revokedAt) throw new GatewayError('CONFIG_INVALID', `gateway key ${id} is revoked; create a new one`);
    const lifetime = old.expiresAt !== undefined ? Date.parse(old.expiresAt) - Date.parse(old.createdAt) : undefined;
    const created = this.create({
      project: old.project,
      user: old.user,
      rotatedFrom: id,
      ...(lifetime !== undefined ? { expiresInMs: lifetime } : {}),
    });
    this.revoke(id);
    return created;
  }

  /** Checks a presented key: format, secret (constant time), then revoked, disabled, expired. */
  verify(presented: string): KeyCheck {
    const m = KEY_PATTERN.exec(presented.trim());
    if (!m) return { ok: false, reason: 'the gateway key is malformed (expected smg_<id>_<secret>)' };
    const [, id, secret] = m as unknown as [string, string, string];
    let data: KeysFile;
    try {
      data = this.read();
    } catch (error) {
      return { ok: false, reason: `gateway keys cannot be checked: ${(error as Error).message}` };
    }
    const record = data.keys.find((k) => k.id === id);
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
    try {
      this.change(id, (r) => {
        r.lastUsedAt = new Date(now).toISOString();
      });
      return true;
    } catch {
      return false;
    }
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
