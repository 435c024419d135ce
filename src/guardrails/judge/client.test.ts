import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJudgeBudget } from './budget.js';
import { createVerdictCache } from './cache.js';
import { apiUrl, createJudgeClient, JudgeFailure, parseAnswer, probeJudge, probeJudges } from './client.js';
import type { JudgeEndpoint } from './config-schema.js';
import { startFakeEndpoint, type FakeEndpoint } from '../../../test/support/judge-fake-endpoint.js';

let fake: FakeEndpoint;
let raw: http.Server;
let rawUrl: string;
let rawHandler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, r) => r.end();

beforeAll(async () => {
  fake = await startFakeEndpoint({ models: ['llama3.2:latest', 'qwen2.5'] });
  raw = http.createServer((q, r) => rawHandler(q, r));
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await fake.close();
  raw.closeAllConnections();
  await new Promise((resolve) => raw.close(resolve));
});

const ep = (over: Partial<JudgeEndpoint> = {}): JudgeEndpoint => ({
  baseUrl: fake.baseUrl,
  model: 'qwen2.5',
  timeoutMs: 2000,
  maxConcurrent: 2,
  jsonMode: true,
  maxPromptChars: 12_000,
  cacheSize: 10,
  ...over,
});
const live = () => new AbortController().signal;
const msgs = [{ role: 'user' as const, content: 'hi' }];

describe('judge client', () => {
  it('sends a chat completion with the model, temperature 0, JSON mode and the bearer key', async () => {
    fake.reset();
    fake.script(() => ({ verdict: { score: 1, reason: 'ok' } }));
    const client = createJudgeClient('local', ep({ apiKey: 'sk-test-123456', headers: { 'X-Org': 'acme' } }));
    const answer = await client.complete(msgs, live());
    expect(answer.json).toEqual({ score: 1, reason: 'ok' });
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);
    const seen = fake.requests[0]!;
    expect(seen.body).toMatchObject({ model: 'qwen2.5', temperature: 0, response_format: { type: 'json_object' } });
    expect(seen.headers.authorization).toBe('Bearer sk-test-123456');
    expect(seen.headers['x-org']).toBe('acme');
    await client.close();
    const plain = createJudgeClient('local', ep({ jsonMode: false }));
    await plain.complete(msgs, live());
    expect(fake.requests[1]!.body.response_format).toBeUndefined();
    await plain.close();
  });

  it.each([
    ['a body that is not JSON', (r: http.ServerResponse) => r.end('<html>'), /the response is not JSON/],
    ['no choices', (r: http.ServerResponse) => r.end('{"choices": []}'), /not a chat completion/],
    [
      'an empty answer',
      (r: http.ServerResponse) => r.end('{"choices": [{"message": {"content": null}}]}'),
      /answer is empty/,
    ],
    [
      'a JSON array answer',
      (r: http.ServerResponse) => r.end('{"choices": [{"message": {"content": "[1]"}}]}'),
      /not a JSON object/,
    ],
    ['a huge body', (r: http.ServerResponse) => r.end('x'.repeat(1024 * 1024 + 10)), /larger than/],
  ])('fails on %s', async (_n, answer, message) => {
    rawHandler = (q, r) => {
      q.resume();
      q.on('end', () => answer(r));
    };
    const client = createJudgeClient('local', ep({ baseUrl: rawUrl }));
    for (let i = 0; i < 2; i++) await expect(client.complete(msgs, live())).rejects.toThrow(message);
    await client.close();
  });

  it('reports a network failure without the API key', async () => {
    const client = createJudgeClient('local', ep({ baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-secret-999' }));
    const error = await client.complete(msgs, live()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JudgeFailure);
    expect((error as JudgeFailure).kind).toBe('network');
    expect(String(error)).not.toContain('sk-secret-999');
    await client.close();
  });

  it('rejects an aborted call with the abort, not a judge failure', async () => {
    const client = createJudgeClient('local', ep());
    const ac = new AbortController();
    ac.abort();
    await expect(client.complete(msgs, ac.signal)).rejects.not.toBeInstanceOf(JudgeFailure);
    await client.close();
  });

  it.each([
    ['```json\n{"a": 1}\n```', { a: 1 }],
    ['```\n{"a": 2}```', { a: 2 }],
    [' {"a": 3} ', { a: 3 }],
  ])('parses the answer %j', (content, json) => {
    expect(parseAnswer(content)).toEqual(json);
    expect(parseAnswer(content)).toEqual(json);
  });

  it.each(['Sure! {"a": 1}', '```json\n{"a": 1}\n``` and more', 'null', '"yes"'])(
    'refuses the answer %j',
    (content) => {
      expect(() => parseAnswer(content)).toThrow(JudgeFailure);
      expect(() => parseAnswer(content)).toThrow(JudgeFailure);
    },
  );

  it('builds API URLs from the base, keeping its path and query', () => {
    expect(apiUrl('http://127.0.0.1:11434/v1/', '/models')).toEqual({
      origin: 'http://127.0.0.1:11434',
      path: '/v1/models',
    });
    expect(apiUrl('https://x.example/openai/v1?api-version=2', '/chat/completions').path).toBe(
      '/openai/v1/chat/completions?api-version=2',
    );
    expect(() => apiUrl('ftp://x', '/m')).toThrow(/not an http/);
    expect(() => apiUrl('nope', '/m')).toThrow(/not a URL/);
  });
});

describe('probeJudge', () => {
  it('says the endpoint answers and lists the model (an Ollama :latest tag counts)', async () => {
    expect(await probeJudge(ep())).toEqual({ ok: true, detail: `${fake.baseUrl}/models answers and lists qwen2.5` });
    expect((await probeJudge(ep({ model: 'llama3.2' }))).ok).toBe(true);
  });

  it('probes every configured judge, in config order', async () => {
    const results = await probeJudges({ a: ep(), b: ep({ model: 'missing' }) });
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('names the models it has when the configured one is missing', async () => {
    const r = await probeJudge(ep({ model: 'gpt-x' }));
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('does not list the model "gpt-x" (it has: llama3.2:latest, qwen2.5)');
  });

  it.each([
    [401, '', /refused the credentials \(HTTP 401\): check apiKey/],
    [500, '', /answered HTTP 500/],
    [200, '<html>', /did not answer with a model list/],
    [200, '{"models": []}', /did not answer with a model list/],
  ])('fails on HTTP %i %j', async (status, body, detail) => {
    rawHandler = (_q, r) => r.writeHead(status).end(body);
    const r = await probeJudge(ep({ baseUrl: rawUrl }));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(detail);
  });

  it('fails on an endpoint that is down, one that hangs, and a bad URL', async () => {
    expect((await probeJudge(ep({ baseUrl: 'http://127.0.0.1:1/v1' }))).detail).toMatch(/is unreachable/);
    rawHandler = () => undefined;
    expect((await probeJudge(ep({ baseUrl: rawUrl }), 100)).detail).toMatch(/did not answer within 100 ms/);
    expect((await probeJudge(ep({ baseUrl: 'file:///x' }))).detail).toMatch(/not an http/);
  });
});

describe('budget and cache', () => {
  it('allows perMinute requests per identity, then refills over the minute', () => {
    let t = 0;
    const budget = createJudgeBudget(2, () => t);
    expect([budget.take('a'), budget.take('a'), budget.take('a'), budget.take('b')]).toEqual([true, true, false, true]);
    t += 30_000;
    expect([budget.take('a'), budget.take('a')]).toEqual([true, false]);
    t += 10 * 60_000;
    expect([budget.take('a'), budget.take('a'), budget.take('a')]).toEqual([true, true, false]);
  });

  it('caches verdicts by a hash of the key parts, and not at all with size 0', () => {
    const cache = createVerdictCache(2);
    const k = cache.key(['relevancy', 'v1', 'text']);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(cache.key(['relevancy', 'v2', 'text'])).not.toBe(k);
    cache.set(k, { score: 1 });
    expect(cache.get(k)).toEqual({ score: 1 });
    expect(cache.size).toBe(1);
    const off = createVerdictCache(0);
    off.set(k, { score: 1 });
    expect(off.get(k)).toBeUndefined();
    expect(off.size).toBe(0);
  });
});
