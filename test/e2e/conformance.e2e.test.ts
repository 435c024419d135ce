/**
 * What the MCP conformance run (test/conformance/run.ts, docs/conformance.md) cannot see, end to end through the
 * built `serve` with the conformance fixture upstream: a JSON Schema 2020-12 inputSchema is listed with `$schema`,
 * `$defs` and `additionalProperties` kept and calls are checked against it (the suite looks the tool up by its
 * upstream name); and what the baseline says `serve` does not relay is not relayed (a shared upstream's log
 * messages, its sampling and elicitation requests), so a reason cannot go stale.
 */
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureServer, tempDir, textOf } from '../helpers/gateway.js';
import { makeKey } from '../helpers/identity.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';

const CONFIG = {
  servers: { conformance: fixtureServer('conformance-server.ts') },
  projects: { suite: { servers: ['conformance'] } },
  users: { 'suite@example.com': {} },
  roles: { developer: { servers: { '*': {} } } },
  memberships: { suite: { 'suite@example.com': 'developer' } },
};

let running: ServeProcess | undefined;
afterEach(async () => {
  if (running) expect(await running.stop()).toBe(0);
  running = undefined;
});

/** A client of serve that declares sampling and elicitation, as the suite's client does. */
async function connect(): Promise<{ client: Client }> {
  const home = tempDir();
  fs.writeFileSync(`${home}/config.json`, JSON.stringify(CONFIG));
  const { key } = makeKey(home, 'suite', 'suite@example.com');
  running = await startServe(CONFIG, { home });
  const transport = new StreamableHTTPClientTransport(new URL(running.url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  const client = new Client(
    { name: 'conformance-e2e', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} } },
  );
  await client.connect(transport);
  return { client };
}

describe('conformance fixture through serve', () => {
  it('keeps a JSON Schema 2020-12 inputSchema and checks calls against it', async () => {
    const { client } = await connect();
    const tool = (await client.listTools()).tools.find((t) => t.name === 'conformance__json_schema_2020_12_tool');
    expect(tool?.inputSchema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    });
    const ok = await client.callTool({
      name: 'conformance__json_schema_2020_12_tool',
      arguments: { name: 'Ada', address: { city: 'London' } },
    });
    expect(JSON.parse(textOf(ok))).toEqual({ name: 'Ada', address: { city: 'London' } });
    // additionalProperties: false is enforced by the gateway's own schema check, before the upstream.
    const extra = await client.callTool({ name: 'conformance__json_schema_2020_12_tool', arguments: { age: 3 } });
    expect(extra.isError).toBe(true);
    expect(textOf(extra)).toContain('unexpected property "age"');
    await client.close();
  });

  it('does not relay what the baseline says serve does not relay', async () => {
    const { client } = await connect();
    // The upstream logs three messages during the call; a shared upstream's log stays in the gateway's log.
    const logged: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logged.push(n.params));
    await client.setLoggingLevel('debug');
    const withLogging = await client.callTool({ name: 'conformance__test_tool_with_logging', arguments: {} });
    expect(textOf(withLogging)).toBe('Tool with logging executed successfully');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logged).toEqual([]);

    // The upstream asks for sampling and elicitation; serve answers it for the client, which is never asked.
    let asked = 0;
    client.setRequestHandler(CreateMessageRequestSchema, () => {
      asked++;
      return { role: 'assistant', content: { type: 'text', text: 'no' }, model: 'm' };
    });
    client.setRequestHandler(ElicitRequestSchema, () => {
      asked++;
      return { action: 'decline' };
    });
    for (const [name, args] of [
      ['conformance__test_sampling', { prompt: 'hi' }],
      ['conformance__test_elicitation', { message: 'who?' }],
    ] as const) {
      const result = await client.callTool({ name, arguments: args }).catch((error: unknown) => error);
      expect(result instanceof Error || (result as { isError?: boolean }).isError === true).toBe(true);
    }
    expect(asked).toBe(0);
    await client.close();
  });
});
