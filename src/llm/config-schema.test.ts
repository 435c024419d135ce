import { describe, expect, it } from 'vitest';
import { costUsd, fallbackCycles, LlmConfigSchema, llmPolicyReferenceIssues } from './config-schema.js';

const providers = {
  oai: { kind: 'openai', apiKey: '${env:OPENAI_API_KEY}' },
  ant: { kind: 'anthropic', apiKey: '${file:~/.keys/anthropic}' },
  az: { kind: 'azure-openai', baseUrl: 'https://res.openai.azure.com', apiKey: 'k', apiVersion: '2024-10-21' },
  local: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' },
};

function issues(input: unknown): { path: string; message: string }[] {
  const r = LlmConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('LlmConfigSchema', () => {
  it('accepts every provider kind, deployments with fallbacks, and prices, with defaults filled in', () => {
    const input = {
      providers,
      deployments: {
        fast: { provider: 'oai', model: 'gpt-4o-mini', input: 'strict', fallbacks: ['claude'] },
        claude: { provider: 'ant', model: 'claude-sonnet-4-5', fallbacks: ['azure', 'llama'], maxRetries: 2 },
        azure: { provider: 'az', model: 'my-gpt4o' },
        llama: { provider: 'local', model: 'llama3.1' },
      },
      prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
    };
    for (let i = 0; i < 2; i++) {
      const llm = LlmConfigSchema.parse(input);
      expect(llm.providers.oai!.timeoutMs).toBe(60_000);
      expect(llm.deployments.azure).toEqual({
        provider: 'az',
        model: 'my-gpt4o',
        fallbacks: [],
        maxRetries: 0,
        images: 'block',
        toolCalls: { roots: [] },
        stream: { lookBack: 512 },
      });
      expect(llm.deployments.claude!.maxRetries).toBe(2);
    }
  });

  it('defaults to an empty section', () => {
    expect(LlmConfigSchema.parse({})).toEqual({
      providers: {},
      deployments: {},
      prices: {},
      limits: { users: {}, projects: {} },
    });
  });

  it.each([
    [
      'a deployment naming a missing provider',
      { providers, deployments: { a: { provider: 'nope', model: 'm' } } },
      'deployments.a.provider',
      'no provider named "nope"',
    ],
    [
      'a missing fallback',
      { providers, deployments: { a: { provider: 'oai', model: 'm', fallbacks: ['b'] } } },
      'deployments.a.fallbacks.0',
      'no deployment named "b"',
    ],
    [
      'a self fallback',
      { providers, deployments: { a: { provider: 'oai', model: 'm', fallbacks: ['a'] } } },
      'deployments.a.fallbacks.0',
      'cannot fall back to itself',
    ],
    [
      'a fallback loop',
      {
        providers,
        deployments: {
          b: { provider: 'oai', model: 'm', fallbacks: ['c'] },
          a: { provider: 'oai', model: 'm', fallbacks: ['b'] },
          c: { provider: 'oai', model: 'm', fallbacks: ['a'] },
        },
      },
      'deployments.a.fallbacks',
      'fallbacks loop: a → b → c → a',
    ],
    [
      'azure without baseUrl',
      { providers: { x: { kind: 'azure-openai', apiKey: 'k', apiVersion: '2024-10-21' } } },
      'providers.x.baseUrl',
      'needs "baseUrl"',
    ],
    [
      'azure without apiVersion',
      { providers: { x: { kind: 'azure-openai', apiKey: 'k', baseUrl: 'https://r.openai.azure.com' } } },
      'providers.x.apiVersion',
      'needs "apiVersion"',
    ],
    [
      'apiVersion outside azure',
      { providers: { x: { kind: 'openai', apiKey: 'k', apiVersion: '2024-10-21' } } },
      'providers.x.apiVersion',
      'only applies to azure-openai',
    ],
    [
      'a malformed apiVersion',
      { providers: { x: { kind: 'azure-openai', apiKey: 'k', baseUrl: 'https://r', apiVersion: 'latest' } } },
      'providers.x.apiVersion',
      'expected an API version',
    ],
    ['openai without a key', { providers: { x: { kind: 'openai' } } }, 'providers.x.apiKey', 'needs "apiKey"'],
    [
      'openai-compatible without baseUrl',
      { providers: { x: { kind: 'openai-compatible' } } },
      'providers.x.baseUrl',
      'needs "baseUrl"',
    ],
    [
      'a baseUrl that is not a URL',
      { providers: { x: { kind: 'openai', apiKey: 'k', baseUrl: 'api.openai.com' } } },
      'providers.x.baseUrl',
      'is not a URL',
    ],
    [
      'a baseUrl with credentials',
      { providers: { x: { kind: 'openai', apiKey: 'k', baseUrl: 'https://u:p@h/v1' } } },
      'providers.x.baseUrl',
      'credentials',
    ],
    [
      'a ftp baseUrl',
      { providers: { x: { kind: 'openai', apiKey: 'k', baseUrl: 'ftp://h/v1' } } },
      'providers.x.baseUrl',
      'expected http or https',
    ],
    [
      'an auth header',
      { providers: { x: { kind: 'openai', apiKey: 'k', headers: { Authorization: 'Bearer x' } } } },
      'providers.x.headers.Authorization',
      'set by the gateway',
    ],
    ['an unknown kind', { providers: { x: { kind: 'gemini', apiKey: 'k' } } }, 'providers.x.kind', ''],
    ['an unknown field', { providers: { x: { kind: 'openai', apiKey: 'k', org: 'o' } } }, 'providers.x', ''],
    [
      'a timeout too short',
      { providers: { x: { kind: 'openai', apiKey: 'k', timeoutMs: 5 } } },
      'providers.x.timeoutMs',
      '',
    ],
    [
      'too many retries',
      { providers, deployments: { a: { provider: 'oai', model: 'm', maxRetries: 9 } } },
      'deployments.a.maxRetries',
      '',
    ],
    ['a negative price', { prices: { m: { inputPerMTok: -1, outputPerMTok: 1 } } }, 'prices.m.inputPerMTok', ''],
    [
      'a bad alias',
      { providers, deployments: { 'my model': { provider: 'oai', model: 'm' } } },
      'deployments.my model',
      '',
    ],
  ])('refuses %s with its JSON path', (_name, input, path, message) => {
    for (let i = 0; i < 2; i++) {
      const found = issues(input);
      expect(found.map((f) => f.path)).toContain(path);
      expect(found.find((f) => f.path === path)!.message).toContain(message);
    }
  });

  it('leaves a baseUrl that still holds a reference to be checked once resolved', () => {
    expect(issues({ providers: { x: { kind: 'openai-compatible', baseUrl: '${env:OLLAMA_URL}' } } })).toEqual([]);
  });
});

describe('fallbackCycles', () => {
  it.each([
    [{ a: { fallbacks: ['b'] }, b: { fallbacks: [] } }, []],
    [{ a: { fallbacks: ['b'] }, b: { fallbacks: ['a'] } }, [['a', 'b']]],
    [{ a: { fallbacks: ['b', 'c'] }, b: { fallbacks: ['c'] }, c: { fallbacks: [] } }, []],
    [{ x: { fallbacks: ['y'] }, y: { fallbacks: ['z'] }, z: { fallbacks: ['y'] } }, [['y', 'z']]],
  ])('finds each loop once: %j', (deployments, cycles) => {
    expect(fallbackCycles(deployments)).toEqual(cycles);
    expect(fallbackCycles(deployments)).toEqual(cycles);
  });
});

describe('llmPolicyReferenceIssues', () => {
  it('names deployments whose policies do not exist, from the config root', () => {
    const deployments = {
      a: {
        provider: 'p',
        model: 'm',
        input: 'strict',
        output: 'gone',
        fallbacks: [],
        maxRetries: 0,
        images: 'block' as const,
        toolCalls: { roots: [] },
        stream: { lookBack: 512 },
      },
      b: {
        provider: 'p',
        model: 'm',
        fallbacks: [],
        maxRetries: 0,
        images: 'block' as const,
        toolCalls: { roots: [] },
        stream: { lookBack: 512 },
      },
    };
    expect(llmPolicyReferenceIssues({ deployments }, new Set(['strict']))).toEqual([
      { path: ['llm', 'deployments', 'a', 'output'], message: 'no policy named "gone"' },
    ]);
  });
});

describe('costUsd', () => {
  it.each([
    ['gpt-4o-mini', 1_000_000, 1_000_000, 0.75],
    ['gpt-4o-mini', 2000, 500, 0.0006],
    ['unpriced', 1_000_000, 1_000_000, 0],
  ])('prices %s for %i in and %i out', (model, inputTokens, outputTokens, usd) => {
    const prices = { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } };
    expect(costUsd(prices, model, { inputTokens, outputTokens })).toBeCloseTo(usd, 10);
  });
});
