/**
 * Protocol breadth in `serve` (issue 9 item 5): sessions of one project share an upstream pool, so what an
 * upstream sends that is not a reply must reach only the session it belongs to. A resource update goes to the
 * sessions that subscribed to it, the upstream stays subscribed while one of them is, and log messages of a shared
 * upstream (which may speak of other users' calls) are not relayed, nor is one session's log level applied to it.
 */
import fs from 'node:fs';
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureServer, tempDir, textOf, waitFor } from '../helpers/gateway.js';
import { makeKey } from '../helpers/identity.js';
import { httpClient, startServe, type ServeProcess } from '../helpers/serve.js';

const config = {
  servers: { proto: fixtureServer('protocol-server.ts') },
  projects: { one: { servers: ['proto'] } },
  users: { 'alice@example.com': {}, 'bob@example.com': {} },
  roles: { developer: { servers: { '*': {} } } },
  memberships: { one: { 'alice@example.com': 'developer', 'bob@example.com': 'developer' } },
};

function json(result: unknown): unknown {
  if ((result as { isError?: boolean }).isError) throw new Error(`tool call failed: ${textOf(result)}`);
  return JSON.parse(textOf(result));
}

/** What one session received that was not a reply. */
function watch(client: SdkClient) {
  const seen = { updates: [] as string[], logs: [] as unknown[] };
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.updates.push(n.params.uri));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.logs.push(n.params.data));
  return seen;
}

let running: ServeProcess | undefined;
afterEach(async () => {
  if (running) expect(await running.stop()).toBe(0);
  running = undefined;
});

describe('serve: notifications of a shared upstream', () => {
  it('relays a resource update only to the session that subscribed, and keeps no log relay', async () => {
    const home = tempDir();
    fs.writeFileSync(`${home}/config.json`, JSON.stringify(config, null, 2));
    const alice = makeKey(home, 'one', 'alice@example.com');
    const bob = makeKey(home, 'one', 'bob@example.com');
    running = await startServe(config, { home });
    const a = await httpClient(running.url, alice.key);
    const b = await httpClient(running.url, bob.key);
    const seenA = watch(a.client);
    const seenB = watch(b.client);

    await a.client.subscribeResource({ uri: 'fixture://note' });
    expect(json(await b.client.callTool({ name: 'proto__subscriptions', arguments: {} }))).toEqual(['fixture://note']);

    // One session's log level is not applied to an upstream that other sessions share.
    await a.client.setLoggingLevel('error');
    expect(json(await a.client.callTool({ name: 'proto__log_level', arguments: {} }))).toEqual({ level: null });

    json(await b.client.callTool({ name: 'proto__say', arguments: { level: 'error', text: 'shared log line' } }));
    json(await b.client.callTool({ name: 'proto__touch', arguments: { which: 'fixture://note' } }));
    await waitFor(() => seenA.updates.includes('fixture://note'));
    // B did not subscribe; by the time A has the update, B would have had its copy (same upstream message).
    await b.client.ping();
    expect(seenB.updates).toEqual([]);
    expect([...seenA.logs, ...seenB.logs]).toEqual([]);

    // The upstream stays subscribed while a session is; when A's session ends, the subscription goes with it.
    await b.client.subscribeResource({ uri: 'fixture://note' });
    await b.client.unsubscribeResource({ uri: 'fixture://note' });
    expect(json(await b.client.callTool({ name: 'proto__subscriptions', arguments: {} }))).toEqual(['fixture://note']);
    await a.transport.terminateSession();
    await a.client.close();
    let left: unknown;
    for (let i = 0; i < 50; i++) {
      left = json(await b.client.callTool({ name: 'proto__subscriptions', arguments: {} }));
      if (Array.isArray(left) && left.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(left).toEqual([]);
    await b.client.close();
  }, 60_000);
});
