/**
 * Shared state on Redis (issue 6, item 5) with TWO real built gateway processes pointing at one real redis-server
 * (test/helpers/redis.ts): they share one rate-limit bucket, one discovery cache and one set of pins; killing Redis
 * mid-test leaves both answering, with rate-limited calls denied (fail closed) for a reason that names the store,
 * and everything resumes once Redis is back.
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
  recorded,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
}, 120_000);
afterAll(async () => {
  await redis?.stop();
});

const verdictOf = (r: CallToolResult) => r._meta?.['secure-mcp-gateway/verdict'] as { ruleId?: string } | undefined;

/** A state section on a key prefix of its own, so that tests never share keys. */
function stateOn(prefix = `e2e${crypto.randomBytes(4).toString('hex')}:`) {
  return { backend: 'redis', url: redis.url, keyPrefix: prefix };
}

/** tricky's echo under a policy with a tool limit: 6 calls at once, then one a minute (no refill during a test). */
function trickyConfig(state: object, record: string, extra: object = {}) {
  return {
    servers: {
      tricky: {
        ...fixtureServer('tricky-server.ts'),
        env: { RECORD_FILE: record },
        toolPolicies: { echo: 'limited' },
      },
      ...extra,
    },
    policies: { limited: { rateLimit: { perMinute: 1, burst: 6 } } },
    state,
  };
}

const echo = (gw: SpawnedGateway, text: string) =>
  gw.client.callTool({ name: 'tricky__echo', arguments: { text } }) as Promise<CallToolResult>;

async function closeAll(...gws: SpawnedGateway[]) {
  for (const gw of gws) {
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  }
}

describe('two gateways on one Redis', () => {
  it('share one rate-limit bucket and one discovery cache', async () => {
    const state = stateOn();
    const [homeA, homeB] = [tempDir(), tempDir()];
    const [recA, recB] = [path.join(homeA, 'rec.jsonl'), path.join(homeB, 'rec.jsonl')];
    // The delay goes through a file that both use: env values are part of the discovery cache key (issue 15), and
    // A and B must run the same server to share its entry.
    const slowFile = path.join(homeA, 'slow-start.json');
    const slow = (delayMs: number) => {
      fs.writeFileSync(slowFile, JSON.stringify({ tools: 'alpha', delayMs }));
      return { slow: { ...fixtureServer('slow-start-server.ts'), env: { SLOW_START_CONFIG: slowFile } } };
    };
    const a = await startGateway(trickyConfig(state, recA, slow(0)), { home: homeA });
    expect((await a.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'slow__alpha',
      'tricky__echo',
      'tricky__fetch_page',
      'tricky__report',
    ]);
    // B has its own home (no cache files) and a slow upstream that takes 30 s to start: its first tools/list can
    // only come from what A discovered.
    const b = await startGateway(trickyConfig(state, recB, slow(30_000)), { home: homeB });
    const listed = await b.client.listTools();
    expect(listed.tools.map((t) => t.name)).toContain('slow__alpha');
    expect(logLines(b).some((l) => l.msg === 'tool lists loaded from the shared discovery cache')).toBe(true);
    expect(fs.existsSync(path.join(homeB, 'cache'))).toBe(true);
    expect(logLines(b).some((l) => l.msg === 'upstream connected' && l.server === 'slow')).toBe(false);

    // 20 calls at once, half through each gateway: the one bucket of 6 lets exactly 6 through in all.
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => echo(i % 2 ? a : b, `call ${i}`)));
    const passed = results.filter((r) => !r.isError);
    expect(passed).toHaveLength(6);
    for (const r of results.filter((x) => x.isError)) {
      expect(verdictOf(r)?.ruleId).toBe('rate-limit.tool');
      expect(textOf(r)).toMatch(/rate limit of 1 calls per minute for tricky tool echo exceeded; retry in \d+ s$/);
    }
    expect(recorded(recA).length + recorded(recB).length).toBe(6);
    // The same input again: the shared bucket is still empty on both.
    expect((await echo(a, 'again')).isError).toBe(true);
    expect((await echo(b, 'again')).isError).toBe(true);
    await closeAll(a, b);

    // `cache clear` removes the shared entries too (for the servers the config names). Three: slow (one identity,
    // shared), and tricky twice, since A's and B's differ in the value of RECORD_FILE (issue 15: env values count).
    expect(redis.cli('KEYS', `${state.keyPrefix}dc:*`).split('\n').filter(Boolean)).toHaveLength(3);
    const cleared = spawnSync(process.execPath, [BIN, 'cache', 'clear', '--config', a.configPath], {
      env: { PATH: process.env.PATH ?? '', HOME: homeA, SMG_HOME: homeA },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(cleared.status).toBe(0);
    expect(cleared.stdout).toContain(`removed 2 shared cache entries from ${redis.url}`);
    // What is left is B's tricky, which A's config does not name.
    expect(redis.cli('KEYS', `${state.keyPrefix}dc:*`).split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('keep answering when Redis dies, deny rate-limited calls naming the store, and resume when it returns', async () => {
    // This is about Redis dying, not Redis being slow: on a loaded 2-core CI machine a live Redis can take longer than
    // the default 500 ms command timeout, which would deny the first call before the kill (rate-limit.unavailable).
    const state = { ...stateOn(), commandTimeoutMs: 5_000 };
    const homes = [tempDir(), tempDir()];
    const [a, b] = await Promise.all(
      homes.map((home) => startGateway(trickyConfig(state, path.join(home, 'rec.jsonl')), { home })),
    );
    for (const gw of [a!, b!]) {
      const before = await echo(gw, 'before');
      expect(before.isError, textOf(before)).toBeFalsy();
    }

    await redis.kill();
    try {
      for (const gw of [a!, b!])
        await waitFor(() => logLines(gw).some((l) => /^the shared state store is unavailable/.test(l.msg ?? '')));
      for (const gw of [a!, b!]) {
        const denied = await echo(gw, 'during');
        expect(verdictOf(denied)?.ruleId).toBe('rate-limit.unavailable');
        expect(textOf(denied)).toContain(
          `the rate limit of tricky tool echo cannot be checked, so the call is denied: the shared state store (Redis at ${redis.url}) is unavailable`,
        );
        // Everything without a rate limit still works: lists, and a call to another tool.
        expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('tricky__echo');
        const report = (await gw.client.callTool({ name: 'tricky__report', arguments: {} })) as CallToolResult;
        expect(textOf(report)).not.toMatch(/rate-limit|unavailable/);
      }
      // Those report calls reached the upstreams.
      for (const home of homes) expect(recorded(path.join(home, 'rec.jsonl')).map((c) => c.tool)).toContain('report');
    } finally {
      await redis.start();
    }
    for (const gw of [a!, b!])
      await waitFor(() => logLines(gw).some((l) => l.msg === 'the shared state store is back; shared state resumes'));
    // A fresh Redis (no persistence): the bucket is full again, shared by both.
    for (const gw of [a!, b!]) {
      const after = await echo(gw, 'after');
      expect(after.isError, textOf(after)).toBeFalsy();
    }
    await closeAll(a!, b!);
  }, 60_000);

  it('share pins: a rug pull pinned by one is blocked on the other until `tools approve` (on the shared pins)', async () => {
    const state = stateOn();
    const rug = (pulled: boolean) => ({
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
    const [homeA, homeB] = [tempDir(), tempDir()];
    const a = await startGateway(rug(false), { home: homeA });
    expect((await a.client.listTools()).tools.map((t) => t.name)).toContain('rug__daily_quote');
    // B starts on the shared discovery cache (A's benign list, which the shared pins accept), but a call is checked
    // against B's live definition, the pulled one: blocked as changed since it was pinned, and then no longer listed.
    const b = await startGateway(rug(true), { home: homeB });
    const blocked = (await b.client.callTool({ name: 'rug__daily_quote', arguments: {} })) as CallToolResult;
    expect(verdictOf(blocked)?.ruleId).toBe('integrity.changed');
    expect((await b.client.listTools()).tools.map((t) => t.name)).not.toContain('rug__daily_quote');
    // Neither gateway wrote a lockfile: the pins are in Redis.
    expect(fs.existsSync(path.join(homeA, 'tools.lock.json'))).toBe(false);
    expect(fs.existsSync(path.join(homeB, 'tools.lock.json'))).toBe(false);

    const approve = spawnSync(
      process.execPath,
      [BIN, 'tools', 'approve', 'rug/daily_quote', '--config', b.configPath],
      {
        env: { PATH: process.env.PATH ?? '', HOME: homeB, SMG_HOME: homeB },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(approve.stderr).not.toMatch(/unavailable/);
    expect(approve.status).toBe(0);
    expect(approve.stdout).toContain('approved rug/daily_quote');
    expect(fs.existsSync(path.join(homeB, 'tools.lock.json'))).toBe(false);
    const pins = JSON.parse(redis.cli('GET', `${state.keyPrefix}pins`)) as {
      servers: { rug: { tools: { daily_quote: { state: string } } } };
    };
    expect(pins.servers.rug.tools.daily_quote.state).toBe('approved');
    // B honours the approval made through the shared pins at its next call.
    const allowed = (await b.client.callTool({ name: 'rug__daily_quote', arguments: {} })) as CallToolResult;
    expect(allowed.isError).toBeFalsy();
    expect(textOf(allowed)).toContain('ok (pulled)');
    await closeAll(a, b);
  }, 60_000);

  it('start with Redis down: pins fail closed, naming the store, and the tools come back on their own when it is up', async () => {
    const state = stateOn();
    const home = tempDir();
    await redis.kill();
    let gw: SpawnedGateway | undefined;
    try {
      gw = await startGateway(trickyConfig(state, path.join(home, 'rec.jsonl')), { home });
      // The pins cannot be read, so no tool of tricky can be checked: none is listed, and a call says why.
      expect((await gw.client.listTools()).tools).toEqual([]);
      const refused = (await gw.client.callTool({ name: 'tricky__echo', arguments: { text: 'x' } })) as CallToolResult;
      expect(verdictOf(refused)?.ruleId).toBe('integrity.failed');
      expect(textOf(refused)).toContain(`the shared state store (Redis at ${redis.url}) is unavailable`);
    } finally {
      await redis.start();
    }
    const g = gw;
    let changed = 0;
    g.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    await waitFor(() => logLines(g).some((l) => l.msg === 'connected to the shared state store'), 15_000);
    // Redis is up: the gateway checks the list again on its own, tells the client, and the tools work.
    await waitFor(() => changed > 0, 15_000);
    expect((await g.client.listTools()).tools.map((t) => t.name)).toContain('tricky__echo');
    expect((await echo(g, 'after')).isError).toBeFalsy();
    expect(redis.cli('EXISTS', `${state.keyPrefix}pins`)).toBe('1');
    await closeAll(g);
  }, 60_000);
});
