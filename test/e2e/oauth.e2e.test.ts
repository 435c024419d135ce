/**
 * OAuth to a remote upstream, end to end (issue 18 item 1), against a real authorization server (oidc-provider, in
 * test/fixtures/oauth-upstream.ts) and an SDK MCP server that requires its JWTs: the built CLI signs in (`auth login`:
 * discovery from the 401 challenge, dynamic registration, PKCE, the login and consent forms filled in by the headless
 * browser run as $BROWSER), the built gateway calls a tool with the token, refreshes it before it expires, says
 * "sign in again" when the refresh is refused, `auth status` / doctor show the state, `auth logout` revokes, a
 * client_credentials server needs no person, and no file written holds a token in clear (the vault is the encrypted
 * file: SMG_VAULT=file).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startGateway, tempDir, textOf, type SpawnedGateway } from '../helpers/gateway.js';
import { startOAuthUpstream, type OAuthUpstream } from '../fixtures/oauth-upstream.js';
import { browserCommand } from '../helpers/oauth-browser.js';
import { openVault } from '../../src/vault/open.js';
import { httpClient, startServe, type ServeProcess } from '../helpers/serve.js';
import { makeKey } from '../helpers/identity.js';

const PASSPHRASE = 'e2e passphrase, not a secret';

/** The CLI, asynchronously: the authorization server runs in this process and must answer while it waits. */
function run(
  args: string[],
  home: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        SMG_HOME: home,
        SMG_VAULT: 'file',
        SMG_VAULT_PASSPHRASE: PASSPHRASE,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under dir, recursively. */
function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

/** The tokens the vault holds for a server (read with the test's passphrase), for the grep. */
function storedTokens(home: string, name: string): string[] {
  const text = openVault({ home, env: { SMG_VAULT: 'file', SMG_VAULT_PASSPHRASE: PASSPHRASE } }).get(name);
  if (text === undefined) return [];
  const tokens = (JSON.parse(text) as { tokens?: { access_token?: string; refresh_token?: string } }).tokens ?? {};
  return [tokens.access_token, tokens.refresh_token].filter((t): t is string => typeof t === 'string');
}

describe('OAuth to a remote upstream', () => {
  let as: OAuthUpstream;
  let home: string;
  let browser: string;
  /** Every token seen in the vault during the test: none may be in clear in any file. */
  const seen = new Set<string>();
  const gateways: SpawnedGateway[] = [];
  const remember = () => {
    for (const t of [...storedTokens(home, 'oauth:linear'), ...storedTokens(home, 'oauth:robot')]) seen.add(t);
  };
  const count = (grant: string) => as.tokenRequests[grant] ?? { ok: 0, failed: 0 };

  beforeAll(async () => {
    as = await startOAuthUpstream();
    home = tempDir('smg-oauth-');
    browser = browserCommand(home);
    fs.writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify(
        {
          servers: {
            linear: { url: as.mcpUrl, transport: 'streamable-http' },
            robot: {
              url: as.mcpUrl,
              transport: 'streamable-http',
              oauth: { grant: 'client_credentials', clientId: as.clientId, clientSecret: '${env:ROBOT_SECRET}' },
            },
          },
        },
        null,
        2,
      ),
    );
  });

  afterAll(async () => {
    for (const g of gateways) await g.closeStdin().catch(() => undefined);
    await as?.close();
  });

  const env = () => ({ BROWSER: browser, ROBOT_SECRET: as.clientSecret });
  const login = (server = 'linear', timeout = '30') =>
    run(['auth', 'login', server, '--timeout', timeout], home, env());
  const gateway = async () => {
    const gw = await startGateway(fs.readFileSync(path.join(home, 'config.json'), 'utf8'), {
      home,
      env: { SMG_VAULT: 'file', SMG_VAULT_PASSPHRASE: PASSPHRASE, ROBOT_SECRET: as.clientSecret },
    });
    gateways.push(gw);
    return gw;
  };
  const whoami = async (gw: SpawnedGateway, server = 'linear') => {
    const r = await gw.client.callTool({ name: `${server}__whoami`, arguments: {} });
    return { isError: r.isError === true, text: textOf(r) };
  };

  it('signs in with auth login: discovery from the 401, registration, PKCE, the browser, the loopback redirect', async () => {
    const r = await login();
    expect(r.stderr).toContain(`Open this URL to sign in: ${as.issuer}/`);
    expect(r.stderr).toMatch(/code_challenge_method=S256/);
    expect(r.stderr).toContain(`resource=${encodeURIComponent(as.mcpUrl)}`);
    expect(r.stdout).toMatch(/^signed in to linear \(expires in (59 min \d+ s|1 h), scopes .*\bmcp\b.*\)\n$/);
    expect(r.code).toBe(0);
    expect(count('authorization_code')).toEqual({ ok: 1, failed: 0 });
    expect(as.registeredClients).toHaveLength(1);
    remember();
  });

  it('auth status shows the state, the expiry, the scopes and the issuer, never a token', async () => {
    const r = await run(['auth', 'status'], home, env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^linear\s+signed in \(expires in .+, scopes .*mcp.*, issuer http:\/\/127\.0\.0\.1:\d+\/?\)\n/,
    );
    expect(r.stdout).toMatch(/\nrobot\s+not signed in/);
    const j = await run(['auth', 'status', '--json'], home, env());
    const list = JSON.parse(j.stdout) as { server: string; state: string; scopes: string[] }[];
    expect(list[0]).toMatchObject({ server: 'linear', state: 'signed-in' });
    expect(list[0]?.scopes).toContain('mcp');
    for (const t of seen) expect(r.stdout + j.stdout).not.toContain(t);
  });

  it('fails with a clear reason when the browser never comes back, and loses the sign-in it had', async () => {
    const r = await run(['auth', 'login', 'linear', '--timeout', '1'], home, { BROWSER: '/bin/true' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Open this URL to sign in:');
    expect(r.stderr).toContain('no sign-in within 1 s (--timeout)');
    // A failed sign-in loses nothing: the previous one still stands.
    expect((await run(['auth', 'status'], home, env())).stdout).toMatch(/^linear\s+signed in/);
  });

  it('refuses an unknown server as a usage error', async () => {
    const r = await run(['auth', 'login', 'nope'], home, env());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no enabled server named "nope"');
  });

  it('calls a tool with the token, refreshing it before it expires', async () => {
    // A token with 60 s to live is inside the 60 s margin at once: the gateway refreshes before its first request.
    as.setAccessTokenTtl(60);
    expect((await login()).code).toBe(0);
    remember();
    as.setAccessTokenTtl(3600);
    const refreshes = count('refresh_token').ok;
    const gw = await gateway();
    const r = await whoami(gw);
    expect(r.isError).toBe(false);
    expect(JSON.parse(r.text)).toMatchObject({ sub: 'alice' });
    expect(count('refresh_token')).toEqual({ ok: refreshes + 1, failed: 0 });
    remember();
  });

  it('says "sign in again" as a tool error when the refresh is refused; status and doctor say refresh failing', async () => {
    // 60 s: every request of the gateway refreshes first (the margin is 60 s).
    as.setAccessTokenTtl(60);
    expect((await login()).code).toBe(0);
    remember();
    const gw = await gateway();
    expect((await whoami(gw)).isError).toBe(false);
    remember();
    await as.revokeGrants();
    const r = await whoami(gw);
    expect(r).toEqual({
      isError: true,
      text: 'linear: the authorization server refused to refresh the token (invalid_grant); sign in again with `secure-mcp-gateway auth login linear`',
    });
    expect((await run(['auth', 'status'], home, env())).stdout).toMatch(/^linear\s+refresh failing/);
    const doctor = await run(['doctor'], home, env());
    expect(doctor.stdout).toMatch(/linear: refresh failing/);
    expect(doctor.stdout).toContain('secure-mcp-gateway auth login linear');
    // Signing in again is seen by the running gateway at its next call.
    as.setAccessTokenTtl(3600);
    expect((await login()).code).toBe(0);
    remember();
    expect((await whoami(gw)).isError).toBe(false);
  });

  it('client_credentials: auth login fetches a token without a person, and the gateway uses it', async () => {
    const r = await login('robot');
    expect(r.stderr).not.toContain('Open this URL');
    expect(r.stdout).toMatch(/^signed in to robot \(expires in 1 h/);
    expect(r.code).toBe(0);
    remember();
    // The robot alone: two servers with the same tools would shadow each other (and be hidden).
    const config = fs.readFileSync(path.join(home, 'config.json'), 'utf8');
    const robotOnly = JSON.parse(config) as { servers: Record<string, unknown> };
    delete robotOnly.servers.linear;
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(robotOnly));
    const gw = await gateway();
    fs.writeFileSync(path.join(home, 'config.json'), config);
    const who = await whoami(gw, 'robot');
    expect(who.isError).toBe(false);
    expect(JSON.parse(who.text)).toMatchObject({ client_id: as.clientId });
  });

  it('logs out: revokes at the authorization server and forgets', async () => {
    remember();
    const r = await run(['auth', 'logout', 'linear'], home, env());
    expect(r.stdout).toBe('signed out of linear (tokens revoked; forgotten)\n');
    expect(r.code).toBe(0);
    expect((await run(['auth', 'status'], home, env())).stdout).toMatch(/^linear\s+not signed in/);
    expect((await run(['auth', 'logout', 'linear'], home, env())).stdout).toBe(
      'linear: not signed in; nothing to forget\n',
    );
  });

  it('tells a gateway started without a sign-in to run auth login, at once', async () => {
    const gw = await gateway();
    const t0 = Date.now();
    const r = await whoami(gw);
    expect(r).toEqual({
      isError: true,
      text: 'linear: not signed in; sign in again with `secure-mcp-gateway auth login linear`',
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
    // After `auth login`, the next call connects at once (not at the end of the back-off) and works.
    expect((await login()).code).toBe(0);
    remember();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await whoami(gw)).isError).toBe(false);
  });

  it('keeps no token in clear in any file it wrote', () => {
    expect(seen.size).toBeGreaterThan(4);
    for (const file of files(home)) {
      const text = fs.readFileSync(file, 'latin1');
      for (const t of seen) expect(text.includes(t), file).toBe(false);
    }
  });
});

describe('OAuth in serve: each user with their own token', () => {
  let as: OAuthUpstream;
  let serve: ServeProcess | undefined;
  const clients: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    as = await startOAuthUpstream();
  });

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await serve?.stop();
    await as?.close();
  });

  it('calls the upstream with the calling user’s own token, and tells a user without one to sign in', async () => {
    const home = tempDir('smg-oauth-serve-');
    const config = {
      servers: { linear: { url: as.mcpUrl, transport: 'streamable-http', oauth: {} } },
      projects: { team: { servers: ['linear'] } },
      users: { 'alice@example.com': {}, 'bob@example.com': {}, 'carol@example.com': {} },
      roles: { developer: { servers: { '*': {} } } },
      memberships: {
        team: { 'alice@example.com': 'developer', 'bob@example.com': 'developer', 'carol@example.com': 'developer' },
      },
    };
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    for (const user of ['alice', 'bob']) {
      const browser = browserCommand(tempDir('smg-browser-'), { user });
      const r = await run(['auth', 'login', 'linear', '--user', `${user}@example.com`, '--timeout', '30'], home, {
        BROWSER: browser,
      });
      expect(r.stdout).toMatch(/^signed in to linear /);
      expect(r.code).toBe(0);
    }
    const status = await run(['auth', 'status', '--user', 'carol@example.com'], home);
    expect(status.stdout).toMatch(/^linear\s+not signed in/);
    const keys = Object.fromEntries(
      ['alice', 'bob', 'carol'].map((u) => [u, makeKey(home, 'team', `${u}@example.com`).key]),
    );
    serve = await startServe(config, { home, env: { SMG_VAULT: 'file', SMG_VAULT_PASSPHRASE: PASSPHRASE } });
    const connect = async (user: string) => {
      const c = await httpClient(serve!.url, keys[user]);
      clients.push(c.client);
      return c.client;
    };
    const whoamiAs = async (user: string) => {
      const r = await (await connect(user)).callTool({ name: 'linear__whoami', arguments: {} });
      return JSON.parse(textOf(r)) as { sub: string };
    };
    const [alice, bob] = await Promise.all([whoamiAs('alice'), whoamiAs('bob')]);
    expect(alice).toMatchObject({ sub: 'alice' });
    expect(bob).toMatchObject({ sub: 'bob' });
    // Carol has no token: her own pool cannot connect, and her tool list says why (no one else's token is used).
    const carol = await connect('carol');
    const tools = (await carol.listTools()).tools;
    expect(tools.map((t) => t.name)).toEqual(['_gateway_status']);
    expect(tools[0]?.description).toContain(
      'unavailable: linear: not signed in; sign in again with `secure-mcp-gateway auth login linear --user carol@example.com`',
    );
  });
});
