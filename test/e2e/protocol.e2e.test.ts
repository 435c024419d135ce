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
    bulk: { ...bulkServer, env: { TOOL_COUNT: '1000', PAGE_SIZE: '50', NOTE_URI: 'bulk://note', NO_SUBSCRIBE: '1' } },
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

    it('refuses a subscription to a server that does not offer them, saying so', async () => {
      const error = await gw.client.subscribeResource({ uri: 'bulk://note' }).catch((e: unknown) => e);
      expect((error as McpError).code).toBe(-32602);
      expect(String(error)).toContain('upstream "bulk" does not support resource subscriptions');
      // The refused subscription is not held: an update is not relayed.
      updates.length = 0;
      json(await gw.client.callTool({ name: 'bulk__touch', arguments: { which: 'bulk://note' } }));
      json(await gw.client.callTool({ name: 'proto__touch', arguments: { which: 'fixture://note' } }));
      await gw.client.ping();
      expect(updates).toEqual([]);
    });

    it('refuses a subscription to a resource no server owns', async () => {
      await expect(gw.client.subscribeResource({ uri: 'nowhere://x' })).rejects.toThrow(/Resource not found/);
    });
  });

  describe('an upstream that restarts', () => {
    it('gets the client’s log level and its subscriptions again', async () => {
      await gw.client.setLoggingLevel('notice');
      await gw.client.subscribeResource({ uri: 'fixture://note' });
      const before = json(await gw.client.callTool({ name: 'proto__roots', arguments: {} }));
      await expect(gw.client.callTool({ name: 'proto__exit', arguments: {} })).rejects.toThrow(/went away/);
      // The new process knows nothing of the old one: what it reports now, the gateway gave it again.
      await until(async () => {
        const r = await gw.client.callTool({ name: 'proto__log_level', arguments: {} }).catch(() => undefined);
        return r !== undefined && !r.isError;
      });
      expect(json(await gw.client.callTool({ name: 'proto__log_level', arguments: {} }))).toEqual({ level: 'notice' });
      expect(json(await gw.client.callTool({ name: 'proto__subscriptions', arguments: {} }))).toEqual([
        'fixture://note',
      ]);
      expect(json(await gw.client.callTool({ name: 'proto__roots', arguments: {} }))).toEqual(before);
      updates.length = 0;
      json(await gw.client.callTool({ name: 'proto__touch', arguments: { which: 'fixture://note' } }));
      await waitFor(() => updates.includes('fixture://note'));
      await gw.client.unsubscribeResource({ uri: 'fixture://note' });
    });
  });

  describe('pagination', () => {
    it('answers a large tools/list in pages of 200 with an opaque cursor, and follows the upstream’s own pages', async () => {
      const first = await gw.client.listTools();
      expect(first.tools).toHaveLength(200);
      expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const all: Tool[] = [...first.tools];
      let cursor = first.nextCursor;
      let pages = 1;
      while (cursor !== undefined) {
        const page = await gw.client.listTools({ cursor });
        expect(page.tools.length).toBeLessThanOrEqual(200);
        all.push(...page.tools);
        cursor = page.nextCursor;
        pages++;
      }
      const names = all.map((t) => t.name);
      // bulk: 8 tools + 1,000 more, served by the fixture in pages of 50; proto: 8; fs: 2; everything: echo.
      expect(new Set(names).size).toBe(names.length);
      expect(names.filter((n) => n.startsWith('bulk__bulk_'))).toHaveLength(1000);
      expect(names).toContain('bulk__bulk_0999');
      expect(names).toContain('everything__echo');
      expect(names).toHaveLength(1008 + 8 + 2 + 1);
      expect(pages).toBe(Math.ceil(names.length / 200));
    });

    it('refuses a cursor it did not issue, or one of another list, with -32602', async () => {
      const error = await gw.client.listTools({ cursor: 'bogus' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32602);
      const { nextCursor } = await gw.client.listTools();
      const other = await gw.client.listPrompts({ cursor: nextCursor! }).catch((e: unknown) => e);
      expect((other as McpError).code).toBe(-32602);
    });
  });

  describe('_meta', () => {
    it('passes the request’s _meta to the upstream and the result’s _meta back, mapping only the progress token', async () => {
      const plain = await gw.client.request(
        {
          method: 'tools/call',
          params: { name: 'proto__meta_echo', arguments: {}, _meta: { 'example.com/trace': 'abc-123' } },
        },
        CallToolResultSchema,
      );
      expect(json(plain)).toEqual({ meta: { 'example.com/trace': 'abc-123' } });
      expect(plain._meta).toEqual({ 'fixture.example/answer': 'kept' });

      const withProgress = await gw.client.callTool(
        { name: 'proto__meta_echo', arguments: {}, _meta: { 'example.com/trace': 'abc-456' } },
        CallToolResultSchema,
        { onprogress: () => undefined },
      );
      const seen = (json(withProgress) as { meta: Record<string, unknown> }).meta;
      expect(seen['example.com/trace']).toBe('abc-456');
      // The upstream gets the gateway's own token, not the client's.
      expect(String(seen.progressToken)).toMatch(/^smg-\d+$/);
    });

    it('passes _meta on resources/read both ways', async () => {
      const read = await gw.client.request(
        { method: 'resources/read', params: { uri: 'fixture://note', _meta: { 'example.com/trace': 'r-1' } } },
        ReadResourceResultSchema,
      );
      expect(read._meta).toEqual({ 'fixture.example/request-meta': { 'example.com/trace': 'r-1' } });
      expect(read.contents[0]).toMatchObject({ text: 'a note' });
    });
  });

  describe('completions', () => {
    it('routes a prompt argument completion to its server with the prompt’s own name', async () => {
      const { completion } = await gw.client.complete({
        ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
        argument: { name: 'department', value: 'S' },
      });
      expect(completion.values).toEqual(['Sales', 'Support']);
      const names = await gw.client.complete({
        ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
        argument: { name: 'name', value: '' },
        context: { arguments: { department: 'Engineering' } },
      });
      expect(names.completion.values).toEqual(['Alice', 'Bob', 'Charlie']);
    });

    it('routes a resource template argument completion by the template’s URI', async () => {
      const { completion } = await gw.client.complete({
        ref: { type: 'ref/resource', uri: 'demo://resource/dynamic/text/{resourceId}' },
        argument: { name: 'resourceId', value: '7' },
      });
      expect(completion.values).toEqual(['7']);
    });

    it('refuses a completion for a prompt no server offers', async () => {
      await expect(
        gw.client.complete({
          ref: { type: 'ref/prompt', name: 'nobody__nothing' },
          argument: { name: 'a', value: '' },
        }),
      ).rejects.toThrow(/Unknown prompt/);
    });
  });
});

/** Speaks raw JSON-RPC to a gateway started without an SDK client, so the client's protocolVersion is ours to pick. */
function rawSession(gw: SpawnedGateway) {
  const replies = new Map<number, JSONRPCMessage>();
  gw.transport.onmessage = (m) => {
    if ('id' in m && typeof m.id === 'number' && !('method' in m)) replies.set(m.id, m);
  };
  let next = 0;
  return {
    async request(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
      const id = ++next;
      await gw.transport.send({ jsonrpc: '2.0', id, method, params });
      const reply = await waitFor(() => replies.get(id), 20_000);
      if ('error' in reply) throw new Error(JSON.stringify(reply.error));
      return (reply as { result: Record<string, unknown> }).result;
    },
    notify: (method: string) => gw.transport.send({ jsonrpc: '2.0', method }),
  };
}

describe('protocol version negotiation', () => {
  it.each([
    ['2025-06-18', '2025-06-18'],
    ['2025-11-25', '2025-11-25'],
    ['2099-01-01 (unknown, from the future)', LATEST_PROTOCOL_VERSION],
  ])(
    'a client on %s gets %s, then lists and calls tools',
    async (asked, expected) => {
      const gw = await startGateway(
        {
          servers: {
            everything: { command: process.execPath, args: [npmServer('everything')], tools: { allow: ['echo'] } },
          },
        },
        { noClient: true },
      );
      try {
        const session = rawSession(gw);
        const init = await session.request('initialize', {
          protocolVersion: asked.split(' ')[0],
          capabilities: {},
          clientInfo: { name: 'negotiation-test', version: '1.0.0' },
        });
        expect(init.protocolVersion).toBe(expected);
        expect(init.capabilities).toMatchObject({ tools: { listChanged: true }, logging: {}, completions: {} });
        await session.notify('notifications/initialized');
        const list = await session.request('tools/list', {});
        expect((list.tools as Tool[]).map((t) => t.name)).toEqual(['everything__echo']);
        const call = await session.request('tools/call', { name: 'everything__echo', arguments: { message: 'hi' } });
        expect(textOf(call)).toContain('hi');
      } finally {
        const { code } = await gw.closeStdin();
        expect(code).toBe(0);
        expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
      }
    },
    60_000,
  );
});
