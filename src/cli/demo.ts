/**
 * `npm run demo`: the gateway's main job on the bundled example config, with no keys and no network. It starts the
 * built gateway exactly as a client would (stdio), with server-everything and server-filesystem scoped to a fresh
 * temporary folder, then lists the tools, makes allowed calls and calls the pipeline blocks, printing each step.
 * npx finds both servers among this checkout's devDependencies, so nothing is downloaded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import { type CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const configFile = path.join(root, 'config/example.config.json');
const out = (line = '') => process.stdout.write(`${line}\n`);
const indent = (text: string) => text.replace(/^/gm, '      ');

function textOf(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join(' ');
}

async function step(title: string, call: () => Promise<string>): Promise<void> {
  out(`\n▸ ${title}`);
  try {
    out(indent((await call()).trimEnd()));
  } catch (error) {
    const e = error as McpError;
    out(indent(`JSON-RPC error ${e.code ?? ''}: ${e.message.replace(/^MCP error -?\d+: /, '')}`));
  }
}

async function main(): Promise<void> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-demo-workspace-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-demo-home-'));
  fs.writeFileSync(path.join(workspace, 'README.txt'), 'This folder is the only one the fs server may touch.\n');

  out('secure-mcp-gateway demo');
  out(`  config:    ${path.relative(process.cwd(), configFile)} (servers: everything, fs; remote-example is disabled)`);
  out(`  workspace: ${workspace}  (SMG_WORKSPACE, the fs server's only folder)`);
  out(`  home:      ${home}  (SMG_HOME: cache, gateway.log)`);

  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, 'bin/secure-mcp-gateway.js'), '--config', configFile],
    env: { ...process.env, SMG_HOME: home, SMG_WORKSPACE: workspace, SMG_LOG_LEVEL: 'warn' },
    cwd: root,
    stderr: 'pipe',
  });
  let gatewayLog = '';
  transport.stderr?.on('data', (c: Buffer) => (gatewayLog += c.toString()));
  const client = new Client({ name: 'smg-demo', version: '1.0.0' });
  await client.connect(transport);
  out(`\n▸ connected to ${client.getServerVersion()?.name} ${client.getServerVersion()?.version} over stdio`);

  await step('tools/list: every allowed tool of every upstream, namespaced <server>__<tool>', async () => {
    const { tools } = await client.listTools();
    const by = (prefix: string) => tools.filter((t) => t.name.startsWith(prefix)).map((t) => t.name);
    return [
      `${tools.length} tools`,
      `everything: ${by('everything__').join(', ')}`,
      `fs:         ${by('fs__').join(', ')}`,
      `hidden by the config's allow/deny lists: everything__get-env, everything__gzip-file-as-resource,`,
      `  fs__move_file, fs__edit_file, fs__create_directory`,
    ].join('\n');
  });

  await step('allowed: everything__echo {"message": "hello through the gateway"}', async () =>
    textOf(
      (await client.callTool({
        name: 'everything__echo',
        arguments: { message: 'hello through the gateway' },
      })) as CallToolResult,
    ),
  );

  const note = path.join(workspace, 'note.md');
  await step(`allowed: fs__write_file inside the workspace, then fs__read_text_file`, async () => {
    await client.callTool({
      name: 'fs__write_file',
      arguments: { path: note, content: '# written via the gateway\n' },
    });
    return textOf((await client.callTool({ name: 'fs__read_text_file', arguments: { path: note } })) as CallToolResult);
  });

  await step('allowed: resources/read demo://resource/static/document/features.md (routed by URI)', async () => {
    const r = await client.readResource({ uri: 'demo://resource/static/document/features.md' });
    const first = r.contents[0];
    const text = first && 'text' in first ? first.text : '';
    return `${text.split('\n').slice(0, 3).join('\n')}\n…`;
  });

  await step(
    'blocked by the parameter check: everything__get-sum {"a": "one", "b": 2} breaks the tool schema',
    async () =>
      textOf((await client.callTool({ name: 'everything__get-sum', arguments: { a: 'one', b: 2 } })) as CallToolResult),
  );

  await step('blocked by the input guardrail: everything__echo with a 300 KB argument (limit 256 KiB)', async () =>
    textOf(
      (await client.callTool({
        name: 'everything__echo',
        arguments: { message: 'x'.repeat(300_000) },
      })) as CallToolResult,
    ),
  );

  await step('not even visible: everything__get-env is denied in config, so it is an unknown tool', async () => {
    await client.callTool({ name: 'everything__get-env', arguments: {} });
    return 'unexpectedly allowed';
  });

  await client.close();
  out('\n▸ stdin closed: the gateway drained, stopped both upstreams and exited.');
  const warnings = gatewayLog
    .split('\n')
    .filter((l) => l.includes('"call blocked"'))
    .map((l) => JSON.parse(l) as { server: string; tool: string; ruleId: string });
  out(
    `  its log recorded ${warnings.length} blocked calls: ${warnings.map((w) => `${w.server}/${w.tool} (${w.ruleId})`).join(', ')}`,
  );
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
