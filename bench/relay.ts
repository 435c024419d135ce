/**
 * A bare MCP relay built on the SDK alone: the floor that issue 21 compares the gateway against. It serves stdio
 * (StdioServerTransport towards the client), spawns one upstream (StdioClientTransport), re-exports the upstream's
 * tools/list and forwards tools/call with `client.request(…, CallToolResultSchema)`, exactly as the gateway forwards
 * (DESIGN.md, upstream protocol notes). Nothing else: no policy, no renaming, no cache, no audit, so every cost the
 * gateway adds above this one is the price of mediation.
 *
 * Usage: `relay <command> [args…]` (the upstream). The bench bundles it with esbuild (bench.ts, `bundleRelay`) so that
 * it starts as a bundle, like the gateway does. Failure mode: an upstream that cannot be spawned exits 1 with the
 * reason on stderr; stdin EOF closes the upstream and exits 0.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: relay <command> [args…]\n');
  process.exit(2);
}

const upstream = new Client({ name: 'bare-relay', version: '1.0.0' });
try {
  await upstream.connect(new StdioClientTransport({ command, args, env: getDefaultEnvironment(), stderr: 'inherit' }));
} catch (error) {
  process.stderr.write(`relay: cannot start ${command}: ${(error as Error).message}\n`);
  process.exit(1);
}

const server = new Server({ name: 'bare-relay', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, (req) => upstream.listTools(req.params));
server.setRequestHandler(CallToolRequestSchema, (req, extra) =>
  upstream.request({ method: 'tools/call', params: req.params }, CallToolResultSchema, { signal: extra.signal }),
);

// StdioServerTransport does not close on stdin EOF; a relay that outlived its client would keep the upstream alive.
process.stdin.once('end', () => {
  void upstream.close().finally(() => process.exit(0));
});
await server.connect(new StdioServerTransport());
