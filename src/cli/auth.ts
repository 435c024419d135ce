/**
 * `auth login|status|logout`: OAuth sign-in to remote MCP servers (issue 18 item 1; the work is in src/oauth/).
 * Output: results on stdout, the authorization URL on stderr ("Open this URL to sign in: …"), never a token.
 * Exit codes: 0 done, 1 the sign-in or the vault failed, 2 an unknown server or a bad option, 3/4 the config.
 */
import { Command, CommanderError, Option } from 'commander';
import type { LoadedConfig, ResolvedServer } from '../config/load.js';
import { resolvePaths } from '../config/paths.js';

interface Opts {
  config?: string;
}

function configOption(): Option {
  return new Option('-c, --config <path>', 'config file (default: $SMG_CONFIG, else <home>/config.json)');
}

/** `serve` keeps each user's tokens apart (`oauth:<server>:<user>`): the user whose sign-in this is. */
function userOption(): Option {
  return new Option('--user <email>', '`serve`: the user whose sign-in this is (default: the local one)');
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The named server of the config, or a usage error that says which servers there are. */
function serverNamed(
  loaded: LoadedConfig,
  name: string,
  describeUnavailable: (u: LoadedConfig['unavailable'][number]) => string,
): ResolvedServer {
  const server = loaded.servers.find((s) => s.name === name);
  if (server) return server;
  const unavailable = loaded.unavailable.find((u) => u.name === name);
  if (unavailable) throw new CommanderError(1, 'smg.auth', describeUnavailable(unavailable));
  const remote = loaded.servers.filter((s) => s.kind === 'remote' && s.oauth !== false).map((s) => s.name);
  throw new CommanderError(
    2,
    'smg.auth',
    `no enabled server named "${name}" in ${loaded.file} (remote servers that may use OAuth: ${remote.join(', ') || 'none'})`,
  );
}

async function context(opts: Opts) {
  const paths = resolvePaths({ config: opts.config });
  // Loaded here, not at import: the program is built at every start, `--version` included (issue 21).
  const { loadConfig, describeUnavailable } = await import('../config/load.js');
  const loaded = loadConfig(paths.config);
  const { openTokenStore } = await import('../oauth/store.js');
  return {
    loaded,
    store: () => openTokenStore({ home: paths.home, env: process.env }),
    named: (name: string) => serverNamed(loaded, name, describeUnavailable),
  };
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new CommanderError(2, 'smg.auth', `--timeout: expected seconds between 1 and 86400, got "${v}"`);
  return n;
}

export function authCommand(): Command {
  const cmd = new Command('auth').description(
    'OAuth sign-in to remote MCP servers; tokens are kept in the credential vault, never printed',
  );
  cmd
    .command('login')
    .description(
      'sign in to a remote server: opens the authorization URL in $BROWSER or the system browser (and prints it to stderr), waits for the loopback redirect; client_credentials servers just fetch a token',
    )
    .argument('<server>', 'the server name in the config')
    .addOption(configOption())
    .option('--timeout <seconds>', 'how long to wait for the browser sign-in', seconds, 300)
    .addOption(userOption())
    .action(async (name: string, opts: Opts & { timeout: number; user?: string }) => {
      const { store, named } = await context(opts);
      const server = named(name);
      const { login } = await import('../oauth/login.js');
      const { describeStatus, formatDuration } = await import('../oauth/status.js');
      const status = await login({
        server,
        store: store(),
        env: process.env,
        timeoutMs: opts.timeout * 1000,
        ...(opts.user !== undefined ? { user: opts.user } : {}),
        announce: (url) => process.stderr.write(`Open this URL to sign in: ${url}\n`),
      });
      const expiry =
        status.expiresInS === undefined ? 'no expiry given' : `expires in ${formatDuration(status.expiresInS)}`;
      const scopes = status.scopes?.length ? `scopes ${status.scopes.join(' ')}` : 'no scopes';
      if (status.state !== 'signed-in')
        throw new CommanderError(1, 'smg.auth', `sign-in to ${name} ended ${describeStatus(status)}`);
      out(`signed in to ${name} (${expiry}, ${scopes})`);
    });
  cmd
    .command('status')
    .description(
      'each remote server’s sign-in: signed in / expired / refresh failing / not signed in, expiry, scopes, issuer',
    )
    .addOption(configOption())
    .option('--json', 'print the states as JSON')
    .addOption(userOption())
    .action(async (opts: Opts & { json?: boolean; user?: string }) => {
      const { loaded, store } = await context(opts);
      const { oauthStatuses } = await import('../oauth/status.js');
      const list = oauthStatuses(loaded, store(), Date.now(), opts.user);
      if (opts.json) {
        out(JSON.stringify(list, null, 2));
        return;
      }
      const { describeStatus } = await import('../oauth/status.js');
      if (list.length === 0) out('no remote server uses OAuth in this config');
      for (const s of list) out(`${s.server.padEnd(20)} ${describeStatus(s)}`);
    });
  cmd
    .command('logout')
    .description('revoke the server’s tokens where its authorization server supports it (RFC 7009), then forget them')
    .argument('<server>', 'the server name in the config')
    .addOption(configOption())
    .addOption(userOption())
    .action(async (name: string, opts: Opts & { user?: string }) => {
      const { store, named } = await context(opts);
      const server = named(name);
      const { logout } = await import('../oauth/login.js');
      const r = await logout({ server, store: store(), ...(opts.user !== undefined ? { user: opts.user } : {}) });
      if (!r.forgot) {
        out(`${name}: not signed in; nothing to forget`);
        return;
      }
      const revoked =
        r.revoked === 'yes'
          ? 'tokens revoked'
          : r.revoked === 'unsupported'
            ? 'the authorization server has no revocation endpoint'
            : r.revoked === 'nothing'
              ? 'no tokens to revoke'
              : `revocation failed: ${r.error ?? 'unknown error'}`;
      out(`signed out of ${name} (${revoked}; forgotten)`);
    });
  return cmd;
}
