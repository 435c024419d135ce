#!/usr/bin/env node
/**
 * The command line. commander only: each command calls into the modules and every failure leaves through one
 * sink, `fail()`, with a documented exit code (see EXIT below and docs/cli.md). In `start` mode stdout belongs to
 * MCP, so nothing here writes to stdout except the commands that are not `start`.
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../config/load.js';
import { DEFAULT_POLICY, type Policy } from '../config/schema.js';
import { EXIT_BLOCKED, formatOutcome, readInput, runCheck } from './check.js';
import { resolvePaths, type GatewayPaths } from '../config/paths.js';
import { GatewayError, messageOf } from '../errors.js';
import { createLogger, flushLogger, LOG_LEVELS, type Logger } from '../log.js';
import { Gateway } from '../server/gateway.js';
import { GatewayStdioServerTransport } from '../server/stdio-transport.js';
import { DiscoveryCache } from '../upstream/discovery-cache.js';
import { VERSION } from '../version.js';

/** Exit codes. 0 is success; a clean shutdown on stdin EOF or a signal is success too. */
export const EXIT = {
  OK: 0,
  ERROR: 1, // an unexpected failure
  USAGE: 2, // bad command line
  CONFIG_MISSING: 3,
  CONFIG_INVALID: 4,
  BLOCKED: EXIT_BLOCKED, // `check`: the policy blocks the input
} as const;

function fail(error: unknown): never {
  if (error instanceof CommanderError) {
    // commander has printed its own errors; ours (code smg.*) are printed here.
    if (error.code.startsWith('smg.')) process.stderr.write(`secure-mcp-gateway: ${error.message}\n`);
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

function configOption() {
  return new Option('-c, --config <path>', 'config file (default: $SMG_CONFIG, else <home>/config.json)');
}

async function start(opts: GlobalOptions & { logLevel?: string }): Promise<void> {
  const paths = resolvePaths({ config: opts.config });
  const loaded = loadConfig(paths.config);
  const level = (opts.logLevel ?? process.env.SMG_LOG_LEVEL ?? loaded.config.log.level) as (typeof LOG_LEVELS)[number];
  const file = loaded.config.log.file;
  const log = createLogger({
    level,
    file: file === false ? undefined : file === true ? paths.logFile : file,
  });
  const cache = cacheFor(paths, loaded.config.cache, log);
  const gateway = new Gateway({ loaded, log, cache });
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
  await flushLogger(log);
  process.exit(exitCode);
}

function cacheFor(paths: GatewayPaths, cfg: { enabled: boolean; ttlMs: number }, log: Logger): DiscoveryCache {
  return new DiscoveryCache({ dir: paths.cacheDir, ttlMs: cfg.ttlMs, enabled: cfg.enabled, log });
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

  const config = program.command('config').description('work with the config file');
  config
    .command('validate')
    .description(
      'check the config file: schema, references, policies, local models; prints the servers and models it defines',
    )
    .addOption(configOption())
    .action(async (opts: GlobalOptions) => {
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
          : 'disabled';
        process.stdout.write(`  ${name.padEnd(20)} ${what}\n`);
      }
      for (const [name, summary] of models) process.stdout.write(`  ${name.padEnd(20)} onnx: ${summary}\n`);
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
        let fallback = 'default';
        try {
          const loaded = loadConfig(paths.config);
          policies = loaded.policies;
          providers = loaded.providers;
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
        const o = await runCheck({ text: readInput(opts.input), where: opts.where, policy, providers });
        process.stdout.write(opts.json ? `${JSON.stringify(o)}\n` : `${formatOutcome(o)}\n`);
        if (o.blocked) process.exitCode = EXIT_BLOCKED;
      },
    );

  program
    .command('tools')
    .description('the upstream tools, as the gateway sees them')
    .command('list')
    .description('connect to the upstreams and show each tool, and for each argument its kind and its check')
    .addOption(configOption())
    .option('-s, --server <name>', 'only this server')
    .option('--json', 'print the listing as JSON')
    .action(async (opts: GlobalOptions & { server?: string; json?: boolean }) => {
      const loaded = loadConfig(resolvePaths({ config: opts.config }).config);
      const { listTools, formatTools } = await import('./tools.js');
      const views = await listTools(loaded, opts.server, createLogger({ level: 'warn' }));
      process.stdout.write(opts.json ? `${JSON.stringify(views, null, 2)}\n` : `${formatTools(views)}\n`);
      if (views.some((v) => v.error)) process.exitCode = EXIT.ERROR;
    });

  program
    .command('cache')
    .description('the discovery cache under <home>/cache/')
    .command('clear')
    .description('remove every cached tool list')
    .action(() => {
      const paths = resolvePaths();
      const cache = new DiscoveryCache({
        dir: paths.cacheDir,
        ttlMs: 0,
        enabled: true,
        log: createLogger({ level: 'warn' }),
      });
      const n = cache.clear();
      process.stdout.write(`removed ${n} cache file${n === 1 ? '' : 's'} from ${paths.cacheDir}\n`);
    });

  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => fail(error));
