/**
 * The integrity core against the integrity fixtures as real processes, over stdio, without the gateway (which wires
 * these pieces in separately): the poisoned server's planted issues are all found on the wire; the rug pull is seen
 * as a changed tool after list_changed, blocked while the others stay pinned, shown by `definitionDiff`, caught by
 * a signed manifest and restored by approval; the growing server's new tool stays hidden in require-approval mode;
 * and the shadowing server is flagged against its neighbours.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { definitionDiff } from '../../src/integrity/diff.js';
import { countBySeverity } from '../../src/integrity/findings.js';
import { toolDefinition } from '../../src/integrity/hash.js';
import { createPinStore } from '../../src/integrity/lockfile.js';
import {
  checkCatalogAgainstManifest,
  createManifest,
  signManifest,
  verifyManifest,
} from '../../src/integrity/manifest.js';
import { createPoisoningScanner } from '../../src/integrity/poisoning.js';
import { PLANTED } from '../fixtures/poisoned-tools.js';
import { OTHER_SERVERS } from '../fixtures/shadowing-tools.js';
import { fixtureServer, tempDir, waitFor } from '../helpers/gateway.js';

interface Connected {
  client: Client;
  changes: () => number;
  tools: () => Promise<Tool[]>;
  text: (name: string) => Promise<string>;
}

const open: Client[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function connect(file: string, env: Record<string, string> = {}): Promise<Connected> {
  const { command, args } = fixtureServer(file);
  const client = new Client({ name: 'integrity-e2e', version: '1.0.0' });
  let changes = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changes++;
  });
  await client.connect(
    new StdioClientTransport({ command, args, env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'ignore' }),
  );
  open.push(client);
  return {
    client,
    changes: () => changes,
    tools: async () => (await client.listTools()).tools,
    text: async (name) => {
      const r = await client.callTool({ name, arguments: {} });
      return (r.content as { text: string }[])[0]!.text;
    },
  };
}

function lockfile(): string {
  const dir = tempDir('smg-integrity-');
  dirs.push(dir);
  return path.join(dir, 'tools.lock.json');
}

const scanner = createPoisoningScanner();

describe('integrity fixtures over stdio', () => {
  it('poisoned-server: every planted issue is found where it was planted, and the clean tool passes', async () => {
    const s = await connect('poisoned-server.ts');
    const tools = await s.tools();
    expect(tools.map((t) => t.name)).toEqual(Object.keys(PLANTED));
    const findings = scanner.scanTools(tools, { server: 'poisoned' });
    const found = new Set(findings.map((f) => `${f.tool}:${f.ruleId}@${f.where}`));
    for (const [tool, planted] of Object.entries(PLANTED)) {
      for (const p of planted) expect(found).toContain(`${tool}:${p.ruleId}@${p.where}`);
    }
    expect(findings.filter((f) => f.tool === 'echo_clean')).toEqual([]);
    expect(countBySeverity(findings)).toEqual({ low: 0, medium: 1, high: 4, critical: 8 });
  });

  it('rugpull-server: the pulled tool is blocked, the others stay, the diff and the manifest show it, approval restores it', async () => {
    const store = createPinStore({ file: lockfile() });
    const s = await connect('rugpull-server.ts');
    const first = await s.tools();
    const pinned = await store.check('rug', first, 'pin-on-first-use');
    expect(pinned.pinned).toEqual(['get_weather', 'convert_currency', 'daily_quote']);
    expect(scanner.scanTools(first)).toEqual([]);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signed = signManifest(createManifest('rug', { tools: first }), privateKey);

    await waitFor(() => s.changes() > 0);
    const second = await s.tools();
    const check = await store.check('rug', second, 'pin-on-first-use');
    expect(check.exposed).toEqual(['get_weather', 'convert_currency']);
    expect(check.hidden).toEqual(['daily_quote']);
    expect(check.tools.find((t) => t.tool === 'daily_quote')).toMatchObject({ status: 'changed' });

    const pin = (await store.read()).servers.rug!.tools.daily_quote!;
    const diff = definitionDiff(pin.definition, toolDefinition(second.find((t) => t.name === 'daily_quote')!));
    expect(diff).toContain('+  "description": "Returns an inspiring quote for the day.\\n<IMPORTANT>');
    expect(diff).toContain('+      "sidenote": {');
    expect(scanner.scanTools(second).map((f) => f.ruleId)).toContain('poisoning.injection');

    const verified = verifyManifest(signed, publicKey, { server: 'rug' });
    expect(verified.ok).toBe(true);
    const statuses = checkCatalogAgainstManifest({ tools: second }, verified.ok ? verified.manifest : signed.manifest);
    expect(statuses.map((x) => `${x.tool}:${x.status}`)).toEqual([
      'get_weather:ok',
      'convert_currency:ok',
      'daily_quote:mismatch',
    ]);

    await store.approve('rug', second, { tool: 'daily_quote', by: 'e2e' });
    expect((await store.check('rug', second, 'pin-on-first-use')).exposed).toEqual([
      'get_weather',
      'convert_currency',
      'daily_quote',
    ]);
  });

  it('rugpull-server with RUGPULL_AFTER_CALLS: serves the pinned tool first, then pulls mid-session', async () => {
    const s = await connect('rugpull-server.ts', { RUGPULL_AFTER_CALLS: '2' });
    const before = await s.tools();
    expect(await s.text('daily_quote')).toBe('daily_quote: ok (benign)');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.changes()).toBe(0);
    expect(await s.text('get_weather')).toBe('get_weather: ok (benign)');
    await waitFor(() => s.changes() > 0);
    expect(await s.text('daily_quote')).toBe('daily_quote: ok (pulled)');
    const after = await s.tools();
    expect(after.find((t) => t.name === 'daily_quote')).not.toEqual(before.find((t) => t.name === 'daily_quote'));
  });

  it('growing-server: the added tool stays hidden until approved in require-approval mode', async () => {
    const store = createPinStore({ file: lockfile() });
    const s = await connect('growing-server.ts');
    const initial = await s.tools();
    await store.approve('grow', initial, { by: 'e2e' });
    expect((await store.check('grow', initial, 'require-approval')).exposed).toEqual(['status', 'grow']);
    expect(await s.text('grow')).toBe('ok grow');
    await waitFor(() => s.changes() > 0);
    const grown = await s.tools();
    const check = await store.check('grow', grown, 'require-approval');
    expect(check.exposed).toEqual(['status', 'grow']);
    expect(check.hidden).toEqual(['export_data']);
    expect(check.serverChanged).toBe(true);
    expect(scanner.scanTools(grown)).toEqual([]);
  });

  it('shadowing-server: the cross-server instruction and the typosquat are flagged against its neighbours', async () => {
    const s = await connect('shadowing-server.ts');
    const findings = scanner.scanTools(await s.tools(), { server: 'shadowing', others: OTHER_SERVERS });
    expect(findings.map((f) => `${f.severity} ${f.ruleId} ${f.tool}`).sort()).toEqual([
      'high poisoning.cross-server-reference add_numbers',
      'high poisoning.shadowing add_numbers',
      'high poisoning.typosquat read_flle',
    ]);
  });
});
