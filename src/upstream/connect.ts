/**
 * Opens one connection to one upstream: a stdio child (our own transport, see stdio-transport.ts) or a remote
 * endpoint over Streamable HTTP, SSE, or `auto` (Streamable HTTP first, SSE when the server refuses it, as the MCP
 * backwards-compatibility guidance describes; see remote.ts). The Client both transports use, and the connection
 * types, live in client.ts (remote.ts imports them from there, so the two never import each other); the ones
 * callers use are re-exported here.
 */
import type { ResolvedServer } from '../config/load.js';
import { messageOf } from '../errors.js';
import { SignInRequiredError } from '../oauth/provider.js';
import {
  configuredRoots,
  createClient,
  relayFor,
  wrapTransport,
  type ConnectOptions,
  type Connection,
} from './client.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { resolvePaths } from '../config/paths.js';
import type { SandboxEvent } from '../sandbox/types.js';
import { StdioUpstreamTransport } from './stdio-transport.js';

// Callers outside this folder keep importing connections from here.
export {
  createClient,
  type ClientRelay,
  type ConnectOptions,
  type Connection,
  type RelayMethod,
  type ServerRelay,
} from './client.js';

/** Remote transports and undici are loaded on first use: most gateways run only stdio servers, and start-up counts. */
async function openRemote(server: ResolvedServer, opts: ConnectOptions, via: 'streamable-http' | 'sse') {
  const remote = await import('./remote.js');
  return remote.openRemote(server, opts, via);
}

/** Closes the keep-alive pool, if remote upstreams ever loaded it. */
export async function closeHttpPool(): Promise<void> {
  if (remoteLoaded) await (await import('./remote.js')).closeHttpPool();
}

let remoteLoaded = false;

export async function openConnection(server: ResolvedServer, connectOptions: ConnectOptions): Promise<Connection> {
  // Bound to this server here, so that both transports make their Client with this server's relay.
  const opts = { ...connectOptions, relay: relayFor(connectOptions.relay, server.name) };
  if (server.kind === 'stdio') return openStdio(server, opts);
  remoteLoaded = true;
  if (server.transport === 'auto') {
    try {
      return await openRemote(server, opts, 'streamable-http');
    } catch (first) {
      // Not a transport problem: SSE would need the same sign-in.
      if (first instanceof SignInRequiredError) throw first;
      opts.log.info({ err: messageOf(first) }, 'Streamable HTTP failed; falling back to SSE');
      try {
        return await openRemote(server, opts, 'sse');
      } catch (second) {
        throw new Error(
          `cannot connect to ${server.url}: Streamable HTTP: ${messageOf(first)}; SSE: ${messageOf(second)}`,
          { cause: second },
        );
      }
    }
  }
  return openRemote(server, opts, server.transport);
}

async function openStdio(server: ResolvedServer, opts: ConnectOptions): Promise<Connection> {
  const launch = server.sandbox ? await sandboxed(server, opts) : undefined;
  const transport = new StdioUpstreamTransport({
    command: launch?.command ?? server.command!,
    args: launch?.args ?? server.args,
    env: launch?.env ?? server.env,
    cwd: launch ? launch.cwd : server.cwd,
    log: opts.log,
    mask: opts.mask,
    maxMessageBytes: opts.maxMessageBytes,
    ...(launch ? { afterExit: () => launch.cleanup() } : {}),
  });
  const client = createClient(opts.relay, configuredRoots(server));
  try {
    await client.connect(transport, { timeout: opts.timeoutMs });
  } catch (error) {
    await transport.close();
    const end = transport.exit;
    // A server that cannot start in its sandbox usually misses a file, a folder or a host its profile does not give.
    const hint = launch?.confined
      ? '; it runs in a sandbox: a file, folder or host it needs may be missing from its profile (docs/sandbox.md)'
      : '';
    throw new Error(
      end ? `${messageOf(error)} (the process ${describeExit(end.code, end.signal)}${hint})` : messageOf(error),
      { cause: error },
    );
  }
  return {
    client,
    transport,
    direct: wrapTransport(transport),
    via: 'stdio',
    describeEnd: () => {
      const end = transport.exit;
      return end ? `the process ${describeExit(end.code, end.signal)}` : 'the connection closed';
    },
    close: () => client.close(),
  };
}

/**
 * The command line of a server with a sandbox profile (sandbox/launch.ts, loaded only for such servers). A server
 * the sandbox refuses throws SandboxRefusedError, which the Upstream keeps as its reason instead of retrying.
 */
async function sandboxed(server: ResolvedServer, opts: ConnectOptions) {
  const context = opts.sandbox ?? {
    gatewayHome: resolvePaths().home,
    gatewayEnv: process.env,
    onEvent: (e: SandboxEvent) => opts.log.warn({ sandbox: e }, `sandbox: ${e.event}`),
  };
  const { prepareLaunch } = await import('../sandbox/launch.js');
  const launch = await prepareLaunch({
    server: server.name,
    command: server.command!,
    args: server.args,
    env: { ...getDefaultEnvironment(), ...server.env },
    cwd: server.cwd,
    roots: server.roots,
    profile: server.sandbox!,
    gatewayHome: context.gatewayHome,
    bwrap: server.sandbox!.bwrap,
    gatewayEnv: context.gatewayEnv,
    log: opts.log,
    onEvent: context.onEvent,
  });
  opts.log.info({ sandbox: launch.summary }, launch.confined ? 'upstream sandboxed' : 'upstream runs unconfined');
  return launch;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `was killed by ${signal}`;
  return `exited with code ${code ?? 'unknown'}`;
}
