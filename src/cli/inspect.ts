/**
 * The gateway's integrity verdict on one live catalog, computed without changing anything (for `tools list` and
 * `scan`): each tool against its pin (compareCatalog on the lockfile as read, never check(), so nothing is pinned),
 * the poisoning scan of tools, prompts and resource templates with the other servers as context, and, where the
 * server has a public key, its signed manifest. `integrityFindings` turns the pin and manifest states into findings
 * with a severity and a remediation, beside the scanner's and the launcher check's.
 *
 * Failure mode: a manifest that is missing, unreadable or does not verify is a verdict (`ok: false` with the reason),
 * not an exception; a damaged lockfile throws (GatewayError CONFIG_INVALID) before this is reached.
 */
import type { ResolvedServer } from '../config/load.js';
import type { Finding } from '../integrity/findings.js';
import { compareCatalog, type Lockfile, type PinCheck } from '../integrity/lockfile.js';
import { verifyServerManifest, type ManifestVerdict } from '../integrity/server-manifest.js';
import type { OtherServer, PoisoningFinding, PoisoningScanner } from '../integrity/poisoning.js';
import type { Catalog } from '../upstream/catalog.js';
import { shortHash } from './catalogs.js';

export interface Inspection {
  server: string;
  pins: PinCheck;
  poisoning: PoisoningFinding[];
  /** Only for a server with integrity.publicKey. */
  manifest?: ManifestVerdict;
}

export interface InspectOptions {
  lock: Lockfile;
  /** Undefined when the poisoning scan is off. */
  scanner: PoisoningScanner | undefined;
  others: readonly OtherServer[];
  manifestsDir: string;
}

export function inspect(server: ResolvedServer, catalog: Catalog, opts: InspectOptions): Inspection {
  const ctx = { server: server.name, others: opts.others, own: catalog.tools.map((t) => t.name) };
  const s = opts.scanner;
  const poisoning = s
    ? [
        ...s.scanTools(catalog.tools, ctx),
        ...catalog.prompts.flatMap((p) => s.scanPrompt(p, ctx)),
        ...catalog.resourceTemplates.flatMap((t) => s.scanResourceTemplate(t, ctx)),
      ]
    : [];
  return {
    server: server.name,
    pins: compareCatalog(opts.lock, server.name, catalog.tools, server.integrity.mode),
    poisoning,
    ...(server.integrity.publicKey === undefined
      ? {}
      : { manifest: verifyServerManifest(server, opts.manifestsDir, catalog) }),
  };
}

/** The pin and manifest states as findings (the scanner's own findings are in `poisoning`). */
export function integrityFindings(i: Inspection): Finding[] {
  const out: Finding[] = [];
  const add = (f: Omit<Finding, 'server'>): void => void out.push({ ...f, server: i.server });
  const target = (tool: string): string => `${i.server}/${tool}`;
  for (const s of i.pins.tools) {
    if (s.status === 'changed') {
      add({
        ruleId: 'integrity.changed',
        severity: 'high',
        tool: s.tool,
        where: 'definition',
        message: `changed since it was ${s.state} (pinned ${shortHash(s.oldHash)}, live ${shortHash(s.newHash)}): a rug pull, or an update nobody approved; the gateway hides and blocks it`,
        remediation: `Review the change with \`secure-mcp-gateway tools diff ${target(s.tool)}\`; if it is expected, \`tools approve ${target(s.tool)}\`.`,
      });
    } else if (s.status === 'new' && (s.duplicate === true || s.unpinnable === true)) {
      add({
        ruleId: 'integrity.duplicate',
        severity: 'high',
        tool: s.tool,
        where: 'name',
        message: s.unpinnable
          ? 'a tool named "__proto__" cannot be pinned; the gateway never exposes it'
          : 'listed more than once with different definitions: which one a call reaches is up to the server; the gateway exposes neither',
        remediation: 'Fix the server so that each tool name is listed once.',
      });
    } else if (s.status === 'new' && !s.expose) {
      add({
        ruleId: 'integrity.unapproved',
        severity: 'low',
        tool: s.tool,
        where: 'lockfile',
        message: 'new, and the integrity mode is require-approval: hidden until approved',
        remediation: `Review it with \`secure-mcp-gateway tools diff ${target(s.tool)}\`, then \`tools approve ${target(s.tool)}\`.`,
      });
    } else if (s.status === 'revoked') {
      add({
        ruleId: 'integrity.revoked',
        severity: 'low',
        tool: s.tool,
        where: 'lockfile',
        message: 'revoked, and still listed by the server; the gateway blocks it',
        remediation: `Deny the tool in the config, or \`secure-mcp-gateway tools approve ${target(s.tool)}\` to allow it again.`,
      });
    } else if (s.status === 'removed') {
      add({
        ruleId: 'integrity.removed',
        severity: 'low',
        tool: s.tool,
        where: 'lockfile',
        message: `pinned (${s.state}), but the server no longer lists it`,
        remediation: 'Nothing to do if the removal is expected; the pin stays in the lockfile.',
      });
    }
  }
  const m = i.manifest;
  if (m !== undefined && m.tools === undefined && !m.ok) {
    add({
      ruleId: 'integrity.unsigned',
      severity: 'high',
      where: 'manifest',
      message: `the signed manifest does not verify: ${m.reason ?? ''}; the gateway blocks every tool of the server`,
      remediation: `Sign the reviewed tools again: \`secure-mcp-gateway tools sign --server ${i.server} --key KEY.pem\`.`,
    });
  }
  for (const t of m?.tools ?? []) {
    if (t.status !== 'mismatch' && t.status !== 'extra') continue;
    add({
      ruleId: 'integrity.unsigned',
      severity: 'high',
      tool: t.tool,
      where: 'manifest',
      message:
        t.status === 'mismatch'
          ? `does not match its signed manifest (signed ${shortHash(t.expected)}, live ${shortHash(t.actual)}); the gateway blocks it`
          : 'is not in the signed manifest; the gateway blocks it',
      remediation: `Review the tool, then sign again: \`secure-mcp-gateway tools sign --server ${i.server} --key KEY.pem\`.`,
    });
  }
  return out;
}
