/**
 * An upstream pool (issue 6): the upstream connections of ONE project (or of one user of a project, for servers
 * marked `perUser`), with what belongs to them: the live and cached catalogs, the integrity verdicts, and one
 * pipeline per policy name. Client sessions (gateway.ts) attach to pools and build their own filtered view from
 * `views()`; a pool never knows who is calling. stdio runs one session on one pool; `serve` keeps one pool per
 * project, never shared across projects. Failure mode: an upstream that fails is retried on its own and never
 * blocks the others; a pool with no verdict for a server lists none of its tools.
 */
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { LoadedConfig, ResolvedServer } from '../config/load.js';
import { resolvePaths } from '../config/paths.js';
import type { SandboxEvent } from '../sandbox/types.js';
import { GatewayError } from '../errors.js';
import { lazyProvider } from '../guardrails/providers/lazy.js';
import type { AsyncDetector } from '../guardrails/types.js';
import {
  createIntegrityGate,
  hashOf,
  type CatalogSource,
  type IntegrityBlock,
  type IntegrityGate,
  type IntegrityVerdict,
} from '../integrity/gate.js';
import { createScanCache } from '../integrity/scan-cache.js';
import type { Logger } from '../log.js';
import { createSecretMasker } from '../log.js';
import { assemblePipeline } from '../pipeline/assemble.js';
import type { CallPipeline } from '../pipeline/call-tool.js';
import { serverPolicyContext } from '../pipeline/session.js';
import type { RequestStage, ServerPolicyContext } from '../pipeline/types.js';
import { createAuditRequiredStage } from '../audit/stage.js';
import { createIntegrityStage } from '../integrity/stage.js';
import { createToolFilter } from '../policy/allowlist.js';
import { createNameMatcher } from '../policy/glob.js';
import { sharedStore } from '../state/create.js';
import { pinStoreOn, watchPins } from '../state/pins.js';
import type { StateStore } from '../state/store.js';
import { AuditSink } from '../audit/sink.js';
import { createRedactor } from '../audit/redact.js';
import { createJudgeRuntime, type JudgeRuntime } from '../guardrails/judge/runtime.js';
import type { Catalog } from '../upstream/catalog.js';
import type { ClientRelay } from '../upstream/connect.js';
import type { DiscoveryCache } from '../upstream/discovery-cache.js';
import { Upstream, type UpstreamNotification } from '../upstream/upstream.js';
import type { ServerView } from './routes.js';
import type { ServerStatus } from './server-status.js';

/**
 * What every pool of one config shares: the integrity gate (one pin lockfile, or the shared pins), providers, the
 * judge endpoints, the state store and the audit sink.
 */
export interface PoolResources {
  loaded: LoadedConfig;
  log: Logger;
  cache: DiscoveryCache;
  gate: IntegrityGate;
  providers: Map<string, AsyncDetector>;
  state: StateStore;
  /** Judge endpoints and policy documents (read now, re-read on change), when the config has any. */
  judges: JudgeRuntime | undefined;
  audit: AuditSink;
  mask: (text: string) => string;
  /** `serve`: OAuth tokens are per user (pool "<project>/<user>"); a project's shared pool uses nobody's. */
  oauthPerUser?: boolean;
  /** The gateway's home (SMG_HOME): hidden from sandboxes, the parent of their persistent homes (issue 19). */
  home: string;
  /** Releases what these resources opened (the judges' connections and document watchers). */
  close(): Promise<void>;
}

export interface IntegrityPaths {
  lockfile: string;
  manifestsDir: string;
  cacheDir: string;
}

/** The sink of a gateway with no audit log configured: records nothing, observes nothing, never refuses. */
export function defaultAuditSink(log: Logger): AuditSink {
  return new AuditSink({
    required: false,
    fsync: 'batched',
    redactor: createRedactor(),
    argumentsMode: 'redacted',
    log,
  });
}

export function createPoolResources(opts: {
  loaded: LoadedConfig;
  log: Logger;
  cache: DiscoveryCache;
  state: StateStore;
  integrity?: IntegrityPaths | undefined;
  /** The audit log and the metrics/trace observers (audit/setup.ts); default: no log, nothing observed. */
  audit?: AuditSink | undefined;
}): PoolResources {
  const { loaded, log } = opts;
  const audit = opts.audit ?? defaultAuditSink(log);
  // Upstream stderr reaches the log only after the configured secret values and the secrets and PII detectors.
  const masked = createSecretMasker(loaded.secrets);
  const { redactor } = audit.settings;
  const judges =
    Object.keys(loaded.judges).length > 0 || loaded.policyDocuments.length > 0
      ? createJudgeRuntime({ judges: loaded.judges, documents: loaded.policyDocuments, log })
      : undefined;
  const paths = opts.integrity ?? resolvePaths();
  const providers = new Map(
    Object.entries(loaded.providers).map(([name, cfg]) => [
      name,
      lazyProvider(name, cfg, (message) => log.warn({ provider: name }, `guardrail provider failed open: ${message}`)),
    ]),
  );
  const gate = createIntegrityGate({
    store: pinStoreOn(sharedStore(opts.state), loaded.lockfile ?? paths.lockfile, log),
    poisoning: loaded.config.integrity.poisoning,
    manifestsDir: paths.manifestsDir,
    log,
    ...(loaded.config.cache.enabled
      ? { scanCache: createScanCache(path.join(paths.cacheDir, 'poisoning.json'), log) }
      : {}),
  });
  return {
    loaded,
    log,
    cache: opts.cache,
    gate,
    providers,
    state: opts.state,
    judges,
    audit,
    mask: (text) => redactor.text(masked(text)),
    home: resolvePaths().home,
    close: async () => {
      await judges?.close();
    },
  };
}

/** One server as a session may list it: the catalog the integrity gate passed, and the tools it blocked. */
export interface PoolView extends ServerView {
  blocked: ReadonlySet<string>;
}

export class UpstreamPool {
  readonly name: string;
  private readonly upstreams = new Map<string, Upstream>();
  /** One pipeline per policy name, built on first use and shared by the servers and tools that use it. */
  private readonly pipelines = new Map<string, Promise<CallPipeline>>();
  /** Per server: its policy name, and per-tool overrides (first matching glob wins). */
  private readonly policyRoutes = new Map<string, { name: string; overrides: [(tool: string) => boolean, string][] }>();
  private readonly filters = new Map<string, (tool: string) => boolean>();
  private readonly cached = new Map<string, Catalog>();
  private readonly settled = new Map<string, Promise<void>>();
  private readonly settle = new Map<string, () => void>();
  private readonly serverPolicies = new Map<string, ServerPolicyContext>();
  private readonly verdicts = new Map<string, IntegrityVerdict>();
  /** Integrity checks in flight, by server: a list request waits for them (bounded). */
  private readonly evaluating = new Map<string, Promise<void>>();
  /** The tool names each server's neighbours were last checked against (its last live list), one string per server. */
  private readonly neighbourNames = new Map<string, string | undefined>();
  private readonly listeners = new Set<() => void>();
  private readonly notificationListeners = new Set<(server: string, n: UpstreamNotification) => void>();
  /** Sessions subscribed to each `server\u0000uri`: the upstream is subscribed while at least one is. */
  private readonly subscribers = new Map<string, number>();
  private started = false;
  private closing: Promise<void> | undefined;
  /** Recent egress denials per server (epoch ms), for sandbox.stopAfterDenials. */
  private readonly denials = new Map<string, number[]>();
  /** Upstreams that went away and are being restarted, for the crashed → restarted audit events. */
  private readonly down = new Set<string>();
  /** Stops re-checking integrity when the shared store comes back (see the constructor). */
  private readonly unwatchState: () => void;

  constructor(
    name: string,
    servers: readonly ResolvedServer[],
    private readonly res: PoolResources,
  ) {
    this.name = name;
    const { loaded, log, cache } = res;
    const up = loaded.config.upstreams;
    const slash = name.indexOf('/');
    const oauthUser = res.oauthPerUser ? (slash === -1 ? null : name.slice(slash + 1)) : undefined;
    for (const server of servers) {
      this.policyRoutes.set(server.name, {
        name: server.config.policy ?? loaded.config.defaultPolicy,
        overrides: Object.entries(server.config.toolPolicies ?? {}).map(([glob, n]) => [createNameMatcher([glob]), n]),
      });
      this.filters.set(server.name, createToolFilter(server.config.tools));
      this.serverPolicies.set(server.name, serverPolicyContext(server));
      // The pool's name (the project, or "<project>/<user>") is part of the key: two projects' servers of one name
      // may run with different credentials and list different tools.
      const hit = cache.get(server, name);
      res.audit.cache('discovery', hit !== undefined);
      if (hit) this.cached.set(server.name, hit.catalog);
      this.settled.set(server.name, new Promise((resolve) => this.settle.set(server.name, resolve)));
      this.upstreams.set(
        server.name,
        new Upstream(server, {
          log,
          mask: res.mask,
          connectTimeoutMs: up.connectTimeoutMs,
          restartInitialDelayMs: up.restartInitialDelayMs,
          restartMaxDelayMs: up.restartMaxDelayMs,
          maxMessageBytes: up.maxMessageBytes,
          ...(oauthUser !== undefined ? { oauthUser } : {}),
          ...(server.sandbox
            ? {
                sandbox: {
                  gatewayHome: res.home,
                  gatewayEnv: process.env,
                  onEvent: (e: SandboxEvent) => this.onSandboxEvent(e),
                },
              }
            : {}),
          onCatalog: (n, catalog) => this.onCatalog(n, catalog),
          onNotification: (n, notification) => {
            for (const listener of this.notificationListeners) listener(n, notification);
          },
          onStateChange: (n, state) => {
            if (state === 'backoff') this.settle.get(n)?.();
            this.auditUpstream(n, state);
            // A server that lists nothing yet and failed is "unavailable" in the status tool, not "starting".
            if (state === 'backoff' && !this.verdicts.has(n)) for (const listener of this.listeners) listener();
          },
        }),
      );
    }
    // With shared pins (issue 15, class 14): a list whose check failed or timed out while the store was down or
    // stalled is checked again once it answers (a check still in flight is awaited first, since it may fail too),
    // and so is a list with blocked tools, whose approval may have been published while this instance could not
    // hear it. A change published by another instance (`tools approve`) re-checks that server's list at once.
    const shared = sharedStore(res.state);
    const stops = shared
      ? [
          shared.watch((status) => {
            if (status === 'up') this.recheckBlocked();
          }),
          watchPins(shared, (servers) => {
            this.recheckBlocked(new Set(servers.includes('*') ? this.upstreams.keys() : servers));
          }),
        ]
      : [];
    this.unwatchState = () => stops.forEach((stop) => stop());
    // Cached lists answer the first tools/list, but only after the integrity gate has passed them, and only with the
    // tools that match a pin: a cached list never pins (issue 15, class 5).
    for (const [server, catalog] of this.cached) this.checkIntegrity(server, catalog, 'cache');
  }

  get audit(): AuditSink {
    return this.res.audit;
  }

  get serverNames(): string[] {
    return [...this.upstreams.keys()];
  }

  has(server: string): boolean {
    return this.upstreams.has(server);
  }

  upstream(server: string): Upstream {
    const u = this.upstreams.get(server);
    if (!u) throw new GatewayError('INTERNAL', `server ${server} is not in pool ${this.name}`);
    return u;
  }

  serverPolicy(server: string): ServerPolicyContext {
    return this.serverPolicies.get(server)!;
  }

  allowsTool(server: string, tool: string): boolean {
    return this.filters.get(server)?.(tool) ?? false;
  }

  get upstreamStates(): Record<string, string> {
    return Object.fromEntries([...this.upstreams].map(([name, u]) => [name, u.state]));
  }

  /** Called (synchronously) whenever the listable views may have changed. Returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with every log message and subscribed resource update of this pool's upstreams. */
  onNotification(listener: (server: string, n: UpstreamNotification) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  /** Masks configured secret values, then the secrets and PII detectors: for text that leaves the gateway. */
  mask(text: string): string {
    return this.res.mask(text);
  }

  /** One more session subscribed to a resource; the upstream is asked only for the first. */
  async subscribe(server: string, uri: string, timeout: number, signal?: AbortSignal): Promise<void> {
    const key = `${server}\u0000${uri}`;
    const count = this.subscribers.get(key) ?? 0;
    if (count === 0) await this.upstream(server).subscribe(uri, timeout, signal);
    this.subscribers.set(key, (this.subscribers.get(key) ?? 0) + 1);
  }

  /** One session fewer; the upstream is unsubscribed when none is left. */
  async unsubscribe(server: string, uri: string, timeout: number): Promise<void> {
    const key = `${server}\u0000${uri}`;
    const count = this.subscribers.get(key) ?? 0;
    if (count === 0) return;
    if (count > 1) return void this.subscribers.set(key, count - 1);
    this.subscribers.delete(key);
    await this.upstream(server).unsubscribe(uri, timeout);
  }

  /**
   * Connects every upstream at once (idempotent); one that fails is retried on its own. The pipelines their calls
   * will use are built now too, while the upstreams start (issue 21): building one (the detectors' rules and model)
   * costs more than a warm upstream takes to start, and a first call would otherwise wait for it after its upstream
   * is ready. Tool schemas are compiled from the cached lists; the live list compiles only what changed.
   */
  start(relay: ClientRelay): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.res.log.info({ pool: this.name, servers: this.serverNames }, 'connecting upstreams');
    for (const upstream of this.upstreams.values()) upstream.start(relay);
    // After the client's initialize is answered and a cached tools/list with it: both wait for this turn's work.
    setImmediate(() => {
      if (this.closing) return;
      for (const server of this.upstreams.keys())
        void this.warmPipelines(server, this.policyNames(server), this.cached.get(server));
    });
  }

  /** The policies a server's calls can use: its own, then its per-tool overrides. */
  private policyNames(server: string): string[] {
    const route = this.policyRoutes.get(server);
    return route ? [route.name, ...route.overrides.map(([, n]) => n)] : [];
  }

  get isStarted(): boolean {
    return this.started;
  }

  private onCatalog(server: string, catalog: Catalog): void {
    const upstream = this.upstreams.get(server);
    if (upstream) this.res.cache.set(upstream.server, this.name, catalog);
    this.checkIntegrity(server, catalog, 'live', () => this.settle.get(server)?.());
    // The cross-server checks (shadowing, a squatted name such as read_flle) compare a list with the names its
    // neighbours have when it is checked. A server whose names are new or changed re-checks the others (those
    // checked or being checked): else a squatter that starts before the server it squats stays listed, as it was
    // checked against no read_file.
    const listed = toolNames(catalog);
    const before = this.neighbourNames.get(server) ?? toolNames(this.cached.get(server));
    this.neighbourNames.set(server, listed);
    if (listed !== before)
      this.recheckBlocked(new Set([...this.verdicts.keys(), ...this.evaluating.keys()].filter((n) => n !== server)));
    // Let stages prepare per-tool state (e.g. compile schemas) once the client has its answer, not on a call.
    setImmediate(() => void this.warmPipelines(server, this.policyNames(server), catalog));
  }

  /**
   * Runs the integrity gate on a catalog, then lists its tools: until the gate has a verdict for the catalog, the
   * server's tools are not listed, and a call to one is checked against the previous verdict (see callTool).
   */
  private checkIntegrity(server: string, catalog: Catalog, source: CatalogSource, then?: () => void): void {
    const resolved = this.upstreams.get(server)?.server;
    if (!resolved) return;
    const others = [...this.upstreams.values()]
      .filter((u) => u.name !== server)
      .flatMap((u) => {
        const c = u.catalog ?? this.cached.get(u.name);
        return c ? [{ server: u.name, tools: c.tools.map((t) => t.name) }] : [];
      });
    const log = this.res.log;
    const done = this.res.gate.evaluate(resolved, catalog, others, source).then((verdict) => {
      // A newer catalog may have arrived while this one was checked; its own check decides then.
      const current = this.upstreams.get(server)?.catalog ?? this.cached.get(server);
      if (current === catalog || !this.verdicts.has(server)) {
        this.res.audit.integrity(server, verdict, this.verdicts.get(server));
        this.verdicts.set(server, verdict);
      }
      for (const [tool, b] of verdict.blocked) log.warn({ server, tool, ruleId: b.ruleId }, b.reason);
      then?.();
      for (const listener of this.listeners) listener();
    });
    done.catch((error: unknown) => log.error({ server, err: String(error) }, 'integrity check failed'));
    this.evaluating.set(server, done);
    void done.finally(() => {
      if (this.evaluating.get(server) === done) this.evaluating.delete(server);
    });
  }

  /**
   * Checks again each server (of `only`, else all) whose verdict blocks a tool, once its check in flight is done:
   * after the shared store answers again, or when its pins changed elsewhere. A re-check of a list whose verdict
   * does not change notifies nobody new (sessions compare the views).
   */
  private recheckBlocked(only?: ReadonlySet<string>): void {
    for (const server of this.upstreams.keys()) {
      if (only && !only.has(server)) continue;
      void Promise.resolve(this.evaluating.get(server))
        .catch(() => undefined)
        .then(() => {
          const verdict = this.verdicts.get(server);
          const live = this.upstreams.get(server)?.catalog;
          const catalog = live ?? verdict?.catalog ?? this.cached.get(server);
          if (catalog === undefined || this.closing) return;
          // Only pushed changes re-check a list that blocks nothing: an approval cannot change it, a revocation can.
          if (!only && verdict && verdict.blocked.size === 0) return;
          // A list that is not live may be shown where it matches pins, never pinned (class 5).
          this.checkIntegrity(server, catalog, live ? 'live' : 'cache');
        });
    }
  }

  /**
   * What a server's sandbox reported (issue 19): into the audit (and so the metrics), the log, and the server's
   * stop policy. A server whose egress is denied `stopAfterDenials` times within its window is halted
   * (sandbox.stopped): a compromised server that keeps trying to reach out loses its process, not just its packets.
   */
  private onSandboxEvent(e: SandboxEvent): void {
    this.res.audit.sandbox(e);
    const log = this.res.log.child({ server: e.server });
    // The egress proxy logs each denial itself, with the host and the rule.
    if (e.event === 'unconfined') log.warn(`sandbox: the server runs unconfined: ${e.reason}`);
    else if (e.event === 'refused') log.error(`sandbox: the server is refused: ${e.reason}`);
    if (e.event !== 'egress-denied') return;
    const upstream = this.upstreams.get(e.server);
    const profile = upstream?.server.sandbox;
    if (!upstream || profile?.stopAfterDenials === undefined || upstream.halted !== undefined) return;
    const now = Date.now();
    const recent = (this.denials.get(e.server) ?? []).filter((t) => now - t < profile.stopWindowSeconds * 1000);
    recent.push(now);
    this.denials.set(e.server, recent);
    if (recent.length < profile.stopAfterDenials) return;
    // No host in the reason: it reaches the model through the status tool, and the server chose the host name.
    const reason = `sandbox.stopped: its network access was denied ${recent.length} times within ${profile.stopWindowSeconds} s (sandbox.stopAfterDenials); it stays stopped until the gateway restarts, and the audit log names the hosts`;
    this.res.audit.sandbox({ event: 'stopped', server: e.server, reason, denials: recent.length });
    log.error(`sandbox: ${reason}`);
    upstream.halt(reason);
  }

  /** An upstream that went away is `crashed`; when it is ready again it is `restarted` (audit events). */
  private auditUpstream(server: string, state: string): void {
    const upstream = this.upstreams.get(server);
    if (state === 'backoff' && !this.down.has(server)) {
      this.down.add(server);
      this.res.audit.upstream({ event: 'crashed', server, restarts: upstream?.restarts ?? 0 });
    } else if (state === 'ready' && this.down.delete(server))
      this.res.audit.upstream({ event: 'restarted', server, restarts: upstream?.restarts ?? 0 });
  }

  /** The stages every call of this pool passes first, whatever its policy. */
  private readonly gateStages: RequestStage[] = [
    createAuditRequiredStage({ refusal: () => this.res.audit.refusal() }),
    createIntegrityStage({
      refusal: (server, tool) => this.integrityRefusal(server, tool),
      recheck: async (server) => {
        const catalog = this.upstreams.get(server)?.catalog;
        if (catalog) await this.recheckIntegrity(server, catalog);
      },
      pending: (server) => this.liveCheck(server),
    }),
  ];

  /**
   * The check in flight of a server's live list while its verdict is still for another list (the cached one, on a
   * warm start), else undefined. A call waits for it: the gate's verdict on what the upstream will actually run
   * decides, not the pins' hashes alone (a cross-server check of the live neighbours included). A check that fails
   * leaves the older verdict, which still refuses a definition that differs from what it accepted.
   */
  private liveCheck(server: string): Promise<void> | undefined {
    const live = this.upstreams.get(server)?.catalog;
    if (live === undefined || this.verdicts.get(server)?.catalog === live) return undefined;
    return this.evaluating.get(server)?.catch(() => undefined);
  }

  /** Checks a catalog again now (a blocked call after an approval), and lists what it lets through. */
  async recheckIntegrity(server: string, catalog: Catalog): Promise<void> {
    this.checkIntegrity(server, catalog, this.upstreams.get(server)?.catalog === catalog ? 'live' : 'cache');
    await this.evaluating.get(server);
  }

  /** Why a call to this live tool definition is refused by the integrity gate, if it is. */
  integrityRefusal(server: string, tool: Tool): IntegrityBlock | undefined {
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

  private async warmPipelines(server: string, names: string[], catalog: Catalog | undefined): Promise<void> {
    let pipelines: CallPipeline[];
    try {
      pipelines = await Promise.all(names.map((n) => this.pipelineFor(n)));
    } catch (error) {
      this.res.log.error(
        { server, err: String(error) },
        'could not build the pipeline; calls to this server will fail',
      );
      return;
    }
    if (!catalog) return;
    const stages = pipelines.flatMap((p) => [...p.request, ...p.response]).filter((st) => st.warm !== undefined);
    // One tool per turn of the event loop: a call that is waiting for this pipeline (the first after a warm start)
    // goes first, instead of after every tool's schema was compiled; its own tool is compiled on the call.
    for (const tool of catalog.tools) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.closing) return;
      for (const stage of stages) {
        try {
          stage.warm!([tool]);
        } catch (error) {
          this.res.log.warn({ server, stage: stage.name, err: String(error) }, 'stage could not prepare tools');
        }
      }
    }
  }

  /** Each server whose catalog the integrity gate has passed: a newer one waits for its own verdict. */
  views(): PoolView[] {
    return [...this.upstreams.values()].flatMap((u) => {
      const verdict = this.verdicts.get(u.name);
      if (!verdict) return [];
      return [
        {
          server: u.name,
          catalog: verdict.catalog,
          allowsTool: this.filters.get(u.name)!,
          blocked: new Set(verdict.blocked.keys()),
        },
      ];
    });
  }

  /**
   * Why a server of this pool lists no tools (issue 17, item 4), or undefined when it does: still starting (no
   * list yet, live or cached, or its check is in flight), or failed to start and being retried (its last error stays
   * in gateway.log: an upstream may have written it).
   */
  status(server: string): ServerStatus | undefined {
    const u = this.upstreams.get(server);
    if (!u || u.state === 'closed' || this.verdicts.has(server)) return undefined;
    if (u.signInRequired !== undefined) return { server, state: 'sign-in', message: u.signInRequired };
    if (u.halted !== undefined) return { server, state: 'stopped', message: u.halted };
    if (u.lastError !== undefined) return { server, state: 'failed' };
    return { server, state: 'starting' };
  }

  /** The promises a list request waits for: upstreams with no catalog yet (until they fail once), and checks. */
  pending(servers?: ReadonlySet<string>): Promise<void>[] {
    const mine = (name: string) => servers === undefined || servers.has(name);
    return [
      ...[...this.upstreams.values()]
        .filter((u) => mine(u.name) && !u.catalog && !this.cached.has(u.name))
        .map((u) => this.settled.get(u.name)!),
      ...[...this.evaluating].filter(([name]) => mine(name)).map(([, p]) => p),
    ];
  }

  /**
   * A policy's pipeline for tool results, or (`prompt`) for prompt messages; built once each. Its request stages
   * start with the pool's own: audit.required, then the integrity gate (a blocked tool is refused before any
   * guardrail reads its arguments).
   */
  pipelineFor(policyName: string, content: 'results' | 'prompt' = 'results'): Promise<CallPipeline> {
    const key = content === 'prompt' ? `${policyName}\u0000prompt` : policyName;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const policy = this.res.loaded.policies[policyName];
      pipeline = policy
        ? assemblePipeline(policy, this.res.providers, {
            store: this.res.state,
            name: policyName,
            content,
            ...(this.res.judges ? { judges: this.res.judges } : {}),
          }).then((p) => ({ request: [...this.gateStages, ...p.request], response: p.response }))
        : Promise.reject(new GatewayError('INTERNAL', `no policy named "${policyName}"`));
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** The pipeline for a tool: the caller's override (project or role policy) if any, else the server's routes. */
  pipelineForTool(
    server: string,
    tool: string,
    override?: string,
    content: 'results' | 'prompt' = 'results',
  ): Promise<CallPipeline> {
    if (override !== undefined) return this.pipelineFor(override, content);
    const route = this.policyRoutes.get(server)!;
    const match = route.overrides.find(([matches]) => matches(tool));
    return this.pipelineFor(match ? match[1] : route.name, content);
  }

  /** Closes every upstream (its process group killed). Idempotent. */
  close(): Promise<void> {
    this.unwatchState();
    this.closing ??= Promise.allSettled([...this.upstreams.values()].map((u) => u.close())).then(() => undefined);
    return this.closing;
  }
}

/** A catalog's tool names as one comparable string (undefined without a catalog). */
function toolNames(catalog: Catalog | undefined): string | undefined {
  return catalog?.tools
    .map((t) => t.name)
    .sort()
    .join('\n');
}
