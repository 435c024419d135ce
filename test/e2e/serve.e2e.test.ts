/**
 * `serve` end to end (issue 6): the built gateway over Streamable HTTP with real SDK clients. A missing, bad,
 * expired or revoked key gets 401 on every request, tools/list included; two projects get different upstream
 * processes and never each other's tools; a perUser server gets one process per user; a DNS-rebinding Host or
 * Origin is refused; a session answers only its own key; config edits apply without a restart and a bad edit keeps
 * the old config; max sessions, max body and the idle timeout hold; /healthz and /readyz answer; /metrics counts the
 * calls and refuses a rebinding Host.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, fixtureServer, processTree, tempDir, textOf, waitFor } from '../helpers/gateway.js';
import { cli, identityConfig, makeKey } from '../helpers/identity.js';
import { ensureSystemCommand } from '../helpers/system-packages.js';
import { httpClient, INIT, MCP_HEADERS, rawRequest, startServe, type ServeProcess } from '../helpers/serve.js';

function serveConfig(extra: object = {}) {
  const base = identityConfig();
  return {
    ...base,
    servers: {
      ...base.servers,
      gamma: { ...fixtureServer('whoami-server.ts'), env: { SERVER_LABEL: 'gamma' }, perUser: true },
    },
    projects: { one: { servers: ['alpha'] }, two: { servers: ['beta', 'gamma'] } },
    ...extra,
  };
}

/** A home with the config and keys: alice in one and two (developer), bob in two (contractor). */
function setup(config: object = serveConfig()) {
  const home = tempDir();
  fs.writeFileSync(`${home}/config.json`, JSON.stringify(config, null, 2));
  return {
    home,
    aliceOne: makeKey(home, 'one', 'alice@example.com'),
    aliceTwo: makeKey(home, 'two', 'alice@example.com'),
    bobTwo: makeKey(home, 'two', 'bob@example.com'),
  };
}

const whoami = async (c: { callTool: (p: { name: string }) => Promise<unknown> }, name: string) =>
  JSON.parse(textOf(await c.callTool({ name }))) as { pid: number; label: string };

/** The HTTP status of a request the SDK client failed with (StreamableHTTPError carries it as `code`). */
async function statusOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'resolved';
  } catch (error) {
    return (error as { code?: number }).code ?? String(error);
  }
}

let running: ServeProcess | undefined;
afterEach(async () => {
  if (running) expect(await running.stop()).toBe(0);
  running = undefined;
});

describe('serve', () => {
  it('answers 401 without a key, with a bad, an expired or a revoked key, on every request', async () => {
    const { home, aliceOne } = setup();
    const expired = makeKey(home, 'one', 'alice@example.com', '--expires', '1s');
    const revokedLater = makeKey(home, 'one', 'alice@example.com');
    // The server's own environment is never an identity: a valid key in it changes nothing.
    running = await startServe(serveConfig(), { home, env: { SMG_GATEWAY_KEY: aliceOne.key } });
    const { url } = running;
    await new Promise((r) => setTimeout(r, 1100));

    expect(await statusOf(httpClient(url, undefined))).toBe(401);
    expect(await statusOf(httpClient(url, 'smg_0123456789abcdef_' + 'A'.repeat(43)))).toBe(401);
    expect(await statusOf(httpClient(url, expired.key))).toBe(401);

    const raw = await rawRequest(url, { headers: MCP_HEADERS, body: INIT });
    expect(raw.status).toBe(401);
    expect(raw.headers['www-authenticate']).toMatch(/^Bearer realm="secure-mcp-gateway", error="invalid_request"/);
    expect(JSON.parse(raw.body)).toMatchObject({
      error: { code: -32001, message: expect.stringContaining('no gateway key') },
    });
    const bad = await rawRequest(url, {
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${expired.key}` },
      body: INIT,
    });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body).error.message).toContain(`gateway key ${expired.id} expired at`);

    // A live session: tools/list without the key, or with another key, is refused too.
    const { client, transport } = await httpClient(url, revokedLater.key);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'alpha__read_note',
      'alpha__whoami',
      'alpha__write_note',
    ]);
    const list = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' });
    const session = { 'Mcp-Session-Id': transport.sessionId!, 'Mcp-Protocol-Version': '2025-06-18' };
    const noKey = await rawRequest(url, { headers: { ...MCP_HEADERS, ...session }, body: list });
    expect(noKey.status).toBe(401);
    const otherKey = await rawRequest(url, {
      headers: { ...MCP_HEADERS, ...session, Authorization: `Bearer ${aliceOne.key}` },
      body: list,
    });
    expect(otherKey.status).toBe(403);
    expect(JSON.parse(otherKey.body).error.message).toBe('this session belongs to another gateway key');
    const del = await rawRequest(url, { method: 'DELETE', headers: session });
    expect(del.status).toBe(401);

    // Revoked while the session is open: the next request is refused, without a restart.
    expect(cli(home, 'keys', 'revoke', revokedLater.id).code).toBe(0);
    expect(await statusOf(client.listTools())).toBe(401);
    // ... and the session bound to it is closed.
    await waitFor(() => running!.logs().some((l) => l.event === 'session.revoked' && l.keyId === revokedLater.id));
    expect(
      running
        .logs()
        .filter((l) => l.event === 'key.refused')
        .map((l) => l.msg),
    ).toEqual(expect.arrayContaining([expect.stringContaining(`gateway key ${revokedLater.id} was revoked`)]));
    await client.close().catch(() => undefined);
  });

  it('isolates projects: own upstream processes, no cross-project tools; perUser servers per user', async () => {
    const { home, aliceOne, aliceTwo, bobTwo } = setup();
    running = await startServe(serveConfig(), { home });
    const a1 = await httpClient(running.url, aliceOne.key);
    const a1b = await httpClient(running.url, aliceOne.key);
    const a2 = await httpClient(running.url, aliceTwo.key);
    const b2 = await httpClient(running.url, bobTwo.key);

    expect((await a1.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'alpha__read_note',
      'alpha__whoami',
      'alpha__write_note',
    ]);
    expect((await a2.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'beta__read_note',
      'beta__whoami',
      'beta__write_note',
      'gamma__read_note',
      'gamma__whoami',
      'gamma__write_note',
    ]);
    // The contractor neither sees nor can call a write tool.
    expect((await b2.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'beta__read_note',
      'beta__whoami',
      'gamma__read_note',
      'gamma__whoami',
    ]);
    await expect(b2.client.callTool({ name: 'beta__write_note', arguments: { text: 'x' } })).rejects.toThrow(
      /Unknown tool: beta__write_note/,
    );
    await expect(a1.client.callTool({ name: 'beta__whoami' })).rejects.toThrow(/Unknown tool: beta__whoami/);

    const one = await whoami(a1.client, 'alpha__whoami');
    const oneAgain = await whoami(a1b.client, 'alpha__whoami');
    const two = await whoami(a2.client, 'beta__whoami');
    const twoBob = await whoami(b2.client, 'beta__whoami');
    expect(one.label).toBe('alpha');
    expect(two.label).toBe('beta');
    // One process per project, shared by its sessions; never across projects.
    expect(oneAgain.pid).toBe(one.pid);
    expect(twoBob.pid).toBe(two.pid);
    expect(two.pid).not.toBe(one.pid);
    // perUser: one gamma per user.
    const gAlice = await whoami(a2.client, 'gamma__whoami');
    const gBob = await whoami(b2.client, 'gamma__whoami');
    expect(gAlice.pid).not.toBe(gBob.pid);
    const tree = processTree(running.proc.pid!);
    for (const pid of [one.pid, two.pid, gAlice.pid, gBob.pid]) expect(tree).toContain(pid);

    // A write in project two's beta is not visible in project one's alpha.
    await a2.client.callTool({ name: 'beta__write_note', arguments: { text: 'secret of two' } });
    expect(textOf((await a1.client.callTool({ name: 'alpha__read_note' })) as CallToolResult)).toBe('note: ');

    for (const c of [a1, a1b, a2, b2]) await c.transport.terminateSession();
    const ready = await fetch(running.url.replace('/mcp', '/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', pools: { one: { alpha: 'ready' } } });
    expect(((await (await fetch(running.url.replace('/mcp', '/healthz'))).json()) as { status: string }).status).toBe(
      'ok',
    );
    // Prometheus metrics of the calls above, from the audit sink; Host-checked like MCP (DNS rebinding).
    const metrics = await fetch(running.url.replace('/mcp', '/metrics'));
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/smg_calls_total\{[^}]*server="beta"[^}]*tool="write_note"[^}]*\} [1-9]/);
    expect(text).toMatch(/smg_call_duration_seconds_bucket/);
    const rebound = await rawRequest(running.url.replace('/mcp', '/metrics'), {
      method: 'GET',
      headers: { Host: 'attacker.example' },
    });
    expect(rebound.status).toBe(403);
    const pids = [one.pid, two.pid, gAlice.pid, gBob.pid];
    expect(await running.stop()).toBe(0);
    running = undefined;
    await waitFor(() => pids.every((p) => !alive(p)));
  });

  it('refuses a DNS-rebinding Host or Origin, and accepts configured ones', async () => {
    const { home, aliceOne } = setup();
    running = await startServe(
      serveConfig({ serve: { allowedHosts: ['gw.example.com'], allowedOrigins: ['https://app.example.com'] } }),
      { home },
    );
    const auth = { ...MCP_HEADERS, Authorization: `Bearer ${aliceOne.key}` };
    const port = new URL(running.url).port;
    const cases: [Record<string, string>, number][] = [
      [{ Host: `attacker.example:${port}` }, 403],
      [{ Origin: 'http://attacker.example' }, 403],
      [{ Host: `127.0.0.1.nip.io:${port}` }, 403],
      [{ Host: `gw.example.com:${port}` }, 200],
      [{ Origin: 'https://app.example.com' }, 200],
      [{ Origin: `http://localhost:${port}` }, 200],
    ];
    for (const [headers, status] of cases) {
      const r = await rawRequest(running.url, { headers: { ...auth, ...headers }, body: INIT });
      expect({ headers, status: r.status }).toEqual({ headers, status });
      if (status === 403) expect(JSON.parse(r.body).error.message).toContain('DNS-rebinding protection');
    }
  });

  it('reloads the config on change: a new role applies to an open session; a bad edit keeps the old config', async () => {
    const { home, bobTwo, aliceTwo } = setup();
    running = await startServe(serveConfig(), { home });
    const b = await httpClient(running.url, bobTwo.key);
    const changed = new Promise<void>((resolve) =>
      b.client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    expect((await b.client.listTools()).tools.map((t) => t.name)).not.toContain('beta__write_note');
    const betaBefore = await whoami(b.client, 'beta__whoami');
    // A bad edit: the old config keeps running, and the log says where the problem is.
    const good = fs.readFileSync(running.configPath, 'utf8');
    fs.writeFileSync(running.configPath, good.replace('"developer": {', '"developer": { "bogus": 1,'));
    await waitFor(() => running!.logs().some((l) => l.event === 'config.reload-failed'));
    const failed = running.logs().find((l) => l.event === 'config.reload-failed')!;
    expect(String(failed.err)).toContain(`${running.configPath}: invalid config`);
    expect(String(failed.err)).toContain('at roles.developer: unknown field "bogus"');
    expect((await b.client.listTools()).tools.map((t) => t.name)).not.toContain('beta__write_note');
    fs.writeFileSync(running.configPath, good);
    await waitFor(() => running!.logs().some((l) => l.event === 'config.reloaded'));

    // Promote bob with the admin CLI: his open session gets list_changed and the write tool.
    const r = cli(
      home,
      'member',
      'add',
      '--project',
      'two',
      '--user',
      'bob@example.com',
      '--role',
      'developer',
      '--config',
      running.configPath,
    );
    expect(r.code).toBe(0);
    await changed;
    expect((await b.client.listTools()).tools.map((t) => t.name)).toContain('beta__write_note');
    expect(
      textOf((await b.client.callTool({ name: 'beta__write_note', arguments: { text: 'ok' } })) as CallToolResult),
    ).toBe('written');

    // Only the identity model changed: a new session of the project shares the same upstream process.
    const a2 = await httpClient(running.url, aliceTwo.key);
    expect((await whoami(a2.client, 'beta__whoami')).pid).toBe(betaBefore.pid);
    expect((await whoami(b.client, 'beta__whoami')).pid).toBe(betaBefore.pid);

    // Remove bob from the project: his session is closed, and his key no longer opens one.
    expect(
      cli(home, 'member', 'remove', '--project', 'two', '--user', 'bob@example.com', '--config', running.configPath)
        .code,
    ).toBe(0);
    await waitFor(() => running!.logs().some((l) => l.event === 'session.revoked'));
    expect(await statusOf(b.client.listTools())).toBe(401);
    expect(await statusOf(httpClient(running.url, bobTwo.key))).toBe(401);

    // A server changed: new sessions get a new process; the old one lives until its last session ends.
    const edited = JSON.parse(fs.readFileSync(running.configPath, 'utf8')) as { servers: { beta: { env: object } } };
    edited.servers.beta.env = { SERVER_LABEL: 'beta2' };
    const reloads = () => running!.logs().filter((l) => l.event === 'config.reloaded').length;
    const before = reloads();
    fs.writeFileSync(running.configPath, JSON.stringify(edited, null, 2));
    await waitFor(() => reloads() > before);
    const fresh = await httpClient(running.url, aliceTwo.key);
    const now = await whoami(fresh.client, 'beta__whoami');
    expect(now.label).toBe('beta2');
    expect(now.pid).not.toBe(betaBefore.pid);
    expect((await whoami(a2.client, 'beta__whoami')).pid).toBe(betaBefore.pid);
    await a2.transport.terminateSession();
    await waitFor(() => !alive(betaBefore.pid));
    expect(alive(now.pid)).toBe(true);
  });

  it('holds its limits: max sessions, max body, idle timeout', async () => {
    const { home, aliceOne } = setup(
      serveConfig({ serve: { maxSessions: 2, maxBodyBytes: 4096, idleTimeoutMs: 1500 } }),
    );
    running = await startServe(serveConfig({ serve: { maxSessions: 2, maxBodyBytes: 4096, idleTimeoutMs: 1500 } }), {
      home,
    });
    const a = await httpClient(running.url, aliceOne.key);
    const b = await httpClient(running.url, aliceOne.key);
    expect(await statusOf(httpClient(running.url, aliceOne.key))).toBe(503);
    const big = await rawRequest(running.url, {
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${aliceOne.key}`, 'Mcp-Session-Id': a.transport.sessionId! },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'alpha__write_note', arguments: { text: 'x'.repeat(5000) } },
      }),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.message).toContain('larger than 4096 bytes (serve.maxBodyBytes)');
    // Keep a busy with requests; b goes idle and is closed.
    for (let i = 0; i < 12; i++) {
      await a.client.listTools();
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(() => running!.logs().some((l) => l.event === 'session.idle'));
    expect(await statusOf(b.client.listTools())).toBe(404);
    expect((await a.client.listTools()).tools).toHaveLength(3);
    // The idle session's slot is free again.
    const c = await httpClient(running.url, aliceOne.key);
    expect((await c.client.listTools()).tools).toHaveLength(3);
  });
});

describe('serve over TLS', () => {
  it('serves HTTPS with --tls-cert/--tls-key, and still checks the key', async () => {
    const { home, aliceOne } = setup();
    const cert = `${home}/cert.pem`;
    const key = `${home}/key.pem`;
    const openssl = ensureSystemCommand({ command: 'openssl', debianPackage: 'openssl' });
    const made = spawnSync(openssl, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    expect(made.status).toBe(0);
    running = await startServe(serveConfig(), { home, args: ['--tls-cert', cert, '--tls-key', key] });
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const ca = fs.readFileSync(cert, 'utf8');
    const post = (auth?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          running!.url,
          { method: 'POST', ca, headers: { ...MCP_HEADERS, ...(auth ? { Authorization: `Bearer ${auth}` } : {}) } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(INIT);
      });
    expect(await post()).toBe(401);
    expect(await post(aliceOne.key)).toBe(200);
  });
});
