import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { llmProblemFix, llmStartupLines, llmValidateLines, unavailableLlmProviders } from './unavailable.js';

const FILE = '/etc/smg/config.json';
const KEY = 'sk-unavailable-test-0123456789';

const config = JSON.stringify({
  servers: {},
  llm: {
    providers: {
      'open-ai': { kind: 'openai', apiKey: '${env:OPENAI_KEY}' },
      local: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', headers: { 'X-Org': '${env:ORG}' } },
      claude: { kind: 'anthropic', apiKey: '${env:ANTHROPIC_KEY}' },
    },
    deployments: {
      'gpt-fast': { provider: 'open-ai', model: 'gpt-4o-mini', fallbacks: ['llama'] },
      'gpt-big': { provider: 'open-ai', model: 'gpt-4o' },
      llama: { provider: 'local', model: 'llama3.1' },
      haiku: { provider: 'claude', model: 'claude-haiku-4-5' },
    },
  },
});

describe('llm/unavailable', () => {
  it('names each unresolved provider with its paths and the deployments it costs, never a value', () => {
    for (let i = 0; i < 2; i++) {
      const loaded = parseConfig(config, FILE, { ANTHROPIC_KEY: KEY });
      expect(unavailableLlmProviders(loaded)).toEqual([
        {
          name: 'open-ai',
          problems: [{ path: 'llm.providers["open-ai"].apiKey', message: expect.stringMatching(/OPENAI_KEY/) }],
          deployments: ['gpt-fast', 'gpt-big'],
        },
        {
          name: 'local',
          problems: [{ path: 'llm.providers.local.headers["X-Org"]', message: expect.stringMatching(/ORG/) }],
          deployments: ['llama'],
        },
      ]);
      const lines = llmStartupLines(loaded);
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [
          'error',
          'AI provider "open-ai" is unavailable (deployments gpt-fast, gpt-big fail): at llm.providers["open-ai"].apiKey: environment variable OPENAI_KEY is not set (referenced as ${env:OPENAI_KEY})',
        ],
        [
          'error',
          'AI provider "local" is unavailable (deployment llama fails): at llm.providers.local.headers["X-Org"]: environment variable ORG is not set (referenced as ${env:ORG})',
        ],
        [
          'info',
          'AI proxy: /v1/chat/completions, /v1/messages, /v1/embeddings, /v1/models; deployments: gpt-fast, gpt-big, llama, haiku',
        ],
      ]);
      expect(lines[0]!.fields).toEqual({
        provider: 'open-ai',
        deployments: ['gpt-fast', 'gpt-big'],
        paths: ['llm.providers["open-ai"].apiKey'],
      });
      expect(llmValidateLines(loaded)).toEqual({
        listing: [
          '  gpt-fast             llm: open-ai/gpt-4o-mini, unavailable (see below)',
          '  gpt-big              llm: open-ai/gpt-4o, unavailable (see below)',
          '  llama                llm: local/llama3.1, unavailable (see below)',
          '  haiku                llm: claude/claude-haiku-4-5',
        ],
        warnings: [
          expect.stringMatching(/^⚠ AI provider "open-ai" is unavailable/),
          '  fix: set OPENAI_KEY in the environment the client starts the gateway with (its "env" entry), or use ${file:…}',
          expect.stringMatching(/^⚠ AI provider "local" is unavailable/),
          '  fix: set ORG in the environment the client starts the gateway with (its "env" entry), or use ${file:…}',
        ],
      });
      expect(JSON.stringify([lines, llmValidateLines(loaded)])).not.toContain(KEY);
    }
  });

  it('says nothing when every provider resolves, and nothing at all without deployments', () => {
    const all = parseConfig(config, FILE, { OPENAI_KEY: KEY, ORG: 'o', ANTHROPIC_KEY: KEY });
    expect(llmStartupLines(all).map((l) => l.level)).toEqual(['info']);
    expect(llmValidateLines(all).warnings).toEqual([]);
    const none = parseConfig(JSON.stringify({ servers: {} }), FILE, {});
    expect(llmStartupLines(none)).toEqual([]);
    expect(llmValidateLines(none)).toEqual({ listing: [], warnings: [] });
  });

  it.each([
    ['environment variable K is not set (referenced as ${env:K})', /^set K in the environment/],
    ['secret k is not in the vault (file); add it with `secure-mcp-gateway secrets set k`', /secrets set k/],
    ['cannot read /x/key (ENOENT), referenced as ${file:/x/key}', /^create the file/],
    ['the API key is empty once resolved', /^put the key in what llm\.providers\.p\.apiKey refers to/],
    ['the resolved URL is not an http(s) base URL (${env:U})', /^correct llm\.providers\.p\.apiKey$/],
  ])('the fix for "%s"', (message, fix) => {
    expect(llmProblemFix({ path: 'llm.providers.p.apiKey', message })).toMatch(fix);
  });
});
