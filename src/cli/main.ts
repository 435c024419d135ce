/**
 * The command line, run by bin.ts (the built entry; apart so that a test can build the program without running
 * it). commander only: each command calls into the modules and every failure leaves through one
 * sink, `fail()`, with a documented exit code (see EXIT below and docs/cli.md). In `start` mode stdout belongs to
 * MCP, so nothing here writes to stdout except the commands that are not `start`.
 */
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { describeUnavailable, loadConfig, referenceFix, type LoadedConfig } from '../config/load.js';
import { llmValidateLines } from '../llm/unavailable.js';
import { DEFAULT_POLICY, type Policy } from '../config/schema.js';
import { EXIT_BLOCKED, formatOutcome, readInput, runCheck } from './check.js';
import { resolvePaths, type GatewayPaths } from '../config/paths.js';
import { CLIENT_IDS, isClientId, unknownClientMessage } from '../clients/catalog.js';
import { GatewayError, messageOf } from '../errors.js';
import { SEVERITIES, type Severity } from '../integrity/findings.js';
import { createLogger, flushLogger, LOG_LEVELS, type Logger } from '../log.js';
import { Gateway, type GatewayOptions } from '../server/gateway.js';
import { computeAccess } from '../identity/access.js';
import { authenticate, keyRefusedEvent, keyUsedEvent, resolveStdioIdentity } from '../identity/authenticate.js';
import { KeyStore, keysFile } from '../identity/keys.js';
import { addIdentityCommands } from './identity-commands.js';
import { readFileSync } from 'node:fs';
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
import { auditCommand, EXIT_AUDIT } from './audit.js';
import { secretsCommand } from './secrets.js';
import { authCommand } from './auth.js';

/** Exit codes. 0 is success; a clean shutdown on stdin EOF or a signal is success too. */
export const EXIT = {
  OK: 0,
  ERROR: 1, // an unexpected failure; a server that cannot be reached
  USAGE: 2, // bad command line
  CONFIG_MISSING: 3,
  CONFIG_INVALID: 4, // the config, the lockfile or a signing key
  BLOCKED: EXIT_BLOCKED, // `check`: the policy blocks the input
  INTEGRITY: 6, // `scan`: a finding at or above --fail-on; `tools verify`: a manifest or a tool does not verify
  AUDIT: EXIT_AUDIT, // `audit verify`: the hash chain of the audit log is broken
} as const;

/** `tools diff` exits like diff(1): 0 the same, 1 different, 2 trouble (a config problem keeps 3 or 4). */
const EXIT_DIFFERENT = 1;
const EXIT_TROUBLE = 2;

export function fail(error: unknown): never {
  if (error instanceof CommanderError) {
    // commander has printed its own errors (all usage errors); ours (code smg.*) are printed here, with their code.
    if (error.code.startsWith('smg.')) {
      process.stderr.write(`secure-mcp-gateway: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.exit(error.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
  }
  if (error instanceof GatewayError && (error.code === 'CONFIG_MISSING' || error.code === 'CONFIG_INVALID')) {
    process.stderr.write(`secure-mcp-gateway: ${error.message}\n`);
    process.exit(error.code === 'CONFIG_MISSING' ? EXIT.CONFIG_MISSING : EXIT.CONFIG_INVALID);
  }
  process.stderr.write(`secure-mcp-gateway: ${messageOf(error)}\n`);
  process.exit(EXIT.ERROR);
}

interface GlobalOptions {
  config?: string;
}

/** For `tools diff`: any failure but a config problem is "trouble", as diff(1) has it. */
function asTrouble(error: unknown): unknown {
  if (error instanceof GatewayError && (error.code === 'CONFIG_MISSING' || error.code === 'CONFIG_INVALID'))
    return error;
  return new CommanderError(EXIT_TROUBLE, 'smg.trouble', messageOf(error));
}

function load(opts: GlobalOptions): { paths: GatewayPaths; loaded: LoadedConfig } {
  const paths = resolvePaths({ config: opts.config });
  return { paths, loaded: loadConfig(paths.config) };
}

/** Connection logs of the commands that are not `start`: warnings and worse, on stderr. */
function quietLogger(): Logger {
  return createLogger({ level: 'warn' });
}

function configOption() {
  return new Option('-c, --config <path>', 'config file (default: $SMG_CONFIG, else <home>/config.json)');
}

async function start(opts: GlobalOptions & { logLevel?: string }): Promise<void> {
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
function cacheProjects(loaded: LoadedConfig): string[] {
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

interface ServeCliOptions extends GlobalOptions {
  logLevel?: string;
  /** `proxy`: only the AI proxy's routes. */
  only?: 'llm';
  host?: string;
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
}

async function serve(opts: ServeCliOptions): Promise<void> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new CommanderError(EXIT.USAGE, 'smg.usage', '--tls-cert and --tls-key go together');
  const paths = resolvePaths({ config: opts.config });
  const loaded = loadConfig(paths.config);
  const level = (opts.logLevel ?? process.env.SMG_LOG_LEVEL ?? loaded.config.log.level) as (typeof LOG_LEVELS)[number];
  const file = loaded.config.log.file;
  const log = createLogger({ level, file: file === false ? undefined : file === true ? paths.logFile : file });
  const tls =
    opts.tlsCert !== undefined && opts.tlsKey !== undefined
      ? { cert: readFileSync(opts.tlsCert, 'utf8'), key: readFileSync(opts.tlsKey, 'utf8') }
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

export function buildProgram(): Command {
  const program = new Command('secure-mcp-gateway')
    .description('A local, fail-closed MCP security gateway. With no command it serves MCP over stdio (`start`).')
    .version(VERSION, '-v, --version')
    .enablePositionalOptions()
    .passThroughOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('start', { isDefault: true })
    .description('serve MCP over stdio, proxying every configured upstream through the pipeline')
    .addOption(configOption())
    .addOption(new Option('--log-level <level>', 'log level (overrides config and SMG_LOG_LEVEL)').choices(LOG_LEVELS))
    .action((opts: GlobalOptions & { logLevel?: string }) => start(opts));

  const serveCommand = (name: string, description: string, only?: 'llm') =>
    program
      .command(name)
      .description(description)
      .addOption(configOption())
      .option('--host <address>', 'address to bind (default: serve.host, else 127.0.0.1)')
      .option('--port <port>', 'TCP port; 0 picks a free one (default: serve.port, else 8787)', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535)
          throw new CommanderError(EXIT.USAGE, 'smg.usage', `bad port ${v}`);
        return n;
      })
      .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key')
      .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
      .addOption(
        new Option('--log-level <level>', 'log level (overrides config and SMG_LOG_LEVEL)').choices(LOG_LEVELS),
      )
      .action((opts: ServeCliOptions) => serve(only ? { ...opts, only } : opts));
  serveCommand(
    'serve',
    'serve MCP over Streamable HTTP for a team: gateway keys as bearer tokens, one upstream pool per project (and the AI proxy under /v1 when llm has deployments)',
  );
  serveCommand(
    'proxy',
    'serve only the Secure AI Proxy: OpenAI- and Anthropic-compatible LLM endpoints under /v1 (llm in the config), with the same keys, policies and audit as serve',
    'llm',
  );

  const config = program.command('config').description('work with the config file');
  config
    .command('validate')
    .description(
      'check the config file: schema, references, policies, local models; prints the servers and models it defines',
    )
    .addOption(configOption())
    .option(
      '--strict',
      'exit 1 when a server or an AI provider is unavailable (an unresolvable reference in its settings)',
    )
    .action(async (opts: GlobalOptions & { strict?: boolean }) => {
      const paths = resolvePaths({ config: opts.config });
      const loaded = loadConfig(paths.config);
      const models = Object.values(loaded.providers).some((p) => p.type === 'onnx')
        ? await import('../guardrails/providers/onnx.js').then((m) =>
            m.checkOnnxProviders(loaded.file, loaded.providers),
          )
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
      const llm = llmValidateLines(loaded);
      for (const line of llm.listing) process.stdout.write(`${line}\n`);
      // A server whose reference cannot be resolved costs that server only (issue 17): a warning, in doctor's words.
      for (const u of loaded.unavailable) {
        process.stdout.write(`⚠ ${describeUnavailable(u)}\n`);
        if (u.problems[0]) process.stdout.write(`  fix: ${referenceFix(u.problems[0])}\n`);
      }
      // An AI provider likewise costs its deployments only (issue 20).
      for (const line of llm.warnings) process.stdout.write(`${line}\n`);
      if ((loaded.unavailable.length > 0 || llm.warnings.length > 0) && opts.strict === true)
        process.exitCode = EXIT.ERROR;
    });
  config
    .command('path')
    .description('print the config path that would be used')
    .addOption(configOption())
    .action((opts: GlobalOptions) => {
      process.stdout.write(`${resolvePaths({ config: opts.config }).config}\n`);
    });

  program
    .command('check')
    .description('run a policy’s guardrails offline on a text, a JSON tool call or a JSON tool result')
    .addOption(configOption())
    .option('-p, --policy <name>', 'the policy to use (default: the config’s defaultPolicy, or the built-in one)')
    .option('-i, --input <file>', 'the text or JSON to check; - reads stdin', '-')
    .addOption(
      new Option('-w, --where <phase>', 'input (arguments) or output (tool result)')
        .choices(['input', 'output', 'auto'])
        .default('auto'),
    )
    .option('--json', 'print the outcome as JSON')
    .action(
      async (
        opts: GlobalOptions & { policy?: string; input: string; where: 'input' | 'output' | 'auto'; json?: boolean },
      ) => {
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
          if (!(error instanceof GatewayError && error.code === 'CONFIG_MISSING') || opts.config !== undefined)
            throw error;
        }
        const name = opts.policy ?? fallback;
        const policy = policies[name];
        if (!policy)
          throw new CommanderError(
            2,
            'smg.policy',
            `no policy named "${name}" (known: ${Object.keys(policies).join(', ')})`,
          );
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
      },
    );

  const tools = program.command('tools').description('the upstream tools, as the gateway sees them, and their pins');
  tools
    .command('list')
    .description(
      'connect to the upstreams and show each tool: its pin state and hash, whether it is hidden and why, its findings, and for each argument its kind and its check',
    )
    .addOption(configOption())
    .option('-s, --server <name>', 'only this server')
    .option('--json', 'print the listing as JSON')
    .action(async (opts: GlobalOptions & { server?: string; json?: boolean }) => {
      const { paths, loaded } = load(opts);
      const { listTools, formatTools } = await import('./tools.js');
      const views = await listTools(loaded, paths, opts.server, quietLogger());
      process.stdout.write(opts.json ? `${JSON.stringify(views, null, 2)}\n` : `${formatTools(views)}\n`);
      if (views.some((v) => v.error)) process.exitCode = EXIT.ERROR;
    });
  tools
    .command('diff')
    .description(
      'a unified diff of the pinned definition against the live one; exits like diff(1): 0 same, 1 different, 2 trouble',
    )
    .argument('<target>', 'SERVER (every new, changed or removed tool) or SERVER/TOOL')
    .addOption(configOption())
    .action(async (target: string, opts: GlobalOptions) => {
      const { paths, loaded } = load(opts);
      const { diffTools } = await import('./pins.js');
      const d = await diffTools(loaded, paths, target, quietLogger()).catch((error: unknown) => {
        throw asTrouble(error);
      });
      process.stdout.write(d.patch);
      process.stderr.write(`${d.summary}\n`);
      if (d.different > 0) process.exitCode = EXIT_DIFFERENT;
    });
  for (const verb of ['approve', 'revoke'] as const) {
    tools
      .command(verb)
      .description(
        verb === 'approve'
          ? 'trust the live definition of a tool (or of every tool of a server): new, changed and revoked tools become approved'
          : 'block a tool (or every tool of a server) whatever its definition, until it is approved again',
      )
      .argument('<target>', 'SERVER or SERVER/TOOL')
      .addOption(configOption())
      .option('--by <name>', 'who decides, recorded in the lockfile (default: the OS user)')
      .action(async (target: string, opts: GlobalOptions & { by?: string }) => {
        const { paths, loaded } = load(opts);
        const { changePins } = await import('./pins.js');
        const { currentUser } = await import('./catalogs.js');
        const lines = await changePins(verb, loaded, paths, target, opts.by ?? currentUser(), quietLogger());
        process.stdout.write(lines.length ? `${lines.join('\n')}\n` : `nothing to ${verb}\n`);
      });
  }
  tools
    .command('reset-pins')
    .description(
      'forget every shared pin on purpose (Redis state back end): the next lists are pinned on first use, and no gateway takes it for a lost pin store',
    )
    .addOption(configOption())
    .option('-y, --yes', 'really reset (required)')
    .action(async (opts: GlobalOptions & { yes?: boolean }) => {
      const { loaded } = load(opts);
      const { commandRedisStore } = await import('../state/create.js');
      const store = commandRedisStore(loaded.state);
      if (!store)
        throw new CommanderError(
          EXIT.USAGE,
          'smg.usage',
          'reset-pins resets the shared pins of the redis state back end; with the memory back end the pins are the lockfile: review it, or remove it to pin on first use again',
        );
      if (opts.yes !== true) {
        await store.close();
        throw new CommanderError(
          EXIT.USAGE,
          'smg.usage',
          `this forgets every pin and approval at ${store.where}; add --yes`,
        );
      }
      const { resetSharedPins } = await import('../state/pins.js');
      try {
        await resetSharedPins(store);
      } finally {
        await store.close();
      }
      process.stdout.write(
        `reset the shared pins at ${store.where} (prefix ${store.keyPrefix}); tools are pinned on first use again\n`,
      );
    });
  tools
    .command('sign')
    .description('sign the live tool hashes of a server with an Ed25519 private key, into its manifest')
    .requiredOption('-s, --server <name>', 'the server to sign')
    .requiredOption('-k, --key <file>', 'the Ed25519 private key (PEM)')
    .option('-o, --out <file>', 'where to write (default: servers.S.integrity.manifest, else <home>/manifests/S.json)')
    .addOption(configOption())
    .action(async (opts: GlobalOptions & { server: string; key: string; out?: string }) => {
      const { paths, loaded } = load(opts);
      const { signTools } = await import('./sign.js');
      const lines = await signTools(loaded, paths, opts, quietLogger());
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  tools
    .command('verify')
    .description(
      'check each signed manifest against servers.S.integrity.publicKey, offline; --live also checks the live tools',
    )
    .option('-s, --server <name>', 'only this server (default: every server with a public key)')
    .option('--live', 'also connect and check every live tool against the manifest')
    .addOption(configOption())
    .action(async (opts: GlobalOptions & { server?: string; live?: boolean }) => {
      const { paths, loaded } = load(opts);
      const { verifyTools } = await import('./sign.js');
      const v = await verifyTools(loaded, paths, opts, quietLogger());
      process.stdout.write(`${v.lines.join('\n')}\n`);
      if (v.unreachable.length > 0) process.exitCode = EXIT.ERROR;
      else if (v.failed) process.exitCode = EXIT.INTEGRITY;
    });

  program
    .command('scan')
    .description(
      'scan the configured servers (or --server S, or the server given after --) for poisoned tools, changed pins and unpinned launchers',
    )
    .argument('[command...]', 'a server to scan instead of the configured ones: -- command args…')
    .addOption(configOption())
    .option('-s, --server <name>', 'only this configured server')
    .option('--json', 'print the report as JSON')
    .option('--clients', 'instead: every MCP client config on this machine, for servers that bypass the gateway')
    .addOption(
      new Option('--fail-on <severity>', `exit ${EXIT.INTEGRITY} when a finding is at or above this severity`)
        .choices(SEVERITIES)
        .default('high'),
    )
    // The inline command's own options (node --import tsx …) belong to it, not to scan.
    .passThroughOptions()
    .action(
      async (
        command: string[],
        opts: GlobalOptions & { server?: string; json?: boolean; clients?: boolean; failOn: Severity },
      ) => {
        if (opts.clients) {
          if (command.length > 0 || opts.server !== undefined)
            throw new CommanderError(EXIT.USAGE, 'smg.scan', '--clients scans client configs; it takes no server');
          const { scanClients, formatClientsScan } = await import('./scan-clients.js');
          // The gateway config tells a server the gateway runs too (pin it there) from one that bypasses it.
          const r = await scanClients({}, opts.failOn, { gatewayConfig: resolvePaths({ config: opts.config }).config });
          process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatClientsScan(r)}\n`);
          process.exitCode = r.failed ? EXIT.INTEGRITY : EXIT.OK;
          return;
        }
        if (command.length > 0 && opts.server !== undefined)
          throw new CommanderError(EXIT.USAGE, 'smg.scan', 'give either --server or a command after --, not both');
        const paths = resolvePaths({ config: opts.config });
        let loaded: LoadedConfig | undefined;
        try {
          loaded = loadConfig(paths.config);
        } catch (error) {
          // An inline server needs no config; the config only adds neighbours and the pinning mode.
          if (!(error instanceof GatewayError && error.code === 'CONFIG_MISSING' && command.length > 0)) throw error;
        }
        const { runScan, formatScan } = await import('./scan.js');
        const r = await runScan(
          loaded,
          paths,
          { ...(opts.server === undefined ? {} : { only: opts.server }), inline: command, failOn: opts.failOn },
          quietLogger(),
        );
        process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatScan(r)}\n`);
        process.exitCode = r.unreachable.length > 0 ? EXIT.ERROR : r.failed ? EXIT.INTEGRITY : EXIT.OK;
      },
    );

  program
    .command('init')
    .description(
      'create <home> (0700) and its config, importing the MCP servers of every detected client; inline keys move to the credential vault',
    )
    .option('-y, --yes', 'do not ask before writing')
    .option('--dry-run', 'print the plan, write nothing')
    .addOption(configOption())
    .option(
      '--with-key <email>',
      'use gateway identities: add this user to a "default" project of every server and create their gateway key (install puts it in each client entry); default: solo mode, no key',
    )
    .action(async (opts: GlobalOptions & { yes?: boolean; dryRun?: boolean; withKey?: string }) => {
      const { runInit } = await import('./onboard.js');
      const lines = await runInit(resolvePaths({ config: opts.config }), {
        yes: opts.yes === true,
        dryRun: opts.dryRun === true,
        catalog: {},
        ...(opts.withKey !== undefined ? { withKey: opts.withKey } : {}),
      });
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  for (const verb of ['install', 'uninstall'] as const) {
    const cmd = program
      .command(verb)
      .description(
        verb === 'install'
          ? 'make the gateway the MCP server of a client (its servers move into the gateway config); backup first, atomic, idempotent'
          : 'put back the MCP servers a client had before install (every file install recorded for it)',
      )
      .option('--client <name>', `the client: ${CLIENT_IDS.join(', ')}`)
      .option('--all', verb === 'install' ? 'every client found on this machine' : 'every client install changed');
    // Each verb lists only its own options (issue 17, 9c): --command is install's alone. uninstall handles every file
    // install recorded, project files of other folders included; it takes --project so that the command a user
    // mirrors from install still runs, and says it changes nothing.
    if (verb === 'install')
      cmd
        .option(
          '--project',
          'also the project files in the current folder (.cursor/mcp.json, .vscode/mcp.json, .mcp.json, …)',
        )
        .option(
          '--command <command>',
          'the command the client runs (default: this node and this package’s bin script, by absolute path)',
        );
    else
      cmd.option(
        '--project',
        'changes nothing: uninstall always handles every file install recorded, project files included',
      );
    cmd
      .option('--dry-run', 'print what would change, write nothing')
      .addOption(configOption())
      .action(
        async (
          opts: GlobalOptions & {
            client?: string;
            all?: boolean;
            project?: boolean;
            dryRun?: boolean;
            command?: string;
          },
        ) => {
          const { runInstall, runUninstall } = await import('./onboard.js');
          const o = {
            yes: true,
            dryRun: opts.dryRun === true,
            all: opts.all === true,
            project: opts.project === true,
            catalog: {},
            ...(opts.client === undefined ? {} : { client: opts.client }),
            ...(opts.command === undefined ? {} : { command: opts.command }),
          };
          if (o.all === (opts.client !== undefined))
            throw new CommanderError(EXIT.USAGE, 'smg.client', 'give either --client NAME or --all');
          // A mistyped client id is a bad command line (exit 2), with the nearest id when one is close.
          if (opts.client !== undefined && !isClientId(opts.client))
            throw new CommanderError(EXIT.USAGE, 'smg.client', unknownClientMessage(opts.client));
          const paths = resolvePaths({ config: opts.config });
          const lines = verb === 'install' ? await runInstall(paths, o) : runUninstall(paths, o);
          process.stdout.write(`${lines.join('\n')}\n`);
        },
      );
  }
  program
    .command('doctor')
    .description(
      'check the config, references, permissions, the credential vault, identity and gateway key, Redis, the audit log, upstreams, pins, providers, judges and clients; exit 0 ok, 1 warnings (--strict), 2 failures',
    )
    .addOption(configOption())
    .option('--json', 'print the results as JSON')
    .option('--strict', 'exit 1 when a check warns')
    .action(async (opts: GlobalOptions & { json?: boolean; strict?: boolean }) => {
      const { DOCTOR_CHECKS } = await import('./doctor/checks/index.js');
      const { createDoctorContext } = await import('./doctor/context.js');
      const { runDoctor, summary, exitCode, ttyProgress } = await import('./doctor/run.js');
      const ctx = createDoctorContext({
        paths: resolvePaths({ config: opts.config }),
        env: process.env,
        catalog: {},
        log: quietLogger(),
      });
      const out = opts.json
        ? undefined
        : {
            write: (t: string) => void process.stdout.write(t),
            ...(process.stdout.isTTY ? { progress: ttyProgress(process.stdout) } : {}),
          };
      const report = await runDoctor(DOCTOR_CHECKS, ctx, out);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
      process.exitCode = exitCode(report, opts.strict === true);
    });

  program.addCommand(auditCommand());
  program.addCommand(secretsCommand());
  program.addCommand(authCommand());

  program
    .command('cache')
    .description('the discovery cache under <home>/cache/')
    .command('clear')
    .description(
      'remove every cached tool list (and, with the Redis state back end, the configured servers’ shared ones)',
    )
    .addOption(configOption())
    .action(async (opts: GlobalOptions) => {
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
    });

  addIdentityCommands(program, configOption);

  return program;
}
