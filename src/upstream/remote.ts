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
import { gatewaySession } from '../oauth/session.js';
import { tokenExchangeSession } from '../oauth/token-exchange.js';
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
  // OAuth (issue 18): the session's fetch puts a fresh token on every request to the server; the provider lets the
  // SDK transport answer a 401 challenge. A sign-in that only a person can do fails the request at once.
  const oauth = gatewaySession(server, httpFetch(), { user: opts.oauthUser });
  // serve with tokenExchange: the user's IdP token exchanged for one of this server (RFC 8693), else the above.
  const exchange = tokenExchangeSession(server, opts.oauthUser, httpFetch(), oauth);
  const fetch = exchange?.fetch ?? oauth?.fetch ?? httpFetch();
  const auth = oauth ? { authProvider: oauth.provider } : {};
  const transport =
    via === 'sse'
      ? new SSEClientTransport(url, { requestInit, fetch, ...auth })
      : new StreamableHTTPClientTransport(url, { requestInit, fetch, ...auth });
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
