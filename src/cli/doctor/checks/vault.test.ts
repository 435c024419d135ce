/**
 * doctor's vault check (issue 18): the backend, where, readable, how many secrets; a damaged file, a wrong
 * passphrase or a key file others can read is a failure with its fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../../../config/paths.js';
import { silentLogger } from '../../../log.js';
import { createFileStore } from '../../../vault/file.js';
import { createDoctorContext } from '../context.js';
import { vaultCheck } from './vault.js';

function run(env: Record<string, string>) {
  return vaultCheck.run(
    createDoctorContext({
      paths: resolvePaths({}, env),
      env,
      catalog: { platform: 'linux', env },
      log: silentLogger(),
    }),
  );
}

function home(passphrase?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-vault-'));
  const store = createFileStore({ home: dir, passphrase });
  store.set('a', 'one');
  store.set('b', 'two');
  const env: Record<string, string> = { HOME: dir, SMG_HOME: dir, SMG_VAULT: 'file' };
  if (passphrase !== undefined) env.SMG_VAULT_PASSPHRASE = passphrase;
  return { dir, env };
}

describe('doctor: the credential vault', () => {
  it('names the backend, where, why, and counts the secrets', async () => {
    const { dir, env } = home();
    expect(await run(env)).toEqual([
      {
        status: 'ok',
        subject: 'vault',
        detail: `file: ${path.join(dir, 'vault.enc')} (SMG_VAULT=file); readable, 2 secrets`,
        ms: expect.any(Number) as number,
      },
    ]);
  });

  it.runIf(process.platform !== 'win32')('fails on a key file others can read, with the chmod', async () => {
    const { dir, env } = home();
    fs.chmodSync(path.join(dir, 'vault.key'), 0o644);
    const [r] = await run(env);
    expect(r).toMatchObject({ status: 'fail', fix: `chmod 600 ${path.join(dir, 'vault.key')}` });
    expect(r!.detail).toMatch(/vault\.key has mode 644/);
  });

  it.each<[string, (dir: string, env: Record<string, string>) => void, RegExp, RegExp]>([
    [
      'a damaged file',
      (dir) => fs.writeFileSync(path.join(dir, 'vault.enc'), '{"format":'),
      /vault\.enc is damaged/,
      /restore vault\.enc/,
    ],
    [
      'a wrong passphrase',
      (_dir, env) => (env.SMG_VAULT_PASSPHRASE = 'wrong'),
      /SMG_VAULT_PASSPHRASE is not the passphrase/,
      /set SMG_VAULT_PASSPHRASE/,
    ],
    [
      'an unknown SMG_VAULT',
      (_dir, env) => (env.SMG_VAULT = 'nonsense'),
      /SMG_VAULT=nonsense is not one of/,
      /docs\/troubleshooting\.md/,
    ],
  ])('fails on %s, naming the fix', async (_what, damage, detail, fix) => {
    const { dir, env } = home('pass');
    damage(dir, env);
    const [r] = await run(env);
    expect(r!.status).toBe('fail');
    expect(r!.detail).toMatch(detail);
    expect(r!.fix).toMatch(fix);
  });
});
