/**
 * `secure-mcp-gateway tools list [--server NAME] [--json]`: connects to each configured upstream (the way `start`
 * would), lists its tools, and shows what the gateway will do with each: its pin state against the lockfile and its
 * hash, whether it is hidden (by the tool filter, by its pin, by the poisoning scan or by a signed manifest), the
 * poisoning findings at or above the configured minSeverity, and for every argument which kind was inferred and
 * which check applies (a configured rule, an inferred check, or none). Nothing is pinned, cached or changed.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { LoadedConfig, ResolvedServer } from '../config/load.js';
import type { GatewayPaths } from '../config/paths.js';
import { atLeast, type Finding } from '../integrity/findings.js';
import type { IntegrityMode, ToolStatus } from '../integrity/lockfile.js';
import { createPoisoningScanner } from '../integrity/poisoning.js';
import type { Logger } from '../log.js';
import { createToolFilter } from '../policy/allowlist.js';
import { classifyTool } from '../policy/annotations.js';
import { compileServerRules, inferredRules, type CompiledArgumentRule } from '../policy/arguments.js';
import { fetchCatalogs, neighbours, pinStoreFor, selectServers, shortHash } from './catalogs.js';
import { inspect, integrityFindings, type Inspection } from './inspect.js';

export interface ArgumentView {
  path: string;
  kind: string;
  check: string;
}

export type PinStateView = 'pinned' | 'approved' | 'new' | 'changed' | 'revoked' | 'removed';

export interface ToolView {
  name: string;
  /** Against the lockfile; `removed` is a pinned tool the server no longer lists. */
  state: PinStateView;
  /** SHA-256 of the live definition (of the pinned one for a removed tool). */
  hash: string;
  /** The pinned hash, when the tool changed. */
  pinnedHash?: string;
  /** Shown to clients and callable through the gateway. */
  exposed: boolean;
  /** Why not: "tool filter", or the rule ids that hide it. */
  hiddenBy: string[];
  /** Integrity findings, and poisoning findings at or above integrity.poisoning.minSeverity. */
  findings: Finding[];
  arguments: ArgumentView[];
}

export interface ServerView {
  server: string;
  error?: string;
  mode?: IntegrityMode;
  /** Over the live tools. */
  serverHash?: string;
  /** As recorded in the lockfile, when the server has pins. */
  pinnedServerHash?: string;
  tools: ToolView[];
}

/** What the argument stage will do with each argument of a tool (the same functions the stage uses). */
export function describeArguments(tool: Tool, server: ResolvedServer): ArgumentView[] {
  const explicit = compileServerRules(server.arguments).filter((r) => r.tools(tool.name));
  const infer = server.policy.arguments.infer && server.policy.arguments.mode !== 'off';
  const readOnly = classifyTool(tool, server.config.annotations ?? {}).readOnly;
  const inferred = infer ? inferredRules(tool, explicit, readOnly) : [];
  const views = new Map<string, ArgumentView>();
  const properties = Object.keys(tool.inputSchema.properties ?? {});
  for (const p of properties) views.set(p, { path: p, kind: '-', check: 'none' });
  const where = server.roots.length
    ? `inside ${server.roots.join(', ')}`
    : 'no roots declared: relative paths stay in the cwd';
  const show = (r: CompiledArgumentRule): string =>
    r.inferred ? `inferred ${r.kind} check${r.kind === 'path' ? ` (${where})` : ''}` : `rule "${r.key}"`;
  for (const r of [...explicit, ...inferred]) views.set(r.path, { path: r.path, kind: r.kind, check: show(r) });
  if (server.policy.arguments.mode === 'off') for (const v of views.values()) v.check = 'off (policy arguments.mode)';
  return [...views.values()];
}

export async function listTools(
  loaded: LoadedConfig,
  paths: GatewayPaths,
  only: string | undefined,
  log: Logger,
): Promise<ServerView[]> {
  const servers = selectServers(loaded, only);
  const lock = await pinStoreFor(loaded, paths).read();
  const listed = await fetchCatalogs(loaded, servers, log);
  const poisoning = loaded.config.integrity.poisoning;
  const scanner = poisoning.action === 'off' ? undefined : createPoisoningScanner();
  const configured = loaded.servers.map((s) => s.name);
  return listed.map(({ server, catalog, error }): ServerView => {
    if (error !== undefined) return { server: server.name, error, tools: [] };
    const others = neighbours(server.name, configured, listed, lock);
    const i = inspect(server, catalog, { lock, scanner, others, manifestsDir: paths.manifestsDir });
    const filter = createToolFilter(server.config.tools);
    const pinAndManifest = integrityFindings(i);
    const views = i.pins.tools.map((s): ToolView => {
      const tool = catalog.tools.find((t) => t.name === s.tool);
      const findings = findingsOf(i, pinAndManifest, s.tool, poisoning.minSeverity);
      const hiddenBy = tool === undefined ? [] : hiddenReasons(s, filter(s.tool), findings, poisoning.action);
      return {
        name: s.tool,
        state: s.status === 'pinned' ? s.state : s.status,
        hash: s.status === 'changed' ? s.newHash : s.hash,
        ...(s.status === 'changed' ? { pinnedHash: s.oldHash } : {}),
        exposed: tool !== undefined && hiddenBy.length === 0,
        hiddenBy,
        findings,
        arguments: tool === undefined ? [] : describeArguments(tool, server),
      };
    });
    return {
      server: server.name,
      mode: server.integrity.mode,
      serverHash: i.pins.serverHash,
      ...(i.pins.pinnedServerHash === undefined ? {} : { pinnedServerHash: i.pins.pinnedServerHash }),
      tools: views,
    };
  });
}

/** The tool's integrity findings (and the server's), and its poisoning findings at or above `min`. */
function findingsOf(i: Inspection, integrity: readonly Finding[], tool: string, min: Finding['severity']): Finding[] {
  const poisoned = i.poisoning.filter((f) => f.kind === 'tool' && f.tool === tool && atLeast(f.severity, min));
  return [...integrity.filter((f) => f.tool === tool || f.tool === undefined), ...poisoned];
}

/** Why the gateway would not expose a live tool: the tool filter, then the rule ids that hide it. */
function hiddenReasons(
  s: ToolStatus,
  allowed: boolean,
  findings: readonly Finding[],
  action: 'block' | 'warn' | 'off',
): string[] {
  const rules = (keep: (id: string) => boolean): string[] => [...new Set(findings.map((f) => f.ruleId).filter(keep))];
  const pins = rules((r) => r.startsWith('integrity.') && r !== 'integrity.unsigned');
  return [
    ...(allowed ? [] : ['tool filter']),
    ...(s.expose ? [] : pins.length ? pins : ['integrity']),
    ...(action === 'block' ? rules((r) => r.startsWith('poisoning.')) : []),
    ...rules((r) => r === 'integrity.unsigned'),
  ];
}

export function formatTools(views: readonly ServerView[]): string {
  const lines: string[] = [];
  for (const v of views) {
    if (v.error) {
      lines.push(`${v.server}: cannot list tools: ${v.error}`);
      continue;
    }
    const live = v.tools.filter((t) => t.state !== 'removed');
    const hidden = live.filter((t) => !t.exposed).length;
    const pinned =
      v.pinnedServerHash === undefined
        ? 'nothing pinned yet'
        : v.pinnedServerHash === v.serverHash
          ? 'as pinned'
          : `pinned ${shortHash(v.pinnedServerHash)}`;
    lines.push(
      `${v.server}: ${live.length} tools${hidden ? `, ${hidden} hidden` : ''}; ${v.mode ?? ''}; server ${shortHash(v.serverHash ?? '')} (${pinned})`,
    );
    for (const t of v.tools) {
      // The name last, so that a listing greps like `tools list | grep name` and long names do not push columns.
      lines.push(`  ${t.state.padEnd(8)}  ${shortHash(t.hash)}  ${t.name}`);
      const notes = [
        ...(t.pinnedHash === undefined ? [] : [`pinned ${shortHash(t.pinnedHash)}`]),
        ...(t.hiddenBy.length ? [`hidden by ${t.hiddenBy.join(', ')}`] : []),
      ];
      if (notes.length) lines.push(`    ${notes.join('; ')}`);
      for (const f of t.findings) lines.push(`    ! ${f.severity} ${f.ruleId} at ${f.where}: ${f.message}`);
      const w = Math.max(8, ...t.arguments.map((a) => a.path.length));
      for (const a of t.arguments) lines.push(`    ${a.path.padEnd(w)}  ${a.kind.padEnd(7)}  ${a.check}`);
    }
  }
  return lines.join('\n');
}
