/**
 * Token exchange in `serve` end to end (issue 18, RFC 8693): the built gateway's `serve` with `serve.sso` pointing at
 * the oidc-provider of test/fixtures/oauth-upstream.ts, which is also the authorization server of the bearer-protected
 * MCP upstream and accepts the token-exchange grant. Two people, each with their own IdP token and a real SDK
 * client, call `whoami` through the gateway and each sees their own `sub`, with no `auth login`; the exchanged token
 * (short TTL) is renewed; a refused exchange is a clear tool error; a gateway-key session of a user with no IdP token
 * and no sign-in is told to sign in; the exchange is audited (server, user, outcome) and no token is in clear in any
 * file or log.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOAuthUpstream, TOKEN_EXCHANGE_GRANT, type OAuthUpstream } from '../fixtures/oauth-upstream.js';
import { tempDir, textOf, waitFor } from '../helpers/gateway.js';
import { makeKey } from '../helpers/identity.js';
import { httpClient, startServe, type ServeProcess } from '../helpers/serve.js';
import { freePort } from '../helpers/redis.js';

const PASSPHRASE = 'e2e passphrase, not a secret';
/** Lifetime of the exchanged tokens (s): renewed at three quarters of it. */
const TTL = 4;

/** Every file under dir, recursively. */
function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

const records = (file: string) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('token exchange in serve', () => {
  let as: OAuthUpstream;
  let serve: ServeProcess;
  let home: string;
  const idpTokens: string[] = [];
  const clients: Client[] = [];
  const exchanges = () => as.tokenRequests[TOKEN_EXCHANGE_GRANT] ?? { ok: 0, failed: 0 };

  beforeAll(async () => {
    const port = await freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    as = await startOAuthUpstream({
      accessTokenTtl: TTL,
      gatewayAudience: resource,
      people: {
        alice: { email: 'alice@example.com' },
        bob: { email: 'bob@example.com' },
        carol: { email: 'carol@example.com' },
      },
    });
    home = tempDir('smg-tx-');
    const users = ['alice', 'bob', 'carol', 'dave'].map((u) => `${u}@example.com`);
    const config = {
      servers: {
        linear: {
          url: as.mcpUrl,
          transport: 'streamable-http',
          oauth: { clientId: as.clientId, clientSecret: '${env:LINEAR_CLIENT_SECRET}', tokenExchange: true },
        },
      },
      projects: { team: { servers: ['linear'] } },
      users: Object.fromEntries(users.map((u) => [u, {}])),
      roles: { developer: { servers: { '*': {} } } },
      memberships: { team: Object.fromEntries(users.map((u) => [u, 'developer'])) },
      serve: { sso: { issuer: as.issuer, audience: resource, requiredScopes: ['mcp'] } },
    };
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
    serve = await startServe(config, {
      home,
      args: ['--port', String(port)],
      env: { SMG_VAULT: 'file', SMG_VAULT_PASSPHRASE: PASSPHRASE, LINEAR_CLIENT_SECRET: as.clientSecret },
    });
    expect(serve.url).toBe(resource);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await serve?.stop();
    await as?.close();
  });

  /** A real SDK client of `person` with their IdP token (or a gateway key). */
  const connect = async (bearer: string) => {
    const c = await httpClient(serve.url, bearer);
    clients.push(c.client);
    return c.client;
  };
  const asPerson = async (person: string) => {
    const token = await as.idpToken(person);
    idpTokens.push(token);
    return connect(token);
  };
  const whoami = async (client: Client) => {
    const r = await client.callTool({ name: 'linear__whoami', arguments: {} });
    expect(r.isError, textOf(r)).toBeFalsy();
    return JSON.parse(textOf(r)) as { sub: string; client_id: string };
  };

  let alice: Client;
  let bob: Client;

  it('two people each call the upstream as themselves, with no auth login', async () => {
    [alice, bob] = await Promise.all([asPerson('alice'), asPerson('bob')]);
    const [a, b] = await Promise.all([whoami(alice), whoami(bob)]);
    expect(a).toMatchObject({ sub: 'alice', client_id: as.clientId });
    expect(b).toMatchObject({ sub: 'bob', client_id: as.clientId });
    expect(exchanges().ok).toBe(2);
    // Nothing went through a sign-in: no authorization code, no refresh, nothing in the vault.
    expect(as.tokenRequests.authorization_code).toBeUndefined();
    expect(as.tokenRequests.refresh_token).toBeUndefined();
  });

  it('keeps the exchanged token while it lives, and exchanges again when it is about to expire', async () => {
    const before = exchanges().ok;
    expect(await whoami(alice)).toMatchObject({ sub: 'alice' });
    expect(exchanges().ok).toBe(before);
    await sleep(TTL * 1000 + 200);
    expect(await whoami(alice)).toMatchObject({ sub: 'alice' });
    expect(await whoami(bob)).toMatchObject({ sub: 'bob' });
    expect(exchanges().ok).toBe(before + 2);
  });

  it('a refused exchange is a clear tool error, and the next accepted one works again', async () => {
    as.refuseTokenExchange(['alice']);
    try {
      await sleep(TTL * 1000 + 200);
      const r = await alice.callTool({ name: 'linear__whoami', arguments: {} });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('linear: the authorization server refused the token exchange: invalid_grant');
      // Bob is not affected: his own token, his own exchange.
      expect(await whoami(bob)).toMatchObject({ sub: 'bob' });
    } finally {
      as.refuseTokenExchange([]);
    }
    expect(await whoami(alice)).toMatchObject({ sub: 'alice' });
  });

  it('a person whose first exchange is refused sees why in the tool list', async () => {
    as.refuseTokenExchange(['carol']);
    try {
      const carol = await asPerson('carol');
      const tools = (await carol.listTools()).tools;
      expect(tools.map((t) => t.name)).toEqual(['_gateway_status']);
      expect(tools[0]?.description).toContain(
        'linear: the authorization server refused the token exchange: invalid_grant',
      );
    } finally {
      as.refuseTokenExchange([]);
    }
  });

  it('a gateway-key session of a user with no IdP token and no sign-in is told to sign in', async () => {
    const dave = await connect(makeKey(home, 'team', 'dave@example.com').key);
    const tools = (await dave.listTools()).tools;
    expect(tools.map((t) => t.name)).toEqual(['_gateway_status']);
    expect(tools[0]?.description).toContain(
      'linear: not signed in; sign in again with `secure-mcp-gateway auth login linear --user dave@example.com`',
    );
  });

  it('audits and logs each exchange (server, user, outcome) and writes no token anywhere', async () => {
    const audit = path.join(home, 'audit.jsonl');
    const events = await waitFor(() => {
      const found = records(audit).filter((r) => r.kind === 'oauth' && r.event === 'token-exchange');
      return found.some((r) => r.outcome === 'refused' && r.user === 'carol@example.com') ? found : undefined;
    }, 10_000);
    expect(events).toContainEqual(
      expect.objectContaining({ server: 'linear', user: 'alice@example.com', outcome: 'ok' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ server: 'linear', user: 'bob@example.com', outcome: 'ok' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        server: 'linear',
        user: 'alice@example.com',
        outcome: 'refused',
        reason: 'the authorization server refused the token exchange: invalid_grant',
      }),
    );
    expect(serve.logs().filter((l) => l.event === 'oauth.token-exchange').length).toBeGreaterThanOrEqual(5);
    // No IdP token, no exchanged token (any JWT), no client secret, in any file of the home or in the log.
    const jwt = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
    const texts = [...files(home).map((f) => [f, fs.readFileSync(f, 'utf8')] as const), ['stderr', serve.stderr()]];
    for (const [where, text] of texts) {
      expect(jwt.test(text), where).toBe(false);
      expect(text.includes(as.clientSecret), where).toBe(false);
      for (const t of idpTokens) expect(text.includes(t), where).toBe(false);
    }
  });
});
