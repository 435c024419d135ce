import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { OAuthConfig } from '../config/schema.js';
import type { OAuthSession } from './session.js';
import { SignInRequiredError } from './provider.js';
import {
  onTokenExchange,
  SubjectTokens,
  TOKEN_EXCHANGE_GRANT,
  TokenExchangeError,
  TokenExchangeSession,
  tokenExchangeSession,
  type TokenExchangeEvent,
} from './token-exchange.js';

const SERVER = 'https://mcp.example.com/mcp';
const AS = 'https://as.example.com';
const NOW = 10_000_000;
const CONFIG: OAuthConfig = {
  grant: 'authorization_code',
  clientId: 'gw',
  clientSecret: 's3cret',
  tokenExchange: true,
};

describe('SubjectTokens', () => {
  it.each([
    ['the only token', [['t1', 2000]], 't1'],
    [
      'the newer of two (later expiry), in either order',
      [
        ['t1', 2000],
        ['t2', 3000],
      ],
      't2',
    ],
    [
      'the newer of two presented out of order',
      [
        ['t2', 3000],
        ['t1', 2000],
      ],
      't2',
    ],
    ['none when it expired', [['t1', 5]], undefined],
    [
      'the new one when the old one expired',
      [
        ['t1', 5],
        ['t2', 3],
      ],
      undefined,
    ],
    ['a token without exp', [['t1', undefined]], 't1'],
  ] as const)('gives %s', (_what, presented, expected) => {
    const tokens = new SubjectTokens(() => 10_000);
    for (const [t, exp] of presented) tokens.present('a@example.com', t, exp);
    expect(tokens.current('a@example.com')).toBe(expected);
  });

  it("never gives one user's token for another", () => {
    const tokens = new SubjectTokens(() => 0);
    tokens.present('a@example.com', 'token-of-a', 100);
    expect(tokens.current('b@example.com')).toBeUndefined();
    tokens.present('b@example.com', 'token-of-b', 100);
    expect([tokens.current('a@example.com'), tokens.current('b@example.com')]).toEqual(['token-of-a', 'token-of-b']);
  });
});

/** A fake authorization server (RFC 9728 + RFC 8414 + a token endpoint) and MCP server; `exchanges` records bodies. */
function fakes(opts: { refuse?: string; ttl?: number; mcp401?: (token: string) => boolean } = {}) {
  const exchanges: { body: URLSearchParams; auth: string | null }[] = [];
  let n = 0;
  const authFetch: FetchLike = async (url, init) => {
    const u = String(url);
    if (u.startsWith('https://mcp.example.com/.well-known/oauth-protected-resource'))
      return Response.json({ resource: SERVER, authorization_servers: [AS], scopes_supported: ['mcp'] });
    if (u === `${AS}/.well-known/oauth-authorization-server`)
      return Response.json({
        issuer: AS,
        authorization_endpoint: `${AS}/authorize`,
        token_endpoint: `${AS}/token`,
        response_types_supported: ['code'],
      });
    if (u === `${AS}/token`) {
      const body = new URLSearchParams(init?.body as string);
      exchanges.push({ body, auth: new Headers(init?.headers).get('authorization') });
      await new Promise((r) => setTimeout(r, 5));
      if (opts.refuse) return Response.json({ error: opts.refuse, error_description: 'no' }, { status: 400 });
      n++;
      return Response.json({
        access_token: `x${n}-for-${body.get('subject_token')}`,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: opts.ttl ?? 3600,
      });
    }
    return new Response('not found', { status: 404 });
  };
  const sent: string[] = [];
  const mcpFetch: FetchLike = (_url, init) => {
    const token = new Headers(init?.headers).get('authorization')?.replace(/^Bearer /, '') ?? '';
    sent.push(token);
    return Promise.resolve(new Response('{}', { status: opts.mcp401?.(token) ? 401 : 200 }));
  };
  return { exchanges, authFetch, mcpFetch, sent };
}

function session(
  f: ReturnType<typeof fakes>,
  tokens: SubjectTokens,
  user = 'a@example.com',
  extra: { config?: OAuthConfig; now?: () => number; fallback?: OAuthSession } = {},
) {
  return new TokenExchangeSession({
    server: 'linear',
    serverUrl: SERVER,
    user,
    config: extra.config ?? CONFIG,
    tokens,
    fetch: f.mcpFetch,
    authFetch: f.authFetch,
    now: extra.now ?? (() => NOW),
    ...(extra.fallback ? { fallback: extra.fallback } : {}),
  });
}

describe('TokenExchangeSession', () => {
  const events: TokenExchangeEvent[] = [];
  const stop = onTokenExchange((e) => events.push(e));
  afterEach(() => {
    events.length = 0;
  });
  afterAll(() => stop());

  it('exchanges the user’s IdP token at the discovered token endpoint (RFC 8693, RFC 8707, client auth)', async () => {
    const f = fakes();
    const tokens = new SubjectTokens(() => NOW);
    tokens.present('a@example.com', 'idp-a', undefined);
    const res = await session(f, tokens).fetch(SERVER, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(f.exchanges).toHaveLength(1);
    const { body, auth } = f.exchanges[0]!;
    expect(Object.fromEntries(body)).toEqual({
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: 'idp-a',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      resource: SERVER,
      scope: 'mcp',
    });
    expect(auth).toBe(`Basic ${Buffer.from('gw:s3cret').toString('base64')}`);
    expect(f.sent).toEqual(['x1-for-idp-a']);
    expect(events).toEqual([{ server: 'linear', user: 'a@example.com', ok: true }]);
  });

  it('sends the configured scopes, audience and subject token type; a public client sends its client_id', async () => {
    const f = fakes();
    const tokens = new SubjectTokens(() => NOW);
    tokens.present('a@example.com', 'idp-a', undefined);
    const config: OAuthConfig = {
      grant: 'authorization_code',
      clientId: 'pub',
      tokenExchange: {
        scopes: ['read', 'write'],
        audience: 'linear-api',
        subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
      },
    };
    await session(f, tokens, 'a@example.com', { config }).fetch(SERVER, {});
    const { body, auth } = f.exchanges[0]!;
    expect(auth).toBeNull();
    expect(body.get('client_id')).toBe('pub');
    expect(body.get('scope')).toBe('read write');
    expect(body.get('audience')).toBe('linear-api');
    expect(body.get('subject_token_type')).toBe('urn:ietf:params:oauth:token-type:jwt');
  });

  it('uses each user’s own IdP token, never another’s', async () => {
    const f = fakes();
    const tokens = new SubjectTokens(() => NOW);
    tokens.present('a@example.com', 'idp-a', undefined);
    tokens.present('b@example.com', 'idp-b', undefined);
    await Promise.all([
      session(f, tokens, 'a@example.com').fetch(SERVER, {}),
      session(f, tokens, 'b@example.com').fetch(SERVER, {}),
    ]);
    expect(f.exchanges.map((e) => e.body.get('subject_token')).sort()).toEqual(['idp-a', 'idp-b']);
    expect(f.sent.sort()).toEqual([expect.stringMatching(/-for-idp-a$/), expect.stringMatching(/-for-idp-b$/)]);
  });

  it('exchanges once for ten concurrent requests, and keeps the token until shortly before it expires', async () => {
    const f = fakes({ ttl: 8 });
    let now = NOW;
    const tokens = new SubjectTokens(() => now);
    tokens.present('a@example.com', 'idp-a', undefined);
    const s = session(f, tokens, 'a@example.com', { now: () => now });
    await Promise.all(Array.from({ length: 10 }, () => s.fetch(SERVER, {})));
    expect(f.exchanges).toHaveLength(1);
    now += 5_000; // a quarter of 8 s before expiry: still good
    await s.fetch(SERVER, {});
    expect(f.exchanges).toHaveLength(1);
    now += 1_500; // 6.5 s: renewed, with the user's newest IdP token
    tokens.present('a@example.com', 'idp-a2', undefined);
    await s.fetch(SERVER, {});
    expect(f.exchanges.map((e) => e.body.get('subject_token'))).toEqual(['idp-a', 'idp-a2']);
  });

  it('after a 401 exchanges again with the newest IdP token and retries once', async () => {
    const revoked = new Set<string>();
    const f = fakes({ mcp401: (t) => revoked.has(t) });
    const tokens = new SubjectTokens(() => NOW);
    tokens.present('a@example.com', 'idp-old', undefined);
    const s = session(f, tokens);
    await s.fetch(SERVER, {});
    revoked.add('x1-for-idp-old');
    tokens.present('a@example.com', 'idp-new', undefined);
    const res = await s.fetch(SERVER, {});
    expect(res.status).toBe(200);
    expect(f.sent).toEqual(['x1-for-idp-old', 'x1-for-idp-old', 'x2-for-idp-new']);
  });

  it('a second 401 is a clear error, not a loop', async () => {
    const f = fakes({ mcp401: () => true });
    const tokens = new SubjectTokens(() => NOW);
    tokens.present('a@example.com', 'idp-a', undefined);
    await expect(session(f, tokens).fetch(SERVER, {})).rejects.toThrow(
      'linear: the server refused the exchanged token (HTTP 401)',
    );
    expect(f.exchanges).toHaveLength(2);
  });

  it.each(['invalid_grant', 'unauthorized_client', 'invalid_target'])(
    'a refused exchange (%s) is a clear error that names no token, and is reported',
    async (code) => {
      const f = fakes({ refuse: code });
      const tokens = new SubjectTokens(() => NOW);
      tokens.present('a@example.com', 'idp-secret-token', undefined);
      const error = await session(f, tokens)
        .fetch(SERVER, {})
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenExchangeError);
      expect(error).toBeInstanceOf(SignInRequiredError);
      expect((error as Error).message).toBe(`linear: the authorization server refused the token exchange: ${code}`);
      expect(f.sent).toEqual([]);
      expect(events).toEqual([
        {
          server: 'linear',
          user: 'a@example.com',
          ok: false,
          reason: `the authorization server refused the token exchange: ${code}`,
        },
      ]);
      expect(JSON.stringify(events)).not.toContain('idp-secret-token');
    },
  );

  it('an unreachable authorization server is a clear error', async () => {
    const f = fakes();
    const tokens = new SubjectTokens(() => NOW);
    tokens.present('a@example.com', 'idp-a', undefined);
    const s = new TokenExchangeSession({
      server: 'linear',
      serverUrl: SERVER,
      user: 'a@example.com',
      config: CONFIG,
      tokens,
      fetch: f.mcpFetch,
      authFetch: () => Promise.reject(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') })),
      now: () => NOW,
    });
    await expect(s.fetch(SERVER, {})).rejects.toThrow(
      /^linear: the authorization server for the token exchange cannot be found: /,
    );
  });

  it('without an IdP token uses the user’s own sign-in (fallback), else says to sign in', async () => {
    const f = fakes();
    const tokens = new SubjectTokens(() => NOW);
    const fallbackCalls: string[] = [];
    const fallback = {
      fetch: (url: string | URL) => {
        fallbackCalls.push(String(url));
        return Promise.resolve(new Response('{}'));
      },
    } as unknown as OAuthSession;
    await session(f, tokens, 'a@example.com', { fallback }).fetch(SERVER, {});
    expect(fallbackCalls).toEqual([SERVER]);
    expect(f.exchanges).toEqual([]);
    await expect(session(f, tokens).fetch(SERVER, {})).rejects.toThrow(
      'linear: not signed in; sign in again with `secure-mcp-gateway auth login linear --user a@example.com`',
    );
  });

  it('passes requests to other origins and well-known documents through untouched', async () => {
    const f = fakes();
    const tokens = new SubjectTokens(() => NOW);
    tokens.present('a@example.com', 'idp-a', undefined);
    const res = await session(f, tokens).fetch(`${AS}/.well-known/oauth-authorization-server`, {});
    expect(res.status).toBe(200);
    expect(f.exchanges).toEqual([]);
  });
});

describe('tokenExchangeSession', () => {
  const f = fakes();
  const remote = { name: 'linear', kind: 'remote', url: SERVER, oauth: CONFIG };
  it.each([
    ['a stdio server', { ...remote, kind: 'stdio' }, 'a@example.com'],
    ['a server without tokenExchange', { ...remote, oauth: { grant: 'authorization_code' as const } }, 'a@example.com'],
    ['tokenExchange: false', { ...remote, oauth: { ...CONFIG, tokenExchange: false } }, 'a@example.com'],
    ['oauth: false', { ...remote, oauth: false as const }, 'a@example.com'],
    ['a shared pool (no user)', remote, null],
    ['stdio mode (user undefined)', remote, undefined],
  ])('is none for %s', (_what, server, user) => {
    expect(tokenExchangeSession(server, user, f.mcpFetch, undefined)).toBeUndefined();
  });

  it('is one per server and user', () => {
    const a = tokenExchangeSession(remote, 'a@example.com', f.mcpFetch, undefined);
    expect(a).toBeInstanceOf(TokenExchangeSession);
    expect(tokenExchangeSession(remote, 'a@example.com', f.mcpFetch, undefined)).toBe(a);
    expect(tokenExchangeSession(remote, 'b@example.com', f.mcpFetch, undefined)).not.toBe(a);
  });
});
