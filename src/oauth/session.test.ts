import { describe, expect, it } from 'vitest';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { SecretStore } from '../vault/types.js';
import { VaultOAuthProvider } from './provider.js';
import { OAuthSession, REFRESH_MARGIN_MS } from './session.js';
import { memoryStore } from '../../test/support/memory-vault.js';

const SERVER = 'https://mcp.example.com/mcp';
const AS = 'https://as.example.com';
const NOW = 10_000_000;

/**
 * A signed-in record (client, discovery, tokens expiring in `ttlMs`) and a fake authorization server whose token
 * endpoint answers after a tick: `refresh` says what it does with a refresh token.
 */
function setup(ttlMs: number, refresh: 'ok' | 'invalid_grant' = 'ok') {
  const store = memoryStore();
  store.set(
    'oauth:linear',
    JSON.stringify({
      v: 1,
      serverUrl: SERVER,
      client: { client_id: 'c1', issuer: AS },
      tokens: { access_token: 'old', token_type: 'Bearer', refresh_token: 'r1', issuer: AS },
      expiresAt: NOW + ttlMs,
      discovery: {
        authorizationServerUrl: AS,
        resourceMetadata: { resource: SERVER, authorization_servers: [AS] },
        authorizationServerMetadata: {
          issuer: AS,
          authorization_endpoint: `${AS}/authorize`,
          token_endpoint: `${AS}/token`,
          response_types_supported: ['code'],
        },
      },
    }),
  );
  const tokenRequests: URLSearchParams[] = [];
  let n = 0;
  const authFetch: FetchLike = async (url, init) => {
    if (String(url) !== `${AS}/token`) return new Response('not found', { status: 404 });
    tokenRequests.push(new URLSearchParams(init?.body as URLSearchParams));
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (refresh === 'invalid_grant') return Response.json({ error: 'invalid_grant' }, { status: 400 });
    n++;
    return Response.json({
      access_token: `new${n}`,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: `r${n + 1}`,
    });
  };
  const sent: (string | null)[] = [];
  const serverFetch: FetchLike = (url, init) => {
    const auth = new Headers(init?.headers).get('authorization');
    sent.push(auth);
    return Promise.resolve(new Response('{}', { status: auth === 'Bearer old' || auth === null ? 401 : 200 }));
  };
  const provider = new VaultOAuthProvider({
    store,
    server: 'linear',
    serverUrl: SERVER,
    config: undefined,
    mode: 'gateway',
    now: () => NOW,
  });
  const session = new OAuthSession({ provider, serverUrl: SERVER, fetch: serverFetch, authFetch, now: () => NOW });
  return { session, provider, tokenRequests, sent };
}

describe('OAuthSession', () => {
  it.each([
    ['well before expiry', 0, REFRESH_MARGIN_MS + 1_000, 'old'],
    ['within the 60 s margin', 1, REFRESH_MARGIN_MS - 1_000, 'new1'],
    ['after expiry', 1, -5_000, 'new1'],
  ])('sends the token %s after %i token requests', async (_when, requests, ttl, token) => {
    const { session, tokenRequests } = setup(ttl);
    expect(await session.accessToken()).toBe(token);
    expect(tokenRequests).toHaveLength(requests);
    if (requests) expect(tokenRequests[0]?.get('grant_type')).toBe('refresh_token');
  });

  it('makes one token request for concurrent callers (single flight), and the next refresh is a new one', async () => {
    const { session, tokenRequests } = setup(1_000);
    const tokens = await Promise.all([session.accessToken(), session.accessToken(), session.refresh().then(() => 'x')]);
    expect(tokens).toEqual(['new1', 'new1', 'x']);
    expect(tokenRequests).toHaveLength(1);
    await session.refresh();
    expect(tokenRequests).toHaveLength(2);
    expect(tokenRequests[1]?.get('refresh_token')).toBe('r2');
  });

  it('says "sign in again" when the refresh is refused, for every caller at once', async () => {
    const { session, provider, tokenRequests } = setup(1_000, 'invalid_grant');
    const results = await Promise.allSettled([session.accessToken(), session.accessToken()]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        name: 'SignInRequiredError',
        message:
          'linear: the authorization server refused to refresh the token (invalid_grant); sign in again with `secure-mcp-gateway auth login linear`',
      });
    }
    expect(tokenRequests).toHaveLength(1);
    expect(provider.read().refreshError).toBe('invalid_grant');
    expect(provider.read().tokens).toBeUndefined();
  });

  it('refreshes once on a 401 and sends the request again with the new token', async () => {
    const { session, sent, tokenRequests } = setup(REFRESH_MARGIN_MS + 60_000);
    const res = await session.fetch(SERVER, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(sent).toEqual(['Bearer old', 'Bearer new1']);
    expect(tokenRequests).toHaveLength(1);
  });

  it('turns a 403 insufficient_scope into "sign in again", keeping the scopes for the next auth login', async () => {
    const { session, provider } = setup(REFRESH_MARGIN_MS + 60_000);
    const stepUp = new OAuthSession({
      provider,
      serverUrl: SERVER,
      fetch: () =>
        Promise.resolve(
          new Response('{}', {
            status: 403,
            headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="mcp:basic mcp:write"' },
          }),
        ),
      authFetch: () => Promise.reject(new Error('no token request expected')),
      now: () => NOW,
    });
    await expect(stepUp.fetch(SERVER, { method: 'POST', body: '{}' })).rejects.toThrow(
      'linear: the server asks for scopes this sign-in does not have; sign in again with `secure-mcp-gateway auth login linear`',
    );
    expect(provider.wantedScope()).toBe('mcp:basic mcp:write');
    expect(session).toBeDefined();
  });

  it('leaves requests to the authorization server alone', async () => {
    const { session, sent } = setup(REFRESH_MARGIN_MS + 60_000);
    const res = await session.fetch(`${SERVER.replace('/mcp', '')}/.well-known/oauth-protected-resource/mcp`, {});
    expect(res.status).toBe(404);
    expect(sent).toEqual([]);
  });

  it('uses a token another process saved meanwhile instead of spending the refresh token again', async () => {
    const { session, provider, tokenRequests } = setup(1_000);
    const other = new VaultOAuthProvider({
      store: (provider as unknown as { opts: { store: SecretStore } }).opts.store,
      server: 'linear',
      serverUrl: SERVER,
      config: undefined,
      mode: 'gateway',
      now: () => NOW,
    });
    other.saveTokens({ access_token: 'theirs', token_type: 'Bearer', expires_in: 3600, refresh_token: 'r9' });
    expect(await session.accessToken()).toBe('theirs');
    expect(tokenRequests).toHaveLength(0);
  });
});
