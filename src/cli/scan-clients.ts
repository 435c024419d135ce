/**
 * `scan --clients` (issue 8): shadow MCP detection. Reads every client config on the machine (catalogue in
 * src/clients/) and reports, with a severity and a remediation:
 * - clients.shadow-server (high; low when the client has it disabled): a server the client runs itself, bypassing
 *   the gateway's guardrails, allowlists and pins;
 * - clients.plaintext-secret (high): a key written in the client config (env, header, URL or argument) instead of a
 *   reference;
 * - launcher.*: an unpinned `npx`/`uvx`/docker launcher (integrity/launcher.ts), in a shadow server or in the
 *   gateway's own entry (`npx -y secure-mcp-gateway`). The fix says where the pin goes (issue 17, item 7): a server
 *   the gateway config runs too is pinned there (`servers.<name>.args[i]`, the words `scan` and `doctor` use); the
 *   gateway's own entry is pinned with `install --command`; only a server that bypasses the gateway alone is told to
 *   route through it;
 * - clients.unreadable (medium): a client file that does not parse, so it could not be checked.
 * Nothing connects to anything: this reads files only (npm's local cache included, for a version to suggest).
 * `doctor` reports the launcher findings of this report as they are (doctor/checks/launchers.ts).
 */
import { SEVERITIES, atLeast, countBySeverity, type Finding, type Severity } from '../integrity/findings.js';
import {
  configPinFix,
  detectLauncher,
  launcherIssues,
  pinnedArg,
  type LauncherIssue,
  type LauncherServer,
  type PinLookup,
} from '../integrity/launcher.js';
import type { CatalogOptions } from '../clients/catalog.js';
import { detectClients, isReadable } from '../clients/detect.js';
import { isGatewayEntry, type ClientServer } from '../clients/entries.js';
import { readGatewayConfig } from '../clients/import-servers.js';
import { isInlineSecret, secretArgs } from '../clients/inline-secrets.js';
import { plural } from '../util/plural.js';
import { VERSION } from '../version.js';

export interface ClientsReport {
  clients: {
    client: string;
    name: string;
    files: { path: string; scope: string; servers: number; routed: boolean }[];
  }[];
  findings: (Finding & { client: string; file: string })[];
  counts: Record<Severity, number>;
  failOn: Severity;
  failed: boolean;
}

export interface ClientsScanOptions {
  /** The gateway config file: a client's server that it runs too is pinned there, not routed through it. */
  gatewayConfig?: string;
  /** Where a version to suggest is looked up (offline). */
  lookup?: PinLookup;
}

/**
 * The enabled stdio servers of the gateway config, as written (references unresolved), or none when it cannot be
 * read: a broken gateway config is `doctor`'s and `config validate`'s to report, not a reason to skip this scan.
 */
export function gatewayServers(file: string | undefined): LauncherServer[] {
  if (file === undefined) return [];
  let servers: Record<string, unknown>;
  try {
    servers = readGatewayConfig(file)?.servers ?? {};
  } catch {
    return [];
  }
  return Object.entries(servers).flatMap(([name, raw]) => {
    const def = raw as { command?: unknown; args?: unknown; enabled?: unknown };
    if (typeof def !== 'object' || def === null || def.enabled === false || typeof def.command !== 'string') return [];
    const args = Array.isArray(def.args) ? def.args.filter((a): a is string => typeof a === 'string') : [];
    return [{ name, command: def.command, args }];
  });
}

/** The gateway server that runs the same package (same ecosystem and name), with its own issue for it if unpinned. */
function runByGateway(
  issue: LauncherIssue,
  gateway: readonly LauncherServer[],
): { server: LauncherServer; issue?: LauncherIssue } | undefined {
  const same = (i: LauncherIssue['info'] | undefined) =>
    i?.ecosystem === issue.info.ecosystem && i.packages.some((p) => p.name === issue.ref.name);
  const server = gateway.find((g) => g.command !== undefined && same(detectLauncher(g.command, g.args)));
  if (server === undefined) return undefined;
  const own = launcherIssues(server.command!, server.args).find((i) => i.ref.name === issue.ref.name);
  return own === undefined ? { server } : { server, issue: own };
}

export async function scanClients(
  catalog: CatalogOptions,
  failOn: Severity,
  opts: ClientsScanOptions = {},
): Promise<ClientsReport> {
  const report: ClientsReport = { clients: [], findings: [], counts: countBySeverity([]), failOn, failed: false };
  const gateway = gatewayServers(opts.gatewayConfig);
  const lookup = opts.lookup ?? {};
  for (const c of detectClients(catalog)) {
    if (!c.installed) continue;
    const entry: ClientsReport['clients'][number] = { client: c.client.id, name: c.client.name, files: [] };
    report.clients.push(entry);
    for (const f of c.files) {
      const add = (x: Omit<Finding, 'remediation'> & { remediation?: string }) =>
        report.findings.push({
          remediation: `secure-mcp-gateway install --client ${c.client.id}${f.file.scope === 'project' ? ' --project' : ''}`,
          ...x,
          client: c.client.id,
          file: f.file.path,
        });
      if (!isReadable(f)) {
        add({
          ruleId: 'clients.unreadable',
          severity: 'medium',
          where: f.file.path,
          message: f.error,
          remediation: 'fix the syntax error, then run secure-mcp-gateway scan --clients again',
        });
        continue;
      }
      const shadow = f.servers.filter((s) => !isGatewayEntry(s));
      entry.files.push({
        path: f.file.path,
        scope: f.file.scope,
        servers: f.servers.length,
        routed: f.servers.length > shadow.length,
      });
      const install = `secure-mcp-gateway install --client ${c.client.id}${f.file.scope === 'project' ? ' --project' : ''}`;
      // The gateway's own entry run by a launcher (`npx -y secure-mcp-gateway`): pinned with install --command, at
      // this package's version when the launcher runs the gateway itself.
      for (const s of f.servers.filter((x) => isGatewayEntry(x) && x.command !== undefined))
        for (const issue of launcherIssues(s.command!, s.args, { server: s.name })) {
          const { arg } = await pinnedArg(issue, s.args, { ...lookup, known: { 'secure-mcp-gateway': VERSION } });
          const args = s.args.map((a, i) => (i === issue.ref.argIndex ? arg : a));
          if (args.at(-1) === 'start') args.pop(); // install appends it
          add({
            ...issue.finding,
            where: `${[...s.location, s.name].join('.')}.${issue.finding.where}`,
            remediation: `${install} --command ${JSON.stringify([s.command!, ...args].join(' '))}`,
          });
        }
      for (const s of shadow) {
        const where = [...s.location, s.name].join('.');
        add({
          ruleId: 'clients.shadow-server',
          severity: s.disabled ? 'low' : 'high',
          server: s.name,
          where,
          message: `${c.client.name} runs "${s.name}" (${display(s)}) directly, bypassing the gateway${s.disabled ? ' (disabled in the client)' : ''}`,
        });
        const secrets = [
          ...Object.entries(s.env)
            .filter(([k, v]) => isInlineSecret(k, v))
            .map(([k]) => `env.${k}`),
          ...Object.entries(s.headers)
            .filter(([k, v]) => isInlineSecret(k, v))
            .map(([k]) => `headers.${k}`),
          ...secretArgs(s.args).map((i) => `args[${i}]`),
          ...(s.url !== undefined && /\/\/[^/@\s]+:[^/@\s]+@/.test(s.url) ? ['url (credentials)'] : []),
        ];
        for (const field of secrets)
          add({
            ruleId: 'clients.plaintext-secret',
            severity: 'high',
            server: s.name,
            where: `${where}.${field}`,
            message: `a plaintext secret in ${f.file.path} at ${field}; anyone who can read the file has the key`,
            remediation: `secure-mcp-gateway init (moves it to the credential vault), then secure-mcp-gateway install --client ${c.client.id}; rotate the key if the file was ever shared`,
          });
        if (s.command !== undefined)
          for (const issue of launcherIssues(s.command, s.args, { server: s.name })) {
            const l = issue.finding;
            const gw = runByGateway(issue, gateway);
            add({
              ...l,
              where: `${where}.${l.where}`,
              remediation:
                gw === undefined
                  ? `${l.remediation.replace(/\.$/, '')}; or route it through the gateway: ${install}`
                  : gw.issue !== undefined
                    ? `${await configPinFix(gw.server.name, gw.issue, gw.server.args, lookup)}; then ${install}, so that ${c.client.name} stops running its own copy`
                    : `the gateway runs ${issue.ref.name} pinned (servers.${gw.server.name}); ${c.client.name} should use it: ${install}`,
            });
          }
      }
    }
  }
  const rank = (f: Finding) => SEVERITIES.indexOf(f.severity);
  report.findings.sort(
    (a, b) => rank(b) - rank(a) || a.client.localeCompare(b.client) || a.where.localeCompare(b.where),
  );
  report.counts = countBySeverity(report.findings);
  report.failed = report.findings.some((f) => atLeast(f.severity, failOn));
  return report;
}

export function formatClientsScan(r: ClientsReport): string {
  const lines: string[] = [];
  for (const c of r.clients) {
    if (c.files.length === 0) lines.push(`${c.name}: installed, no MCP config file`);
    for (const f of c.files)
      lines.push(
        `${c.name}: ${f.path} (${f.scope}): ${plural(f.servers, 'server')}, ${f.routed ? 'routes through the gateway' : 'does not use the gateway'}`,
      );
  }
  if (r.clients.length === 0) lines.push('no MCP client found');
  lines.push('');
  for (const f of r.findings) {
    lines.push(`${f.severity.toUpperCase().padEnd(8)} ${f.ruleId}  ${f.client}${f.server ? ` / ${f.server}` : ''}`);
    lines.push(`         ${f.message}`);
    lines.push(`         at ${f.where}`);
    lines.push(`         fix: ${f.remediation}`);
  }
  const c = r.counts;
  lines.push(
    `${plural(r.findings.length, 'finding')}: ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low`,
  );
  return lines.join('\n');
}

/** The command line or URL of a server for a report, secret arguments and URL credentials masked. */
function display(s: ClientServer): string {
  if (s.kind === 'remote') return (s.url ?? '').replace(/\/\/[^/@\s]+@/, '//***@');
  const hidden = new Set(secretArgs(s.args));
  return [s.command, ...s.args.map((a, i) => (hidden.has(i) ? '***' : a))].join(' ');
}
