import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListResourcesRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { fetchCatalog } from './catalog.js';

/** A low-level server that declares tools and resources and handles only what `install` sets up. */
async function connected(install: (server: Server) => void): Promise<Client> {
  const server = new Server({ name: 'up', version: '1' }, { capabilities: { tools: {}, resources: {} } });
  install(server);
  const client = new Client({ name: 'gw', version: '1' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  await client.connect(b);
  return client;
}

describe('fetchCatalog', () => {
  it('follows the upstream’s cursors until the last page', async () => {
    const client = await connected((server) => {
      server.setRequestHandler(ListToolsRequestSchema, (req) => {
        const start = Number(req.params?.cursor ?? 0);
        const tools = Array.from({ length: 3 }, (_, i) => ({
          name: `t${start + i}`,
          inputSchema: { type: 'object' as const },
        }));
        return { tools, ...(start < 6 ? { nextCursor: String(start + 3) } : {}) };
      });
      server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
    });
    const catalog = await fetchCatalog(client, 5_000);
    expect(catalog.tools.map((t) => t.name)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8']);
    await client.close();
  });

  it('takes a missing resources/templates/list as no templates', async () => {
    const client = await connected((server) => {
      server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
      server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [{ uri: 'x://a', name: 'a' }] }));
    });
    const catalog = await fetchCatalog(client, 5_000);
    expect(catalog.resourceTemplates).toEqual([]);
    expect(catalog.resources.map((r) => r.uri)).toEqual(['x://a']);
    await client.close();
  });

  it('still fails when a declared list other than templates is missing', async () => {
    const client = await connected((server) => {
      server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
    });
    await expect(fetchCatalog(client, 5_000)).rejects.toThrow(/Method not found/);
    await client.close();
  });
});
