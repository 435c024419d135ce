/**
 * What one upstream offers: its tools, resources, resource templates and prompts, fetched whole (every page) at
 * connect time and again on list_changed. The raw lists are kept; filtering and namespacing happen on read in
 * src/server/routes.ts.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ErrorCode,
  ListPromptsResultSchema,
  McpError,
  ListResourceTemplatesResultSchema,
  ListResourcesResultSchema,
  ListToolsResultSchema,
  PromptSchema,
  ResourceSchema,
  ResourceTemplateSchema,
  ToolSchema,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface Catalog {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

export type CatalogPart = keyof Catalog;

export const CatalogSchema = z.object({
  tools: z.array(ToolSchema),
  resources: z.array(ResourceSchema),
  resourceTemplates: z.array(ResourceTemplateSchema),
  prompts: z.array(PromptSchema),
});

export const EMPTY_CATALOG: Catalog = Object.freeze({ tools: [], resources: [], resourceTemplates: [], prompts: [] });

/** Guards against a server that returns a cursor forever. */
const MAX_PAGES = 100;

/**
 * One list, every page. A server that declares `resources` but has no `resources/templates/list` handler (the
 * SDK's low-level Server does not add one) answers -32601: that list is empty, and the server still connects.
 */
export async function fetchCatalogPart(
  client: Client,
  part: CatalogPart,
  timeout: number,
): Promise<Catalog[CatalogPart]> {
  try {
    return await fetchPages(client, part, timeout);
  } catch (error) {
    if (
      part === 'resourceTemplates' &&
      error instanceof McpError &&
      error.code === (ErrorCode.MethodNotFound as number)
    )
      return [];
    throw error;
  }
}

async function fetchPages(client: Client, part: CatalogPart, timeout: number): Promise<Catalog[CatalogPart]> {
  const caps = client.getServerCapabilities() ?? {};
  const opts = { timeout };
  const all: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const params = cursor === undefined ? {} : { cursor };
    let next: string | undefined;
    switch (part) {
      case 'tools': {
        if (!caps.tools) return [];
        const r = await client.request({ method: 'tools/list', params }, ListToolsResultSchema, opts);
        all.push(...r.tools);
        next = r.nextCursor;
        break;
      }
      case 'prompts': {
        if (!caps.prompts) return [];
        const r = await client.request({ method: 'prompts/list', params }, ListPromptsResultSchema, opts);
        all.push(...r.prompts);
        next = r.nextCursor;
        break;
      }
      case 'resources': {
        if (!caps.resources) return [];
        const r = await client.request({ method: 'resources/list', params }, ListResourcesResultSchema, opts);
        all.push(...r.resources);
        next = r.nextCursor;
        break;
      }
      case 'resourceTemplates': {
        if (!caps.resources) return [];
        const r = await client.request(
          { method: 'resources/templates/list', params },
          ListResourceTemplatesResultSchema,
          opts,
        );
        all.push(...r.resourceTemplates);
        next = r.nextCursor;
        break;
      }
    }
    if (next === undefined || next === cursor) break;
    cursor = next;
  }
  return all as Catalog[CatalogPart];
}

export async function fetchCatalog(client: Client, timeout: number): Promise<Catalog> {
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    fetchCatalogPart(client, 'tools', timeout),
    fetchCatalogPart(client, 'resources', timeout),
    fetchCatalogPart(client, 'resourceTemplates', timeout),
    fetchCatalogPart(client, 'prompts', timeout),
  ]);
  return {
    tools: tools as Tool[],
    resources: resources as Resource[],
    resourceTemplates: resourceTemplates as ResourceTemplate[],
    prompts: prompts,
  };
}
