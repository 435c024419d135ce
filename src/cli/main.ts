/**
 * The command line, run by bin.ts (the built entry; apart so that a test can build the program without running
 * it). commander only: each command calls into the modules and every failure leaves through one
 * sink, `fail()`, with a documented exit code (see EXIT below and docs/cli.md). In `start` mode stdout belongs to
 * MCP, so nothing here writes to stdout except the commands that are not `start`.
 * Every command loads its modules inside its action (`import()`): building the program loads commander and a few
 * constants, so `--version`, `--help` and a usage error answer at once, and `start` loads the gateway only
 * (issue 21; cli/startup.test.ts holds the graph lean).
 */
import { Command, CommanderError, Option } from 'commander';
import { CLIENT_IDS, isClientId, unknownClientMessage } from '../clients/catalog.js';
import { resolvePaths } from '../config/paths.js';
import { GatewayError, messageOf } from '../errors.js';
import { SEVERITIES, type Severity } from '../integrity/findings.js';
import { LOG_LEVELS } from '../log-levels.js';
import { addIdentityCommands } from './identity-commands.js';
import { VERSION } from '../version.js';
import { auditCommand } from './audit.js';
import { secretsCommand } from './secrets.js';
import { authCommand } from './auth.js';
import { EXIT } from './exit.js';
import type { CheckCliOptions, GlobalOptions, ServeCliOptions } from './run.js';

export { EXIT } from './exit.js';

/** The half of the CLI that loads the config, the logger and the gateway: loaded by the action that needs it. */
const run = () => import('./run.js');

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

/** For `tools diff`: any failure but a config problem is "trouble", as diff(1) has it. */
function asTrouble(error: unknown): unknown {
  if (error instanceof GatewayError && (error.code === 'CONFIG_MISSING' || error.code === 'CONFIG_INVALID'))
    return error;
  return new CommanderError(EXIT_TROUBLE, 'smg.trouble', messageOf(error));
}

function configOption() {
  return new Option('-c, --config <path>', 'config file (default: $SMG_CONFIG, else <home>/config.json)');
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
    .action(async (opts: GlobalOptions & { logLevel?: string }) => (await run()).start(opts));

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
      .action(async (opts: ServeCliOptions) => (await run()).serve(only ? { ...opts, only } : opts));
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
    .action(async (opts: GlobalOptions & { strict?: boolean }) => (await run()).validateConfig(opts));
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
    .action(async (opts: CheckCliOptions) => (await run()).check(opts));

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
      const r = await run();
      const { paths, loaded } = r.load(opts);
      const { listTools, formatTools } = await import('./tools.js');
      const views = await listTools(loaded, paths, opts.server, r.quietLogger());
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
      const r = await run();
      const { paths, loaded } = r.load(opts);
      const { diffTools } = await import('./pins.js');
      const d = await diffTools(loaded, paths, target, r.quietLogger()).catch((error: unknown) => {
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
        const r = await run();
        const { paths, loaded } = r.load(opts);
        const { changePins } = await import('./pins.js');
        const { currentUser } = await import('./catalogs.js');
        const lines = await changePins(verb, loaded, paths, target, opts.by ?? currentUser(), r.quietLogger());
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
      const r = await run();
      const { loaded } = r.load(opts);
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
      const r = await run();
      const { paths, loaded } = r.load(opts);
      const { signTools } = await import('./sign.js');
      const lines = await signTools(loaded, paths, opts, r.quietLogger());
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
      const r = await run();
      const { paths, loaded } = r.load(opts);
      const { verifyTools } = await import('./sign.js');
      const v = await verifyTools(loaded, paths, opts, r.quietLogger());
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
        const { loadConfig, quietLogger } = await run();
        let loaded: ReturnType<typeof loadConfig> | undefined;
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
      const { quietLogger } = await run();
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
    .action(async (opts: GlobalOptions) => (await run()).clearCache(opts));

  addIdentityCommands(program, configOption);

  return program;
}
