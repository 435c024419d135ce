/**
 * The gateway session: the only file that touches the SDK Server object. It declares the gateway's capabilities,
 * starts every upstream concurrently when the client's `initialize` arrives, answers list requests from the live
 * catalogs (or the discovery cache while upstreams connect), runs tools/call through the pipeline (taken off
 * the transport before the SDK sees it: see tool-calls.ts and upstream/direct-call.ts), routes
 * resource reads, prompt gets and completions, relays sampling and elicitation only where the client declared
 * them, re-sends list_changed, and owns shutdown: drain in-flight requests (bounded), close every upstream, close
 * the transport.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CompleteRequestSchema,
  CompleteResultSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  type CallToolResult,
  type ClientCapabilities,
  type ElicitRequestFormParams,
  type JSONRPCMessage,
  type Progress,
  type ServerNotification,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { LoadedConfig } from '../config/load.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { createSecretMasker } from '../log.js';
import { assemblePipeline } from '../pipeline/assemble.js';
import { createSession, serverPolicyContext } from '../pipeline/session.js';
import { resolvePaths } from '../config/paths.js';
import {
  createIntegrityGate,
  hashOf,
  type IntegrityBlock,
  type IntegrityGate,
  type IntegrityVerdict,
} from '../integrity/gate.js';
import { createScanCache } from '../integrity/scan-cache.js';
import {
  LOCAL_PRINCIPAL,
  type ApprovalAnswer,
  type CallContext,
  type ServerPolicyContext,
  type SessionState,
} from '../pipeline/types.js';
import { callTool, type CallPipeline } from '../pipeline/call-tool.js';
import { createToolFilter } from '../policy/allowlist.js';
import { createNameMatcher } from '../policy/glob.js';
import { sharedStore } from '../state/create.js';
import { MemoryStore } from '../state/memory.js';
import { pinStoreOn } from '../state/pins.js';
import type { StateStore } from '../state/store.js';
import { lazyProvider } from '../guardrails/providers/lazy.js';
import { createJudgeRuntime, type JudgeRuntime } from '../guardrails/judge/runtime.js';
import type { AsyncDetector } from '../guardrails/types.js';
import type { Catalog } from '../upstream/catalog.js';
import { closeHttpPool, type ClientRelay } from '../upstream/connect.js';
import type { DiscoveryCache } from '../upstream/discovery-cache.js';
import { Upstream } from '../upstream/upstream.js';
import { VERSION } from '../version.js';
import { AuditSink, type CallAudit } from '../audit/sink.js';
import { createRedactor } from '../audit/redact.js';
import { buildRoutes, type Routes } from './routes.js';
import { blockedResult, toWireError } from './to-wire.js';
import { interceptToolCalls, type ToolCallRequest } from './tool-calls.js';

export interface GatewayOptions {
  loaded: LoadedConfig;
  log: Logger;
  cache: DiscoveryCache;
  /** The pin lockfile, the manifests and cache folders; default: from SMG_HOME (config integrity.lockfile wins). */
  integrity?: { lockfile: string; manifestsDir: string; cacheDir: string };
  /** The audit log and the metrics/trace observers (audit/setup.ts); default: no log, nothing observed. */
  audit?: AuditSink;
  /** The process's state store (state/create.ts); its owner closes it. Default: a MemoryStore of this gateway's. */
  state?: StateStore;
}

/** How long a relayed sampling or elicitation request may wait for the client (a human may be answering). */
const RELAY_TIMEOUT_MS = 10 * 60_000;

/**
 * The approval form (policy/approval.ts): one required choice. `enum` with `enumNames` is the titled enum that
 * clients of both the 2025-06-18 and the 2025-11-25 spec accept; 2025-11-25 prefers `oneOf` with titles, which
 * older clients reject as an invalid request.
 */
const APPROVAL_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    decision: {
      type: 'string',
      title: 'Decision',
      enum: ['allow_once', 'allow_session', 'deny'],
      enumNames: ['Allow once', 'Allow for this session', 'Deny'],
    },
  },
  required: ['decision'],
};
const APPROVAL_ANSWERS = new Map<unknown, ApprovalAnswer>([
  ['allow_once', 'once'],
  ['allow_session', 'session'],
  ['deny', 'deny'],
]);

type ListKind = 'tools' | 'prompts' | 'resources';

/** Integrity blocks that a person can lift with `tools approve`: a blocked call re-checks the pins first. */
const REVIEWABLE = new Set(['integrity.changed', 'integrity.revoked', 'integrity.unapproved']);

export class Gateway {
  readonly server: Server;
  private readonly upstreams = new Map<string, Upstream>();
  /** One pipeline per policy name, built on first use and shared by the servers and tools that use it. */
  private readonly pipelines = new Map<string, Promise<CallPipeline>>();
  /** Per server: its policy name, and per-tool overrides (first matching glob wins). */
  private readonly policyRoutes = new Map<string, { name: string; overrides: [(tool: string) => boolean, string][] }>();
  private readonly providers: Map<string, AsyncDetector>;
  private readonly filters = new Map<string, (tool: string) => boolean>();
  private readonly cached = new Map<string, Catalog>();
  private readonly settled = new Map<string, Promise<void>>();
  private readonly settle = new Map<string, () => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** Fingerprint of each list as last sent to the client; list_changed is sent only when it differs. */
  private readonly sent = new Map<ListKind, string>();
  private routes: Routes;
  private started = false;
  private closing: Promise<void> | undefined;
  private markClosed!: () => void;
  /** Resolves once shutdown has finished: upstreams closed, transport closed. */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  private readonly log: Logger;
  /** One client session per gateway (stdio): approvals "for this session" and the data-flow guard live here. */
  private readonly session: SessionState = createSession(crypto.randomUUID());
  private readonly serverPolicies = new Map<string, ServerPolicyContext>();
  /** Tool integrity: pins, the poisoning scan and signed manifests, applied to every catalog before it is listed. */
  private readonly gate: IntegrityGate;
  private readonly verdicts = new Map<string, IntegrityVerdict>();
  /** Integrity checks in flight, by server: a list request waits for them (bounded). */
  private readonly evaluating = new Map<string, Promise<void>>();
  /** The process's state store, shared by every policy's pipeline: rate-limit buckets (and with Redis, pins). */
  private readonly state: StateStore;
  /** Stops re-checking integrity when the shared store comes back (see the constructor). */
  private readonly unwatchState: () => void;
  /** Judge endpoints and policy documents (read now, re-read on change), when the config has any. */
  private readonly judges: JudgeRuntime | undefined;
  private readonly audit: AuditSink;
  /** Upstreams that went away and are being restarted, for the crashed → restarted audit events. */
  private readonly down = new Set<string>();

  constructor(private readonly opts: GatewayOptions) {
    const { loaded, log, cache } = opts;
    this.log = log;
    this.state = opts.state ?? new MemoryStore();
    this.audit =
      opts.audit ??
      new AuditSink({ required: false, fsync: 'batched', redactor: createRedactor(), argumentsMode: 'redacted', log });
    const { redactor } = this.audit.settings;
    // Upstream stderr reaches the log only after the configured secret values and the secrets and PII detectors.
    const masked = createSecretMasker(loaded.secrets);
    const mask = (text: string) => redactor.text(masked(text));
    this.providers = new Map(
      Object.entries(loaded.providers).map(([name, cfg]) => [
        name,
        lazyProvider(name, cfg, (message) =>
          log.warn({ provider: name }, `guardrail provider failed open: ${message}`),
        ),
      ]),
    );
    if (Object.keys(loaded.judges).length > 0 || loaded.policyDocuments.length > 0)
      this.judges = createJudgeRuntime({ judges: loaded.judges, documents: loaded.policyDocuments, log });
    const paths = opts.integrity ?? resolvePaths();
    this.gate = createIntegrityGate({
      store: pinStoreOn(sharedStore(this.state), loaded.lockfile ?? paths.lockfile),
      poisoning: loaded.config.integrity.poisoning,
      manifestsDir: paths.manifestsDir,
      log,
      ...(loaded.config.cache.enabled
        ? { scanCache: createScanCache(path.join(paths.cacheDir, 'poisoning.json'), log) }
        : {}),
    });
    const up = loaded.config.upstreams;
    for (const server of loaded.servers) {
      this.policyRoutes.set(server.name, {
        name: server.config.policy ?? loaded.config.defaultPolicy,
        overrides: Object.entries(server.config.toolPolicies ?? {}).map(([glob, name]) => [
          createNameMatcher([glob]),
          name,
        ]),
      });
      this.filters.set(server.name, createToolFilter(server.config.tools));
      this.serverPolicies.set(server.name, serverPolicyContext(server));
      const hit = cache.get(server);
      this.audit.cache('discovery', hit !== undefined);
      if (hit) this.cached.set(server.name, hit.catalog);
      this.settled.set(server.name, new Promise((resolve) => this.settle.set(server.name, resolve)));
      this.upstreams.set(
        server.name,
        new Upstream(server, {
          log,
          mask,
          connectTimeoutMs: up.connectTimeoutMs,
          restartInitialDelayMs: up.restartInitialDelayMs,
          restartMaxDelayMs: up.restartMaxDelayMs,
          maxMessageBytes: up.maxMessageBytes,
          onCatalog: (name, catalog) => this.onCatalog(name, catalog),
          onStateChange: (name, state) => {
            if (state === 'backoff') this.settle.get(name)?.();
            this.auditUpstream(name, state);
          },
        }),
      );
    }
    // With shared pins, a list whose check failed while the store was down is checked again once it is back.
    this.unwatchState =
      sharedStore(this.state)?.watch((status) => {
        if (status !== 'up') return;
        for (const [server, verdict] of this.verdicts)
          if ([...verdict.blocked.values()].some((b) => b.ruleId === 'integrity.failed'))
            this.checkIntegrity(server, this.upstreams.get(server)?.catalog ?? verdict.catalog);
      }) ?? (() => undefined);
    // Cached lists answer the first tools/list, but only after the integrity gate has passed them.
    for (const [server, catalog] of this.cached) this.checkIntegrity(server, catalog);
    this.routes = this.rebuildRoutes();

    this.server = new Server(
      { name: 'secure-mcp-gateway', title: 'secure-mcp-gateway', version: VERSION },
      {
        capabilities: {
          tools: { listChanged: true },
          prompts: { listChanged: true },
          resources: { listChanged: true },
          completions: {},
        },
        instructions:
          'Tools, prompts and resources of several MCP servers, each named <server>__<name>, behind a security gateway. ' +
          'A call the gateway blocks returns an error result that names the rule and the reason.',
      },
    );
    this.registerHandlers();
  }

  /** Serves one client over `transport`. Upstreams start when its `initialize` request arrives. */
  async connect(transport: Transport & { oninputend?: () => void }): Promise<void> {
    await this.server.connect(transport);
    const onmessage = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      if (!this.started && 'method' in message && message.method === 'initialize' && 'id' in message) {
        const params = message.params as { capabilities?: ClientCapabilities } | undefined;
        this.startUpstreams(params?.capabilities ?? {});
      }
      onmessage?.(message, extra);
    };
    // tools/call is served below the SDK Server (see tool-calls.ts); everything else goes through it.
    interceptToolCalls(transport, (call) => this.track(() => this.callTool(call)));
    // Only the gateway's own stdio transport reports the end of input; on it, drain before closing.
    transport.oninputend = () => void this.shutdown('stdin closed');
    this.server.onclose = () => void this.shutdown('client disconnected');
  }

  /** Connects every upstream at once; one that fails is retried on its own and never blocks the others. */
  startUpstreams(clientCapabilities: ClientCapabilities): void {
    if (this.started) return;
    this.started = true;
    const relay: ClientRelay = {
      clientCapabilities,
      sampling: (req, signal) =>
        this.server.request(req, CreateMessageResultSchema, { signal, timeout: RELAY_TIMEOUT_MS }),
      elicitation: (req, signal) => this.server.request(req, ElicitResultSchema, { signal, timeout: RELAY_TIMEOUT_MS }),
    };
    this.log.info({ servers: [...this.upstreams.keys()] }, 'connecting upstreams');
    for (const upstream of this.upstreams.values()) upstream.start(relay);
  }

  get upstreamStates(): Record<string, string> {
    return Object.fromEntries([...this.upstreams].map(([name, u]) => [name, u.state]));
  }

  private onCatalog(server: string, catalog: Catalog): void {
    const upstream = this.upstreams.get(server);
    if (upstream) this.opts.cache.set(upstream.server, catalog);
    this.checkIntegrity(server, catalog, () => this.settle.get(server)?.());
    // Let stages prepare per-tool state (e.g. compile schemas) once the client has its answer, not on a call.
    const route = this.policyRoutes.get(server);
    const names = route ? [route.name, ...route.overrides.map(([, n]) => n)] : [];
    setImmediate(() => void this.warmPipelines(server, names, catalog));
  }

  /**
   * Runs the integrity gate on a catalog, then lists its tools: until the gate has a verdict for the catalog, the
   * server's tools are not listed, and a call to one is checked against the previous verdict (see callTool).
   */
  private checkIntegrity(server: string, catalog: Catalog, then?: () => void): void {
    const resolved = this.upstreams.get(server)?.server;
    if (!resolved) return;
    const others = [...this.upstreams.values()]
      .filter((u) => u.name !== server)
      .flatMap((u) => {
        const c = u.catalog ?? this.cached.get(u.name);
        return c ? [{ server: u.name, tools: c.tools.map((t) => t.name) }] : [];
      });
    const done = this.gate.evaluate(resolved, catalog, others).then((verdict) => {
      // A newer catalog may have arrived while this one was checked; its own check decides then.
      const current = this.upstreams.get(server)?.catalog ?? this.cached.get(server);
      if (current === catalog || !this.verdicts.has(server)) {
        this.audit.integrity(server, verdict, this.verdicts.get(server));
        this.verdicts.set(server, verdict);
      }
      for (const [tool, b] of verdict.blocked) this.log.warn({ server, tool, ruleId: b.ruleId }, b.reason);
      then?.();
      this.routes = this.rebuildRoutes();
      this.notifyChanges();
    });
    done.catch((error: unknown) => this.log.error({ server, err: String(error) }, 'integrity check failed'));
    this.evaluating.set(server, done);
    void done.finally(() => {
      if (this.evaluating.get(server) === done) this.evaluating.delete(server);
    });
  }

  /** Checks a catalog again now (a blocked call after an approval), and lists what it lets through. */
  private async recheckIntegrity(server: string, catalog: Catalog): Promise<void> {
    this.checkIntegrity(server, catalog);
    await this.evaluating.get(server);
  }

  /** Why a call to this live tool definition is refused by the integrity gate, if it is. */
  private integrityRefusal(server: string, tool: Tool): IntegrityBlock | undefined {
    const verdict = this.verdicts.get(server);
    if (!verdict) return { ruleId: 'integrity.failed', reason: `the tools of ${server} have not been checked yet` };
    const blocked = verdict.blocked.get(tool.name);
    if (blocked) return blocked;
    const accepted = verdict.accepted.get(tool.name);
    if (accepted === undefined)
      return { ruleId: 'integrity.unapproved', reason: `${server} tool ${tool.name} is new and not checked yet` };
    if (accepted !== hashOf(tool))
      return {
        ruleId: 'integrity.changed',
        reason: `${server} tool ${tool.name} changed since it was checked; its calls are blocked until it is reviewed`,
      };
    return undefined;
  }

  private async warmPipelines(server: string, names: string[], catalog: Catalog): Promise<void> {
    let pipelines: CallPipeline[];
    try {
      pipelines = await Promise.all(names.map((n) => this.pipelineFor(n)));
    } catch (error) {
      this.log.error({ server, err: String(error) }, 'could not build the pipeline; calls to this server will fail');
      return;
    }
    for (const stage of pipelines.flatMap((p) => [...p.request, ...p.response])) {
      try {
        stage.warm?.(catalog.tools);
      } catch (error) {
        this.log.warn({ server, stage: stage.name, err: String(error) }, 'stage could not prepare tools');
      }
    }
  }

  private rebuildRoutes(): Routes {
    const views = [...this.upstreams.values()].flatMap((u) => {
      // The catalog the integrity gate last passed: a newer one waits for its own verdict.
      const catalog = this.verdicts.get(u.name)?.catalog;
      return catalog ? [{ server: u.name, catalog, allowsTool: this.filters.get(u.name)! }] : [];
    });
    const routes = buildRoutes(views, this.opts.loaded.config.naming.maxLength);
    for (const note of routes.collisions) this.log.error(note);
    // Tools the gate blocked stay routable (a call gets the integrity rule, not "unknown tool") but are not listed.
    const hidden = new Set<string>();
    for (const [exposed, entry] of routes.tools)
      if (this.verdicts.get(entry.server)?.blocked.has(entry.name)) hidden.add(exposed);
    if (hidden.size > 0) routes.toolList = routes.toolList.filter((t) => !hidden.has(t.name));
    return routes;
  }

  private fingerprint(kind: ListKind): string {
    const r = this.routes;
    const value = kind === 'tools' ? r.toolList : kind === 'prompts' ? r.promptList : [r.resourceList, r.templateList];
    return crypto.createHash('sha256').update(JSON.stringify(value)).digest('base64');
  }

  private notifyChanges(): void {
    const methods: Record<ListKind, ServerNotification['method']> = {
      tools: 'notifications/tools/list_changed',
      prompts: 'notifications/prompts/list_changed',
      resources: 'notifications/resources/list_changed',
    };
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      const last = this.sent.get(kind);
      if (last === undefined || last === this.fingerprint(kind)) continue;
      this.sent.delete(kind);
      this.log.info({ list: kind }, 'list changed; notifying the client');
      this.server.notification({ method: methods[kind] }).catch(() => undefined);
    }
  }

  /** Waits (bounded) until every upstream has a catalog, live or cached, or has failed once. */
  private async waitForLists(): Promise<void> {
    const pending = [
      ...[...this.upstreams.values()]
        .filter((u) => !u.catalog && !this.cached.has(u.name))
        .map((u) => this.settled.get(u.name)!),
      ...this.evaluating.values(),
    ];
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.opts.loaded.config.upstreams.listWaitMs);
    });
    await Promise.race([Promise.all(pending), bound]);
    clearTimeout(timer);
  }

  private async list<T>(kind: ListKind, pick: (r: Routes) => T): Promise<T> {
    await this.waitForLists();
    this.sent.set(kind, this.fingerprint(kind));
    return pick(this.routes);
  }

  private registerHandlers(): void {
    const s = this.server;
    s.setRequestHandler(ListToolsRequestSchema, () => this.list('tools', (r) => ({ tools: r.toolList })));
    s.setRequestHandler(ListPromptsRequestSchema, () => this.list('prompts', (r) => ({ prompts: r.promptList })));
    s.setRequestHandler(ListResourcesRequestSchema, () =>
      this.list('resources', (r) => ({ resources: r.resourceList })),
    );
    s.setRequestHandler(ListResourceTemplatesRequestSchema, () =>
      this.list('resources', (r) => ({ resourceTemplates: r.templateList })),
    );

    s.setRequestHandler(GetPromptRequestSchema, (req, extra) =>
      this.track(async () => {
        const route = await this.routePrompt(req.params.name);
        const upstream = this.upstreams.get(route.server)!;
        const timeout = upstream.server.config.timeoutMs;
        const params = { name: route.name, ...(req.params.arguments ? { arguments: req.params.arguments } : {}) };
        return upstream.request({ method: 'prompts/get', params }, GetPromptResultSchema, {
          signal: extra.signal,
          timeout,
        });
      }),
    );

    s.setRequestHandler(ReadResourceRequestSchema, (req, extra) =>
      this.track(async () => {
        await this.waitForLists();
        const upstream = this.upstreams.get(this.routes.resolveResource(req.params.uri))!;
        return upstream.request(
          { method: 'resources/read', params: { uri: req.params.uri } },
          ReadResourceResultSchema,
          { signal: extra.signal, timeout: upstream.server.config.timeoutMs },
        );
      }),
    );

    s.setRequestHandler(CompleteRequestSchema, (req, extra) =>
      this.track(async () => {
        const ref = req.params.ref;
        let server: string;
        let params = req.params;
        if (ref.type === 'ref/prompt') {
          const route = await this.routePrompt(ref.name);
          server = route.server;
          params = { ...req.params, ref: { ...ref, name: route.name } };
        } else {
          await this.waitForLists();
          server = this.routes.resolveResource(ref.uri);
        }
        const upstream = this.upstreams.get(server)!;
        const timeout = upstream.server.config.timeoutMs;
        await upstream.ready(timeout, extra.signal);
        if (!upstream.capabilities?.completions) return { completion: { values: [] } };
        return upstream.request({ method: 'completion/complete', params }, CompleteResultSchema, {
          signal: extra.signal,
          timeout,
        });
      }),
    );
  }

  /** An upstream that went away is `crashed`; when it is ready again it is `restarted` (audit events). */
  private auditUpstream(server: string, state: string): void {
    const upstream = this.upstreams.get(server);
    if (state === 'backoff' && !this.down.has(server)) {
      this.down.add(server);
      this.audit.upstream({ event: 'crashed', server, restarts: upstream?.restarts ?? 0 });
    } else if (state === 'ready' && this.down.delete(server))
      this.audit.upstream({ event: 'restarted', server, restarts: upstream?.restarts ?? 0 });
  }

  /**
   * One tools/call, audited: every outcome (allowed, blocked, errored, upstream error) leaves one record. With
   * audit.required, a call that cannot be audited is blocked (rule audit.unavailable) rather than run unaudited.
   */
  private async callTool(req: ToolCallRequest): Promise<CallToolResult> {
    const refused = this.audit.refusal();
    if (refused) {
      this.log.error({ tool: req.name, ruleId: refused.ruleId }, refused.reason);
      return blockedResult({
        phase: 'request',
        verdict: { ...refused, stage: { name: 'audit', slot: 'parameter-check' } },
      });
    }
    const audit = this.audit.beginCall({
      exposed: req.name,
      arguments: req.arguments,
      sessionId: this.session.id,
      principal: LOCAL_PRINCIPAL,
    });
    return audit.settle(this.runToolCall(req, audit), (deny) =>
      blockedResult({ phase: 'response', verdict: { ...deny, stage: { name: 'audit', slot: 'output-guardrail' } } }),
    );
  }

  /** One tools/call: route, wait for the upstream, run the pipeline around the upstream call. */
  private async runToolCall(req: ToolCallRequest, audit: CallAudit): Promise<CallToolResult> {
    const exposed = req.name;
    const route = await this.routeTool(exposed);
    audit.routed(route.server, route.name);
    const upstream = this.upstreams.get(route.server)!;
    const timeout = upstream.server.config.timeoutMs;
    await upstream.ready(timeout, req.signal);
    // Check against the live definition, never a cached one: that is what the upstream will run.
    const tool = upstream.catalog?.tools.find((t) => t.name === route.name);
    if (!tool || !this.filters.get(route.server)!(tool.name))
      throw new GatewayError('UNKNOWN_TOOL', `Unknown tool: ${exposed}`);
    let refusal = this.integrityRefusal(route.server, tool);
    if (refusal && REVIEWABLE.has(refusal.ruleId)) {
      // Someone may have approved it since (`tools approve` writes the lockfile): check the live list again.
      await this.recheckIntegrity(route.server, upstream.catalog!);
      refusal = this.integrityRefusal(route.server, tool);
    }
    if (refusal) {
      this.log.warn({ server: route.server, tool: tool.name, ruleId: refusal.ruleId }, 'call blocked');
      audit.blocked({ phase: 'request', ruleId: refusal.ruleId, reason: refusal.reason });
      return blockedResult({
        phase: 'request',
        verdict: { action: 'deny', ...refusal, stage: { name: 'integrity', slot: 'parameter-check' } },
      });
    }
    const callId = audit.callId;
    // The per-call child logger is made only when something logs: creating one costs more than the rest of the
    // pipeline on an allowed call.
    let callLog: Logger | undefined;
    const base = this.log;
    const ctx = {
      callId,
      server: route.server,
      identity: 'local',
      principal: LOCAL_PRINCIPAL,
      session: this.session,
      serverPolicy: this.serverPolicies.get(route.server)!,
      tool,
      arguments: req.arguments,
      signal: req.signal,
      ...this.approver(req, { callId, server: route.server, tool: tool.name }),
      get log() {
        return (callLog ??= base.child({ callId, server: route.server, tool: tool.name }));
      },
    };
    const call = { exposedName: exposed, server: route.server, tool: tool.name, arguments: req.arguments };
    // Progress goes out with the client's own token. The last notification is awaited before the result is
    // returned, so the client never sees a progress notification after the answer it belongs to.
    let lastProgress: Promise<void> | undefined;
    const onprogress =
      req.progressToken === undefined ? undefined : (p: Progress) => void (lastProgress = req.sendProgress(p));

    const outcome = await callTool(await this.pipelineForTool(route.server, tool.name), call, ctx, (c, cx, trail) =>
      audit.upstream(trail, () =>
        upstream.callTool(
          { name: c.tool, arguments: c.arguments },
          {
            signal: cx.signal,
            timeout,
            maxTotalTimeout: upstream.server.config.maxTotalMs ?? 10 * timeout,
            ...(onprogress ? { onprogress } : {}),
          },
        ),
      ),
    );
    if (lastProgress) {
      // Clients built on the SDK drop a progress notification that they read in the same chunk as its response
      // (see upstream/progress-order.ts); a turn of the event loop between the two avoids that.
      await lastProgress;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const shadow = outcome.trail.filter((t) => t.action === 'deny' && !t.enforced);
    if (shadow.length) ctx.log.warn({ shadow }, 'shadow rules would have blocked this call');
    if (outcome.kind === 'blocked') {
      ctx.log.warn(
        { phase: outcome.phase, ruleId: outcome.verdict.ruleId, reason: outcome.verdict.reason },
        'call blocked',
      );
      audit.blocked({ ...outcome.verdict, phase: outcome.phase, trail: outcome.trail });
      return blockedResult(outcome);
    }
    audit.allowed(outcome.trail);
    if (base.isLevelEnabled('debug')) ctx.log.debug({ trail: outcome.trail }, 'call allowed');
    return outcome.result;
  }

  /**
   * `approve` for a call's context: asks the user through MCP elicitation (form mode), as a request related to
   * the pending tools/call (so a transport that routes by request sends it on that call's stream), cancelled with
   * the call. Only where the client declared form elicitation at initialize; without it a stage that needs
   * approval denies with guidance. Declining or dismissing the form is a deny.
   */
  private approver(
    req: ToolCallRequest,
    call: { callId: string; server: string; tool: string },
  ): Pick<CallContext, 'approve'> {
    if (!this.server.getClientCapabilities()?.elicitation?.form) return {};
    return {
      approve: async ({ message }) => {
        this.audit.approval({ event: 'asked', ...call });
        const result = await this.server.elicitInput(
          { mode: 'form', message, requestedSchema: APPROVAL_SCHEMA },
          { signal: req.signal, timeout: RELAY_TIMEOUT_MS, relatedRequestId: req.requestId },
        );
        const answer = (result.action === 'accept' && APPROVAL_ANSWERS.get(result.content?.decision)) || 'deny';
        this.audit.approval({ event: 'answered', ...call, answer });
        return answer;
      },
    };
  }

  private pipelineFor(policyName: string): Promise<CallPipeline> {
    let pipeline = this.pipelines.get(policyName);
    if (!pipeline) {
      const policy = this.opts.loaded.policies[policyName];
      pipeline = policy
        ? assemblePipeline(policy, this.providers, {
            store: this.state,
            name: policyName,
            ...(this.judges ? { judges: this.judges } : {}),
          })
        : Promise.reject(new GatewayError('INTERNAL', `no policy named "${policyName}"`));
      this.pipelines.set(policyName, pipeline);
    }
    return pipeline;
  }

  private pipelineForTool(server: string, tool: string): Promise<CallPipeline> {
    const route = this.policyRoutes.get(server)!;
    const override = route.overrides.find(([matches]) => matches(tool));
    return this.pipelineFor(override ? override[1] : route.name);
  }

  private routeTool(exposed: string) {
    return this.route(
      (r) => r.tools.get(exposed),
      () => new GatewayError('UNKNOWN_TOOL', `Unknown tool: ${exposed}`),
    );
  }

  private routePrompt(exposed: string) {
    return this.route(
      (r) => r.prompts.get(exposed),
      () => new GatewayError('UNKNOWN_PROMPT', `Unknown prompt: ${exposed}`),
    );
  }

  /** Looks a name up; a miss waits (bounded) for upstreams that have not listed yet, then looks again. */
  private async route<T>(lookup: (routes: Routes) => T | undefined, unknown: () => GatewayError): Promise<T> {
    let found = lookup(this.routes);
    if (found === undefined) {
      await this.waitForLists();
      found = lookup(this.routes);
    }
    if (found === undefined) throw unknown();
    return found;
  }

  /** Runs a request handler, counts it as in flight for the drain, and maps local errors to the wire. */
  private track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing)
      return Promise.reject(toWireError(new GatewayError('SHUTTING_DOWN', 'the gateway is shutting down')));
    const p = work().catch((error: unknown) => {
      throw toWireError(error);
    });
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /**
   * Stops serving: no new requests, in-flight ones get up to `shutdown.drainTimeoutMs` to finish and be answered,
   * then every upstream is closed (its process group killed) and the transport closed. Idempotent.
   */
  shutdown(reason: string): Promise<void> {
    this.closing ??= (async () => {
      const drainMs = this.opts.loaded.config.shutdown.drainTimeoutMs;
      this.log.info({ reason, inflight: this.inflight.size }, 'shutting down');
      this.unwatchState();
      if (this.inflight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...this.inflight]),
          new Promise((resolve) => (timer = setTimeout(resolve, drainMs))),
        ]);
        clearTimeout(timer);
      }
      await Promise.allSettled([...this.upstreams.values()].map((u) => u.close()));
      await closeHttpPool();
      await this.judges?.close();
      this.server.onclose = undefined;
      await this.server.close().catch(() => undefined);
      this.log.info('stopped');
      this.markClosed();
    })();
    return this.closing;
  }
}
