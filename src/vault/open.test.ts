import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KeyringModule } from './keychain.js';
import { openVault } from './open.js';
import { VaultError } from './types.js';

const tmpHome = () => fs.mkdtempSync(path.join(os.tmpdir(), 'smg-open-'));

/** A keyring that answers (an empty in-memory one) or one whose service is down. */
function keyring(answers: boolean): KeyringModule {
  const items = new Map<string, string>();
  const down = () => {
    if (!answers) throw new Error('zbus error: Failed to connect');
  };
  return {
    Entry: class {
      constructor(
        _s: string,
        private readonly a: string,
      ) {}
      getPassword() {
        down();
        return items.get(this.a) ?? null;
      }
      setPassword(p: string) {
        down();
        items.set(this.a, p);
      }
      deletePassword() {
        down();
        return items.delete(this.a);
      }
    },
    findCredentials() {
      down();
      return [...items].map(([account, password]) => ({ account, password }));
    },
  };
}

describe('openVault', () => {
  it.each<[string, Record<string, string>, KeyringModule | null, 'keychain' | 'file', RegExp]>([
    ['auto, with a keychain that answers', {}, keyring(true), 'keychain', /auto: the OS keychain answers/],
    ['auto, with a keychain that does not answer', {}, keyring(false), 'file', /auto: .*does not answer: zbus/],
    ['auto, without the package', { SMG_VAULT: 'auto' }, null, 'file', /not installed/],
    ['SMG_VAULT=file, even with a keychain', { SMG_VAULT: 'file' }, keyring(true), 'file', /SMG_VAULT=file/],
    ['SMG_VAULT=keychain', { SMG_VAULT: 'keychain' }, keyring(true), 'keychain', /SMG_VAULT=keychain/],
  ])('picks the backend: %s', (_what, env, kr, kind, reason) => {
    const vault = openVault({ home: tmpHome(), env, keyring: kr });
    expect(vault.kind).toBe(kind);
    expect(vault.reason).toMatch(reason);
    expect(vault.where).toMatch(kind === 'file' ? /vault\.enc$/ : /service secure-mcp-gateway/);
  });

  it('refuses SMG_VAULT=keychain when no keychain answers, and says what to do', () => {
    expect(() => openVault({ home: tmpHome(), env: { SMG_VAULT: 'keychain' }, keyring: keyring(false) })).toThrow(
      /SMG_VAULT=keychain, but .*does not answer.*set SMG_VAULT=file/,
    );
    expect(() => openVault({ home: tmpHome(), env: { SMG_VAULT: 'keychain' }, keyring: null })).toThrow(VaultError);
  });

  it('refuses an unknown SMG_VAULT', () => {
    expect(() => openVault({ home: tmpHome(), env: { SMG_VAULT: 'keyring' } })).toThrow(
      /SMG_VAULT=keyring is not one of auto, keychain, file/,
    );
  });

  it('returns one instance per home and backend, and logs the choice once at debug', () => {
    const home = tmpHome();
    const lines: object[] = [];
    const log = { debug: (obj: object) => lines.push(obj) };
    const a = openVault({ home, env: { SMG_VAULT: 'file' }, log });
    const b = openVault({ home, env: { SMG_VAULT: 'file' }, log });
    expect(b).toBe(a);
    expect(openVault({ home: tmpHome(), env: { SMG_VAULT: 'file' } })).not.toBe(a);
    expect(lines).toEqual([{ vault: 'file', where: path.join(home, 'vault.enc'), reason: 'SMG_VAULT=file' }]);
  });
});
