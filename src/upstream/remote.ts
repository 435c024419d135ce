/**
 * Remote upstreams: Streamable HTTP or SSE, through one shared undici Agent with keep-alive, so that every call
 * to the same host reuses a connection. Loaded lazily by connect.ts; it imports the shared Client from client.ts,
 * never connect.ts, so that there is no import cycle.
 */
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ResolvedServer } from '../config/load.js';
import { configuredRoots, createClient, wrapTransport, type ConnectOptions, type Connection } from './client.js';

let sharedAgent: Agent | undefined;

/** One keep-alive pool for every remote upstream. */
function httpFetch(): FetchLike {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 10 * 60_000, connections: 64 });
  const dispatcher = sharedAgent;
  return (url, init) => undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
}

export async function closeHttpPool(): Promise<void> {
  const agent = sharedAgent;
  sharedAgent = undefined;
  await agent?.close().catch(() => undefined);
}

export async function openRemote(
  server: ResolvedServer,
  opts: ConnectOptions,
  via: 'streamable-http' | 'sse',
): Promise<Connection> {
  const url = new URL(server.url!);
  const requestInit: RequestInit = { headers: server.headers };
  const fetch = httpFetch();
  const transport =
    via === 'sse'
      ? new SSEClientTransport(url, { requestInit, fetch })
      : new StreamableHTTPClientTransport(url, { requestInit, fetch });
  const client = createClient(opts.relay, configuredRoots(server));
  try {
    await client.connect(transport, { timeout: opts.timeoutMs });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return {
    client,
    transport,
    direct: wrapTransport(transport),
    via,
    describeEnd: () => 'the connection closed',
    close: async () => {
      if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}
