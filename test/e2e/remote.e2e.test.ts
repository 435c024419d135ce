/**
 * Remote upstreams, end to end: the everything server runs as a real HTTP server (Streamable HTTP at /mcp, and
 * separately the legacy HTTP+SSE transport at /sse), and the built gateway reaches it over the network with each
 * configured transport, including `auto` against an SSE-only server, which must fall back to SSE.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  nonJsonRpcLines,
  npmServer,
  processTree,
  startGateway,
  type SpawnedGateway,
  logLines,
  textOf,
} from '../helpers/gateway.js';
import { freePort } from '../helpers/redis.js';

interface HttpServer {
  proc: ChildProcess;
  port: number;
  output: () => string;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startEverything(transport: 'streamableHttp' | 'sse'): Promise<HttpServer> {
  const port = await freePort();
  const proc = spawn(process.execPath, [npmServer('everything'), transport], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const end = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (proc.exitCode !== null || Date.now() > end)
      throw new Error(`everything ${transport} did not listen on ${port}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, port, output: () => output };
}

async function stopServer(server: HttpServer | undefined): Promise<void> {
  if (!server || server.proc.exitCode !== null || server.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGTERM');
  await exited;
}

/** Lists, echoes through `<name>__echo`, checks the transport used, and shuts down cleanly. */
async function expectEchoThrough(gw: SpawnedGateway, name: string, via: 'streamable-http' | 'sse'): Promise<void> {
  const pids = new Set(processTree(gw.proc.pid!));
  const { tools } = await gw.client.listTools();
  const names = tools.map((t) => t.name);
  expect(names).toContain(`${name}__echo`);
  expect(names.every((n) => n.startsWith(`${name}__`))).toBe(true);

  const result = await gw.client.callTool({ name: `${name}__echo`, arguments: { message: `hello over ${via}` } });
  expect(result.isError).toBeFalsy();
  expect(textOf(result)).toBe(`Echo: hello over ${via}`);

  const connected = logLines(gw).filter((l) => l.server === name && l.msg === 'upstream connected');
  expect(connected.map((l) => l.via)).toEqual([via]);

  for (const pid of processTree(gw.proc.pid!)) pids.add(pid);
  const { code, signal } = await gw.closeStdin();
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect([...pids].filter(alive)).toEqual([]);
  expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
}

describe('remote upstreams', () => {
  let streamable: HttpServer | undefined;
  let sse: HttpServer | undefined;

  beforeAll(async () => {
    [streamable, sse] = await Promise.all([startEverything('streamableHttp'), startEverything('sse')]);
  });

  afterAll(async () => {
    await Promise.all([stopServer(streamable), stopServer(sse)]);
  });

  it('proxies a Streamable HTTP upstream', async () => {
    const url = `http://127.0.0.1:${streamable!.port}/mcp`;
    const gw = await startGateway({ servers: { web: { url, transport: 'streamable-http' } } });
    await expectEchoThrough(gw, 'web', 'streamable-http');
  });

  it('proxies a legacy HTTP+SSE upstream', async () => {
    const url = `http://127.0.0.1:${sse!.port}/sse`;
    const gw = await startGateway({ servers: { legacy: { url, transport: 'sse' } } });
    await expectEchoThrough(gw, 'legacy', 'sse');
  });

  it('falls back from Streamable HTTP to SSE with transport auto', async () => {
    const url = `http://127.0.0.1:${sse!.port}/sse`;
    const gw = await startGateway({ servers: { fallback: { url, transport: 'auto' } } });
    await expectEchoThrough(gw, 'fallback', 'sse');
    expect(
      logLines(gw).some((l) => l.server === 'fallback' && l.msg === 'Streamable HTTP failed; falling back to SSE'),
    ).toBe(true);
  });
});
