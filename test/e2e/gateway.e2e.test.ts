/**
 * The gateway end to end: a real SDK client spawns the built gateway, which spawns the real npm servers
 * server-everything, server-filesystem and server-memory. Every assertion goes through the wire.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  McpError,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import {
  alive,
  nonJsonRpcLines,
  npmServer,
  processTree,
  startGateway,
  tempDir,
  type SpawnedGateway,
} from '../helpers/gateway.js';

const workDir = tempDir('smg-e2e-fs-');
fs.writeFileSync(path.join(workDir, 'notes.txt'), 'hello from the allowed folder\n');

const config = {
  servers: {
    everything: { command: process.execPath, args: [npmServer('everything')], tools: { deny: ['get-env', 'gzip-*'] } },
    fs: {
      command: process.execPath,
      args: [npmServer('filesystem'), workDir],
      tools: { allow: ['read_*', 'list_directory', 'write_file'], deny: ['write_*'] },
    },
    memory: {
      command: process.execPath,
      args: [npmServer('memory')],
      env: { MEMORY_FILE_PATH: path.join(workDir, 'memory.jsonl') },
    },
  },
};

function text(result: unknown): string {
  return ((result as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('');
}

describe('gateway over stdio with three real upstreams', () => {
  let gw: SpawnedGateway;
  let descendants: number[] = [];

  beforeAll(async () => {
    gw = await startGateway(config);
  });

  afterAll(() => {
    if (gw.proc.exitCode === null) gw.proc.kill('SIGKILL');
  });

  it('lists every allowed tool, namespaced <server>__<tool>', async () => {
    const { tools } = await gw.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'everything__echo',
        'fs__read_text_file',
        'fs__list_directory',
        'memory__create_entities',
      ]),
    );
    for (const name of names) expect(name).toMatch(/^(everything|fs|memory)__[A-Za-z0-9_-]+$/);
    expect(names.every((n) => n.length <= 64)).toBe(true);
    descendants = processTree(gw.proc.pid!);
    expect(descendants.length).toBeGreaterThanOrEqual(3);
  });

  it('hides denied tools from the list', async () => {
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('everything__get-env');
    expect(names).not.toContain('everything__gzip-file-as-resource');
    expect(names).not.toContain('fs__write_file');
    expect(names).not.toContain('fs__move_file'); // not in the allowlist
  });

  it.each(['everything__get-env', 'fs__write_file', 'fs__move_file', 'nosuch__tool', 'echo'])(
    'answers a call to %s as an unknown tool (-32602)',
    async (name) => {
      const error = await gw.client.callTool({ name, arguments: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32602);
      expect((error as McpError).message).toContain(`Unknown tool: ${name}`);
    },
  );

  it('forwards allowed calls to the right upstream', async () => {
    expect(text(await gw.client.callTool({ name: 'everything__echo', arguments: { message: 'hi there' } }))).toBe(
      'Echo: hi there',
    );
    const file = await gw.client.callTool({
      name: 'fs__read_text_file',
      arguments: { path: path.join(workDir, 'notes.txt') },
    });
    expect(text(file)).toContain('hello from the allowed folder');
    await gw.client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'gateway', entityType: 'software', observations: ['proxies MCP'] }] },
    });
    const found = await gw.client.callTool({ name: 'memory__search_nodes', arguments: { query: 'gateway' } });
    expect(text(found)).toContain('proxies MCP');
  });

  it('keeps structuredContent of a forwarded result', async () => {
    const r = await gw.client.callTool({
      name: 'everything__get-structured-content',
      arguments: { location: 'New York' },
    });
    expect(r.structuredContent).toBeDefined();
  });

  it('blocks arguments that break the tool schema before the upstream sees them', async () => {
    const r = await gw.client.callTool({ name: 'everything__get-sum', arguments: { a: 'one', b: 2 } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^blocked by parameter check schema\.invalid-arguments: .*arguments\/a must be number/);
    expect(r._meta?.['secure-mcp-gateway/verdict']).toMatchObject({
      ruleId: 'schema.invalid-arguments',
      stage: 'schema',
      phase: 'request',
    });
  });

  it('reads a resource through the upstream that owns it', async () => {
    const { resources } = await gw.client.listResources();
    const doc = resources.find((r) => r.uri.startsWith('demo://resource/static/document/'));
    expect(doc?.name).toMatch(/^everything__/);
    const read = await gw.client.readResource({ uri: doc!.uri });
    expect(read.contents[0]?.uri).toBe(doc!.uri);
    const dynamic = await gw.client.readResource({ uri: 'demo://resource/dynamic/text/7' });
    expect(dynamic.contents.length).toBe(1);
  });

  it('answers an unknown resource as not found', async () => {
    const error = await gw.client.readResource({ uri: 'secret://nowhere' }).catch((e: unknown) => e);
    expect((error as McpError).code).toBe(-32002);
  });

  it('gets a prompt through its namespaced name', async () => {
    const { prompts } = await gw.client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('everything__args-prompt');
    const p = await gw.client.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'Lisbon' } });
    expect(JSON.stringify(p.messages)).toContain('Lisbon');
  });

  it('routes completions to the prompt’s upstream', async () => {
    const r = await gw.client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'E' },
    });
    expect(r.completion.values.length).toBeGreaterThan(0);
  });

  it('passes progress notifications through to the client', async () => {
    const seen: number[] = [];
    const r = await gw.client.request(
      {
        method: 'tools/call',
        params: { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      },
      CallToolResultSchema,
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(r.isError).toBeFalsy();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('passes cancellation through: the cancelled call gets no answer and the gateway goes on', async () => {
    const controller = new AbortController();
    const sent: { id?: unknown; method?: string; params?: unknown }[] = [];
    const send = gw.transport.send.bind(gw.transport);
    gw.transport.send = (m) => {
      sent.push(m);
      return send(m);
    };
    const pending = gw.client.request(
      {
        method: 'tools/call',
        params: { name: 'everything__trigger-long-running-operation', arguments: { duration: 5, steps: 5 } },
      },
      CallToolResultSchema,
      { signal: controller.signal, onprogress: () => controller.abort('user pressed stop') },
    );
    await expect(pending).rejects.toThrow();
    gw.transport.send = send;
    const call = sent.find((m) => m.method === 'tools/call');
    const cancel = sent.find((m) => m.method === 'notifications/cancelled');
    expect(cancel?.params).toMatchObject({ requestId: call?.id });
    // Give an upstream that ignored the cancellation time to finish the first steps; the gateway must not answer.
    await new Promise((r) => setTimeout(r, 1500));
    const answered = gw.stdoutLines.map((l) => JSON.parse(l) as { id?: unknown }).filter((m) => m.id === call?.id);
    expect(answered).toEqual([]);
    expect(text(await gw.client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } }))).toBe(
      'Echo: still here',
    );
  });

  it('writes nothing but JSON-RPC to stdout', () => {
    expect(gw.stdoutLines.length).toBeGreaterThan(10);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
  });

  it('exits 0 on stdin EOF and leaves no child process behind', async () => {
    const { code } = await gw.closeStdin();
    expect(code).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(descendants.filter(alive)).toEqual([]);
    expect(gw.stderr()).toContain('"msg":"stopped"');
  });
});

describe('sampling and elicitation relay', () => {
  // Relayed only for a server that declares the need in its config (default deny: see relay.e2e.test.ts).
  const everythingOnly = {
    servers: {
      everything: {
        command: process.execPath,
        args: [npmServer('everything')],
        sampling: 'allow',
        elicitation: 'allow',
      },
    },
  };

  it('relays sampling to a client that declared it', async () => {
    const gw = await startGateway(everythingOnly, { capabilities: { sampling: {} } });
    let asked = '';
    gw.client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      asked = JSON.stringify(req.params.messages);
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled answer' } };
    });
    const { tools } = await gw.client.listTools();
    expect(tools.map((t) => t.name)).toContain('everything__trigger-sampling-request');
    const r = await gw.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'say hi', maxTokens: 20 },
    });
    expect(asked).toContain('say hi');
    expect(JSON.stringify(r.content)).toContain('sampled answer');
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('relays elicitation to a client that declared it', async () => {
    const gw = await startGateway(everythingOnly, { capabilities: { elicitation: {} } });
    let seen = false;
    gw.client.setRequestHandler(ElicitRequestSchema, () => {
      seen = true;
      return { action: 'decline' };
    });
    const { tools } = await gw.client.listTools();
    expect(tools.map((t) => t.name)).toContain('everything__trigger-elicitation-request');
    await gw.client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    expect(seen).toBe(true);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('never offers sampling or elicitation to a server whose config does not allow them', async () => {
    const gw = await startGateway(
      { servers: { everything: { command: process.execPath, args: [npmServer('everything')] } } },
      { capabilities: { sampling: {}, elicitation: {} } },
    );
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('everything__echo');
    expect(names).not.toContain('everything__trigger-sampling-request');
    expect(names).not.toContain('everything__trigger-elicitation-request');
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('never offers sampling or elicitation upstream when the client did not declare them', async () => {
    const gw = await startGateway(everythingOnly);
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('everything__trigger-sampling-request');
    expect(names).not.toContain('everything__trigger-elicitation-request');
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
