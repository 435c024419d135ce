/**
 * Prometheus metrics for `serve`: a prom-client Registry with the same metrics as the OpenTelemetry export
 * (metrics.ts), fed by the audit sink as an observer, and a plain `(req, res)` handler for `GET /metrics` in the
 * Prometheus text format. Failure mode: a metric that cannot be recorded is dropped (the sink logs it); the
 * handler answers 500 if the registry cannot be serialised.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  callMeasurements,
  eventMeasurements,
  llmMeasurements,
  METRICS,
  SECONDS_BUCKETS,
  type MetricDef,
  type MetricName,
} from './metrics.js';
import type { AuditObserver } from './sink.js';

export interface PrometheusMetrics {
  registry: Registry;
  observer: AuditObserver;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export function createPrometheusMetrics(opts: { processMetrics?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'smg_' });
  const metrics = Object.fromEntries(
    (Object.keys(METRICS) as MetricName[]).map((name) => {
      const def: MetricDef = METRICS[name];
      const common = { name: def.prom, help: def.help, labelNames: def.labels, registers: [registry] };
      return [
        name,
        def.type === 'counter'
          ? new Counter(common)
          : new Histogram({ ...common, buckets: [...(def.buckets ?? SECONDS_BUCKETS)] }),
      ];
    }),
  ) as Record<MetricName, Counter | Histogram>;
  const add = (name: MetricName, labels: Record<string, string>, value: number) => {
    const m = metrics[name];
    if (m instanceof Counter) m.inc(labels, value);
    else m.observe(labels, value);
  };
  return {
    registry,
    observer: {
      onCall(record, timing) {
        for (const m of callMeasurements(record, timing)) add(m.metric, m.labels, m.value);
      },
      onEvent(event) {
        for (const m of eventMeasurements(event)) add(m.metric, m.labels, m.value);
      },
      onLlm(record) {
        for (const m of llmMeasurements(record)) add(m.metric, m.labels, m.value);
      },
      onCache(cache, hit) {
        add('cacheLookups', { cache, result: hit ? 'hit' : 'miss' }, 1);
      },
    },
    handler(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${String(error)}\n`);
        },
      );
    },
  };
}
