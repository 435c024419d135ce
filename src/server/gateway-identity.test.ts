/**
 * The session's identity paths in process (InMemoryTransport, no upstreams): a refused identity answers every
 * request, `initialize` first, with the reason; a recheck that starts failing refuses lists from then on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import { DiscoveryCache } from '../upstream/discovery-cache.js';
import { Gateway, IDENTITY_REFUSED } from './gateway.js';

function setup(extra: Partial<ConstructorParameters<typeof Gateway>[0]> = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-gw-id-'));
  const loaded = parseConfig(JSON.stringify({ servers: {} }), path.join(home, 'config.json'), {});
  const log = silentLogger();
  const cache = new DiscoveryCache({ dir: path.join(home, 'cache'), ttlMs: 1000, enabled: false, log });
  const integrity = {
    lockfile: path.join(home, 'tools.lock.json'),
    manifestsDir: path.join(home, 'manifests'),
    cacheDir: path.join(home, 'cache'),
  };
  return new Gateway({ loaded, log, cache, integrity, ...extra });
}

describe('gateway session identity', () => {
  it('answers initialize and every later request with the refusal, and serves nothing', async () => {
    const gateway = setup({ refusal: 'gateway key abc was revoked at T' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.connect(serverSide);
    const client = new Client({ name: 't', version: '1' });
    const error = await client.connect(clientSide).then(
      () => undefined,
      (e: unknown) => e as { code?: number; message?: string },
    );
    expect(error?.code).toBe(IDENTITY_REFUSED);
    expect(error?.message).toContain('secure-mcp-gateway refused this client: gateway key abc was revoked at T');
    expect(gateway.upstreamStates).toEqual({});
    await gateway.shutdown('test');
  });

  it('refuses lists once the recheck fails, with the reason', async () => {
    const key: { refusal?: string } = {};
    const gateway = setup({
      principal: { user: 'a@example.com', project: 'p', role: 'dev', keyId: 'k1' },
      recheck: () => key.refusal,
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.connect(serverSide);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(clientSide);
    expect((await client.listTools()).tools).toEqual([]);
    key.refusal = 'gateway key k1 expired at T';
    await expect(client.listTools()).rejects.toThrow(
      'secure-mcp-gateway refused this client: gateway key k1 expired at T',
    );
    expect(gateway.principal.keyId).toBe('k1');
    await client.close();
    await gateway.shutdown('test');
  });
});
