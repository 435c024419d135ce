import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResultSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { keepProgressOrder } from './progress-order.js';

/** A server stub that answers initialize, then answers tools/call with two progress notifications and the result
 * delivered synchronously back to back, as one read of a pipe would. */
class BurstTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  start = () => Promise.resolve();
  close = () => Promise.resolve();
  send(m: JSONRPCMessage): Promise<void> {
    if (!('method' in m) || !('id' in m)) return Promise.resolve();
    const id = m.id;
    if (m.method === 'initialize') {
      const result = {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 's', version: '1' },
      };
      queueMicrotask(() => this.onmessage?.({ jsonrpc: '2.0', id, result }));
    } else if (m.method === 'tools/call') {
      const token = (m.params as { _meta: { progressToken: string | number } })._meta.progressToken;
      setTimeout(() => {
        for (const progress of [1, 2])
          this.onmessage?.({
            jsonrpc: '2.0',
            method: 'notifications/progress',
            params: { progressToken: token, progress },
          });
        this.onmessage?.({ jsonrpc: '2.0', id, result: { content: [] } });
      }, 1);
    }
    return Promise.resolve();
  }
}

async function progressSeen(fix: boolean): Promise<number[]> {
  const transport = new BurstTransport();
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(transport);
  if (fix) keepProgressOrder(transport);
  const seen: number[] = [];
  await client.request({ method: 'tools/call', params: { name: 't' } }, CallToolResultSchema, {
    onprogress: (p) => seen.push(p.progress),
  });
  return seen;
}

describe('keepProgressOrder', () => {
  it('shows the SDK flaw it exists for: a progress notification read with its response is lost', async () => {
    expect(await progressSeen(false)).not.toEqual([1, 2]);
  });

  it('delivers every progress notification before the response', async () => {
    expect(await progressSeen(true)).toEqual([1, 2]);
    expect(await progressSeen(true)).toEqual([1, 2]);
  });
});
