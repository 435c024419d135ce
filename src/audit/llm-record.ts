/**
 * The audit record of one AI-proxy request (issue 20): who asked (user, project, key or SSO subject), which
 * deployment they named and which one answered after the fallbacks (with the tries that failed before it), how it
 * ended (outcome, HTTP status, rule, reason), every guardrail stage's verdict, the detections by rule and detector,
 * the tokens, the cost and the duration. The proxy hands the finished request to `AuditSink.llm` once, after the
 * answer ended (streamed or not).
 *
 * Built by copying the known fields only: a detection's matched text (`excerpt`) or any other field a caller adds
 * never reaches the log. Free text that may quote the request or the provider (the reason, a failed attempt's
 * error, the model string the caller sent) passes the sink's redactor. Pure.
 */
import type { Redactor } from './redact.js';

/** `models`: GET /v1/models, which lists the deployments the caller may use. */
export type LlmEndpoint = 'chat.completions' | 'messages' | 'embeddings' | 'models';

/**
 * - `ok`: answered; `blocked`: a guardrail stopped it (input, a model's tool call, or mid-stream: then status 200);
 * - `refused`: no or bad credentials (401), a deployment the role may not use (403), an unknown model (404), a bad request;
 * - `limited`: a rate limit or budget (429, or 503 when the limits cannot be checked);
 * - `error`: the provider failed after the fallbacks (502, 504, 429 from the provider) or the gateway did.
 */
export type LlmOutcome = 'ok' | 'blocked' | 'refused' | 'limited' | 'error';

export interface LlmAuditRecord {
  requestId: string;
  endpoint: LlmEndpoint;
  user: string;
  project: string;
  keyId?: string;
  subject?: string;
  /**
   * The configured deployment the request named; `unknown` or absent when it named none (an unknown model, or a
   * request refused before its body was read). Metrics count those, and every 401 and 404, as `deployment="unknown"`.
   */
  deployment?: string;
  /** The model string as the caller sent it, for the audit only (redacted, at most 128 characters). */
  model?: string;
  /** The deployment that answered, after fallbacks, and its provider and model. */
  answeredBy?: { deployment: string; provider: string; model: string };
  /** The tries that failed before the answer (or before giving up), in order. */
  attempts?: { deployment: string; provider: string; error: string }[];
  stream: boolean;
  outcome: LlmOutcome;
  /** The HTTP status sent; a mid-stream block is 200 with outcome `blocked`. */
  status: number;
  ruleId?: string;
  reason?: string;
  stages: {
    side: 'input' | 'output' | 'tool-call' | 'stream';
    stage: string;
    action: string;
    ruleId?: string;
    ms?: number;
  }[];
  /** What the guardrails found, by rule and detector; never the matched text. */
  detections: { rule: string; detector: string; where?: string; entity?: string }[];
  /** As the provider counted them; `estimated` when the gateway counted because the provider did not (a stream cut short). */
  usage?: { inputTokens: number; outputTokens: number; estimated?: boolean };
  costUsd?: number;
  durationMs: number;
}

/** The record as written: `kind: "llm"` before the chain seals it. */
export type LlmRecord = { kind: 'llm' } & LlmAuditRecord;

export const MODEL_MAX_CHARS = 128;

const round = (ms: number) => Math.round(ms * 1000) / 1000;
/** A count or amount from the proxy: a finite, non-negative number, or nothing (a NaN must not poison a sum). */
const amount = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

export function buildLlmRecord(r: LlmAuditRecord, redact: Redactor): LlmRecord {
  const cost = amount(r.costUsd);
  return {
    kind: 'llm',
    requestId: r.requestId,
    endpoint: r.endpoint,
    user: r.user,
    project: r.project,
    ...(r.keyId !== undefined ? { keyId: r.keyId } : {}),
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
    ...(r.deployment !== undefined ? { deployment: r.deployment } : {}),
    ...(r.model !== undefined ? { model: redact.text(r.model.slice(0, MODEL_MAX_CHARS)) } : {}),
    ...(r.answeredBy
      ? {
          answeredBy: {
            deployment: r.answeredBy.deployment,
            provider: r.answeredBy.provider,
            model: r.answeredBy.model,
          },
        }
      : {}),
    ...(r.attempts?.length
      ? {
          attempts: r.attempts.map((a) => ({
            deployment: a.deployment,
            provider: a.provider,
            error: redact.text(a.error),
          })),
        }
      : {}),
    stream: r.stream,
    outcome: r.outcome,
    status: r.status,
    ...(r.ruleId !== undefined ? { ruleId: r.ruleId } : {}),
    ...(r.reason !== undefined ? { reason: redact.text(r.reason) } : {}),
    stages: r.stages.map((s) => {
      const ms = amount(s.ms);
      return {
        side: s.side,
        stage: s.stage,
        action: s.action,
        ...(s.ruleId !== undefined ? { ruleId: s.ruleId } : {}),
        ...(ms !== undefined ? { ms: round(ms) } : {}),
      };
    }),
    detections: r.detections.map((d) => ({
      rule: d.rule,
      detector: d.detector,
      ...(d.where !== undefined ? { where: d.where } : {}),
      ...(d.entity !== undefined ? { entity: d.entity } : {}),
    })),
    ...(r.usage
      ? {
          usage: {
            inputTokens: amount(r.usage.inputTokens) ?? 0,
            outputTokens: amount(r.usage.outputTokens) ?? 0,
            ...(r.usage.estimated === true ? { estimated: true } : {}),
          },
        }
      : {}),
    ...(cost !== undefined ? { costUsd: cost } : {}),
    durationMs: round(amount(r.durationMs) ?? 0),
  };
}
