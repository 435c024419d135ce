import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmProvider, type FakeLlmProvider } from '../../test/fixtures/fake-llm-provider.js';
import { LlmFormatError, LlmProviderError } from './errors.js';
import { createLlmProvider, scrubSecret, type LlmProvider, type ResolvedLlmProvider } from './providers.js';
import { collectStream, type LlmChatRequest, type LlmStreamEvent } from './types.js';

const KEY = 'sk-test-0123456789abcdef';
let fake: FakeLlmProvider;
const open: LlmProvider[] = [];

beforeAll(async () => {
  fake = await startFakeLlmProvider({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  fake.requests.length = 0;
});

function configOf(kind: ResolvedLlmProvider['kind'], extra: Partial<ResolvedLlmProvider> = {}): ResolvedLlmProvider {
  const baseUrl = kind === 'anthropic' || kind === 'azure-openai' ? fake.url : `${fake.url}/v1`;
  return {
    kind,
    baseUrl,
    apiKey: KEY,
    timeoutMs: 2_000,
    ...(kind === 'azure-openai' ? { apiVersion: '2024-10-21' } : {}),
    ...extra,
  };
}

function provider(kind: ResolvedLlmProvider['kind'], extra: Partial<ResolvedLlmProvider> = {}): LlmProvider {
  const p = createLlmProvider(`my-${kind}`, configOf(kind, extra));
  open.push(p);
  return p;
}

const REQ: LlmChatRequest = {
  model: 'gpt-4o-mini',
  system: 'Be brief.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }],
  tools: [{ name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }],
};

async function drain(events: AsyncIterable<LlmStreamEvent>): Promise<LlmStreamEvent[]> {
  const out: LlmStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function failure(p: Promise<unknown>): Promise<LlmProviderError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmProviderError);
  return error as LlmProviderError;
}

const KINDS = ['openai', 'azure-openai', 'anthropic', 'openai-compatible'] as const;

describe('createLlmProvider against the fake provider', () => {
  it.each(KINDS)('%s: answers a non-streamed chat with text, tool calls and usage', async (kind) => {
    fake.enqueue(
      { text: 'Hello there.', usage: { input: 11, output: 3 } },
      { text: '', toolCalls: [{ name: 'read_file', arguments: '{"path":"/tmp/x"}' }], usage: { input: 12, output: 4 } },
    );
    const p = provider(kind);
    const first = await p.chat(REQ);
    expect(first).toMatchObject({
      model: 'gpt-4o-mini',
      content: [{ type: 'text', text: 'Hello there.' }],
      toolCalls: [],
      stopReason: 'end',
      usage: { inputTokens: 11, outputTokens: 3 },
    });
    const second = await p.chat(REQ);
    expect(second.toolCalls).toEqual([
      { id: expect.any(String) as string, name: 'read_file', arguments: '{"path":"/tmp/x"}' },
    ]);
    expect(second.stopReason).toBe('tool_calls');
    expect(second.usage).toEqual({ inputTokens: 12, outputTokens: 4 });
  });

  it.each([
    ['openai', '/v1/chat/completions', '', 'authorization', `Bearer ${KEY}`],
    ['openai-compatible', '/v1/chat/completions', '', 'authorization', `Bearer ${KEY}`],
    ['azure-openai', '/openai/deployments/gpt-4o-mini/chat/completions', 'api-version=2024-10-21', 'api-key', KEY],
    ['anthropic', '/v1/messages', '', 'x-api-key', KEY],
  ] as const)(
    '%s: calls %s with its key header and the provider’s format',
    async (kind, path, query, header, value) => {
      await provider(kind, { headers: { 'OpenAI-Organization': 'org-1' } }).chat(REQ);
      const seen = fake.requests[0]!;
      expect(seen.path).toBe(path);
      expect(seen.query).toBe(query);
      expect(seen.headers[header]).toBe(value);
      expect(seen.headers['openai-organization']).toBe('org-1');
      const body = seen.body as Record<string, unknown>;
      if (kind === 'anthropic') {
        expect(seen.headers['anthropic-version']).toBe('2023-06-01');
        expect(body).toMatchObject({ model: 'gpt-4o-mini', system: 'Be brief.', max_tokens: 4096 });
        expect(body.tools).toEqual([{ name: 'read_file', input_schema: REQ.tools![0]!.parameters }]);
      } else {
        expect(body.messages).toEqual([
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello' },
        ]);
        expect(body).not.toHaveProperty('stream');
      }
    },
  );

  it('sends no authorization header to an openai-compatible server without a key', async () => {
    const open = await startFakeLlmProvider();
    try {
      const p = createLlmProvider('ollama', { kind: 'openai-compatible', baseUrl: `${open.url}/v1` });
      await p.chat(REQ);
      await p.close();
      expect(open.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it.each(KINDS)('%s: streams text split across SSE chunks anywhere, tool calls and usage', async (kind) => {
    const chunks = ['The key is AKIA', 'IOSFODNN7', 'EXAMPLE, ', 'done.'];
    fake.enqueue({
      chunks,
      toolCalls: [{ name: 'read_file', arguments: '{"path":"/etc/hosts"}' }],
      usage: { input: 21, output: 9 },
      writeBytes: 3,
    });
    const events = await drain(await provider(kind).stream(REQ));
    expect(events[0]).toMatchObject({ type: 'start', model: 'gpt-4o-mini' });
    expect(events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text)).toEqual(chunks);
    const res = collectStream(events);
    expect(res.content).toEqual([{ type: 'text', text: chunks.join('') }]);
    expect(res.toolCalls).toEqual([
      { id: expect.any(String) as string, name: 'read_file', arguments: '{"path":"/etc/hosts"}' },
    ]);
    expect(res.stopReason).toBe('tool_calls');
    expect(res.usage).toEqual({ inputTokens: 21, outputTokens: 9 });
    const body = fake.requests[0]!.body as Record<string, unknown>;
    expect(body.stream).toBe(true);
    if (kind !== 'anthropic') expect(body.stream_options).toEqual({ include_usage: true });
  });

  it.each([
    [401, 'auth', false],
    [403, 'auth', false],
    [400, 'rejected', false],
    [404, 'rejected', false],
    [429, 'rate-limited', true],
    [500, 'unavailable', true],
    [503, 'unavailable', true],
    [529, 'unavailable', true],
  ] as const)('HTTP %i is a %s error, retryable: %s, for chat and stream alike', async (status, kind, retryable) => {
    for (const streamed of [false, true]) {
      fake.enqueue({ status, errorMessage: `nope ${status}` });
      const p = provider('openai');
      const error = await failure(streamed ? p.stream(REQ) : p.chat(REQ));
      expect(error).toMatchObject({ provider: 'my-openai', kind, retryable, status });
      expect(error.message).toBe(`provider my-openai: HTTP ${status}: nope ${status}`);
    }
  });

  it.each(KINDS)('%s: a wrong key is a 401 that names the provider and never the key', async (kind) => {
    const error = await failure(provider(kind, { apiKey: 'sk-wrong-key-abcdef123456' }).chat(REQ));
    expect(error).toMatchObject({ kind: 'auth', retryable: false, status: 401 });
    expect(error.message).toContain(`my-${kind}`);
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    expect(error.message).not.toContain('sk-wrong');
    expect(JSON.stringify(error)).not.toContain('sk-wrong');
  });

  it('reads Retry-After into retryAfterMs and the provider’s error type', async () => {
    fake.enqueue({ status: 429, retryAfter: '2' });
    const error = await failure(provider('anthropic').chat(REQ));
    expect(error).toMatchObject({ retryAfterMs: 2000, providerType: 'rate_limit_error' });
  });

  it('times out a provider that does not answer in timeoutMs, retryably', async () => {
    // undici's timers tick every half second or so: the bound is loose, the delay far longer.
    fake.enqueue({ delayMs: 4_000 });
    const started = Date.now();
    const error = await failure(provider('openai', { timeoutMs: 200 }).chat(REQ));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(error.message).toBe('provider my-openai: no answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('times out a stream that pauses longer than timeoutMs, from the iterator', async () => {
    fake.enqueue({ chunks: ['a', 'b', 'c'], chunkDelayMs: 4_000 });
    const events = await provider('anthropic', { timeoutMs: 200 }).stream(REQ);
    const error = await failure(drain(events));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('reports a refused connection as a retryable connection error', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const p = createLlmProvider('gone', {
      kind: 'openai-compatible',
      baseUrl: `http://127.0.0.1:${port}/v1`,
      timeoutMs: 1_000,
    });
    open.push(p);
    const error = await failure(p.chat(REQ));
    expect(error).toMatchObject({ kind: 'connection', retryable: true });
    expect(error.message).toContain('provider gone: cannot reach the provider (ECONNREFUSED)');
  });

  it.each(['openai', 'anthropic'] as const)(
    '%s: a stream cut before its end marker throws after the events it had',
    async (kind) => {
      // Cut after the second text piece: OpenAI sends a role chunk first, Anthropic message_start, ping, block start.
      fake.enqueue({ chunks: ['one ', 'two ', 'three'], cutAfterEvents: kind === 'openai' ? 3 : 5 });
      const seen: LlmStreamEvent[] = [];
      const error = await failure(
        (async () => {
          for await (const e of await provider(kind).stream(REQ)) seen.push(e);
        })(),
      );
      expect(error.kind).toBe('connection');
      expect(seen.some((e) => e.type === 'text')).toBe(true);
      expect(seen.some((e) => e.type === 'stop')).toBe(false);
    },
  );

  it.each(['openai', 'anthropic'] as const)(
    '%s: an error event in the stream is passed on and ends it',
    async (kind) => {
      fake.enqueue({ streamError: { type: 'overloaded_error', message: `Overloaded (key ${KEY})` } });
      const events = await drain(await provider(kind).stream(REQ));
      expect(events).toEqual([
        { type: 'error', message: 'Overloaded (key [redacted])', errorType: 'overloaded_error' },
      ]);
    },
  );

  it('refuses a 200 that is not an event stream when a stream was asked for', async () => {
    fake.enqueue({ wrongContentType: true });
    const error = await failure(provider('openai').stream(REQ));
    expect(error).toMatchObject({ kind: 'bad-response', retryable: false });
    expect(error.message).toContain('expected an event stream, got "application/json"');
  });

  it('stops reading when the consumer stops, without waiting for the rest', async () => {
    fake.enqueue({ chunks: Array.from({ length: 50 }, (_, i) => `w${i} `), chunkDelayMs: 20 });
    const started = Date.now();
    for await (const e of await provider('openai').stream(REQ)) if (e.type === 'text') break;
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('reports a cancelled request as aborted, not retryable', async () => {
    fake.enqueue({ delayMs: 500 });
    const controller = new AbortController();
    const pending = provider('openai').chat(REQ, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await failure(pending)).toMatchObject({ kind: 'aborted', retryable: false });
  });
});

describe('embeddings', () => {
  it.each([
    ['openai', '/v1/embeddings', ''],
    ['openai-compatible', '/v1/embeddings', ''],
    ['azure-openai', '/openai/deployments/text-embedding-3-small/embeddings', 'api-version=2024-10-21'],
  ] as const)('%s: embeds each input in order at %s', async (kind, path, query) => {
    const p = provider(kind);
    const input = ['alpha', 'beta', 'alpha'];
    const out = await p.embed({ model: 'text-embedding-3-small', input, dimensions: 4 });
    expect(out.vectors).toHaveLength(3);
    expect(out.vectors[0]).toHaveLength(4);
    expect(out.vectors[2]).toEqual(out.vectors[0]);
    expect(out.usage.inputTokens).toBe(5);
    expect(fake.requests[0]).toMatchObject({ path, query, body: { input, encoding_format: 'float', dimensions: 4 } });
  });

  it('refuses embeddings on an anthropic provider without calling it', async () => {
    const error = await failure(provider('anthropic').embed({ model: 'm', input: ['x'] }));
    expect(error).toMatchObject({ kind: 'rejected', retryable: false });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('requests the provider’s format cannot express', () => {
  it('are the caller’s LlmFormatError, not a provider failure, and nothing is sent', async () => {
    const req: LlmChatRequest = {
      model: 'm',
      messages: [{ role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: 'not json' }] }],
    };
    await expect(provider('anthropic').chat(req)).rejects.toBeInstanceOf(LlmFormatError);
    await expect(provider('anthropic').stream(req)).rejects.toBeInstanceOf(LlmFormatError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('scrubSecret', () => {
  it.each([
    ['Incorrect API key provided: my-own-key-1234', 'my-own-key-1234', 'Incorrect API key provided: [redacted]'],
    ['key sk-abc***wxyz is wrong', undefined, 'key [redacted] is wrong'],
    ['nothing here', 'my-own-key-1234', 'nothing here'],
  ])('scrubs %j', (text, key, out) => {
    expect(scrubSecret(text, key)).toBe(out);
    expect(scrubSecret(text, key)).toBe(out);
  });
});
