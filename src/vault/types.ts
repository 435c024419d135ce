/**
 * The credential vault's contract (issue 18): one place for every secret the gateway keeps (OAuth tokens and client
 * registrations, and the secrets `init` moves out of client configs). Two backends implement it: the OS keychain
 * (macOS Keychain, Windows Credential Manager, Linux Secret Service) and, where no keychain service answers, an
 * encrypted file. It is synchronous on purpose: `${keychain:NAME}` references resolve while the config loads, and
 * that is synchronous. A backend that cannot read or write throws VaultError (fail closed: a secret that cannot be
 * read is never taken as empty).
 */

/** Names: letters, digits and `_ . : / @ -`, at most 200 characters (e.g. `GITHUB_TOKEN`, `oauth:linear`). */
export const SECRET_NAME = /^[A-Za-z0-9_.:/@-]{1,200}$/;

export interface SecretStore {
  readonly kind: 'keychain' | 'file';
  /** Where the secrets are, for people: "the Secret Service (service secure-mcp-gateway)", or the file's path. */
  readonly where: string;
  /** The value, or undefined when there is no such secret. */
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** True when there was such a secret. */
  delete(name: string): boolean;
  /** Every name, sorted. */
  list(): string[];
}

export class VaultError extends Error {}
