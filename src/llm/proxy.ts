/**
 * The Secure AI Proxy's endpoints (issue 20), for one loaded config: OpenAI `POST /v1/chat/completions` (streamed or
 * not), `GET /v1/models`, `POST /v1/embeddings`, and Anthropic `POST /v1/messages` (streamed or not). serve.ts
 * authenticates the caller (a gateway key or an SSO token, as for MCP) and hands the request here. Each request
 * passes, in order: the body limit and the wire format (a 400 naming the JSON path); the deployment (`model`) and
 * the caller's role (`roles.<r>.deployments`); the rate limits and budgets (llm/limits.ts); the input guardrails of
 * the deployment's input policy over every text the provider will see (PII replaced by placeholders); the provider,
 * with the deployment's retries and fallbacks; the output guardrails of its output policy over the answer and its
 * tool-call arguments (placeholders restored), and the argument rules (paths, URLs, commands, SQL) over every tool
 * call the model returns. A streamed answer is scanned as it arrives (stream-scan.ts: a bounded look-back is held
 * back, so a detection spanning chunks is caught before any of it is sent); tool calls are held until whole and
 * checked before they are sent. When the output policy has a remote provider or a judge, the whole answer is
 * buffered and checked at once instead. Each request ends with exactly one answer in the caller's format, one log
 * line and one audit record (who, deployment, tokens, cost, each stage's verdict).
 * Failure mode: closed. A guard that throws or runs out of budget blocks; a limit that cannot be checked refuses
 * (503); a provider that fails after its fallbacks is a 502/429/504 that names it; a stream cut by a block ends with
 * an error event, and nothing after the block point is sent.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import type { LoadedConfig } from '../config/load.js';
import { messageOf } from '../errors.js';
import type { JudgeRuntime } from '../guardrails/judge/runtime.js';
import type { AsyncDetector, Detection } from '../guardrails/types.js';
import type { LlmAuditRecord, LlmEndpoint } from '../audit/llm-record.js';
import type { AuditSink } from '../audit/sink.js';
import { identityOf } from '../identity/authenticate.js';
import type { Logger } from '../log.js';
import type { Principal, ServerPolicyContext, StageRecord } from '../pipeline/types.js';
import { RedactionVault } from '../pipeline/vault.js';
import { createNameMatcher } from '../policy/glob.js';
import { bearerKey, BodyTooLarge, readBody } from '../server/http-guard.js';
import {
  anthropicRequestToNeutral,
  createAnthropicStreamEncoder,
  neutralToAnthropicResponse,
} from './anthropic-format.js';
import {
  createChatGuard,
  publicDetection,
  TOOL_CWD,
  type ChatCheck,
  type ChatDetection,
  type ChatGuard,
  type ChatText,
  type ModelToolCall,
} from './chat-guard.js';
import { estimateTokens, requestTexts, responseTexts, writeBack } from './chat-texts.js';
import { costUsd, type LlmDeploymentConfig } from './config-schema.js';
import { LlmFormatError, LlmProviderError } from './errors.js';
import { chatWithFallback, deploymentChain, streamWithFallback, type FallbackOptions } from './fallback.js';
import { createOpenAiStreamEncoder, neutralToOpenAiResponse, openAiRequestToNeutral } from './openai-format.js';
import type { LimitVerdict, LlmLimiter, LlmSubject } from './limits.js';
import { createLlmProvider, type LlmEmbeddingResponse, type LlmProvider } from './providers.js';
import type { ResolvedLlmConfig } from './resolve.js';
import type { LlmChatRequest, LlmStopReason, LlmToolCall, LlmUsage, StreamEncoder } from './types.js';
import {
  detectionsComment,
  errorBody,
  refusal,
  streamErrorEvent,
  type Refusal,
  type WireFormat,
} from './wire-errors.js';

interface Route {
  method: 'GET' | 'POST';
  endpoint: LlmEndpoint;
  /** `auto`: Anthropic when the client sends `anthropic-version` (GET /v1/models serves both SDKs). */
  format: WireFormat | 'auto';
}

const ROUTES: Readonly<Record<string, Route>> = {
  '/v1/chat/completions': { method: 'POST', endpoint: 'chat.completions', format: 'openai' },
  '/v1/messages': { method: 'POST', endpoint: 'messages', format: 'anthropic' },
  '/v1/embeddings': { method: 'POST', endpoint: 'embeddings', format: 'openai' },
  '/v1/models': { method: 'GET', endpoint: 'models', format: 'auto' },
};

/** True for a path the AI proxy answers (serve routes it here before the MCP endpoint). */
export function isLlmPath(pathname: string): boolean {
  return pathname in ROUTES;
}

/** The wire format of a path's answers (refusals before the proxy runs use it too). */
export function wireFormatOf(pathname: string, headers: http.IncomingHttpHeaders): WireFormat {
  const route = ROUTES[pathname];
  if (route?.format === 'anthropic') return 'anthropic';
  if (route?.format === 'auto' && headers['anthropic-version'] !== undefined) return 'anthropic';
  return 'openai';
}

/** The credential an AI client presents: a bearer (OpenAI SDKs, SSO tokens) or `x-api-key` (Anthropic SDKs). */
export function llmCredential(headers: http.IncomingHttpHeaders): string | undefined {
  const bearer = bearerKey(headers.authorization);
  if (bearer !== undefined) return bearer;
  const key = headers['x-api-key'];
  return typeof key === 'string' && key.trim() !== '' ? key.trim() : undefined;
}

/** The rate limits and budgets (llm/limits.ts) the proxy uses. */
export type LlmLimiterLike = Pick<LlmLimiter, 'admit' | 'charge'>;

/** One request, as the audit records it (kind "llm", audit/llm-record.ts). */
export type LlmRequestRecord = LlmAuditRecord;

export interface LlmProxyOptions {
  loaded: LoadedConfig;
  log: Logger;
  /** Guardrail providers and judges (server/pool.ts createPoolResources), shared with the MCP side. */
  detectors?: ReadonlyMap<string, AsyncDetector>;
  judges?: JudgeRuntime | undefined;
  limiter?: LlmLimiterLike | undefined;
  /**
   * The audit log: `refusal()` before a request is served (with audit.required, an unwritable log refuses it), and
   * `llm()` with its record once it has been answered (also what the metrics count).
   */
  audit?: Pick<AuditSink, 'refusal' | 'llm'>;
  maxBodyBytes: number;
  /** Fallback tuning (tests shorten the backoff). */
  fallback?: Pick<FallbackOptions, 'maxAttempts' | 'backoffMs' | 'maxBackoffMs'>;
}

/** An answer that cannot be given: the caller's error body, and how the audit sees it. */
class Refused extends Error {
  constructor(
    readonly refusal: Refusal,
    readonly outcome: LlmRequestRecord['outcome'],
  ) {
    super(refusal.message);
  }
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export class LlmProxy {
  private readonly llm: ResolvedLlmConfig;
  private readonly clients = new Map<string, LlmProvider>();
  private readonly guards = new Map<string, Promise<ChatGuard>>();
  private readonly toolPolicies = new Map<string, ServerPolicyContext>();
  private readonly byRole = new Map<string, string[]>();
  private inflight = 0;
  private retired: (() => void) | undefined;

  constructor(private readonly opts: LlmProxyOptions) {
    this.llm = opts.loaded.llm;
  }

  /** True when the config has any deployment: otherwise every route answers 404 with how to add one. */
  get enabled(): boolean {
    return Object.keys(this.llm.deployments).length > 0;
  }

  /** Closes the provider clients once the requests in flight have ended (a config reload retires a proxy). */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.retired = resolve;
      if (this.inflight === 0) void this.shutdown();
    }).then(() => undefined);
  }

  private async shutdown(): Promise<void> {
    const done = this.retired;
    this.retired = undefined;
    await Promise.allSettled([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
    done?.();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, principal: Principal): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = ROUTES[pathname];
    const format = wireFormatOf(pathname, req.headers);
    const requestId = crypto.randomUUID();
    res.setHeader('x-secure-mcp-gateway-request-id', requestId);
    if (!route) return sendRefusal(res, format, refusal('not-found', `no AI proxy route at ${pathname}`));
    const started = performance.now();
    const rec: LlmRequestRecord = {
      requestId,
      endpoint: route.endpoint,
      user: principal.user,
      project: principal.project,
      ...(principal.keyId !== undefined ? { keyId: principal.keyId } : {}),
      ...(principal.subject !== undefined ? { subject: principal.subject } : {}),
      stream: false,
      outcome: 'ok',
      status: 200,
      stages: [],
      detections: [],
      durationMs: 0,
    };
    this.inflight++;
    try {
      if (req.method !== route.method) {
        res.setHeader('allow', route.method);
        throw new Refused(refusal('invalid', `${pathname} takes ${route.method}`, { status: 405 }), 'refused');
      }
      const unaudited = this.opts.audit?.refusal();
      if (unaudited) throw new Refused(refusal('unavailable', unaudited.reason, { rule: unaudited.ruleId }), 'refused');
      if (!this.enabled)
        throw new Refused(
          refusal('not-found', 'the AI proxy has no deployments: add llm.providers and llm.deployments to the config'),
          'refused',
        );
      if (route.endpoint === 'models') this.models(res, format, principal);
      else {
        const body = await this.body(req);
        if (route.endpoint === 'embeddings') await this.embeddings(res, body, principal, rec);
        else await this.chat(req, res, format, body, principal, rec);
      }
    } catch (error) {
      const r = error instanceof Refused ? error : unexpected(error, this.opts.log, requestId);
      rec.outcome = r.outcome;
      rec.status = r.refusal.status;
      if (r.refusal.rule !== undefined) rec.ruleId = r.refusal.rule;
      rec.reason = r.refusal.message;
      if (!res.headersSent) sendRefusal(res, format, r.refusal);
      else if (!res.writableEnded) res.end(streamErrorEvent(format, r.refusal));
    } finally {
      rec.durationMs = Math.round((performance.now() - started) * 100) / 100;
      this.finish(rec);
      this.inflight--;
      if (this.inflight === 0 && this.retired) void this.shutdown();
    }
  }

  private finish(rec: LlmRequestRecord): void {
    const fields = {
      event: 'llm.request',
      requestId: rec.requestId,
      endpoint: rec.endpoint,
      deployment: rec.deployment,
      outcome: rec.outcome,
      status: rec.status,
      ...(rec.ruleId !== undefined ? { rule: rec.ruleId } : {}),
      ms: rec.durationMs,
    };
    // As for MCP calls, an answered request is in the audit; the log says it only at debug level.
    if (rec.outcome === 'ok') {
      if (this.opts.log.isLevelEnabled('debug')) this.opts.log.debug(fields, 'llm request');
    } else this.opts.log.warn({ ...fields, reason: rec.reason }, `llm request ${rec.outcome}`);
    this.opts.audit?.llm(rec);
  }

  private async body(req: http.IncomingMessage): Promise<unknown> {
    let raw: Buffer;
    try {
      raw = await readBody(req, this.opts.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new Refused(refusal('too-large', error.message), 'refused');
      throw error;
    }
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw new Refused(refusal('invalid', `the body is not JSON: ${messageOf(error)}`), 'refused');
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Who may use what

  /** The deployments a role may use, worked out once per role for this config (picomatch compiles its globs). */
  private allowedDeployments(principal: Principal): string[] {
    const key = principal.role ?? '';
    let allowed = this.byRole.get(key);
    if (!allowed) {
      const role = principal.role === undefined ? undefined : this.opts.loaded.config.roles[principal.role];
      const allows = createNameMatcher(role?.deployments ?? []);
      allowed = Object.keys(this.llm.deployments).filter((d) => allows(d));
      this.byRole.set(key, allowed);
    }
    return allowed;
  }

  /** The deployment `model` names, if the caller may use it; else a 404 or 403 that says why. */
  private deployment(model: string, principal: Principal, rec: LlmRequestRecord): LlmDeploymentConfig {
    rec.deployment = Object.hasOwn(this.llm.deployments, model) ? model : 'unknown';
    if (rec.deployment === 'unknown') rec.model = model;
    const d = Object.hasOwn(this.llm.deployments, model) ? this.llm.deployments[model] : undefined;
    if (d === undefined)
      throw new Refused(
        refusal('not-found', `no deployment named "${model}": GET /v1/models lists the ones you may use`),
        'refused',
      );
    if (!this.allowedDeployments(principal).includes(model))
      throw new Refused(
        refusal(
          'forbidden',
          `role ${principal.role ?? '(none)'} of project ${principal.project} may not use deployment "${model}" (roles.${principal.role ?? '?'}.deployments)`,
        ),
        'refused',
      );
    return d;
  }

  private async admit(principal: Principal): Promise<void> {
    const limiter = this.opts.limiter;
    if (!limiter) return;
    const v = await limiter.admit(subjectOf(principal)).catch((error: unknown): LimitVerdict => ({
      ok: false,
      ruleId: 'llm.limits.unavailable',
      reason: `the AI proxy's limits cannot be checked, so the request is refused: ${messageOf(error)}`,
      retryAfterMs: 5_000,
      status: 503,
    }));
    if (v.ok) return;
    const retryAfterS = Math.max(1, Math.ceil(v.retryAfterMs / 1000));
    const kind = v.status === 503 ? 'unavailable' : 'limited';
    throw new Refused(refusal(kind, v.reason, { rule: v.ruleId, retryAfterS }), 'limited');
  }

  private async charge(principal: Principal, rec: LlmRequestRecord, model: string, usage: LlmUsage): Promise<void> {
    const cost = costUsd(this.llm.prices, model, usage);
    rec.costUsd = cost;
    try {
      await this.opts.limiter?.charge(subjectOf(principal), {
        tokens: usage.inputTokens + usage.outputTokens,
        costUsd: cost,
      });
    } catch (error) {
      // The answer has been given; the budget misses this request, which the log says.
      this.opts.log.error(
        { err: messageOf(error), requestId: rec.requestId },
        'llm request: its tokens could not be counted against the budgets',
      );
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Guards and providers

  private guard(policyName: string): Promise<ChatGuard> {
    let g = this.guards.get(policyName);
    if (!g) {
      const policy = this.opts.loaded.policies[policyName];
      if (policy === undefined) return Promise.reject(new Error(`no policy named "${policyName}"`));
      g = createChatGuard(policy, {
        name: policyName,
        ...(this.opts.detectors ? { providers: this.opts.detectors } : {}),
        ...(this.opts.judges ? { judges: this.opts.judges } : {}),
      });
      // A guard that failed to build is not cached: the next request tries again (and is blocked if it fails too).
      g.catch(() => this.guards.delete(policyName));
      this.guards.set(policyName, g);
    }
    return g;
  }

  private async checks(
    alias: string,
    d: LlmDeploymentConfig,
    principal: Principal,
    requestId: string,
  ): Promise<{ input: ChatCheck; output: ChatCheck; outputGuard: ChatGuard }> {
    const fallback = this.opts.loaded.config.defaultPolicy;
    let guards: [ChatGuard, ChatGuard];
    try {
      guards = await Promise.all([this.guard(d.input ?? fallback), this.guard(d.output ?? fallback)]);
    } catch (error) {
      throw new Refused(
        refusal('blocked', `the guardrails could not be built, so the request is blocked: ${messageOf(error)}`, {
          rule: 'llm.guard-failed',
        }),
        'blocked',
      );
    }
    const vault = new RedactionVault();
    const meta = { requestId, principal, identity: identityOf(principal), vault, log: this.opts.log };
    return {
      input: guards[0].open(meta),
      output: guards[1].open({ ...meta, toolPolicy: this.toolPolicy(alias, d) }),
      outputGuard: guards[1],
    };
  }

  /** The output policy's result limit in bytes, when its limits are enforced. */
  private resultLimit(d: LlmDeploymentConfig): number | undefined {
    const policy = this.opts.loaded.policies[d.output ?? this.opts.loaded.config.defaultPolicy];
    return policy?.limits.mode === 'enforce' ? policy.limits.maxResultBytes : undefined;
  }

  /** Where the model's tool calls may point, and the explicit argument rules (llm.deployments.<d>.toolCalls). */
  private toolPolicy(alias: string, d: LlmDeploymentConfig): ServerPolicyContext {
    // One object per deployment: the argument stage compiles its rules once per policy object.
    const known = this.toolPolicies.get(alias);
    if (known) return known;
    const dir = path.dirname(this.opts.loaded.file);
    const abs = (p: string) =>
      path.resolve(dir, p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p);
    const t = d.toolCalls;
    const roots = t.roots.map(abs);
    const credentialPaths = Array.isArray(t.credentialPaths)
      ? t.credentialPaths.map(abs)
      : t.credentialPaths === 'allow'
        ? 'allow'
        : undefined;
    const policy: ServerPolicyContext = {
      roots,
      cwd: roots[0] ?? TOOL_CWD,
      arguments: t.arguments ?? {},
      annotations: {},
      ...(credentialPaths !== undefined ? { credentialPaths } : {}),
    };
    this.toolPolicies.set(alias, policy);
    return policy;
  }

  private provider = (name: string): LlmProvider => {
    let client = this.clients.get(name);
    if (!client) {
      const cfg = this.llm.providers[name];
      if (cfg === undefined) {
        const why = this.opts.loaded.llmProblems
          .filter((p) => p.path.startsWith(`llm.providers.${name}.`))
          .map((p) => `${p.path}: ${p.message}`)
          .join('; ');
        // Retryable: a deployment on another provider may still answer.
        throw new LlmProviderError(
          name,
          'unavailable',
          `is not configured (${why || 'its references did not resolve'})`,
        );
      }
      client = createLlmProvider(name, cfg);
      this.clients.set(name, client);
    }
    return client;
  };

  private fallbackOptions(signal: AbortSignal, rec: LlmRequestRecord): FallbackOptions {
    return {
      deployments: this.llm.deployments,
      provider: this.provider,
      signal,
      ...this.opts.fallback,
      onAttempt: (a) => {
        if (a.error)
          (rec.attempts ??= []).push({ deployment: a.deployment, provider: a.provider, error: a.error.message });
      },
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Endpoints

  private models(res: http.ServerResponse, format: WireFormat, principal: Principal): void {
    const ids = this.allowedDeployments(principal);
    if (format === 'anthropic')
      return json(res, 200, {
        data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' })),
        has_more: false,
        first_id: ids[0] ?? null,
        last_id: ids[ids.length - 1] ?? null,
      });
    json(res, 200, {
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'secure-mcp-gateway' })),
    });
  }

  private async chat(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    format: WireFormat,
    body: unknown,
    principal: Principal,
    rec: LlmRequestRecord,
  ): Promise<void> {
    let request: LlmChatRequest;
    try {
      request = format === 'openai' ? openAiRequestToNeutral(body) : anthropicRequestToNeutral(body);
    } catch (error) {
      if (error instanceof LlmFormatError) throw new Refused(refusal('invalid', error.message), 'refused');
      throw error;
    }
    const alias = request.model;
    const d = this.deployment(alias, principal, rec);
    rec.stream = request.stream === true;
    await this.admit(principal);
    const { texts, imageCount } = requestTexts(request);
    if (imageCount > 0 && d.images !== 'allow')
      throw new Refused(
        refusal(
          'blocked',
          `the request has ${imageCount} image part(s), which the guardrails cannot read; deployment "${alias}" does not allow images (llm.deployments.${alias}.images)`,
          { rule: 'llm.unscanned-content' },
        ),
        'blocked',
      );
    const { input, output, outputGuard } = await this.checks(alias, d, principal, rec.requestId);
    try {
      const detections: ChatDetection[] = [];
      if (texts.length > 0) {
        const v = await input.checkInput(texts);
        rec.detections.push(...v.detections.map(auditDetection));
        if (v.action === 'deny') throw blocked(v.ruleId, v.reason, v.detections);
        detections.push(...v.detections);
        if (v.action === 'modify') writeBack(texts, v.texts);
      }
      const controller = new AbortController();
      res.on('close', () => {
        if (!res.writableEnded) controller.abort(new Error('the client closed the connection'));
      });
      const fallback = this.fallbackOptions(controller.signal, rec);
      const tools = new Map((request.tools ?? []).map((t) => [t.name, t]));
      if (request.stream === true) {
        const includeUsage = format === 'openai' && includeUsageOf(body);
        return await this.stream(res, format, alias, request, {
          output,
          outputGuard,
          fallback,
          tools,
          includeUsage,
          lookBack: d.stream.lookBack,
          maxBufferedChars: this.resultLimit(d),
          detections,
          principal,
          rec,
        });
      }
      let answered;
      try {
        answered = await chatWithFallback(alias, request, fallback);
      } catch (error) {
        throw providerFailure(error);
      }
      rec.answeredBy = { deployment: answered.deployment, provider: answered.provider, model: answered.model };
      const answer = answered.result;
      rec.usage = { ...answer.usage };
      await this.charge(principal, rec, answered.model, answer.usage);
      const outTexts = responseTexts(answer);
      if (outTexts.length > 0) {
        const v = await output.checkOutput(outTexts);
        rec.detections.push(...v.detections.map(auditDetection));
        if (v.action === 'deny') throw blocked(v.ruleId, v.reason, v.detections);
        detections.push(...v.detections);
        if (v.action === 'modify') writeBack(outTexts, v.texts);
      }
      for (const call of answer.toolCalls) await checkToolCall(output, call, tools, rec);
      const shown = { ...answer, model: alias };
      const wire = format === 'openai' ? neutralToOpenAiResponse(shown) : neutralToAnthropicResponse(shown);
      json(res, 200, { ...wire, secure_mcp_gateway_detections: detections });
    } finally {
      rec.stages.push(...stagesOf('input', input.trail), ...stagesOf('output', output.trail));
    }
  }

  private async stream(
    res: http.ServerResponse,
    format: WireFormat,
    alias: string,
    request: LlmChatRequest,
    s: {
      output: ChatCheck;
      outputGuard: ChatGuard;
      fallback: FallbackOptions;
      tools: Map<string, { name: string; parameters: Record<string, unknown>; description?: string }>;
      includeUsage: boolean;
      lookBack: number;
      /** Buffered answers (remote output checks): the output policy's result limit, when it is enforced. */
      maxBufferedChars: number | undefined;
      detections: ChatDetection[];
      principal: Principal;
      rec: LlmRequestRecord;
    },
  ): Promise<void> {
    const { output, rec } = s;
    let answered;
    try {
      answered = await streamWithFallback(alias, request, s.fallback);
    } catch (error) {
      throw providerFailure(error);
    }
    rec.answeredBy = { deployment: answered.deployment, provider: answered.provider, model: answered.model };
    res.writeHead(200, SSE_HEADERS);
    const enc =
      format === 'openai'
        ? createOpenAiStreamEncoder({ includeUsage: s.includeUsage, model: alias })
        : createAnthropicStreamEncoder({ model: alias });
    const write = (text: string) => {
      if (text !== '' && !res.writableEnded) res.write(text);
    };
    // With a remote provider or a judge on the output side, a window cannot be judged alone: buffer, then check.
    const buffered = s.outputGuard.streamSkipsRemote;
    const scanner = buffered ? undefined : output.streamScanner({ lookBack: s.lookBack });
    const calls: LlmToolCall[] = [];
    const usage: Partial<LlmUsage> = {};
    let stop: LlmStopReason = 'end';
    let held = '';
    let received = 0;
    let ended: Refusal | undefined;
    const charge = async () => {
      const u: LlmUsage = {
        inputTokens: usage.inputTokens ?? estimateTokens(JSON.stringify(request.messages).length),
        outputTokens: usage.outputTokens ?? estimateTokens(received),
      };
      rec.usage = { ...u, ...(usage.outputTokens === undefined ? { estimated: true } : {}) };
      await this.charge(s.principal, rec, answered.model, u);
    };
    try {
      for await (const ev of answered.result) {
        if (ev.type === 'start') write(enc.encode({ ...ev, model: alias }));
        else if (ev.type === 'text') {
          received += ev.text.length;
          if (!scanner) {
            held += ev.text;
            // A buffered answer is held in memory: past the output policy's result limit it ends now, as the size
            // stage would end it once whole (characters never outnumber bytes, so this never fires early).
            if (s.maxBufferedChars !== undefined && held.length > s.maxBufferedChars) {
              ended = refusal(
                'blocked',
                `blocked by output-guardrail size.max-result-bytes: the answer is larger than ${s.maxBufferedChars} bytes`,
                { rule: 'size.max-result-bytes' },
              );
              break;
            }
          } else {
            const out = scanner.push(ev.text);
            if (scanner.blocked) {
              ended = streamBlock(scanner.blocked);
              break;
            }
            if (out !== '') write(enc.encode({ type: 'text', text: out }));
          }
        } else if (ev.type === 'tool-call') {
          const call = (calls[ev.index] ??= { id: '', name: '', arguments: '' });
          if (ev.id !== undefined) call.id = ev.id;
          if (ev.name !== undefined) call.name = ev.name;
          call.arguments += ev.argumentsDelta;
          received += ev.argumentsDelta.length;
        } else if (ev.type === 'usage') Object.assign(usage, ev.usage);
        else if (ev.type === 'stop') stop = ev.reason;
        else {
          ended = refusal(
            'provider',
            `the provider ${answered.provider} ended the stream with an error: ${ev.message}`,
          );
          rec.outcome = 'error';
          break;
        }
      }
    } catch (error) {
      if (res.writableEnded || res.destroyed) {
        rec.outcome = 'error';
        rec.reason = 'the client closed the connection';
        rec.status = 499;
        await charge();
        return;
      }
      ended = providerFailure(error).refusal;
      rec.outcome = 'error';
    }
    if (ended === undefined) ended = await this.streamTail(s, { scanner, held, calls, write, enc });
    await charge();
    rec.detections.push(...(scanner?.detections ?? []).map((d) => auditDetection(publicDetection(d))));
    if (scanner)
      rec.stages.push({
        side: 'stream',
        stage: 'stream-scan',
        action: scanner.blocked ? 'deny' : 'allow',
        ...(scanner.blocked ? { ruleId: scanner.blocked.ruleId } : {}),
      });
    if (ended !== undefined) {
      if (rec.outcome === 'ok') rec.outcome = 'blocked';
      rec.ruleId = ended.rule ?? rec.ruleId;
      rec.reason = ended.message;
      write(streamErrorEvent(format, ended));
      res.end();
      return;
    }
    if (usage.inputTokens !== undefined || usage.outputTokens !== undefined)
      write(enc.encode({ type: 'usage', usage }));
    write(enc.encode({ type: 'stop', reason: stop }));
    const comment = detectionsComment([...s.detections, ...(scanner?.detections ?? []).map((d) => publicDetection(d))]);
    if (format === 'openai') write(comment + enc.end());
    else write(enc.end() + comment);
    res.end();
  }

  /** The end of a stream that was not cut: the held-back text, then the tool calls, each checked before it is sent. */
  private async streamTail(
    s: {
      output: ChatCheck;
      tools: Map<string, { name: string; parameters: Record<string, unknown>; description?: string }>;
      detections: ChatDetection[];
      rec: LlmRequestRecord;
    },
    t: {
      scanner: ReturnType<ChatCheck['streamScanner']> | undefined;
      held: string;
      calls: LlmToolCall[];
      write: (text: string) => void;
      enc: StreamEncoder;
    },
  ): Promise<Refusal | undefined> {
    let text = '';
    if (t.scanner) {
      const rest = t.scanner.end();
      if (t.scanner.blocked) return streamBlock(t.scanner.blocked);
      text = rest;
    }
    // The whole answer at once: buffered text (remote output checks) and every tool call's arguments.
    const texts: (ChatText & { set(v: string): void })[] = [];
    let bufferedText = t.held;
    if (!t.scanner && bufferedText !== '')
      texts.push({ where: 'content[0]', text: bufferedText, set: (v) => (bufferedText = v) });
    t.calls.forEach((c, k) => {
      if (c.arguments !== '')
        texts.push({ where: `tool_calls[${k}].arguments`, text: c.arguments, set: (v) => (c.arguments = v) });
    });
    if (texts.length > 0) {
      const v = await s.output.checkOutput(texts);
      s.rec.detections.push(...v.detections.map(auditDetection));
      if (v.action === 'deny') return blocked(v.ruleId, v.reason, v.detections).refusal;
      s.detections.push(...v.detections);
      if (v.action === 'modify') writeBack(texts, v.texts);
    }
    if (!t.scanner) text = bufferedText;
    for (const call of t.calls) {
      try {
        await checkToolCall(s.output, call, s.tools, s.rec);
      } catch (error) {
        if (error instanceof Refused) return error.refusal;
        throw error;
      }
    }
    if (text !== '') t.write(t.enc.encode({ type: 'text', text }));
    t.calls.forEach((c, index) =>
      t.write(t.enc.encode({ type: 'tool-call', index, id: c.id, name: c.name, argumentsDelta: c.arguments })),
    );
    return undefined;
  }

  private async embeddings(
    res: http.ServerResponse,
    body: unknown,
    principal: Principal,
    rec: LlmRequestRecord,
  ): Promise<void> {
    const e = readEmbeddingRequest(body);
    const d = this.deployment(e.model, principal, rec);
    await this.admit(principal);
    const { input } = await this.checks(e.model, d, principal, rec.requestId);
    try {
      const texts = e.input.map((text, i) => ({ where: `input[${i}]`, text }));
      const v = await input.checkInput(texts);
      rec.detections.push(...v.detections.map(auditDetection));
      if (v.action === 'deny') throw blocked(v.ruleId, v.reason, v.detections);
      const inputs = v.texts.map((t) => t.text);
      let answer: LlmEmbeddingResponse | undefined;
      let last: unknown;
      for (const name of deploymentChain(e.model, this.llm.deployments).slice(0, 4)) {
        const dep = this.llm.deployments[name]!;
        try {
          answer = await this.provider(dep.provider).embed({
            model: dep.model,
            input: inputs,
            ...(e.dimensions !== undefined ? { dimensions: e.dimensions } : {}),
            ...(e.user !== undefined ? { user: e.user } : {}),
          });
          rec.answeredBy = { deployment: name, provider: dep.provider, model: dep.model };
          break;
        } catch (error) {
          last = error;
          if (!(error instanceof LlmProviderError) || !error.retryable) break;
          (rec.attempts ??= []).push({ deployment: name, provider: dep.provider, error: error.message });
        }
      }
      if (answer === undefined) throw providerFailure(last);
      rec.usage = { inputTokens: answer.usage.inputTokens, outputTokens: 0 };
      await this.charge(principal, rec, rec.answeredBy!.model, rec.usage);
      json(res, 200, {
        object: 'list',
        data: answer.vectors.map((v, index) => ({
          object: 'embedding',
          index,
          embedding: e.base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
        })),
        model: e.model,
        usage: { prompt_tokens: answer.usage.inputTokens, total_tokens: answer.usage.inputTokens },
        secure_mcp_gateway_detections: v.detections,
      });
    } finally {
      rec.stages.push(...stagesOf('input', input.trail));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function subjectOf(p: Principal): LlmSubject {
  return { ...(p.keyId !== undefined ? { keyId: p.keyId } : {}), user: p.user, project: p.project };
}

function includeUsageOf(body: unknown): boolean {
  const options = (body as { stream_options?: { include_usage?: unknown } } | null)?.stream_options;
  return options?.include_usage === true;
}

function blocked(ruleId: string, reason: string, detections: ChatDetection[]): Refused {
  return new Refused(refusal('blocked', reason, { rule: ruleId, detections }), 'blocked');
}

function streamBlock(b: { ruleId: string; reason: string; detections: readonly Detection[] }): Refusal {
  return refusal('blocked', `blocked by output-guardrail ${b.ruleId}: ${b.reason}`, {
    rule: b.ruleId,
    detections: b.detections.map((d) => publicDetection(d)),
  });
}

function auditDetection(d: ChatDetection): { rule: string; detector: string; where?: string } {
  return { rule: d.rule, detector: d.detector, ...(d.where !== undefined ? { where: d.where } : {}) };
}

function stagesOf(side: 'input' | 'output', trail: readonly StageRecord[]): LlmRequestRecord['stages'] {
  return trail.map((r) => ({
    side: r.slot === 'parameter-check' ? 'tool-call' : side,
    stage: r.stage,
    action: r.action,
    ...(r.ruleId !== undefined ? { ruleId: r.ruleId } : {}),
    ms: Math.round(r.ms * 100) / 100,
  }));
}

/** A model's tool call through the argument rules; invalid JSON arguments cannot be checked and are blocked. */
async function checkToolCall(
  check: ChatCheck,
  call: LlmToolCall,
  tools: ReadonlyMap<string, { parameters: Record<string, unknown>; description?: string }>,
  rec: LlmRequestRecord,
): Promise<void> {
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    args = undefined;
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw blocked(
      'llm.tool-arguments-invalid',
      `the model's call of ${call.name} has arguments that are not a JSON object, so they cannot be checked`,
      [],
    );
  const tool = tools.get(call.name);
  const m: ModelToolCall = {
    name: call.name,
    arguments: args as Record<string, unknown>,
    // A tool the request did not declare has no schema to infer rules from: its arguments' own names and types
    // stand in, so that a `command` or `path` argument is still checked as one.
    parameters: tool?.parameters ?? schemaOf(args as Record<string, unknown>),
    ...(tool?.description !== undefined ? { description: tool.description } : {}),
  };
  const v = await check.checkToolCall(m);
  if (v.action === 'deny') {
    rec.detections.push(...v.detections.map(auditDetection));
    throw blocked(v.ruleId, `the model's call of ${call.name}: ${v.reason}`, v.detections);
  }
}

function schemaOf(args: Record<string, unknown>): Record<string, unknown> {
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v;
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, { type: typeOf(v) }])),
  };
}

function providerFailure(error: unknown): Refused {
  if (error instanceof Refused) return error;
  if (error instanceof LlmFormatError) return new Refused(refusal('invalid', error.message), 'refused');
  if (!(error instanceof LlmProviderError)) throw error;
  const retryAfterS = error.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  const status = error.status === undefined ? '' : ` (HTTP ${error.status})`;
  switch (error.kind) {
    case 'auth':
      return new Refused(
        refusal(
          'provider',
          `the provider ${error.provider} refused the gateway's credentials${status}: check llm.providers.${error.provider}.apiKey`,
        ),
        'error',
      );
    case 'rate-limited':
      return new Refused(
        refusal('provider', `${error.message}${status}`, { status: 429, ...(retryAfterS ? { retryAfterS } : {}) }),
        'error',
      );
    case 'timeout':
      return new Refused(refusal('provider', error.message, { status: 504 }), 'error');
    case 'rejected':
      return new Refused(refusal('invalid', `${error.message}${status}`), 'error');
    case 'aborted':
      return new Refused(refusal('provider', error.message, { status: 499 }), 'error');
    default:
      return new Refused(refusal('provider', `${error.message}${status}`), 'error');
  }
}

function unexpected(error: unknown, log: Logger, requestId: string): Refused {
  log.error({ err: messageOf(error), requestId }, 'llm request failed');
  return new Refused(refusal('unavailable', `internal error (request ${requestId})`, { status: 500 }), 'error');
}

interface EmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
  user?: string;
  base64: boolean;
}

function readEmbeddingRequest(body: unknown): EmbeddingRequest {
  const bad = (message: string) => new Refused(refusal('invalid', message), 'refused');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('body: expected a JSON object');
  const b = body as Record<string, unknown>;
  // As for chat: a field the proxy would drop is refused by name.
  const unknown = Object.keys(b).find((k) => !EMBEDDING_FIELDS.has(k) && b[k] !== undefined && b[k] !== null);
  if (unknown !== undefined)
    throw bad(`${unknown}: the AI proxy does not support "${unknown}" (it would be dropped, so it is refused)`);
  if (typeof b.model !== 'string' || b.model === '') throw bad('model: expected a string');
  if (b.user !== undefined && b.user !== null && typeof b.user !== 'string') throw bad('user: expected a string');
  const raw = b.input;
  const input = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(input) || input.length === 0 || !input.every((x) => typeof x === 'string'))
    throw bad('input: expected a string or an array of strings (token arrays cannot be checked by the guardrails)');
  const format = b.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw bad('encoding_format: expected "float" or "base64"');
  if (
    b.dimensions !== undefined &&
    (typeof b.dimensions !== 'number' || !Number.isInteger(b.dimensions) || b.dimensions < 1)
  )
    throw bad('dimensions: expected a positive integer');
  return {
    model: b.model,
    input: input,
    base64: format === 'base64',
    ...(typeof b.dimensions === 'number' ? { dimensions: b.dimensions } : {}),
    ...(typeof b.user === 'string' ? { user: b.user } : {}),
  };
}

const EMBEDDING_FIELDS = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);

/** One write: with its length known, the answer goes out in one piece, not chunked. */
function json(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    })
    .end(body);
}

export function sendRefusal(
  res: http.ServerResponse,
  format: WireFormat,
  r: Refusal,
  headers: Record<string, string> = {},
): void {
  json(res, r.status, errorBody(format, r), {
    ...(r.retryAfterS !== undefined ? { 'retry-after': String(r.retryAfterS) } : {}),
    ...headers,
  });
}
