import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import {
  createEgressPolicy,
  normaliseHost,
  parseEgressRule,
  parseProxyRequest,
  startEgressProxy,
  type EgressProxy,
  type EgressProxyOptions,
} from './egress-proxy.js';
import type { EgressDenial } from './types.js';

// The "internet": a local HTTP server that says which request line and headers reached it.
let internet: http.Server;
let port: number;
const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  internet = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.end(`hello ${req.url}`);
  });
  await new Promise<void>((resolve) => internet.listen(0, '127.0.0.1', resolve));
  port = (internet.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => internet.close(() => resolve())));

const dirs: string[] = [];
const proxies: EgressProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  seen.length = 0;
});

async function proxyFor(allow: string[], extra: Partial<EgressProxyOptions> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-egress-'));
  dirs.push(dir);
  const denials: EgressDenial[] = [];
  const proxy = await startEgressProxy({
    server: 'fixture',
    allow,
    resolve: { 'allowed.test': '127.0.0.1', 'attacker.test': '127.0.0.1' },
    socketPath: path.join(dir, 'egress.sock'),
    log: silentLogger(),
    onDenied: (d) => denials.push(d),
    ...extra,
  });
  proxies.push(proxy);
  return { proxy, denials };
}

/** Writes `text` to the proxy socket and reads everything until the proxy closes the connection. */
function exchange(socketPath: string, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.write(text);
  });
}

const connectTo = (host: string, p: number) =>
  `CONNECT ${host}:${p} HTTP/1.1\r\nHost: ${host}:${p}\r\n\r\n` +
  `GET /through HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

describe('egress proxy over a Unix socket', () => {
  it('tunnels a CONNECT to a listed name whose address is listed with its port', async () => {
    const { proxy, denials } = await proxyFor(['allowed.test', `127.0.0.1:${port}`]);
    const out = await exchange(proxy.socketPath, connectTo('allowed.test', port));
    expect(out).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(out).toContain('hello /through');
    expect(denials).toEqual([]);
    expect(proxy.stats()).toEqual({ allowed: 1, denied: 0 });
  });

  it('refuses a name outside the allow list with 403 and sandbox.egress.not-allowed', async () => {
    const { proxy, denials } = await proxyFor(['allowed.test', `127.0.0.1:${port}`]);
    for (let i = 0; i < 2; i++) {
      const out = await exchange(proxy.socketPath, connectTo('attacker.test', port));
      expect(out).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(out).toContain('sandbox.egress.not-allowed');
      expect(out).toContain('attacker.test');
    }
    expect(denials).toEqual([
      expect.objectContaining({ host: 'attacker.test', port, ruleId: 'sandbox.egress.not-allowed' }),
      expect.objectContaining({ host: 'attacker.test', port, ruleId: 'sandbox.egress.not-allowed' }),
    ]);
    expect(seen).toEqual([]);
    expect(proxy.stats()).toEqual({ allowed: 0, denied: 2 });
  });

  it('refuses a listed name that resolves to loopback when the address is not listed', async () => {
    const { proxy, denials } = await proxyFor(['allowed.test']);
    const out = await exchange(proxy.socketPath, connectTo('allowed.test', port));
    expect(out).toMatch(/^HTTP\/1\.1 403 /);
    expect(out).toContain('sandbox.egress.private-address');
    expect(denials[0]).toMatchObject({ ruleId: 'sandbox.egress.private-address', host: 'allowed.test', port });
    expect(denials[0]!.reason).toContain('127.0.0.1, a loopback address');
    expect(seen).toEqual([]);
  });

  it('refuses the listed loopback address on another port than the one listed', async () => {
    const { proxy, denials } = await proxyFor(['allowed.test', `127.0.0.1:${port + 1}`]);
    await exchange(proxy.socketPath, connectTo('allowed.test', port));
    expect(denials.map((d) => d.ruleId)).toEqual(['sandbox.egress.private-address']);
  });

  it('forwards one absolute-form plain HTTP request in origin form with Connection: close', async () => {
    const { proxy } = await proxyFor(['allowed.test', '127.0.0.1']);
    const out = await exchange(
      proxy.socketPath,
      `GET http://allowed.test:${port}/page?q=1 HTTP/1.1\r\nHost: allowed.test:${port}\r\n` +
        'Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eDp5\r\nAccept: text/plain\r\n\r\n',
    );
    expect(out).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(out).toContain('hello /page?q=1');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/page?q=1');
    expect(seen[0]!.headers).toMatchObject({ connection: 'close', accept: 'text/plain' });
    expect(seen[0]!.headers['proxy-connection']).toBeUndefined();
    expect(seen[0]!.headers['proxy-authorization']).toBeUndefined();
  });

  it.each([
    ['an origin-form request', 'GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n'],
    ['https in absolute form', 'GET https://allowed.test/ HTTP/1.1\r\n\r\n'],
    ['CONNECT without a port', 'CONNECT allowed.test HTTP/1.1\r\n\r\n'],
    ['not HTTP', 'hello there\r\n\r\n'],
  ])('answers %s with 400 and sandbox.egress.bad-request', async (_, request) => {
    const { proxy, denials } = await proxyFor(['allowed.test', '127.0.0.1']);
    const out = await exchange(proxy.socketPath, request);
    expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(out).toContain('sandbox.egress.bad-request');
    expect(denials.map((d) => d.ruleId)).toEqual(['sandbox.egress.bad-request']);
  });

  it('refuses a request header larger than 8 KB as a bad request', async () => {
    const { proxy, denials } = await proxyFor(['allowed.test', '127.0.0.1']);
    const big = `GET http://allowed.test:${port}/ HTTP/1.1\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`;
    const out = await exchange(proxy.socketPath, big);
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    expect(denials[0]).toMatchObject({ ruleId: 'sandbox.egress.bad-request' });
    expect(denials[0]!.reason).toContain('8192 bytes');
    expect(seen).toEqual([]);
  });

  it('answers 502 (not a denial) when the allowed destination refuses the connection', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { proxy, denials } = await proxyFor(['allowed.test', '127.0.0.1']);
    const out = await exchange(proxy.socketPath, connectTo('allowed.test', deadPort));
    expect(out).toMatch(/^HTTP\/1\.1 502 /);
    expect(denials).toEqual([]);
  });

  it('answers 408 to a client that does not finish its header in time', async () => {
    const { proxy, denials } = await proxyFor(['allowed.test'], { headerTimeoutMs: 150 });
    const out = await exchange(proxy.socketPath, 'CONNECT allowed.test:443 HTTP/1.1\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 408 /);
    expect(denials).toEqual([]);
  });

  it('answers 503 beyond maxConnections', async () => {
    const { proxy } = await proxyFor(['allowed.test'], { maxConnections: 1 });
    const idle = net.connect(proxy.socketPath);
    await new Promise((resolve) => idle.once('connect', resolve));
    const out = await exchange(proxy.socketPath, connectTo('allowed.test', port));
    expect(out).toMatch(/^HTTP\/1\.1 503 /);
    idle.destroy();
  });

  it('close() ends open tunnels and removes the socket file', async () => {
    const { proxy } = await proxyFor(['allowed.test', '127.0.0.1']);
    const tunnel = net.connect(proxy.socketPath);
    const established = new Promise<void>((resolve) => tunnel.once('data', () => resolve()));
    const ended = new Promise<void>((resolve) => tunnel.once('close', () => resolve()));
    tunnel.on('error', () => undefined);
    tunnel.write(`CONNECT allowed.test:${port} HTTP/1.1\r\n\r\n`);
    await established;
    await proxy.close();
    await ended;
    expect(fs.existsSync(proxy.socketPath)).toBe(false);
  });
});

describe('egress allow list', () => {
  const PUBLIC = '93.184.216.34';
  const policy = createEgressPolicy({
    server: 's',
    allow: [
      '*.slack.com',
      'api.github.com:443',
      'Example.ORG.',
      'xn--bcher-kva.example',
      '10.0.0.0/8:8080',
      '[2001:db8::1]:443',
      '203.0.113.7',
    ],
    lookup: () => Promise.resolve([PUBLIC]),
  });

  it.each([
    ['hooks.slack.com', 443, 'allowed'],
    ['a.b.slack.com', 80, 'allowed'],
    ['slack.com', 443, 'sandbox.egress.not-allowed'],
    ['evilslack.com', 443, 'sandbox.egress.not-allowed'],
    ['slack.com.evil.net', 443, 'sandbox.egress.not-allowed'],
    ['api.github.com', 443, 'allowed'],
    ['API.GitHub.com.', 443, 'allowed'],
    ['api.github.com', 80, 'sandbox.egress.not-allowed'],
    ['example.org', 1, 'allowed'],
    ['bücher.example', 443, 'allowed'],
    ['10.1.2.3', 8080, 'allowed'],
    ['10.1.2.3', 80, 'sandbox.egress.not-allowed'],
    ['0x0a010203', 8080, 'allowed'],
    ['[2001:db8::1]', 443, 'allowed'],
    ['[2001:db8::1]', 80, 'sandbox.egress.not-allowed'],
    ['203.0.113.7', 22, 'allowed'],
    ['127.0.0.1', 80, 'sandbox.egress.not-allowed'],
    [PUBLIC, 443, 'sandbox.egress.not-allowed'],
  ])('%s:%i is %s', async (raw, p, expected) => {
    const host = normaliseHost(raw)!;
    for (let i = 0; i < 2; i++) {
      const d = await policy(host, p);
      expect(d.ok ? 'allowed' : d.ruleId).toBe(expected);
    }
  });

  const resolvingTo =
    (...addresses: string[]) =>
    () =>
      Promise.resolve(addresses);
  it.each([
    [['api.test'], ['127.0.0.1'], 'sandbox.egress.private-address'],
    [['api.test'], ['10.0.0.5'], 'sandbox.egress.private-address'],
    [['api.test'], ['100.64.0.1'], 'sandbox.egress.private-address'],
    [['api.test'], ['169.254.169.254'], 'sandbox.egress.private-address'],
    [['api.test'], ['fd00:ec2::254'], 'sandbox.egress.private-address'],
    [['api.test'], ['::ffff:127.0.0.1'], 'sandbox.egress.private-address'],
    [['api.test'], ['0.0.0.0'], 'sandbox.egress.private-address'],
    [['api.test'], ['224.0.0.1'], 'sandbox.egress.private-address'],
    [['api.test'], [PUBLIC, '192.168.1.1'], 'sandbox.egress.private-address'],
    [['api.test'], [PUBLIC], 'allowed'],
    [['api.test', '127.0.0.1'], ['127.0.0.1'], 'allowed'],
    [['api.test', '10.0.0.0/8'], ['10.9.9.9'], 'allowed'],
    [['api.test', '::ffff:10.0.0.0/104'], ['10.9.9.9'], 'allowed'],
    [['api.test', '10.0.0.0/8:80'], ['10.9.9.9'], 'sandbox.egress.private-address'],
    [['api.test', '169.254.0.0/16'], ['169.254.169.254'], 'sandbox.egress.private-address'],
    [['api.test', '169.254.169.254'], ['169.254.169.254'], 'allowed'],
    [['api.test'], [], 'sandbox.egress.unresolvable'],
    [['api.test'], ['not-an-address'], 'sandbox.egress.unresolvable'],
  ])('allow %j, api.test → %j: %s', async (allow, addresses, expected) => {
    const decide = createEgressPolicy({ server: 's', allow, lookup: resolvingTo(...addresses) });
    for (let i = 0; i < 2; i++) {
      const d = await decide('api.test', 443);
      expect(d.ok ? 'allowed' : d.ruleId).toBe(expected);
    }
  });

  it('refuses a literal metadata address that only a CIDR around it lists', async () => {
    const decide = createEgressPolicy({ server: 's', allow: ['169.254.0.0/16'] });
    const d = await decide('169.254.169.254', 80);
    expect(d).toMatchObject({ ok: false, ruleId: 'sandbox.egress.private-address' });
  });

  it('treats a failing or slow resolver as unresolvable', async () => {
    const failing = createEgressPolicy({
      server: 's',
      allow: ['api.test'],
      lookup: () => Promise.reject(new Error('ENOTFOUND')),
    });
    expect(await failing('api.test', 443)).toMatchObject({
      ok: false,
      status: 502,
      ruleId: 'sandbox.egress.unresolvable',
    });
    const slow = createEgressPolicy({
      server: 's',
      allow: ['api.test'],
      resolveTimeoutMs: 20,
      lookup: () => new Promise(() => undefined),
    });
    expect(await slow('api.test', 443)).toMatchObject({ ok: false, ruleId: 'sandbox.egress.unresolvable' });
  });

  it('uses the resolve map before DNS', async () => {
    const decide = createEgressPolicy({
      server: 's',
      allow: ['api.test'],
      resolve: { 'API.test': PUBLIC },
      lookup: () => Promise.reject(new Error('DNS must not be asked')),
    });
    expect(await decide('api.test', 443)).toEqual({ ok: true, addresses: [PUBLIC] });
  });

  it.each(['', '*', 'http://x.com', 'a b.com', 'x.com:0', 'x.com:70000', '10.0.0.0/33'])(
    'refuses the malformed entry %j',
    (entry) => {
      expect(() => parseEgressRule(entry)).toThrow(/egress allow entry/);
    },
  );
});

describe('parseProxyRequest', () => {
  it('rewrites absolute form to origin form and drops hop-by-hop headers', () => {
    const head =
      'GET http://Allowed.Test:81/a?b=1 HTTP/1.1\r\nHost: allowed.test:81\r\nProxy-Connection: keep-alive\r\n' +
      'Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nAccept: */*';
    expect(parseProxyRequest(head)).toEqual({
      kind: 'forward',
      host: 'allowed.test',
      port: 81,
      head: 'GET /a?b=1 HTTP/1.1\r\nHost: allowed.test:81\r\nAccept: */*\r\nConnection: close\r\n\r\n',
    });
  });

  it('adds a Host header when the client sent none', () => {
    const parsed = parseProxyRequest('POST http://x.test/p HTTP/1.0');
    expect(parsed).toMatchObject({ kind: 'forward', host: 'x.test', port: 80 });
    expect(parsed.kind === 'forward' && parsed.head).toBe(
      'POST /p HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n\r\n',
    );
  });

  it.each([
    ['CONNECT [2001:DB8::1]:443 HTTP/1.1', '[2001:db8::1]', 443],
    ['CONNECT Bücher.Example.:8443 HTTP/1.1', 'xn--bcher-kva.example', 8443],
    ['CONNECT 2130706433:443 HTTP/1.1', '127.0.0.1', 443],
  ])('reads %j as %s port %i', (head, host, p) => {
    expect(parseProxyRequest(head)).toEqual({ kind: 'connect', host, port: p });
  });

  it.each([
    'CONNECT x.test:0 HTTP/1.1',
    'CONNECT x.test:99999 HTTP/1.1',
    'CONNECT user@x.test:443 HTTP/1.1',
    'CONNECT x.test:443 HTTP/2',
    'GET http://u:p@x.test/ HTTP/1.1',
    'GET ftp://x.test/ HTTP/1.1',
    'GET http://x.test/ HTTP/1.1\r\nno colon here',
    'GET http://x.test/ HTTP/1.1\r\nA: b\r\n folded',
    'GET  http://x.test/ HTTP/1.1',
  ])('refuses %j', (head) => {
    expect(() => parseProxyRequest(head)).toThrow();
  });
});
