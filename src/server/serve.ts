/**
 * `secure-mcp-gateway serve` (issue 6): the gateway over Streamable HTTP, for teams. node:http (or node:https with
 * --tls-cert/--tls-key) and the SDK's StreamableHTTPServerTransport, one per MCP session. Every request passes, in
 * order: Host and Origin (DNS rebinding), the bearer gateway key (on EVERY request: POST, GET, DELETE; tools/list
 * included; the server's own environment is never an identity), the session's binding to that key, the body
 * limit. A session is a gateway.ts session with the key's principal and access, drawing on its project's upstream
 * pool (and a per-user pool for servers marked `perUser`); pools are never shared across projects. Limits: max
 * sessions, max body, idle timeout. `GET /healthz` (alive) and `GET /readyz` (config loaded, pools serving). The
 * config file is watched; a change is loaded atomically (new sessions get it, existing ones get their new access
 * or are closed if their membership is gone), and a bad edit keeps the old config running and logs why.
 * Sessions are shared fairly (issue 15, class 13): besides the global cap, each gateway key and each project has a
 * quota. A new session over a quota first evicts an idle session (least recently used, idle for at least
 * `evictIdleAfterMs`) of the same key, then of the key holding the most sessions in that scope if it holds more
 * than the requester; only then is it refused, with 429 (a key or project quota) or 503 (the global cap), naming
 * the quota. Every eviction is logged and audited. An evicted session's next request gets 404, as the Streamable
 * HTTP spec says for an unknown session, and its client starts a new one.
 * Each request gets exactly one answer (class 12): a JSON-RPC batch is refused before the SDK transport splits it
 * (400, one -32600 per request in it, by id; MCP 2025-06-18 removed batching), and a request whose id is still
 * open on the session is answered -32600 with that id without reaching the SDK transport, whose per-id stream
 * mapping would otherwise send the first request's answer down the second's stream.
 * SSO (issue 18): with `serve.sso`, a bearer that is not a gateway key ("smg_…") is verified as the identity
 * provider's JWT (identity/sso.ts), on every request like a key. A JWT names no project, so the endpoint path may:
 * `<serve.path>/<project>` (a key there must be of that project). An SSO session has no key: its binding and the
 * per-key quota use its user ("sso:<email>"), and a reload maps its token's claims again. RFC 9728 protected
 * resource metadata is served at /.well-known/oauth-protected-resource[<endpoint path>], behind the Host and Origin
 * checks, and every 401 names it in `WWW-Authenticate` so that MCP clients can find the IdP.
 * A user signs in for themselves (issue 18): a sign-in message for a per-user OAuth server carries a one-time link
 * to `/oauth/start/<id>`, and `/oauth/callback` stores their tokens (oauth/serve-signin.ts); both routes are behind
 * the Host and Origin checks, and need no bearer (the link is the capability).
 * Failure mode: closed; a request that fails a check gets a 4xx/5xx with a JSON-RPC error body that says why.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { describeUnavailable, loadConfig, type LoadedConfig, type ResolvedServer } from '../config/load.js';
import { messageOf } from '../errors.js';
import { computeAccess, identitiesConfigured } from '../identity/access.js';
import {
  authenticate,
  configReloadedEvent,
  keyRefusedEvent,
  keyUsedEvent,
  reauthorize,
  ssoAcceptedEvent,
  ssoRefusedEvent,
} from '../identity/authenticate.js';
import { IDENTITY_NAME_PATTERN } from '../identity/config-schema.js';
import type { KeyStore } from '../identity/keys.js';
import { mapClaims, SsoVerifier, type SsoClaims } from '../identity/sso.js';
import type { Logger } from '../log.js';
import type { Principal } from '../pipeline/types.js';
import type { StateStore } from '../state/store.js';
import type { AuditSink } from '../audit/sink.js';
import { closeHttpPool } from '../upstream/connect.js';
import { onTokenExchange, subjectTokens } from '../oauth/token-exchange.js';
import { setSignInLinkMinter } from '../oauth/provider.js';
import { CALLBACK_PATH, ServeSignIn, START_PREFIX, type Page } from '../oauth/serve-signin.js';
import { openTokenStore } from '../oauth/store.js';
import { resolvePaths } from '../config/paths.js';
import type { DiscoveryCache } from '../upstream/discovery-cache.js';
import { BATCH_REFUSED, readableId, refuseBatch } from '../util/jsonrpc.js';
import { Gateway, IDENTITY_REFUSED } from './gateway.js';
import { BodyTooLarge, bearerKey, hostRefusal, originRefusal, readBody, type OriginPolicy } from './http-guard.js';
import { createPoolResources, UpstreamPool, type IntegrityPaths, type PoolResources } from './pool.js';
import type { ServeConfig } from './serve-schema.js';
import { refusal } from '../llm/wire-errors.js';
import { isLlmPath, llmCredential, LlmProxy, sendRefusal, wireFormatOf, type LlmLimiterLike } from '../llm/proxy.js';
import { llmStartupLines } from '../llm/unavailable.js';

export interface ServeOptions {
  configFile: string;
  loaded: LoadedConfig;
  log: Logger;
  cache: DiscoveryCache;
  keys: KeyStore;
  state: StateStore;
  integrity?: IntegrityPaths;
  /** The audit log every session of every generation records to (audit/setup.ts). */
  audit?: AuditSink;
  /** Command-line overrides of the config's `serve` section. */
  overrides?: Partial<Pick<ServeConfig, 'host' | 'port'>>;
  tls?: { cert: string; key: string };
  /** Watch the config file and reload it on change (default true). */
  watch?: boolean;
  /** Debounce of config file events, ms (default 200). */
  reloadDebounceMs?: number;
  /** `llm`: only the AI proxy's routes (`secure-mcp-gateway proxy`); the MCP endpoint answers 404. */
  only?: 'llm';
  /** The AI proxy's rate limits and budgets for a config (llm/limits.ts); none when absent. */
  llmLimiter?: (loaded: LoadedConfig) => LlmLimiterLike | undefined;
}

/** Extra GET routes (e.g. /metrics), mounted beside /healthz and /readyz. */
export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** One config as loaded: its pools (made on first use) and the sessions that use them. */
interface Generation {
  loaded: LoadedConfig;
  /** Everything but the identity model: two generations with the same one can share pools. */
  fingerprint: string;
  resources: PoolResources;
  pools: Map<string, UpstreamPool>;
  /** serve.sso's token verifier (kept across reloads while serve.sso is unchanged, with its cached keys). */
  sso: SsoVerifier | undefined;
  /** The AI proxy of this config, made at its first request. */
  llm?: LlmProxy;
}

interface SessionEntry {
  transport: StreamableHTTPServerTransport;
  gateway: Gateway;
  principal: Principal;
  /** Who holds the session, for its binding and the per-key quota: the key id, or "sso:<email>" for an SSO user. */
  holder: string;
  /** SSO sessions: the verified token's claims, to map the user again when the config is reloaded. */
  claims?: SsoClaims;
  /** The pools this session draws on (they may belong to an older config than the current one). */
  pools: UpstreamPool[];
  lastSeen: number;
  /** POSTs in flight: a session that is working is not idle. */
  busy: number;
  /** Ids of the requests whose POST is still answering ("s:abc", "n:7"): a second one with the same id is refused. */
  openIds: Set<string>;
}

/** One of the session quotas, checked in this order for a new session. */
interface Quota {
  name: 'serve.maxSessionsPerKey' | 'serve.maxSessionsPerProject' | 'serve.maxSessions';
  limit: number;
  status: 429 | 503;
  /** Which sessions count against it. */
  covers: (holder: string, project: string) => boolean;
  what: string;
}

type Refusal = { status: number; message: string; headers?: Record<string, string> };

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** Who holds a session: its gateway key, or for SSO (no key) the user, so quotas count per user. */
function holderOf(principal: Principal): string {
  return principal.keyId ?? `sso:${principal.user}`;
}

/**
 * A reason as an RFC 6750 error_description: printable ASCII without '"' and '\\' (%x20-21 / %x23-5B / %x5D-7E).
 * Anything else (an ellipsis, a non-ASCII email) would also make node:http refuse the header outright.
 */
function headerSafe(reason: string): string {
  return reason
    .replace(/…/g, '...')
    .replace(/["\\]/g, "'")
    .replace(/[^\x20-\x7e]/g, '?');
}

/** A principal in a log line: its key id, or for SSO its user and subject. */
function who(principal: Principal): Record<string, string> {
  return principal.keyId !== undefined
    ? { keyId: principal.keyId }
    : { user: principal.user, ...(principal.subject !== undefined ? { subject: principal.subject } : {}) };
}

/** Routes that answer without the Host check: load balancers probe them by IP address. */
const HEALTH_ROUTES = new Set(['/healthz', '/readyz']);

export class ServeGateway {
  readonly routes = new Map<string, RouteHandler>();
  private current: Generation;
  private readonly sessions = new Map<string, SessionEntry>();
  /** Sessions whose `initialize` is being handled: they count against every quota. */
  private readonly opening = new Set<{ holder: string; project: string }>();
  private server: http.Server | undefined;
  private watcher: fs.FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly stopExchangeEvents: () => void;
  private readonly signIn: ServeSignIn;

  constructor(private readonly opts: ServeOptions) {
    this.log = opts.log;
    this.current = this.generation(opts.loaded);
    this.signIn = new ServeSignIn({
      openStore: () => openTokenStore({ home: resolvePaths({}, process.env).home, env: process.env }),
      server: (name) => this.current.loaded.servers.find((s) => s.name === name),
      onSignedIn: (server, user) => this.signedIn(server, user),
    });
    // Only a server whose tokens are a person's gets a link: a shared or client_credentials one has no one to ask.
    setSignInLinkMinter((server, user) => {
      const s = this.current.loaded.servers.find((x) => x.name === server);
      return s !== undefined && userOAuth(s) ? this.signIn.mint(server, user) : undefined;
    });
    this.routes.set('/healthz', (_req, res) => json(res, 200, { status: 'ok' }));
    this.routes.set('/readyz', (_req, res) => this.readyz(res));
    // RFC 8693 exchanges (oauth.tokenExchange): server, user and outcome, never a token.
    this.stopExchangeEvents = onTokenExchange((e) => {
      const fields = { server: e.server, user: e.user, outcome: e.ok ? 'ok' : 'refused' };
      if (e.ok) this.log.info({ event: 'oauth.token-exchange', ...fields }, `token exchange for ${e.server}`);
      else
        this.log.warn(
          { event: 'oauth.token-exchange', ...fields, reason: e.reason },
          `token exchange for ${e.server} failed: ${e.reason ?? ''}`,
        );
      const audit = this.opts.audit;
      audit?.quiet(
        audit.emit({ kind: 'oauth', event: 'token-exchange', ...fields, ...(e.reason ? { reason: e.reason } : {}) }),
      );
    });
  }

  get settings(): ServeConfig {
    return { ...this.current.loaded.config.serve, ...this.opts.overrides };
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private generation(loaded: LoadedConfig): Generation {
    const sso = loaded.config.serve.sso;
    const previous = (this.current as Generation | undefined)?.sso;
    return {
      sso:
        sso === undefined
          ? undefined
          : previous !== undefined && JSON.stringify(previous.config) === JSON.stringify(sso)
            ? previous
            : new SsoVerifier(sso),
      fingerprint: upstreamFingerprint(loaded),
      loaded,
      // OAuth tokens are per user here (issue 18): see poolServers.
      resources: {
        ...createPoolResources({
          loaded,
          log: this.opts.log,
          cache: this.opts.cache,
          state: this.opts.state,
          integrity: this.opts.integrity,
          audit: this.opts.audit,
        }),
        oauthPerUser: true,
      },
      pools: new Map(),
    };
  }

  async listen(): Promise<string> {
    const { host, port } = this.settings;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        this.log.error({ err: messageOf(error) }, 'serve: request failed');
        if (!res.headersSent) rpcError(res, 500, -32603, 'internal error');
        else res.end();
      });
    };
    this.server = this.opts.tls
      ? https.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, handler)
      : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const url = `${this.opts.tls ? 'https' : 'http'}://${shown}:${addr.port}${this.opts.only === 'llm' ? '/v1' : this.settings.path}`;
    if ((host === '0.0.0.0' || host === '::') && this.settings.allowedHosts.length === 0)
      this.log.warn(
        { host },
        'serve: bound to every interface, but serve.allowedHosts is empty: only requests for loopback names are served',
      );
    if (!identitiesConfigured(this.current.loaded.config))
      this.log.warn('serve: no users are configured, so every request is refused; add users and gateway keys');
    const idle = this.settings.idleTimeoutMs;
    // Often enough to close a revoked key's sessions within seconds, and an idle one within a quarter of its timeout.
    this.sweeper = setInterval(() => this.sweep(), Math.min(5_000, Math.max(50, Math.floor(idle / 4))));
    this.sweeper.unref();
    if (this.opts.watch !== false) this.watch();
    // A server left out of the config (an unresolvable reference) costs that server only (issue 17): say which.
    const unavailable = this.current.loaded.unavailable;
    for (const u of unavailable)
      this.log.error({ server: u.name, paths: u.problems.map((p) => p.path) }, describeUnavailable(u));
    // The same for an AI provider: it costs its deployments (issue 20).
    for (const line of llmStartupLines(this.current.loaded)) this.log[line.level](line.fields, line.msg);
    this.log.info(
      {
        url,
        tls: this.opts.tls !== undefined,
        ...(unavailable.length > 0 ? { unavailable: unavailable.map((u) => u.name) } : {}),
      },
      unavailable.length > 0
        ? `serve: listening; unavailable: ${unavailable.map((u) => u.name).join(', ')}`
        : 'serve: listening',
    );
    return url;
  }

  private originPolicy(): OriginPolicy {
    const s = this.settings;
    // The name the server was bound to is a name it is meant to be reached by (unless it is a wildcard).
    const bound = s.host === '0.0.0.0' || s.host === '::' ? [] : [s.host];
    return { allowedHosts: [...s.allowedHosts, ...bound], allowedOrigins: s.allowedOrigins };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = req.method === 'GET' ? this.routes.get(url.pathname) : undefined;
    // Health probes come from load balancers by IP and reveal nothing: they skip the Host check. Other routes
    // (/metrics names servers, tools and rules) are Host- and Origin-checked like MCP, so a web page cannot read them
    // through DNS rebinding.
    if (route && HEALTH_ROUTES.has(url.pathname)) return route(req, res);
    const policy = this.originPolicy();
    const refusedHost = hostRefusal(req.headers.host, policy) ?? originRefusal(req.headers.origin, policy);
    if (refusedHost !== undefined) {
      this.log.warn({ event: 'http.refused', host: req.headers.host, origin: req.headers.origin }, refusedHost);
      return rpcError(res, 403, -32000, refusedHost);
    }
    if (route) return route(req, res);
    if (req.method === 'GET' && url.pathname.startsWith(START_PREFIX))
      return sendPage(res, await this.signIn.start(url.pathname.slice(START_PREFIX.length), this.publicBase(req)));
    if (req.method === 'GET' && url.pathname === CALLBACK_PATH)
      return sendPage(res, await this.signIn.callback(url.searchParams));
    // RFC 9728 §3: the metadata of the resource at <path> is at /.well-known/oauth-protected-resource<path>; the
    // bare form serves the default endpoint. Behind the Host and Origin checks above, like every other route.
    if (req.method === 'GET' && (url.pathname === WELL_KNOWN || url.pathname.startsWith(`${WELL_KNOWN}/`))) {
      const sso = this.current.sso;
      const endpoint = url.pathname === WELL_KNOWN ? {} : this.endpoint(url.pathname.slice(WELL_KNOWN.length));
      if (sso === undefined || endpoint === undefined)
        return rpcError(res, 404, -32000, `no protected resource metadata at ${url.pathname}`);
      return json(res, 200, this.resourceMetadata(req, endpoint, sso));
    }
    if (isLlmPath(url.pathname)) return this.handleLlm(req, res, url.pathname);
    if (this.opts.only === 'llm')
      return rpcError(
        res,
        404,
        -32000,
        `no route at ${url.pathname}: \`secure-mcp-gateway proxy\` serves only the AI proxy (/v1/chat/completions, /v1/messages, /v1/embeddings, /v1/models); run \`serve\` for MCP`,
      );
    const endpoint = this.endpoint(url.pathname);
    if (endpoint === undefined) return rpcError(res, 404, -32000, `no MCP endpoint at ${url.pathname}`);
    if (this.closing) return rpcError(res, 503, -32000, 'the gateway is shutting down');

    const auth = await this.authenticate(req, endpoint);
    if ('status' in auth) return rpcError(res, auth.status, IDENTITY_REFUSED, auth.message, auth.headers);
    const principal = auth.principal;
    this.signIn.seen(principal.user, this.publicBase(req));

    let body: unknown;
    if (req.method === 'POST') {
      try {
        const raw = await readBody(req, this.settings.maxBodyBytes);
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        if (error instanceof BodyTooLarge) return rpcError(res, 413, -32600, error.message);
        return rpcError(res, 400, -32700, `parse error: ${messageOf(error)}`);
      }
      if (Array.isArray(body)) return this.refuseBatch(res, body, principal);
    }

    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const entry = this.sessions.get(sid);
      if (!entry) return rpcError(res, 404, -32001, 'session not found; start a new one with initialize');
      if (entry.holder !== holderOf(principal) || entry.principal.project !== principal.project) {
        this.log.warn({ event: 'session.key-mismatch', ...who(principal), session: sid }, 'session refused');
        const owner = entry.principal.keyId !== undefined ? 'gateway key' : 'user';
        return rpcError(res, 403, -32000, `this session belongs to another ${owner}`);
      }
      return this.forward(entry, req, res, body);
    }
    if (req.method !== 'POST' || !isInitialize(body))
      return rpcError(res, 400, -32000, 'no Mcp-Session-Id header: the first request of a session must be initialize');
    const refused = this.admit(principal);
    if (refused !== undefined) return rpcError(res, refused.status, -32000, refused.message, refused.headers);
    return this.open(principal, req, res, body, auth.claims);
  }

  /**
   * An AI proxy request (llm/proxy.ts): the same credentials as MCP (a gateway key, or an SSO token), presented as a
   * bearer or as `x-api-key` (the Anthropic SDKs), and every refusal in the caller's wire format.
   */
  private async handleLlm(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    const format = wireFormatOf(pathname, req.headers);
    if (this.closing) return sendRefusal(res, format, refusal('unavailable', 'the gateway is shutting down'));
    const auth = await this.authenticate(req, {}, llmCredential(req.headers));
    if ('status' in auth) {
      const kind = auth.status === 401 ? 'auth' : auth.status === 403 ? 'denied' : 'unavailable';
      return sendRefusal(res, format, refusal(kind, auth.message, { status: auth.status }), auth.headers);
    }
    const gen = this.current;
    gen.llm ??= new LlmProxy({
      loaded: gen.loaded,
      log: this.log,
      detectors: gen.resources.providers,
      judges: gen.resources.judges,
      limiter: this.opts.llmLimiter?.(gen.loaded),
      maxBodyBytes: this.settings.maxBodyBytes,
      ...(this.opts.audit ? { audit: this.opts.audit } : {}),
    });
    return gen.llm.handle(req, res, auth.principal);
  }

  /**
   * The MCP endpoint a path names: serve.path itself, or `<serve.path>/<project>`, which picks the project of an
   * SSO session (a JWT names no project) and must match a gateway key's own. Undefined for any other path.
   */
  private endpoint(pathname: string): { project?: string } | undefined {
    const base = this.settings.path;
    if (pathname === base) return {};
    const prefix = base.endsWith('/') ? base : `${base}/`;
    if (!pathname.startsWith(prefix)) return undefined;
    const project = pathname.slice(prefix.length);
    return IDENTITY_NAME_PATTERN.test(project) ? { project } : undefined;
  }

  /** The endpoint's URL as clients reach it: serve.sso.publicUrl, else the request's (checked) Host and serve.path. */
  private resourceUrl(req: http.IncomingMessage, endpoint: { project?: string }, sso: SsoVerifier): string {
    const base =
      sso.config.publicUrl ??
      `${this.opts.tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${this.settings.path}`;
    return endpoint.project === undefined ? base : `${base.replace(/\/$/, '')}/${endpoint.project}`;
  }

  private resourceMetadataUrl(req: http.IncomingMessage, endpoint: { project?: string }, sso: SsoVerifier): string {
    const resource = new URL(this.resourceUrl(req, endpoint, sso));
    return `${resource.origin}${WELL_KNOWN}${resource.pathname === '/' ? '' : resource.pathname}`;
  }

  /** Where clients reach this gateway (scheme://host[:port]): serve.sso.publicUrl's origin, else the checked Host. */
  private publicBase(req: http.IncomingMessage): string {
    const url = this.current.sso?.config.publicUrl;
    return url !== undefined
      ? new URL(url).origin
      : `${this.opts.tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  }

  /** A user signed in through their link: say so (never a token), and have their pools connect to it at once. */
  private signedIn(server: string, user: string): void {
    this.log.info({ event: 'oauth.signed-in', server, user }, `${user} signed in to ${server}`);
    const audit = this.opts.audit;
    audit?.quiet(audit.emit({ kind: 'oauth', event: 'signed-in', server, user }));
    for (const [key, pool] of this.current.pools)
      if (key.endsWith(`/${user}`) && pool.has(server)) pool.upstream(server).retrySignIn();
  }

  /** RFC 9728 protected resource metadata: which IdP issues the tokens this endpoint accepts. */
  private resourceMetadata(req: http.IncomingMessage, endpoint: { project?: string }, sso: SsoVerifier): object {
    return {
      resource: this.resourceUrl(req, endpoint, sso),
      authorization_servers: [sso.issuer],
      bearer_methods_supported: ['header'],
      ...(sso.config.requiredScopes.length > 0 ? { scopes_supported: sso.config.requiredScopes } : {}),
      resource_name: 'secure-mcp-gateway',
    };
  }

  /**
   * A batch gets one answer per request in it (400: MCP 2025-06-18 has no batches, and the Streamable HTTP spec
   * answers input it cannot accept with an HTTP error), as a JSON-RPC batch response, so a client can tell which of
   * its requests failed. None of it reaches a session.
   */
  private refuseBatch(res: http.ServerResponse, batch: unknown[], principal: Principal): void {
    const r = refuseBatch(batch);
    this.log.warn(
      {
        event: 'protocol.refused',
        reason: 'batch',
        ...who(principal),
        elements: batch.length,
        answered: r.answers.length,
        droppedNotifications: r.notifications,
        droppedResponses: r.responses,
      },
      'JSON-RPC batch refused',
    );
    if (r.answers.length === 0 || batch.length === 0) return rpcError(res, 400, -32600, BATCH_REFUSED);
    json(res, 400, r.answers);
  }

  /** The session quotas a new session of `principal` must fit, in the order they are checked. */
  private quotas(principal: Principal): Quota[] {
    const s = this.settings;
    const key = holderOf(principal);
    const project = principal.project;
    return [
      {
        name: 'serve.maxSessionsPerKey',
        limit: s.maxSessionsPerKey,
        status: 429,
        covers: (k) => k === key,
        what: principal.keyId === undefined ? `user ${principal.user}` : 'this gateway key',
      },
      {
        name: 'serve.maxSessionsPerProject',
        limit: s.maxSessionsPerProject,
        status: 429,
        covers: (_k, p) => p === project,
        what: `project ${project}`,
      },
      { name: 'serve.maxSessions', limit: s.maxSessions, status: 503, covers: () => true, what: 'this gateway' },
    ];
  }

  /** Sessions (open and opening) per key within a quota's scope. */
  private holders(quota: Quota): Map<string, number> {
    const counts = new Map<string, number>();
    const all = [
      ...[...this.sessions.values()].map((e) => ({ holder: e.holder, project: e.principal.project })),
      ...this.opening,
    ];
    for (const h of all) if (quota.covers(h.holder, h.project)) counts.set(h.holder, (counts.get(h.holder) ?? 0) + 1);
    return counts;
  }

  /**
   * Room for one more session of `principal` under every quota, evicting idle sessions where one is full; or the
   * refusal that names the quota still full.
   */
  private admit(principal: Principal): Refusal | undefined {
    for (const quota of this.quotas(principal)) {
      for (;;) {
        const held = [...this.holders(quota).values()].reduce((a, b) => a + b, 0);
        if (held < quota.limit) break;
        if (this.evictFor(principal, quota)) continue;
        const idleS = Math.ceil(this.settings.evictIdleAfterMs / 1000);
        this.log.warn(
          {
            event: 'session.refused',
            quota: quota.name,
            limit: quota.limit,
            ...who(principal),
            project: principal.project,
          },
          'new session refused: quota full and no idle session to evict',
        );
        return {
          status: quota.status,
          message: `too many sessions for ${quota.what} (${quota.name} = ${quota.limit}), none of them idle for ${idleS} s; close one or try again later`,
          headers: { 'Retry-After': String(idleS) },
        };
      }
    }
    return undefined;
  }

  /**
   * Evicts one idle session to make room under `quota` for a new session of `principal`: its own key's least
   * recently used idle session first; else one of the key holding the most sessions in the quota's scope, if that
   * key holds more than the requester (so one key can never push out a key smaller than itself). Idle: no request
   * in flight and none for `evictIdleAfterMs`. False when there is none to evict.
   */
  private evictFor(principal: Principal, quota: Quota): boolean {
    const now = Date.now();
    const minIdle = this.settings.evictIdleAfterMs;
    const idle = [...this.sessions].filter(
      ([, e]) => quota.covers(e.holder, e.principal.project) && e.busy === 0 && now - e.lastSeen >= minIdle,
    );
    const requester = holderOf(principal);
    let victims = idle.filter(([, e]) => e.holder === requester);
    if (victims.length === 0) {
      // The keys holding the most sessions in scope, among those with an idle one; ties share the LRU choice.
      const counts = this.holders(quota);
      const mine = counts.get(requester) ?? 0;
      const most = Math.max(0, ...idle.map(([, e]) => counts.get(e.holder) ?? 0));
      victims = most > mine ? idle.filter(([, e]) => counts.get(e.holder) === most) : [];
    }
    const victim = victims.reduce<[string, SessionEntry] | undefined>(
      (lru, v) => (lru === undefined || v[1].lastSeen < lru[1].lastSeen ? v : lru),
      undefined,
    );
    if (victim === undefined) return false;
    const [id, entry] = victim;
    const fields = {
      session: id,
      ...(entry.principal.keyId !== undefined ? { keyId: entry.principal.keyId } : {}),
      user: entry.principal.user,
      project: entry.principal.project,
      quota: quota.name,
      idleMs: now - entry.lastSeen,
      ...(principal.keyId !== undefined ? { forKeyId: principal.keyId } : { forUser: principal.user }),
    };
    this.log.warn({ event: 'session.evicted', ...fields }, `evicting an idle session to make room (${quota.name})`);
    this.opts.audit?.quiet(this.opts.audit.emit({ kind: 'session', event: 'evicted', ...fields }));
    // Gone from the count now; its transport closes behind it, and its next request gets 404.
    this.sessions.delete(id);
    void entry.transport.close();
    this.closeUnusedPools();
    return true;
  }

  /**
   * The caller of one request: a bearer that looks like a gateway key ("smg_…") is checked as one; with serve.sso,
   * any other bearer is verified as the IdP's JWT (identity/sso.ts). Every refusal carries its WWW-Authenticate
   * challenge (RFC 6750 §3), and with serve.sso the resource_metadata that lets a client find the IdP (RFC 9728 §5.1).
   */
  private async authenticate(
    req: http.IncomingMessage,
    endpoint: { project?: string },
    credential?: string,
  ): Promise<{ principal: Principal; claims?: SsoClaims } | Refusal> {
    const presented = credential ?? bearerKey(req.headers.authorization);
    const remote = req.socket.remoteAddress;
    const sso = this.current.sso;
    const metadata = sso === undefined ? undefined : this.resourceMetadataUrl(req, endpoint, sso);
    const challenge = (reason: string, error: string | undefined, status = 401, extra = ''): Refusal => {
      const params = [
        'realm="secure-mcp-gateway"',
        ...(error === undefined ? [] : [`error="${error}"`, `error_description="${headerSafe(reason)}"`]),
        ...(extra ? [extra] : []),
        ...(metadata === undefined ? [] : [`resource_metadata="${metadata}"`]),
      ];
      return {
        status,
        message: `${status === 503 ? 'unavailable' : status === 403 ? 'forbidden' : 'unauthorized'}: ${reason}`,
        headers: {
          'WWW-Authenticate': `Bearer ${params.join(', ')}`,
          ...(status === 503 ? { 'Retry-After': '5' } : {}),
        },
      };
    };
    if (presented === undefined) {
      const wanted =
        sso === undefined
          ? '"Authorization: Bearer smg_<id>_<secret>"'
          : `"Authorization: Bearer <gateway key or access token of ${sso.issuer}>"`;
      const reason =
        req.headers.authorization === undefined
          ? `no ${sso === undefined ? 'gateway key' : 'credentials'}: send ${wanted}`
          : `the Authorization header is not ${sso === undefined ? '"Bearer <gateway key>"' : '"Bearer <token>"'}`;
      keyRefusedEvent(this.log, { reason }, 'http', remote, this.opts.audit);
      // RFC 6750 §3.1: a request with no credentials gets a challenge without an error code.
      return challenge(
        reason,
        sso === undefined || req.headers.authorization !== undefined ? 'invalid_request' : undefined,
      );
    }
    const config = this.current.loaded.config;
    if (sso !== undefined && !presented.startsWith('smg_')) {
      const v = await sso.verify(presented);
      const m = v.ok ? mapClaims(config, v.claims, endpoint.project) : v;
      if (!m.ok) {
        ssoRefusedEvent(this.log, m, remote, this.opts.audit);
        const scope = m.error === 'insufficient_scope' ? `scope="${sso.config.requiredScopes.join(' ')}"` : '';
        return challenge(m.reason, m.error, m.status, scope);
      }
      const claims = (v as { claims: SsoClaims & { exp?: number } }).claims;
      // The newest IdP token of this user, in memory only: the subject token of RFC 8693 exchanges (issue 18).
      subjectTokens.present(m.principal.user, presented, claims.exp);
      return { principal: m.principal, claims };
    }
    if (!identitiesConfigured(config)) {
      const reason = 'no users are configured on this gateway';
      keyRefusedEvent(this.log, { reason }, 'http', remote, this.opts.audit);
      return challenge(reason, 'invalid_token');
    }
    const r = authenticate(config, this.opts.keys, presented);
    if (!r.ok) {
      keyRefusedEvent(this.log, r, 'http', remote, this.opts.audit);
      return challenge(r.reason, 'invalid_token');
    }
    if (endpoint.project !== undefined && endpoint.project !== r.principal.project) {
      const reason = `gateway key ${r.principal.keyId} is for project ${r.principal.project}, not ${endpoint.project}`;
      keyRefusedEvent(this.log, { keyId: r.principal.keyId!, reason }, 'http', remote, this.opts.audit);
      return challenge(reason, 'invalid_token', 403);
    }
    if (this.opts.keys.touch(r.principal.keyId!)) keyUsedEvent(this.log, r.principal, 'http', this.opts.audit);
    return { principal: r.principal };
  }

  private async forward(
    entry: SessionEntry,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: unknown,
  ): Promise<void> {
    entry.lastSeen = Date.now();
    const post = req.method === 'POST';
    const id = post ? requestIdOf(body) : undefined;
    if (id !== undefined) {
      const key = typeof id === 'string' ? `s:${id}` : `n:${id}`;
      if (entry.openIds.has(key)) {
        this.log.warn({ event: 'protocol.duplicate-id', id, ...who(entry.principal) }, 'duplicate request id');
        // A request is answered with a JSON-RPC message (Streamable HTTP), here its error, by its own id.
        return json(res, 200, {
          jsonrpc: '2.0',
          id,
          error: {
            code: -32600,
            message: `Invalid Request: id ${JSON.stringify(id)} is already in use by a request in flight`,
          },
        });
      }
      entry.openIds.add(key);
      res.once('close', () => entry.openIds.delete(key));
    }
    if (post) entry.busy++;
    try {
      await entry.transport.handleRequest(req, res, body);
    } finally {
      if (post) entry.busy--;
      entry.lastSeen = Date.now();
    }
  }

  /**
   * The pools a principal's session draws on: its project's ("<project>"), plus its own for servers marked perUser
   * ("<project>/<user>").
   */
  private poolsFor(gen: Generation, principal: Principal): UpstreamPool[] {
    return [principal.project, `${principal.project}/${principal.user}`].flatMap((key) => {
      const names = this.poolServers(gen, key) ?? [];
      if (names.length === 0) return [];
      let pool = gen.pools.get(key);
      if (!pool) {
        pool = new UpstreamPool(
          key,
          gen.loaded.servers.filter((s) => names.includes(s.name)),
          gen.resources,
        );
        gen.pools.set(key, pool);
        this.livePools.add(pool);
      }
      return [pool];
    });
  }

  /**
   * The servers of the pool named `key` under a config, or undefined when its project is gone. A remote server that
   * signs in with OAuth for a person (an `oauth` block, authorization_code) is per user like a perUser server: each
   * user's connection carries that user's own token (issue 18).
   */
  private poolServers(gen: Generation, key: string): string[] | undefined {
    const slash = key.indexOf('/');
    const project = gen.loaded.config.projects[slash === -1 ? key : key.slice(0, slash)];
    if (!project) return undefined;
    const perUser = slash !== -1;
    return gen.loaded.servers
      .filter((s) => project.servers.includes(s.name) && (s.config.perUser || userOAuth(s)) === perUser)
      .map((s) => s.name);
  }

  private async open(
    principal: Principal,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: unknown,
    claims?: SsoClaims,
  ): Promise<void> {
    const gen = this.current;
    if (claims !== undefined) ssoAcceptedEvent(this.log, principal, this.opts.audit);
    const pools = this.poolsFor(gen, principal);
    const gateway = new Gateway({
      loaded: gen.loaded,
      log: this.log.child({ user: principal.user, project: principal.project }),
      cache: this.opts.cache,
      principal,
      access: computeAccess(gen.loaded.config, principal),
      pools,
    });
    let entry: SessionEntry | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        entry = {
          transport,
          gateway,
          principal,
          holder: holderOf(principal),
          ...(claims !== undefined ? { claims } : {}),
          pools,
          lastSeen: Date.now(),
          busy: 0,
          openIds: new Set(),
        };
        this.sessions.set(id, entry);
        this.log.info(
          { event: 'session.opened', session: id, keyId: principal.keyId, subject: principal.subject },
          'session opened',
        );
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id !== undefined && this.sessions.get(id) === entry && entry) {
        this.sessions.delete(id);
        this.log.info({ event: 'session.closed', session: id }, 'session closed');
        this.closeUnusedPools();
      }
      void gateway.shutdown('session closed');
    };
    const opening = { holder: holderOf(principal), project: principal.project };
    this.opening.add(opening);
    try {
      await gateway.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      this.opening.delete(opening);
    }
    if (transport.sessionId === undefined || !this.sessions.has(transport.sessionId))
      await gateway.shutdown('initialize failed');
  }

  /** Every pool ever made and not yet closed, of any config generation. */
  private readonly livePools = new Set<UpstreamPool>();

  /** Closes the pools that no open session uses and the current config no longer holds (an older config's). */
  private closeUnusedPools(): void {
    const used = new Set<UpstreamPool>([
      ...this.current.pools.values(),
      ...[...this.sessions.values()].flatMap((e) => e.pools),
    ]);
    for (const pool of this.livePools)
      if (!used.has(pool)) {
        this.livePools.delete(pool);
        void pool.close();
      }
  }

  /** Closes idle sessions, and sessions whose key was revoked, disabled or expired since they opened. */
  private sweep(): void {
    const limit = this.settings.idleTimeoutMs;
    const now = Date.now();
    for (const [id, entry] of this.sessions) {
      // An SSO session has no key: its token is checked on every request, and its user on every config reload.
      const refused = entry.principal.keyId === undefined ? undefined : this.opts.keys.refusal(entry.principal.keyId);
      if (refused !== undefined) {
        this.log.warn(
          { event: 'session.revoked', session: id, ...who(entry.principal) },
          `closing session: ${refused}`,
        );
        void entry.transport.close();
        continue;
      }
      if (entry.busy === 0 && now - entry.lastSeen > limit) {
        this.log.info({ event: 'session.idle', session: id, idleMs: now - entry.lastSeen }, 'closing an idle session');
        void entry.transport.close();
      }
    }
  }

  private readyz(res: http.ServerResponse): void {
    const pools = Object.fromEntries([...this.current.pools].map(([name, p]) => [name, p.upstreamStates]));
    // A started pool whose every upstream is backing off cannot serve.
    const failing = [...this.current.pools]
      .filter(([, p]) => p.isStarted)
      .filter(([, p]) => {
        const states = Object.values(p.upstreamStates);
        return states.length > 0 && states.every((s) => s === 'backoff' || s === 'closed');
      })
      .map(([name]) => name);
    const ready = !this.closing && failing.length === 0;
    json(res, ready ? 200 : 503, {
      status: ready ? 'ready' : 'unavailable',
      config: this.current.loaded.file,
      sessions: this.sessions.size,
      pools,
      ...(failing.length ? { failing } : {}),
    });
  }

  private watch(): void {
    const file = this.opts.configFile;
    // The directory, not the file: editors and `project create` replace the file by rename.
    const dir = path.dirname(file);
    const base = path.basename(file);
    this.watcher = fs.watch(dir, (_event, name) => {
      if (name !== null && name !== base) return;
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => this.reload(), this.opts.reloadDebounceMs ?? 200);
    });
    this.watcher.on('error', (error) => this.log.error({ err: messageOf(error) }, 'serve: cannot watch the config'));
  }

  /** Loads the config file again; on success swaps it in atomically, on failure keeps the old one. */
  reload(): boolean {
    const file = this.opts.configFile;
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(file);
    } catch (error) {
      configReloadedEvent(this.log, { ok: false, file, error: messageOf(error) }, this.opts.audit);
      return false;
    }
    const old = this.current;
    const next = this.generation(loaded);
    if (next.fingerprint === old.fingerprint) {
      // Only the identity model changed (a member added, a role edited): keep the upstream processes of every pool
      // whose servers are the same, rather than spawning them again for the next session.
      next.resources = old.resources;
      for (const [key, pool] of old.pools) {
        const wanted = this.poolServers(next, key);
        if (wanted !== undefined && sameList(wanted, pool.serverNames)) {
          next.pools.set(key, pool);
        }
      }
    }
    this.current = next;
    // Requests in flight finish on the old AI proxy; it closes its provider clients after them.
    void old.llm?.close();
    configReloadedEvent(this.log, { ok: true, file }, this.opts.audit);
    for (const [id, entry] of this.sessions) {
      const r =
        entry.claims !== undefined
          ? mapClaims(loaded.config, entry.claims, entry.principal.project)
          : reauthorize(loaded.config, entry.principal);
      if (!r.ok) {
        this.log.warn(
          { event: 'session.revoked', session: id, ...who(entry.principal) },
          `closing session: ${r.reason}`,
        );
        void entry.transport.close();
        continue;
      }
      entry.principal = r.principal;
      entry.gateway.setAccess(computeAccess(loaded.config, r.principal));
    }
    this.closeUnusedPools();
    return true;
  }

  /** Stops listening, closes every session and pool. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      clearTimeout(this.reloadTimer);
      this.watcher?.close();
      this.stopExchangeEvents();
      setSignInLinkMinter(undefined);
      subjectTokens.clear();
      const entries = [...this.sessions.values()];
      await Promise.allSettled(entries.map((e) => e.gateway.shutdown('serve stopping')));
      await Promise.allSettled(entries.map((e) => e.transport.close()));
      await Promise.allSettled([...this.livePools].map((p) => p.close()));
      this.livePools.clear();
      await this.current.llm?.close();
      await closeHttpPool();
      if (this.server) {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server!.close(() => resolve()));
      }
      this.log.info('serve: stopped');
    })();
    return this.closing;
  }
}

/** The parts of a loaded config that pools depend on: servers, policies, providers and every non-identity setting. */
function upstreamFingerprint(loaded: LoadedConfig): string {
  const { projects: _p, users: _u, memberships: _m, roles: _r, serve: _s, ...rest } = loaded.config;
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([rest, loaded.servers, loaded.policies, loaded.providers, loaded.lockfile ?? null]))
    .digest('hex');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

function isInitialize(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === 'initialize';
}

/** The id of a single request (not a notification or a response), when an answer can carry it. */
function requestIdOf(body: unknown): string | number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const m = body as { method?: unknown; id?: unknown };
  return typeof m.method === 'string' ? readableId(m.id) : undefined;
}

function sendPage(res: http.ServerResponse, page: Page): void {
  // The pages carry no secret, but the start link and the callback URL do: never cached, never sent on as Referer.
  const headers = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
  if (page.location !== undefined) res.writeHead(page.status, { ...headers, Location: page.location }).end();
  else res.writeHead(page.status, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(page.html ?? '');
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}

function rpcError(
  res: http.ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** A remote server whose OAuth tokens belong to a person (issue 18): it runs in each user's own pool. */
function userOAuth(server: ResolvedServer): boolean {
  return server.kind === 'remote' && typeof server.oauth === 'object' && server.oauth.grant === 'authorization_code';
}
