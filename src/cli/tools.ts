/**
 * `secure-mcp-gateway tools list [--server NAME] [--json]`: connects to each configured upstream (the way `start`
 * would), lists its tools, and shows what the gateway will do with each: whether the tool filter exposes it, and for
 * every argument which kind was inferred and which check applies (a configured rule, an inferred check, or none).
 * Nothing is cached or changed.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { LoadedConfig, ResolvedServer } from '../config/load.js';
import { createSecretMasker, type Logger } from '../log.js';
import { createToolFilter } from '../policy/allowlist.js';
import { compileServerRules, inferredRules, type CompiledArgumentRule } from '../policy/arguments.js';
import { fetchCatalog } from '../upstream/catalog.js';
import { closeHttpPool, openConnection } from '../upstream/connect.js';
import { messageOf } from '../errors.js';

export interface ArgumentView {
  path: string;
  kind: string;
  check: string;
}

export interface ToolView {
  name: string;
  exposed: boolean;
  arguments: ArgumentView[];
}

export interface ServerView {
  server: string;
  error?: string;
  tools: ToolView[];
}

/** What the argument stage will do with each argument of a tool (the same functions the stage uses). */
export function describeArguments(tool: Tool, server: ResolvedServer): ArgumentView[] {
  const explicit = compileServerRules(server.arguments).filter((r) => r.tools(tool.name));
  const infer = server.policy.arguments.infer && server.policy.arguments.mode !== 'off';
  const inferred = infer ? inferredRules(tool, explicit) : [];
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

export async function listTools(loaded: LoadedConfig, only: string | undefined, log: Logger): Promise<ServerView[]> {
  const servers = loaded.servers.filter((s) => only === undefined || s.name === only);
  if (only !== undefined && servers.length === 0)
    throw new Error(`no enabled server named "${only}" (servers: ${loaded.servers.map((s) => s.name).join(', ')})`);
  const mask = createSecretMasker(loaded.secrets);
  const up = loaded.config.upstreams;
  const views = await Promise.all(
    servers.map(async (server): Promise<ServerView> => {
      try {
        const conn = await openConnection(server, {
          log,
          mask,
          relay: {},
          timeoutMs: up.connectTimeoutMs,
          maxMessageBytes: up.maxMessageBytes,
        });
        try {
          const catalog = await fetchCatalog(conn.client, server.config.timeoutMs);
          const exposed = createToolFilter(server.config.tools);
          return {
            server: server.name,
            tools: catalog.tools.map((t) => ({
              name: t.name,
              exposed: exposed(t.name),
              arguments: describeArguments(t, server),
            })),
          };
        } finally {
          await conn.close();
        }
      } catch (error) {
        return { server: server.name, error: messageOf(error), tools: [] };
      }
    }),
  );
  await closeHttpPool();
  return views;
}

export function formatTools(views: readonly ServerView[]): string {
  const lines: string[] = [];
  for (const v of views) {
    if (v.error) {
      lines.push(`${v.server}: cannot list tools: ${v.error}`);
      continue;
    }
    const hidden = v.tools.filter((t) => !t.exposed).length;
    lines.push(`${v.server}: ${v.tools.length} tools${hidden ? `, ${hidden} hidden by the tool filter` : ''}`);
    for (const t of v.tools) {
      lines.push(`  ${t.name}${t.exposed ? '' : '  (hidden)'}`);
      const width = Math.max(8, ...t.arguments.map((a) => a.path.length));
      for (const a of t.arguments) lines.push(`    ${a.path.padEnd(width)}  ${a.kind.padEnd(7)}  ${a.check}`);
    }
  }
  return lines.join('\n');
}
