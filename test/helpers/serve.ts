/**
 * `serve` test helpers: spawn the built gateway's `serve` on a free loopback port (--port 0) with a config in a
 * temporary home, read the URL it prints, and connect real SDK clients over Streamable HTTP with a bearer key.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, tempDir, waitFor } from './gateway.js';

export interface ServeProcess {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  home: string;
  configPath: string;
  stderr: () => string;
  logs: () => { msg?: string; event?: string; [k: string]: unknown }[];
  stop(): Promise<number | null>;
}

export async function startServe(
  config: unknown,
  opts: { home?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  const home = opts.home ?? tempDir();
  const configPath = path.join(home, 'config.json');
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', configPath, '--port', '0', ...(opts.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_LOG_LEVEL: 'debug', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await waitFor(() => /listening on (\S+)/.exec(stdout)?.[1], 20_000).catch(() => {
    throw new Error(`serve did not start:\n${stderr}`);
  });
  return {
    proc,
    url,
    home,
    configPath,
    stderr: () => stderr,
    logs: () =>
      stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; event?: string }),
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** A real SDK client over Streamable HTTP, with the key as bearer token (none when undefined). */
export async function httpClient(
  url: string,
  key: string | undefined,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: key === undefined ? {} : { headers: { Authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'serve-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A raw HTTP request, for headers that fetch will not set (Host) and for status codes. */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

export const MCP_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
