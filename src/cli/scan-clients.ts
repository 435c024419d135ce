/**
 * `scan --clients` (issue 8): shadow MCP detection. Reads every client config on the machine (catalogue in
 * src/clients/) and reports, with a severity and a remediation:
 * - clients.shadow-server (high; low when the client has it disabled): a server the client runs itself, bypassing
 *   the gateway's guardrails, allowlists and pins;
 * - clients.plaintext-secret (high): a key written in the client config (env, header, URL or argument) instead of a
 *   reference;
 * - launcher.*: an unpinned `npx`/`uvx`/docker launcher in a shadow server (integrity/launcher.ts);
 * - clients.unreadable (medium): a client file that does not parse, so it could not be checked.
 * Nothing connects to anything: this reads files only.
 */
import { SEVERITIES, atLeast, countBySeverity, type Finding, type Severity } from '../integrity/findings.js';
import { checkLauncher } from '../integrity/launcher.js';
import type { CatalogOptions } from '../clients/catalog.js';
import { detectClients, isReadable } from '../clients/detect.js';
import { isGatewayEntry, type ClientServer } from '../clients/entries.js';
import { isInlineSecret, secretArgs } from '../clients/inline-secrets.js';

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

export function scanClients(catalog: CatalogOptions, failOn: Severity): ClientsReport {
  const report: ClientsReport = { clients: [], findings: [], counts: countBySeverity([]), failOn, failed: false };
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
            remediation: `secure-mcp-gateway init (moves it to <home>/secrets/, 0600), then secure-mcp-gateway install --client ${c.client.id}; rotate the key if the file was ever shared`,
          });
        if (s.command !== undefined)
          for (const l of checkLauncher(s.command, s.args, { server: s.name }))
            add({
              ...l,
              where: `${where}.${l.where}`,
              remediation: `${l.remediation.replace(/\.$/, '')}; or route it through the gateway: secure-mcp-gateway install --client ${c.client.id}`,
            });
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
        `${c.name}: ${f.path} (${f.scope}): ${f.servers} server${f.servers === 1 ? '' : 's'}, ${f.routed ? 'routes through the gateway' : 'does not use the gateway'}`,
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
    `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}: ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low`,
  );
  return lines.join('\n');
}

/** The command line or URL of a server for a report, secret arguments and URL credentials masked. */
function display(s: ClientServer): string {
  if (s.kind === 'remote') return (s.url ?? '').replace(/\/\/[^/@\s]+@/, '//***@');
  const hidden = new Set(secretArgs(s.args));
  return [s.command, ...s.args.map((a, i) => (hidden.has(i) ? '***' : a))].join(' ');
}
