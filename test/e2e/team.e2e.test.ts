/**
 * Setting up a team from the CLI alone (issue 17, item 8), with the built gateway: `user add` on a solo config warns
 * that clients now need a key; `member add --role developer` before the role exists says how to create it; `role add`
 * with tool globs, `member add`, `keys create` (90 days unless `--expires never`), then a real stdio session with
 * that key calls the granted tools and gets "Unknown tool" for the others; `role grant` reaches the same key; `role
 * remove` of a role in use is refused, naming its members, and `--force` removes their memberships too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/identity.js';
import { fixtureServer, nonJsonRpcLines, startGateway, tempDir, textOf } from '../helpers/gateway.js';

const DAY = 86_400_000;

describe('team set-up from the CLI', () => {
  it('goes from a solo config to a member with a key that reaches the granted tools only', async () => {
    const home = tempDir();
    const file = path.join(home, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ servers: { alpha: { ...fixtureServer('whoami-server.ts'), env: { SERVER_LABEL: 'a' } } } }),
    );
    const run = (...a: string[]) => cli(home, ...a, '--config', file);

    // The first user ends solo mode: said on stderr, with what to do; the second user is not warned again.
    const first = run('user', 'add', 'dev@example.com');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('user dev@example.com added\n');
    expect(first.stderr).toMatch(
      /^warning: dev@example\.com is the first user, so the stdio gateway has left solo mode: it now refuses every client without a gateway key \(SMG_GATEWAY_KEY\)/,
    );
    expect(first.stderr).toContain(
      'secure-mcp-gateway init --with-key dev@example.com (adds a project, a role, the membership and a key kept for install), then secure-mcp-gateway install --client NAME again so that they get SMG_GATEWAY_KEY',
    );
    expect(first.stderr).toContain('to return to solo mode: secure-mcp-gateway user remove dev@example.com');
    const second = run('user', 'add', 'ops@example.com');
    expect([second.code, second.stderr]).toEqual([0, '']);
    expect(run('project', 'create', 'web', '--servers', 'alpha').code).toBe(0);

    // The trap of issue 17: the role does not exist yet, and the error says how to make it.
    const noRole = run('member', 'add', '--project', 'web', '--user', 'dev@example.com', '--role', 'developer');
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toBe(
      'secure-mcp-gateway: no role named "developer" (known: none); create it with `secure-mcp-gateway role add developer --grant SERVER[:TOOLGLOB]` (--grant \'*\' for every server of the project)\n',
    );

    const added = run('role', 'add', 'developer', '--grant', 'alpha:read_*', '--grant', 'alpha:whoami');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('role developer: alpha: read_* whoami');
    const typo = run('member', 'add', '--project', 'web', '--user', 'dev@example.com', '--role', 'developr');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no role named "developr" (known: developer); did you mean "developer"?');
    for (const user of ['dev@example.com', 'ops@example.com'])
      expect(run('member', 'add', '--project', 'web', '--user', user, '--role', 'developer').code).toBe(0);
    expect(run('role', 'list').stdout).toBe('developer: alpha: read_* whoami\n');

    // keys create: 90 days unless asked otherwise, and the line says when.
    const before = Date.now();
    const made = run('keys', 'create', '--project', 'web', '--user', 'dev@example.com');
    expect(made.code).toBe(0);
    const key = made.stdout.split('\n')[0]!;
    const at = /, expires (\S+) \(in 90 days\)\.$/m.exec(made.stdout)?.[1];
    expect(at).toBeDefined();
    expect(Date.parse(at!)).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(Date.parse(at!)).toBeLessThanOrEqual(Date.now() + 90 * DAY);
    const forever = run('keys', 'create', '--project', 'web', '--user', 'ops@example.com', '--expires', 'never');
    expect(forever.code).toBe(0);
    expect(forever.stdout).toMatch(/in project web, never expires \(--expires never\)\.$/m);
    const listed = JSON.parse(run('keys', 'list', '--json').stdout) as { user: string; expiresAt?: string }[];
    expect(listed.find((k) => k.user === 'dev@example.com')?.expiresAt).toBe(at);
    expect(listed.find((k) => k.user === 'ops@example.com')?.expiresAt).toBeUndefined();

    // A real stdio session with the key: granted tools work, the others do not exist.
    const session = async () => startGateway(fs.readFileSync(file, 'utf8'), { home, env: { SMG_GATEWAY_KEY: key } });
    const gw = await session();
    expect((await gw.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'alpha__read_note',
      'alpha__whoami',
    ]);
    expect(textOf(await gw.client.callTool({ name: 'alpha__read_note' }))).toBe('note: ');
    await expect(gw.client.callTool({ name: 'alpha__write_note', arguments: { text: 'x' } })).rejects.toThrow(
      /Unknown tool: alpha__write_note/,
    );
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);

    // role grant: the same key now reaches the write tool.
    const granted = run('role', 'grant', 'developer', 'alpha:write_note');
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain('grant alpha: write_note');
    const gw2 = await session();
    expect(textOf(await gw2.client.callTool({ name: 'alpha__write_note', arguments: { text: 'hi' } }))).toBe('written');
    expect((await gw2.closeStdin()).code).toBe(0);

    // role remove of a role in use is refused, naming who holds it; the file is left as it was.
    const text = fs.readFileSync(file, 'utf8');
    const inUse = run('role', 'remove', 'developer');
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toMatch(
      /role developer is held by dev@example\.com \(project web\), ops@example\.com \(project web\): .*--force/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    const forced = run('role', 'remove', 'developer', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('and the membership of dev@example.com in project web');
    const after = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      roles: Record<string, unknown>;
      memberships: Record<string, Record<string, string>>;
    };
    expect(after.roles).toEqual({});
    expect(after.memberships).toEqual({ web: {} });
  });
});
