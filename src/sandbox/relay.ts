/**
 * The relay that runs INSIDE a sandbox with its own network namespace (issue 19), built alone to
 * dist/sandbox-relay.cjs (node:* only, so it runs from a read-only bind mount without node_modules):
 *
 *   node sandbox-relay.cjs --listen 127.0.0.1:3128 --socket /run/smg/egress.sock -- <command> <args...>
 *
 * It listens on the namespace's own loopback, then runs the server with `stdio: 'inherit'` (MCP stdio passes straight
 * through, at no per-call cost). Each TCP connection is piped to a new connection on the Unix socket where the
 * gateway's egress proxy (sandbox/egress-proxy.ts) decides; the relay itself decides nothing. Signals SIGTERM, SIGINT
 * and SIGHUP go on to the server; the relay exits with the server's code or re-raises its signal.
 *
 * Failure mode closed: a relay that cannot listen exits 125 before starting the server (a server without its proxy
 * would only fail later, less clearly); a command that cannot be started exits 127 (not found) or 126. A connection
 * whose either end fails is closed on both ends.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

export const EXIT_RELAY_FAILED = 125;

interface RelayArgs {
  host: string;
  port: number;
  socket: string;
  command: string;
  args: string[];
}

/** Reads the command line, or returns the reason it is unusable. */
export function parseRelayArgs(argv: readonly string[]): RelayArgs | string {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const rest = dash === -1 ? [] : argv.slice(dash + 1);
  let listen: string | undefined;
  let socket: string | undefined;
  for (let i = 0; i < own.length; i++) {
    const flag = own[i];
    const value = own[i + 1];
    if ((flag === '--listen' || flag === '--socket') && value !== undefined) {
      if (flag === '--listen') listen = value;
      else socket = value;
      i++;
    } else {
      return `unexpected argument ${JSON.stringify(flag)}`;
    }
  }
  const match = listen === undefined ? null : /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match || !(port >= 1 && port <= 65535)) return '--listen needs host:port (127.0.0.1:3128)';
  if (!socket) return '--socket needs the path of the egress proxy socket';
  const [command, ...args] = rest;
  if (!command) return 'no command after --';
  const host = (match[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  return { host, port, socket, command, args };
}

/** Pipes each accepted TCP connection to a fresh connection on the Unix socket. */
export function createRelayServer(socketPath: string): net.Server {
  return net.createServer((tcp) => {
    const unix = net.connect(socketPath);
    const closeBoth = (): void => {
      tcp.destroy();
      unix.destroy();
    };
    tcp.on('error', closeBoth);
    unix.on('error', closeBoth);
    tcp.on('close', closeBoth);
    unix.on('close', closeBoth);
    tcp.setNoDelay(true);
    tcp.pipe(unix);
    unix.pipe(tcp);
  });
}

function fail(message: string, code: number): never {
  process.stderr.write(`secure-mcp-gateway sandbox relay: ${message}\n`);
  process.exit(code);
}

function main(argv: readonly string[]): void {
  const parsed = parseRelayArgs(argv);
  if (typeof parsed === 'string') fail(parsed, EXIT_RELAY_FAILED);
  const server = createRelayServer(parsed.socket);
  server.once('error', (error) =>
    fail(`cannot listen on ${parsed.host}:${parsed.port}: ${error.message}`, EXIT_RELAY_FAILED),
  );
  server.listen({ host: parsed.host, port: parsed.port }, () => {
    // Later errors (a failed accept) must not end the relay and the server with it.
    server.removeAllListeners('error');
    server.on('error', (error) => process.stderr.write(`secure-mcp-gateway sandbox relay: ${error.message}\n`));
    const child = spawn(parsed.command, parsed.args, { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => {
      child.kill(signal);
    };
    const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    child.once('error', (error: NodeJS.ErrnoException) => {
      fail(`cannot start ${parsed.command}: ${error.message}`, error.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      server.close();
      for (const [s, handler] of handlers) process.removeListener(s, handler);
      if (signal) {
        // Die the way the server died, so the launcher sees the same signal.
        process.kill(process.pid, signal);
        return;
      }
      process.exit(code ?? 1);
    });
  });
}

// Run only as the built entry (dist/sandbox-relay.cjs), not when a test imports the module.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  main(process.argv.slice(2));
}
