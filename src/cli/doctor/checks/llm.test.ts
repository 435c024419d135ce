import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { resolvePaths } from '../../../config/paths.js';
import { startFakeLlmProvider, type FakeLlmProvider } from '../../../../test/fixtures/fake-llm-provider.js';
import type { CheckResult, DoctorContext } from '../types.js';
import { referencesCheck } from './references.js';
import { isLoopbackHost, llmCheck, modelsUrl, plainHttpHost } from './llm.js';

const KEY = 'sk-doctor-right-key-0123456789';
const WRONG = 'sk-doctor-wrong-key-9876543210';

function context(config: Record<string, unknown>, env: NodeJS.ProcessEnv): DoctorContext {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-llm-'));
  const paths = resolvePaths({}, { SMG_HOME: home });
  fs.writeFileSync(paths.config, JSON.stringify({ servers: {}, ...config }));
  return {
    paths,
    env,
    catalog: {},
    loaded: () => ({ loaded: loadConfig(paths.config, env) }),
    catalogs: () => Promise.resolve([]),
  };
}

const team = {
  users: { 'ana@example.com': {} },
  projects: { web: { servers: [] } },
  roles: { dev: { deployments: ['gpt-*'] }, ops: { deployments: ['*'] } },
  memberships: { web: { 'ana@example.com': 'dev' } },
};

/** Runs the check twice on the same config: the same lines both times (times aside), and never the key. */
async function runTwice(ctx: DoctorContext): Promise<CheckResult[]> {
  const strip = (rs: CheckResult[]) => rs.map(({ ms: _ms, ...r }) => r);
  const first = await llmCheck.run(ctx);
  const second = await llmCheck.run(ctx);
  expect(strip(second)).toEqual(strip(first));
  for (const secret of [KEY, WRONG]) expect(JSON.stringify(first)).not.toContain(secret);
  return strip(first);
}

describe('doctor: AI proxy', () => {
  let fake: FakeLlmProvider;
  let closedPort: number;
  beforeAll(async () => {
    fake = await startFakeLlmProvider({ apiKey: KEY });
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    closedPort = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
  });
  afterAll(() => fake.close());

  const llm = (baseUrl: (url: string) => string, kind = 'openai-compatible') => ({
    providers: { p: { kind, baseUrl: baseUrl(fake.url), apiKey: '${env:FAKE_KEY}' } },
    deployments: {
      'gpt-fast': { provider: 'p', model: 'gpt-4o-mini', fallbacks: ['backup'] },
      backup: { provider: 'p', model: 'gpt-4o', input: 'default' },
    },
  });

  it('is ok and says so when llm has no deployments', async () => {
    expect(await runTwice(context({}, {}))).toEqual([
      { status: 'ok', subject: 'AI proxy', detail: 'no deployments (off)' },
    ]);
  });

  it.each([
    [
      'openai-compatible',
      (u: string) => `${u}/v1`,
      KEY,
      'ok',
      /^http:\/\/127\.0\.0\.1:\d+\/v1 reachable, key accepted \(\d+ models listed\)$/,
    ],
    ['anthropic', (u: string) => u, KEY, 'ok', /reachable, key accepted/],
    ['openai-compatible', (u: string) => `${u}/v1`, WRONG, 'fail', /refuses the key \(HTTP 401\)$/],
    ['anthropic', (u: string) => u, WRONG, 'fail', /refuses the key \(HTTP 401\)$/],
  ])('a %s provider with key %s is %s', async (kind, base, key, status, detail) => {
    const results = await runTwice(context({ ...team, llm: llm(base, kind) }, { FAKE_KEY: key }));
    const provider = results.find((r) => r.subject === 'AI provider p')!;
    expect(provider).toMatchObject({ status, detail: expect.stringMatching(detail) });
    if (status === 'fail') expect(provider.fix).toMatch(/^check the key that llm\.providers\.p\.apiKey refers to/);
    expect(results.filter((r) => r.subject.startsWith('deployment'))).toEqual([
      {
        status: status === 'ok' ? 'ok' : 'warn',
        subject: 'deployment gpt-fast',
        detail: expect.stringMatching(
          /^p\/gpt-4o-mini; input policy default, output policy default; roles: dev, ops(; its provider failed its check)?$/,
        ) as string,
        ...(status === 'ok' ? {} : { fix: 'see AI provider p above' }),
      },
      {
        status: status === 'ok' ? 'ok' : 'warn',
        subject: 'deployment backup',
        detail: expect.stringMatching(/^p\/gpt-4o; input policy default, output policy default; roles: ops/) as string,
        ...(status === 'ok' ? {} : { fix: 'see AI provider p above' }),
      },
    ]);
    expect(results.some((r) => r.subject === 'AI proxy access')).toBe(false);
  });

  it('names a closed port as unreachable', async () => {
    const results = await runTwice(
      context({ ...team, llm: llm(() => `http://127.0.0.1:${closedPort}/v1`) }, { FAKE_KEY: KEY }),
    );
    expect(results[0]).toMatchObject({
      status: 'fail',
      subject: 'AI provider p',
      detail: `http://127.0.0.1:${closedPort}/v1 unreachable: ECONNREFUSED`,
      fix: expect.stringMatching(/^check llm\.providers\.p\.baseUrl and the network/) as string,
    });
  });

  it.each([
    [{ status: 500 }, 'fail', /answered HTTP 500$/],
    [{ status: 429 }, 'warn', /is rate-limiting this key now \(HTTP 429\)$/],
    [{ status: 404 }, 'warn', /does not list models \(HTTP 404\), so the key was not checked$/],
    [{ delayMs: 1000 }, 'fail', /unreachable: no answer within 200 ms$/],
  ])('reports a provider that answers %j as %s', async (script, status, detail) => {
    const config = llm((u) => `${u}/v1`);
    const ctx = context(
      { ...team, llm: { ...config, providers: { p: { ...config.providers.p, timeoutMs: 200 } } } },
      { FAKE_KEY: KEY },
    );
    fake.enqueue(script);
    fake.enqueue(script);
    const results = await runTwice(ctx);
    expect(results[0]).toMatchObject({ status, subject: 'AI provider p', detail: expect.stringMatching(detail) });
  });

  it('names an unresolved reference by its path with the fix, and what it costs, as warnings', async () => {
    const ctx = context({ ...team, llm: llm((u) => `${u}/v1`) }, {});
    const results = await runTwice(ctx);
    expect(results[0]).toEqual({
      status: 'warn',
      subject: 'AI provider p',
      detail:
        'AI provider "p" is unavailable (deployments gpt-fast, backup fail): at llm.providers.p.apiKey: environment variable FAKE_KEY is not set (referenced as ${env:FAKE_KEY})',
      fix: 'set FAKE_KEY in the environment the client starts the gateway with (its "env" entry), or use ${file:…}',
    });
    expect(results[1]).toMatchObject({
      status: 'warn',
      subject: 'deployment gpt-fast',
      detail: expect.stringMatching(/; its provider is unavailable, so every request to it fails$/) as string,
    });
    // The references check says the same, as a warning: the gateway starts without this provider.
    expect(await referencesCheck.run(ctx)).toEqual([
      expect.objectContaining({ status: 'warn', detail: expect.stringMatching(/^at llm\.providers\.p\.apiKey: /) }),
    ]);
  });

  it.each([
    [{}, [/^no role may use any deployment/, /^llm has deployments but the config has no users/]],
    [{ ...team, roles: { dev: { deployments: ['claude-*'] } } }, [/^no role may use any deployment/]],
    [{ roles: team.roles }, [/^llm has deployments but the config has no users/]],
  ])('warns when nobody can use the proxy (%j)', async (identity, details) => {
    const results = await runTwice(context({ ...identity, llm: llm((u) => `${u}/v1`) }, { FAKE_KEY: KEY }));
    expect(results.filter((r) => r.subject === 'AI proxy access')).toEqual(
      details.map((detail): unknown =>
        expect.objectContaining({ status: 'warn', detail: expect.stringMatching(detail) }),
      ),
    );
  });

  it('warns about a key written in the config, and never prints it', async () => {
    const results = await runTwice(
      context(
        {
          ...team,
          llm: {
            providers: { own: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: KEY } },
            deployments: { 'gpt-own': { provider: 'own', model: 'm' } },
          },
        },
        {},
      ),
    );
    expect(results.slice(0, 2)).toEqual([
      expect.objectContaining({ status: 'warn', detail: 'llm.providers.own.apiKey is written in the config itself' }),
      expect.objectContaining({ status: 'ok', detail: expect.stringMatching(/reachable, key accepted/) }),
    ]);
  });

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['[::1]', true],
    ['api.localhost', true],
    ['10.0.0.5', false],
    ['api.openai.com', false],
  ])('host %s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it.each([
    ['http://10.0.0.5:8000/v1', '10.0.0.5'],
    ['http://ollama.internal/v1', 'ollama.internal'],
    ['http://127.0.0.1:11434/v1', undefined],
    ['https://api.example.com/v1', undefined],
    [undefined, undefined],
  ])('a baseUrl %s sends the key in clear to %s', (url, host) => {
    expect(plainHttpHost(url)).toBe(host);
  });

  it.each([
    [{ kind: 'openai' as const }, 'https://api.openai.com/v1/models'],
    [{ kind: 'anthropic' as const }, 'https://api.anthropic.com/v1/models'],
    [{ kind: 'openai-compatible' as const, baseUrl: 'http://127.0.0.1:11434/v1/' }, 'http://127.0.0.1:11434/v1/models'],
    [
      { kind: 'azure-openai' as const, baseUrl: 'https://r.openai.azure.com', apiVersion: '2024-10-21' },
      'https://r.openai.azure.com/openai/models?api-version=2024-10-21',
    ],
  ])('lists models of %j at %s', (provider, url) => {
    expect(modelsUrl(provider)).toBe(url);
  });
});
