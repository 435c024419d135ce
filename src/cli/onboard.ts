/**
 * `init`, `install` and `uninstall` (issue 8): the commands around src/clients/. `init` creates the home folder and
 * imports every detected client's servers into the gateway config; `install --client X` imports X's servers too and
 * then makes the gateway X's only MCP server; `uninstall` puts X's servers back. Each prints what it did (or, with
 * --dry-run, what it would do) and the next step.
 *
 * Failure mode: any error before the writes leaves every file as it was; `install` writes the gateway config (the
 * imported servers) before it edits the client file, so a failure in between loses nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import type { GatewayPaths } from '../config/paths.js';
import { CLIENT_IDS, type CatalogOptions, type ClientInfo } from '../clients/catalog.js';
import { detectClients, isReadable, type DetectedClient } from '../clients/detect.js';
import type { GatewayLaunch } from '../clients/entries.js';
import { applyImport, planImport, type ImportPaths, type ImportPlan } from '../clients/import-servers.js';
import { installFile, readState, uninstallFile, type FileChange } from '../clients/install.js';
import { GatewayError } from '../errors.js';
import { EMAIL_PATTERN } from '../identity/config-schema.js';
import { openVault } from '../vault/open.js';
import { addToLocalProject, readLocalKey, setUpLocalIdentity } from './local-identity.js';

export interface OnboardOptions {
  dryRun: boolean;
  yes: boolean;
  catalog: CatalogOptions;
  /** init: the local user's email, to use gateway identities with a key instead of solo mode (local-identity.ts). */
  withKey?: string;
}

/** The package folder: bin/secure-mcp-gateway.js is one level down. */
function packageRoot(): string | undefined {
  const script = process.argv[1];
  if (script === undefined) return undefined;
  try {
    return path.dirname(path.dirname(fs.realpathSync(script)));
  } catch {
    return undefined;
  }
}

export function importPaths(paths: GatewayPaths): ImportPaths {
  const root = packageRoot();
  const schema = root && path.join(root, 'config', 'schema.json');
  // A file: URL, which editors resolve on every system (a bare Windows path is not a URL).
  return {
    home: paths.home,
    config: paths.config,
    ...(schema && fs.existsSync(schema) ? { schema: pathToFileURL(schema).href } : {}),
    // Inline keys go to the credential vault (issue 18); it is opened only when there is one.
    vault: () => openVault({ home: paths.home, env: process.env }),
  };
}

/**
 * What a client runs: this node and this package's bin script, by absolute path, because GUI clients (Claude
 * Desktop on macOS) do not see the shell's PATH; or `--command`, e.g. `secure-mcp-gateway` when it is on PATH.
 * SMG_HOME and SMG_CONFIG pin the gateway to this config whatever the client's environment is; SMG_GATEWAY_KEY is
 * the local user's key when `init --with-key` made one.
 */
export function gatewayLaunch(paths: GatewayPaths, command?: string): GatewayLaunch {
  const key = readLocalKey(paths.home);
  const env: Record<string, string> = {
    SMG_HOME: paths.home,
    SMG_CONFIG: paths.config,
    ...(key !== undefined ? { SMG_GATEWAY_KEY: key } : {}),
  };
  if (command !== undefined) {
    // A command line, split on spaces: "secure-mcp-gateway", or "npx -y secure-mcp-gateway@0.1.0".
    const [cmd, ...args] = command.trim().split(/\s+/);
    if (cmd === undefined || cmd === '') throw new Error('--command is empty');
    return { command: cmd, args: [...args, 'start'], env };
  }
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot tell where the gateway is installed; pass --command');
  return { command: process.execPath, args: [fs.realpathSync(script), 'start'], env };
}

function describeImport(plan: ImportPlan, paths: ImportPaths): string[] {
  const lines: string[] = [];
  for (const s of plan.servers) {
    const where = `${s.client.name} ${s.from.name}`;
    if (s.status === 'new')
      lines.push(
        `import   ${where} → servers.${s.name}${s.from.disabled || s.from.unresolved.length ? ' (disabled)' : ''}${s.note ? ` (${s.note})` : ''}`,
      );
    else if (s.status === 'present') lines.push(`present  ${where} = servers.${s.name}`);
    else if (s.status === 'updated')
      lines.push(`update   ${where} = servers.${s.name}: new key values for ${s.moved.join(', ')}`);
    else lines.push(`skip     ${where}: ${s.note ?? ''}`);
    if (s.moved.length && s.status === 'new')
      lines.push(
        paths.vault
          ? `         moved ${s.moved.join(', ')} to the credential vault as ${s.name}.<KEY> (\${keychain:…} references)`
          : `         moved ${s.moved.join(', ')} to ${path.join(path.dirname(paths.config), 'secrets', `${s.name}.env`)} (0600)`,
      );
    for (const u of new Set(s.from.unresolved)) if (s.status === 'new') lines.push(`         needs a value: ${u}`);
    if (s.sandbox !== undefined && s.status === 'new') lines.push(`         ${s.sandbox}`);
  }
  if (plan.configText !== undefined) lines.push(`${plan.configExists ? 'update' : 'create'}   ${paths.config}`);
  return lines;
}

async function confirm(question: string, opts: OnboardOptions): Promise<boolean> {
  if (opts.yes || opts.dryRun) return true;
  if (!process.stdin.isTTY) throw new Error('not a terminal: pass --yes to go ahead, or --dry-run to see the plan');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * The interactive question (a terminal, no --yes): solo mode, or identities with a key for this email. Solo is
 * the default answer.
 */
async function askForIdentity(opts: OnboardOptions): Promise<string | undefined> {
  if (opts.yes || opts.dryRun || !process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      'Use gateway identities (a key per user and project) instead of solo mode? Your email, or Enter for solo: ',
    );
    return answer.trim() === '' ? undefined : answer.trim();
  } finally {
    rl.close();
  }
}

function sources(clients: readonly DetectedClient[]) {
  return clients.map((c) => ({ client: c.client, servers: c.files.filter(isReadable).flatMap((f) => f.servers) }));
}

export async function runInit(paths: GatewayPaths, opts: OnboardOptions): Promise<string[]> {
  const ip = importPaths(paths);
  const clients = detectClients(opts.catalog).filter((c) => c.installed);
  const plan = planImport(sources(clients), ip, homeOf(opts.catalog));
  const out: string[] = [];
  out.push(fs.existsSync(paths.home) ? `home     ${paths.home}` : `create   ${paths.home} (0700)`);
  out.push(
    clients.length
      ? `clients  ${clients
          .map(
            (c) =>
              `${c.client.name} (${plural(
                c.files.filter(isReadable).reduce((n, f) => n + f.servers.length, 0),
                'server',
              )})`,
          )
          .join(', ')}`
      : 'clients  none found',
  );
  for (const c of clients) for (const f of c.files) if (!isReadable(f)) out.push(`skip     ${f.error}`);
  out.push(...describeImport(plan, ip));
  const withKey = opts.withKey ?? (await askForIdentity(opts));
  // Checked before anything is written.
  if (withKey !== undefined && !EMAIL_PATTERN.test(withKey))
    throw new GatewayError('CONFIG_INVALID', `--with-key: "${withKey}" is not an email address`);
  if (withKey !== undefined) out.push(`identity ${withKey}: a gateway key, project default (init --with-key)`);
  if (opts.dryRun) return [...out, '', 'dry run: nothing was written'];
  // Run again with nothing new: say so, and do not ask.
  if (
    plan.configText === undefined &&
    plan.secrets.size === 0 &&
    plan.vaultSecrets.size === 0 &&
    fs.existsSync(paths.home) &&
    withKey === undefined
  )
    return [...out, '', 'nothing to change: every client server is already in the gateway config'];
  if (!(await confirm('Write these changes?', opts))) return [...out, '', 'cancelled: nothing was written'];
  applyImport(plan, ip);
  if (withKey !== undefined) {
    // An existing home with nothing to import may have no config yet: the identity needs one to live in.
    if (!fs.existsSync(paths.config)) fs.writeFileSync(paths.config, '{\n  "servers": {}\n}\n', { mode: 0o600 });
    out.push(...setUpLocalIdentity(paths, withKey));
  }
  const next = clients.find((c) => c.files.some((f) => isReadable(f) && f.servers.length > 0)) ?? clients[0];
  out.push(
    '',
    'done.',
    `next: secure-mcp-gateway install --client ${next?.client.id ?? '<client>'}   (or --all), then secure-mcp-gateway doctor`,
  );
  return out;
}

function homeOf(catalog: CatalogOptions): string {
  const env = catalog.env ?? process.env;
  return (catalog.platform === 'win32' ? (env.USERPROFILE ?? env.HOME) : env.HOME) ?? '';
}

export interface InstallOptions extends OnboardOptions {
  client?: string;
  all: boolean;
  /** Project-scope files too (.cursor/mcp.json, .vscode/mcp.json, .mcp.json, .zed/settings.json). */
  project: boolean;
  command?: string;
}

function targets(opts: InstallOptions): DetectedClient[] {
  if (opts.all === (opts.client !== undefined))
    throw new Error(`give either --client NAME (${CLIENT_IDS.join(', ')}) or --all`);
  const all = detectClients(opts.catalog);
  if (opts.all) return all.filter((c) => c.installed);
  const one = all.find((c) => c.client.id === opts.client);
  if (!one) throw new Error(`unknown client "${opts.client}" (known: ${CLIENT_IDS.join(', ')})`);
  return [one];
}

function filesOf(c: DetectedClient, project: boolean): string[] {
  return c.client.files.filter((f) => f.scope === 'user' || (project && fs.existsSync(f.path))).map((f) => f.path);
}

function describeChange(client: ClientInfo, ch: FileChange, dryRun: boolean): string[] {
  const verb: Record<FileChange['action'], string> = {
    install: dryRun ? 'would install into' : 'installed into',
    update: dryRun ? 'would update' : 'updated',
    unchanged: 'already installed in',
    restore: dryRun ? 'would restore' : 'restored',
    edit: dryRun ? 'would edit' : 'edited',
    remove: dryRun ? 'would remove' : 'removed',
    'not-installed': 'not installed in',
  };
  const lines = [`${client.name}: ${verb[ch.action]} ${ch.file}`];
  if (ch.entries.length)
    lines.push(
      `  ${ch.action === 'install' || ch.action === 'update' ? 'moved into the gateway' : 'entries back'}: ${ch.entries.join(', ')}`,
    );
  if (ch.backup !== undefined) lines.push(`  ${ch.action === 'restore' ? 'from' : 'backup'}: ${ch.backup}`);
  // Only what install writes is shown: the gateway entry, never keys. An uninstall would print the client's own
  // entries back, inline keys included, so it lists their names only.
  if (dryRun && ch.text !== undefined && (ch.action === 'install' || ch.action === 'update'))
    lines.push(
      ...ch.text
        // The entry carries the local user's gateway key (init --with-key): show its id, never its secret.
        .replace(/\b(smg_[0-9a-f]{16}_)[A-Za-z0-9_-]{43}\b/g, '$1…')
        .trimEnd()
        .split('\n')
        .map((l) => `  | ${l}`),
    );
  return lines;
}

export async function runInstall(paths: GatewayPaths, opts: InstallOptions): Promise<string[]> {
  const ip = importPaths(paths);
  const chosen = targets(opts);
  if (chosen.length === 0) return ['no MCP client found on this machine'];
  const launch = gatewayLaunch(paths, opts.command);
  // The servers a client loses are kept in the gateway config: import first, install second.
  const plan = planImport(
    chosen.map((c) => ({
      client: c.client,
      servers: c.files
        .filter(isReadable)
        .filter((f) => filesOf(c, opts.project).includes(f.file.path))
        .flatMap((f) => f.servers),
    })),
    ip,
    homeOf(opts.catalog),
  );
  const out = describeImport(plan, ip);
  // A file that does not parse is never touched: with --client that stops the command, with --all it is skipped.
  const broken = new Set<string>();
  for (const c of chosen)
    for (const f of c.files)
      if (!isReadable(f) && filesOf(c, opts.project).includes(f.file.path)) {
        if (!opts.all) throw new Error(f.error);
        broken.add(f.file.path);
        out.push(`skip     ${f.error}`);
      }
  if (!(await confirm(`Route ${chosen.map((c) => c.client.name).join(', ')} through the gateway?`, opts)))
    return [...out, 'cancelled: nothing was written'];
  if (!opts.dryRun) {
    applyImport(plan, ip);
    out.push(
      ...addToLocalProject(
        paths,
        plan.servers.filter((s) => s.status === 'new').map((s) => s.name),
      ),
    );
  }
  out.push(`command  ${[launch.command, ...launch.args].join(' ')}`);
  if (opts.command === undefined && /[\\/]_npx[\\/]/.test(launch.args[0] ?? ''))
    out.push(
      'warning  this runs from the npx cache, which npm may clean; install the package (npm install -g from a checkout or a tarball: see the README, or npm install -g secure-mcp-gateway once published) or pass --command',
    );
  for (const c of chosen)
    for (const file of filesOf(c, opts.project).filter((f) => !broken.has(f)))
      out.push(
        ...describeChange(
          c.client,
          installFile(c.client, file, { home: paths.home, launch, dryRun: opts.dryRun }),
          opts.dryRun,
        ),
      );
  out.push(
    '',
    opts.dryRun ? 'dry run: nothing was written' : 'next: restart the client, then run secure-mcp-gateway doctor',
  );
  return out;
}

export function runUninstall(paths: GatewayPaths, opts: InstallOptions): string[] {
  const state = readState(paths.home);
  const recorded = (c: DetectedClient) =>
    Object.entries(state.files)
      .filter(([, r]) => r.client === c.client.id)
      .map(([file]) => file);
  // Every file install recorded for the client, wherever it is (a project file of another folder too); with --all,
  // every client that has one, installed or not any more.
  const chosen = opts.all ? detectClients(opts.catalog).filter((c) => recorded(c).length > 0) : targets(opts);
  if (chosen.length === 0) return ['the gateway is not installed in any client'];
  const out: string[] = [];
  for (const c of chosen) {
    const files = recorded(c);
    if (files.length === 0) out.push(`${c.client.name}: not installed`);
    for (const file of files)
      out.push(
        ...describeChange(
          c.client,
          uninstallFile(c.client, file, { home: paths.home, dryRun: opts.dryRun }),
          opts.dryRun,
        ),
      );
  }
  out.push(
    '',
    opts.dryRun
      ? 'dry run: nothing was written'
      : 'the servers stay in the gateway config too; restart the client to use its own entries again',
  );
  return out;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
