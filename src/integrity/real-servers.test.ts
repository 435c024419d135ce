/**
 * No false alarms on real servers (issue 5, "Tests"): the tool lists of @modelcontextprotocol/server-everything,
 * server-filesystem and server-memory (devDependencies), fetched over stdio from the real processes, must give the
 * poisoning scanner nothing high or critical, each scanned with the other two as its neighbours, prompts and
 * resource templates included; and their hashes must not churn between two runs of the same server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Prompt, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLeast } from './findings.js';
import { serverHash, toolHash } from './hash.js';
import { createPoisoningScanner, type PoisoningFinding } from './poisoning.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entry = (name: string): string =>
  path.join(ROOT, 'node_modules/@modelcontextprotocol', `server-${name}`, 'dist/index.js');

interface Listed {
  tools: Tool[];
  prompts: Prompt[];
  resourceTemplates: ResourceTemplate[];
}

let dir: string;

async function list(name: string): Promise<Listed> {
  const args =
    name === 'filesystem' ? [entry(name), dir] : name === 'everything' ? [entry(name), 'stdio'] : [entry(name)];
  const client = new Client({ name: 'integrity-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args,
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') },
      stderr: 'ignore',
    }),
  );
  try {
    const caps = client.getServerCapabilities() ?? {};
    return {
      tools: (await client.listTools()).tools,
      prompts: caps.prompts ? (await client.listPrompts()).prompts : [],
      resourceTemplates: caps.resources ? (await client.listResourceTemplates()).resourceTemplates : [],
    };
  } finally {
    await client.close();
  }
}

const NAMES = ['everything', 'filesystem', 'memory'] as const;
const listed = new Map<string, Listed>();
const again = new Map<string, Listed>();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-real-'));
  const runs = await Promise.all([...NAMES, ...NAMES].map((n) => list(n)));
  NAMES.forEach((n, i) => {
    listed.set(n, runs[i]!);
    again.set(n, runs[i + NAMES.length]!);
  });
}, 30_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('no false alarms on the reference servers', () => {
  const scanner = createPoisoningScanner();

  function scanServer(name: string): PoisoningFinding[] {
    const own = listed.get(name)!;
    const others = NAMES.filter((n) => n !== name).map((n) => ({
      server: n,
      tools: listed.get(n)!.tools.map((t) => t.name),
    }));
    const ctx = { server: name, others };
    return [
      ...scanner.scanTools(own.tools, ctx),
      ...own.prompts.flatMap((p) => scanner.scanPrompt(p, ctx)),
      ...own.resourceTemplates.flatMap((t) => scanner.scanResourceTemplate(t, ctx)),
    ];
  }

  it.each(NAMES)('server-%s lists tools and gets nothing high or critical', (name) => {
    expect(listed.get(name)!.tools.length).toBeGreaterThan(5);
    const findings = scanServer(name);
    expect(findings.filter((f) => atLeast(f.severity, 'high'))).toEqual([]);
    // Today they get nothing at all; a low or medium finding that appears with a new release is reviewed here.
    expect(findings).toEqual([]);
  });

  it.each(NAMES)('server-%s hashes the same on a second run', (name) => {
    const a = listed.get(name)!;
    const b = again.get(name)!;
    expect(serverHash(b)).toBe(serverHash(a));
    expect(b.tools.map(toolHash)).toEqual(a.tools.map(toolHash));
  });
});
