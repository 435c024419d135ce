/**
 * The client's view of all upstreams: filtered (allowlist and denylist), namespaced lists, and the tables that
 * route a tools/call, prompts/get or resources/read back to its upstream. Rebuilt whenever an upstream's catalog
 * changes; read on every request. Resource URIs are passed through unchanged (tool results link to them), so a
 * read is routed by the exact URI, then by a matching resource template, then by the one server that uses the
 * URI's scheme; anything else is unknown or ambiguous, never guessed. Resource names are display names, so they
 * are prefixed with the server but not shortened.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { GatewayError } from '../errors.js';
import type { Catalog } from '../upstream/catalog.js';
import { SEPARATOR, buildNameTable, type NameEntry } from './names.js';

export interface ServerView {
  server: string;
  catalog: Catalog;
  allowsTool: (tool: string) => boolean;
}

export interface Routes {
  tools: Map<string, NameEntry<Tool>>;
  toolList: Tool[];
  prompts: Map<string, NameEntry<Prompt>>;
  promptList: Prompt[];
  resourceList: Resource[];
  templateList: ResourceTemplate[];
  /** The server that owns `uri`; throws UNKNOWN_RESOURCE or AMBIGUOUS_RESOURCE. */
  resolveResource(uri: string): string;
  /** Human-readable notes on names that collided and were left out. */
  collisions: string[];
}

export function buildRoutes(views: readonly ServerView[], maxLength: number): Routes {
  const sorted = [...views].sort((a, b) => a.server.localeCompare(b.server));
  const toolTable = buildNameTable(
    sorted.flatMap((v) =>
      v.catalog.tools.filter((t) => v.allowsTool(t.name)).map((t) => ({ server: v.server, name: t.name, item: t })),
    ),
    maxLength,
  );
  const promptTable = buildNameTable(
    sorted.flatMap((v) => v.catalog.prompts.map((p) => ({ server: v.server, name: p.name, item: p }))),
    maxLength,
  );

  const toolList = [...toolTable.byExposed].map(([name, e]) => ({ ...e.item, name }));
  const promptList = [...promptTable.byExposed].map(([name, e]) => ({ ...e.item, name }));

  const byUri = new Map<string, Set<string>>();
  const templates: { server: string; matcher: UriTemplate }[] = [];
  const byScheme = new Map<string, Set<string>>();
  const addScheme = (uri: string, server: string) => {
    const scheme = schemeOf(uri);
    if (scheme) (byScheme.get(scheme) ?? byScheme.set(scheme, new Set()).get(scheme)!).add(server);
  };
  const resourceList: Resource[] = [];
  const templateList: ResourceTemplate[] = [];
  for (const v of sorted) {
    for (const r of v.catalog.resources) {
      (byUri.get(r.uri) ?? byUri.set(r.uri, new Set()).get(r.uri)!).add(v.server);
      addScheme(r.uri, v.server);
      resourceList.push({ ...r, name: `${v.server}${SEPARATOR}${r.name}` });
    }
    for (const t of v.catalog.resourceTemplates) {
      try {
        templates.push({ server: v.server, matcher: new UriTemplate(t.uriTemplate) });
      } catch {
        // An unparsable template cannot route anything; the scheme may still route.
      }
      addScheme(t.uriTemplate, v.server);
      templateList.push({ ...t, name: `${v.server}${SEPARATOR}${t.name}` });
    }
  }

  const resolveResource = (uri: string): string => {
    const pick = (servers: Iterable<string>, how: string): string | undefined => {
      const list = [...new Set(servers)];
      if (list.length === 1) return list[0];
      if (list.length > 1)
        throw new GatewayError(
          'AMBIGUOUS_RESOURCE',
          `resource ${uri} ${how} more than one server (${list.join(', ')}); the gateway will not guess`,
        );
      return undefined;
    };
    return (
      pick(byUri.get(uri) ?? [], 'is listed by') ??
      pick(
        templates.filter((t) => safeMatch(t.matcher, uri)).map((t) => t.server),
        'matches resource templates of',
      ) ??
      pick(byScheme.get(schemeOf(uri) ?? '') ?? [], 'has a scheme used by') ??
      (() => {
        throw new GatewayError('UNKNOWN_RESOURCE', `Resource not found: ${uri}`);
      })()
    );
  };

  const collisions = [...toolTable.collisions, ...promptTable.collisions].map(
    (c) =>
      `${c.exposed}: ${c.dropped.server}/${c.dropped.name} collides with ${c.kept.server}/${c.kept.name} and is not exposed`,
  );

  return {
    tools: toolTable.byExposed,
    toolList,
    prompts: promptTable.byExposed,
    promptList,
    resourceList,
    templateList,
    resolveResource,
    collisions,
  };
}

function schemeOf(uri: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
}

function safeMatch(t: UriTemplate, uri: string): boolean {
  try {
    return t.match(uri) !== null;
  } catch {
    return false;
  }
}
