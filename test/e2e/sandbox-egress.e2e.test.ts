/**
 * The sandbox's network path end to end, without the gateway (issue 19): real bwrap with its own network namespace,
 * the BUILT relay (dist/sandbox-relay.cjs) and preload (dist/sandbox-preload.cjs) inside it, and the egress proxy
 * (src/sandbox/egress-proxy.ts) in this test process on a Unix socket bind-mounted into the sandbox. A local HTTP
 * server on 127.0.0.1 is "the internet"; `allowed.test` and `attacker.test` both name it through the resolve map.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startEgressProxy, type EgressProxy } from '../../src/sandbox/egress-proxy.js';
import type { EgressDenial } from '../../src/sandbox/types.js';
import { ROOT, tempDir } from '../helpers/gateway.js';

const DIST = path.join(ROOT, 'dist');
const RELAY_PORT = 3128;
const hasBwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-net', 'true']).status === 0;
const hasCurl = spawnSync('curl', ['--version']).status === 0;

let internet: http.Server;
let port: number;
let dir: string;
let proxy: EgressProxy;
const denials: EgressDenial[] = [];
const seen: string[] = [];

beforeAll(async () => {
  for (const file of ['sandbox-relay.cjs', 'sandbox-preload.cjs']) {
    if (!fs.existsSync(path.join(DIST, file))) throw new Error(`dist/${file} is missing: run npm run build first`);
  }
  internet = http.createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    res.end(`hello from the internet ${req.url}`);
  });
  await new Promise<void>((resolve) => internet.listen(0, '127.0.0.1', resolve));
  port = (internet.address() as AddressInfo).port;
  dir = tempDir('smg-egress-e2e-');
  proxy = await startEgressProxy({
    server: 'fixture',
    allow: ['allowed.test', `127.0.0.1:${port}`],
    resolve: { 'allowed.test': '127.0.0.1', 'attacker.test': '127.0.0.1' },
    socketPath: path.join(dir, 'egress.sock'),
    log: silentLogger(),
    onDenied: (d) => denials.push(d),
  });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => (internet ? internet.close(() => resolve()) : resolve()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` inside bwrap behind the relay, with the proxy environment a sandboxed server gets. */
function sandboxed(command: string[]): Promise<Run> {
  const proxyUrl = `http://127.0.0.1:${RELAY_PORT}`;
  const args = [
    ...['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run'],
    ...['--unshare-net', '--unshare-pid', '--die-with-parent'],
    ...['--bind', dir, '/run/smg', '--ro-bind', DIST, '/run/smg-dist'],
    ...['node', '/run/smg-dist/sandbox-relay.cjs', '--listen', `127.0.0.1:${RELAY_PORT}`],
    ...['--socket', '/run/smg/egress.sock', '--', ...command],
  ];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    ALL_PROXY: proxyUrl,
    NODE_OPTIONS: '--require /run/smg-dist/sandbox-preload.cjs',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const fetchScript = (url: string) =>
  `fetch(${JSON.stringify(url)}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })),` +
  ` (e) => { console.log(JSON.stringify({ error: String(e.cause?.code ?? e.cause ?? e) })); process.exitCode = 2; })`;

describe.skipIf(!hasBwrap)('sandbox egress: bwrap + relay + preload + proxy', () => {
  it("lets Node 20's built-in fetch reach an allowed host through the preload, the relay and the proxy", async () => {
    const before = proxy.stats().allowed;
    const run = await sandboxed(['node', '-e', fetchScript(`http://allowed.test:${port}/ok`)]);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ status: 200, body: 'hello from the internet /ok' });
    expect(run.code).toBe(0);
    expect(seen).toContain(`allowed.test:${port} /ok`);
    expect(proxy.stats().allowed).toBe(before + 1);
  });

  it('refuses a host outside the allow list and names the rule', async () => {
    denials.length = 0;
    const run = await sandboxed(['node', '-e', fetchScript(`http://attacker.test:${port}/steal`)]);
    // undici tunnels through CONNECT: the refusal reaches fetch as a failed request, never as the attacker's page.
    expect(run.stdout).not.toContain('hello from the internet');
    expect(seen).not.toContain(`attacker.test:${port} /steal`);
    expect(denials).toEqual([
      expect.objectContaining({ host: 'attacker.test', port, ruleId: 'sandbox.egress.not-allowed' }),
    ]);
  });

  it('has no route to the host: a direct connection to 127.0.0.1 reaches the sandbox’s own loopback', async () => {
    const script =
      `require('node:net').connect(${port}, '127.0.0.1')` +
      `.on('connect', () => { console.log('connected'); process.exit(0); })` +
      `.on('error', (e) => { console.log(e.code); process.exit(3); })`;
    // The same connection from outside the sandbox works: the namespace is what stops it.
    const outside = spawnSync('node', ['-e', script], { encoding: 'utf8' });
    expect(outside.stdout.trim()).toBe('connected');
    const run = await sandboxed(['node', '-e', script]);
    expect(run.stdout.trim()).toBe('ECONNREFUSED');
    expect(run.code).toBe(3);
  });

  it('passes stdio straight through and exits with the command’s code', async () => {
    const run = await sandboxed(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(run).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it.skipIf(!hasCurl)('curl honours http_proxy and https_proxy (skipped without curl)', async () => {
    denials.length = 0;
    const allowed = await sandboxed(['curl', '-sS', '-p', `http://allowed.test:${port}/curl`]);
    expect(allowed.stdout).toBe('hello from the internet /curl');
    const refused = await sandboxed(['curl', '-sS', `https://attacker.test:${port}/`]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/CONNECT tunnel failed, response 403/);
    expect(denials.map((d) => [d.host, d.ruleId])).toEqual([['attacker.test', 'sandbox.egress.not-allowed']]);
  });
});
