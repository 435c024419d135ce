/**
 * The audit sink: what the gateway tells about each event, turned into audit records (writer.ts) and handed to the
 * observers (Prometheus and OpenTelemetry metrics and traces). One typed method per kind of event: call decided,
 * tool pinned or changed, approval asked or answered, a request or message relayed outside a call, gateway key used or refused, upstream crashed or restarted,
 * config reloaded, an AI-proxy request answered or refused (llm). It never decides anything, except what `audit.required` asks: a call that cannot be audited is
 * refused (see `refusal` and CallAudit.settle), and the gateway turns that into a blocked result.
 *
 * Failure mode: a write that fails is reported by the writer (loudly, once) and, unless `required`, the gateway goes
 * on. An observer that throws is logged and ignored: metrics never stop a call.
 */
import crypto from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { IntegrityVerdict } from '../integrity/gate.js';
import type { SsoAuditEvent } from '../identity/authenticate.js';
import type { SandboxEvent } from '../sandbox/types.js';
import type { Logger } from '../log.js';
import type { Principal, StageRecord } from '../pipeline/types.js';
import type { CallOutcome } from '../pipeline/call-tool.js';
import { buildLlmRecord, type LlmAuditRecord, type LlmRecord } from './llm-record.js';
import { buildCallRecord, buildRelayRecord, type CallOutcomeKind, type CallRecord, type RelayFacts } from './record.js';
import type { ArgumentsMode, Redactor } from './redact.js';
import type { AuditWriter } from './writer.js';

/** Call timing for traces, as epoch milliseconds (fractional). */
export interface CallTiming {
  start: number;
  end: number;
  stages: { stage: string; slot: string; start: number; ms: number; action: string; ruleId?: string }[];
  upstream?: { start: number; ms: number; failed: boolean };
}

/** Every record the sink emits, as data, before it is sealed. */
export type AuditEvent = { kind: string } & Record<string, unknown>;

export interface AuditObserver {
  onEvent?(event: AuditEvent): void;
  onCall?(record: CallRecord, timing: CallTiming): void;
  /** An AI-proxy request, as written (redacted); also seen by onEvent. */
  onLlm?(record: LlmRecord): void;
  onCache?(cache: string, hit: boolean): void;
  /** Flush and stop (exporters); bounded by the caller. */
  shutdown?(): Promise<void>;
}

export interface AuditSinkOptions {
  writer?: AuditWriter | undefined;
  required: boolean;
  fsync: 'batched' | 'always';
  redactor: Redactor;
  argumentsMode: ArgumentsMode;
  observers?: AuditObserver[];
  log: Logger;
}

/** What the gateway knows when a call starts. */
export interface CallStart {
  exposed: string;
  arguments: Readonly<Record<string, unknown>>;
  sessionId: string;
  principal: Principal;
}

/** The deny the gateway answers with when a call cannot be audited and `audit.required` is set. */
export interface AuditDeny {
  action: 'deny';
  ruleId: 'audit.unavailable';
  reason: string;
}

const now = () => performance.timeOrigin + performance.now();

export class AuditSink {
  readonly observers: AuditObserver[];
  /** Finished calls whose records are built after their answers went out, in the order the calls finished. */
  private later: (() => void)[] = [];
  private drainScheduled = false;

  constructor(private readonly opts: AuditSinkOptions) {
    this.observers = opts.observers ?? [];
  }

  /**
   * Runs `record` after the current turn of the event loop, once the answer it follows has been written: building,
   * redacting and sealing a record then costs the call no latency. Every path that writes the chain drains these
   * first (emit, close), so records keep the order in which things happened and none is left behind at shutdown.
   */
  private defer(record: () => void): void {
    this.later.push(record);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  /** Builds and seals every deferred call record now. */
  drain(): void {
    this.drainScheduled = false;
    if (this.later.length === 0) return;
    const work = this.later;
    this.later = [];
    for (const record of work) record();
  }

  /** With `required`: why no call may run now (the log cannot be written). */
  refusal(): AuditDeny | undefined {
    const w = this.opts.writer;
    if (!this.opts.required) return undefined;
    if (!w)
      return {
        action: 'deny',
        ruleId: 'audit.unavailable',
        reason: 'audit.required is set but the audit log is disabled',
      };
    // A log that failed is tried again on the spot (at most once a second), so a freed disk lets calls through.
    if (w.probe()) return undefined;
    return {
      action: 'deny',
      ruleId: 'audit.unavailable',
      reason: `audit.required is set and the call cannot be audited: ${w.problem ?? 'the audit log is not writable'}`,
    };
  }

  beginCall(start: CallStart): CallAudit {
    return new CallAudit(this, start);
  }

  /** Seals an event into the log; resolves when it is durable as the fsync mode promises. */
  emit(event: AuditEvent): Promise<void> {
    if (this.later.length) this.drain();
    for (const o of this.observers) this.safely(() => o.onEvent?.(event));
    const w = this.opts.writer;
    if (!w) return Promise.resolve();
    return w.append(event);
  }

  /** @internal used by CallAudit */
  deferRecord(record: () => void): void {
    this.defer(record);
  }

  /** @internal used by CallAudit */
  recordCall(record: CallRecord, timing: CallTiming): Promise<void> {
    for (const o of this.observers) this.safely(() => o.onCall?.(record, timing));
    return this.emit(record as unknown as AuditEvent);
  }

  /** The settings it was made with; the gateway reuses its redactor for upstream stderr. */
  get settings(): Readonly<AuditSinkOptions> {
    return this.opts;
  }

  /**
   * Tool integrity: a tool accepted with a hash it did not have before is `pinned`; a tool newly blocked is
   * `changed` (integrity.changed) or `blocked` (any other integrity rule). Only differences from the previous verdict
   * are recorded, so a re-check that changes nothing writes nothing.
   */
  integrity(server: string, verdict: IntegrityVerdict, previous: IntegrityVerdict | undefined): void {
    try {
      this.integrityEvents(server, verdict, previous);
    } catch (error) {
      // The integrity gate's flow must not depend on its audit trail.
      this.opts.log.error({ server, err: String(error) }, 'could not audit an integrity verdict');
    }
  }

  private integrityEvents(server: string, verdict: IntegrityVerdict, previous: IntegrityVerdict | undefined): void {
    for (const [tool, hash] of verdict.accepted)
      if (previous?.accepted.get(tool) !== hash)
        this.quiet(this.emit({ kind: 'tool', event: 'pinned', server, tool, hash }));
    for (const [tool, block] of verdict.blocked) {
      const before = previous?.blocked.get(tool);
      if (before?.ruleId === block.ruleId) continue;
      this.quiet(
        this.emit({
          kind: 'tool',
          event: block.ruleId === 'integrity.changed' ? 'changed' : 'blocked',
          server,
          tool,
          ruleId: block.ruleId,
          reason: this.opts.redactor.text(block.reason),
        }),
      );
    }
  }

  approval(e: { event: 'asked' | 'answered'; callId: string; server: string; tool: string; answer?: string }): void {
    this.quiet(this.emit({ kind: 'approval', ...e }));
  }

  /** A sampling or elicitation request, or a guarded log message, completion or prompt (see RelayRecord). */
  relay(e: RelayFacts): void {
    this.quiet(this.emit(buildRelayRecord(e, this.opts.redactor) as unknown as AuditEvent));
  }

  /** A gateway key authenticated a caller (`used`) or was refused; never the key itself, only its id. */
  key(e: { event: 'used' | 'refused'; keyId?: string; user?: string; project?: string; reason?: string }): void {
    this.quiet(this.emit({ kind: 'key', ...e }));
  }

  /** An SSO token (serve.sso) opened a session (`accepted`) or was refused; its subject and issuer, never the token. */
  sso(e: SsoAuditEvent): void {
    this.quiet(this.emit({ kind: 'sso', ...e }));
  }

  upstream(e: { event: 'crashed' | 'restarted'; server: string; restarts?: number; reason?: string }): void {
    this.quiet(
      this.emit({ kind: 'upstream', ...e, ...(e.reason ? { reason: this.opts.redactor.text(e.reason) } : {}) }),
    );
  }

  /** What a server's sandbox reported (issue 19): an egress denial, a stop by policy, a server run unconfined or refused. */
  sandbox(e: SandboxEvent): void {
    this.quiet(
      this.emit({ kind: 'sandbox', ...e, ...('reason' in e ? { reason: this.opts.redactor.text(e.reason) } : {}) }),
    );
  }

  /**
   * One AI-proxy request (issue 20), after its answer ended: written as `kind: "llm"` in the same chain, its free
   * text redacted (llm-record.ts), and counted by the metrics observers. A record that cannot be built is logged,
   * never thrown: the answer has already been sent. With `audit.required` the proxy asks `refusal()` before it
   * serves a request, as a call does.
   */
  llm(record: LlmAuditRecord): void {
    let rec: LlmRecord;
    try {
      rec = buildLlmRecord(record, this.opts.redactor);
    } catch (error) {
      this.opts.log.error({ requestId: record.requestId, err: String(error) }, 'could not build the llm audit record');
      return;
    }
    for (const o of this.observers) this.safely(() => o.onLlm?.(rec));
    this.quiet(this.emit(rec as unknown as AuditEvent));
  }

  configReloaded(e: { file: string; changed?: string[]; ok: boolean; error?: string }): void {
    this.quiet(this.emit({ kind: 'config', event: 'reloaded', ...e }));
  }

  cache(cache: string, hit: boolean): void {
    for (const o of this.observers) this.safely(() => o.onCache?.(cache, hit));
  }

  async close(): Promise<void> {
    this.drain();
    await this.opts.writer?.close();
    await Promise.allSettled(this.observers.map((o) => o.shutdown?.() ?? Promise.resolve()));
  }

  /** A record that could not be written has been reported by the writer; nothing waits for it here. */
  quiet(p: Promise<void>): void {
    p.catch(() => undefined);
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.opts.log.warn({ err: String(error) }, 'an audit observer failed');
    }
  }
}

/** One call's audit state, from the moment it arrives to its answer. */
export class CallAudit {
  readonly callId = crypto.randomUUID();
  private readonly t0 = now();
  private server: string | undefined;
  private tool: string | undefined;
  private trail: readonly StageRecord[] = [];
  private outcome:
    { kind: CallOutcomeKind; phase?: 'request' | 'response'; ruleId?: string; reason?: string } | undefined;
  private up: { start: number; ms: number; failed: boolean } | undefined;
  private upstreamWaitMs: number | undefined;

  constructor(
    private readonly sink: AuditSink,
    private readonly start: CallStart,
  ) {}

  routed(server: string, tool: string): void {
    this.server = server;
    this.tool = tool;
  }

  /**
   * The finished call, once: its trail, how it ended and when the upstream ran. A failed upstream is recorded as
   * `upstream-error` when the error reaches `settle`.
   */
  observe(outcome: CallOutcome): void {
    this.trail = outcome.trail;
    if (outcome.upstream) this.up = outcome.upstream;
    this.upstreamWaitMs = outcome.upstreamWaitMs;
    if (outcome.kind === 'blocked')
      this.outcome = {
        kind: 'blocked',
        phase: outcome.phase,
        ruleId: outcome.verdict.ruleId,
        reason: outcome.verdict.reason,
      };
    else if (outcome.kind === 'allowed') this.outcome = { kind: 'allowed' };
  }

  /**
   * Waits for the call, records it, and returns its result. A thrown error is recorded (`upstream-error` when the
   * upstream failed, `blocked` for an unknown tool, else `errored`) and thrown again. In `batched` mode (and without
   * a log) the record is built, redacted and sealed after the answer has gone out (AuditSink.defer): a failed write
   * is caught by `refusal()` on the next calls, as before. In `always` mode the answer waits for the record to be on
   * disk; with `required`, a record that cannot be written turns the answer into `unaudited(deny)`.
   */
  async settle(work: Promise<CallToolResult>, unaudited: (deny: AuditDeny) => CallToolResult): Promise<CallToolResult> {
    let result: CallToolResult | undefined;
    let failure: unknown;
    let failed = false;
    try {
      result = await work;
    } catch (error) {
      failure = error;
      failed = true;
    }
    const end = now();
    const { fsync, required } = this.sink.settings;
    if (fsync !== 'always' || !this.sink.settings.writer) {
      this.sink.deferRecord(() => this.sink.quiet(this.write(end, result, failed, failure)));
      if (failed) throw failure;
      return result!;
    }
    try {
      await this.write(end, result, failed, failure);
    } catch (error) {
      if (required)
        return unaudited({
          action: 'deny',
          ruleId: 'audit.unavailable',
          reason: `audit.required is set and this call could not be audited: ${(error as Error).message}`,
        });
    }
    if (failed) throw failure;
    return result!;
  }

  /** Builds the record of the finished call and hands it to the sink; the promise settles when it is written. */
  private write(end: number, result: CallToolResult | undefined, failed: boolean, failure: unknown): Promise<void> {
    const o = this.outcome;
    let kind: CallOutcomeKind;
    let extra: { phase?: 'request' | 'response'; ruleId?: string; reason?: string; error?: string } = {};
    if (failed) {
      const message = failure instanceof Error ? failure.message : String(failure);
      const code = (failure as { code?: unknown } | undefined)?.code;
      if (this.up?.failed) kind = 'upstream-error';
      else if (code === 'UNKNOWN_TOOL') {
        kind = 'blocked';
        extra = { phase: 'request', ruleId: 'gateway.unknown-tool', reason: message };
      } else kind = 'errored';
      if (kind !== 'blocked') extra.error = message;
    } else {
      kind = o?.kind ?? 'allowed';
      if (o?.phase !== undefined) extra.phase = o.phase;
      if (o?.ruleId !== undefined) extra.ruleId = o.ruleId;
      if (o?.reason !== undefined) extra.reason = o.reason;
    }
    const { redactor, argumentsMode } = this.sink.settings;
    try {
      const record = buildCallRecord(
        {
          callId: this.callId,
          sessionId: this.start.sessionId,
          principal: this.start.principal,
          exposed: this.start.exposed,
          server: this.server,
          tool: this.tool,
          arguments: this.start.arguments,
          trail: this.trail,
          outcome: kind,
          ...extra,
          latencyMs: end - this.t0,
          upstreamMs: this.up?.ms,
          upstreamWaitMs: this.upstreamWaitMs,
          result: kind === 'allowed' ? result : undefined,
        },
        redactor,
        argumentsMode,
      );
      return this.sink.recordCall(record, this.timing(end));
    } catch (error) {
      // A record that cannot even be built (a value JSON cannot hold) is a failed write, never a failed call.
      this.sink.settings.log.error({ callId: this.callId, err: String(error) }, 'could not build the audit record');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Stage start times: request stages ran back to back up to the upstream call, response stages after it. */
  private timing(end: number): CallTiming {
    const stages: CallTiming['stages'] = [];
    const req = this.trail.filter((t) => t.slot !== 'output-guardrail');
    const res = this.trail.filter((t) => t.slot === 'output-guardrail');
    let at = (this.up?.start ?? end) - req.reduce((s, t) => s + t.ms, 0);
    for (const t of req) {
      stages.push(stageTiming(t, at));
      at += t.ms;
    }
    at = this.up ? this.up.start + this.up.ms : end;
    for (const t of res) {
      stages.push(stageTiming(t, at));
      at += t.ms;
    }
    return { start: this.t0, end, stages, ...(this.up ? { upstream: this.up } : {}) };
  }
}

function stageTiming(t: StageRecord, start: number): CallTiming['stages'][number] {
  return { stage: t.stage, slot: t.slot, start, ms: t.ms, action: t.action, ...(t.ruleId ? { ruleId: t.ruleId } : {}) };
}
