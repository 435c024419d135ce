import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmProvider, type FakeLlmProvider } from '../../test/fixtures/fake-llm-provider.js';
import { LlmFormatError, LlmProviderError } from './errors.js';
import {
  chatWithFallback,
  deploymentChain,
  streamWithFallback,
  type FallbackDeployment,
  type FallbackOptions,
  type LlmAttempt,
} from './fallback.js';
import { createLlmProvider, type LlmProvider } from './providers.js';
import { collectStream, type LlmChatRequest, type LlmStreamEvent } from './types.js';

let primary: FakeLlmProvider;
let backup: FakeLlmProvider;
let providers: Record<string, LlmProvider>;

beforeAll(async () => {
  primary = await startFakeLlmProvider({ apiKey: 'k1' });
  backup = await startFakeLlmProvider({ apiKey: 'k2' });
  providers = {
    openai: createLlmProvider('openai', {
      kind: 'openai',
      baseUrl: `${primary.url}/v1`,
      apiKey: 'k1',
      timeoutMs: 5_000,
    }),
    anthropic: createLlmProvider('anthropic', {
      kind: 'anthropic',
      baseUrl: backup.url,
      apiKey: 'k2',
      timeoutMs: 5_000,
    }),
  };
});
afterAll(async () => {
  await Promise.all(Object.values(providers).map((p) => p.close()));
  await primary.close();
  await backup.close();
});
afterEach(() => {
  primary.requests.length = 0;
  backup.requests.length = 0;
});

const DEPLOYMENTS: Record<string, FallbackDeployment> = {
  fast: { provider: 'openai', model: 'gpt-4o-mini', fallbacks: ['claude'], maxRetries: 0 },
  retrying: { provider: 'openai', model: 'gpt-4o-mini', fallbacks: ['claude'], maxRetries: 2 },
  claude: { provider: 'anthropic', model: 'claude-sonnet-4-5', fallbacks: [], maxRetries: 0 },
  alone: { provider: 'openai', model: 'gpt-4o-mini', fallbacks: [], maxRetries: 0 },
};

const REQ: LlmChatRequest = { model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] };

function options(extra: Partial<FallbackOptions> = {}): FallbackOptions & { seen: LlmAttempt[] } {
  const seen: LlmAttempt[] = [];
  return {
    deployments: DEPLOYMENTS,
    provider: (name) => providers[name]!,
    backoffMs: 0,
    onAttempt: (a) => seen.push(a),
    seen,
    ...extra,
  };
}

async function drain(events: AsyncIterable<LlmStreamEvent>): Promise<LlmStreamEvent[]> {
  const out: LlmStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('deploymentChain', () => {
  it.each([
    ['a', ['a', 'b', 'd', 'c']],
    ['b', ['b', 'd']],
    ['c', ['c', 'a', 'b', 'd']],
    ['missing', []],
  ])('orders %s then its fallbacks depth-first, each once', (alias, chain) => {
    const deployments = {
      a: { provider: 'p', model: 'm', fallbacks: ['b', 'c'], maxRetries: 0 },
      b: { provider: 'p', model: 'm', fallbacks: ['d'], maxRetries: 0 },
      c: { provider: 'p', model: 'm', fallbacks: ['a', 'b'], maxRetries: 0 },
      d: { provider: 'p', model: 'm', fallbacks: ['missing-one'], maxRetries: 0 },
    };
    expect(deploymentChain(alias, deployments)).toEqual(chain);
    expect(deploymentChain(alias, deployments)).toEqual(chain);
  });
});

describe('chatWithFallback', () => {
  it('answers from the deployment itself when it works', async () => {
    primary.enqueue({ text: 'from openai' });
    const opts = options();
    const out = await chatWithFallback('fast', REQ, opts);
    expect(out).toMatchObject({ deployment: 'fast', provider: 'openai', model: 'gpt-4o-mini' });
    expect(out.result.content).toEqual([{ type: 'text', text: 'from openai' }]);
    expect((primary.requests[0]!.body as { model: string }).model).toBe('gpt-4o-mini');
    expect(opts.seen).toHaveLength(1);
  });

  it.each([429, 500, 503])('falls back to the next deployment (another provider and format) on %i', async (status) => {
    primary.enqueue({ status });
    backup.enqueue({ text: 'from claude' });
    const opts = options();
    const out = await chatWithFallback('fast', REQ, opts);
    expect(out).toMatchObject({ deployment: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-5' });
    expect(out.result.content).toEqual([{ type: 'text', text: 'from claude' }]);
    expect(backup.requests[0]!.path).toBe('/v1/messages');
    expect((backup.requests[0]!.body as { model: string }).model).toBe('claude-sonnet-4-5');
    expect(out.attempts.map((a) => [a.deployment, a.error?.status])).toEqual([
      ['fast', status],
      ['claude', undefined],
    ]);
    expect(opts.seen).toEqual(out.attempts);
  });

  it('falls back when the provider times out', async () => {
    const slow = createLlmProvider('slow', {
      kind: 'openai',
      baseUrl: `${primary.url}/v1`,
      apiKey: 'k1',
      timeoutMs: 200,
    });
    primary.enqueue({ delayMs: 4_000 });
    backup.enqueue({ text: 'in time' });
    try {
      const out = await chatWithFallback(
        'fast',
        REQ,
        options({ provider: (n) => (n === 'openai' ? slow : providers[n]!) }),
      );
      expect(out.deployment).toBe('claude');
      expect(out.attempts[0]!.error?.kind).toBe('timeout');
    } finally {
      await slow.close();
    }
  });

  it.each([401, 403, 400])('does not fall back on %i: the error is thrown as it is', async (status) => {
    primary.enqueue({ status });
    const error = await chatWithFallback('fast', REQ, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmProviderError);
    expect((error as LlmProviderError).status).toBe(status);
    expect(backup.requests).toHaveLength(0);
  });

  it('retries the deployment itself maxRetries times before its fallbacks', async () => {
    primary.enqueue({ status: 503 }, { status: 429 }, { text: 'third time' });
    const out = await chatWithFallback('retrying', REQ, options());
    expect(out.deployment).toBe('retrying');
    expect(out.attempts.map((a) => a.error?.status)).toEqual([503, 429, undefined]);
    expect(backup.requests).toHaveLength(0);
  });

  it('stops at the retry budget and throws the last retryable error', async () => {
    primary.enqueue({ status: 503 }, { status: 503 });
    const opts = options({ maxAttempts: 2 });
    const error = await chatWithFallback('retrying', REQ, opts).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, status: 503 });
    expect(primary.requests).toHaveLength(2);
    expect(backup.requests).toHaveLength(0);
  });

  it('throws the last error when every deployment fails', async () => {
    primary.enqueue({ status: 500 });
    backup.enqueue({ status: 529 });
    const error = await chatWithFallback('fast', REQ, options()).catch((e: unknown) => e);
    expect(error).toMatchObject({ provider: 'anthropic', status: 529, retryable: true });
  });

  it('moves on to the next deployment when Retry-After asks for longer than it waits', async () => {
    primary.enqueue({ status: 429, retryAfter: '30' });
    backup.enqueue({ text: 'no waiting' });
    const started = Date.now();
    const out = await chatWithFallback('retrying', REQ, options({ maxBackoffMs: 1_000 }));
    expect(out.deployment).toBe('claude');
    expect(primary.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses an unknown deployment as a bad "model"', async () => {
    const error = await chatWithFallback('nope', REQ, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmFormatError);
    expect((error as LlmFormatError).message).toBe('model: no deployment named "nope"');
  });

  it('stops waiting for a retry when the request is cancelled', async () => {
    primary.enqueue({ status: 503 });
    const controller = new AbortController();
    const pending = chatWithFallback(
      'retrying',
      REQ,
      options({ backoffMs: 5_000, maxBackoffMs: 10_000, signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error('client went away')), 100);
    await expect(pending).rejects.toThrow('client went away');
    expect(primary.requests).toHaveLength(1);
  });
});

describe('streamWithFallback', () => {
  it('streams from the fallback when the deployment fails before streaming', async () => {
    primary.enqueue({ status: 502 });
    backup.enqueue({ chunks: ['from ', 'claude'] });
    const out = await streamWithFallback('fast', REQ, options());
    expect(out.deployment).toBe('claude');
    expect(collectStream(await drain(out.result)).content).toEqual([{ type: 'text', text: 'from claude' }]);
  });

  it('falls back when an Anthropic stream opens with overloaded_error', async () => {
    const deployments = { ...DEPLOYMENTS, claude: { ...DEPLOYMENTS.claude!, fallbacks: ['alone'] } };
    backup.enqueue({ streamError: { type: 'overloaded_error', message: 'Overloaded' } });
    primary.enqueue({ chunks: ['from ', 'openai'] });
    const out = await streamWithFallback('claude', REQ, options({ deployments }));
    expect(out.deployment).toBe('alone');
    expect(out.attempts[0]!.error).toMatchObject({ kind: 'unavailable', providerType: 'overloaded_error' });
    expect(collectStream(await drain(out.result)).content).toEqual([{ type: 'text', text: 'from openai' }]);
  });

  it('does not fall back once the stream has started: a cut is the stream’s own error', async () => {
    primary.enqueue({ chunks: ['one ', 'two ', 'three'], cutAfterEvents: 3 });
    const out = await streamWithFallback('fast', REQ, options());
    expect(out.deployment).toBe('fast');
    const seen: LlmStreamEvent[] = [];
    const error = await (async () => {
      for await (const e of out.result) seen.push(e);
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'connection' });
    expect(seen.filter((e) => e.type === 'text')).toEqual([
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two ' },
    ]);
    expect(backup.requests).toHaveLength(0);
  });

  it('asks the provider for a stream whatever the request said', async () => {
    primary.enqueue({ text: 'streamed' });
    const out = await streamWithFallback('fast', { ...REQ, stream: false }, options());
    await drain(out.result);
    expect((primary.requests[0]!.body as { stream: boolean }).stream).toBe(true);
  });
});
