import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { describe, expect, it } from 'vitest';
import type { ResolvedServer } from '../config/load.js';
import { configuredRoots, createClient, rootOf } from './client.js';

/** Connects the gateway's upstream Client to an in-process server and returns what that server sees of it. */
async function upstreamSees(roots: readonly string[], declared: Parameters<typeof createClient>[0]) {
  const server = new Server({ name: 'upstream', version: '1' }, { capabilities: {} });
  const client = createClient(declared, roots);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  await client.connect(b);
  const capabilities = server.getClientCapabilities();
  const answer = await server.listRoots();
  await client.close();
  return { capabilities, roots: answer.roots };
}

describe('the upstream Client', () => {
  it('answers roots/list with the server’s configured roots as file:// URIs', async () => {
    const seen = await upstreamSees(['/srv/a', '/srv/b c'], {});
    expect(seen.roots).toEqual([
      { uri: 'file:///srv/a', name: '/srv/a' },
      { uri: 'file:///srv/b%20c', name: '/srv/b c' },
    ]);
  });

  it('answers with an empty list when none are configured, even when the client declared roots', async () => {
    const seen = await upstreamSees([], { clientCapabilities: { roots: { listChanged: true } } });
    expect(seen.roots).toEqual([]);
  });

  it('declares roots without listChanged, and sampling or elicitation only when relayed', async () => {
    expect((await upstreamSees([], { clientCapabilities: { sampling: {} } })).capabilities).toEqual({ roots: {} });
    const relayed = await upstreamSees([], {
      clientCapabilities: { sampling: {} },
      sampling: () => Promise.reject(new Error('not called')),
    });
    expect(relayed.capabilities).toEqual({ roots: {}, sampling: {} });
  });

  it.each([
    ['configured roots', { roots: ['/srv/a'] }, ['/srv/a']],
    ['only a cwd (a path-check default, not a root to hand out)', {}, []],
  ])('answers from %s', (_, config, expected) => {
    const server = { name: 's', config, roots: ['/srv/a'], cwd: '/srv/a' } as unknown as ResolvedServer;
    expect(configuredRoots(server)).toEqual(expected);
  });

  it('gives the filesystem root as file:///', () => {
    expect(rootOf('/').uri).toBe('file:///');
  });
});
