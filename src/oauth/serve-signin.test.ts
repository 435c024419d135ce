import { afterEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ResolvedServer } from '../config/load.js';
import { oauthSecretName, setSignInLinkMinter, SignInRequiredError } from './provider.js';
import { ServeSignIn, SIGN_IN_TTL_MS } from './serve-signin.js';
import { memoryStore } from '../../test/support/memory-vault.js';

const BASE = 'http://gw.example:8080';
const MCP = 'http://rs.example/mcp';
const AS = 'http://as.example';

const server = (oauth: unknown = { grant: 'authorization_code' }): ResolvedServer =>
  ({ name: 'linear', kind: 'remote', url: MCP, headers: {}, oauth }) as unknown as ResolvedServer;

/** A minimal resource server + authorization server: discovery, registration, and a token endpoint. */
function fakeAuthorizationServer(token: { ok: boolean }) {
  const registered: string[][] = [];
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  const respond = (input: string | URL, init?: RequestInit): Response => {
    const url = new URL(String(input));
    if (url.href === MCP)
      return json(
        401,
        {},
        { 'www-authenticate': `Bearer resource_metadata="http://rs.example/.well-known/oauth-protected-resource/mcp"` },
      );
    if (url.origin === 'http://rs.example' && url.pathname.startsWith('/.well-known/oauth-protected-resource'))
      return json(200, { resource: MCP, authorization_servers: [AS] });
    if (url.origin === AS && url.pathname.startsWith('/.well-known/'))
      return json(200, {
        issuer: AS,
        authorization_endpoint: `${AS}/auth`,
        token_endpoint: `${AS}/token`,
        registration_endpoint: `${AS}/reg`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    if (url.href === `${AS}/reg`) {
      const meta = JSON.parse(init?.body as string) as { redirect_uris: string[] };
      registered.push(meta.redirect_uris);
      return json(201, { ...meta, client_id: `client-${registered.length}` });
    }
    if (url.href === `${AS}/token`)
      return token.ok
        ? json(200, { access_token: 'AT-secret', refresh_token: 'RT-secret', token_type: 'Bearer', expires_in: 3600 })
        : json(400, { error: 'invalid_grant', error_description: 'code refused' });
    return json(404, {});
  };
  const fetchFn: FetchLike = (input, init) => Promise.resolve(respond(input, init));
  return { fetchFn, registered };
}

function setup(opts: { token?: { ok: boolean }; server?: ResolvedServer | undefined } = {}) {
  const store = memoryStore();
  let now = 1_000_000;
  const signedIn: string[] = [];
  const as = fakeAuthorizationServer(opts.token ?? { ok: true });
  const s = new ServeSignIn({
    openStore: () => store,
    server: () => ('server' in opts ? opts.server : server()),
    onSignedIn: (srv, user) => signedIn.push(`${srv}/${user}`),
    fetchFn: as.fetchFn,
    now: () => now,
  });
  return { s, store, signedIn, as, advance: (ms: number) => (now += ms) };
}

const idOf = (link: string) => link.slice(`${BASE}/oauth/start/`.length);
const NAME = oauthSecretName('linear', 'alice@example.com');

describe('ServeSignIn', () => {
  afterEach(() => setSignInLinkMinter(undefined));

  it('mints no link before serve knows where the user reaches it, then a 32-byte one at their base', () => {
    const { s } = setup();
    expect(s.mint('linear', 'alice@example.com')).toBeUndefined();
    s.seen('alice@example.com', `${BASE}/`);
    const link = s.mint('linear', 'alice@example.com')!;
    expect(link).toMatch(/^http:\/\/gw\.example:8080\/oauth\/start\/[A-Za-z0-9_-]{43}$/);
    expect(s.mint('linear', 'alice@example.com')).not.toBe(link);
  });

  it('signs the link’s user in: redirect to the authorization server, callback stores the tokens under them', async () => {
    const { s, store, signedIn, as } = setup();
    s.seen('alice@example.com', BASE);
    const start = await s.start(idOf(s.mint('linear', 'alice@example.com')!), BASE);
    expect(start.status).toBe(302);
    const auth = new URL(start.location!);
    expect(auth.origin + auth.pathname).toBe(`${AS}/auth`);
    expect(auth.searchParams.get('redirect_uri')).toBe(`${BASE}/oauth/callback`);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('resource')).toBe(MCP);
    expect(as.registered).toEqual([[`${BASE}/oauth/callback`]]);
    // Nothing is written before the tokens arrive.
    expect(store.data.size).toBe(0);
    const done = await s.callback(new URLSearchParams({ code: 'c', state: auth.searchParams.get('state')! }));
    expect(done).toMatchObject({ status: 200 });
    expect(done.html).toContain('signed in to linear; you can close this window');
    expect(done.html).not.toContain('AT-secret');
    expect(JSON.parse(store.data.get(NAME)!)).toMatchObject({ tokens: { access_token: 'AT-secret' } });
    expect(signedIn).toEqual(['linear/alice@example.com']);
    // The state is spent with it.
    const again = await s.callback(new URLSearchParams({ code: 'c', state: auth.searchParams.get('state')! }));
    expect(again.status).toBe(400);
  });

  it.each([
    ['a used link', true, 0],
    ['an expired link', false, SIGN_IN_TTL_MS],
  ])('refuses %s with a 400 page', async (_name, useFirst, wait) => {
    const { s, advance } = setup();
    s.seen('alice@example.com', BASE);
    const id = idOf(s.mint('linear', 'alice@example.com')!);
    if (useFirst) expect((await s.start(id, BASE)).status).toBe(302);
    advance(wait);
    const p = await s.start(id, BASE);
    expect(p.status).toBe(400);
    expect(p.html).toContain('This sign-in link is not valid');
  });

  it('refuses a made-up link, and a link to a server that no longer uses OAuth', async () => {
    const { s } = setup({ server: server(false) });
    expect((await s.start('A'.repeat(43), BASE)).status).toBe(400);
    s.seen('alice@example.com', BASE);
    const p = await s.start(idOf(s.mint('linear', 'alice@example.com')!), BASE);
    expect(p).toMatchObject({ status: 400 });
    expect(p.html).toContain('no longer signs in with OAuth');
  });

  it.each([
    ['an unknown state', (_state: string) => ({ code: 'c', state: 'made-up' }), 'matches no sign-in in progress'],
    ['no state', (_state: string) => ({ code: 'c' }), 'matches no sign-in in progress'],
    [
      'a refusal',
      (state: string) => ({ error: 'access_denied', state }),
      'refused the sign-in to linear (access_denied)',
    ],
    ['no code', (state: string) => ({ state }), 'carries no authorization code'],
  ])('answers a callback with %s by a 400 page, storing nothing', async (_name, params, text) => {
    const { s, store, signedIn } = setup();
    s.seen('alice@example.com', BASE);
    const start = await s.start(idOf(s.mint('linear', 'alice@example.com')!), BASE);
    const state = new URL(start.location!).searchParams.get('state')!;
    const p = await s.callback(new URLSearchParams(params(state) as Record<string, string>));
    expect(p.status).toBe(400);
    expect(p.html).toContain(text);
    expect(store.data.size).toBe(0);
    expect(signedIn).toEqual([]);
  });

  it('answers a code the authorization server refuses by a 400 page, storing nothing', async () => {
    const { s, store } = setup({ token: { ok: false } });
    s.seen('alice@example.com', BASE);
    const start = await s.start(idOf(s.mint('linear', 'alice@example.com')!), BASE);
    const state = new URL(start.location!).searchParams.get('state')!;
    const p = await s.callback(new URLSearchParams({ code: 'bad', state }));
    expect(p.status).toBe(400);
    expect(p.html).toContain('refused the code for linear');
    expect(store.data.size).toBe(0);
  });

  it('puts the link in a user’s sign-in message, after the operator’s command; none without a user', () => {
    setSignInLinkMinter((srv, user) => `${BASE}/oauth/start/${srv}-${user}`);
    expect(new SignInRequiredError('linear', 'not signed in', 'alice').message).toBe(
      'linear: not signed in; sign in again with `secure-mcp-gateway auth login linear --user alice`, or open http://gw.example:8080/oauth/start/linear-alice to sign in yourself (one use, valid 10 minutes)',
    );
    expect(new SignInRequiredError('linear', 'not signed in').message).toBe(
      'linear: not signed in; sign in again with `secure-mcp-gateway auth login linear`',
    );
  });
});
