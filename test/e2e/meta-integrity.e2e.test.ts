/**
 * Issue 15, classes 11 and 2, through the built gateway: a tool whose only change is its `_meta` is a rug pull
 * (hidden, its calls blocked as integrity.changed, and `tools diff` shows the `_meta` change); a tool that hides an
 * instruction in its `_meta` is never listed (integrity.poisoned); and pins made by a gateway that did not hash
 * `_meta` (hash version 1) keep working and are re-pinned with the current version.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/integrity/canonical.js';
import { serverHashOf, toolDefinitionAt, toolHashAt } from '../../src/integrity/hash.js';
import { BIN, fixtureServer, startGateway, tempDir, textOf, waitFor } from '../helpers/gateway.js';

const meta = (mode: string, extra: Record<string, string> = {}) => ({
  ...fixtureServer('meta-server.ts'),
  env: { META_MODE: mode, ...extra },
});

describe('_meta is part of a tool definition', () => {
  it('blocks a tool whose only change is its _meta as integrity.changed, and `tools diff` shows the change', async () => {
    const home = tempDir();
    const gw = await startGateway({ servers: { meta: meta('rugpull') } }, { home });
    let changed = 0;
    gw.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    // The server changes daily_quote's _meta, and nothing else, right after it answers the gateway's first
    // tools/list, which pins both tools. The client's first list comes before or after the gateway has re-listed
    // and seen the change (its upstream starts early, issue 21), so it shows both tools or only get_weather; the
    // log below says the change came after the pin either way.
    const first = (await gw.client.listTools()).tools.map((t) => t.name).sort();
    expect([['meta__daily_quote', 'meta__get_weather'], ['meta__get_weather']]).toContainEqual(first);
    if (first.length === 2) await waitFor(() => changed > 0, 15_000);
    const logFile = path.join(home, 'gateway.log');
    await waitFor(
      () => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('changed since it was pinned'),
      15_000,
    );
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toEqual(['meta__get_weather']);
    for (let i = 0; i < 2; i++) {
      const blocked = await gw.client.callTool({ name: 'meta__daily_quote', arguments: {} });
      expect(blocked.isError).toBe(true);
      expect(textOf(blocked)).toMatch(/^blocked by parameter check integrity\.changed: meta tool daily_quote changed/);
    }
    expect(textOf(await gw.client.callTool({ name: 'meta__get_weather', arguments: {} }))).toBe('get_weather: ok');
    expect((await gw.closeStdin()).code).toBe(0);

    // A person reviews it: the diff names the _meta change.
    const config = path.join(home, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ servers: { meta: meta('rugpull', { META_PULLED: '1' }) } }));
    const diff = spawnSync(process.execPath, [BIN, 'tools', 'diff', 'meta/daily_quote', '--config', config], {
      env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(diff.status).toBe(1);
    expect(diff.stdout).toContain('"_meta"');
    expect(diff.stdout).toMatch(/^-.*"template": "ui:\/\/quote\/card\.html"$/m);
    expect(diff.stdout).toMatch(/^\+.*"template": "ui:\/\/quote\/card-v2\.html"$/m);
  });

  it('never lists a tool that hides an instruction in its _meta, and blocks a call to it', async () => {
    const gw = await startGateway({ servers: { meta: meta('poisoned') } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toEqual(['meta__get_weather']);
    for (let i = 0; i < 2; i++) {
      const r = await gw.client.callTool({ name: 'meta__daily_quote', arguments: { topic: 'x' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/^blocked by parameter check integrity\.poisoned: .*_meta\["io\.example\/hint"\]/);
    }
    expect(textOf(await gw.client.callTool({ name: 'meta__get_weather', arguments: {} }))).toBe('get_weather: ok');
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('keeps serving tools pinned by an older gateway (hash version 1), and re-pins them with the current version', async () => {
    const home = tempDir();
    // The tools as meta-server lists them in static mode, pinned the way a gateway before issue 15 did.
    const listed: Tool[] = [
      {
        name: 'get_weather',
        description: 'Returns the current weather for a city.',
        inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
      },
      {
        name: 'daily_quote',
        description: 'Returns an inspiring quote for the day.',
        inputSchema: { type: 'object', properties: { topic: { type: 'string' } } },
        _meta: { 'io.example/ui': { template: 'ui://quote/card.html' } },
      },
    ];
    const tools = Object.fromEntries(
      listed.map((t) => [
        t.name,
        {
          hash: toolHashAt(t, 1),
          definition: toolDefinitionAt(t, 1),
          firstSeen: '2025-06-01T00:00:00.000Z',
          state: 'pinned',
        },
      ]),
    );
    const lockfile = path.join(home, 'tools.lock.json');
    fs.writeFileSync(
      lockfile,
      canonicalJson(
        {
          version: 1,
          servers: {
            meta: {
              serverHash: serverHashOf(Object.values(tools).map((t) => t.hash)),
              updatedAt: '2025-06-01T00:00:00.000Z',
              tools,
            },
          },
        },
        2,
      ),
    );
    const gw = await startGateway({ servers: { meta: meta('static') } }, { home });
    expect((await gw.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'meta__daily_quote',
      'meta__get_weather',
    ]);
    expect(textOf(await gw.client.callTool({ name: 'meta__daily_quote', arguments: {} }))).toBe('daily_quote: ok');
    expect((await gw.closeStdin()).code).toBe(0);
    const lock = JSON.parse(fs.readFileSync(lockfile, 'utf8')) as {
      servers: { meta: { tools: Record<string, { hashVersion?: number; definition: Record<string, unknown> }> } };
    };
    expect(lock.servers.meta.tools.daily_quote!.hashVersion).toBe(2);
    expect(lock.servers.meta.tools.daily_quote!.definition._meta).toEqual({
      'io.example/ui': { template: 'ui://quote/card.html' },
    });
    expect(lock.servers.meta.tools.get_weather!.hashVersion).toBe(2);
  });
});
