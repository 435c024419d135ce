/**
 * The OS keychain vault (issue 18): macOS Keychain, Windows Credential Manager or the Linux Secret Service, through
 * the optional native package `@napi-rs/keyring` (service `secure-mcp-gateway`, account = the secret's name). The
 * package is loaded lazily with createRequire: it is an optionalDependency that esbuild cannot bundle, and a machine
 * without it still runs (openVault then picks the encrypted file).
 *
 * Windows Credential Manager caps one credential at 2560 bytes, and an OAuth token set is often longer, so a value
 * over CHUNK characters is stored as a marker under NAME plus its pieces under `NAME#1..n` (`#` is not allowed in
 * secret names, so the pieces never collide with a name and `list` leaves them out). Failure mode: closed; an error
 * of the keychain is a VaultError naming the keychain, never "no such secret".
 */
import { createRequire } from 'node:module';
import { SECRET_NAME, VaultError, type SecretStore } from './types.js';

export const KEYCHAIN_SERVICE = 'secure-mcp-gateway';
/** Characters per stored piece: Windows stores UTF-16, so 1200 characters stay under its 2560-byte cap. */
export const CHUNK = 1200;
const MARKER = 'smg-chunked:v1:';

/** The part of `@napi-rs/keyring` the vault uses (tests pass an in-memory one). */
export interface KeyringModule {
  Entry: new (
    service: string,
    account: string,
    options?: { linux?: { store?: 'secret-service' | 'keyutils' } },
  ) => {
    getPassword(): string | null;
    setPassword(password: string): void;
    deletePassword(): boolean;
  };
  findCredentials(service: string): { account: string; password: string }[];
}

let loaded: KeyringModule | null | undefined;

/** `@napi-rs/keyring`, or null when it is not installed or has no binary for this platform. */
export function loadKeyring(): KeyringModule | null {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)('@napi-rs/keyring') as KeyringModule;
  } catch {
    loaded = null;
  }
  return loaded;
}

export function platformKeychainName(): string {
  return process.platform === 'darwin'
    ? 'the macOS Keychain'
    : process.platform === 'win32'
      ? 'the Windows Credential Manager'
      : 'the Secret Service';
}

export function createKeychainStore(keyring: KeyringModule, service = KEYCHAIN_SERVICE): SecretStore {
  const where = `${platformKeychainName()} (service ${service})`;
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof VaultError) throw error;
      throw new VaultError(`${where}: cannot ${what}: ${(error as Error).message}`);
    }
  };
  // On Linux the package's default store is the kernel keyring (keyutils), which forgets everything at logout and
  // is not what findCredentials lists: ask for the Secret Service explicitly.
  const entry = (account: string) => new keyring.Entry(service, account, { linux: { store: 'secret-service' } });
  const pieces = (stored: string): number | undefined => {
    if (!stored.startsWith(MARKER)) return undefined;
    const n = Number(stored.slice(MARKER.length));
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };
  /** Removes NAME#1.. from `from` on (pieces of an older, longer value). */
  const dropPieces = (name: string, from: number): void => {
    for (let i = from; entry(`${name}#${i}`).deletePassword(); i++);
  };

  return {
    kind: 'keychain',
    where,
    get(name) {
      return guard(`read ${name}`, () => {
        const stored = entry(name).getPassword();
        if (stored === null) return undefined;
        const n = pieces(stored);
        if (n === undefined) return stored;
        let value = '';
        for (let i = 1; i <= n; i++) {
          const part = entry(`${name}#${i}`).getPassword();
          if (part === null)
            throw new VaultError(
              `${where}: ${name} is incomplete (piece ${i} of ${n} is missing): set it again with \`secure-mcp-gateway secrets set ${name}\``,
            );
          value += part;
        }
        return value;
      });
    },
    set(name, value) {
      if (!SECRET_NAME.test(name))
        throw new VaultError(`invalid secret name ${JSON.stringify(name)}: use letters, digits and _ . : / @ -`);
      guard(`write ${name}`, () => {
        // A short value that happens to look like the marker is stored in pieces too, so it reads back as itself.
        if (value.length <= CHUNK && !value.startsWith(MARKER)) {
          entry(name).setPassword(value);
          dropPieces(name, 1);
          return;
        }
        const parts: string[] = [];
        for (let i = 0; i < value.length; i += CHUNK) parts.push(value.slice(i, i + CHUNK));
        if (parts.length === 0) parts.push('');
        // Pieces first, the marker last: a reader never sees a marker whose pieces are not written yet.
        parts.forEach((part, i) => entry(`${name}#${i + 1}`).setPassword(part));
        entry(name).setPassword(`${MARKER}${parts.length}`);
        dropPieces(name, parts.length + 1);
      });
    },
    delete(name) {
      return guard(`delete ${name}`, () => {
        const existed = entry(name).deletePassword();
        dropPieces(name, 1);
        return existed;
      });
    },
    list() {
      return guard('list the secrets', () =>
        [...new Set(keyring.findCredentials(service).map((c) => c.account))].filter((a) => !a.includes('#')).sort(),
      );
    },
  };
}
