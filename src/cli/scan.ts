/**
 * `secure-mcp-gateway scan [--server S] [--json] [--fail-on SEVERITY] [-- command args…]` (issue 5, scope 8): connects
 * to each configured server (or to S, or to a server given inline after `--`), lists its tools, prompts and resource
 * templates, and reports in one table of findings:
 * - the poisoning scan (poisoning.ts), with the other servers' tool names as context (live where listed, else pinned);
 * - the pin comparison against the lockfile, read-only (integrity.changed, .revoked, .unapproved, .removed,
 *   .duplicate) and, where the server has a public key, its signed manifest (integrity.unsigned);
 * - the launcher check of the command as written in the config (launcher.unpinned, …), even when the server cannot
 *   be reached: that finding needs no connection. Its fix is the edit of the gateway config, worded by the function
 *   `doctor` calls too (integrity/launcher.ts configLauncherFindings).
 * - the sandbox check of each stdio server as configured (issue 19): sandbox.unconfined (medium with no profile,
 *   low when `"sandbox": false` says so on purpose) and sandbox.network-all (medium); no connection needed either,
 *   and `doctor` reports the same findings (configuredSandboxFindings).
 * The scan always runs every rule, whatever integrity.poisoning.action says: it reports, the policy decides.
 *
 * Exit code (main.ts): 1 when a server cannot be reached (the scan is incomplete; the report names it), else 6 when a
 * finding is at or above --fail-on (default high), else 0.
 */
import type { LoadedConfig, ResolvedServer } from '../config/load.js';
import { parseConfig } from '../config/load.js';
import type { GatewayPaths } from '../config/paths.js';
import { atLeast, countBySeverity, SEVERITIES, type Finding, type Severity } from '../integrity/findings.js';
import { checkLauncher, configLauncherFindings, type PinLookup } from '../integrity/launcher.js';
import { createPoisoningScanner } from '../integrity/poisoning.js';
import type { Logger } from '../log.js';
import { plural } from '../util/plural.js';
import { fetchCatalogs, neighbours, pinStoreFor, selectServers, shortHash } from './catalogs.js';
import { inspect, integrityFindings } from './inspect.js';

export interface ScannedServer {
  server: string;
  /** Why it could not be listed. */
  error?: string;
  tools?: number;
  prompts?: number;
  resourceTemplates?: number;
  serverHash?: string;
}

export interface ScanReport {
  servers: ScannedServer[];
  /** Most severe first. */
  findings: Finding[];
  counts: Record<Severity, number>;
  failOn: Severity;
  /** A finding is at or above failOn. */
  failed: boolean;
  /** Servers that could not be listed. */
  unreachable: string[];
}

export interface ScanOptions {
  only?: string;
  /** A server given on the command line: [command, ...args]. */
  inline?: readonly string[];
  failOn: Severity;
}

/** The name an inline server gets in the report and in the cross-server rules. */
export const INLINE_SERVER = 'inline';

/**
 * A server given as `-- command args…`, resolved by the config loader itself (defaults included), so that it is
 * connected exactly as a configured one would be. Its pinning mode is the config's, when there is one.
 */
function inlineServer(argv: readonly string[], loaded: LoadedConfig | undefined): LoadedConfig {
  const [command, ...args] = argv;
  const parsed = parseConfig(JSON.stringify({ servers: { [INLINE_SERVER]: { command, args } } }), '(command line)');
  if (loaded !== undefined) parsed.servers[0]!.integrity.mode = loaded.config.integrity.mode;
  return loaded === undefined ? parsed : { ...loaded, servers: parsed.servers };
}

/**
 * The launcher findings of configured servers, each with its fix in the gateway config; `scan` and `doctor` both
 * report exactly these. The command and args are read as written in the config, references unresolved, so that a
 * message or a fix line never prints a secret.
 */
export function configuredLauncherFindings(
  servers: readonly ResolvedServer[],
  lookup: PinLookup = {},
): Promise<Finding[]> {
  return configLauncherFindings(
    servers.map((s) => ({ name: s.name, command: s.config.command, args: s.config.args ?? [] })),
    lookup,
  );
}

/**
 * The sandbox findings of configured stdio servers (issue 19), from the config alone; `scan` reports each and
 * `doctor` (checks/sandbox.ts) groups them. A server with no profile of its own and no sandbox.default is medium:
 * it can read and write whatever the gateway's user can and reach any host, and nobody decided that. An explicit
 * `"sandbox": false` is low: a decision was made, the finding only keeps it visible. Every severity here is below
 * the default --fail-on high, so a config without profiles still scans with exit 0.
 */
export function configuredSandboxFindings(servers: readonly ResolvedServer[]): Finding[] {
  const out: Finding[] = [];
  for (const s of servers) {
    if (s.kind !== 'stdio') continue;
    const at = `servers.${s.name}`;
    if (s.sandbox === undefined) {
      const chosen = s.config.sandbox === false;
      out.push({
        ruleId: 'sandbox.unconfined',
        severity: chosen ? 'low' : 'medium',
        server: s.name,
        where: 'sandbox',
        message: chosen
          ? `runs unconfined on purpose ("sandbox": false): it can read and write everything the gateway's user can, and reach any host`
          : `runs unconfined (no "sandbox" profile, and sandbox.default is false): it can read and write everything the gateway's user can, and reach any host`,
        remediation: chosen
          ? `give ${at} a sandbox profile instead of false, e.g. "sandbox": {"network": {"allow": ["<host it needs>"]}} (docs/sandbox.md)`
          : `add "sandbox": true to ${at} (no network, its roots read-write), or a profile (docs/sandbox.md); \`secure-mcp-gateway init\` proposes one per server`,
      });
    } else if (s.sandbox.network === 'all')
      out.push({
        ruleId: 'sandbox.network-all',
        severity: 'medium',
        server: s.name,
        where: 'sandbox.network',
        message:
          'its sandbox leaves the network open (network "all"): it may reach any host, the local network and cloud metadata included',
        remediation: `list the hosts it needs in ${at}.sandbox.network: {"allow": ["api.example.com", "*.example.com"]} (docs/sandbox.md)`,
      });
  }
  return out;
}

export async function runScan(
  loaded: LoadedConfig | undefined,
  paths: GatewayPaths,
  opts: ScanOptions,
  log: Logger,
): Promise<ScanReport> {
  const inline = opts.inline?.length ? inlineServer(opts.inline, loaded) : undefined;
  const source = inline ?? loaded;
  if (source === undefined) throw new Error('nothing to scan: no config, and no server given after --');
  const servers: ResolvedServer[] = inline ? inline.servers : selectServers(source, opts.only);
  const lock = await pinStoreFor(loaded, paths).read();
  const listed = await fetchCatalogs(source, servers, log);
  const scanner = createPoisoningScanner();
  const configured = [...(loaded?.servers.map((s) => s.name) ?? []), ...servers.map((s) => s.name)];
  const findings: Finding[] = [];
  const report: ScannedServer[] = [];
  // A configured server's fix is an edit of the gateway config, the same words `doctor` prints; an inline server
  // has no config entry, so it gets the plain fix.
  if (inline) {
    for (const { server } of listed)
      if (server.command !== undefined)
        findings.push(...checkLauncher(server.command, server.args, { server: server.name }));
  } else findings.push(...(await configuredLauncherFindings(servers)));
  // An inline server has no config entry to put a profile in: it gets no sandbox finding.
  if (!inline) findings.push(...configuredSandboxFindings(servers));
  for (const { server, catalog, error } of listed) {
    if (catalog === undefined) {
      report.push({ server: server.name, error });
      continue;
    }
    const others = neighbours(server.name, configured, listed, lock);
    const i = inspect(server, catalog, { lock, scanner, others, manifestsDir: paths.manifestsDir });
    findings.push(...i.poisoning, ...integrityFindings(i));
    report.push({
      server: server.name,
      tools: catalog.tools.length,
      prompts: catalog.prompts.length,
      resourceTemplates: catalog.resourceTemplates.length,
      serverHash: i.pins.serverHash,
    });
  }
  const rank = (f: Finding): number => SEVERITIES.indexOf(f.severity);
  findings.sort(
    (a, b) =>
      rank(b) - rank(a) ||
      (a.server ?? '').localeCompare(b.server ?? '') ||
      (a.tool ?? '').localeCompare(b.tool ?? '') ||
      a.ruleId.localeCompare(b.ruleId),
  );
  return {
    servers: report,
    findings,
    counts: countBySeverity(findings),
    failOn: opts.failOn,
    failed: findings.some((f) => atLeast(f.severity, opts.failOn)),
    unreachable: report.filter((s) => s.error !== undefined).map((s) => s.server),
  };
}

export function formatScan(r: ScanReport): string {
  const lines: string[] = [];
  for (const s of r.servers) {
    lines.push(
      s.error !== undefined
        ? `${s.server}: cannot connect: ${s.error}`
        : `${s.server}: ${plural(s.tools ?? 0, 'tool')}, ${plural(s.prompts ?? 0, 'prompt')}, ${plural(s.resourceTemplates ?? 0, 'resource template')}; server ${shortHash(s.serverHash ?? '')}`,
    );
  }
  lines.push('');
  if (r.findings.length > 0) {
    const cols = ['severity', 'server', 'tool', 'rule', 'where'] as const;
    const cell = (f: Finding, c: (typeof cols)[number]): string =>
      c === 'severity'
        ? f.severity
        : c === 'server'
          ? (f.server ?? '-')
          : c === 'tool'
            ? (f.tool ?? '-')
            : c === 'rule'
              ? f.ruleId
              : f.where;
    const width = cols.map((c) => Math.max(c.length, ...r.findings.map((f) => cell(f, c).length)));
    const row = (cells: string[]): string =>
      cells
        .map((x, i) => x.padEnd(width[i]!))
        .join('  ')
        .trimEnd();
    lines.push(row(cols.map((c) => c.toUpperCase())));
    const indent = ' '.repeat(width[0]! + 2);
    for (const f of r.findings) {
      lines.push(row(cols.map((c) => cell(f, c))));
      lines.push(`${indent}${f.message}`);
      if (f.excerpt !== undefined) lines.push(`${indent}excerpt: ${clip(f.excerpt, 160)}`);
      lines.push(`${indent}fix: ${f.remediation}`);
    }
    lines.push('');
  }
  const c = r.counts;
  const at = r.findings.filter((f) => atLeast(f.severity, r.failOn)).length;
  lines.push(
    `${plural(r.findings.length, 'finding')}: ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low; ${at} at or above ${r.failOn}`,
  );
  if (r.unreachable.length > 0) lines.push(`not scanned (cannot connect): ${r.unreachable.join(', ')}`);
  return lines.join('\n');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
