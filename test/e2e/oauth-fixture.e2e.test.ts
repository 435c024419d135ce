/**
 * The OAuth test fixture proves itself (issue 18) before the gateway's tests rely on it: the real authorization
 * server (oidc-provider) and the real MCP upstream of test/fixtures/oauth-upstream.ts, driven by the SDK's own OAuth
 * client and the headless browser run as `$BROWSER` would be (a child process given the URL). Covered: discovery
 * from the 401 challenge, dynamic registration, the PKCE code flow through the login and consent forms to a loopback
 * callback, a tool call with the token, no token and an expired token refused with the challenge, refresh with
 * rotation, a replayed or revoked refresh token refused with invalid_grant, client_credentials for the
 * pre-registered client, and the counters the gateway's tests read.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  UnauthorizedError,
  discoverAuthorizationServerMetadata,
  refreshAuthorization,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt, SignJWT, generateKeyPair } from 'jose';
import { startOAuthUpstream, type OAuthUpstream } from '../fixtures/oauth-upstream.js';
import { browse, browserCommand, parseForm } from '../helpers/oauth-browser.js';
import { tempDir } from '../helpers/gateway.js';

/** A loopback redirect endpoint like the CLI's: resolves with the code the browser brings back. */
async function loopbackCallback() {
  let deliver: (params: URLSearchParams) => void = () => {};
  const received = new Promise<URLSearchParams>((resolve) => (deliver = resolve));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Signed in. You can close this window.</p>');
    deliver(url.searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUrl: `http://127.0.0.1:${port}/callback`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The SDK's client-side OAuth state, in memory; the authorization URL goes to `$BROWSER` (the headless browser). */
class MemoryProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  browserExit?: Promise<number | null>;
  constructor(
    readonly redirectUrl: string,
    private readonly browser: string,
  ) {}
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'fixture test',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  redirectToAuthorization(url: URL) {
    // As the CLI will: $BROWSER with the URL as its one argument.
    const child = spawn(this.browser, [url.href], { stdio: 'ignore' });
    this.browserExit = new Promise((resolve) => child.once('exit', resolve));
  }
}

async function connect(url: string, provider?: OAuthClientProvider, token?: string) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(provider ? { authProvider: provider } : {}),
    ...(token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {}),
  });
  const client = new Client({ name: 'fixture-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function whoami(client: Client): Promise<{ sub: string; client_id: string; scopes: string[] }> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  const content = result.content as { type: string; text: string }[];
  return JSON.parse(content[0]!.text) as { sub: string; client_id: string; scopes: string[] };
}

async function clientCredentials(up: OAuthUpstream): Promise<OAuthTokens> {
  const res = await fetch(`${up.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${up.clientId}:${up.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: up.mcpUrl, scope: 'mcp' }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as OAuthTokens;
}

describe('the OAuth upstream fixture', () => {
  let up: OAuthUpstream;
  let dir: string;
  beforeAll(async () => {
    up = await startOAuthUpstream();
    dir = tempDir('smg-oauth-fixture-');
  });
  afterAll(async () => {
    await up.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a request without a token with 401 and a challenge that points to its resource metadata', async () => {
    const res = await fetch(up.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="${up.resourceMetadataUrl}"`);
    expect(challenge).toContain('scope="mcp"');
    const prm = (await (await fetch(up.resourceMetadataUrl)).json()) as Record<string, unknown>;
    expect(prm).toMatchObject({ resource: up.mcpUrl, authorization_servers: [up.issuer] });
    const as = await discoverAuthorizationServerMetadata(up.issuer);
    expect(as).toMatchObject({ issuer: up.issuer, code_challenge_methods_supported: ['S256'] });
    expect(as?.registration_endpoint).toBeTruthy();
    expect(as).toHaveProperty('revocation_endpoint');
    const rfc8414 = (await (await fetch(`${up.issuer}/.well-known/oauth-authorization-server`)).json()) as object;
    expect(rfc8414).toMatchObject({ issuer: up.issuer });
  });

  it('signs a user in with dynamic registration and PKCE through the browser, and the token calls tools', async () => {
    const callback = await loopbackCallback();
    const log = path.join(dir, 'browser.log');
    const provider = new MemoryProvider(callback.redirectUrl, browserCommand(dir, { user: 'bob', log }));
    const first = new StreamableHTTPClientTransport(new URL(up.mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 't', version: '1' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const params = await callback.received;
    await callback.close();
    expect(await provider.browserExit).toBe(0);
    expect(params.get('iss')).toBe(up.issuer);
    const clientId = provider.info?.client_id ?? '';
    expect(up.registeredClients).toContain(clientId);
    // The browser went through the login and the consent forms.
    const steps = fs.readFileSync(log, 'utf8');
    expect(steps.match(/^POST .*\/interaction\//gm)).toHaveLength(2);
    expect(steps).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/callback\?.*code=%E2%80%A6/m);

    await first.finishAuth(params.get('code')!);
    const tokens = provider.saved!;
    expect(tokens.refresh_token).toBeTruthy();
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: up.issuer, aud: up.mcpUrl, sub: 'bob', client_id: clientId });

    const { client } = await connect(up.mcpUrl, provider);
    const me = await whoami(client);
    expect(me).toEqual({ sub: 'bob', client_id: clientId, scopes: ['mcp'] });
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'hello' }]);
    await client.close();
    expect(up.tokenRequests.authorization_code).toEqual({ ok: 1, failed: 0 });

    // Refresh rotates: the new refresh token works once, the old one is refused.
    const metadata = await discoverAuthorizationServerMetadata(up.issuer);
    const refreshed = await refreshAuthorization(up.issuer, {
      metadata,
      clientInformation: provider.info!,
      refreshToken: tokens.refresh_token!,
      resource: new URL(up.mcpUrl),
    });
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ sub: 'bob', aud: up.mcpUrl });
    await expect(
      refreshAuthorization(up.issuer, {
        metadata,
        clientInformation: provider.info!,
        refreshToken: tokens.refresh_token!,
      }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant' });
    expect(up.tokenRequests.refresh_token).toEqual({ ok: 1, failed: 1 });

    // A revoked refresh token is refused with invalid_grant, as the gateway will see it.
    expect(await up.revokeRefreshTokens(clientId)).toBeGreaterThanOrEqual(1);
    await expect(
      refreshAuthorization(up.issuer, {
        metadata,
        clientInformation: provider.info!,
        refreshToken: refreshed.refresh_token!,
      }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant' });
  });

  it('refuses an expired token with 401 invalid_token and the challenge', async () => {
    up.setAccessTokenTtl(1);
    try {
      const tokens = await clientCredentials(up);
      expect(tokens.expires_in).toBe(1);
      const { client } = await connect(up.mcpUrl, undefined, tokens.access_token);
      expect(await whoami(client)).toMatchObject({ sub: up.clientId, client_id: up.clientId });
      await client.close();
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const res = await fetch(up.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token".*resource_metadata=/);
    } finally {
      up.setAccessTokenTtl(3600);
    }
  });

  it('refuses a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ client_id: 'x', scope: 'mcp' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'fixture-1' })
      .setIssuer(up.issuer)
      .setAudience(up.mcpUrl)
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(privateKey);
    await expect(connect(up.mcpUrl, undefined, forged)).rejects.toThrow(/401|invalid_token/i);
  });

  it('requires PKCE: an authorization request without a code challenge ends in an error redirect', async () => {
    const reg = await fetch(`${up.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['http://127.0.0.1:9/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
      }),
    });
    expect(reg.status).toBe(201);
    const { client_id } = (await reg.json()) as { client_id: string };
    const auth = new URL(`${up.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id,
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:9/callback',
      scope: 'mcp',
      state: 's',
    }).toString();
    const res = await fetch(auth, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  /** A user signed in through the browser with a dynamically registered public client. */
  async function signIn(user: string): Promise<MemoryProvider> {
    const callback = await loopbackCallback();
    const provider = new MemoryProvider(callback.redirectUrl, browserCommand(dir, { user }));
    const transport = new StreamableHTTPClientTransport(new URL(up.mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 't', version: '1' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const code = (await callback.received).get('code')!;
    await callback.close();
    await transport.finishAuth(code);
    return provider;
  }

  const refresh = async (provider: MemoryProvider) =>
    refreshAuthorization(up.issuer, {
      metadata: await discoverAuthorizationServerMetadata(up.issuer),
      clientInformation: provider.info!,
      refreshToken: provider.saved!.refresh_token!,
    });

  it('revokes a client grant: its refresh token then fails with invalid_grant', async () => {
    const provider = await signIn('carol');
    expect(await up.revokeGrants(provider.info!.client_id)).toBe(1);
    await expect(refresh(provider)).rejects.toMatchObject({ errorCode: 'invalid_grant' });
  });

  it('revokes a refresh token at its RFC 7009 endpoint, as logout does', async () => {
    const provider = await signIn('dave');
    const metadata = (await discoverAuthorizationServerMetadata(up.issuer)) as { revocation_endpoint?: string };
    const res = await fetch(metadata.revocation_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: provider.saved!.refresh_token!,
        token_type_hint: 'refresh_token',
        client_id: provider.info!.client_id,
      }),
    });
    expect(res.status).toBe(200);
    await expect(refresh(provider)).rejects.toMatchObject({ errorCode: 'invalid_grant' });
  });
});

describe('the headless browser', () => {
  it.each([
    ['a login form', '<form method="post" action="/i/1"><input type="hidden" name="prompt" value="login"/>', 'login'],
    [
      'a consent form',
      '<form action=\'/i/2\' method=\'post\'><input type="hidden" name="prompt" value="consent"/>',
      'consent',
    ],
  ])('reads %s', (_name, html, prompt) => {
    const form = parseForm(`${html}<input name="login"><input type="password" name="password"></form>`);
    expect(form?.method).toBe('post');
    expect(form?.fields.find((f) => f.name === 'prompt')?.value).toBe(prompt);
  });

  it('fails with the status and text of an error page', async () => {
    const up = await startOAuthUpstream();
    try {
      await expect(browse(`${up.issuer}/auth?client_id=nobody&response_type=code`)).rejects.toThrow(/answered 400/);
    } finally {
      await up.close();
    }
  });
});
