/**
 * Protocol breadth end to end (issue 9 item 5): a real SDK client, the built gateway, and real upstreams
 * (server-filesystem, server-everything, and test/fixtures/protocol-server.ts where no npm server shows the
 * behaviour). Roots per server, completions, logging, resource subscriptions, pagination both ways, `_meta` both
 * ways, and the protocol versions a client may ask for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallToolResultSchema,
  LATEST_PROTOCOL_VERSION,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ReadResourceResultSchema,
  ResourceUpdatedNotificationSchema,
  type JSONRPCMessage,
  type LoggingMessageNotification,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import {
  fixtureServer,
  nonJsonRpcLines,
  npmServer,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  type SpawnedGateway,
} from '../helpers/gateway.js';

const dirA = fs.realpathSync(tempDir('smg-roots-a-'));
const dirB = fs.realpathSync(tempDir('smg-roots-b-'));
fs.writeFileSync(path.join(dirA, 'a.txt'), 'inside the configured root\n');
fs.writeFileSync(path.join(dirB, 'b.txt'), 'the client root the server must not get\n');

const protocolServer = fixtureServer('protocol-server.ts');
const bulkServer = fixtureServer('protocol-server.ts');

const config = {
  servers: {
    // server-filesystem may use A and B from its arguments; the gateway's roots answer narrows it to A. The path
    // rule admits both, so that a read of B reaches the upstream and the upstream's own boundary is what refuses.
    fs: {
      command: process.execPath,
      args: [npmServer('filesystem'), dirA, dirB],
      roots: [dirA],
      tools: { allow: ['read_text_file', 'list_allowed_directories'] },
      arguments: { 'read_text_file.path': { kind: 'path', within: [dirA, dirB] } },
    },
    proto: { ...protocolServer, roots: [dirA] },
    bulk: { ...bulkServer, env: { TOOL_COUNT: '1000', PAGE_SIZE: '50', NOTE_URI: 'bulk://note' } },
    everything: { command: process.execPath, args: [npmServer('everything')], tools: { allow: ['echo'] } },
  },
};

/** Polls an async condition until it holds (bounded). */
async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The JSON a tool answered; a blocked or failed call fails the test with its text. */
function json(result: unknown): unknown {
  if ((result as { isError?: boolean }).isError) throw new Error(`tool call failed: ${textOf(result)}`);
  return JSON.parse(textOf(result));
}

describe('protocol breadth through the gateway', () => {
  let gw: SpawnedGateway;
  const logs: LoggingMessageNotification['params'][] = [];
  const updates: string[] = [];

  beforeAll(async () => {
    gw = await startGateway(config, { capabilities: { roots: { listChanged: true } } });
    // The client's own roots: B only. No upstream may ever see them.
    gw.client.setRequestHandler(ListRootsRequestSchema, () => ({
      roots: [{ uri: pathToFileURL(dirB).href, name: 'client root B' }],
    }));
    gw.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    gw.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    await gw.client.sendRootsListChanged();
  }, 60_000);

  afterAll(async () => {
    if (gw.proc.exitCode !== null) return;
    const { code } = await gw.closeStdin();
    expect(code).toBe(0);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
  });

  describe('roots', () => {
    it('answers an upstream with its configured roots, never the client’s, and keeps the client’s list_changed', async () => {
      const got = json(await gw.client.callTool({ name: 'proto__roots', arguments: {} })) as {
        roots: { uri: string }[];
        listChanged: number;
      };
      expect(got.roots.map((r) => r.uri)).toEqual([pathToFileURL(dirA).href]);
      expect(got.listChanged).toBe(0);
    });

    it('answers an upstream without configured roots with an empty list', async () => {
      const got = json(await gw.client.callTool({ name: 'bulk__roots', arguments: {} })) as { roots: unknown[] };
      expect(got.roots).toEqual([]);
    });

    it('narrows server-filesystem to its configured root: A is readable, B (the client’s root) is not', async () => {
      // server-filesystem asks for roots after initialize and then replaces the folders from its arguments.
      const allowed = async () =>
        textOf(await gw.client.callTool({ name: 'fs__list_allowed_directories', arguments: {} }));
      await until(async () => !(await allowed()).includes(dirB));
      expect(await allowed()).toContain(dirA);

      const a = await gw.client.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(dirA, 'a.txt') } });
      expect(a.isError).toBeFalsy();
      expect(textOf(a)).toContain('inside the configured root');

      const b = await gw.client.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(dirB, 'b.txt') } });
      expect(b.isError).toBe(true);
      expect(textOf(b)).toMatch(/access denied|outside allowed/i);
      expect(textOf(b)).not.toContain('must not get');
    });
  });
  describe('logging', () => {
    it('declares logging, applies the client’s level to the upstreams, and drops messages below it', async () => {
      expect(gw.client.getServerCapabilities()?.logging).toEqual({});
      await gw.client.setLoggingLevel('warning');
      expect(json(await gw.client.callTool({ name: 'proto__log_level', arguments: {} }))).toEqual({ level: 'warning' });

      // The fixture ignores the level on purpose: the gateway's own filter must drop the info message.
      json(await gw.client.callTool({ name: 'proto__say', arguments: { level: 'info', text: 'quiet message' } }));
      json(await gw.client.callTool({ name: 'proto__say', arguments: { level: 'error', text: 'loud message' } }));
      await waitFor(() => logs.some((l) => l.data === 'loud message'));
      expect(logs.find((l) => l.data === 'loud message')).toEqual({
        level: 'error',
        logger: 'proto__fixture',
        data: 'loud message',
      });
      expect(logs.some((l) => l.data === 'quiet message')).toBe(false);
    });

    it('never forwards a secret in a log message', async () => {
      json(await gw.client.callTool({ name: 'proto__say_secret', arguments: {} }));
      const entry = await waitFor(() => logs.find((l) => JSON.stringify(l.data).includes('login failed')));
      const text = JSON.stringify(entry);
      expect(text).not.toMatch(/ghp_[A-Za-z0-9]{20}/);
      expect(text).toContain('login failed with token');
      expect(entry.logger).toBe('proto__fixture');
    });
  });

  describe('resource subscriptions', () => {
    it('declares subscribe, routes it to the owning upstream only, and relays its updates', async () => {
      expect(gw.client.getServerCapabilities()?.resources?.subscribe).toBe(true);
      await gw.client.subscribeResource({ uri: 'fixture://note' });
      expect(json(await gw.client.callTool({ name: 'proto__subscriptions', arguments: {} }))).toEqual([
        'fixture://note',
      ]);
      expect(json(await gw.client.callTool({ name: 'bulk__subscriptions', arguments: {} }))).toEqual([]);

      json(await gw.client.callTool({ name: 'proto__touch', arguments: { which: 'fixture://note' } }));
      await waitFor(() => updates.includes('fixture://note'));
    });

    it('relays no update for a resource the client did not subscribe to', async () => {
      json(await gw.client.callTool({ name: 'bulk__touch', arguments: { which: 'bulk://note' } }));
      json(await gw.client.callTool({ name: 'proto__touch', arguments: { which: 'fixture://other' } }));
      // A marker that the client did subscribe to, sent after the two: once it arrives, the others had their turn.
      updates.length = 0;
      json(await gw.client.callTool({ name: 'proto__touch', arguments: { which: 'fixture://note' } }));
      await waitFor(() => updates.includes('fixture://note'));
      expect(updates).toEqual(['fixture://note']);
    });

    it('unsubscribes at the upstream, and updates stop', async () => {
      await gw.client.unsubscribeResource({ uri: 'fixture://note' });
      expect(json(await gw.client.callTool({ name: 'proto__subscriptions', arguments: {} }))).toEqual([]);
      updates.length = 0;
      json(await gw.client.callTool({ name: 'proto__touch', arguments: { which: 'fixture://note' } }));
      await gw.client.callTool({ name: 'proto__subscriptions', arguments: {} });
      expect(updates).toEqual([]);
    });

    it('subscribes at a real server (server-everything), which acknowledges in a relayed log message', async () => {
      const { resources } = await gw.client.listResources();
      const uri = resources.find((r) => r.uri.startsWith('demo://resource/static/document/'))!.uri;
      await gw.client.setLoggingLevel('debug');
      await gw.client.subscribeResource({ uri });
      const ack = await waitFor(() =>
        logs.find((l) => String(l.data).includes(`Subscribe Resource request for URI: ${uri}`)),
      );
      expect(ack.logger).toBe('everything');
      await gw.client.unsubscribeResource({ uri });
    });

    it('refuses a subscription to a resource no server owns', async () => {
      await expect(gw.client.subscribeResource({ uri: 'nowhere://x' })).rejects.toThrow(/Resource not found/);
    });
  });
});
