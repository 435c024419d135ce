import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../errors.js';
import type { Detection } from '../types.js';
import { createRemoteDetector, type RemoteCallOptions, type RemoteDetectorSpec } from './client.js';
import { BadResponseError, isRecord } from './json.js';
import { hang, json, live, useFakeApi, startFakeApi } from '../../../test/support/provider-test-server.js';

const KEY = 'sk-test-0123456789abcdef';

const fake = useFakeApi();

/** A minimal provider: `{ bad: true }` is flagged, anything without a boolean `bad` is an unexpected body. */
function detector(
  options: RemoteCallOptions = {},
  extra: Partial<RemoteDetectorSpec> = {},
  onFailure?: (m: string) => void,
) {
  return createRemoteDetector(
    {
      name: 'probe',
      url: `${fake.api.origin}/check?tenant=1`,
      headers: { authorization: `Bearer ${KEY}` },
      options: { timeoutMs: 2000, ...options },
      body: (text, where) => ({ text, where }),
      parse(body, text): Detection[] {
        if (!isRecord(body) || typeof body.bad !== 'boolean') throw new BadResponseError('no verdict');
        return body.bad ? [{ detector: 'probe', rule: 'probe.bad', score: 1, excerpt: text.slice(0, 2) }] : [];
      },
      ...extra,
    },
    onFailure ? { onFailure } : {},
  );
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('remote provider client', () => {
  it('posts JSON with the configured headers and returns the parsed verdict', async () => {
    fake.api.handle((_req, res) => json(res, 200, { bad: true }));
    const d = detector({ cacheSize: 0 });
    for (let i = 0; i < 2; i++) {
      await expect(d.scan('hello', 'input', live())).resolves.toEqual([
        { detector: 'probe', rule: 'probe.bad', score: 1, excerpt: 'he' },
      ]);
    }
    expect(fake.api.requests).toHaveLength(2);
    const [seen] = fake.api.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe('/check?tenant=1');
    expect(seen?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.body).toEqual({ text: 'hello', where: 'input' });
  });

  it('answers a repeated scan from the cache: the server sees one request', async () => {
    fake.api.handle((_req, res) => json(res, 200, { bad: false }));
    const d = detector();
    await expect(d.scan('same text', 'output', live())).resolves.toEqual([]);
    await expect(d.scan('same text', 'output', live())).resolves.toEqual([]);
    expect(fake.api.requests).toHaveLength(1);
  });

  it('keys the cache by phase and text', async () => {
    fake.api.handle((_req, res) => json(res, 200, { bad: false }));
    const d = detector();
    await d.scan('a', 'input', live());
    await d.scan('a', 'output', live());
    await d.scan('b', 'input', live());
    await d.scan('a', 'input', live());
    expect(fake.api.requests).toHaveLength(3);
  });

  it('hands out copies, so a caller that annotates a detection does not change the cached verdict', async () => {
    fake.api.handle((_req, res) => json(res, 200, { bad: true }));
    const d = detector();
    const first = await d.scan('xyz', 'input', live());
    first[0]!.path = 'arguments.q';
    const second = await d.scan('xyz', 'input', live());
    expect(second[0]?.path).toBeUndefined();
    expect(fake.api.requests).toHaveLength(1);
  });

  it('does not cache failures', async () => {
    fake.api.handle((_req, res) => json(res, 400, {}));
    const d = detector();
    await failure(d.scan('t', 'input', live()));
    await failure(d.scan('t', 'input', live()));
    expect(fake.api.requests).toHaveLength(2);
  });

  it('retries a 503 and then succeeds', async () => {
    let n = 0;
    fake.api.handle((_req, res) => (++n <= 2 ? json(res, 503, { error: 'busy' }) : json(res, 200, { bad: true })));
    const d = detector({ retries: 2 });
    await expect(d.scan('retry me', 'input', live())).resolves.toHaveLength(1);
    await expect(d.scan('retry me', 'input', live())).resolves.toHaveLength(1);
    expect(fake.api.requests).toHaveLength(3);
  });

  it('retries 429 and network errors the same way', async () => {
    let n = 0;
    fake.api.handle((_req, res) => {
      n++;
      if (n === 1) json(res, 429, {});
      else if (n === 2) res.socket?.destroy();
      else json(res, 200, { bad: false });
    });
    await expect(detector({ retries: 3 }).scan('flaky', 'input', live())).resolves.toEqual([]);
    expect(fake.api.requests).toHaveLength(3);
  });

  it('gives up after the retries with the last failure', async () => {
    fake.api.handle((_req, res) => json(res, 502, {}));
    const error = await failure(detector({ retries: 1 }).scan('down', 'input', live()));
    expect(error.message).toBe('guardrail provider "probe" failed: answered HTTP 502 (2 attempts)');
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.data).toEqual({ provider: 'probe', failure: 'http-status', status: 502 });
    expect(fake.api.requests).toHaveLength(2);
  });

  it('does not wait for a Retry-After beyond the deadline', async () => {
    fake.api.handle((_req, res) => res.writeHead(429, { 'retry-after': '60' }).end());
    const error = await failure(detector({ retries: 5, timeoutMs: 1000 }).scan('later', 'input', live()));
    expect(error.message).toMatch(/answered HTTP 429/);
    expect(fake.api.requests).toHaveLength(1);
  });

  it('does not retry other 4xx answers', async () => {
    fake.api.handle((_req, res) => json(res, 401, { message: `bad key ${KEY}` }));
    const error = await failure(detector({ retries: 3 }).scan('x', 'input', live()));
    expect(error.message).toBe('guardrail provider "probe" failed: answered HTTP 401');
    expect(fake.api.requests).toHaveLength(1);
  });

  it('fails closed on a timeout, retries included, rather than hanging', async () => {
    fake.api.handle(hang);
    for (let i = 0; i < 2; i++) {
      const error = await failure(detector({ timeoutMs: 150, retries: 3 }).scan('slow', 'input', live()));
      expect(error.code).toBe('UPSTREAM_TIMEOUT');
      expect(error.message).toBe('guardrail provider "probe" failed: timed out after 150 ms');
    }
  });

  it('keeps retrying 5xx only until the deadline', async () => {
    fake.api.handle((_req, res) => setTimeout(() => json(res, 503, {}), 40));
    const error = await failure(detector({ timeoutMs: 200, retries: 5 }).scan('busy', 'input', live()));
    expect(error.message).toMatch(/^guardrail provider "probe" failed: (timed out after 200 ms|answered HTTP 503)/);
    expect(fake.api.requests.length).toBeLessThanOrEqual(6);
  });

  it('fails open when configured: [] and a report instead of a throw', async () => {
    fake.api.handle(hang);
    const reports: string[] = [];
    const d = detector({ timeoutMs: 150, retries: 0, failOpen: true }, {}, (m) => reports.push(m));
    await expect(d.scan('slow', 'input', live())).resolves.toEqual([]);
    await expect(d.scan('slow', 'input', live())).resolves.toEqual([]);
    expect(reports).toEqual([
      'guardrail provider "probe" failed: timed out after 150 ms',
      'guardrail provider "probe" failed: timed out after 150 ms',
    ]);
  });

  it('fails open without a failure callback too', async () => {
    fake.api.handle((_req, res) => json(res, 500, {}));
    await expect(detector({ retries: 0, failOpen: true }).scan('x', 'input', live())).resolves.toEqual([]);
  });

  it.each([
    ['not JSON', '<html>oops</html>', 'the response is not JSON'],
    ['JSON of the wrong shape', { verdict: 'bad' }, 'unexpected response: no verdict'],
  ])('fails closed on a 2xx body that is %s', async (_what, body, reason) => {
    fake.api.handle((_req, res) => json(res, 200, body));
    const d = detector();
    for (let i = 0; i < 2; i++) {
      const error = await failure(d.scan('x', 'input', live()));
      expect(error.message).toBe(`guardrail provider "probe" failed: ${reason}`);
      expect(error.data).toMatchObject({ failure: 'bad-response' });
    }
    expect(fake.api.requests).toHaveLength(2); // an unexpected body is not retried
  });

  it('refuses an answer larger than a verdict can be', async () => {
    fake.api.handle((_req, res) => json(res, 200, { bad: false, pad: 'x'.repeat(1_100_000) }));
    const error = await failure(detector().scan('x', 'input', live()));
    expect(error.message).toMatch(/the response is larger than 1048576 bytes/);
  });

  it('rethrows an error of the parser that is not about the body', async () => {
    fake.api.handle((_req, res) => json(res, 200, {}));
    const boom = new TypeError('bug');
    const d = detector(
      { failOpen: true },
      {
        parse: () => {
          throw boom;
        },
      },
    );
    await expect(d.scan('x', 'input', live())).rejects.toBe(boom);
  });

  it('rejects when the caller aborts, even when failing open', async () => {
    fake.api.handle(hang);
    for (const failOpen of [false, true]) {
      const ac = new AbortController();
      const pending = detector({ timeoutMs: 5000, failOpen }).scan('wait', 'input', ac.signal);
      await vi.waitFor(() => expect(fake.api.requests.length).toBeGreaterThan(0));
      ac.abort(new Error('client cancelled'));
      await expect(pending).rejects.toThrow('client cancelled');
      fake.api.requests.length = 0;
    }
  });

  it('rejects at once, without a request, when the signal is already aborted', async () => {
    fake.api.handle((_req, res) => json(res, 200, { bad: false }));
    const ac = new AbortController();
    ac.abort();
    await expect(detector().scan('x', 'input', ac.signal)).rejects.toThrow();
    expect(fake.api.requests).toHaveLength(0);
  });

  it('rejects when the caller aborts during the backoff between attempts', async () => {
    const ac = new AbortController();
    fake.api.handle((_req, res) => {
      json(res, 503, {});
      setTimeout(() => ac.abort(new Error('stop')), 5);
    });
    await expect(detector({ retries: 5, timeoutMs: 5000 }).scan('x', 'input', ac.signal)).rejects.toThrow('stop');
  });

  it('never puts the API key in an error, even when the network error is not ours', async () => {
    const closed = await startFakeApi();
    const port = new URL(closed.origin).port;
    await closed.close();
    const d = createRemoteDetector({
      name: 'probe',
      url: `http://127.0.0.1:${port}/`,
      headers: { authorization: `Bearer ${KEY}`, 'x-echo': KEY },
      options: { retries: 1, timeoutMs: 2000 },
      body: () => ({}),
      parse: () => [],
    });
    const error = await failure(d.scan('x', 'input', live()));
    expect(error.message).toMatch(
      /^guardrail provider "probe" failed: request failed: .*ECONNREFUSED.* \(2 attempts\)$/,
    );
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(error.data)).not.toContain(KEY);
  });

  it('redacts a header value that an error message repeats', async () => {
    const d = createRemoteDetector({
      name: `probe ${KEY}`,
      url: `${fake.api.origin}/`,
      headers: { apikey: KEY },
      options: { retries: 0 },
      body: () => ({}),
      parse: () => [],
    });
    fake.api.handle((_req, res) => json(res, 500, {}));
    const error = await failure(d.scan('x', 'input', live()));
    expect(error.message).toBe('guardrail provider "probe [redacted]" failed: answered HTTP 500');
  });

  it('rejects a URL that is not http or https at creation, without repeating it', () => {
    expect(() => detector({}, { url: `ftp://host/?key=${KEY}` })).toThrow(
      'guardrail provider "probe": the URL is not an http or https URL',
    );
    expect(() => detector({}, { url: 'not a url' })).toThrow(GatewayError);
  });
});
