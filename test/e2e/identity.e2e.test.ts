/**
 * Identity over stdio (issue 6), through the built gateway and its CLI: keys made with `keys create` select the
 * project and role; two keys for two projects see different tools; a contractor neither sees nor can call a write
 * tool; a missing, revoked or expired key gets an `initialize`-time error that says why, and nothing is spawned.
 * The admin commands edit the config in place and refuse an edit that would not load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, identityConfig, makeKey } from '../helpers/identity.js';
import { logLines, nonJsonRpcLines, processTree, startGateway, tempDir, textOf, waitFor } from '../helpers/gateway.js';

function setup(): string {
  const home = tempDir();
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(identityConfig(), null, 2));
  return home;
}

/** Sends initialize by hand and returns the answer line. */
async function initializeAnswer(home: string, env: Record<string, string>) {
  const gw = await startGateway(identityConfig(), { home, env, noClient: true });
  gw.transport.sendRaw(
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }) + '\n',
  );
  gw.transport.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) + '\n');
  await waitFor(() => gw.stdoutLines.length >= 2);
  const answers = gw.stdoutLines.map((l) => JSON.parse(l) as { id: number; error?: { code: number; message: string } });
  // Nothing was spawned for a refused client.
  expect(processTree(gw.proc.pid!)).toEqual([]);
  expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
  expect((await gw.closeStdin()).code).toBe(0);
  return { answers, logs: logLines(gw) };
}

describe('identity over stdio', () => {
  it('shows each key the tools of its own project, and a contractor no write tool', async () => {
    const home = setup();
    const aliceOne = makeKey(home, 'one', 'alice@example.com');
    const aliceTwo = makeKey(home, 'two', 'alice@example.com', '--expires', '90d');
    const bobTwo = makeKey(home, 'two', 'bob@example.com');
    expect(fs.statSync(path.join(home, 'keys.json')).mode & 0o777).toBe(0o600);
    const stored = fs.readFileSync(path.join(home, 'keys.json'), 'utf8');
    for (const k of [aliceOne, aliceTwo, bobTwo])
      expect(stored).not.toContain(k.key.slice('smg_0123456789abcdef_'.length));

    const names = async (key: string) => {
      const gw = await startGateway(identityConfig(), { home, env: { SMG_GATEWAY_KEY: key } });
      const tools = (await gw.client.listTools()).tools.map((t) => t.name).sort();
      return { gw, tools };
    };
    const one = await names(aliceOne.key);
    expect(one.tools).toEqual(['alpha__read_note', 'alpha__whoami', 'alpha__write_note']);
    expect(JSON.parse(textOf(await one.gw.client.callTool({ name: 'alpha__whoami' })))).toMatchObject({
      label: 'alpha',
    });
    // The other project's server does not exist for this key: it is unknown, not forbidden.
    await expect(one.gw.client.callTool({ name: 'beta__whoami' })).rejects.toThrow(/Unknown tool: beta__whoami/);
    // Only the project's server was spawned: its children carry alpha's label, none beta's.
    const labels = processTree(one.gw.proc.pid!).flatMap((pid) => {
      try {
        const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        return env.filter((e) => e.startsWith('SERVER_LABEL='));
      } catch {
        return [];
      }
    });
    expect(labels).toContain('SERVER_LABEL=alpha');
    expect(labels).not.toContain('SERVER_LABEL=beta');
    expect(logLines(one.gw).find((l) => l.event === 'key.used')).toMatchObject({
      keyId: aliceOne.id,
      user: 'alice@example.com',
      project: 'one',
    });
    expect((await one.gw.closeStdin()).code).toBe(0);

    const two = await names(aliceTwo.key);
    expect(two.tools).toEqual(['beta__read_note', 'beta__whoami', 'beta__write_note']);
    expect(textOf(await two.gw.client.callTool({ name: 'beta__write_note', arguments: { text: 'hi' } }))).toBe(
      'written',
    );
    for (let i = 0; i < 3; i++)
      expect(textOf(await two.gw.client.callTool({ name: 'beta__read_note' }))).toBe('note: hi');
    expect((await two.gw.closeStdin()).code).toBe(0);

    const bob = await names(bobTwo.key);
    expect(bob.tools).toEqual(['beta__read_note', 'beta__whoami']);
    await expect(bob.gw.client.callTool({ name: 'beta__write_note', arguments: { text: 'x' } })).rejects.toThrow(
      /Unknown tool: beta__write_note/,
    );
    expect(textOf(await bob.gw.client.callTool({ name: 'beta__read_note' }))).toBe('note: ');
    // The role's policy applies to the contractor's calls (one per tool and minute), keyed by his identity.
    expect(textOf(await bob.gw.client.callTool({ name: 'beta__read_note' }))).toMatch(
      /^blocked by parameter check rate-limit\.tool: rate limit of 1 calls per minute for beta tool read_note exceeded/,
    );
    expect(nonJsonRpcLines(bob.gw.stdoutLines)).toEqual([]);
    // Revoked while the session runs: the next call and list are refused, without a restart.
    expect(cli(home, 'keys', 'revoke', bobTwo.id).code).toBe(0);
    await expect(bob.gw.client.callTool({ name: 'beta__read_note' })).rejects.toThrow(
      new RegExp(`secure-mcp-gateway refused this client: gateway key ${bobTwo.id} was revoked`),
    );
    await expect(bob.gw.client.listTools()).rejects.toThrow(/was revoked/);
    expect((await bob.gw.closeStdin()).code).toBe(0);
    // The refusal mid-session is in the audit log too (once), not only in gateway.log: the report's "Refused gateway
    // keys" reads it from there.
    const refusals = fs
      .readFileSync(path.join(home, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { kind: string; event?: string; keyId?: string; reason?: string })
      .filter((r) => r.kind === 'key' && r.event === 'refused' && r.keyId === bobTwo.id);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.reason).toMatch(/was revoked/);

    // last use is stamped
    const listed = JSON.parse(cli(home, 'keys', 'list', '--json').stdout) as { id: string; lastUsedAt?: string }[];
    expect(listed.find((k) => k.id === aliceOne.id)?.lastUsedAt).toMatch(/^\d{4}-/);
  });

  it('refuses a missing, a bad, a revoked and an expired key at initialize, and says why', async () => {
    const home = setup();
    const revoked = makeKey(home, 'one', 'alice@example.com');
    expect(cli(home, 'keys', 'revoke', revoked.id).stdout).toContain('revoked');
    const expired = makeKey(home, 'one', 'alice@example.com', '--expires', '1s');
    await new Promise((r) => setTimeout(r, 1100));
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /no gateway key: identities are configured, so set SMG_GATEWAY_KEY/],
      [{ SMG_GATEWAY_KEY: 'smg_nope' }, /the gateway key is malformed/],
      [{ SMG_GATEWAY_KEY: revoked.key }, new RegExp(`gateway key ${revoked.id} was revoked at`)],
      [{ SMG_GATEWAY_KEY: expired.key }, new RegExp(`gateway key ${expired.id} expired at`)],
    ];
    for (const [env, reason] of cases) {
      const { answers, logs } = await initializeAnswer(home, env);
      for (const a of answers) {
        expect(a.error?.code).toBe(-32001);
        expect(a.error?.message).toMatch(/^secure-mcp-gateway refused this client: /);
        expect(a.error?.message).toMatch(reason);
      }
      expect(logs.find((l) => l.event === 'key.refused')?.msg).toMatch(reason);
    }
    const listed = cli(home, 'keys', 'list').stdout;
    expect(listed).toMatch(new RegExp(`${revoked.id}\\s+revoked`));
    expect(listed).toMatch(new RegExp(`${expired.id}\\s+expired`));
  });

  it('rotates a key: the new one works, the old one is refused', async () => {
    const home = setup();
    const old = makeKey(home, 'one', 'alice@example.com');
    const r = cli(home, 'keys', 'rotate', old.id);
    expect(r.code).toBe(0);
    const fresh = r.stdout.split('\n')[0]!;
    expect(fresh).toMatch(/^smg_[0-9a-f]{16}_/);
    const gw = await startGateway(identityConfig(), { home, env: { SMG_GATEWAY_KEY: fresh } });
    expect((await gw.client.listTools()).tools).toHaveLength(3);
    expect((await gw.closeStdin()).code).toBe(0);
    const { answers } = await initializeAnswer(home, { SMG_GATEWAY_KEY: old.key });
    expect(answers[0]!.error?.message).toMatch(/was revoked/);
  });

  it('edits projects, users and members in place, and refuses an edit that would not load', () => {
    const home = setup();
    const file = path.join(home, 'config.json');
    const run = (...a: string[]) => cli(home, ...a, '--config', file);
    expect(run('user', 'add', 'carol@example.com', '--name', 'Carol').code).toBe(0);
    expect(run('project', 'create', 'three', '--servers', 'alpha,beta').stdout).toContain('alpha, beta');
    expect(run('member', 'add', '--project', 'three', '--user', 'carol@example.com', '--role', 'contractor').code).toBe(
      0,
    );
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as ReturnType<typeof identityConfig> & {
      projects: Record<string, unknown>;
      memberships: Record<string, Record<string, string>>;
    };
    expect(cfg.projects.three).toEqual({ servers: ['alpha', 'beta'] });
    expect(cfg.memberships.three).toEqual({ 'carol@example.com': 'contractor' });
    expect(run('project', 'list').stdout).toContain(
      'three: servers alpha, beta; members carol@example.com (contractor)',
    );
    expect(run('role', 'list').stdout).toContain('contractor: *: read_* whoami; policy contractor - read-only');
    // A key for carol works in project three.
    expect(cli(home, 'keys', 'create', '--project', 'three', '--user', 'carol@example.com').code).toBe(0);

    // Refused edits leave the file as it was.
    const before = fs.readFileSync(file, 'utf8');
    const bad = run('member', 'add', '--project', 'three', '--user', 'carol@example.com', '--role', 'boss');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no role named "boss"');
    const unknownServer = run('project', 'create', 'four', '--servers', 'nope');
    expect(unknownServer.code).toBe(4);
    expect(unknownServer.stderr).toMatch(/at projects\.four\.servers\[0\]: no server named "nope"/);
    const nonMember = cli(home, 'keys', 'create', '--project', 'one', '--user', 'bob@example.com');
    expect(nonMember.code).toBe(2);
    expect(nonMember.stderr).toContain('bob@example.com is not a member of project one');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);

    expect(run('member', 'remove', '--project', 'three', '--user', 'carol@example.com').code).toBe(0);
    expect(run('user', 'remove', 'bob@example.com').code).toBe(0);
    expect(run('project', 'remove', 'three').code).toBe(0);
    const after = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      users: Record<string, unknown>;
      projects: Record<string, unknown>;
      memberships: Record<string, Record<string, string>>;
    };
    expect(Object.keys(after.users).sort()).toEqual(['alice@example.com', 'carol@example.com']);
    expect(Object.keys(after.projects).sort()).toEqual(['one', 'two']);
    expect(after.memberships).toEqual({
      one: { 'alice@example.com': 'developer' },
      two: { 'alice@example.com': 'developer' },
    });
    // Formatting kept: still two-space indented JSON.
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^\{\n {2}"servers": \{\n/);
  });

  it('runs as the local user with every server when no identities are configured', async () => {
    const cfg = { servers: identityConfig().servers };
    const gw = await startGateway(cfg);
    expect((await gw.client.listTools()).tools).toHaveLength(6);
    expect(logLines(gw).find((l) => l.msg?.includes('no identities configured'))).toBeDefined();
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
