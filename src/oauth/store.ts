/**
 * Where OAuth state is kept: the credential vault (src/vault: the OS keychain, or the encrypted file where none runs;
 * SMG_VAULT chooses). `openTokenStore` is the one seam the OAuth code opens it through, so that `auth`, doctor and
 * the gateway agree on one store. Failure mode: closed; a vault that cannot be opened or read throws VaultError,
 * never an empty store.
 */
import { openVault } from '../vault/open.js';
import type { SecretStore } from '../vault/types.js';

export interface OpenStoreOptions {
  home: string;
  env: NodeJS.ProcessEnv;
}

export function openTokenStore(opts: OpenStoreOptions): SecretStore {
  return openVault({ home: opts.home, env: opts.env });
}
