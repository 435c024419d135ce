/**
 * The discovery cache across restarts of the real gateway: the first tools/list after start-up is answered from
 * the cache while the upstream is still starting, list_changed follows when the live list differs, and
 * `cache clear` forgets everything. Also: a signal stops the gateway as cleanly as stdin EOF does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { spawnSync } from 'node:child_process';
import { BIN, alive, fixtureServer, processTree, startGateway, tempDir, waitFor } from '../helpers/gateway.js';

/**
 * The tools and the start-up delay go through a file in the test's home, not the env: env values are part of the
 * cache key, and these tests run the SAME server (one cache entry) whose live list changes between runs.
 */
function config(home: string, tools: string, delayMs: number) {
  const file = path.join(home, 'slow-start.json');
  fs.writeFileSync(file, JSON.stringify({ tools, delayMs }));
  return {
    servers: {
      slow: { ...fixtureServer('slow-start-server.ts'), env: { SLOW_START_CONFIG: file } },
    },
    // These tests change the server's tool set between runs on purpose; under the default pin-on-first-use the added
    // tools would wait for approval (tested in test/attack). Pins are not what is tested here.
    integrity: { mode: 'off' },
  };
}

describe('discovery cache', () => {
  it('answers the first tools/list from the cache and sends list_changed when the live list differs', async () => {
    const home = tempDir();
    const first = await startGateway(config(home, 'alpha', 0), { home });
    expect((await first.client.listTools()).tools.map((t) => t.name)).toEqual(['slow__alpha']);
    expect((await first.closeStdin()).code).toBe(0);
    // One discovery cache file, and the poisoning scan results of its list.
    expect(
      fs
        .readdirSync(path.join(home, 'cache'))
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual([expect.stringMatching(/^[0-9a-f]+\.json$/), 'poisoning.json']);

    // Same identity (the same config), different live tools, and an upstream that takes 2 s to start.
    const second = await startGateway(config(home, 'alpha,beta', 2000), { home });
    let changed = 0;
    second.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const cached = await second.client.listTools();
    expect(cached.tools.map((t) => t.name)).toEqual(['slow__alpha']);
    // The upstream had not even started when that answer came: it came from the cache.
    expect(second.stderr()).not.toContain('"msg":"upstream connected"');

    await waitFor(() => changed > 0, 20_000);
    expect((await second.client.listTools()).tools.map((t) => t.name)).toEqual(['slow__alpha', 'slow__beta']);
    const r = await second.client.callTool({ name: 'slow__beta', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'beta' }]);
    expect((await second.closeStdin()).code).toBe(0);
  });

  it('waits for the live list when the cache is empty, and `cache clear` empties it', async () => {
    const home = tempDir();
    const first = await startGateway(config(home, 'alpha', 0), { home });
    await first.client.listTools();
    await first.closeStdin();

    const cleared = spawnSync(BIN, ['cache', 'clear'], { env: { ...process.env, SMG_HOME: home }, encoding: 'utf8' });
    expect(cleared.status).toBe(0);
    // The discovery cache file and the poisoning scan cache.
    expect(cleared.stdout).toMatch(/removed 2 cache files/);

    const second = await startGateway(config(home, 'gamma', 1000), { home });
    expect((await second.client.listTools()).tools.map((t) => t.name)).toEqual(['slow__gamma']);
    expect(second.stderr()).toContain('"msg":"upstream connected"');
    expect((await second.closeStdin()).code).toBe(0);
  });

  it('ignores a corrupt cache file and rewrites it', async () => {
    const home = tempDir();
    const first = await startGateway(config(home, 'alpha', 0), { home });
    await first.client.listTools();
    await first.closeStdin();
    const [file] = fs.readdirSync(path.join(home, 'cache')).filter((f) => /^[0-9a-f]+\.json$/.test(f));
    fs.writeFileSync(path.join(home, 'cache', file!), '{"version": 1, "tools": "oops"');

    const second = await startGateway(config(home, 'alpha', 0), { home });
    expect((await second.client.listTools()).tools.map((t) => t.name)).toEqual(['slow__alpha']);
    await second.closeStdin();
    expect(second.stderr()).toContain('ignoring a corrupt discovery cache file');
    expect(JSON.parse(fs.readFileSync(path.join(home, 'cache', file!), 'utf8'))).toMatchObject({ version: 2 });
  });
});

describe('signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: exits 0 and leaves no child process behind', async (signal) => {
    const home = tempDir();
    const gw = await startGateway(config(home, 'alpha', 0), { home });
    await gw.client.listTools();
    const children = processTree(gw.proc.pid!);
    expect(children.length).toBeGreaterThan(0);
    gw.proc.kill(signal);
    const { code } = await gw.exited;
    expect(code).toBe(0);
    await waitFor(() => children.every((pid) => !alive(pid)), 3000);
    expect(gw.stderr()).toContain(`"reason":"${signal}"`);
  });
});
