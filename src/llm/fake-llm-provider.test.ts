// The fake provider (test/fixtures/fake-llm-provider.ts) is what every proxy test stands on, so its wire is held
// here against the shapes of the two APIs: raw HTTP, no code of ours in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmProvider, type FakeLlmProvider } from '../../test/fixtures/fake-llm-provider.js';
import { createSseParser } from './sse.js';

let fake: FakeLlmProvider;
beforeAll(async () => {
  fake = await startFakeLlmProvider({ apiKey: 'k' });
});
afterAll(async () => {
  await fake.close();
});

const openai = { authorization: 'Bearer k', 'content-type': 'application/json' };
const anthropic = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };

async function post(path: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(`${fake.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('the fake LLM provider', () => {
  it('lists models in the OpenAI shape, and in the Anthropic shape for an anthropic-version request', async () => {
    const o = (await (await fetch(`${fake.url}/v1/models`, { headers: openai })).json()) as {
      object: string;
      data: { object: string }[];
    };
    expect(o.object).toBe('list');
    expect(o.data[0]).toMatchObject({ object: 'model', owned_by: 'fake' });
    const a = (await (await fetch(`${fake.url}/v1/models`, { headers: anthropic })).json()) as {
      has_more: boolean;
      data: { type: string }[];
    };
    expect(a.has_more).toBe(false);
    expect(a.data[0]).toMatchObject({ type: 'model' });
  });

  it.each([
    ['float', undefined],
    ['base64', 'base64'],
  ])('answers embeddings as %s, the same vector for the same input', async (_name, format) => {
    const body = { model: 'fake-embedding', input: ['a', 'b', 'a'], dimensions: 4, encoding_format: format };
    const res = (await (await post('/v1/embeddings', openai, body)).json()) as {
      data: { index: number; embedding: number[] | string }[];
      usage: { prompt_tokens: number };
    };
    const vectors = res.data.map((d) =>
      typeof d.embedding === 'string'
        ? [...new Float32Array(Uint8Array.from(Buffer.from(d.embedding, 'base64')).buffer)]
        : d.embedding,
    );
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toHaveLength(4);
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);
    expect(res.usage.prompt_tokens).toBe(3);
  });

  it('sends the usage chunk only with stream_options.include_usage, and ends with [DONE]', async () => {
    for (const include of [false, true]) {
      const body = {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        ...(include ? { stream_options: { include_usage: true } } : {}),
      };
      const res = await post('/v1/chat/completions', openai, body);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const events = createSseParser().push(await res.text());
      expect(events.at(-1)).toEqual({ data: '[DONE]' });
      const usage = events.slice(0, -1).filter((e) => (JSON.parse(e.data) as { usage?: unknown }).usage);
      expect(usage).toHaveLength(include ? 1 : 0);
    }
  });

  it('names every Anthropic stream event and ends with message_stop', async () => {
    const res = await post('/v1/messages', anthropic, {
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const events = createSseParser().push(await res.text());
    for (const e of events) expect((JSON.parse(e.data) as { type: string }).type).toBe(e.event);
    expect(events[0]!.event).toBe('message_start');
    expect(events.at(-1)!.event).toBe('message_stop');
  });

  it.each([
    [
      'Anthropic without max_tokens',
      '/v1/messages',
      anthropic,
      { model: 'm', messages: [] },
      400,
      { type: 'error', error: { type: 'invalid_request_error' } },
    ],
    [
      'OpenAI without messages',
      '/v1/chat/completions',
      openai,
      { model: 'm' },
      400,
      { error: { type: 'invalid_request_error' } },
    ],
    [
      'a wrong key',
      '/v1/chat/completions',
      { ...openai, authorization: 'Bearer nope' },
      { model: 'm', messages: [] },
      401,
      { error: { type: 'authentication_error' } },
    ],
  ])('refuses %s in the provider’s error shape', async (_name, path, headers, body, status, shape) => {
    const res = await post(path, headers, body);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject(shape);
  });

  it('records what it saw, and answers queued scripts in order', async () => {
    fake.requests.length = 0;
    fake.enqueue({ status: 503 }, { text: 'second' });
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    expect((await post('/v1/chat/completions', openai, body)).status).toBe(503);
    const ok = (await (await post('/v1/chat/completions', openai, body)).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(ok.choices[0]!.message.content).toBe('second');
    expect(fake.requests.map((r) => [r.method, r.path, (r.body as { model: string }).model])).toEqual([
      ['POST', '/v1/chat/completions', 'm'],
      ['POST', '/v1/chat/completions', 'm'],
    ]);
  });

  it('forgets queued scripts, requests and the default on reset', async () => {
    fake.enqueue({ status: 503 });
    fake.setDefault({ text: 'changed' });
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    await post('/v1/chat/completions', openai, body);
    fake.enqueue({ status: 500 });
    fake.reset();
    expect(fake.requests).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const res = await post('/v1/chat/completions', openai, body);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(
        'Hello from the fake provider.',
      );
    }
    fake.reset();
  });
});
