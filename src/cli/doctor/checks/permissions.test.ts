/**
 * doctor's permissions check (issue 17, 9f): client config backups are counted apart from secret files and called
 * backups, yet held to 0600 like them, since a client file can hold inline keys.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../../config/paths.js';
import { silentLogger } from '../../../log.js';
import { createDoctorContext } from '../context.js';
import { permissionsCheck } from './permissions.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A private home with `secrets` files in secrets/ and `backups` files in backups/, each of the given mode. */
function home(secrets: Record<string, number>, backups: Record<string, number>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-perm-'));
  dirs.push(dir);
  fs.chmodSync(dir, 0o700);
  fs.writeFileSync(path.join(dir, 'config.json'), '{"servers":{}}', { mode: 0o600 });
  for (const [sub, files] of [
    ['secrets', secrets],
    ['backups', backups],
  ] as const) {
    if (Object.keys(files).length === 0) continue;
    fs.mkdirSync(path.join(dir, sub), { mode: 0o700 });
    for (const [name, mode] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, sub, name), 'KEY=x\n');
      fs.chmodSync(path.join(dir, sub, name), mode);
    }
  }
  const env = { HOME: dir, SMG_HOME: dir };
  return {
    dir,
    ctx: createDoctorContext({
      paths: resolvePaths({}, env),
      env,
      catalog: { platform: 'linux', env },
      log: silentLogger(),
    }),
  };
}

const backup = 'cursor-mcp.json-20261207T091433Z.bak';

describe.skipIf(process.platform === 'win32')('doctor: file permissions', () => {
  it.each([
    [{}, {}, '0 secret files and 0 client config backups are private'],
    [{ 'gh.env': 0o600 }, { [backup]: 0o600 }, '1 secret file and 1 client config backup are private'],
    [
      { 'gh.env': 0o600, 'x.env': 0o600 },
      { [backup]: 0o600, 'claude-desktop-a.json-1.bak': 0o600, 'zed-settings.json-2.bak': 0o600 },
      '2 secret files and 3 client config backups are private',
    ],
  ])('counts secret files and backups apart: %j %j', (secrets, backups, tail) => {
    const h = home(secrets, backups);
    const r = permissionsCheck.run(h.ctx) as { status: string; detail: string }[];
    expect(r).toEqual([{ status: 'ok', subject: 'permissions', detail: `${h.dir}, the config, ${tail}` }]);
  });

  it.each([
    [0o644, 'fail', 'is world-readable (mode 644) and is a client config backup, which can hold keys'],
    [0o640, 'warn', 'is group-accessible (mode 640) and is a client config backup, which can hold keys'],
  ])('holds a backup of mode %o to 0600, and calls it a backup', (mode, status, detail) => {
    const h = home({ 'gh.env': 0o600 }, { [backup]: mode });
    const file = path.join(h.dir, 'backups', backup);
    expect(permissionsCheck.run(h.ctx)).toEqual([
      { status, subject: 'permissions', detail: `${file} ${detail}`, fix: `chmod 600 ${file}` },
    ]);
  });

  it('still says a secret file holds a secret', () => {
    const h = home({ 'gh.env': 0o644 }, {});
    const file = path.join(h.dir, 'secrets', 'gh.env');
    expect(permissionsCheck.run(h.ctx)).toEqual([
      {
        status: 'fail',
        subject: 'permissions',
        detail: `${file} is world-readable (mode 644) and holds a secret`,
        fix: `chmod 600 ${file}`,
      },
    ]);
  });
});
