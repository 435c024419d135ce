/**
 * The metrics, defined once for both exporters: OpenTelemetry instruments (otel.ts) and the Prometheus registry
 * (prometheus.ts). Prometheus names follow the OpenTelemetry-to-Prometheus convention (dots become underscores, a
 * seconds unit becomes `_seconds`, counters end in `_total`), so a dashboard built on either source finds the same
 * series. `callMeasurements`, `eventMeasurements` and `llmMeasurements` turn audit records into the measurements
 * both sides record. Label values stay bounded: they come from the config (servers, tools, deployments, projects)
 * or from rule ids, never from what a caller typed.
 */
import type { LlmRecord } from './llm-record.js';
import type { CallRecord } from './record.js';
import type { AuditEvent, CallTiming } from './sink.js';

export interface MetricDef {
  otel: string;
  prom: string;
  type: 'counter' | 'histogram';
  help: string;
  labels: readonly string[];
  unit?: 's';
  /** Histogram bucket bounds in seconds, when SECONDS_BUCKETS do not fit. */
  buckets?: readonly number[];
}

/** An AI-proxy request takes from a blocked input's milliseconds to a long completion's minutes. */
export const LLM_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];

export const METRICS = {
  calls: {
    otel: 'smg.calls',
    prom: 'smg_calls_total',
    type: 'counter',
    help: 'tools/call requests, by server, tool and outcome (allowed, blocked, errored, upstream-error)',
    labels: ['server', 'tool', 'outcome'],
  },
  blocks: {
    otel: 'smg.blocks',
    prom: 'smg_blocks_total',
    type: 'counter',
    help: 'blocked calls, by the rule that blocked them',
    labels: ['rule', 'server'],
  },
  stageDuration: {
    otel: 'smg.stage.duration',
    prom: 'smg_stage_duration_seconds',
    type: 'histogram',
    help: 'time spent in each pipeline stage',
    labels: ['stage', 'slot'],
    unit: 's',
  },
  callDuration: {
    otel: 'smg.call.duration',
    prom: 'smg_call_duration_seconds',
    type: 'histogram',
    help: 'tools/call latency through the gateway, by server and tool',
    labels: ['server', 'tool'],
    unit: 's',
  },
  cacheLookups: {
    otel: 'smg.cache.lookups',
    prom: 'smg_cache_lookups_total',
    type: 'counter',
    help: 'cache lookups, by cache and result (hit, miss)',
    labels: ['cache', 'result'],
  },
  upstreamRestarts: {
    otel: 'smg.upstream.restarts',
    prom: 'smg_upstream_restarts_total',
    type: 'counter',
    help: 'upstream servers that went away and were restarted',
    labels: ['server'],
  },
  sandboxEvents: {
    otel: 'smg.sandbox.events',
    prom: 'smg_sandbox_events_total',
    type: 'counter',
    help: 'sandbox events (egress-denied, stopped, unconfined, refused), by server, event and rule',
    labels: ['server', 'event', 'rule'],
  },
  llmRequests: {
    otel: 'smg.llm.requests',
    prom: 'smg_llm_requests_total',
    type: 'counter',
    help: 'AI-proxy requests, by the deployment asked for, endpoint, outcome (ok, blocked, refused, limited, error) and rule',
    labels: ['deployment', 'endpoint', 'outcome', 'rule'],
  },
  llmTokens: {
    otel: 'smg.llm.tokens',
    prom: 'smg_llm_tokens_total',
    type: 'counter',
    help: 'AI-proxy tokens as the provider counted them, by the deployment that answered and direction (input, output)',
    labels: ['deployment', 'direction'],
  },
  llmCost: {
    otel: 'smg.llm.cost_usd',
    prom: 'smg_llm_cost_usd_total',
    type: 'counter',
    help: 'AI-proxy cost in US dollars (llm.prices), by the deployment that answered and the project',
    labels: ['deployment', 'project'],
  },
  llmDuration: {
    otel: 'smg.llm.request.duration',
    prom: 'smg_llm_request_duration_seconds',
    type: 'histogram',
    help: 'AI-proxy request time through the gateway, to the end of the answer (streamed or not), by deployment and endpoint',
    labels: ['deployment', 'endpoint'],
    unit: 's',
    buckets: LLM_SECONDS_BUCKETS,
  },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRICS;

/** Bucket bounds in seconds: stages take microseconds to a remote provider's seconds. */
export const SECONDS_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface Measurement {
  metric: MetricName;
  labels: Record<string, string>;
  value: number;
}

/** What one audited call adds to the metrics. */
export function callMeasurements(record: CallRecord, timing: CallTiming): Measurement[] {
  const server = record.server ?? '(unknown)';
  const tool = record.tool ?? '(unknown)';
  const out: Measurement[] = [
    { metric: 'calls', labels: { server, tool, outcome: record.outcome }, value: 1 },
    { metric: 'callDuration', labels: { server, tool }, value: (timing.end - timing.start) / 1000 },
  ];
  if (record.outcome === 'blocked')
    out.push({ metric: 'blocks', labels: { rule: record.ruleId ?? '(none)', server }, value: 1 });
  for (const s of record.stages)
    out.push({ metric: 'stageDuration', labels: { stage: s.stage, slot: s.slot }, value: s.ms / 1000 });
  return out;
}

/**
 * The rule a sandbox event counts under when the record names none: a stop is `sandbox.stopped`, a refused server
 * `sandbox.unavailable`; an unconfined server broke no rule, so "(none)" (its reason says why: no profile, `false`,
 * or no sandbox on this machine).
 */
const SANDBOX_EVENT_RULE: Record<string, string> = {
  stopped: 'sandbox.stopped',
  refused: 'sandbox.unavailable',
};

/** What one audit event (not a call) adds to the metrics: upstream restarts and sandbox events. */
export function eventMeasurements(event: AuditEvent): Measurement[] {
  const server = typeof event.server === 'string' ? event.server : '(unknown)';
  if (event.kind === 'upstream' && event.event === 'restarted')
    return [{ metric: 'upstreamRestarts', labels: { server }, value: 1 }];
  if (event.kind === 'sandbox' && typeof event.event === 'string') {
    const rule = typeof event.ruleId === 'string' ? event.ruleId : (SANDBOX_EVENT_RULE[event.event] ?? '(none)');
    return [{ metric: 'sandboxEvents', labels: { server, event: event.event, rule }, value: 1 }];
  }
  return [];
}

/**
 * The deployment label of a request: the configured deployment it named, else "unknown". A 401 (the caller is not
 * known) or 404 (the model is not a deployment) always counts as "unknown", whatever the record names, so that no
 * unauthenticated caller or made-up model name can add a series.
 */
export function llmDeploymentLabel(r: {
  deployment?: string | undefined;
  answeredBy?: { deployment: string } | undefined;
  status: number;
}): string {
  if (r.status === 401 || r.status === 404) return 'unknown';
  return r.deployment ?? r.answeredBy?.deployment ?? 'unknown';
}

/**
 * What one AI-proxy request adds to the metrics. Requests and duration count under the deployment asked for;
 * tokens and cost under the deployment that answered (a fallback's tokens are its own, and priced as its model).
 */
export function llmMeasurements(r: LlmRecord): Measurement[] {
  const deployment = llmDeploymentLabel(r);
  const spent = r.answeredBy?.deployment ?? deployment;
  const out: Measurement[] = [
    {
      metric: 'llmRequests',
      labels: { deployment, endpoint: r.endpoint, outcome: r.outcome, rule: r.ruleId ?? '(none)' },
      value: 1,
    },
    { metric: 'llmDuration', labels: { deployment, endpoint: r.endpoint }, value: r.durationMs / 1000 },
  ];
  if (r.usage) {
    out.push({ metric: 'llmTokens', labels: { deployment: spent, direction: 'input' }, value: r.usage.inputTokens });
    out.push({ metric: 'llmTokens', labels: { deployment: spent, direction: 'output' }, value: r.usage.outputTokens });
  }
  if (r.costUsd !== undefined)
    out.push({ metric: 'llmCost', labels: { deployment: spent, project: r.project }, value: r.costUsd });
  return out;
}
