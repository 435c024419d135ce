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
 * Failure mode: closed; a request that fails a check gets a 4xx/5xx with a JSON-RPC error body that says why.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { messageOf } from '../errors.js';
import { computeAccess, identitiesConfigured } from '../identity/access.js';
import {
  authenticate,
  configReloadedEvent,
  keyRefusedEvent,
  keyUsedEvent,
  reauthorize,
} from '../identity/authenticate.js';
import type { KeyStore } from '../identity/keys.js';
import type { Logger } from '../log.js';
import type { Principal } from '../pipeline/types.js';
import type { StateStore } from '../state/store.js';
import type { AuditSink } from '../audit/sink.js';
import { closeHttpPool } from '../upstream/connect.js';
import type { DiscoveryCache } from '../upstream/discovery-cache.js';
import { Gateway, IDENTITY_REFUSED } from './gateway.js';
import { BodyTooLarge, bearerKey, hostRefusal, originRefusal, readBody, type OriginPolicy } from './http-guard.js';
import { createPoolResources, UpstreamPool, type IntegrityPaths, type PoolResources } from './pool.js';
import type { ServeConfig } from './serve-schema.js';

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
}

interface SessionEntry {
  transport: StreamableHTTPServerTransport;
  gateway: Gateway;
  principal: Principal;
  keyId: string;
  /** The pools this session draws on (they may belong to an older config than the current one). */
  pools: UpstreamPool[];
  lastSeen: number;
  /** POSTs in flight: a session that is working is not idle. */
  busy: number;
}

type Refusal = { status: number; message: string; headers?: Record<string, string> };

/** Routes that answer without the Host check: load balancers probe them by IP address. */
const HEALTH_ROUTES = new Set(['/healthz', '/readyz']);

export class ServeGateway {
  readonly routes = new Map<string, RouteHandler>();
  private current: Generation;
  private readonly sessions = new Map<string, SessionEntry>();
  /** Sessions whose `initialize` is being handled: they count against maxSessions. */
  private pending = 0;
  private server: http.Server | undefined;
  private watcher: fs.FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: ServeOptions) {
    this.log = opts.log;
    this.current = this.generation(opts.loaded);
    this.routes.set('/healthz', (_req, res) => json(res, 200, { status: 'ok' }));
    this.routes.set('/readyz', (_req, res) => this.readyz(res));
  }

  get settings(): ServeConfig {
    return { ...this.current.loaded.config.serve, ...this.opts.overrides };
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private generation(loaded: LoadedConfig): Generation {
    return {
      fingerprint: upstreamFingerprint(loaded),
      loaded,
      resources: createPoolResources({
        loaded,
        log: this.opts.log,
        cache: this.opts.cache,
        state: this.opts.state,
        integrity: this.opts.integrity,
        audit: this.opts.audit,
      }),
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
    const url = `${this.opts.tls ? 'https' : 'http'}://${shown}:${addr.port}${this.settings.path}`;
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
    this.log.info({ url, tls: this.opts.tls !== undefined }, 'serve: listening');
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
    if (url.pathname !== this.settings.path) return rpcError(res, 404, -32000, `no MCP endpoint at ${url.pathname}`);
    if (this.closing) return rpcError(res, 503, -32000, 'the gateway is shutting down');

    const auth = this.authenticate(req);
    if ('status' in auth) {
      res.setHeader('WWW-Authenticate', auth.headers!['WWW-Authenticate']!);
      return rpcError(res, auth.status, IDENTITY_REFUSED, auth.message);
    }
    const principal = auth.principal;

    let body: unknown;
    if (req.method === 'POST') {
      try {
        const raw = await readBody(req, this.settings.maxBodyBytes);
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        if (error instanceof BodyTooLarge) return rpcError(res, 413, -32600, error.message);
        return rpcError(res, 400, -32700, `parse error: ${messageOf(error)}`);
      }
    }

    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const entry = this.sessions.get(sid);
      if (!entry) return rpcError(res, 404, -32001, 'session not found; start a new one with initialize');
      if (entry.keyId !== principal.keyId) {
        this.log.warn({ event: 'session.key-mismatch', keyId: principal.keyId, session: sid }, 'session refused');
        return rpcError(res, 403, -32000, 'this session belongs to another gateway key');
      }
      return this.forward(entry, req, res, body);
    }
    if (req.method !== 'POST' || !isInitialize(body))
      return rpcError(res, 400, -32000, 'no Mcp-Session-Id header: the first request of a session must be initialize');
    if (this.sessions.size + this.pending >= this.settings.maxSessions)
      return rpcError(res, 503, -32000, `too many sessions (serve.maxSessions = ${this.settings.maxSessions})`);
    return this.open(principal, req, res, body);
  }

  private authenticate(req: http.IncomingMessage): { principal: Principal } | Refusal {
    const presented = bearerKey(req.headers.authorization);
    const remote = req.socket.remoteAddress;
    const challenge = (reason: string, error: string): Refusal => ({
      status: 401,
      message: `unauthorized: ${reason}`,
      headers: {
        'WWW-Authenticate': `Bearer realm="secure-mcp-gateway", error="${error}", error_description="${reason.replace(/["\\]/g, "'")}"`,
      },
    });
    if (presented === undefined) {
      const reason =
        req.headers.authorization === undefined
          ? 'no gateway key: send "Authorization: Bearer smg_<id>_<secret>"'
          : 'the Authorization header is not "Bearer <gateway key>"';
      keyRefusedEvent(this.log, { reason }, 'http', remote, this.opts.audit);
      return challenge(reason, 'invalid_request');
    }
    const config = this.current.loaded.config;
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

  /** The servers of the pool named `key` under a config, or undefined when its project is gone. */
  private poolServers(gen: Generation, key: string): string[] | undefined {
    const slash = key.indexOf('/');
    const project = gen.loaded.config.projects[slash === -1 ? key : key.slice(0, slash)];
    if (!project) return undefined;
    const perUser = slash !== -1;
    return gen.loaded.servers
      .filter((s) => project.servers.includes(s.name) && s.config.perUser === perUser)
      .map((s) => s.name);
  }

  private async open(
    principal: Principal,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: unknown,
  ): Promise<void> {
    const gen = this.current;
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
          keyId: principal.keyId!,
          pools,
          lastSeen: Date.now(),
          busy: 0,
        };
        this.sessions.set(id, entry);
        this.log.info({ event: 'session.opened', session: id, keyId: principal.keyId }, 'session opened');
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
    this.pending++;
    try {
      await gateway.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      this.pending--;
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
      const refused = this.opts.keys.refusal(entry.keyId);
      if (refused !== undefined) {
        this.log.warn({ event: 'session.revoked', session: id, keyId: entry.keyId }, `closing session: ${refused}`);
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
    configReloadedEvent(this.log, { ok: true, file }, this.opts.audit);
    for (const [id, entry] of this.sessions) {
      const r = reauthorize(loaded.config, entry.principal);
      if (!r.ok) {
        this.log.warn({ event: 'session.revoked', session: id, keyId: entry.keyId }, `closing session: ${r.reason}`);
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
      const entries = [...this.sessions.values()];
      await Promise.allSettled(entries.map((e) => e.gateway.shutdown('serve stopping')));
      await Promise.allSettled(entries.map((e) => e.transport.close()));
      await Promise.allSettled([...this.livePools].map((p) => p.close()));
      this.livePools.clear();
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
  const one = Array.isArray(body) ? (body.length === 1 ? (body[0] as unknown) : undefined) : body;
  return typeof one === 'object' && one !== null && (one as { method?: unknown }).method === 'initialize';
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}

function rpcError(res: http.ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}
