/**
 * The commands that serve (`start`, `serve`, `proxy`) and the config, logger and cache plumbing that the other
 * commands share. main.ts loads this module inside a command's action, never at start-up: `--version` and `--help`
 * parse commander alone (issue 21), and the gateway's modules load only for a command that needs them. Failures
 * propagate to main.ts's one sink, `fail()`.
 */
import { CommanderError } from 'commander';
import fs from 'node:fs';
import { describeUnavailable, loadConfig, referenceFix, type LoadedConfig } from '../config/load.js';
import { DEFAULT_POLICY, type Policy } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { resolvePaths, type GatewayPaths } from '../config/paths.js';
import { createLogger, flushLogger, type LOG_LEVELS, type Logger } from '../log.js';
import { Gateway, type GatewayOptions } from '../server/gateway.js';
import { computeAccess } from '../identity/access.js';
import { authenticate, keyRefusedEvent, keyUsedEvent, resolveStdioIdentity } from '../identity/authenticate.js';
import { KeyStore, keysFile } from '../identity/keys.js';
import { LOCAL_PRINCIPAL } from '../pipeline/types.js';
import { GatewayStdioServerTransport } from '../server/stdio-transport.js';
import { DiscoveryCache } from '../upstream/discovery-cache.js';
import { createStateStore, sharedStore } from '../state/create.js';
import type { StateStore } from '../state/store.js';
import type { RedisStore } from '../state/redis.js';
import { VERSION } from '../version.js';
import { LogForwarder } from '../audit/log-forward.js';
import { createAuditSink } from '../audit/setup.js';
import type { AuditSink } from '../audit/sink.js';
import { EXIT, EXIT_BLOCKED } from './exit.js';

/** For the commands that load a config themselves (scan: a missing config may be fine there). */
export { loadConfig };

export interface GlobalOptions {
  config?: string;
}

export interface CheckCliOptions extends GlobalOptions {
  policy?: string;
  input: string;
  where: 'input' | 'output' | 'auto';
  json?: boolean;
}

export function load(opts: GlobalOptions): { paths: GatewayPaths; loaded: LoadedConfig } {
  const paths = resolvePaths({ config: opts.config });
  return { paths, loaded: loadConfig(paths.config) };
}

/** Connection logs of the commands that are not `start`: warnings and worse, on stderr. */
export function quietLogger(): Logger {
  return createLogger({ level: 'warn' });
}

export async function start(opts: GlobalOptions & { logLevel?: string }): Promise<void> {
  const paths = resolvePaths({ config: opts.config });
  const loaded = loadConfig(paths.config);
  const level = (opts.logLevel ?? process.env.SMG_LOG_LEVEL ?? loaded.config.log.level) as (typeof LOG_LEVELS)[number];
  const file = loaded.config.log.file;
  // With telemetry, log lines go to the OTLP log export too (attached once the exporter exists).
  const forwarder = loaded.config.telemetry.otlp ? new LogForwarder() : undefined;
  const log = createLogger({
    level,
    file: file === false ? undefined : file === true ? paths.logFile : file,
    extra: forwarder,
  });
  // The state store (memory, or Redis shared by every instance); with Redis the discovery cache is shared too.
  const state = createStateStore(loaded.state, log);
  const shared = sharedStore(state);
  const cache = cacheFor(paths, loaded.config.cache, log, shared);
  const fromShared = await cache.preload(loaded.servers, cacheProjects(loaded));
  if (fromShared.length > 0) log.info({ servers: fromShared }, 'tool lists loaded from the shared discovery cache');
  const audit = await createAuditSink(loaded, paths, log, [], forwarder);
  const identity = await stdioIdentity(loaded, paths, log, audit, shared);
  const gateway = new Gateway({ loaded, log, cache, audit, state, ...identity });
  const transport = new GatewayStdioServerTransport({});

  let exitCode: number = EXIT.OK;
  const stop = (reason: string) => void gateway.shutdown(reason);
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception; shutting down');
    exitCode = EXIT.ERROR;
    stop('uncaught exception');
  });
  log.info({ version: VERSION, config: loaded.file, servers: loaded.servers.map((s) => s.name) }, 'gateway starting');
  await gateway.connect(transport);
  await gateway.closed;
  // The last batch of audit records, then the telemetry exporters (bounded: a collector that is down must not
  // hold the exit).
  await Promise.race([audit.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  await state.close();
  await flushLogger(log);
  process.exit(exitCode);
}

/**
 * The pools whose discovery cache entries are shared (their names are part of the keys): the local user's project
 * and every configured project. Per-user pools ("<project>/<user>") keep their entries to their own instance.
 */
export function cacheProjects(loaded: LoadedConfig): string[] {
  return [LOCAL_PRINCIPAL.project, ...Object.keys(loaded.config.projects)];
}

function cacheFor(
  paths: GatewayPaths,
  cfg: { enabled: boolean; ttlMs: number },
  log: Logger,
  shared?: StateStore,
): DiscoveryCache {
  return new DiscoveryCache({
    dir: paths.cacheDir,
    ttlMs: cfg.ttlMs,
    enabled: cfg.enabled,
    log,
    ...(shared ? { shared } : {}),
  });
}

export interface ServeCliOptions extends GlobalOptions {
  logLevel?: string;
  /** `proxy`: only the AI proxy's routes. */
  only?: 'llm';
  host?: string;
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
}

export async function serve(opts: ServeCliOptions): Promise<void> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new CommanderError(EXIT.USAGE, 'smg.usage', '--tls-cert and --tls-key go together');
  const paths = resolvePaths({ config: opts.config });
  const loaded = loadConfig(paths.config);
  const level = (opts.logLevel ?? process.env.SMG_LOG_LEVEL ?? loaded.config.log.level) as (typeof LOG_LEVELS)[number];
  const file = loaded.config.log.file;
  const log = createLogger({ level, file: file === false ? undefined : file === true ? paths.logFile : file });
  const tls =
    opts.tlsCert !== undefined && opts.tlsKey !== undefined
      ? { cert: fs.readFileSync(opts.tlsCert, 'utf8'), key: fs.readFileSync(opts.tlsKey, 'utf8') }
      : undefined;
  const { ServeGateway } = await import('../server/serve.js');
  const { createPrometheusMetrics } = await import('../audit/prometheus.js');
  const { createLlmLimiter, hasLlmLimits } = await import('../llm/limits.js');
  // One state store, one discovery cache (shared through Redis when configured), one audit log and one metrics
  // registry for every session and every config generation of this process.
  const state = createStateStore(loaded.state, log);
  const cache = cacheFor(paths, loaded.config.cache, log, sharedStore(state));
  if (opts.only === undefined) await cache.preload(loaded.servers, cacheProjects(loaded));
  const prom = createPrometheusMetrics({ processMetrics: true });
  const forwarder = loaded.config.telemetry.otlp ? new LogForwarder() : undefined;
  const audit = await createAuditSink(loaded, paths, log, [prom.observer], forwarder);
  // With Redis, keys created on any host authenticate here too (their hashes are mirrored from the store).
  const keys = await sharedKeys(paths, sharedStore(state), log);
  const gateway = new ServeGateway({
    configFile: paths.config,
    loaded,
    log,
    cache,
    keys,
    state,
    audit,
    ...(opts.only ? { only: opts.only } : {}),
    llmLimiter: (l) => (hasLlmLimits(l.llm.limits) ? createLlmLimiter(state, l.llm.limits) : undefined),
    overrides: {
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
    },
    ...(tls ? { tls } : {}),
  });
  gateway.routes.set('/metrics', prom.handler);
  const url = await gateway.listen();
  process.stdout.write(`secure-mcp-gateway ${opts.only ? 'proxy' : 'serve'}: listening on ${url}\n`);
  const stop = (reason: string) => {
    log.info({ reason }, 'serve: stopping');
    void gateway.close().then(async () => {
      await Promise.race([audit.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await state.close();
      await flushLogger(log);
      process.exit(EXIT.OK);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** keys.json, and with a shared store its keys too, mirrored before the first request is checked. */
async function sharedKeys(paths: GatewayPaths, shared: RedisStore | undefined, log: Logger): Promise<KeyStore> {
  const keys = new KeyStore({ file: keysFile(paths.home), ...(shared ? { shared } : {}) });
  await keys.start();
  if (shared) log.info({ store: shared.where }, 'gateway keys are shared through the state store');
  return keys;
}

/** SMG_GATEWAY_KEY → who this stdio gateway serves, or why it refuses to (logged as a key event). */
async function stdioIdentity(
  loaded: LoadedConfig,
  paths: GatewayPaths,
  log: Logger,
  audit: AuditSink,
  shared: RedisStore | undefined,
): Promise<Partial<GatewayOptions>> {
  const identities = Object.keys(loaded.config.users).length > 0;
  const keys = identities ? await sharedKeys(paths, shared, log) : new KeyStore({ file: keysFile(paths.home) });
  const id = resolveStdioIdentity(loaded.config, keys, process.env.SMG_GATEWAY_KEY);
  if (id.mode === 'local') {
    log.info(
      { identity: 'local', project: LOCAL_PRINCIPAL.project },
      'no identities configured: serving the local user',
    );
    return {};
  }
  if (id.mode === 'refused') {
    keyRefusedEvent(log, id, 'stdio', undefined, audit);
    return { refusal: id.reason };
  }
  keyUsedEvent(log, id.principal, 'stdio', audit);
  keys.touch(id.principal.keyId!);
  // The key is checked again before every list and call, so a revocation applies without a restart.
  const presented = process.env.SMG_GATEWAY_KEY;
  let logged = false;
  const recheck = () => {
    const r = authenticate(loaded.config, keys, presented);
    if (r.ok) return undefined;
    if (!logged) keyRefusedEvent(log, r, 'stdio', undefined, audit);
    logged = true;
    return r.reason;
  };
  return { principal: id.principal, access: computeAccess(loaded.config, id.principal), recheck };
}

/** `config validate`: the config's servers, models and AI providers, and what is unavailable. */
export async function validateConfig(opts: GlobalOptions & { strict?: boolean }): Promise<void> {
  const paths = resolvePaths({ config: opts.config });
  const loaded = loadConfig(paths.config);
  const models = Object.values(loaded.providers).some((p) => p.type === 'onnx')
    ? await import('../guardrails/providers/onnx.js').then((m) => m.checkOnnxProviders(loaded.file, loaded.providers))
    : new Map<string, string>();
  const all = Object.keys(loaded.config.servers);
  process.stdout.write(`${loaded.file}: valid\n`);
  for (const name of all) {
    const s = loaded.servers.find((x) => x.name === name);
    const what = s
      ? s.kind === 'stdio'
        ? `stdio: ${s.command} ${s.args.join(' ')}`
        : `remote: ${s.url}`
      : loaded.unavailable.some((u) => u.name === name)
        ? 'unavailable (see below)'
        : 'disabled';
    process.stdout.write(`  ${name.padEnd(20)} ${what}\n`);
  }
  for (const [name, summary] of models) process.stdout.write(`  ${name.padEnd(20)} onnx: ${summary}\n`);
  const { llmValidateLines } = await import('../llm/unavailable.js');
  const llm = llmValidateLines(loaded);
  for (const line of llm.listing) process.stdout.write(`${line}\n`);
  // A server whose reference cannot be resolved costs that server only (issue 17): a warning, in doctor's words.
  for (const u of loaded.unavailable) {
    process.stdout.write(`⚠ ${describeUnavailable(u)}\n`);
    if (u.problems[0]) process.stdout.write(`  fix: ${referenceFix(u.problems[0])}\n`);
  }
  // An AI provider likewise costs its deployments only (issue 20).
  for (const line of llm.warnings) process.stdout.write(`${line}\n`);
  if ((loaded.unavailable.length > 0 || llm.warnings.length > 0) && opts.strict === true) process.exitCode = EXIT.ERROR;
}

/** `check`: a policy's guardrails, offline, on a text or a JSON tool call or result. */
export async function check(opts: CheckCliOptions): Promise<void> {
  const paths = resolvePaths({ config: opts.config });
  let policies: Record<string, Policy> = { default: DEFAULT_POLICY };
  let providers = {};
  let judges = {};
  let policyDocuments: string[] = [];
  let fallback = 'default';
  try {
    const loaded = loadConfig(paths.config);
    policies = loaded.policies;
    providers = loaded.providers;
    judges = loaded.judges;
    policyDocuments = loaded.policyDocuments;
    fallback = loaded.config.defaultPolicy;
  } catch (error) {
    // With no config at all, check runs the built-in default policy; a broken config is still an error.
    if (!(error instanceof GatewayError && error.code === 'CONFIG_MISSING') || opts.config !== undefined) throw error;
  }
  const name = opts.policy ?? fallback;
  const policy = policies[name];
  if (!policy)
    throw new CommanderError(2, 'smg.policy', `no policy named "${name}" (known: ${Object.keys(policies).join(', ')})`);
  const { formatOutcome, readInput, runCheck } = await import('./check.js');
  const o = await runCheck({
    text: readInput(opts.input),
    where: opts.where,
    policy,
    providers,
    judges,
    policyDocuments,
  });
  process.stdout.write(opts.json ? `${JSON.stringify(o)}\n` : `${formatOutcome(o)}\n`);
  if (o.blocked) process.exitCode = EXIT_BLOCKED;
}

/** `cache clear`: the discovery cache files, and with Redis the configured servers' shared entries. */
export async function clearCache(opts: GlobalOptions): Promise<void> {
  const paths = resolvePaths({ config: opts.config });
  const log = createLogger({ level: 'warn' });
  // The config is needed only for a shared cache; without a config file there is nothing shared to clear.
  const loaded = fs.existsSync(paths.config) ? loadConfig(paths.config) : undefined;
  const state = loaded?.state.backend === 'redis' ? createStateStore(loaded.state, log) : undefined;
  const cache = new DiscoveryCache({
    dir: paths.cacheDir,
    ttlMs: 0,
    enabled: true,
    log,
    ...(state ? { shared: state } : {}),
  });
  const n = cache.clear();
  process.stdout.write(`removed ${n} cache file${n === 1 ? '' : 's'} from ${paths.cacheDir}\n`);
  if (!state || !loaded) return;
  try {
    const shared = await cache.clearShared(loaded.servers, cacheProjects(loaded));
    const where = sharedStore(state)!.where;
    process.stdout.write(`removed ${shared} shared cache entr${shared === 1 ? 'y' : 'ies'} from ${where}\n`);
  } finally {
    await state.close();
  }
}
