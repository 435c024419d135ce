/**
 * The gateway's side of one upstream connection, shared by both transports: the SDK Client it makes (capabilities,
 * the relay of sampling and elicitation, its own `roots/list` answer), the filters installed on a connected
 * transport, and the types that describe a connection. connect.ts (stdio, and the choice of transport) and
 * remote.ts (Streamable HTTP and SSE) both import this module and never each other, so the lazily loaded remote
 * code has no import back into connect.ts.
 *
 * The SDK Client declares sampling or elicitation only when the gateway's own client declared it and the server's
 * relay (server/relay-guard.ts) lets this server use it; a request it was not offered is refused through the
 * relay, so that the refusal is recorded. It always declares
 * roots, and answers `roots/list` itself with the server's configured `roots` (an empty list when none are
 * configured): never with the client's roots, because server-filesystem replaces its allowed folders with whatever
 * roots it is given. The list never changes during a connection, so `listChanged` is not declared and the client's
 * `notifications/roots/list_changed` is never forwarded.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { pathToFileURL } from 'node:url';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  McpError,
  ListRootsRequestSchema,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedServer } from '../config/load.js';
import { guarded } from '../pipeline/crossings.js';
import type { Logger } from '../log.js';
import type { SandboxEvent } from '../sandbox/types.js';
import { VERSION } from '../version.js';
import { DirectCaller } from './direct-call.js';
import { keepProgressOrder } from './progress-order.js';

/** The two requests an upstream may make of the client (besides `roots/list`, which the gateway answers itself). */
export type RelayMethod = 'sampling/createMessage' | 'elicitation/create';

/**
 * What the gateway does with one server's requests of the client. A request it does not relay to this server
 * (the capability is not declared to it: the client lacks it, or the server's policy refuses it) is answered with
 * `refuse(method)`, which records the refusal and returns the error to send; without `refuse` it is an unknown
 * method.
 */
export interface ServerRelay {
  sampling?: (request: CreateMessageRequest, signal: AbortSignal) => Promise<CreateMessageResult>;
  elicitation?: (request: ElicitRequest, signal: AbortSignal) => Promise<ElicitResult>;
  /** What the downstream client declared; only sampling and elicitation are copied. */
  clientCapabilities?: ClientCapabilities;
  refuse?: (method: RelayMethod) => Error;
}

/** One relay for every server, or one per server (server/relay-guard.ts: each server has its own policy). */
export type ClientRelay = ServerRelay | ((server: string) => ServerRelay);

/** The relay of one server. */
export function relayFor(relay: ClientRelay, server: string): ServerRelay {
  return typeof relay === 'function' ? relay(server) : relay;
}

export interface ConnectOptions {
  log: Logger;
  mask: (text: string) => string;
  relay: ClientRelay;
  timeoutMs: number;
  maxMessageBytes: number;
  /**
   * Whose OAuth tokens a remote server uses (issue 18): undefined, the local ones (`oauth:<server>`, stdio gateway);
   * a user, that user's (`oauth:<server>:<user>`, a per-user pool of `serve`); null, nobody's (a shared pool of
   * `serve`: only a client_credentials server, the gateway's own identity, gets a token).
   */
  oauthUser?: string | null;
  /**
   * stdio: where a sandboxed server's events go, and the gateway's home and environment (issue 19). Default: the
   * home of resolvePaths(), this process's environment, and events to the log only (the CLI's scan, tools, doctor).
   */
  sandbox?: SandboxContext;
}

export interface SandboxContext {
  /** The gateway's home: hidden from sandboxes, and the parent of persistent sandbox homes. */
  gatewayHome: string;
  /** The gateway's own environment (its PATH finds bwrap). */
  gatewayEnv: NodeJS.ProcessEnv;
  onEvent: (event: SandboxEvent) => void;
}

export interface Connection {
  client: Client;
  transport: Transport;
  /** Which transport was used in the end (auto resolves to one of the two). */
  via: 'stdio' | 'streamable-http' | 'sse';
  /** tools/call on the hot path, beside the SDK Client (see direct-call.ts). */
  direct: DirectCaller;
  /** "exited with code 1", "was killed by SIGKILL", "connection closed": for error messages. */
  describeEnd(): string;
  close(): Promise<void>;
}

export function createClient(clientRelay: ClientRelay, roots: readonly string[], server = ''): Client {
  const relay = relayFor(clientRelay, server);
  const declared = relay.clientCapabilities ?? {};
  const capabilities: ClientCapabilities = { roots: {} };
  if (declared.sampling && relay.sampling) capabilities.sampling = declared.sampling;
  if (declared.elicitation && relay.elicitation) capabilities.elicitation = declared.elicitation;
  const client = new Client({ name: 'secure-mcp-gateway', version: VERSION }, { capabilities });
  const { sampling, elicitation } = relay;
  if (capabilities.sampling && sampling)
    client.setRequestHandler(guarded('upstream', 'request', CreateMessageRequestSchema), (req, extra) =>
      sampling(req, extra.signal),
    );
  if (capabilities.elicitation && elicitation)
    client.setRequestHandler(guarded('upstream', 'request', ElicitRequestSchema), (req, extra) =>
      elicitation(req, extra.signal),
    );
  // A request the server was not offered (the SDK answers "method not found" for it) is recorded as a refusal.
  const { refuse } = relay;
  if (refuse)
    client.fallbackRequestHandler = (req) => {
      if (req.method === 'sampling/createMessage' || req.method === 'elicitation/create')
        return Promise.reject(refuse(req.method));
      return Promise.reject(new McpError(ErrorCode.MethodNotFound, 'Method not found'));
    };
  const list = { roots: roots.map(rootOf) };
  client.setRequestHandler(guarded('upstream', 'request', ListRootsRequestSchema), () => list);
  return client;
}

/** What a server's `roots/list` is answered with: its `roots` from the config, never its cwd or the client's. */
export function configuredRoots(server: ResolvedServer): readonly string[] {
  return server.config.roots ? server.roots : [];
}

/** One configured directory as an MCP root: a file:// URI, named after the folder. */
export function rootOf(dir: string): { uri: string; name: string } {
  const url = pathToFileURL(dir).href;
  return { uri: url.endsWith('/') && url !== 'file:///' ? url.slice(0, -1) : url, name: dir };
}

/**
 * Installs the gateway's two message filters on a connected transport: the direct tools/call path takes its own
 * messages first, and the rest reach the SDK Client in an order that keeps progress ahead of its response.
 */
export function wrapTransport(transport: Transport): DirectCaller {
  keepProgressOrder(transport);
  return new DirectCaller(transport);
}
