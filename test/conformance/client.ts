/**
 * The client under test in the conformance suite's client mode (started by test/conformance/run.ts through the
 * suite, which appends its test server's URL and sets MCP_CONFORMANCE_SCENARIO). What is tested is the gateway's
 * upstream HTTP client: this writes a config with one `url` server (the suite's server), starts the BUILT gateway
 * over stdio, and, as an MCP client of the gateway, lists the tools and calls each one (arguments made from its
 * input schema), so that every request the suite's server expects reaches it through the gateway. Elicitation
 * and sampling requests relayed by the gateway are answered (accept with no content, so that the schema's defaults
 * apply; a fixed sampling reply). Exit 0 when every step succeeded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/secure-mcp-gateway.js');

/** A value for each required property of a tool's input schema. */
function argumentsFor(tool: Tool): Record<string, unknown> {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string; default?: unknown }>;
  const args: Record<string, unknown> = {};
  for (const name of tool.inputSchema.required ?? []) {
    const prop = props[name] ?? {};
    if (prop.default !== undefined) args[name] = prop.default;
    else if (prop.type === 'number' || prop.type === 'integer') args[name] = 2;
    else if (prop.type === 'boolean') args[name] = true;
    else args[name] = 'conformance';
  }
  return args;
}

async function main(): Promise<number> {
  const url = process.argv.at(-1);
  if (!url?.startsWith('http')) {
    console.error('usage: client.ts <server-url>');
    return 2;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-conformance-client-'));
  const configPath = path.join(home, 'config.json');
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      // The suite's server asks for elicitation and sampling: a server declares that need in the config (issue 15,
      // both default to deny).
      servers: { suite: { url, transport: 'streamable-http', elicitation: 'allow', sampling: 'allow' } },
      log: { level: 'warn', file: false },
    }),
  );
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'start', '--config', configPath],
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    stderr: 'inherit',
  });
  const client = new Client(
    { name: 'smg-conformance-client', version: '1.0.0' },
    { capabilities: { elicitation: { form: { applyDefaults: true } }, sampling: {} } },
  );
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: {} }));
  client.setRequestHandler(CreateMessageRequestSchema, () => ({
    role: 'assistant',
    content: { type: 'text', text: 'a reply from the conformance client' },
    model: 'conformance',
  }));
  let failed = 0;
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    for (const tool of tools) {
      const result = await client.callTool({ name: tool.name, arguments: argumentsFor(tool) });
      const text = JSON.stringify(result.content).slice(0, 300);
      console.log(`${tool.name}: ${result.isError ? 'error result' : 'ok'} ${text}`);
      if (result.isError) failed++;
    }
  } finally {
    await client.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
