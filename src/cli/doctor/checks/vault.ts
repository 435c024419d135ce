/**
 * doctor: the credential vault (issue 18). Which backend this machine uses and why (SMG_VAULT, or the keychain
 * probe of `auto`), where the secrets are, that they can be read (the encrypted file is decrypted whole, and its key
 * file's mode and owner checked), and how many there are. A vault that cannot be read is ✗ with the vault's own
 * words and the fix: a damaged file, a wrong or missing SMG_VAULT_PASSPHRASE, a key file others can read, or
 * SMG_VAULT=keychain where no keychain answers. Values are never read out.
 */
import { messageOf } from '../../../errors.js';
import { plural } from '../../../util/plural.js';
import { createFileStore, vaultFiles } from '../../../vault/file.js';
import { openVault } from '../../../vault/open.js';
import type { DoctorCheck } from '../types.js';

/** The one-line fix for a vault error, from its message. */
export function vaultFix(message: string, keyFile: string): string {
  if (/has mode \d+/.test(message)) return `chmod 600 ${keyFile}`;
  if (/belongs to user/.test(message)) return `run the gateway as the owner of ${keyFile}, or chown it`;
  if (/SMG_VAULT_PASSPHRASE/.test(message))
    return 'set SMG_VAULT_PASSPHRASE to the passphrase the vault was sealed with';
  if (/SMG_VAULT=keychain/.test(message))
    return 'start the keychain service (Linux: a D-Bus session with gnome-keyring), or set SMG_VAULT=file';
  if (/is damaged|cannot decrypt/.test(message))
    return 'restore vault.enc (and vault.key) from a backup, or move vault.enc away and `secure-mcp-gateway secrets set` each secret again';
  return 'see docs/troubleshooting.md, "The credential vault"';
}

export const vaultCheck: DoctorCheck = {
  id: 'vault',
  title: 'credential vault',
  run(ctx) {
    const { keyFile } = vaultFiles(ctx.paths.home);
    const t0 = performance.now();
    try {
      const vault = openVault({ home: ctx.paths.home, env: ctx.env });
      const count =
        vault.kind === 'file'
          ? createFileStore({ home: ctx.paths.home, passphrase: ctx.env.SMG_VAULT_PASSPHRASE }).check().count
          : vault.list().length;
      return [
        {
          status: 'ok',
          subject: 'vault',
          detail: `${vault.kind}: ${vault.where} (${vault.reason}); readable, ${plural(count, 'secret')}`,
          ms: Math.round(performance.now() - t0),
        },
      ];
    } catch (error) {
      const message = messageOf(error);
      return [{ status: 'fail', subject: 'vault', detail: message, fix: vaultFix(message, keyFile) }];
    }
  },
};
