/**
 * `serve` start-up with an AI proxy section: an AI provider whose key reference does not resolve is logged as an
 * error naming the provider, the deployments it costs and the path, the AI proxy's routes are logged, serve listens
 * anyway, and the resolved key of the other provider never reaches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../helpers/serve.js';

const KEY = 'sk-startup-e2e-0123456789abcdef';

describe('serve start-up: the AI proxy', () => {
  let gw: ServeProcess;
  beforeAll(async () => {
    gw = await startServe(
      {
        servers: {},
        users: { 'ana@example.com': {} },
        projects: { web: { servers: [] } },
        roles: { dev: { deployments: ['*'] } },
        memberships: { web: { 'ana@example.com': 'dev' } },
        llm: {
          providers: {
            good: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: '${env:GOOD_KEY}' },
            gone: { kind: 'anthropic', apiKey: '${env:SMG_TEST_UNSET_KEY}' },
          },
          deployments: {
            fast: { provider: 'good', model: 'm' },
            claude: { provider: 'gone', model: 'claude-haiku-4-5' },
          },
        },
      },
      { env: { GOOD_KEY: KEY } },
    );
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('logs the unavailable provider with what it costs, then the routes, and never the key', () => {
    const logs = gw.logs();
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        provider: 'gone',
        deployments: ['claude'],
        paths: ['llm.providers.gone.apiKey'],
        msg: 'AI provider "gone" is unavailable (deployment claude fails): at llm.providers.gone.apiKey: environment variable SMG_TEST_UNSET_KEY is not set (referenced as ${env:SMG_TEST_UNSET_KEY})',
      }),
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'AI proxy: /v1/chat/completions, /v1/messages, /v1/embeddings, /v1/models; deployments: fast, claude',
      }),
    );
    expect(gw.stderr()).not.toContain(KEY);
  });
});
