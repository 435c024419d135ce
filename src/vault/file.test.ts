import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createFileStore, vaultFiles } from './file.js';
import { VaultError } from './types.js';

const tmpHome = () => fs.mkdtempSync(path.join(os.tmpdir(), 'smg-vault-'));
const SECRET = 'ghp_SuperSecretValue0123456789';

describe.each([
  ['the machine key file', undefined],
  ['a passphrase', 'correct horse battery staple'],
])('the encrypted file vault with %s', (_label, passphrase) => {
  it('keeps what it is given, sorted, and forgets what it deletes', () => {
    const home = tmpHome();
    const store = createFileStore({ home, passphrase });
    expect(store.list()).toEqual([]);
    expect(store.get('A')).toBeUndefined();
    store.set('oauth:linear', 'x');
    store.set('GITHUB_TOKEN', SECRET);
    store.set('GITHUB_TOKEN', SECRET); // the same input twice
    expect(store.list()).toEqual(['GITHUB_TOKEN', 'oauth:linear']);
    // A new instance (another process) reads the same values.
    const again = createFileStore({ home, passphrase });
    expect(again.get('GITHUB_TOKEN')).toBe(SECRET);
    expect(again.delete('GITHUB_TOKEN')).toBe(true);
    expect(again.delete('GITHUB_TOKEN')).toBe(false);
    expect(store.list()).toEqual(['oauth:linear']);
    expect(store.check().count).toBe(1);
  });

  it('writes no value in clear, with mode 0600, and leaves no lock or temporary file', () => {
    const home = tmpHome();
    const store = createFileStore({ home, passphrase });
    store.set('T', SECRET);
    const { file, keyFile, lockFile } = vaultFiles(home);
    for (const name of fs.readdirSync(home))
      expect(fs.readFileSync(path.join(home, name), 'latin1')).not.toContain(SECRET);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(keyFile)).toBe(passphrase === undefined);
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(fs.readdirSync(home).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    ['1 character', 1],
    ['10 kB (an OAuth token set)', 10_000],
    ['1 MB', 1_000_000],
  ])('keeps a value of %s', (_what, length) => {
    const store = createFileStore({ home: tmpHome(), passphrase });
    const value = 'é€'.repeat(length).slice(0, length);
    store.set('LONG', value);
    expect(store.get('LONG')).toBe(value);
  });

  it.each<[string, (text: string) => string, RegExp]>([
    ['not JSON', () => '{"format":', /vault\.enc is damaged \(not JSON\).*restore it from a backup/],
    ['an unknown format', () => '{"format":"other"}', /vault\.enc is damaged \(not a vault file/],
    [
      'a flipped byte in the data',
      (t) => {
        const env = JSON.parse(t) as { data: string };
        const buf = Buffer.from(env.data, 'base64');
        buf[0] = buf[0]! ^ 1;
        return JSON.stringify({ ...env, data: buf.toString('base64') });
      },
      /cannot decrypt .*vault\.enc/,
    ],
    [
      'a changed header',
      (t) => JSON.stringify({ ...(JSON.parse(t) as object), version: 1, salt: 'AAAA' }),
      /cannot decrypt .*vault\.enc/,
    ],
  ])('refuses a damaged file (%s) and never reads it as empty', (_what, damage, message) => {
    const home = tmpHome();
    const store = createFileStore({ home, passphrase });
    store.set('T', SECRET);
    const { file } = vaultFiles(home);
    fs.writeFileSync(file, damage(fs.readFileSync(file, 'utf8')));
    const before = fs.readFileSync(file);
    expect(() => store.get('T')).toThrow(message);
    expect(() => store.list()).toThrow(VaultError);
    // A write must not replace the damaged file with an empty vault.
    expect(() => store.set('U', 'u')).toThrow(VaultError);
    expect(fs.readFileSync(file)).toEqual(before);
  });
});

describe('the encrypted file vault key', () => {
  it('refuses a wrong passphrase, and a missing one, naming the file and the variable', () => {
    const home = tmpHome();
    createFileStore({ home, passphrase: 'right' }).set('T', SECRET);
    expect(() => createFileStore({ home, passphrase: 'wrong' }).get('T')).toThrow(
      /cannot decrypt .*vault\.enc: SMG_VAULT_PASSPHRASE is not the passphrase/,
    );
    expect(() => createFileStore({ home }).list()).toThrow(/sealed with a passphrase: set SMG_VAULT_PASSPHRASE/);
    expect(createFileStore({ home, passphrase: 'right' }).get('T')).toBe(SECRET);
  });

  it('moves a key-file vault to the passphrase at the next write', () => {
    const home = tmpHome();
    createFileStore({ home }).set('A', 'a');
    const withPass = createFileStore({ home, passphrase: 'p' });
    expect(withPass.get('A')).toBe('a');
    withPass.set('B', 'b');
    expect(() => createFileStore({ home, passphrase: 'q' }).get('A')).toThrow(/SMG_VAULT_PASSPHRASE is not/);
    expect(createFileStore({ home, passphrase: 'p' }).list()).toEqual(['A', 'B']);
  });

  it.runIf(process.platform !== 'win32').each([0o644, 0o640, 0o604, 0o660])(
    'refuses a key file with mode %o and says how to fix it',
    (mode) => {
      const home = tmpHome();
      createFileStore({ home }).set('T', SECRET);
      const { keyFile } = vaultFiles(home);
      fs.chmodSync(keyFile, mode);
      const store = createFileStore({ home });
      expect(() => store.get('T')).toThrow(new RegExp(`vault\\.key has mode ${mode.toString(8)}.*chmod 600`));
      expect(() => store.check()).toThrow(VaultError);
      fs.chmodSync(keyFile, 0o600);
      expect(store.get('T')).toBe(SECRET);
    },
  );

  it('refuses to decrypt with another key, and says the key file is missing when it is', () => {
    const home = tmpHome();
    createFileStore({ home }).set('T', SECRET);
    const { keyFile } = vaultFiles(home);
    fs.writeFileSync(keyFile, Buffer.alloc(32, 7), { mode: 0o600 });
    expect(() => createFileStore({ home }).get('T')).toThrow(/cannot decrypt .* with the key .*vault\.key/);
    fs.rmSync(keyFile);
    expect(() => createFileStore({ home }).get('T')).toThrow(/cannot read the vault key .*vault\.key \(ENOENT\)/);
    expect(() => createFileStore({ home }).set('U', 'u')).toThrow(VaultError);
  });

  it('refuses an invalid secret name', () => {
    expect(() => createFileStore({ home: tmpHome() }).set('a b', 'x')).toThrow(/invalid secret name/);
  });

  it('gives up on a lock that is held, naming the lock file', () => {
    const home = tmpHome();
    fs.writeFileSync(vaultFiles(home).lockFile, '1');
    expect(() => createFileStore({ home, lockTimeoutMs: 50 }).set('A', 'a')).toThrow(/vault\.lock is held/);
  });

  it('takes over a lock left by a process that died long ago', () => {
    const home = tmpHome();
    const { lockFile } = vaultFiles(home);
    fs.writeFileSync(lockFile, '1');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile, old, old);
    const store = createFileStore({ home, lockTimeoutMs: 50 });
    store.set('A', 'a');
    expect(store.get('A')).toBe('a');
  });
});

describe('two processes writing the vault at once', () => {
  it.each([
    ['the machine key file', undefined],
    ['a passphrase', 'pw'],
  ])(
    'lose nothing (%s)',
    async (_label, passphrase) => {
      const home = tmpHome();
      const script = path.join(home, '..', `vault-writer-${path.basename(home)}.mts`);
      const fileModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'file.ts');
      fs.writeFileSync(
        script,
        `import { createFileStore } from ${JSON.stringify(fileModule)};
const [home, who, pass] = process.argv.slice(2);
const store = createFileStore({ home, passphrase: pass || undefined, lockTimeoutMs: 20000 });
for (let i = 0; i < 15; i++) store.set(who + '_' + i, 'value-' + who + '-' + i);
`,
      );
      const run = (who: string) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, home, who, passphrase ?? ''], {
            stdio: 'ignore',
          });
          child.on('exit', resolve);
        });
      expect(await Promise.all(['a', 'b'].map(run))).toEqual([0, 0]);
      const store = createFileStore({ home, passphrase });
      expect(store.list()).toHaveLength(30);
      expect(store.get('b_14')).toBe('value-b-14');
      expect(fs.existsSync(vaultFiles(home).lockFile)).toBe(false);
      fs.rmSync(script);
    },
    30_000,
  );
});
