/**
 * The gateway side of a sandboxed server's network (issue 19): an HTTP proxy on a Unix socket that the launcher
 * bind-mounts into the server's network namespace, where sandbox/relay.ts forwards 127.0.0.1:<port> to it. One proxy
 * per sandboxed server process, so the socket says who is asking.
 *
 * It speaks `CONNECT host:port` (TLS tunnels) and absolute-form plain HTTP (`GET http://host/path`, forwarded once in
 * origin form with `Connection: close`). A destination passes when:
 * 1. its name (lower case, punycode, no trailing dot) matches an allow entry, with the entry's port if it has one;
 *    an IP literal matches address/CIDR entries only;
 * 2. it resolves (the static `resolve` map first, else DNS) — else `sandbox.egress.unresolvable`;
 * 3. EVERY address is public, or lies in a listed address/CIDR (with a matching port) — else
 *    `sandbox.egress.private-address`. A cloud metadata address passes only when listed exactly, never by a CIDR
 *    around it: "10.0.0.0/8" is someone's office network, 169.254.169.254 is the machine's credentials.
 * The proxy then connects to the address it checked, never to the name again, so DNS rebinding cannot race it.
 *
 * Failure mode closed: anything it cannot parse is `sandbox.egress.bad-request` (400), a name not listed is
 * `sandbox.egress.not-allowed` (403). Each denial calls `onDenied`, logs a warning and answers a plain-text body that
 * names the rule, so the server's own error message says why. Bounded: an 8 KB request header read within
 * `headerTimeoutMs`, a connect timeout (504, not a denial), at most `maxConnections` connections (503 beyond).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Logger } from '../log.js';
import { classifyAddress, inNetworks, parseAddress, parseNetwork, type Address } from '../util/ip-address.js';
import { egressEntryProblem } from './config-schema.js';
import type { EgressDenial } from './types.js';

export type EgressRuleId =
  | 'sandbox.egress.not-allowed'
  | 'sandbox.egress.private-address'
  | 'sandbox.egress.unresolvable'
  | 'sandbox.egress.bad-request';

export interface EgressProxyOptions {
  /** The server this proxy serves (log lines and denial reasons name it). */
  server: string;
  /** Allow entries, as config validates them (config-schema.ts `egressEntryProblem`). */
  allow: readonly string[];
  /** Static name → address map consulted before DNS (top-level `sandbox.resolve`). */
  resolve?: Readonly<Record<string, string>>;
  socketPath: string;
  log: Logger;
  onDenied: (d: EgressDenial) => void;
  /** Milliseconds to reach the destination before answering 504. Default 10000. */
  connectTimeoutMs?: number;
  /** Milliseconds a client has to send its whole request header. Default 10000. */
  headerTimeoutMs?: number;
  /** Milliseconds DNS may take before the name counts as unresolvable. Default 5000. */
  resolveTimeoutMs?: number;
  /** Open client connections at most; more are answered 503. Default 64. */
  maxConnections?: number;
  /** Not config: a resolver for tests. Default `dns.lookup` with `all: true`. */
  lookup?: (host: string) => Promise<readonly string[]>;
}

export interface EgressProxy {
  socketPath: string;
  /** Stops listening, destroys open tunnels and removes the socket file. */
  close(): Promise<void>;
  stats(): { allowed: number; denied: number };
}

/** An allow entry, parsed: a name (exact or `*.` wildcard) or a network, each with an optional port. */
export type EgressRule =
  | { kind: 'name'; name: string; wildcard: boolean; port?: number }
  | { kind: 'network'; network: readonly [Address, number]; exact: boolean; port?: number };

export const MAX_HEADER_BYTES = 8192;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
const DEFAULT_RESOLVE_TIMEOUT_MS = 5000;
const DEFAULT_MAX_CONNECTIONS = 64;

// RFC 9110 token and field syntax; obs-fold and bare LF are refused, not repaired.
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\s]+) HTTP\/1\.[01]$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*?)[ \t]*$/;
const AUTHORITY = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/?#@]+):(\d{1,5})$/;
// Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own: never forwarded to the destination.
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
]);

/** Parses one allow entry; throws with the config's own message on an entry config would refuse. */
export function parseEgressRule(entry: string): EgressRule {
  const problem = egressEntryProblem(entry);
  if (problem) throw new Error(`egress allow entry ${problem}`);
  let host = entry;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else if (!net.isIPv6(entry.split('/')[0]!)) {
    const colon = entry.lastIndexOf(':');
    if (colon !== -1) {
      host = entry.slice(0, colon);
      port = Number(entry.slice(colon + 1));
    }
  }
  if (host.includes('/') || net.isIP(host)) {
    const network = parseNetwork(host);
    const addr = ipaddr.process(network[0].toString());
    // An IPv4-mapped entry (::ffff:10.0.0.1) means the IPv4 address, as addresses are compared after ipaddr.process.
    const bits = addr.kind() !== network[0].kind() ? Math.max(0, network[1] - 96) : network[1];
    const full = addr.kind() === 'ipv4' ? 32 : 128;
    return { kind: 'network', network: [addr, bits], exact: bits === full, port };
  }
  const wildcard = host.startsWith('*.');
  const name = normaliseHost(wildcard ? host.slice(2) : host);
  if (!name) throw new Error(`egress allow entry "${entry}": not a host name`);
  return { kind: 'name', name, wildcard, port };
}

/** A request's host as the allow list compares it: lower case, punycode, odd IPv4 spellings folded, no trailing dot. */
export function normaliseHost(raw: string): string | undefined {
  if (raw === '' || /[\s/\\?#@%]/.test(raw)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${raw}/`).hostname;
  } catch {
    return undefined;
  }
  host = host.replace(/\.+$/, '');
  return host === '' ? undefined : host;
}

function portMatches(rule: EgressRule, port: number): boolean {
  return rule.port === undefined || rule.port === port;
}

function nameMatches(rule: EgressRule, host: string, port: number): boolean {
  if (rule.kind !== 'name' || !portMatches(rule, port)) return false;
  return rule.wildcard ? host.endsWith(`.${rule.name}`) : host === rule.name;
}

/** The network entry that lets `addr` through on `port`; a metadata address needs an entry naming it exactly. */
function listedNetwork(rules: readonly EgressRule[], addr: Address, port: number, metadata: boolean): boolean {
  return rules.some(
    (r) => r.kind === 'network' && portMatches(r, port) && (!metadata || r.exact) && inNetworks(addr, [r.network]),
  );
}

type Decision = { ok: true; addresses: string[] } | { ok: false; status: number; ruleId: EgressRuleId; reason: string };

/** The allow-list decision for one destination, with the addresses to connect to when it passes. */
export function createEgressPolicy(opts: {
  server: string;
  allow: readonly string[];
  resolve?: Readonly<Record<string, string>>;
  lookup?: (host: string) => Promise<readonly string[]>;
  resolveTimeoutMs?: number;
}): (host: string, port: number) => Promise<Decision> {
  const rules = opts.allow.map(parseEgressRule);
  const resolveMap = new Map<string, string>();
  for (const [name, address] of Object.entries(opts.resolve ?? {})) {
    const key = normaliseHost(name);
    if (!key || !ipaddr.isValid(address)) throw new Error(`sandbox.resolve: "${name}": "${address}" is not an address`);
    resolveMap.set(key, address);
  }
  const lookup = opts.lookup ?? systemLookup;
  const timeoutMs = opts.resolveTimeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS;
  const notListed = (host: string, port: number): Decision => ({
    ok: false,
    status: 403,
    ruleId: 'sandbox.egress.not-allowed',
    reason: `${showHost(host)}:${port} is not in the network allow list of server "${opts.server}"`,
  });

  return async (host, port) => {
    const literal = parseAddress(host);
    if (literal) {
      // An address asked for by number: only address and CIDR entries speak about it.
      const addr = ipaddr.process(literal.toString());
      if (!listedNetwork(rules, addr, port, false)) return notListed(host, port);
      const problem = classifyAddress(addr);
      if (problem?.metadata && !listedNetwork(rules, addr, port, true)) {
        return privateAddress(host, addr.toString(), problem.what);
      }
      return { ok: true, addresses: [addr.toString()] };
    }
    if (!rules.some((r) => nameMatches(r, host, port))) return notListed(host, port);

    let addresses: readonly string[];
    const fixed = resolveMap.get(host);
    try {
      addresses = fixed ? [fixed] : await withTimeout(lookup(host), timeoutMs);
    } catch (error) {
      return unresolvable(host, (error as Error).message);
    }
    if (addresses.length === 0) return unresolvable(host, 'no addresses');
    const checked: string[] = [];
    for (const address of addresses) {
      if (!ipaddr.isValid(address)) return unresolvable(host, `resolved to a non-address "${address}"`);
      const addr = ipaddr.process(address);
      const problem = classifyAddress(addr);
      if (problem && !listedNetwork(rules, addr, port, problem.metadata)) {
        return privateAddress(host, addr.toString(), problem.what);
      }
      checked.push(addr.toString());
    }
    return { ok: true, addresses: checked };
  };

  function privateAddress(host: string, address: string, what: string): Decision {
    return {
      ok: false,
      status: 403,
      ruleId: 'sandbox.egress.private-address',
      reason: `${showHost(host)} resolves to ${address}, ${what}, which the allow list of server "${opts.server}" does not name`,
    };
  }
}

function unresolvable(host: string, why: string): Decision {
  return {
    ok: false,
    status: 502,
    ruleId: 'sandbox.egress.unresolvable',
    reason: `${host} cannot be resolved (${why})`,
  };
}

function showHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function systemLookup(host: string): Promise<readonly string[]> {
  const answers = await dnsLookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What the client asked for: a tunnel, or one plain HTTP request to forward in origin form. */
type ProxyRequest =
  { kind: 'connect'; host: string; port: number } | { kind: 'forward'; host: string; port: number; head: string };

class BadRequest extends Error {}

/** Parses a request header (without its final CRLF CRLF); throws BadRequest. */
export function parseProxyRequest(head: string): ProxyRequest {
  const lines = head.split('\r\n');
  const match = REQUEST_LINE.exec(lines[0] ?? '');
  if (!match) throw new BadRequest('the request line is not "METHOD target HTTP/1.x"');
  const method = match[1]!;
  const target = match[2]!;
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const h = HEADER_LINE.exec(line);
    if (!h) throw new BadRequest('a header line is malformed');
    headers.push([h[1]!, h[2]!]);
  }
  if (method === 'CONNECT') {
    const authority = AUTHORITY.exec(target);
    const port = Number(authority?.[2]);
    const host = authority ? normaliseHost(authority[1]!) : undefined;
    if (!host || !(port >= 1 && port <= 65535)) throw new BadRequest('CONNECT needs a host:port target');
    return { kind: 'connect', host, port };
  }
  if (!/^http:\/\//i.test(target)) {
    throw new BadRequest(
      /^https:/i.test(target)
        ? 'an https:// URL must go through CONNECT'
        : 'not a proxy request (CONNECT host:port, or an absolute http:// URL)',
    );
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new BadRequest('the request URL is not a valid http:// URL');
  }
  if (url.username !== '' || url.password !== '') throw new BadRequest('the request URL carries a user name');
  const host = normaliseHost(url.hostname);
  if (!host) throw new BadRequest('the request URL has no valid host');
  const port = url.port === '' ? 80 : Number(url.port);
  // Connection may name more hop-by-hop headers.
  const named = new Set(
    headers
      .filter(([k]) => k.toLowerCase() === 'connection')
      .flatMap(([, v]) => v.split(',').map((s) => s.trim().toLowerCase())),
  );
  const kept = headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()) && !named.has(k.toLowerCase()));
  if (!kept.some(([k]) => k.toLowerCase() === 'host')) kept.unshift(['Host', url.host]);
  const lines2 = [`${method} ${url.pathname}${url.search} HTTP/1.1`, ...kept.map(([k, v]) => `${k}: ${v}`)];
  return { kind: 'forward', host, port, head: `${lines2.join('\r\n')}\r\nConnection: close\r\n\r\n` };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  408: 'Request Timeout',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function answer(socket: net.Socket, status: number, body: string, ruleId?: string): void {
  if (socket.destroyed) return;
  const text = `${body}\n`;
  // Read and drop whatever else the client sends, so its FIN arrives and the socket closes.
  socket.resume();
  const rule = ruleId ? `X-Smg-Rule: ${ruleId}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${rule}Content-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
  // A client that never reads must not hold the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Connects to the first address that answers before the deadline. */
function connectFirst(addresses: readonly string[], port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let index = 0;
    let current: net.Socket | undefined;
    let lastError: Error | undefined;
    const timer = setTimeout(() => {
      current?.destroy();
      reject(Object.assign(new Error(`no connection within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    const next = (): void => {
      const address = addresses[index++];
      if (address === undefined) {
        clearTimeout(timer);
        reject(lastError ?? new Error('no address'));
        return;
      }
      const socket = net.connect({ host: address, port });
      current = socket;
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error) => {
        lastError = error;
        socket.destroy();
        next();
      });
    };
    next();
  });
}

export async function startEgressProxy(opts: EgressProxyOptions): Promise<EgressProxy> {
  const decide = createEgressPolicy(opts);
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const headerTimeoutMs = opts.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
  const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const sockets = new Set<net.Socket>();
  const counts = { allowed: 0, denied: 0 };
  let clients = 0;
  let closed = false;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const deny = (
    client: net.Socket,
    status: number,
    ruleId: EgressRuleId,
    host: string,
    port: number,
    reason: string,
  ) => {
    counts.denied++;
    opts.log.warn({ server: opts.server, host, port, ruleId }, `sandbox egress denied: ${reason}`);
    try {
      opts.onDenied({ host, port, ruleId, reason });
    } catch (error) {
      opts.log.error({ server: opts.server, err: error }, 'sandbox egress: the denial handler failed');
    }
    answer(client, status, `secure-mcp-gateway sandbox refused this connection (${ruleId}): ${reason}`, ruleId);
  };

  async function serve(client: net.Socket, head: string, rest: Buffer): Promise<void> {
    let request: ProxyRequest;
    try {
      request = parseProxyRequest(head);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      deny(client, 400, 'sandbox.egress.bad-request', '', 0, error.message);
      return;
    }
    const { host, port } = request;
    const decision = await decide(host, port);
    if (!decision.ok) {
      deny(client, decision.status, decision.ruleId, host, port, decision.reason);
      return;
    }
    counts.allowed++;
    opts.log.debug({ server: opts.server, host, port, kind: request.kind }, 'sandbox egress allowed');
    let upstream: net.Socket;
    try {
      upstream = await connectFirst(decision.addresses, port, connectTimeoutMs);
    } catch (error) {
      const timedOut = (error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
      answer(
        client,
        timedOut ? 504 : 502,
        `secure-mcp-gateway sandbox: ${host}:${port} ${timedOut ? 'did not answer in time' : `refused the connection (${(error as Error).message})`}`,
      );
      return;
    }
    if (client.destroyed || closed) {
      upstream.destroy();
      return;
    }
    track(upstream);
    upstream.setNoDelay(true);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    upstream.on('error', () => client.destroy());
    if (request.kind === 'connect') {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    } else {
      upstream.write(request.head);
    }
    if (rest.length > 0) upstream.write(rest);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  function onConnection(client: net.Socket): void {
    track(client);
    client.on('error', () => client.destroy());
    if (clients >= maxConnections || closed) {
      answer(client, 503, `secure-mcp-gateway sandbox: more than ${maxConnections} connections at once`);
      return;
    }
    clients++;
    client.once('close', () => clients--);
    let buffered = Buffer.alloc(0);
    client.setTimeout(headerTimeoutMs, () => {
      client.removeListener('data', onData);
      answer(client, 408, `secure-mcp-gateway sandbox: no complete request header within ${headerTimeoutMs} ms`);
    });
    const onData = (chunk: Buffer): void => {
      const from = Math.max(0, buffered.length - 3);
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n', from);
      if (end === -1 && buffered.length <= MAX_HEADER_BYTES) return;
      client.removeListener('data', onData);
      client.pause();
      client.setTimeout(0);
      if (end === -1 || end > MAX_HEADER_BYTES) {
        deny(
          client,
          400,
          'sandbox.egress.bad-request',
          '',
          0,
          `the request header is larger than ${MAX_HEADER_BYTES} bytes`,
        );
        return;
      }
      serve(client, buffered.subarray(0, end).toString('latin1'), buffered.subarray(end + 4)).catch(
        (error: unknown) => {
          opts.log.error({ server: opts.server, err: error }, 'sandbox egress proxy failed on a request');
          client.destroy();
        },
      );
    };
    client.on('data', onData);
  }

  const server = net.createServer(onConnection);
  removeStaleSocket(opts.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  // Only the gateway's user may connect (the sandboxed server runs as that user too).
  fs.chmodSync(opts.socketPath, 0o600);
  server.on('error', (error) => opts.log.error({ server: opts.server, err: error }, 'sandbox egress proxy error'));

  return {
    socketPath: opts.socketPath,
    stats: () => ({ ...counts }),
    close: async () => {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await done;
      fs.rmSync(opts.socketPath, { force: true });
    },
  };
}

/** A socket file left by a proxy that died is in the way of listen(); anything else at that path is not ours. */
function removeStaleSocket(socketPath: string): void {
  try {
    if (fs.lstatSync(socketPath).isSocket()) fs.unlinkSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
