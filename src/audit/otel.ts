/**
 * OpenTelemetry export over OTLP/HTTP, with the official SDK: a span per call with a child span per stage and one
 * for the upstream call, a span per AI-proxy request, the metrics of metrics.ts, one log record per audit event, and the gateway's own log lines (log-forward.ts). Loaded with `await
 * import()` only when `telemetry.otlp` is configured (setup.ts), so the bundle keeps it in a lazy chunk and a
 * gateway without telemetry loads none of it.
 *
 * Spans are built when the call's record is, with the stage times the pipeline measured (explicit start and end
 * times), so nothing in the pipeline carries a tracing context and a call costs no tracing work while it runs.
 * Failure mode: a collector that is down or slow only loses telemetry: the exporters batch and retry in the
 * background, and the audit log and the local logs are written whatever they do.
 */
import path from 'node:path';
import { context, trace, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { LoadedConfig } from '../config/load.js';
import { RefError, resolveRefs } from '../config/refs.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import type { TelemetryConfig } from './config-schema.js';
import {
  callMeasurements,
  eventMeasurements,
  llmMeasurements,
  METRICS,
  SECONDS_BUCKETS,
  type MetricDef,
  type MetricName,
} from './metrics.js';
import type { LogForwarder } from './log-forward.js';
import type { AuditObserver } from './sink.js';

type Otlp = NonNullable<TelemetryConfig['otlp']>;

/** pino's numeric levels → OpenTelemetry severities. */
const SEVERITY: Record<number, [SeverityNumber, string]> = {
  10: [SeverityNumber.TRACE, 'TRACE'],
  20: [SeverityNumber.DEBUG, 'DEBUG'],
  30: [SeverityNumber.INFO, 'INFO'],
  40: [SeverityNumber.WARN, 'WARN'],
  50: [SeverityNumber.ERROR, 'ERROR'],
  60: [SeverityNumber.FATAL, 'FATAL'],
};

export function createOtelObserver(
  cfg: Otlp,
  loaded: LoadedConfig,
  log: Logger,
  forwarder?: LogForwarder,
): AuditObserver {
  const base = cfg.endpoint.replace(/\/+$/, '');
  const headers = Object.fromEntries(
    Object.entries(cfg.headers ?? {}).map(([k, v]) => {
      try {
        return [k, resolveRefs(v, { env: process.env, baseDir: path.dirname(loaded.file) })];
      } catch (error) {
        if (!(error instanceof RefError)) throw error;
        throw new GatewayError(
          'CONFIG_INVALID',
          `${loaded.file}: invalid config:\n  at telemetry.otlp.headers[${JSON.stringify(k)}]: ${error.message}`,
        );
      }
    }),
  );
  const resource = resourceFromAttributes({ 'service.name': cfg.serviceName, 'service.version': VERSION });
  const batch = { scheduledDelayMillis: Math.min(cfg.exportIntervalMs, 5000) };

  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers }), batch)],
  });
  const tracer = tracerProvider.getTracer('secure-mcp-gateway', VERSION);

  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics`, headers }),
        exportIntervalMillis: cfg.exportIntervalMs,
        exportTimeoutMillis: Math.min(cfg.exportIntervalMs, 30_000),
      }),
    ],
  });
  const meter = meterProvider.getMeter('secure-mcp-gateway', VERSION);
  const instruments = Object.fromEntries(
    (Object.keys(METRICS) as MetricName[]).map((name) => {
      const def: MetricDef = METRICS[name];
      const opts = { description: def.help, ...(def.unit ? { unit: def.unit } : {}) };
      if (def.type === 'counter') {
        const counter = meter.createCounter(def.otel, opts);
        return [name, (value: number, labels: Attributes) => counter.add(value, labels)];
      }
      const histogram = meter.createHistogram(def.otel, {
        ...opts,
        advice: { explicitBucketBoundaries: [...(def.buckets ?? SECONDS_BUCKETS)] },
      });
      return [name, (value: number, labels: Attributes) => histogram.record(value, labels)];
    }),
  ) as Record<MetricName, (value: number, labels: Attributes) => void>;

  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs`, headers }), ...batch }),
    ],
  });
  const otelLog = loggerProvider.getLogger('secure-mcp-gateway', VERSION);

  // The gateway's own log lines (JSON from pino, already redacted) become log records too.
  const gatewayLog = loggerProvider.getLogger('secure-mcp-gateway.log', VERSION);
  forwarder?.attach((line) => {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const [severityNumber, severityText] = SEVERITY[entry.level as number] ?? [SeverityNumber.INFO, 'INFO'];
    const attributes: Attributes = {};
    for (const [k, v] of Object.entries(entry))
      if (k !== 'msg' && k !== 'level' && k !== 'time')
        attributes[k] =
          typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
    const time = typeof entry.time === 'string' ? Date.parse(entry.time) : Date.now();
    gatewayLog.emit({
      severityNumber,
      severityText,
      body: typeof entry.msg === 'string' ? entry.msg : '',
      attributes,
      timestamp: time,
    });
  });
  log.info({ endpoint: base }, 'exporting traces, metrics and logs over OTLP/HTTP');
  return {
    onCall(record, timing) {
      for (const m of callMeasurements(record, timing)) instruments[m.metric](m.value, m.labels);
      const attributes: Attributes = {
        'smg.call_id': record.callId,
        'smg.session_id': record.sessionId,
        'smg.user': record.user,
        'smg.project': record.project,
        'smg.tool': record.exposed,
        'smg.outcome': record.outcome,
        ...(record.server ? { 'smg.server': record.server, 'mcp.tool.name': record.tool ?? '' } : {}),
        ...(record.ruleId ? { 'smg.rule_id': record.ruleId } : {}),
      };
      const span = tracer.startSpan(`tools/call ${record.exposed}`, { startTime: timing.start, attributes });
      if (record.outcome === 'errored' || record.outcome === 'upstream-error')
        span.setStatus({ code: SpanStatusCode.ERROR, message: record.error ?? record.outcome });
      const parent = trace.setSpan(context.active(), span);
      for (const s of timing.stages) {
        const child = tracer.startSpan(
          `stage ${s.slot}/${s.stage}`,
          {
            startTime: s.start,
            attributes: {
              'smg.stage': s.stage,
              'smg.slot': s.slot,
              'smg.action': s.action,
              ...(s.ruleId ? { 'smg.rule_id': s.ruleId } : {}),
            },
          },
          parent,
        );
        if (s.action === 'deny' || s.action === 'error')
          child.setStatus({ code: SpanStatusCode.ERROR, message: s.ruleId ?? s.action });
        child.end(s.start + s.ms);
      }
      if (timing.upstream) {
        const up = tracer.startSpan(
          `upstream ${record.server ?? ''}`,
          {
            startTime: timing.upstream.start,
            attributes: { 'smg.server': record.server ?? '', 'mcp.tool.name': record.tool ?? '' },
          },
          parent,
        );
        if (timing.upstream.failed)
          up.setStatus({ code: SpanStatusCode.ERROR, message: record.error ?? 'upstream failed' });
        up.end(timing.upstream.start + timing.upstream.ms);
      }
      span.end(timing.end);
    },
    onEvent(event) {
      for (const m of eventMeasurements(event)) instruments[m.metric](m.value, m.labels);
      const attributes: Attributes = {};
      for (const [k, v] of Object.entries(event))
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attributes[`smg.${k}`] = v;
      // A sandbox event is always worth a look: a denial, a stop, a server unconfined or refused.
      const bad =
        (event.kind === 'call' && event.outcome !== 'allowed') ||
        (event.kind === 'llm' && event.outcome !== 'ok') ||
        event.kind === 'sandbox';
      otelLog.emit({
        severityNumber: bad ? SeverityNumber.WARN : SeverityNumber.INFO,
        severityText: bad ? 'WARN' : 'INFO',
        body: `${event.kind}${typeof event.event === 'string' ? ` ${event.event}` : ''}${typeof event.outcome === 'string' ? ` ${event.outcome}` : ''}`,
        attributes,
      });
    },
    onLlm(record) {
      for (const m of llmMeasurements(record)) instruments[m.metric](m.value, m.labels);
      // One span per AI-proxy request, seen when its answer ended: it started durationMs before. Attribute names
      // follow the OpenTelemetry GenAI conventions where one exists (gen_ai.*), so GenAI dashboards read them.
      const end = Date.now();
      const span = tracer.startSpan(`llm ${record.endpoint} ${record.deployment ?? 'unknown'}`, {
        startTime: end - record.durationMs,
        attributes: {
          'smg.request_id': record.requestId,
          'smg.user': record.user,
          'smg.project': record.project,
          'smg.outcome': record.outcome,
          'http.response.status_code': record.status,
          'smg.stream': record.stream,
          ...(record.deployment ? { 'smg.deployment': record.deployment } : {}),
          ...(record.ruleId ? { 'smg.rule_id': record.ruleId } : {}),
          ...(record.answeredBy
            ? {
                'smg.answered_by': record.answeredBy.deployment,
                'smg.provider': record.answeredBy.provider,
                'gen_ai.request.model': record.answeredBy.model,
              }
            : {}),
          ...(record.usage
            ? {
                'gen_ai.usage.input_tokens': record.usage.inputTokens,
                'gen_ai.usage.output_tokens': record.usage.outputTokens,
              }
            : {}),
          ...(record.costUsd !== undefined ? { 'smg.cost_usd': record.costUsd } : {}),
        },
      });
      if (record.outcome === 'error')
        span.setStatus({ code: SpanStatusCode.ERROR, message: `status ${record.status}` });
      span.end(end);
    },
    onCache(cache, hit) {
      instruments.cacheLookups(1, { cache, result: hit ? 'hit' : 'miss' });
    },
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
    },
  };
}
