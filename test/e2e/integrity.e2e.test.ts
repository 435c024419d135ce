/**
 * Tool integrity through the real gateway: poisoned tools are never listed and their calls are blocked; after a rug
 * pull mid-session the changed tool disappears and is blocked (integrity.changed) while the others keep working,
 * and an approval restores it; a server with a public key needs a valid signed manifest, and one changed byte in it
 * blocks every tool.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { atLeast } from '../../src/integrity/findings.js';
import { createPinStore } from '../../src/integrity/lockfile.js';
import { createManifest, signManifest } from '../../src/integrity/manifest.js';
import { createPoisoningScanner } from '../../src/integrity/poisoning.js';
import { POISONED_TOOLS } from '../fixtures/poisoned-tools.js';
import { BENIGN, PULLED, STABLE_TOOLS } from '../fixtures/rugpull-tools.js';
import { fixtureServer, startGateway, tempDir, textOf, waitFor } from '../helpers/gateway.js';

describe('tool integrity end to end', () => {
  it('never lists a poisoned tool, and blocks a call to one', async () => {
    const home = tempDir();
    const gw = await startGateway({ servers: { bad: fixtureServer('poisoned-server.ts') } }, { home });
    const scanner = createPoisoningScanner();
    const poisoned = new Set(
      scanner
        .scanTools(POISONED_TOOLS, { server: 'bad' })
        .filter((f) => atLeast(f.severity, 'high'))
        .map((f) => f.tool),
    );
    expect(poisoned.size).toBeGreaterThan(5);
    const listed = (await gw.client.listTools()).tools.map((t) => t.name.replace(/^bad__/, ''));
    expect(listed.length).toBeGreaterThan(0);
    for (const name of listed) expect(poisoned.has(name), name).toBe(false);
    const victim = [...poisoned][0]!;
    const r = await gw.client.callTool({ name: `bad__${victim}`, arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^blocked by parameter check integrity\.poisoned: /);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('blocks a tool that changes mid-session, keeps the others working, and lets an approval restore it', async () => {
    const home = tempDir();
    const gw = await startGateway(
      {
        servers: { rug: { ...fixtureServer('rugpull-server.ts'), env: { RUGPULL_AFTER_CALLS: '1' } } },
        // The pulled definition is also poisoned; warn-only here, so that the pin alone decides.
        integrity: { poisoning: { action: 'warn' } },
      },
      { home },
    );
    let changed = 0;
    gw.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('rug__daily_quote');
    expect(textOf(await gw.client.callTool({ name: 'rug__daily_quote', arguments: {} }))).toBe(
      'daily_quote: ok (benign)',
    );
    // That call was the rug pull's cue: the server now lists a different daily_quote and says so.
    await waitFor(() => changed > 0, 15_000);
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('rug__daily_quote');
    expect(names).toEqual(expect.arrayContaining(STABLE_TOOLS.map((t) => `rug__${t.name}`)));
    const blocked = await gw.client.callTool({ name: 'rug__daily_quote', arguments: {} });
    expect(textOf(blocked)).toMatch(/^blocked by parameter check integrity\.changed: rug tool daily_quote changed/);
    const other = STABLE_TOOLS[0]!.name;
    expect(textOf(await gw.client.callTool({ name: `rug__${other}`, arguments: {} }))).toBe(`${other}: ok (pulled)`);
    const log = fs.readFileSync(path.join(home, 'gateway.log'), 'utf8');
    expect(log).toMatch(/"oldHash":"[0-9a-f]{64}","newHash":"[0-9a-f]{64}"/);

    // A person reviews and approves the new definition (what `tools approve rug/daily_quote` does).
    await createPinStore({ file: path.join(home, 'tools.lock.json') }).approve('rug', [...STABLE_TOOLS, PULLED], {
      tool: 'daily_quote',
    });
    expect(textOf(await gw.client.callTool({ name: 'rug__daily_quote', arguments: {} }))).toBe(
      'daily_quote: ok (pulled)',
    );
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('rug__daily_quote');
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('requires a valid signed manifest where the server has a public key, and one changed byte fails it', async () => {
    const home = tempDir();
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const signed = signManifest(createManifest('rug', { tools: [...STABLE_TOOLS, BENIGN] }), privateKey);
    const file = path.join(home, 'manifests', 'rug.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(signed, null, 2));
    const config = {
      servers: {
        rug: {
          ...fixtureServer('rugpull-server.ts'),
          env: { RUGPULL_AFTER_CALLS: '1000' },
          integrity: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
        },
      },
    };
    const ok = await startGateway(config, { home });
    expect((await ok.client.listTools()).tools).toHaveLength(STABLE_TOOLS.length + 1);
    expect(textOf(await ok.client.callTool({ name: 'rug__daily_quote', arguments: {} }))).toBe(
      'daily_quote: ok (benign)',
    );
    expect((await ok.closeStdin()).code).toBe(0);

    // One byte of one signed hash, changed.
    const text = fs.readFileSync(file, 'utf8');
    const at = text.indexOf(signed.manifest.tools.daily_quote!) + 5;
    fs.writeFileSync(file, text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1));
    const bad = await startGateway(config, { home });
    expect((await bad.client.listTools()).tools).toEqual([]);
    const r = await bad.client.callTool({ name: 'rug__daily_quote', arguments: {} });
    expect(textOf(r)).toMatch(
      /^blocked by parameter check integrity\.unsigned: rug requires a signed manifest: .*rug\.json: /,
    );
    expect((await bad.closeStdin()).code).toBe(0);
  });
});
