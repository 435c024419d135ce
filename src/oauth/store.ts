/**
 * Where OAuth state is kept: the credential vault (src/vault, issue 18 item 2). `openTokenStore` is the one seam the
 * OAuth code opens it through, so that the CLI, doctor and the gateway agree on one store.
 *
 * INTERIM, until the vault's `openVault` lands on main: an encrypted file `<home>/oauth.vault` (AES-256-GCM, the key
 * derived with scrypt from SMG_VAULT_PASSPHRASE). Without a passphrase it refuses (VaultError): never plaintext.
 * Failure mode: closed; a file that does not decrypt is a VaultError, never an empty store.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SECRET_NAME, VaultError, type SecretStore } from '../vault/types.js';

export interface OpenStoreOptions {
  home: string;
  env: NodeJS.ProcessEnv;
}

export function openTokenStore(opts: OpenStoreOptions): SecretStore {
  const passphrase = opts.env.SMG_VAULT_PASSPHRASE;
  if (!passphrase)
    throw new VaultError(
      'no credential vault: set SMG_VAULT=file and SMG_VAULT_PASSPHRASE (the OS keychain comes with the vault work)',
    );
  return new EncryptedFileStore(path.join(opts.home, 'oauth.vault'), passphrase);
}

interface Sealed {
  v: 1;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

class EncryptedFileStore implements SecretStore {
  readonly kind = 'file' as const;

  constructor(
    readonly where: string,
    private readonly passphrase: string,
  ) {}

  private read(): Record<string, string> {
    let text: string;
    try {
      text = fs.readFileSync(this.where, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new VaultError(`cannot read ${this.where}: ${(error as Error).message}`);
    }
    try {
      const s = JSON.parse(text) as Sealed;
      const key = crypto.scryptSync(this.passphrase, Buffer.from(s.salt, 'base64'), 32);
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(s.data, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as Record<string, string>;
    } catch {
      throw new VaultError(`${this.where} does not decrypt: a wrong SMG_VAULT_PASSPHRASE, or the file is damaged`);
    }
  }

  private write(all: Record<string, string>): void {
    const salt = crypto.randomBytes(16);
    const iv = crypto.randomBytes(12);
    const key = crypto.scryptSync(this.passphrase, salt, 32);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(all), 'utf8'), cipher.final()]);
    const sealed: Sealed = {
      v: 1,
      salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    fs.mkdirSync(path.dirname(this.where), { recursive: true, mode: 0o700 });
    const tmp = `${this.where}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(sealed), { mode: 0o600 });
    fs.renameSync(tmp, this.where);
  }

  get(name: string): string | undefined {
    return this.read()[name];
  }

  set(name: string, value: string): void {
    if (!SECRET_NAME.test(name)) throw new VaultError(`not a secret name: ${JSON.stringify(name)}`);
    this.write({ ...this.read(), [name]: value });
  }

  delete(name: string): boolean {
    const all = this.read();
    if (!(name in all)) return false;
    delete all[name];
    this.write(all);
    return true;
  }

  list(): string[] {
    return Object.keys(this.read()).sort();
  }
}
