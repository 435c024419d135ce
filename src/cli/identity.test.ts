import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { computeAccess } from '../identity/access.js';
import {
  addMember,
  addRole,
  addUser,
  createKey,
  DEFAULT_KEY_LIFETIME,
  expiryWords,
  grantRole,
  keyRequiredSteps,
  listRoles,
  notFound,
  parseGrant,
  removeRole,
  removeUser,
  revokeRole,
} from './identity.js';
import { closestName } from '../util/did-you-mean.js';

const server = { command: 'node', args: ['-e', ''] };

function configFile(config: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cli-identity-'));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, `${JSON.stringify({ servers: { github: server, db: server }, ...config }, null, 2)}\n`);
  return file;
}

const roles = (file: string) =>
  (JSON.parse(fs.readFileSync(file, 'utf8')) as { roles?: Record<string, unknown> }).roles ?? {};

/** What a member with `role` may call, per server and tool, under the file's config now. */
function allows(file: string, role: string, calls: [string, string][]): boolean[] {
  const config = loadConfig(file, {}).config;
  const access = computeAccess(
    { ...config, projects: { p: { servers: ['github', 'db'] } } },
    { user: 'a@example.com', project: 'p', role },
  );
  return calls.map(([s, t]) => access.allowsTool(s, t));
}

/** A usage error (exit 2) with its message. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toMatchObject({ exitCode: 2, code: 'smg.usage' });
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('did you mean', () => {
  it.each([
    ['developr', ['developer', 'owner'], 'developer'],
    ['Developer', ['developer'], 'developer'],
    ['dev', ['developer', 'owner'], 'developer'],
    ['ownr', ['developer', 'owner'], 'owner'],
    ['boss', ['developer', 'owner'], undefined],
    ['x', [], undefined],
  ])('closest(%s, %j) is %s', (name, known, want) => {
    expect(closestName(name, known)).toBe(want);
    expect(closestName(name, known)).toBe(want);
  });

  it('says how to create a missing name, with the known ones and a guess', () => {
    expect(notFound('role', 'developr', ['developer'], '`role add developr`')).toBe(
      'no role named "developr" (known: developer); did you mean "developer"? Or create it with `role add developr`',
    );
    expect(notFound('role', 'developer', [], '`role add developer`')).toBe(
      'no role named "developer" (known: none); create it with `role add developer`',
    );
  });
});

describe('grant arguments', () => {
  it.each([
    ['github', { server: 'github', glob: undefined }],
    ['github:get_*', { server: 'github', glob: 'get_*' }],
    ['*', { server: '*', glob: undefined }],
    ['*:read_*', { server: '*', glob: 'read_*' }],
    ['github:{get,list}_*', { server: 'github', glob: '{get,list}_*' }],
  ])('parses %s', (text, want) => {
    expect(parseGrant(text, '--grant')).toEqual(want);
  });

  it.each([[':get_*'], ['github:'], ['']])('refuses %j', (text) => {
    expect(usageError(() => parseGrant(text, '--grant'))).toMatch(/expected SERVER or SERVER:TOOLGLOB/);
  });

  it('needs a glob for a deny', () => {
    expect(usageError(() => parseGrant('github', '--deny', true))).toMatch(/--deny "github": expected SERVER:TOOLGLOB/);
  });
});

describe('role add', () => {
  it('adds a role with tool globs per server, and its members may call those tools only', () => {
    const file = configFile({});
    const lines = addRole(file, 'developer', { grant: ['github:get_*', 'github:list_*', 'db'], deny: ['db:drop_*'] });
    expect(lines[0]).toBe('role developer: github: get_* list_*; db: * (deny drop_*)');
    expect(lines.at(-1)).toMatch(/member add --project P --user EMAIL --role developer/);
    expect(roles(file)).toEqual({
      developer: { servers: { github: { tools: ['get_*', 'list_*'] }, db: { tools: ['*'], deny: ['drop_*'] } } },
    });
    expect(
      allows(file, 'developer', [
        ['github', 'get_issue'],
        ['github', 'create_issue'],
        ['db', 'query'],
        ['db', 'drop_table'],
      ]),
    ).toEqual([true, false, true, false]);
  });

  it('copies another role with --from, then adds to it', () => {
    const file = configFile({ roles: { base: { description: 'read', servers: { '*': { tools: ['read_*'] } } } } });
    addRole(file, 'more', { from: 'base', grant: ['db:write_*'] });
    // db gets its own grant, which starts as a copy of "*" so that db keeps read_*.
    expect(roles(file).more).toEqual({
      description: 'read',
      servers: { '*': { tools: ['read_*'] }, db: { tools: ['read_*', 'write_*'] } },
    });
    expect(
      allows(file, 'more', [
        ['db', 'read_x'],
        ['db', 'write_x'],
        ['github', 'read_x'],
        ['github', 'write_x'],
      ]),
    ).toEqual([true, true, true, false]);
  });

  it.each([
    [{}, /say what it grants: --grant SERVER\[:TOOLGLOB\]/],
    [{ grant: ['gihub'] }, /no server named "gihub" \(known: github, db\); did you mean "github"\?/],
    [{ from: 'ownr' }, /no role named "ownr" \(known: owner\); did you mean "owner"\?/],
    [{ grant: ['*:read_*'], deny: ['db'] }, /--deny "db": expected SERVER:TOOLGLOB/],
    [{ grant: ['github'], deny: ['db:drop_*'] }, /role r grants nothing on server "db", so there is nothing to deny/],
  ])('refuses %j and leaves the file as it was', (opts, message) => {
    const file = configFile({ roles: { owner: { servers: { '*': {} } } } });
    const before = fs.readFileSync(file, 'utf8');
    expect(usageError(() => addRole(file, 'r', opts))).toMatch(message);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses a role that exists and a name that is not one', () => {
    const file = configFile({ roles: { owner: { servers: { '*': {} } } } });
    expect(usageError(() => addRole(file, 'owner', { grant: ['*'] }))).toMatch(/role owner already exists/);
    expect(usageError(() => addRole(file, 'bad name', { grant: ['*'] }))).toMatch(/not a valid role name/);
  });
});

describe('role grant and revoke', () => {
  it('grants more without narrowing what "*" gave, and says what was already there', () => {
    const file = configFile({ roles: { r: { servers: { '*': { tools: ['read_*'] } } } } });
    expect(grantRole(file, 'r', ['github:write_*', 'db:read_*'], {})).toEqual([
      'grant github: write_*',
      'db: read_* was granted already',
      'role r: *: read_*; github: read_* write_*',
    ]);
    expect(grantRole(file, 'r', [], { deny: ['github:write_secret'] })[0]).toBe('deny  github: write_secret');
    expect(
      allows(file, 'r', [
        ['github', 'read_x'],
        ['github', 'write_x'],
        ['github', 'write_secret'],
        ['db', 'write_x'],
      ]),
    ).toEqual([true, true, false, false]);
  });

  it('revokes a glob or a whole server grant', () => {
    const file = configFile({ roles: { r: { servers: { github: { tools: ['get_*', 'list_*'] }, db: {} } } } });
    expect(revokeRole(file, 'r', ['github:list_*', 'db'])).toEqual([
      'revoke github: list_*',
      'revoke db',
      'role r: github: get_*',
    ]);
    // Not granted, and no wider glob grants it: nothing to deny either.
    expect(usageError(() => revokeRole(file, 'r', ['github:create_*']))).toBe(
      'role r does not grant github:create_* itself (its tools on github: get_*)',
    );
    revokeRole(file, 'r', ['github:get_*']);
    // With no tools left and no "*" grant, the server's grant goes.
    expect(roles(file)).toEqual({ r: { servers: {} } });
  });

  it('never widens: a revoke that "*" would undo is refused, or keeps an empty grant', () => {
    const file = configFile({ roles: { r: { servers: { '*': {}, github: { tools: ['get_*'] } } } } });
    expect(usageError(() => revokeRole(file, 'r', ['db']))).toMatch(
      /reaches server "db" through its "\*" grant, so revoking "db" alone cannot take it away/,
    );
    expect(usageError(() => revokeRole(file, 'r', ['github']))).toMatch(/through its "\*" grant/);
    expect(usageError(() => revokeRole(file, 'r', ['db:drop_*']))).toMatch(
      /does not grant db:drop_\* itself \(its tools on db: \*\); to take it away from a wider grant, deny it: secure-mcp-gateway role grant r --deny db:drop_\*/,
    );
    revokeRole(file, 'r', ['github:get_*']);
    expect(roles(file)).toEqual({ r: { servers: { '*': {}, github: { tools: [] } } } });
    expect(
      allows(file, 'r', [
        ['github', 'get_x'],
        ['db', 'x'],
      ]),
    ).toEqual([false, true]);
    expect(listRoles(loadConfig(file, {}))).toEqual(['r: *: *; github: (no tools)']);
  });

  it('says how to create a role that is not there', () => {
    const file = configFile({ roles: { developers: { servers: { '*': {} } } } });
    expect(usageError(() => grantRole(file, 'developer', ['db'], {}))).toMatch(
      /no role named "developer" \(known: developers\); did you mean "developers"\? Or create it with `secure-mcp-gateway role add developer --grant SERVER\[:TOOLGLOB\]`/,
    );
  });
});

describe('role remove', () => {
  const config = {
    users: { 'a@example.com': {}, 'b@example.com': {} },
    projects: { one: { servers: ['github'] }, two: { servers: ['db'] } },
    roles: { dev: { servers: { '*': {} } }, ops: { servers: { db: {} } } },
    memberships: { one: { 'a@example.com': 'dev' }, two: { 'a@example.com': 'ops', 'b@example.com': 'dev' } },
  };

  it('is refused while members hold the role, naming them', () => {
    const file = configFile(config);
    const before = fs.readFileSync(file, 'utf8');
    expect(usageError(() => removeRole(file, 'dev', {}))).toMatch(
      /^role dev is held by a@example\.com \(project one\), b@example\.com \(project two\): give them another role first .* or remove it with --force/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('with --force removes the memberships too', () => {
    const file = configFile(config);
    expect(removeRole(file, 'dev', { force: true })).toEqual([
      'role dev removed',
      '  and the membership of a@example.com in project one (their keys no longer authenticate)',
      '  and the membership of b@example.com in project two (their keys no longer authenticate)',
    ]);
    const after = loadConfig(file, {}).config;
    expect(Object.keys(after.roles)).toEqual(['ops']);
    expect(after.memberships).toEqual({ one: {}, two: { 'a@example.com': 'ops' } });
  });

  it('removes a role no one holds, and names the known ones for a role that is not there', () => {
    const file = configFile({ roles: { spare: { servers: {} } } });
    expect(usageError(() => removeRole(file, 'spar', {}))).toBe(
      'no role named "spar" (known: spare); did you mean "spare"?',
    );
    expect(removeRole(file, 'spare', {})).toEqual(['role spare removed']);
    expect(roles(file)).toEqual({});
  });
});

describe('member add with a role that does not exist', () => {
  it('says how to create it', () => {
    const file = configFile({
      users: { 'a@example.com': {} },
      projects: { one: { servers: ['github'] } },
    });
    expect(usageError(() => addMember(file, { project: 'one', user: 'a@example.com', role: 'developer' }))).toBe(
      'no role named "developer" (known: none); create it with `secure-mcp-gateway role add developer --grant SERVER[:TOOLGLOB]` (--grant \'*\' for every server of the project)',
    );
  });
});

describe('user add', () => {
  it('warns on the first user that solo mode has ended, says what to do, and says when it is back', () => {
    const file = configFile({});
    const first = addUser(file, 'a@example.com', {});
    expect(first.lines).toEqual(['user a@example.com added']);
    expect(first.warning[0]).toMatch(
      /^warning: a@example\.com is the first user, so the stdio gateway has left solo mode: it now refuses every client without a gateway key \(SMG_GATEWAY_KEY\)/,
    );
    expect(first.warning.slice(1)).toEqual(keyRequiredSteps('a@example.com').map((s) => `  - ${s}`));
    expect(first.warning.join('\n')).toMatch(/init --with-key a@example\.com .*install --client NAME again/);
    expect(first.warning.join('\n')).toMatch(/keys create --project P --user a@example\.com/);
    expect(first.warning.join('\n')).toMatch(/to return to solo mode: secure-mcp-gateway user remove a@example\.com/);
    expect(addUser(file, 'b@example.com', {}).warning).toEqual([]);
    expect(removeUser(file, 'b@example.com')).toHaveLength(1);
    expect(removeUser(file, 'a@example.com')[1]).toBe(
      'no users left: the stdio gateway is in solo mode again (the local user, no gateway key needed)',
    );
    expect(addUser(file, 'a@example.com', {}).warning).not.toEqual([]);
  });
});

describe('keys create', () => {
  const config = {
    users: { 'a@example.com': {} },
    projects: { one: { servers: ['github'] } },
    roles: { dev: { servers: { '*': {} } } },
    memberships: { one: { 'a@example.com': 'dev' } },
  };

  it.each([
    [undefined, 90 * 86_400_000, /, expires \S+ \(in 90 days\)\.$/],
    ['12h', 12 * 3_600_000, /, expires \S+ \(in 12 hours\)\.$/],
    ['never', undefined, /, never expires \(--expires never\)\.$/],
  ])('--expires %s', async (expires, lifetime, line) => {
    const file = configFile(config);
    const home = path.dirname(file);
    const before = Date.now();
    const r = await createKey(loadConfig(file, {}), home, {
      project: 'one',
      user: 'a@example.com',
      ...(expires !== undefined ? { expires } : {}),
    });
    expect(r.lines[2]).toMatch(line);
    if (lifetime === undefined) expect(r.record.expiresAt).toBeUndefined();
    else {
      const at = Date.parse(r.record.expiresAt!);
      expect(at).toBeGreaterThanOrEqual(before + lifetime);
      expect(at).toBeLessThanOrEqual(Date.now() + lifetime);
    }
  });

  it('defaults to 90 days, and refuses a lifetime that is not one with a usage error', async () => {
    expect(DEFAULT_KEY_LIFETIME).toBe('90d');
    const file = configFile(config);
    await expect(
      createKey(loadConfig(file, {}), path.dirname(file), { project: 'one', user: 'a@example.com', expires: 'soon' }),
    ).rejects.toMatchObject({ exitCode: 2, message: /--expires: "soon" is not a duration .*, or "never"/ });
  });

  it.each([
    [undefined, 'never expires (--expires never)'],
    ['2026-04-01T00:00:00.000Z', 'expires 2026-04-01T00:00:00.000Z (in 90 days)'],
    ['2026-01-02T00:00:00.000Z', 'expires 2026-01-02T00:00:00.000Z (in 24 hours)'],
    ['2026-01-01T00:30:00.000Z', 'expires 2026-01-01T00:30:00.000Z (in 30 minutes)'],
  ])('says when a key expiring at %s expires: %s', (at, words) => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    expect(expiryWords(at, now)).toBe(words);
  });
});
