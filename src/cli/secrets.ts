/**
 * The `secrets` command group (issue 18): list, set, rm and migrate the secrets of the credential vault (the OS
 * keychain, or the encrypted file where none answers; src/vault/open.ts). Values are never printed, and never
 * taken from the command line (where the shell history and the process list would keep them): `set` reads stdin,
 * with a prompt that does not echo when stdin is a terminal. Failure mode: a vault that cannot be read or written
 * exits 1 with the vault's own message (what to do); a usage mistake exits 2.
 */
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { resolvePaths } from '../config/paths.js';
import { SECRET_NAME } from '../vault/types.js';

const USAGE = 2;
const FAILURE = 1;

/** The vault is loaded by the command that uses it: the program is built at every start (issue 21). */
async function vaultFor(opts: { config?: string }) {
  const paths = resolvePaths({ config: opts.config });
  const { openVault } = await import('../vault/open.js');
  return { paths, vault: openVault({ home: paths.home, env: process.env }) };
}

function checkName(name: string): void {
  if (!SECRET_NAME.test(name))
    throw new CommanderError(
      USAGE,
      'smg.usage',
      `invalid secret name ${JSON.stringify(name)}: use letters, digits and _ . : / @ - (at most 200)`,
    );
}

/** A line typed at the terminal without echo; Ctrl-C or Ctrl-D abandons it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004')
          return done(new CommanderError(FAILURE, 'smg.cancelled', 'cancelled: nothing was stored'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The value: typed (no echo) at a terminal, else all of stdin less one trailing newline. */
async function readValue(name: string): Promise<string> {
  const value = process.stdin.isTTY
    ? await promptHidden(`Value for ${name} (input hidden): `)
    : fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (value === '') throw new CommanderError(USAGE, 'smg.usage', `empty value: nothing was stored for ${name}`);
  return value;
}

export function secretsCommand(): Command {
  const secrets = new Command('secrets').description(
    'the credential vault: the OS keychain, else an encrypted file (SMG_VAULT=auto|keychain|file)',
  );
  const configOption = (c: Command) =>
    c.option('-c, --config <path>', 'config file (default: $SMG_CONFIG, else <home>/config.json)');

  configOption(secrets.command('list'))
    .description('print the backend and the name of every secret (never a value)')
    .option('--json', 'print {backend, where, names} as JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const { vault } = await vaultFor(opts);
      const names = vault.list();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ backend: vault.kind, where: vault.where, names })}\n`);
        return;
      }
      process.stdout.write(`vault: ${vault.kind}, ${vault.where} (${vault.reason})\n`);
      for (const n of names) process.stdout.write(`  ${n}\n`);
      if (names.length === 0) process.stdout.write('  (no secrets)\n');
    });

  configOption(secrets.command('set'))
    .description('store a secret; the value is read from stdin (typed without echo at a terminal, or piped)')
    .argument('<name>', 'the secret name, used as ${keychain:NAME} in the config')
    .argument('[value]', 'refused: a value on the command line stays in the shell history')
    .action(async (name: string, value: string | undefined, opts: { config?: string }) => {
      if (value !== undefined)
        throw new CommanderError(
          USAGE,
          'smg.usage',
          'refusing a value on the command line (the shell history and the process list would keep it): ' +
            `pipe it (\`printf %s "$TOKEN" | secure-mcp-gateway secrets set ${name}\`) or type it at the prompt`,
        );
      checkName(name);
      const { vault } = await vaultFor(opts);
      vault.set(name, await readValue(name));
      process.stdout.write(`stored ${name} in ${vault.where}; use it in the config as \${keychain:${name}}\n`);
    });

  configOption(secrets.command('rm'))
    .description('remove a secret')
    .argument('<name>')
    .action(async (name: string, opts: { config?: string }) => {
      checkName(name);
      const { vault } = await vaultFor(opts);
      if (!vault.delete(name)) throw new CommanderError(FAILURE, 'smg.missing', `no secret ${name} in ${vault.where}`);
      process.stdout.write(`removed ${name} from ${vault.where}\n`);
    });

  configOption(secrets.command('migrate'))
    .description(
      'move every ${file:<home>/secrets/X.env#KEY} reference of the config into the vault as ${keychain:X.KEY}',
    )
    .option('--dry-run', 'print what would move; change nothing')
    .action(async (opts: { config?: string; dryRun?: boolean }) => {
      const { paths, vault } = await vaultFor(opts);
      const { formatPath, readConfigText } = await import('../config/load.js');
      const { applyMigration, planMigration } = await import('../vault/migrate.js');
      const text = readConfigText(paths.config);
      const base = { configFile: paths.config, home: paths.home, env: process.env, vault };
      const plan = planMigration({ ...base, text });
      const verb = opts.dryRun ? 'would move' : 'moved';
      for (const m of plan.moves)
        process.stdout.write(`${verb} ${formatPath(m.at)}: ${m.ref} → \${keychain:${m.name}}\n`);
      for (const s of plan.skipped) process.stdout.write(`⚠ not moved ${formatPath(s.at)}: ${s.ref}: ${s.why}\n`);
      if (plan.configText === undefined) {
        process.stdout.write(`nothing to move: the config has no \${file:${paths.home}/secrets/…#KEY} reference\n`);
      } else if (!opts.dryRun) {
        const { backup } = applyMigration(plan, base);
        process.stdout.write(`${paths.config}: rewritten (backup: ${backup})\n`);
        for (const [file, next] of plan.envFiles)
          process.stdout.write(next === null ? `removed ${file}\n` : `${file}: moved keys removed\n`);
        process.stdout.write(`the secrets are in ${vault.where}\n`);
      }
      if (plan.skipped.length > 0) process.exitCode = FAILURE;
    });

  return secrets;
}
