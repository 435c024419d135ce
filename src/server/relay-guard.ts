/**
 * The crossings between an upstream and the client that are not tool calls (issue 15, class 3 and part of class 2),
 * for one client session:
 * - `sampling/createMessage` and `elicitation/create` that an upstream sends, inside a call or unprompted. They are
 *   upstream-written text headed for the model or the user. In order: the server's policy
 *   (`servers.<name>.sampling` / `.elicitation`: allow | approve | deny, default deny, so a server declares the need
 *   by an explicit value), the OUTPUT guardrails of the server's policy over every string of the request (image and
 *   audio data aside), the user's consent through the gateway's own form (`approve`), then the client, with the
 *   server named (`_meta`, and the elicitation message prefixed). What goes back to the upstream (the sampling
 *   result, the elicitation answer) passes the INPUT guardrails first: it can carry what the model or the user saw.
 * - log messages (`notifications/message`): output guardrails over every string; a blocked message is withheld
 *   and a notice naming the rule takes its place.
 * - completion values (`completion/complete`): output guardrails; a blocked value is left out of the list.
 * - prompt arguments (`prompts/get`): input guardrails before the upstream sees them.
 * Failure mode: closed. A stage that throws denies (the runner's `<stage>.failed`); anything else that stops a
 * guard from finishing (the pipeline cannot be built, a value it cannot walk) denies with `relay.guard-failed`.
 * A log queue that falls behind by MAX_PENDING_LOGS messages drops new ones (never relays them unscanned).
 * Every sampling and elicitation request is audited (record kind `relay`); logs, completions and prompt arguments
 * only when a guard changed or refused something, so a chatty server does not flood the log.
 */
import crypto from 'node:crypto';
import {
  ErrorCode,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import type { AuditSink } from '../audit/sink.js';
import type { ResolvedServer } from '../config/load.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { CallPipeline } from '../pipeline/call-tool.js';
import { runStages } from '../pipeline/run.js';
import { contentCallContext } from '../pipeline/session.js';
import type {
  ApprovalAnswer,
  CallContext,
  DenyVerdict,
  Principal,
  ServerPolicyContext,
  SessionState,
  Slot,
} from '../pipeline/types.js';
import type { RelayMethod, ServerRelay } from '../upstream/connect.js';
import { SEPARATOR } from './names.js';
import { BLOCKED_BY_POLICY, blockedError, META_KEY, WireError } from './to-wire.js';

/** Where the client reads which server a relayed request comes from. */
export const SERVER_META_KEY = 'secure-mcp-gateway/server';

export type RelayKind = 'sampling' | 'elicitation';
export type RelayMode = 'allow' | 'approve' | 'deny';

const KIND_OF: Record<RelayMethod, RelayKind> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
};

/** What a relay guard needs of its session. The gateway fills it in; tests fill it with plain values. */
export interface RelayGuardOptions {
  log: Logger;
  audit: AuditSink;
  principal: Principal;
  identity: string;
  session: SessionState;
  /** A server this session may use, as configured; undefined for any other. */
  server(name: string): ResolvedServer | undefined;
  /**
   * The pipeline of the server's policy for `what` (the caller's policy override applies). `content: 'prompt'` for a
   * sampling or elicitation request: it sets the model (or the user) a task by design, as a prompt does, so its text
   * is read as a prompt, where only an override or a jailbreak is an injection (guardrails/registry.ts).
   */
  pipeline(server: string, what: string, content: 'results' | 'prompt'): Promise<CallPipeline>;
  serverPolicy(server: string): ServerPolicyContext;
  /**
   * Asks the user to approve (the gateway's own elicitation form); undefined when the client cannot show one.
   * Read at each request: the client's capabilities are known only after `initialize`.
   */
  asker(): ((message: string, signal: AbortSignal) => Promise<ApprovalAnswer>) | undefined;
}

/** Sends a (guarded) request on to the client. */
export interface RelayForward {
  sampling(request: CreateMessageRequest, signal: AbortSignal): Promise<CreateMessageResult>;
  elicitation(request: ElicitRequest, signal: AbortSignal): Promise<ElicitResult>;
}

type Decision = 'allowed' | 'modified' | 'denied' | 'errored';

interface Guarded<T> {
  value: T;
  modified: boolean;
  denied?: DenyVerdict & { stage: { name: string; slot: Slot } };
}

/** Requests whose text sets a task by design (see RelayGuardOptions.pipeline). */
const TASK_SETTING = new Set(['sampling/createMessage', 'elicitation/create']);

/** The mode a server's configuration gives a relay kind: deny unless the server asked for it in the config. */
export function relayMode(server: ResolvedServer | undefined, kind: RelayKind): RelayMode {
  return server?.config[kind] ?? 'deny';
}

/**
 * A refusal by the gateway's own relay policy (not a guardrail): the same error code as a guardrail block, with the
 * rule id in the message and as data, so that the upstream (and its log) can tell why.
 */
export function relayRefusal(ruleId: string, reason: string, code = BLOCKED_BY_POLICY): WireError {
  return new WireError(code, `refused by secure-mcp-gateway ${ruleId}: ${reason}`, {
    [META_KEY]: { action: 'deny', stage: 'relay', ruleId, reason },
  });
}

/**
 * The relay of a pool the session does not own (`serve`: one upstream process serves every session of a project).
 * Its sampling or elicitation request could not be told apart by user, so it could reach another user's client:
 * it is refused, and recorded.
 */
export function sharedRelay(audit: AuditSink, log: Logger): (server: string) => ServerRelay {
  return (server) => ({
    refuse: (method) => {
      const reason = `${method} from a shared upstream is never relayed in serve: it could reach another user's client`;
      log.warn({ server, method, ruleId: 'relay.shared-upstream' }, 'relay refused');
      audit.relay({ server, method, decision: 'denied', ruleId: 'relay.shared-upstream', reason });
      return relayRefusal('relay.shared-upstream', reason);
    },
  });
}

const BINARY_TYPES = new Set(['image', 'audio']);

/** Log messages that may wait for their guard at once; more are dropped until the queue drains. */
export const MAX_PENDING_LOGS = 1000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isBinaryPart(v: unknown): v is Record<string, unknown> & { data: string } {
  return isObject(v) && typeof v.type === 'string' && BINARY_TYPES.has(v.type) && typeof v.data === 'string';
}

/**
 * A copy without the base64 `data` of image and audio parts: no detector reads pictures, and a megabyte of base64
 * would only cost time and trip entropy rules. Everything else (keys, `_meta`, tool definitions) stays in.
 */
export function withoutBinary(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutBinary);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = withoutBinary(x);
  if (isBinaryPart(v)) out.data = '';
  return out;
}

/** The guarded copy with the binary data of `original` put back where withoutBinary took it out. */
export function withBinary(guarded: unknown, original: unknown): unknown {
  if (Array.isArray(guarded))
    return guarded.map((g, i) => withBinary(g, Array.isArray(original) ? original[i] : undefined));
  if (!isObject(guarded)) return guarded;
  const from = isObject(original) ? original : {};
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(guarded)) out[k] = withBinary(x, from[k]);
  if (isBinaryPart(original) && typeof out.data === 'string') out.data = original.data;
  return out;
}

/** The first text of a sampling request, short, for the approval question. */
function samplingExcerpt(params: CreateMessageRequest['params']): string {
  for (const m of [...params.messages].reverse()) {
    const parts: unknown[] = Array.isArray(m.content) ? m.content : [m.content];
    for (const p of parts)
      if (isObject(p) && p.type === 'text' && typeof p.text === 'string' && p.text.trim() !== '')
        return clip(p.text.trim(), 200);
  }
  return '';
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export class RelayGuard {
  /** Log messages go out in the order they came, although each waits for its guard. */
  private logQueue: Promise<void> = Promise.resolve();
  /** Log messages waiting for their guard; beyond MAX_PENDING_LOGS new ones are dropped (see log()). */
  private pendingLogs = 0;
  private droppedLogs = 0;

  constructor(private readonly opts: RelayGuardOptions) {}

  /**
   * The relay of a pool this session owns: per server, its policy decides whether the capability is declared to
   * it at all (deny: not declared, and a request it sends anyway is refused and recorded).
   */
  clientRelay(clientCapabilities: ClientCapabilities, forward: RelayForward): (server: string) => ServerRelay {
    return (server) => {
      const config = this.opts.server(server);
      const relay: ServerRelay = {
        clientCapabilities,
        refuse: (method) => this.refuse(server, method, clientCapabilities),
      };
      if (relayMode(config, 'sampling') !== 'deny')
        relay.sampling = (req, signal) => this.sampling(server, req, signal, forward);
      if (relayMode(config, 'elicitation') !== 'deny')
        relay.elicitation = (req, signal) => this.elicitation(server, req, signal, forward);
      return relay;
    };
  }

  /** A request the server was not offered: why, recorded. */
  private refuse(server: string, method: RelayMethod, declared: ClientCapabilities): Error {
    const kind = KIND_OF[method];
    const [ruleId, reason, code] =
      declared[kind] === undefined
        ? ([
            'relay.unsupported',
            `the client did not declare ${kind}, so the gateway never offered it to ${server}`,
            ErrorCode.MethodNotFound,
          ] as const)
        : ([
            `relay.${kind}-denied`,
            `servers.${server}.${kind} is "deny" (the default): set it to "allow" or "approve" to let ${server} use ${kind}`,
            BLOCKED_BY_POLICY,
          ] as const);
    this.record(server, method, 'denied', { ruleId, reason });
    return relayRefusal(ruleId, reason, code);
  }

  private async sampling(
    server: string,
    req: CreateMessageRequest,
    signal: AbortSignal,
    forward: RelayForward,
  ): Promise<CreateMessageResult> {
    const method = req.method;
    const guarded = await this.guardOut(server, method, req.params, signal);
    this.enforce(server, method, guarded, 'request');
    const params = guarded.value as CreateMessageRequest['params'];
    await this.approval(server, 'sampling', signal, () => {
      const excerpt = samplingExcerpt(params);
      return `The server "${server}" asks your client to run a model completion (sampling)${excerpt ? `: "${excerpt}"` : ''}. Allow it?`;
    });
    const meta = { ...(params._meta ?? {}), [SERVER_META_KEY]: server };
    const result = await this.forwarded(server, method, () =>
      forward.sampling({ method, params: { ...params, _meta: meta } }, signal),
    );
    const answer = await this.guardIn(server, method, result, signal);
    this.enforce(server, method, answer, 'answer');
    this.record(server, method, guarded.modified || answer.modified ? 'modified' : 'allowed', {});
    return answer.value as CreateMessageResult;
  }

  private async elicitation(
    server: string,
    req: ElicitRequest,
    signal: AbortSignal,
    forward: RelayForward,
  ): Promise<ElicitResult> {
    const method = req.method;
    const guarded = await this.guardOut(server, method, req.params, signal);
    this.enforce(server, method, guarded, 'request');
    const params = guarded.value as ElicitRequest['params'];
    await this.approval(
      server,
      'elicitation',
      signal,
      () => `The server "${server}" wants to ask you: "${clip(params.message, 200)}". Show the question?`,
    );
    const meta = { ...(params._meta ?? {}), [SERVER_META_KEY]: server };
    const attributed = { ...params, message: `[${server}] ${params.message}`, _meta: meta };
    const result = await this.forwarded(server, method, () =>
      forward.elicitation({ method, params: attributed }, signal),
    );
    let answer: Guarded<unknown> = { value: result, modified: false };
    // Only an accepted form carries what the user typed; decline and cancel carry nothing of theirs.
    if (result.content !== undefined) {
      answer = await this.guardIn(server, method, result.content, signal);
      this.enforce(server, method, answer, 'answer');
      answer = { ...answer, value: { ...result, content: answer.value } };
    }
    this.record(server, method, guarded.modified || answer.modified ? 'modified' : 'allowed', {});
    return answer.value as ElicitResult;
  }

  /** The client's side of a relay: its failure (an error, a timeout, a cancel) goes back as it is, recorded. */
  private async forwarded<T>(server: string, method: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      this.record(server, method, 'errored', { reason: messageOf(error) });
      throw error;
    }
  }

  /** Throws the block of a guard, recorded; the upstream gets the rule in a JSON-RPC error. */
  private enforce(server: string, method: string, g: Guarded<unknown>, phase: 'request' | 'answer'): void {
    if (!g.denied) return;
    const { ruleId, reason } = g.denied;
    this.opts.log.warn({ server, method, phase, ruleId }, 'relay blocked');
    this.record(server, method, 'denied', { ruleId, reason, phase });
    throw blockedError({ phase: phase === 'request' ? 'response' : 'request', verdict: g.denied });
  }

  /** `approve`: the user says yes first ("for this session" is remembered); no form, no answer or no: denied. */
  private async approval(server: string, kind: RelayKind, signal: AbortSignal, message: () => string): Promise<void> {
    if (relayMode(this.opts.server(server), kind) !== 'approve') return;
    const key = `relay:${server}:${kind}`;
    if (this.opts.session.approved.has(key)) return;
    const method = kind === 'sampling' ? 'sampling/createMessage' : 'elicitation/create';
    const ask = this.opts.asker();
    if (!ask) {
      const reason = `servers.${server}.${kind} is "approve" but the client cannot show an approval form (form elicitation)`;
      this.record(server, method, 'denied', { ruleId: 'relay.approval-unavailable', reason });
      throw relayRefusal('relay.approval-unavailable', reason);
    }
    const callId = crypto.randomUUID();
    this.opts.audit.approval({ event: 'asked', callId, server, tool: method });
    let answer: ApprovalAnswer;
    try {
      answer = await ask(message(), signal);
    } catch (error) {
      answer = 'deny';
      this.opts.log.warn({ server, method, err: messageOf(error) }, 'relay approval failed');
    }
    this.opts.audit.approval({ event: 'answered', callId, server, tool: method, answer });
    if (answer === 'session') this.opts.session.approved.add(key);
    if (answer === 'deny') {
      const reason = `the user did not approve ${kind} for ${server}`;
      this.record(server, method, 'denied', { ruleId: 'relay.approval-declined', reason });
      throw relayRefusal('relay.approval-declined', reason);
    }
  }

  /**
   * An upstream's log message, guarded, then `send`: in arrival order. A message the output guardrails block is
   * withheld, and a notice that names the rule goes out in its place (the client still sees that something was
   * logged); a redaction changes what the client reads.
   */
  log(
    server: string,
    params: LoggingMessageNotification['params'],
    send: (params: LoggingMessageNotification['params']) => Promise<void>,
  ): Promise<void> {
    const method = 'notifications/message';
    // A server that logs faster than the guard scans would grow the queue without end: past the bound, messages
    // are dropped (never sent unscanned), and the drop is logged once per burst.
    if (this.pendingLogs >= MAX_PENDING_LOGS) {
      if (this.droppedLogs++ === 0)
        this.opts.log.warn({ server, pending: this.pendingLogs }, 'log messages dropped: the relay guard is behind');
      return this.logQueue;
    }
    this.pendingLogs++;
    const run = async () => {
      const doc = { logger: params.logger, data: params.data };
      const g = await this.guardOut(server, method, doc, new AbortController().signal);
      let out = params;
      if (g.denied) {
        this.opts.log.warn({ server, method, ruleId: g.denied.ruleId }, 'relay blocked');
        this.record(server, method, 'denied', { ruleId: g.denied.ruleId, reason: g.denied.reason });
        // The logger name is upstream text too: it goes with the message.
        out = {
          level: params.level,
          data: `[secure-mcp-gateway] a log message from ${server} was withheld: blocked by output guardrail ${g.denied.ruleId}`,
        };
      } else if (g.modified) {
        const v = g.value as { logger?: string; data: unknown };
        this.record(server, method, 'modified', {});
        out = { level: params.level, ...(typeof v.logger === 'string' ? { logger: v.logger } : {}), data: v.data };
      }
      await send(out);
    };
    const next = this.logQueue
      .then(run)
      .catch((error: unknown) => {
        this.opts.log.warn({ server, err: messageOf(error) }, 'could not relay a log message');
      })
      .finally(() => {
        if (--this.pendingLogs === 0 && this.droppedLogs > 0) {
          this.opts.log.warn(
            { server, dropped: this.droppedLogs },
            'log messages dropped while the relay guard was behind',
          );
          this.droppedLogs = 0;
        }
      });
    this.logQueue = next;
    return next;
  }

  /**
   * Completion values, guarded: the list is checked at once, and when that blocks, value by value, leaving out the
   * ones that block (a completion offers choices: one bad choice need not hide the good ones). `total` shrinks by
   * the number left out.
   */
  async completion(
    server: string,
    completion: { values: string[]; total?: number | undefined; hasMore?: boolean | undefined },
    signal: AbortSignal,
  ): Promise<{ values: string[]; total?: number; hasMore?: boolean }> {
    const method = 'completion/complete';
    const all = await this.guardOut(server, method, { values: completion.values }, signal);
    let values: string[];
    if (!all.denied) values = (all.value as { values: string[] }).values;
    else {
      values = [];
      for (const value of completion.values) {
        const one = await this.guardOut(server, method, { values: [value] }, signal);
        if (!one.denied) values.push(...(one.value as { values: string[] }).values);
      }
      const removed = completion.values.length - values.length;
      this.opts.log.warn({ server, method, ruleId: all.denied.ruleId, removed }, 'completion values withheld');
      this.record(server, method, 'modified', {
        ruleId: all.denied.ruleId,
        reason: `${removed} of ${completion.values.length} value(s) left out: ${all.denied.reason}`,
      });
    }
    if (!all.denied && all.modified) this.record(server, method, 'modified', {});
    const removed = completion.values.length - values.length;
    return {
      ...completion,
      values,
      ...(completion.total !== undefined ? { total: Math.max(values.length, completion.total - removed) } : {}),
    };
  }

  /** A prompt's arguments, through the input guardrails before the upstream sees them; a block throws its rule. */
  async promptArguments(
    server: string,
    prompt: string,
    args: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Record<string, string>> {
    const method = 'prompts/get';
    const g = await this.guardIn(server, `${method} ${prompt}`, args, signal);
    if (g.denied) {
      this.opts.log.warn({ server, method, prompt, ruleId: g.denied.ruleId }, 'relay blocked');
      this.record(server, method, 'denied', { ruleId: g.denied.ruleId, reason: g.denied.reason, phase: 'request' });
      throw blockedError({ phase: 'request', verdict: g.denied });
    }
    if (g.modified) this.record(server, method, 'modified', {});
    return g.value as Record<string, string>;
  }

  /** The response stages of the server's policy over every string of `doc` (as structuredContent). */
  private guardOut(server: string, what: string, doc: unknown, signal: AbortSignal): Promise<Guarded<unknown>> {
    return this.guarded(server, what, doc, signal, 'output-guardrail', async (pipeline, scanned, ctx) => {
      const out = await runStages(pipeline.response, { content: [], structuredContent: scanned }, ctx);
      return { value: out.value.structuredContent, trail: out.trail, denied: out.denied };
    });
  }

  /** The input-guardrail stages (only those) of the server's policy over every string of `doc`. */
  private guardIn(server: string, what: string, doc: unknown, signal: AbortSignal): Promise<Guarded<unknown>> {
    return this.guarded(server, what, doc, signal, 'input-guardrail', async (pipeline, scanned, ctx) => {
      const stages = pipeline.request.filter((s) => s.slot === 'input-guardrail');
      const call = { exposedName: `${server}${SEPARATOR}${what}`, server, tool: what, arguments: scanned };
      const out = await runStages(stages, call, ctx);
      return { value: out.value.arguments, trail: out.trail, denied: out.denied };
    });
  }

  private async guarded(
    server: string,
    what: string,
    doc: unknown,
    signal: AbortSignal,
    slot: Slot,
    run: (
      pipeline: CallPipeline,
      scanned: Record<string, unknown>,
      ctx: CallContext,
    ) => Promise<{ value: unknown; trail: { action: string }[]; denied?: Guarded<unknown>['denied'] }>,
  ): Promise<Guarded<unknown>> {
    try {
      const pipeline = await this.opts.pipeline(server, what, TASK_SETTING.has(what) ? 'prompt' : 'results');
      const scanned = withoutBinary(doc) as Record<string, unknown>;
      const out = await run(pipeline, scanned, this.context(server, what, scanned, signal));
      if (out.denied) return { value: doc, modified: false, denied: out.denied };
      const modified = out.trail.some((t) => t.action === 'modify');
      return { value: modified ? withBinary(out.value, doc) : doc, modified };
    } catch (error) {
      // Whatever stops the guard from finishing is a deny of its own, never a pass.
      const reason = `the relay guard could not finish: ${messageOf(error)}`;
      return {
        value: doc,
        modified: false,
        denied: { action: 'deny', ruleId: 'relay.guard-failed', reason, stage: { name: 'relay', slot } },
      };
    }
  }

  private context(server: string, what: string, args: Record<string, unknown>, signal: AbortSignal): CallContext {
    const { identity, principal, session, log } = this.opts;
    return contentCallContext({
      server,
      what,
      args,
      signal,
      identity,
      principal,
      session,
      log,
      serverPolicy: this.opts.serverPolicy(server),
    });
  }

  private record(
    server: string,
    method: string,
    decision: Decision,
    e: { ruleId?: string; reason?: string; phase?: 'request' | 'answer' },
  ): void {
    const p = this.opts.principal;
    this.opts.audit.relay({
      server,
      method,
      decision,
      ...e,
      sessionId: this.opts.session.id,
      user: p.user,
      project: p.project,
      ...(p.subject !== undefined ? { subject: p.subject } : {}),
      ...(p.issuer !== undefined ? { issuer: p.issuer } : {}),
    });
  }
}
