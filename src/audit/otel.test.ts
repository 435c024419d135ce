import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import type { LlmRecord } from './llm-record.js';
import { createOtelObserver } from './otel.js';

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps every JSON body it is sent. */
const bodies: { path: string; body: Record<string, unknown> }[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let buf = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') buf = zlib.gunzipSync(buf);
    bodies.push({ path: req.url ?? '', body: JSON.parse(buf.toString('utf8')) as Record<string, unknown> });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

interface Attr {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}
const attrs = (list: Attr[] = []) =>
  Object.fromEntries(
    list.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.doubleValue ?? a.value.boolValue]),
  );

const record: LlmRecord = {
  kind: 'llm',
  requestId: 'r-1',
  endpoint: 'chat.completions',
  user: 'ana@example.com',
  project: 'web',
  deployment: 'gpt-fast',
  answeredBy: { deployment: 'gpt-backup', provider: 'fake-openai', model: 'gpt-4o' },
  stream: true,
  outcome: 'ok',
  status: 200,
  stages: [],
  detections: [],
  usage: { inputTokens: 100, outputTokens: 40 },
  costUsd: 0.25,
  durationMs: 1500,
};

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const observer = createOtelObserver(
    {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      serviceName: 'smg-test',
      exportIntervalMs: 60_000,
    },
    { file: '/nonexistent/config.json' } as LoadedConfig,
    silentLogger(),
  );
  // The same request twice: the counters add up, the histogram counts two.
  observer.onLlm!(record);
  observer.onLlm!(record);
  await observer.shutdown!();
});
afterAll(() => server.close());

describe('OpenTelemetry export of AI-proxy requests', () => {
  it('sends the llm metrics with their labels and the histogram with the llm buckets', () => {
    const metrics = bodies
      .filter((b) => b.path === '/v1/metrics')
      .flatMap((b) =>
        (b.body.resourceMetrics as { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[]).flatMap((r) =>
          r.scopeMetrics.flatMap((s) => s.metrics),
        ),
      );
    const byName = new Map(metrics.map((m) => [m.name as string, m]));
    type Point = {
      attributes: Attr[];
      asDouble?: number;
      asInt?: string | number;
      count?: string | number;
      explicitBounds?: number[];
    };
    const points = (name: string): Point[] => {
      const m = byName.get(name) as { sum?: { dataPoints: Point[] }; histogram?: { dataPoints: Point[] } } | undefined;
      return (m?.sum ?? m?.histogram)?.dataPoints ?? [];
    };
    expect(points('smg.llm.requests').map((p) => [attrs(p.attributes), Number(p.asDouble ?? p.asInt)])).toEqual([
      [{ deployment: 'gpt-fast', endpoint: 'chat.completions', outcome: 'ok', rule: '(none)' }, 2],
    ]);
    expect(
      points('smg.llm.tokens')
        .map((p) => [attrs(p.attributes).direction, attrs(p.attributes).deployment, Number(p.asDouble ?? p.asInt)])
        .sort(),
    ).toEqual([
      ['input', 'gpt-backup', 200],
      ['output', 'gpt-backup', 80],
    ]);
    expect(points('smg.llm.cost_usd').map((p) => [attrs(p.attributes), p.asDouble])).toEqual([
      [{ deployment: 'gpt-backup', project: 'web' }, 0.5],
    ]);
    const [h] = points('smg.llm.request.duration');
    expect(Number(h!.count)).toBe(2);
    expect(h!.explicitBounds).toContain(300);
  });

  it('sends a span per request with who, the deployments, the outcome and the tokens', () => {
    const spans = bodies
      .filter((b) => b.path === '/v1/traces')
      .flatMap((b) =>
        (
          b.body.resourceSpans as {
            scopeSpans: {
              spans: { name: string; attributes: Attr[]; startTimeUnixNano: string; endTimeUnixNano: string }[];
            }[];
          }[]
        ).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
      );
    expect(spans.map((s) => s.name)).toEqual(['llm chat.completions gpt-fast', 'llm chat.completions gpt-fast']);
    expect(attrs(spans[0]!.attributes)).toMatchObject({
      'smg.request_id': 'r-1',
      'smg.user': 'ana@example.com',
      'smg.deployment': 'gpt-fast',
      'smg.answered_by': 'gpt-backup',
      'gen_ai.request.model': 'gpt-4o',
      'smg.outcome': 'ok',
    });
    expect(Number(attrs(spans[0]!.attributes)['gen_ai.usage.input_tokens'])).toBe(100);
    const ms = Number(BigInt(spans[0]!.endTimeUnixNano) - BigInt(spans[0]!.startTimeUnixNano)) / 1e6;
    expect(ms).toBeCloseTo(1500, 0);
  });
});
