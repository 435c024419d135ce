/**
 * The audit record of one tools/call, built from what the gateway saw: who called (principal, session), what
 * (server, tool, the arguments as the audit mode keeps them), every stage's verdict with its rule, detections and
 * time (the pipeline's StageRecord trail), the outcome, the latency (and apart, the wait for a starting upstream), and the size and SHA-256 of the result the
 * client got. Reasons and detection excerpts go through the redactor too: a reason may quote the input. Pure.
 */
import crypto from 'node:crypto';
import type { Principal, StageRecord } from '../pipeline/types.js';
import type { ArgumentsMode, Redactor } from './redact.js';

export type CallOutcomeKind = 'allowed' | 'blocked' | 'errored' | 'upstream-error';

export interface StageEntry {
  stage: string;
  slot: string;
  action: StageRecord['action'];
  enforced: boolean;
  ruleId?: string;
  reason?: string;
  detections?: { detector: string; rule: string; score: number; entity?: string; path?: string; excerpt: string }[];
  ms: number;
}

export interface CallRecord {
  kind: 'call';
  callId: string;
  sessionId: string;
  user: string;
  project: string;
  role?: string;
  keyId?: string;
  /** SSO sessions: the token's subject and issuer. */
  subject?: string;
  issuer?: string;
  exposed: string;
  server?: string;
  tool?: string;
  argumentsMode: ArgumentsMode;
  arguments?: unknown;
  argumentNames?: string[];
  stages: StageEntry[];
  outcome: CallOutcomeKind;
  phase?: 'request' | 'response';
  ruleId?: string;
  reason?: string;
  error?: string;
  latencyMs: number;
  upstreamMs?: number;
  /** How long the call waited for its upstream to start or restart; part of latencyMs. Absent when it did not. */
  upstreamWaitMs?: number;
  resultBytes?: number;
  resultSha256?: string;
}

export interface CallFacts {
  callId: string;
  sessionId: string;
  principal: Principal;
  exposed: string;
  server?: string | undefined;
  tool?: string | undefined;
  arguments: Readonly<Record<string, unknown>>;
  trail: readonly StageRecord[];
  outcome: CallOutcomeKind;
  phase?: 'request' | 'response' | undefined;
  ruleId?: string | undefined;
  reason?: string | undefined;
  error?: string | undefined;
  latencyMs: number;
  upstreamMs?: number | undefined;
  upstreamWaitMs?: number | undefined;
  /** The result the client got (allowed calls). */
  result?: unknown;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function stageEntries(trail: readonly StageRecord[], redact: Redactor): StageEntry[] {
  return trail.map((t) => {
    const e: StageEntry = { stage: t.stage, slot: t.slot, action: t.action, enforced: t.enforced, ms: round(t.ms) };
    if (t.ruleId !== undefined) e.ruleId = t.ruleId;
    if (t.reason !== undefined) e.reason = redact.text(t.reason);
    if (t.detections?.length)
      e.detections = t.detections.map((d) => ({
        detector: d.detector,
        rule: d.rule,
        score: d.score,
        ...(d.entity !== undefined ? { entity: d.entity } : {}),
        ...(d.path !== undefined ? { path: d.path } : {}),
        excerpt: redact.text(d.excerpt),
      }));
    return e;
  });
}

export function buildCallRecord(f: CallFacts, redact: Redactor, mode: ArgumentsMode): CallRecord {
  const p = f.principal;
  const rec: CallRecord = {
    kind: 'call',
    callId: f.callId,
    sessionId: f.sessionId,
    user: p.user,
    project: p.project,
    ...(p.role !== undefined ? { role: p.role } : {}),
    ...(p.keyId !== undefined ? { keyId: p.keyId } : {}),
    ...(p.subject !== undefined ? { subject: p.subject } : {}),
    ...(p.issuer !== undefined ? { issuer: p.issuer } : {}),
    exposed: f.exposed,
    ...(f.server !== undefined ? { server: f.server } : {}),
    ...(f.tool !== undefined ? { tool: f.tool } : {}),
    argumentsMode: mode,
    ...redact.arguments(f.arguments),
    stages: stageEntries(f.trail, redact),
    outcome: f.outcome,
    latencyMs: round(f.latencyMs),
  };
  if (f.phase !== undefined) rec.phase = f.phase;
  if (f.ruleId !== undefined) rec.ruleId = f.ruleId;
  if (f.reason !== undefined) rec.reason = redact.text(f.reason);
  if (f.error !== undefined) rec.error = redact.text(f.error);
  if (f.upstreamMs !== undefined) rec.upstreamMs = round(f.upstreamMs);
  if (f.upstreamWaitMs !== undefined) rec.upstreamWaitMs = round(f.upstreamWaitMs);
  if (f.result !== undefined) {
    const json = JSON.stringify(f.result);
    rec.resultBytes = Buffer.byteLength(json);
    rec.resultSha256 = crypto.hash('sha256', json, 'hex');
  }
  return rec;
}

/**
 * A request or message relayed between an upstream and the client outside a tool call (server/relay-guard.ts):
 * sampling and elicitation (every one), and the log messages, completion values and prompt arguments that a guard
 * changed or refused. `phase` says which way a block happened: `request` (upstream to client, or the prompt
 * arguments on their way up), `answer` (the client's answer on its way back to the upstream).
 */
export interface RelayRecord {
  kind: 'relay';
  server: string;
  method: string;
  decision: 'allowed' | 'modified' | 'denied' | 'errored';
  ruleId?: string;
  reason?: string;
  phase?: 'request' | 'answer';
  sessionId?: string;
  user?: string;
  project?: string;
  subject?: string;
  issuer?: string;
}

export type RelayFacts = Omit<RelayRecord, 'kind'>;

export function buildRelayRecord(f: RelayFacts, redact: Redactor): RelayRecord {
  return { kind: 'relay', ...f, ...(f.reason !== undefined ? { reason: redact.text(f.reason) } : {}) };
}
