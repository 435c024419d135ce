import { describe, expect, it } from 'vitest';
import { CHUNK, createKeychainStore, type KeyringModule } from './keychain.js';
import { VaultError } from './types.js';

/** An in-memory keyring with Windows Credential Manager's 2560-byte cap per credential (UTF-16). */
function fakeKeyring(opts: { failWith?: string } = {}) {
  const items = new Map<string, string>();
  const key = (s: string, a: string) => `${s}\0${a}`;
  const check = () => {
    if (opts.failWith) throw new Error(opts.failWith);
  };
  const mod: KeyringModule = {
    Entry: class {
      constructor(
        private readonly service: string,
        private readonly account: string,
      ) {}
      getPassword() {
        check();
        return items.get(key(this.service, this.account)) ?? null;
      }
      setPassword(password: string) {
        check();
        if (Buffer.byteLength(password, 'utf16le') > 2560) throw new Error('Attribute too long (2560 bytes)');
        items.set(key(this.service, this.account), password);
      }
      deletePassword() {
        check();
        return items.delete(key(this.service, this.account));
      }
    },
    findCredentials(service) {
      check();
      return [...items]
        .filter(([k]) => k.startsWith(`${service}\0`))
        .map(([k, password]) => ({ account: k.slice(service.length + 1), password }));
    },
  };
  return { mod, items };
}

describe('the keychain vault', () => {
  it.each([
    ['empty', ''],
    ['short', 'ghp_abc'],
    ['exactly one piece', 'x'.repeat(CHUNK)],
    ['one more than a piece', 'y'.repeat(CHUNK + 1)],
    ['an OAuth token set of 9 kB', JSON.stringify({ access_token: 'a'.repeat(6000), refresh_token: 'r'.repeat(3000) })],
    ['non-ASCII', 'é€😀'.repeat(900)],
    ['a value that looks like the chunk marker', 'smg-chunked:v1:3'],
  ])('keeps a %s value under the 2560-byte cap and lists only its name', (_what, value) => {
    const { mod, items } = fakeKeyring();
    const store = createKeychainStore(mod);
    store.set('oauth:linear', value);
    store.set('oauth:linear', value);
    expect(store.get('oauth:linear')).toBe(value);
    expect(store.list()).toEqual(['oauth:linear']);
    for (const v of items.values()) expect(Buffer.byteLength(v, 'utf16le')).toBeLessThanOrEqual(2560);
    expect(store.delete('oauth:linear')).toBe(true);
    expect(items.size).toBe(0);
    expect(store.get('oauth:linear')).toBeUndefined();
  });

  it('drops the pieces of a longer value when a shorter one replaces it', () => {
    const { mod, items } = fakeKeyring();
    const store = createKeychainStore(mod);
    store.set('T', 'z'.repeat(CHUNK * 3));
    expect(items.size).toBe(4);
    store.set('T', 'z'.repeat(CHUNK + 5));
    expect(items.size).toBe(3);
    store.set('T', 'short');
    expect(items.size).toBe(1);
    expect(store.get('T')).toBe('short');
  });

  it('lists names sorted, without pieces, and only of its own service', () => {
    const { mod } = fakeKeyring();
    createKeychainStore(mod, 'other').set('X', 'x');
    const store = createKeychainStore(mod);
    store.set('b', 'long'.repeat(CHUNK));
    store.set('a', '1');
    expect(store.list()).toEqual(['a', 'b']);
  });

  it('says a value is incomplete instead of returning part of it', () => {
    const { mod, items } = fakeKeyring();
    const store = createKeychainStore(mod);
    store.set('T', 'q'.repeat(CHUNK * 2));
    items.delete('secure-mcp-gateway\0T#2');
    expect(() => store.get('T')).toThrow(/T is incomplete \(piece 2 of 2 is missing\).*secrets set T/);
  });

  it.each<[string, (s: ReturnType<typeof createKeychainStore>) => unknown]>([
    ['get', (s) => s.get('A')],
    ['set', (s) => s.set('A', 'a')],
    ['delete', (s) => s.delete('A')],
    ['list', (s) => s.list()],
  ])('turns a keychain failure in %s into a VaultError naming the keychain', (_op, op) => {
    const store = createKeychainStore(fakeKeyring({ failWith: 'DBus error: locked' }).mod);
    expect(() => op(store)).toThrow(VaultError);
    expect(() => op(store)).toThrow(/\(service secure-mcp-gateway\): cannot .*DBus error: locked/);
  });

  it('refuses an invalid secret name', () => {
    expect(() => createKeychainStore(fakeKeyring().mod).set('a#1', 'x')).toThrow(/invalid secret name/);
  });
});
