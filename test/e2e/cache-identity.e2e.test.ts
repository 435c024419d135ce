/**
 * Issue 15, class 5, through the built gateway: the discovery cache is keyed by a server's whole identity, so two
 * servers with the same launcher and different env values keep their own tool lists across a restart; and a cached
 * list never pins anything, so a foreign list planted under a server's key is never listed and never pinned: the
 * live list decides.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { serverIdentityKey } from '../../src/upstream/discovery-cache.js';
import { fixtureServer, startGateway, tempDir, textOf } from '../helpers/gateway.js';

/** Two servers with the same command and args; only the value of TOOLSET differs (as two tokens would). */
function config(delayMs: number) {
  const launcher = fixtureServer('env-tools-server.ts');
  return {
    servers: {
      work: { ...launcher, env: { TOOLSET: 'work_issues,work_repos', STARTUP_DELAY_MS: String(delayMs) } },
      home: { ...launcher, env: { TOOLSET: 'home_notes', STARTUP_DELAY_MS: String(delayMs) } },
    },
  };
}

const names = async (gw: Awaited<ReturnType<typeof startGateway>>) =>
  (await gw.client.listTools()).tools.map((t) => t.name).sort();

describe('the discovery cache keeps servers apart', () => {
  it('gives two servers with the same launcher and different env values their own lists, across a restart', async () => {
    const home = tempDir();
    const first = await startGateway(config(1500), { home });
    expect(await names(first)).toEqual(['home__home_notes', 'work__work_issues', 'work__work_repos']);
    expect((await first.closeStdin()).code).toBe(0);
    const entries = fs.readdirSync(path.join(home, 'cache')).filter((f) => /^[0-9a-f]{32}\.json$/.test(f));
    expect(entries).toHaveLength(2);
    // No env value reaches the cache files.
    for (const f of entries) expect(fs.readFileSync(path.join(home, 'cache', f), 'utf8')).not.toContain('TOOLSET');

    // The restart: the upstreams take 1.5 s to start, so the first list comes from the cache, and it is right.
    const second = await startGateway(config(1500), { home });
    expect(await names(second)).toEqual(['home__home_notes', 'work__work_issues', 'work__work_repos']);
    expect(second.stderr()).not.toContain('"msg":"upstream connected"');
    // Pinned on first use from the live lists, so nothing is refused as unapproved.
    expect(textOf(await second.client.callTool({ name: 'work__work_repos', arguments: {} }))).toBe(
      'work_repos from work_issues,work_repos',
    );
    expect(textOf(await second.client.callTool({ name: 'home__home_notes', arguments: {} }))).toBe(
      'home_notes from home_notes',
    );
    const lock = JSON.parse(fs.readFileSync(path.join(home, 'tools.lock.json'), 'utf8')) as {
      servers: Record<string, { tools: Record<string, unknown> }>;
    };
    expect(Object.keys(lock.servers.work!.tools).sort()).toEqual(['work_issues', 'work_repos']);
    expect(Object.keys(lock.servers.home!.tools)).toEqual(['home_notes']);
    expect((await second.closeStdin()).code).toBe(0);
  });

  it('pins nothing from a poisoned cache file: the live list decides', async () => {
    const home = tempDir();
    const cfg = config(1500);
    // A foreign list planted under the right key before the first run (another server's tools, and one more).
    const resolved = parseConfig(JSON.stringify(cfg), path.join(home, 'config.json'), {}).servers;
    const work = resolved.find((s) => s.name === 'work')!;
    const key = serverIdentityKey(work, 'default');
    const planted = [
      { name: 'home_notes', description: 'Works on the home notes.', inputSchema: { type: 'object' } },
      { name: 'delete_everything', description: 'Deletes everything.', inputSchema: { type: 'object' } },
    ];
    fs.mkdirSync(path.join(home, 'cache'), { recursive: true });
    fs.writeFileSync(
      path.join(home, 'cache', `${key}.json`),
      JSON.stringify({
        version: 2,
        key,
        server: 'work',
        project: 'default',
        savedAt: Date.now(),
        catalog: { tools: planted, resources: [], resourceTemplates: [], prompts: [] },
      }),
    );

    const gw = await startGateway(cfg, { home });
    const firstList = await names(gw);
    expect(firstList).not.toContain('work__delete_everything');
    expect(firstList).not.toContain('work__home_notes');
    // The live lists arrive and are pinned; the planted tools never are.
    for (let i = 0; i < 80 && !(await names(gw)).includes('work__work_repos'); i++)
      await new Promise((r) => setTimeout(r, 250));
    expect(await names(gw)).toEqual(['home__home_notes', 'work__work_issues', 'work__work_repos']);
    const call = await gw.client.callTool({ name: 'work__delete_everything', arguments: {} }).catch((e: Error) => e);
    expect(call instanceof Error ? call.message : textOf(call)).toMatch(/Unknown tool|blocked/);
    const lock = JSON.parse(fs.readFileSync(path.join(home, 'tools.lock.json'), 'utf8')) as {
      servers: Record<string, { tools: Record<string, unknown> }>;
    };
    expect(Object.keys(lock.servers.work!.tools).sort()).toEqual(['work_issues', 'work_repos']);
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
