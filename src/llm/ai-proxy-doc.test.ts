/**
 * docs/ai-proxy.md against the code, so that the page cannot rot: every ```json block of it parses, every one that is
 * a config loads with no problem (references resolved from a test environment), the quick start's config answers a
 * chat and lists its deployments, and the tool-call example blocks `rm -rf /` with the rule id the page names. The
 * configs run as written, with only their providers pointed at the in-test fake provider (and, for the tool-call
 * example, a role that may use its deployment, which the page leaves to the quick start). The errors table is held
 * against wire-errors.ts: each refusal's status and its OpenAI and Anthropic types are on one row.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import type { Principal } from '../pipeline/types.js';
import { startFakeLlmProvider, type FakeLlmProvider } from '../../test/fixtures/fake-llm-provider.js';
import { readmeItems } from '../../test/helpers/readme-lines.js';
import { LlmProxy } from './proxy.js';
import { errorObject, refusal, type RefusalKind } from './wire-errors.js';

const DOC = path.join(import.meta.dirname, '../../docs/ai-proxy.md');
const ENV = { OPENAI_API_KEY: 'sk-doc-openai', ANTHROPIC_API_KEY: 'sk-ant-doc' };
const KEY = 'sk-doc-fake';
const ANA: Principal = { user: 'ana@example.com', project: 'web', role: 'dev', keyId: 'k1' };

type Json = Record<string, unknown>;
const blocks = readmeItems(fs.readFileSync(DOC, 'utf8')).filter((i) => i.kind === 'json');
const configs = blocks.map((b) => JSON.parse(b.text) as Json).filter((j) => 'llm' in j || 'servers' in j);
const quickStart = configs.find((c) => 'memberships' in c)!;
const toolCallExample = configs.find((c) => JSON.stringify(c).includes('"toolCalls"'))!;

let fake: FakeLlmProvider;
const servers: http.Server[] = [];

beforeAll(async () => {
  fake = await startFakeLlmProvider({ apiKey: KEY });
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  await fake.close();
});

/** The config with each provider pointed at the fake one, in the API its kind speaks. */
function onFake(config: Json, extra: Json = {}): string {
  const llm = config.llm as { providers: Record<string, { kind: string }> };
  const providers = Object.fromEntries(
    Object.entries(llm.providers).map(([name, p]) => [
      name,
      p.kind === 'anthropic'
        ? { kind: 'anthropic', baseUrl: fake.url, apiKey: KEY }
        : { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: KEY },
    ]),
  );
  return JSON.stringify({ ...config, ...extra, llm: { ...llm, providers } });
}

async function proxyFor(configText: string): Promise<string> {
  const proxy = new LlmProxy({
    loaded: parseConfig(configText, '/etc/smg/config.json', ENV),
    log: silentLogger(),
    maxBodyBytes: 1 << 20,
  });
  const server = http.createServer((req, res) => void proxy.handle(req, res, ANA));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function chat(base: string, body: Json): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Json };
}

describe('docs/ai-proxy.md', () => {
  it('has configs for the quick start and the tool-call example, and every JSON block parses', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(quickStart).toBeDefined();
    expect(toolCallExample).toBeDefined();
  });

  it.each(configs.map((c, i) => [i, c] as const))('config block %i loads with every reference resolved', (_i, c) => {
    const loaded = parseConfig(JSON.stringify(c), '/etc/smg/config.json', ENV);
    expect(loaded.llmProblems).toEqual([]);
  });

  it('answers the quick start’s chat and lists its deployments for the role', async () => {
    const base = await proxyFor(onFake(quickStart));
    for (let i = 0; i < 2; i++) {
      const r = await chat(base, { model: 'gpt-fast', messages: [{ role: 'user', content: 'Hello' }] });
      expect(r.status).toBe(200);
      expect(r.body.secure_mcp_gateway_detections).toEqual([]);
    }
    const models = (await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id).sort()).toEqual(['claude-fast', 'gpt-fast']);
  });

  it('blocks the model’s `rm -rf /` with the rule the page names, and lets an allowed command through', async () => {
    const base = await proxyFor(onFake(toolCallExample, { roles: { dev: { deployments: ['*'] } } }));
    const ask = { model: 'gpt-agent', messages: [{ role: 'user', content: 'Tidy up.' }] };
    for (let i = 0; i < 2; i++) {
      fake.enqueue({ text: '', toolCalls: [{ name: 'run', arguments: '{"command":"rm -rf /"}' }] });
      const r = await chat(base, ask);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        type: 'secure_mcp_gateway_blocked',
        code: 'args.command.program-not-allowed',
      });
    }
    fake.enqueue({ text: '', toolCalls: [{ name: 'run', arguments: '{"command":"git status"}' }] });
    expect((await chat(base, ask)).status).toBe(200);
  });

  /** Each kind of refusal, with the statuses it is sent with (a provider failure: 502, or the provider's 429/504). */
  const KINDS: [RefusalKind, number[]][] = [
    ['invalid', [400, 405]],
    ['blocked', [400]],
    ['auth', [401]],
    ['forbidden', [403]],
    ['not-found', [404]],
    ['too-large', [413]],
    ['limited', [429]],
    ['provider', [502, 429, 504]],
    ['unavailable', [503, 500]],
  ];
  const errorRows = fs
    .readFileSync(DOC, 'utf8')
    .split('\n')
    .filter((l) => /^\| \d{3} +\|/.test(l));

  it.each(KINDS)('lists the %s refusal with its status and both types in the errors table', (kind, statuses) => {
    const openai = errorObject('openai', refusal(kind, 'x')).type as string;
    const anthropic = errorObject('anthropic', refusal(kind, 'x')).type as string;
    for (const status of statuses) {
      const rows = errorRows.filter((r) => r.startsWith(`| ${status} `));
      expect(rows.some((r) => r.includes(`\`${openai}\``) && r.includes(`\`${anthropic}\``))).toBe(true);
    }
  });
});
