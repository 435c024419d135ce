/**
 * The gateway session: one client, and the only file that touches the SDK Server object. It knows who is calling
 * (a Principal, from a gateway key or the local user) and what that caller may use (identity/access.ts); its view
 * of the tools, prompts and resources is built from its upstream pools (pool.ts) and filtered by that access, so a
 * tool the caller cannot use is neither listed nor callable ("Unknown tool", -32602). It declares the gateway's
 * capabilities, starts its pools' upstreams when the client's `initialize` arrives, answers list requests from the
 * live catalogs (or the discovery cache while upstreams connect), runs tools/call through the pipeline (taken off
 * the transport before the SDK sees it: see tool-calls.ts and upstream/direct-call.ts), routes resource reads,
 * prompt gets and completions, relays sampling and elicitation only where the client declared them and the pools
 * are its own, relays log messages (masked) and the resource updates the client subscribed to, answers lists in
 * pages (pages.ts), re-sends list_changed, and owns shutdown: drain in-flight requests (bounded), close the pools it
 * owns, close the transport. A session whose identity was refused serves nothing: every request, `initialize`
 * first, gets a JSON-RPC error that says why.
 *
 * Servers that list no tools are never silent (issue 17): one left out of the config (an unresolvable reference),
 * one still starting and one that failed to start are named by a read-only status tool, listed only while there is
 * such a server (server-status.ts), and by log notifications from the gateway's own logger: once the session is
 * initialized for the config's, with the first tool list answered without it for one still starting, and when one
 * fails or becomes ready.
 */
import crypto from 'node:crypto';
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
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type LoggingLevel,
  type CallToolResult,
  type ClientCapabilities,
  type Tool,
  type JSONRPCMessage,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { describeUnavailable, type LoadedConfig } from '../config/load.js';
import { GatewayError } from '../errors.js';
import { fullAccess, type Access } from '../identity/access.js';
import { identityOf } from '../identity/authenticate.js';
import type { Logger } from '../log.js';
import { contentCallContext, createSession } from '../pipeline/session.js';
import {
  LOCAL_PRINCIPAL,
  type CallContext,
  type Principal,
  type SessionState,
  type ToolResult,
} from '../pipeline/types.js';
import {
  isUpstreamError,
  upstreamErrorAsResult,
  upstreamErrorFromResult,
  type CallPipeline,
} from '../pipeline/call-tool.js';
import type { RequestStage } from '../pipeline/types.js';
import { guarded } from '../pipeline/crossings.js';
import { runStages } from '../pipeline/run.js';
import { closeHttpPool } from '../upstream/connect.js';
import { releaseEarly } from '../upstream/early-spawn.js';
import type { DiscoveryCache } from '../upstream/discovery-cache.js';
import { VERSION } from '../version.js';
import {
  createPoolResources,
  defaultAuditSink,
  UpstreamPool,
  type IntegrityPaths,
  type PoolResources,
} from './pool.js';
import { SEPARATOR } from './names.js';
import { pageOf, type PagedList } from './pages.js';
import { RelayGuard, sharedRelay } from './relay-guard.js';
import { buildRoutes, type Routes } from './routes.js';
import { passThroughMeta } from './tool-calls.js';
import type { UpstreamNotification } from '../upstream/upstream.js';
import { createGatewayState } from './state.js';
import type { AuditSink } from '../audit/sink.js';
import type { StateStore } from '../state/store.js';
import { blockedError, toWireError, WireError } from './to-wire.js';
import { interceptToolCalls, type ToolCallRequest } from './tool-calls.js';
import {
  GATEWAY_LOGGER,
  STATUS_TOOL,
  statusLine,
  statusResult,
  statusTool,
  type ServerStatus,
} from './server-status.js';
import { APPROVAL_SCHEMA, approvalAnswer, handleToolCall, type CallSession } from './call-handler.js';
import { guardProtocol } from './protocol-guard.js';

export interface GatewayOptions {
  loaded: LoadedConfig;
  log: Logger;
  cache: DiscoveryCache;
  /** The pin lockfile, the manifests and cache folders; default: from SMG_HOME (config integrity.lockfile wins). */
  integrity?: IntegrityPaths;
  /** Who is calling; default the local user of a solo developer's machine. */
  principal?: Principal;
  /** What the caller may use; default everything the config enables (the local user). */
  access?: Access;
  /**
   * The pools this session draws from (`serve`: its project's, shared with other sessions of the project). When
   * absent the session makes and owns one pool of the servers it may use (stdio).
   */
  pools?: UpstreamPool[];
  /** The identity was refused (missing, bad, revoked or expired key): serve nothing, answer with this reason. */
  refusal?: string;
  /**
   * Checked before every list and tools/call: why the caller's identity no longer stands (its key was revoked or
   * expired since `initialize`), or undefined. stdio passes it; `serve` checks the key on every HTTP request.
   */
  recheck?: () => string | undefined;
  /** The audit log (audit/setup.ts); default: the pools' own (no log, nothing observed). */
  audit?: AuditSink;
  /** The process's state store (state/create.ts); its owner closes it. Default: made from the config's `state`. */
  state?: StateStore;
}

/** The JSON-RPC error code of a refused identity: an implementation-defined server error (-32000..-32099). */
export const IDENTITY_REFUSED = -32001;

/**
 * The resource URI rule (policy/resource-uri.ts): stateless, one for every session, loaded with the first resource
 * request (the path checks are not needed at start-up).
 */
let resourceUriStage: Promise<RequestStage> | undefined;
const loadResourceUriStage = () =>
  (resourceUriStage ??= import('../policy/resource-uri.js').then((m) => m.createResourceUriStage()));

/** How long a relayed sampling or elicitation request may wait for the client (a human may be answering). */
const RELAY_TIMEOUT_MS = 10 * 60_000;

type ListKind = 'tools' | 'prompts' | 'resources';

/** RFC 5424 severities in the order MCP's `logging/setLevel` uses: a message below the client's level is dropped. */
const LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Every string in a log message's `data` passed through `mask`; the shape is kept. */
function maskDeep(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [mask(k), maskDeep(v, mask)]));
  return value;
}

/** A completion's context arguments beside the typed value, under names that cannot clash with it. */
function prefixed(args: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [`context:${k}`, v]));
}

function unprefixed(args: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(args).flatMap(([k, v]) => (k.startsWith('context:') ? [[k.slice('context:'.length), v]] : [])),
  );
}

/** A request's params for the upstream: the client's `_meta` goes along, except the progress token. */
function withMeta<T extends object>(params: T, meta: unknown): T & { _meta?: Record<string, unknown> } {
  const pass = passThroughMeta(meta);
  return pass ? { ...params, _meta: pass } : params;
}

export class Gateway {
  readonly server: Server;
  private readonly pools: UpstreamPool[];
  /** Pools this session made itself (stdio) and so closes on shutdown; shared pools outlive the session. */
  private readonly ownedPools: UpstreamPool[] = [];
  private readonly poolOf = new Map<string, UpstreamPool>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  /** Fingerprint of each list as last sent to the client; list_changed is sent only when it differs. */
  private readonly sent = new Map<ListKind, string>();
  /** The client's `logging/setLevel`; until it sends one, every relayed log message goes out. */
  private logLevel: LoggingLevel | undefined;
  /** Each server's status as the client was last told it in a log notification (announce). */
  private readonly announced = new Map<string, ServerStatus['state'] | 'ready'>();
  /** The client has sent `notifications/initialized`: the gateway may send it log notifications. */
  private initialized = false;
  /** Resources this client subscribed to, and the server that owns each. */
  private readonly subscriptions = new Map<string, string>();
  private routes: Routes;
  private started = false;
  private closing: Promise<void> | undefined;
  private markClosed!: () => void;
  /** Resolves once shutdown has finished: owned upstreams closed, transport closed. */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  private readonly log: Logger;
  /** One client session: approvals "for this session" and the data-flow guard live here. */
  private readonly session: SessionState = createSession(crypto.randomUUID());
  readonly principal: Principal;
  private access: Access;
  private readonly identity: string;
  private refusedTransport: Transport | undefined;
  private readonly audit: AuditSink;
  /** The resources of the pool this session made itself (stdio): it closes them at shutdown. */
  private readonly ownedResources: PoolResources | undefined;
  /** What the tools/call handler (call-handler.ts) sees of this session. */
  private readonly calls: CallSession;
  /** Guards sampling, elicitation, log messages, completions and prompt arguments (relay-guard.ts). */
  private readonly relay: RelayGuard;

  constructor(private readonly opts: GatewayOptions) {
    const { loaded, log, cache } = opts;
    this.log = log;
    this.principal = opts.principal ?? LOCAL_PRINCIPAL;
    this.identity = identityOf(this.principal);
    this.access = opts.access ?? fullAccess(loaded.config);
    let audit = opts.audit;
    if (opts.pools) this.pools = opts.pools;
    else if (opts.refusal !== undefined) this.pools = [];
    else {
      const res: PoolResources = createPoolResources({
        loaded,
        log,
        cache,
        state: opts.state ?? createGatewayState(loaded, log),
        integrity: opts.integrity,
        audit: opts.audit,
      });
      this.ownedResources = res;
      audit = res.audit;
      // stdio: the reason a server is left out goes to gateway.log too (serve logs it once at start-up).
      for (const u of loaded.unavailable)
        if (this.access.servers.has(u.name))
          log.error({ server: u.name, paths: u.problems.map((p) => p.path) }, describeUnavailable(u));
      const own = new UpstreamPool(
        this.principal.project,
        loaded.servers.filter((s) => this.access.servers.has(s.name)),
        res,
      );
      this.pools = [own];
      this.ownedPools.push(own);
    }
    this.audit = audit ?? this.pools[0]?.audit ?? defaultAuditSink(log);
    this.relay = new RelayGuard({
      log,
      audit: this.audit,
      principal: this.principal,
      identity: this.identity,
      session: this.session,
      server: (name) => this.poolOf.get(name)?.upstream(name).server,
      pipeline: (server, what, content) => {
        const pool = this.poolOf.get(server);
        if (!pool) throw new GatewayError('UNKNOWN_TOOL', `Unknown server: ${server}`);
        return pool.pipelineForTool(server, what, this.access.policyFor(server), content);
      },
      serverPolicy: (server) => this.poolOf.get(server)!.serverPolicy(server),
      asker: () => this.asker(),
    });
    for (const pool of this.pools) {
      for (const name of pool.serverNames) if (this.access.servers.has(name)) this.poolOf.set(name, pool);
      this.unsubscribe.push(
        pool.onChange(() => {
          this.routes = this.rebuildRoutes();
          this.notifyChanges();
          this.announce(false);
        }),
        pool.onNotification((server, n) => this.relayNotification(pool, server, n)),
      );
    }
    this.routes = this.rebuildRoutes();

    this.server = new Server(
      { name: 'secure-mcp-gateway', title: 'secure-mcp-gateway', version: VERSION },
      {
        capabilities: {
          tools: { listChanged: true },
          prompts: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          completions: {},
          logging: {},
        },
        instructions:
          'Tools, prompts and resources of several MCP servers, each named <server>__<name>, behind a security gateway. ' +
          'A call the gateway blocks returns an error result that names the rule and the reason.',
      },
    );
    this.registerHandlers();
    this.server.oninitialized = () => {
      this.initialized = true;
      this.announce(false);
    };
    this.calls = {
      principal: this.principal,
      identity: this.identity,
      session: this.session,
      audit: this.audit,
      log,
      access: () => this.access,
      checkIdentity: () => this.checkIdentity(),
      routeTool: (exposed) => this.routeTool(exposed),
      poolOf: (server) => this.poolOf.get(server),
      elicitor: () =>
        this.server.getClientCapabilities()?.elicitation?.form
          ? (params, options) =>
              this.server.elicitInput({ mode: 'form', ...params }, { ...options, timeout: RELAY_TIMEOUT_MS })
          : undefined,
    };
  }

  /** The session id that approvals and the data-flow guard are kept under. */
  get sessionId(): string {
    return this.session.id;
  }

  /**
   * A config reload changed what this caller may use (a role or a project edited): rebuild the view and tell the
   * client. Servers outside the session's pools stay out until the client opens a new session.
   */
  setAccess(access: Access): void {
    this.access = access;
    this.poolOf.clear();
    for (const pool of this.pools)
      for (const name of pool.serverNames) if (access.servers.has(name)) this.poolOf.set(name, pool);
    this.routes = this.rebuildRoutes();
    this.notifyChanges();
  }

  /** Serves one client over `transport`. Upstreams start when its `initialize` request arrives. */
  async connect(transport: Transport & { oninputend?: () => void }): Promise<void> {
    if (this.opts.refusal !== undefined) return this.refuse(transport, this.opts.refusal);
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
    guardProtocol(transport, this.log); // outermost: one answer per request (protocol-guard.ts)
    // Only the gateway's own stdio transport reports the end of input; on it, drain before closing.
    transport.oninputend = () => void this.shutdown('stdin closed');
    this.server.onclose = () => void this.shutdown('client disconnected');
  }

  /**
   * Starts the upstreams of this session's pools. Sampling and elicitation from an upstream are relayed to this
   * client only when the pool is this session's own (stdio), and then as each server's policy says (relay-guard.ts):
   * a shared pool's upstream could otherwise reach another user's client, so its requests are refused.
   */
  startUpstreams(clientCapabilities: ClientCapabilities): void {
    if (this.started) return;
    this.started = true;
    const relay = this.relay.clientRelay(clientCapabilities, {
      sampling: (req, signal) =>
        this.server.request(req, CreateMessageResultSchema, { signal, timeout: RELAY_TIMEOUT_MS }),
      elicitation: (req, signal) => this.server.request(req, ElicitResultSchema, { signal, timeout: RELAY_TIMEOUT_MS }),
    });
    const shared = sharedRelay(this.audit, this.log);
    for (const pool of this.pools) pool.start(this.ownedPools.includes(pool) ? relay : shared);
    // The transports have adopted the children spawned early that match the config (they do so before any timer
    // fires); any other is not the config's and goes.
    setTimeout(releaseEarly, 1_000).unref();
  }

  /** A tools/call: the status tool while it is listed, else an upstream's tool (call-handler.ts). */
  private async callTool(call: ToolCallRequest): Promise<CallToolResult> {
    if (call.name === STATUS_TOOL) {
      this.checkIdentity();
      const statuses = this.statuses();
      if (statuses.length > 0) return statusResult(statuses);
    }
    return handleToolCall(this.calls, call);
  }

  /**
   * The servers this caller may use that list no tools, in a stable order: the config's unavailable ones first,
   * then those starting or failed.
   */
  private statuses(): ServerStatus[] {
    const out: ServerStatus[] = this.opts.loaded.unavailable
      .filter((u) => this.access.servers.has(u.name))
      .map((u) => ({ server: u.name, state: 'unavailable', config: u }));
    const names = [...this.poolOf.keys()].sort();
    for (const name of names) {
      const status = this.poolOf.get(name)?.status(name);
      if (status) out.push(status);
    }
    return out;
  }

  /** The tools as the client sees them: the upstreams', then the status tool while some server lists none. */
  private withStatus(tools: Tool[]): Tool[] {
    const status = statusTool(this.statuses());
    return status ? [...tools, status] : tools;
  }

  /**
   * Tells the client (log notifications from the gateway's own logger) about each server whose status changed
   * since it was last told: unavailable or failed (error), ready again (info), and, with `starting`, still starting
   * (warning: sent when a tool list is answered without it). Nothing before `notifications/initialized`.
   */
  private announce(starting: boolean): void {
    if (!this.initialized || this.closing) return;
    const statuses = this.statuses();
    for (const s of statuses) {
      if (this.announced.get(s.server) === s.state || (s.state === 'starting' && !starting)) continue;
      this.announced.set(s.server, s.state);
      if (s.state === 'starting')
        this.log.warn({ server: s.server }, 'a tool list was answered while this server is still starting');
      this.sendLog(s.state === 'starting' ? 'warning' : 'error', statusLine(s));
    }
    const now = new Set(statuses.map((s) => s.server));
    for (const [server, state] of this.announced)
      if (state !== 'ready' && !now.has(server)) {
        this.announced.set(server, 'ready');
        this.sendLog('info', `ready: ${server}: its tools are in the list now`);
      }
  }

  /** One log notification from the gateway itself, unless the client's `logging/setLevel` is above `level`. */
  private sendLog(level: LoggingLevel, text: string): void {
    if (this.logLevel !== undefined && LEVELS.indexOf(level) < LEVELS.indexOf(this.logLevel)) return;
    this.server
      .notification({ method: 'notifications/message', params: { level, logger: GATEWAY_LOGGER, data: text } })
      .catch(() => undefined);
  }

  get upstreamStates(): Record<string, string> {
    return Object.assign({}, ...this.pools.map((p) => p.upstreamStates)) as Record<string, string>;
  }

  /**
   * Answers every request with the refusal, `initialize` first, and never starts an upstream: with identities
   * configured, a client without a valid key gets nothing but the reason.
   */
  private async refuse(transport: Transport & { oninputend?: () => void }, reason: string): Promise<void> {
    this.refusedTransport = transport;
    transport.onmessage = (message: JSONRPCMessage) => {
      if (!('method' in message) || !('id' in message)) return;
      void transport
        .send({
          jsonrpc: '2.0',
          id: message.id,
          error: { code: IDENTITY_REFUSED, message: `secure-mcp-gateway refused this client: ${reason}` },
        })
        .catch(() => undefined);
    };
    transport.oninputend = () => void this.shutdown('stdin closed');
    transport.onclose = () => void this.shutdown('client disconnected');
    await transport.start();
  }

  private rebuildRoutes(): Routes {
    const hidden = new Set<string>();
    const blockedBy = new Map<string, ReadonlySet<string>>();
    const views = this.pools.flatMap((pool) =>
      pool.views().flatMap((v) => {
        if (this.poolOf.get(v.server) !== pool) return [];
        blockedBy.set(v.server, v.blocked);
        const access = this.access;
        return [{ ...v, allowsTool: (tool: string) => v.allowsTool(tool) && access.allowsTool(v.server, tool) }];
      }),
    );
    const routes = buildRoutes(views, this.opts.loaded.config.naming.maxLength);
    for (const note of routes.collisions) this.log.error(note);
    // Tools the gate blocked stay routable (a call gets the integrity rule, not "unknown tool") but are not listed.
    for (const [exposed, entry] of routes.tools) if (blockedBy.get(entry.server)?.has(entry.name)) hidden.add(exposed);
    if (hidden.size > 0) routes.toolList = routes.toolList.filter((t) => !hidden.has(t.name));
    return routes;
  }

  private fingerprint(kind: ListKind): string {
    const r = this.routes;
    const value =
      kind === 'tools'
        ? this.withStatus(r.toolList)
        : kind === 'prompts'
          ? r.promptList
          : [r.resourceList, r.templateList];
    return crypto.createHash('sha256').update(JSON.stringify(value)).digest('base64');
  }

  /**
   * An upstream's log message or resource update, for this client. Log messages are relayed only from pools this
   * session owns (stdio): a shared pool's upstream serves other users too, and its log may speak of their calls.
   * Their text passes the output guardrails of the server's policy (relay-guard.ts: a blocked message is withheld)
   * and the secret masker (configured secret values, then the secrets and PII detectors) before it leaves, and
   * `logger` names the server. A resource update goes only to a client that subscribed to that URI.
   */
  private relayNotification(pool: UpstreamPool, server: string, n: UpstreamNotification): void {
    if (this.poolOf.get(server) !== pool || this.closing) return;
    if (n.method === 'notifications/resources/updated') {
      if (this.subscriptions.get(n.params.uri) !== server) return;
      this.server.notification({ method: n.method, params: n.params }).catch(() => undefined);
      return;
    }
    if (!this.ownedPools.includes(pool)) return;
    const level = n.params.level;
    if (this.logLevel !== undefined && LEVELS.indexOf(level) < LEVELS.indexOf(this.logLevel)) return;
    const mask = (text: string) => pool.mask(text);
    void this.relay.log(server, n.params, (params) => {
      const logger = params.logger === undefined ? server : `${server}${SEPARATOR}${mask(params.logger)}`;
      if (this.closing) return Promise.resolve();
      return this.server
        .notification({ method: n.method, params: { level, logger, data: maskDeep(params.data, mask) } })
        .catch(() => undefined);
    });
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

  /** Waits (bounded) until every upstream of this session has a catalog, live or cached, or has failed once. */
  private async waitForLists(): Promise<void> {
    const servers = new Set(this.poolOf.keys());
    const pending = this.pools.flatMap((p) => p.pending(servers));
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.opts.loaded.config.upstreams.listWaitMs);
    });
    await Promise.race([Promise.all(pending), bound]);
    clearTimeout(timer);
  }

  /** The upstream of a server this session may use. */
  private upstreamOf(server: string) {
    const pool = this.poolOf.get(server);
    if (!pool) throw new GatewayError('UNKNOWN_TOOL', `Unknown server: ${server}`);
    return pool.upstream(server);
  }

  /**
   * An upstream's JSON-RPC error to a read (a prompt, a resource) is the upstream's text on its way to the model: its
   * message and data pass the same response stages as the content would (guardContent), and the error is thrown again
   * as they left it (a block names the rule; a redaction rewrites it). Errors the gateway wrote pass as they are.
   */
  private async rethrowGuarded(
    server: string,
    what: string,
    args: Record<string, unknown>,
    error: unknown,
    signal: AbortSignal,
  ): Promise<never> {
    if (!isUpstreamError(error)) throw error;
    const content = await this.guardContent(server, what, args, upstreamErrorAsResult(error).content, signal);
    throw upstreamErrorFromResult(error, { content });
  }

  /**
   * Runs the response stages of the server's policy (size, output guardrails, output judges) over content that is
   * not a tool result: a resource read, a prompt's messages. The parts come back in the same order, redacted where a
   * detector redacts; a block throws a JSON-RPC error (BLOCKED_BY_POLICY) that names the rule.
   */
  private async guardContent(
    server: string,
    what: string,
    args: Record<string, unknown>,
    content: ToolResult['content'],
    signal: AbortSignal,
  ): Promise<ToolResult['content']> {
    const kind = what.startsWith('prompts/get') ? 'prompt' : 'results';
    const { pipeline, ctx } = await this.contentContext(server, what, args, signal, kind);
    const out = await runStages(pipeline.response, { content }, ctx);
    if (out.denied) {
      this.log.warn({ server, what, ruleId: out.denied.ruleId }, 'read blocked');
      throw blockedError({ phase: 'response', verdict: out.denied });
    }
    return out.value.content;
  }

  /**
   * The request side of `resources/read` and `resources/subscribe`: the URI must pass the resource rule (a `file:`
   * URI stays inside the server's roots and never names a credential file: policy/resource-uri.ts) and the input
   * guardrails of the server's policy (a URI can carry a secret out), before the upstream sees it.
   */
  private async guardResourceRequest(server: string, method: string, uri: string, signal: AbortSignal): Promise<void> {
    const { pipeline, ctx } = await this.contentContext(server, method, { uri }, signal, 'results');
    const stages = [await loadResourceUriStage(), ...pipeline.request.filter((st) => st.slot === 'input-guardrail')];
    const call = { exposedName: method, server, tool: method, arguments: { uri } };
    const out = await runStages(stages, call, ctx);
    if (out.denied) {
      this.log.warn({ server, what: method, ruleId: out.denied.ruleId }, 'resource request blocked');
      throw blockedError({ phase: 'request', verdict: out.denied });
    }
  }

  /** The policy pipeline and a fresh context for guarding something that is not a tool call. */
  private async contentContext(
    server: string,
    what: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    kind: 'results' | 'prompt',
  ): Promise<{ pipeline: CallPipeline; ctx: CallContext }> {
    this.checkIdentity();
    const pool = this.poolOf.get(server);
    if (!pool) throw new GatewayError('UNKNOWN_TOOL', `Unknown server: ${server}`);
    const pipeline = await pool.pipelineForTool(server, what, this.access.policyFor(server), kind);
    const ctx = contentCallContext({
      server,
      what,
      args,
      signal,
      identity: this.identity,
      principal: this.principal,
      session: this.session,
      serverPolicy: pool.serverPolicy(server),
      log: this.log,
    });
    return { pipeline, ctx };
  }

  /** Throws the refusal when the caller's identity no longer stands. */
  private checkIdentity(): void {
    const reason = this.opts.recheck?.();
    if (reason !== undefined)
      throw new WireError(IDENTITY_REFUSED, `secure-mcp-gateway refused this client: ${reason}`);
  }

  /** One page of a list; the fingerprint of the whole list is what list_changed is later compared with. */
  private async list<T>(kind: ListKind, paged: PagedList, pick: (r: Routes) => readonly T[], cursor?: string) {
    this.checkIdentity();
    await this.waitForLists();
    this.sent.set(kind, this.fingerprint(kind));
    const page = pageOf(paged, pick(this.routes), cursor, this.opts.loaded.config.upstreams.listPageSize);
    // A first tool list without a server that is still starting says so (issue 17, item 4).
    if (kind === 'tools') this.announce(true);
    return page;
  }

  /** The upstream a client-named resource URI belongs to, and the pool it is in. */
  private async resourceOwner(uri: string): Promise<{ server: string; pool: UpstreamPool }> {
    await this.waitForLists();
    const server = this.routes.resolveResource(uri);
    const pool = this.poolOf.get(server);
    if (!pool) throw new GatewayError('UNKNOWN_RESOURCE', `Resource not found: ${uri}`);
    return { server, pool };
  }

  private registerHandlers(): void {
    const s = this.server;
    const cursorOf = (req: { params?: { cursor?: string | undefined } | undefined }) => req.params?.cursor;
    const next = (cursor: string | undefined) => (cursor === undefined ? {} : { nextCursor: cursor });
    s.setRequestHandler(guarded('client', 'request', ListToolsRequestSchema), (req) =>
      this.track(async () => {
        const page = await this.list('tools', 'tools', (r) => this.withStatus(r.toolList), cursorOf(req));
        return { tools: page.items, ...next(page.nextCursor) };
      }),
    );
    s.setRequestHandler(guarded('client', 'request', ListPromptsRequestSchema), (req) =>
      this.track(async () => {
        const page = await this.list('prompts', 'prompts', (r) => r.promptList, cursorOf(req));
        return { prompts: page.items, ...next(page.nextCursor) };
      }),
    );
    s.setRequestHandler(guarded('client', 'request', ListResourcesRequestSchema), (req) =>
      this.track(async () => {
        const page = await this.list('resources', 'resources', (r) => r.resourceList, cursorOf(req));
        return { resources: page.items, ...next(page.nextCursor) };
      }),
    );
    s.setRequestHandler(guarded('client', 'request', ListResourceTemplatesRequestSchema), (req) =>
      this.track(async () => {
        const page = await this.list('resources', 'templates', (r) => r.templateList, cursorOf(req));
        return { resourceTemplates: page.items, ...next(page.nextCursor) };
      }),
    );

    // The level applies to every upstream of this session that declares logging, now and when one (re)connects;
    // relayed messages below it are dropped here too, for upstreams that ignore it.
    s.setRequestHandler(guarded('client', 'request', SetLevelRequestSchema), (req) =>
      this.track(async () => {
        this.checkIdentity();
        const level = req.params.level;
        this.logLevel = level;
        const servers = [...this.poolOf].filter(([, pool]) => this.ownedPools.includes(pool));
        const results = await Promise.allSettled(
          servers.map(([name, pool]) => {
            const upstream = pool.upstream(name);
            return upstream.setLogLevel(level, upstream.server.config.timeoutMs);
          }),
        );
        results.forEach((r, i) => {
          if (r.status === 'rejected')
            this.log.warn({ server: servers[i]![0], err: String(r.reason) }, 'could not set the log level');
        });
        return {};
      }),
    );

    s.setRequestHandler(guarded('client', 'request', SubscribeRequestSchema), (req, extra) =>
      this.track(async () => {
        this.checkIdentity();
        const uri = req.params.uri;
        const { server, pool } = await this.resourceOwner(uri);
        if (this.subscriptions.get(uri) === server) return {};
        await this.guardResourceRequest(server, 'resources/subscribe', uri, extra.signal);
        // Held before the upstream answers, so that a second subscribe of this session is not counted twice.
        this.subscriptions.set(uri, server);
        const timeout = pool.upstream(server).server.config.timeoutMs;
        try {
          await pool.subscribe(server, uri, timeout, extra.signal);
        } catch (error) {
          if (this.subscriptions.get(uri) === server) this.subscriptions.delete(uri);
          throw error;
        }
        return {};
      }),
    );
    s.setRequestHandler(guarded('client', 'request', UnsubscribeRequestSchema), (req) =>
      this.track(async () => {
        const uri = req.params.uri;
        const server = this.subscriptions.get(uri);
        if (server === undefined) return {};
        this.subscriptions.delete(uri);
        const pool = this.poolOf.get(server);
        await pool?.unsubscribe(server, uri, pool.upstream(server).server.config.timeoutMs);
        return {};
      }),
    );

    s.setRequestHandler(guarded('client', 'request', GetPromptRequestSchema), (req, extra) =>
      this.track(async () => {
        const route = await this.routePrompt(req.params.name);
        const upstream = this.upstreamOf(route.server);
        const timeout = upstream.server.config.timeoutMs;
        // The client's arguments are input like a tool call's: the input guardrails run before the upstream sees them.
        const args = req.params.arguments
          ? await this.relay.promptArguments(route.server, route.name, req.params.arguments, extra.signal)
          : undefined;
        const params = withMeta({ name: route.name, ...(args ? { arguments: args } : {}) }, req.params._meta);
        const promptArgs = { ...(req.params.arguments ?? {}) };
        const result = await upstream
          .request({ method: 'prompts/get', params }, GetPromptResultSchema, { signal: extra.signal, timeout })
          .catch((error: unknown) =>
            this.rethrowGuarded(route.server, `prompts/get ${route.name}`, promptArgs, error, extra.signal),
          );
        // The messages of a prompt go into the conversation as they are: they pass the output guardrails first.
        const content = await this.guardContent(
          route.server,
          `prompts/get ${route.name}`,
          promptArgs,
          result.messages.map((m) => m.content),
          extra.signal,
        );
        return {
          ...result,
          messages: result.messages.map((m, i) => ({ ...m, content: content[i] as typeof m.content })),
        };
      }),
    );

    s.setRequestHandler(guarded('client', 'request', ReadResourceRequestSchema), (req, extra) =>
      this.track(async () => {
        await this.waitForLists();
        const server = this.routes.resolveResource(req.params.uri);
        const upstream = this.upstreamOf(server);
        await this.guardResourceRequest(server, 'resources/read', req.params.uri, extra.signal);
        const result = await upstream
          .request(
            { method: 'resources/read', params: withMeta({ uri: req.params.uri }, req.params._meta) },
            ReadResourceResultSchema,
            { signal: extra.signal, timeout: upstream.server.config.timeoutMs },
          )
          .catch((error: unknown) =>
            this.rethrowGuarded(server, 'resources/read', { uri: req.params.uri }, error, extra.signal),
          );
        // A resource's text reaches the model like a tool result: the same output guardrails apply.
        const content = await this.guardContent(
          server,
          'resources/read',
          { uri: req.params.uri },
          result.contents.map((resource) => ({ type: 'resource', resource })),
          extra.signal,
        );
        return {
          ...result,
          contents: content.map((c, i) => (c.type === 'resource' ? c.resource : result.contents[i]!)),
        };
      }),
    );

    s.setRequestHandler(guarded('client', 'request', CompleteRequestSchema), (req, extra) =>
      this.track(async () => {
        const { _meta, ...rest } = req.params;
        const ref = rest.ref;
        let server: string;
        let params = withMeta(rest, _meta);
        if (ref.type === 'ref/prompt') {
          const route = await this.routePrompt(ref.name);
          server = route.server;
          params = { ...params, ref: { ...ref, name: route.name } };
        } else {
          await this.waitForLists();
          server = this.routes.resolveResource(ref.uri);
        }
        const upstream = this.upstreamOf(server);
        const timeout = upstream.server.config.timeoutMs;
        await upstream.ready(timeout, extra.signal);
        if (!upstream.capabilities?.completions) return { completion: { values: [] } };
        // What the user typed so far (and the prompt's other arguments) goes to the upstream: input guardrails first.
        const typed = { value: rest.argument.value, ...prefixed(rest.context?.arguments ?? {}) };
        const guarded = await this.relay.promptArguments(server, 'completion/complete', typed, extra.signal);
        params = {
          ...params,
          argument: { ...rest.argument, value: guarded.value ?? '' },
          ...(rest.context ? { context: { ...rest.context, arguments: unprefixed(guarded) } } : {}),
        };
        const result = await upstream.request({ method: 'completion/complete', params }, CompleteResultSchema, {
          signal: extra.signal,
          timeout,
        });
        // Completion values are upstream text the client shows and may insert: a blocked value is left out.
        return { ...result, completion: await this.relay.completion(server, result.completion, extra.signal) };
      }),
    );
  }

  /**
   * The gateway's own approval form for a relayed request (relay-guard.ts `approve`), outside any call; undefined
   * when the client did not declare form elicitation.
   */
  private asker(): ((message: string, signal: AbortSignal) => Promise<ReturnType<typeof approvalAnswer>>) | undefined {
    if (!this.server.getClientCapabilities()?.elicitation?.form) return undefined;
    return async (message, signal) => {
      const result = await this.server.elicitInput(
        { mode: 'form', message, requestedSchema: APPROVAL_SCHEMA },
        { signal, timeout: RELAY_TIMEOUT_MS },
      );
      return approvalAnswer(result);
    };
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
      if (this.inflight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...this.inflight]),
          new Promise((resolve) => (timer = setTimeout(resolve, drainMs))),
        ]);
        clearTimeout(timer);
      }
      for (const off of this.unsubscribe) off();
      // Shared pools outlive this session: give back its subscriptions so the upstream stops sending them.
      await Promise.allSettled(
        [...this.subscriptions].flatMap(([uri, server]) => {
          const pool = this.poolOf.get(server);
          if (!pool || this.ownedPools.includes(pool)) return [];
          return [pool.unsubscribe(server, uri, pool.upstream(server).server.config.timeoutMs)];
        }),
      );
      this.subscriptions.clear();
      await Promise.allSettled(this.ownedPools.map((p) => p.close()));
      if (this.ownedPools.length > 0) await closeHttpPool();
      await this.ownedResources?.close();
      this.server.onclose = undefined;
      await this.server.close().catch(() => undefined);
      await this.refusedTransport?.close().catch(() => undefined);
      this.log.info('stopped');
      this.markClosed();
    })();
    return this.closing;
  }
}
