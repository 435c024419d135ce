import { describe, expect, it } from 'vitest';
import { LlmConfigSchema } from './config-schema.js';
import { resolveLlmConfig, type ConfigPath } from './resolve.js';

const ENV: Record<string, string> = {
  KEY: 'sk-live-1',
  EMPTY: '',
  URL: 'http://127.0.0.1:11434/v1',
  BAD_URL: 'ollama:11434',
};
const resolve = (value: string): string => value.replace(/\$\{env:([A-Z_]+)\}/g, (_m, name: string) => ENV[name] ?? '');

function run(llm: unknown) {
  const problems: { path: string; message: string }[] = [];
  const out = resolveLlmConfig(LlmConfigSchema.parse(llm), resolve, (where: ConfigPath, message) =>
    problems.push({ path: where.join('.'), message }),
  );
  return { out, problems };
}

describe('resolveLlmConfig', () => {
  it('resolves keys, base URLs and header values, and keeps the rest', () => {
    const llm = {
      providers: {
        oai: { kind: 'openai', apiKey: '${env:KEY}', headers: { 'OpenAI-Project': 'proj-${env:KEY}' } },
        local: { kind: 'openai-compatible', baseUrl: '${env:URL}' },
      },
      deployments: { fast: { provider: 'oai', model: 'gpt-4o-mini' } },
      prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
    };
    for (let i = 0; i < 2; i++) {
      const { out, problems } = run(llm);
      expect(problems).toEqual([]);
      expect(out.providers.oai).toEqual({
        kind: 'openai',
        apiKey: 'sk-live-1',
        headers: { 'OpenAI-Project': 'proj-sk-live-1' },
        timeoutMs: 60_000,
      });
      expect(out.providers.local).toEqual({
        kind: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:11434/v1',
        timeoutMs: 60_000,
      });
      expect(Object.keys(out.deployments)).toEqual(['fast']);
    }
  });

  it.each([
    [
      'an empty key',
      { kind: 'openai', apiKey: '${env:EMPTY}' },
      'llm.providers.p.apiKey',
      'the API key is empty once resolved',
    ],
    [
      'a resolved base URL that is no URL',
      { kind: 'openai-compatible', baseUrl: '${env:BAD_URL}' },
      'llm.providers.p.baseUrl',
      '(${env:BAD_URL})',
    ],
  ])('leaves out a provider with %s, naming its path', (_name, provider, path, message) => {
    const { out, problems } = run({ providers: { p: provider } });
    expect(out.providers).toEqual({});
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(path);
    expect(problems[0]!.message).toContain(message);
    expect(JSON.stringify(problems)).not.toContain('ollama:11434');
  });

  it('accepts an openai-compatible provider whose key resolves empty (servers that need none)', () => {
    const { out, problems } = run({
      providers: { p: { kind: 'openai-compatible', baseUrl: 'http://h/v1', apiKey: '${env:EMPTY}' } },
    });
    expect(problems).toEqual([]);
    expect(out.providers.p!.apiKey).toBe('');
  });
});
