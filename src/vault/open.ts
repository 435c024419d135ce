/**
 * Which vault this process uses (issue 18). SMG_VAULT picks it: `keychain` (the OS keychain, or a VaultError when
 * none answers: the user asked for it, so falling back silently would put secrets somewhere they did not choose),
 * `file` (the encrypted file `<home>/vault.enc`), or `auto`, the default: the keychain when it answers a probe, else
 * the file. One instance per (home, backend) per process, so the probe and the scrypt key derivation run once.
 * Failure mode: closed (an unknown SMG_VAULT value is a VaultError).
 */
import { createFileStore } from './file.js';
import {
  createKeychainStore,
  KEYCHAIN_SERVICE,
  loadKeyring,
  platformKeychainName,
  type KeyringModule,
} from './keychain.js';
import { VaultError, type SecretStore } from './types.js';

export interface OpenVaultOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Where the choice of backend is logged (debug), the first time this process opens it. */
  log?: { debug(obj: object, msg: string): void } | undefined;
  /** For tests: the keyring module to use instead of `@napi-rs/keyring` (null: none installed). Not cached. */
  keyring?: KeyringModule | null;
}

export interface OpenedVault extends SecretStore {
  /** Why this backend: for doctor and the debug log. */
  readonly reason: string;
}

const cache = new Map<string, OpenedVault>();
/** The keychain probe's answer, once per process: a message when it does not answer, '' when it does. */
let probeResult: string | undefined;

export const VAULT_MODES = ['auto', 'keychain', 'file'] as const;

/** '' when the OS keychain answers, else why not. */
export function probeKeychain(keyring: KeyringModule | null = loadKeyring()): string {
  if (!keyring) return 'the optional package @napi-rs/keyring is not installed for this platform';
  try {
    keyring.findCredentials(KEYCHAIN_SERVICE);
    return '';
  } catch (error) {
    return `${platformKeychainName()} does not answer: ${(error as Error).message}`;
  }
}

export function openVault(opts: OpenVaultOptions): OpenedVault {
  const mode = (opts.env.SMG_VAULT ?? 'auto').trim() || 'auto';
  if (!(VAULT_MODES as readonly string[]).includes(mode))
    throw new VaultError(`SMG_VAULT=${mode} is not one of ${VAULT_MODES.join(', ')}`);
  let backend: 'keychain' | 'file';
  let reason: string;
  if (mode === 'file') {
    backend = 'file';
    reason = 'SMG_VAULT=file';
  } else {
    const injected = opts.keyring !== undefined;
    const why = injected ? probeKeychain(opts.keyring) : (probeResult ??= probeKeychain());
    if (why === '') {
      backend = 'keychain';
      reason = mode === 'keychain' ? 'SMG_VAULT=keychain' : 'auto: the OS keychain answers';
    } else if (mode === 'keychain') {
      throw new VaultError(
        `SMG_VAULT=keychain, but ${why}. Start the keychain service (on Linux: a D-Bus session with ` +
          'gnome-keyring or KeePassXC, DBUS_SESSION_BUS_ADDRESS set), or set SMG_VAULT=file to use the encrypted file',
      );
    } else {
      backend = 'file';
      reason = `auto: ${why}`;
    }
  }
  const id = `${opts.home}\0${backend}`;
  let store = opts.keyring !== undefined ? undefined : cache.get(id);
  if (!store) {
    const inner =
      backend === 'keychain'
        ? createKeychainStore((opts.keyring ?? loadKeyring())!)
        : createFileStore({ home: opts.home, passphrase: opts.env.SMG_VAULT_PASSPHRASE });
    store = Object.assign(inner, { reason });
    if (opts.keyring === undefined) cache.set(id, store);
    opts.log?.debug({ vault: backend, where: store.where, reason }, 'credential vault opened');
  }
  return store;
}

/** For tests: forget the cached instances and the probe. */
export function resetVaultCache(): void {
  cache.clear();
  probeResult = undefined;
}
