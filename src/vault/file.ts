/**
 * The encrypted-file vault (issue 18): `<home>/vault.enc`, for machines where no OS keychain answers (a server, a
 * container, CI). The secrets are one JSON object sealed with AES-256-GCM; the file's header (format, how the key is
 * made, the scrypt salt) is the GCM additional data, so a header that was changed does not decrypt either.
 *
 * The key is scrypt(SMG_VAULT_PASSPHRASE, salt) when the passphrase is set, else a machine key file
 * `<home>/vault.key` (32 random bytes, 0600, created on the first write and refused when its mode is wider than 0600
 * or another user owns it: such a key protects nothing). A file is read with the key kind its header names, and every
 * write seals with the passphrase when there is one, so setting a passphrase moves the file to it at the next write.
 *
 * Writes are atomic (a temporary file renamed over the old one) and serialised by `<home>/vault.lock`: a writer
 * re-reads the file under the lock before it changes one name, so two gateway processes refreshing two tokens at
 * once both keep theirs. Failure mode: closed. A wrong passphrase, a damaged file or an unusable key throws
 * VaultError naming the file and what to do; it never reads as an empty vault (which would lose every secret at
 * the next write).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SECRET_NAME, VaultError, type SecretStore } from './types.js';

export interface FileStoreOptions {
  /** The gateway's home folder: vault.enc, vault.key and vault.lock live there. */
  home: string;
  /** SMG_VAULT_PASSPHRASE, when set (an empty string counts as unset). */
  passphrase?: string | undefined;
  /** How long a writer waits for the lock before it gives up (ms). */
  lockTimeoutMs?: number;
}

interface Envelope {
  format: 'smg-vault';
  version: 1;
  key: 'passphrase' | 'keyfile';
  /** base64 scrypt salt, for key 'passphrase'. */
  salt?: string;
  iv: string;
  tag: string;
  data: string;
}

// scrypt cost: N=2^15, r=8 is the OWASP minimum for interactive use (~32 MiB, ~100 ms); derived once per process.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
/** A lock older than this was left by a process that died while it held it (a write takes milliseconds). */
const STALE_LOCK_MS = 30_000;

export function vaultFiles(home: string): { file: string; keyFile: string; lockFile: string } {
  return {
    file: path.join(home, 'vault.enc'),
    keyFile: path.join(home, 'vault.key'),
    lockFile: path.join(home, 'vault.lock'),
  };
}

export function createFileStore(opts: FileStoreOptions): SecretStore & { check(): { count: number } } {
  const { file, keyFile, lockFile } = vaultFiles(opts.home);
  const passphrase = opts.passphrase === '' ? undefined : opts.passphrase;
  const derived = new Map<string, Buffer>();
  /** The salt of the passphrase-sealed file last read: a write keeps it (with a fresh IV), so scrypt runs once. */
  let lastSalt: Buffer | undefined;

  const passphraseKey = (salt: Buffer): Buffer => {
    if (passphrase === undefined)
      throw new VaultError(
        `${file} is sealed with a passphrase: set SMG_VAULT_PASSPHRASE to the passphrase it was written with`,
      );
    const id = salt.toString('base64');
    let key = derived.get(id);
    if (!key) {
      key = crypto.scryptSync(passphrase, salt, 32, SCRYPT);
      derived.set(id, key);
    }
    return key;
  };

  const readKeyFile = (create: boolean): Buffer => {
    let fd: number;
    try {
      fd = fs.openSync(keyFile, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create)
        throw new VaultError(
          `cannot read the vault key ${keyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}): ` +
            (fs.existsSync(file)
              ? `${file} cannot be decrypted without it; restore the key file, or set SMG_VAULT_PASSPHRASE if the vault was sealed with one`
              : 'check its owner and mode (0600)'),
        );
      return createKeyFile();
    }
    try {
      const st = fs.fstatSync(fd);
      if (process.platform !== 'win32') {
        if ((st.mode & 0o077) !== 0)
          throw new VaultError(
            `the vault key ${keyFile} has mode ${(st.mode & 0o777).toString(8)}, which lets other users read it: ` +
              `run \`chmod 600 ${keyFile}\` (and consider the secrets in the vault exposed)`,
          );
        if (typeof process.getuid === 'function' && st.uid !== process.getuid())
          throw new VaultError(
            `the vault key ${keyFile} belongs to user ${st.uid}, not to this user (${process.getuid()}): ` +
              `refused; run the gateway as the key's owner, or \`chown\` the file`,
          );
      }
      const key = fs.readFileSync(fd);
      if (key.length !== 32)
        throw new VaultError(`the vault key ${keyFile} is damaged (${key.length} bytes, expected 32): restore it`);
      return key;
    } finally {
      fs.closeSync(fd);
    }
  };

  const createKeyFile = (): Buffer => {
    fs.mkdirSync(opts.home, { recursive: true, mode: 0o700 });
    const key = crypto.randomBytes(32);
    try {
      // 'wx': never overwrite a key another process created a moment ago (it may already seal a vault).
      fs.writeFileSync(keyFile, key, { mode: 0o600, flag: 'wx' });
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(false);
      throw new VaultError(`cannot create the vault key ${keyFile}: ${(error as Error).message}`);
    }
  };

  const aad = (env: Pick<Envelope, 'format' | 'version' | 'key' | 'salt'>): Buffer =>
    Buffer.from(JSON.stringify([env.format, env.version, env.key, env.salt ?? '']));

  const damaged = (why: string): VaultError =>
    new VaultError(
      `${file} is damaged (${why}): restore it from a backup, or move it away and set the secrets again ` +
        '(`secure-mcp-gateway secrets set NAME`)',
    );

  /** The secrets in the file, or an empty map when there is no file yet. */
  const load = (): Map<string, string> => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new VaultError(`cannot read ${file}: ${(error as Error).message}`);
    }
    let env: Envelope;
    try {
      env = JSON.parse(text) as Envelope;
    } catch {
      throw damaged('not JSON');
    }
    if (
      env === null ||
      typeof env !== 'object' ||
      env.format !== 'smg-vault' ||
      env.version !== 1 ||
      (env.key !== 'passphrase' && env.key !== 'keyfile') ||
      typeof env.iv !== 'string' ||
      typeof env.tag !== 'string' ||
      typeof env.data !== 'string'
    )
      throw damaged('not a vault file of a known format');
    const salt = env.key === 'passphrase' ? Buffer.from(env.salt ?? '', 'base64') : undefined;
    const key = salt ? passphraseKey(salt) : readKeyFile(false);
    let plain: string;
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(env.iv, 'base64'));
      decipher.setAAD(aad(env));
      decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError(
        env.key === 'passphrase'
          ? `cannot decrypt ${file}: SMG_VAULT_PASSPHRASE is not the passphrase it was sealed with, or the file is damaged`
          : `cannot decrypt ${file} with the key ${keyFile}: the key is not the one it was sealed with, or the file is damaged; restore both from a backup`,
      );
    }
    lastSalt = salt;
    try {
      const secrets = (JSON.parse(plain) as { secrets: Record<string, string> }).secrets;
      return new Map(Object.entries(secrets));
    } catch {
      throw damaged('its content is not the expected JSON');
    }
  };

  const save = (secrets: Map<string, string>): void => {
    const salt = passphrase !== undefined ? (lastSalt ?? crypto.randomBytes(16)) : undefined;
    const header: Pick<Envelope, 'format' | 'version' | 'key' | 'salt'> = {
      format: 'smg-vault',
      version: 1,
      key: salt ? 'passphrase' : 'keyfile',
      ...(salt ? { salt: salt.toString('base64') } : {}),
    };
    const key = salt ? passphraseKey(salt) : readKeyFile(true);
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(header));
    const sorted = Object.fromEntries([...secrets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const data = Buffer.concat([cipher.update(JSON.stringify({ secrets: sorted }), 'utf8'), cipher.final()]);
    const env: Envelope = {
      ...header,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(env) + '\n', { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, file);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw new VaultError(`cannot write ${file}: ${(error as Error).message}`);
    }
  };

  /** Runs `fn` holding vault.lock (created exclusively; one left by a dead process is taken over). */
  const locked = <T>(fn: () => T): T => {
    fs.mkdirSync(opts.home, { recursive: true, mode: 0o700 });
    const deadline = Date.now() + (opts.lockTimeoutMs ?? 10_000);
    let fd: number | undefined;
    while (fd === undefined) {
      try {
        fd = fs.openSync(lockFile, 'wx', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new VaultError(`cannot create the vault lock ${lockFile}: ${(error as Error).message}`);
        try {
          if (Date.now() - fs.statSync(lockFile).mtimeMs > STALE_LOCK_MS) {
            fs.rmSync(lockFile, { force: true });
            continue;
          }
        } catch {
          continue; // the holder removed it between our open and our stat
        }
        if (Date.now() > deadline)
          throw new VaultError(
            `${lockFile} is held by another process; if no gateway is writing the vault, remove the file`,
          );
        sleep(5 + Math.random() * 10);
      }
    }
    try {
      fs.writeSync(fd, String(process.pid));
      return fn();
    } finally {
      fs.closeSync(fd);
      fs.rmSync(lockFile, { force: true });
    }
  };

  const checkName = (name: string): void => {
    if (!SECRET_NAME.test(name))
      throw new VaultError(`invalid secret name ${JSON.stringify(name)}: use letters, digits and _ . : / @ -`);
  };

  return {
    kind: 'file',
    where: file,
    get(name) {
      return load().get(name);
    },
    set(name, value) {
      checkName(name);
      locked(() => {
        const secrets = load();
        secrets.set(name, value);
        save(secrets);
      });
    },
    delete(name) {
      if (!fs.existsSync(file)) return false;
      return locked(() => {
        const secrets = load();
        if (!secrets.delete(name)) return false;
        save(secrets);
        return true;
      });
    },
    list() {
      return [...load().keys()].sort();
    },
    /** For doctor: reads and decrypts the whole file (and checks the key file's mode when there is one). */
    check() {
      const count = load().size;
      if (fs.existsSync(keyFile)) readKeyFile(false);
      return { count };
    },
  };
}

/** A synchronous pause: the vault API is synchronous (references resolve while the config loads). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
