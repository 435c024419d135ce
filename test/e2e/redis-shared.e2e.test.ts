/**
 * Shared state on Redis that loses trust or stays stuck (issue 15, class 14), with real built gateway processes on
 * one real redis-server (test/helpers/redis.ts):
 * - Redis STALLS (CLIENT PAUSE: the connection stays open) while a pin check runs: the check fails, the outage and
 *   the recovery are logged once each, and the tools are listed again on their own once Redis answers;
 * - `tools approve` on one instance lists the tool on another at once (list_changed), without a call;
 * - Redis comes back EMPTY (no persistence): a server that had pins, now changed, is refused as unapproved, never
 *   pinned as new, until `tools approve`; `tools reset-pins --yes` is the deliberate way to start over;
 * - a gateway key created on host A (`keys create --config`) authenticates on host B (its own SMG_HOME), and a
 *   revocation on B is refused on A at the next request.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  fixtureServer,
  logLines,
  nonJsonRpcLines,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';
import { identityConfig } from '../helpers/identity.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { httpClient, startServe } from '../helpers/serve.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
}, 120_000);
afterAll(async () => {
  await redis?.stop();
});

const verdictOf = (r: CallToolResult) => r._meta?.['secure-mcp-gateway/verdict'] as { ruleId?: string } | undefined;

function stateOn(prefix = `e2e${crypto.randomBytes(4).toString('hex')}:`) {
  return { backend: 'redis', url: redis.url, keyPrefix: prefix };
}

/** The built CLI with a home and a config, as an admin would run it on that host. */
function cli(home: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

const names = async (gw: SpawnedGateway) => (await gw.client.listTools()).tools.map((t) => t.name);

/** Counts the list_changed notifications a gateway sends its client. */
function countChanges(gw: SpawnedGateway): () => number {
  let n = 0;
  gw.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void n++);
  return () => n;
}

async function closeAll(...gws: SpawnedGateway[]) {
  for (const gw of gws) {
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  }
}

/** The rug-pull fixture: its daily_quote harmless, or already pulled (changed) from the start. */
const rug = (state: object, pulled: boolean) => ({
  servers: {
    rug: {
      ...fixtureServer('rugpull-server.ts'),
      env: { RUGPULL_AFTER_CALLS: '1000', RUGPULL_PULLED: pulled ? '1' : '0' },
    },
  },
  // The pulled definition is also poisoned; with the scan off, only the pins decide here.
  integrity: { poisoning: { action: 'off' } },
  state,
});

describe('shared state that stalls, is reset, or changes elsewhere', () => {
  it('retries a pin check that timed out in a stall once Redis answers, logging the outage and the recovery once', async () => {
    const state = stateOn();
    const gw = await startGateway({ servers: { changing: fixtureServer('changing-server.ts') }, state });
    await expect.poll(() => names(gw), { timeout: 20_000 }).toEqual(['changing__first', 'changing__add_tool']);
    const changes = countChanges(gw);
    // Redis stalls with its connections open; meanwhile the upstream's list changes, and its pin check runs.
    redis.cli('CLIENT', 'PAUSE', '5000');
    const added = (await gw.client.callTool({ name: 'changing__add_tool', arguments: {} })) as CallToolResult;
    expect(textOf(added)).toBe('added second');
    const failed = await waitFor(
      () => logLines(gw).find((l) => l.msg === 'integrity check failed; every tool of this server is blocked'),
      20_000,
    );
    expect(String(failed.err)).toMatch(/is unavailable: Command timed out/);
    const outage = logLines(gw).find((l) => /^the shared state store is unavailable/.test(l.msg ?? ''));
    expect(outage?.level).toBe(40);
    expect(outage?.reason).toBe('Command timed out (Redis stalled: no answer within 500 ms)');
    // While it lasts, nothing of the server is listed and a call says why.
    expect(await names(gw)).toEqual([]);
    const refused = (await gw.client.callTool({ name: 'changing__first', arguments: {} })) as CallToolResult;
    expect(verdictOf(refused)?.ruleId).toBe('integrity.failed');
    expect(textOf(refused)).toContain('Command timed out');
    // Redis answers again: the recovery is logged, the list is checked again, and the client is told.
    const recovery = await waitFor(
      () => logLines(gw).find((l) => l.msg === 'the shared state store is back; shared state resumes'),
      20_000,
    );
    expect(recovery.level).toBe(30);
    await waitFor(() => changes() > 0, 15_000);
    // The tools pinned before are back; the one added since is new to a server that has pins: not approved.
    expect(await names(gw)).toEqual(['changing__first', 'changing__add_tool']);
    const ok = (await gw.client.callTool({ name: 'changing__first', arguments: {} })) as CallToolResult;
    expect(ok.isError).toBeFalsy();
    expect(textOf(ok)).toBe('first');
    const second = (await gw.client.callTool({ name: 'changing__second', arguments: {} })) as CallToolResult;
    expect(verdictOf(second)?.ruleId).toBe('integrity.unapproved');
    // Each logged once.
    const logs = logLines(gw);
    expect(logs.filter((l) => /^the shared state store is unavailable/.test(l.msg ?? ''))).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'the shared state store is back; shared state resumes')).toHaveLength(1);
    await closeAll(gw);
  }, 90_000);

  it('lists a tool approved with `tools approve` on every instance at once, without a call', async () => {
    const state = stateOn();
    const [homeA, homeB] = [tempDir(), tempDir()];
    const a = await startGateway(rug(state, false), { home: homeA });
    await expect.poll(() => names(a), { timeout: 20_000 }).toContain('rug__daily_quote');
    const b = await startGateway(rug(state, true), { home: homeB });
    // B's live definition is the pulled one: hidden as changed since it was pinned.
    await waitFor(async () => !(await names(b)).includes('rug__daily_quote') || undefined, 20_000).catch(
      () => undefined,
    );
    await expect.poll(() => names(b), { timeout: 20_000 }).not.toContain('rug__daily_quote');
    const changes = countChanges(b);
    const approve = cli(homeB, 'tools', 'approve', 'rug/daily_quote', '--config', b.configPath);
    expect(approve.stderr).toBe('');
    expect(approve.status).toBe(0);
    await waitFor(() => changes() > 0, 15_000);
    expect(await names(b)).toContain('rug__daily_quote');
    expect(logLines(b).some((l) => l.msg === 'list changed; notifying the client')).toBe(true);
    // The first call B makes is the approved pulled definition.
    const r = (await b.client.callTool({ name: 'rug__daily_quote', arguments: {} })) as CallToolResult;
    expect(textOf(r)).toContain('ok (pulled)');
    // A, whose live definition is the old one, re-checked it too: now it is the changed one there.
    await expect.poll(() => names(a), { timeout: 15_000 }).not.toContain('rug__daily_quote');
    await closeAll(a, b);
  }, 90_000);

  it('refuses as unapproved, never pins, a changed tool of a server that had pins when Redis comes back empty', async () => {
    const state = stateOn();
    const home = tempDir();
    const first = await startGateway(rug(state, false), { home });
    await expect.poll(() => names(first), { timeout: 20_000 }).toContain('rug__daily_quote');
    await closeAll(first);
    expect(fs.existsSync(path.join(home, 'pins-epoch.json'))).toBe(true);
    // Redis restarted without persistence: every key of this deployment is gone.
    redis.cli(
      'EVAL',
      "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end",
      '0',
      `${state.keyPrefix}*`,
    );
    expect(redis.cli('EXISTS', `${state.keyPrefix}pins`)).toBe('0');

    const gw = await startGateway(rug(state, true), { home });
    for (let i = 0; i < 2; i++) {
      const refused = (await gw.client.callTool({ name: 'rug__daily_quote', arguments: {} })) as CallToolResult;
      expect(verdictOf(refused)?.ruleId).toBe('integrity.unapproved');
      expect(textOf(refused)).toMatch(/the shared pin store was reset .*`secure-mcp-gateway tools approve rug`/);
    }
    expect(await names(gw)).toEqual([]);
    // Nothing was pinned for rug, and every instance will know rug needs a person.
    expect(redis.cli('EXISTS', `${state.keyPrefix}pins`)).toBe('0');
    expect(redis.cli('SMEMBERS', `${state.keyPrefix}pins:reset`)).toBe('rug');
    const errors = logLines(gw).filter((l) => /^the shared pin store was reset/.test(l.msg ?? ''));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.level).toBe(50);

    // A person reviews and approves: the tools are listed again (pushed, no call needed).
    const changes = countChanges(gw);
    const approve = cli(home, 'tools', 'approve', 'rug', '--config', gw.configPath);
    expect(approve.status).toBe(0);
    await waitFor(() => changes() > 0, 15_000);
    expect((await names(gw)).sort()).toEqual(['rug__convert_currency', 'rug__daily_quote', 'rug__get_weather']);
    await closeAll(gw);

    // The deliberate reset: needs --yes, then the next list is a first use again, without a reset error.
    expect(cli(home, 'tools', 'reset-pins', '--config', gw.configPath).status).toBe(2);
    const reset = cli(home, 'tools', 'reset-pins', '--yes', '--config', gw.configPath);
    expect(reset.status).toBe(0);
    expect(reset.stdout).toContain(`reset the shared pins at ${redis.url}`);
    const again = await startGateway(rug(state, false), { home });
    await expect.poll(() => names(again), { timeout: 20_000 }).toContain('rug__daily_quote');
    expect(logLines(again).some((l) => /^the shared pin store was reset/.test(l.msg ?? ''))).toBe(false);
    await closeAll(again);
  }, 120_000);

  it('authenticates on host B a key created on host A, and refuses it on A once B revokes it', async () => {
    const state = stateOn();
    const config = { ...identityConfig(), state };
    const [homeA, homeB] = [tempDir(), tempDir()];
    const a = await startServe(config, { home: homeA });
    const b = await startServe(config, { home: homeB });
    try {
      const created = cli(
        homeA,
        'keys',
        'create',
        '--project',
        'one',
        '--user',
        'alice@example.com',
        '--json',
        '--config',
        a.configPath,
      );
      expect(created.stderr).toBe('');
      expect(created.status).toBe(0);
      const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };
      // B's home has no keys.json at all.
      expect(fs.existsSync(path.join(homeB, 'keys.json'))).toBe(false);
      const onB = await httpClient(b.url, key);
      await expect
        .poll(async () => (await onB.client.listTools()).tools.map((t) => t.name), { timeout: 20_000 })
        .toContain('alpha__whoami');
      await onB.client.close();
      // `keys list` on B (with --config) shows it; B revokes it; A refuses it at its next request.
      const listed = cli(homeB, 'keys', 'list', '--config', b.configPath);
      expect(listed.stdout).toContain(id);
      const revoked = cli(homeB, 'keys', 'revoke', id, '--config', b.configPath);
      expect(revoked.stderr).toBe('');
      expect(revoked.stdout).toContain(`gateway key ${id} (alice@example.com, one): revoked`);
      // Published at once; the mirror also reloads every second, so allow that much for the message to land.
      const refusedOn = async (url: string) => {
        const end = Date.now() + 2_000;
        for (;;) {
          const r = await httpClient(url, key).then(
            async (c) => (await c.client.close(), false),
            () => true,
          );
          if (r || Date.now() > end) return r;
          await new Promise((res) => setTimeout(res, 100));
        }
      };
      expect(await refusedOn(a.url)).toBe(true);
      expect(await refusedOn(b.url)).toBe(true);
      expect(a.logs().some((l) => String(l.msg ?? '').includes('revoked'))).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 90_000);
});
