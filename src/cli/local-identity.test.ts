import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../config/paths.js';
import { loadConfig } from '../config/load.js';
import { authenticate } from '../identity/authenticate.js';
import { KeyStore, keysFile } from '../identity/keys.js';
import { addToLocalProject, localKeyFile, readLocalKey, setUpLocalIdentity } from './local-identity.js';

function home(config: unknown) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-local-id-'));
  const paths = resolvePaths({}, { SMG_HOME: dir });
  fs.writeFileSync(paths.config, JSON.stringify(config, null, 2), { mode: 0o600 });
  return paths;
}

const server = { command: 'node', args: ['-e', ''] };

describe('the local user’s identity (init --with-key)', () => {
  it('adds what is missing, makes a key that authenticates, keeps it, and replaces it once revoked', () => {
    const paths = home({ servers: { a: server }, roles: { owner: { servers: { a: {} } } } });
    expect(readLocalKey(paths.home)).toBeUndefined();
    const first = setUpLocalIdentity(paths, 'Dev@Example.com');
    // The existing role is kept as it is.
    expect(first.some((l) => l.includes('roles.owner'))).toBe(false);
    const key = readLocalKey(paths.home)!;
    expect(fs.statSync(localKeyFile(paths.home)).mode & 0o777).toBe(0o600);
    const keys = new KeyStore({ file: keysFile(paths.home) });
    const auth = authenticate(loadConfig(paths.config, {}).config, keys, key);
    expect(auth).toMatchObject({ ok: true, principal: { user: 'dev@example.com', project: 'default', role: 'owner' } });

    expect(setUpLocalIdentity(paths, 'dev@example.com')).toEqual([
      expect.stringMatching(/^keep +gateway key [0-9a-f]{16} /),
    ]);
    expect(readLocalKey(paths.home)).toBe(key);

    keys.revoke(keys.list()[0]!.id);
    const third = setUpLocalIdentity(paths, 'dev@example.com');
    expect(third[0]).toMatch(/^create +gateway key /);
    expect(third[1]).toMatch(/it replaces the one there, which is refused: gateway key \w+ was revoked/);
    expect(readLocalKey(paths.home)).not.toBe(key);
  });

  it('refuses an address that is not an email, before writing anything', () => {
    const paths = home({ servers: {} });
    const before = fs.readFileSync(paths.config, 'utf8');
    expect(() => setUpLocalIdentity(paths, 'not-an-email')).toThrow(/"not-an-email" is not an email/);
    expect(fs.readFileSync(paths.config, 'utf8')).toBe(before);
    expect(fs.existsSync(keysFile(paths.home))).toBe(false);
  });

  it('adds servers imported later to the default project, only when init made a local key', () => {
    const paths = home({ servers: { a: server } });
    expect(addToLocalProject(paths, ['a'])).toEqual([]);
    setUpLocalIdentity(paths, 'dev@example.com');
    const cfg = JSON.parse(fs.readFileSync(paths.config, 'utf8')) as { servers: Record<string, unknown> };
    cfg.servers.b = server;
    fs.writeFileSync(paths.config, JSON.stringify(cfg, null, 2));
    expect(addToLocalProject(paths, ['b', 'unknown'])).toEqual(['add      b to projects.default']);
    expect(loadConfig(paths.config, {}).config.projects.default!.servers).toEqual(['a', 'b']);
    expect(addToLocalProject(paths, ['b'])).toEqual([]);
    expect(addToLocalProject(paths, [])).toEqual([]);
  });
});
