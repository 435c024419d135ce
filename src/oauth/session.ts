/**
 * OAuth at run time for one remote upstream (and, in `serve`, one user): the fetch the Streamable HTTP / SSE
 * transport sends through. Before each request to the MCP server it makes sure the access token has more than a
 * margin (60 s) to live, refreshing it if not; after a 401 it refreshes once and retries once. Every refresh of a
 * server goes through ONE promise in flight (single flight): ten calls that find the token expired cause one token
 * request, not ten, and a rotating refresh token is never spent twice.
 *
 * A refresh is the SDK's `auth()` (the provider's stored discovery, client and refresh token). In the gateway the
 * provider has no browser: a refused refresh, or no sign-in at all, ends in SignInRequiredError at once, and that
 * error is what the transport's request rejects with: never a hang, never the token.
 * Requests to the authorization server (discovery, token, registration) pass through untouched.
 */
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ResolvedServer } from '../config/load.js';
import { resolvePaths } from '../config/paths.js';
import type { SecretStore } from '../vault/types.js';
import { oauthSecretName, VaultOAuthProvider } from './provider.js';
import { openTokenStore } from './store.js';

export const REFRESH_MARGIN_MS = 60_000;

export interface OAuthSessionOptions {
  provider: VaultOAuthProvider;
  serverUrl: string;
  /** The fetch underneath (the shared keep-alive pool). */
  fetch: FetchLike;
  /**
   * The fetch for the authorization server. The global one by default: the SDK's auth() reads an error answer only
   * from a global `Response` (`instanceof`), and undici's own fetch returns another class, which would turn a
   * refused refresh (invalid_grant) into an unreadable server error.
   */
  authFetch?: FetchLike;
  marginMs?: number;
  now?: () => number;
}

export class OAuthSession {
  private inflight: Promise<void> | undefined;
  private readonly origin: string;
  private readonly marginMs: number;
  private readonly now: () => number;
  private readonly authFetch: FetchLike;

  constructor(private readonly opts: OAuthSessionOptions) {
    this.authFetch = opts.authFetch ?? ((url, init) => globalThis.fetch(url, init));
    this.origin = new URL(opts.serverUrl).origin;
    this.marginMs = opts.marginMs ?? REFRESH_MARGIN_MS;
    this.now = opts.now ?? Date.now;
  }

  get provider(): VaultOAuthProvider {
    return this.opts.provider;
  }

  /**
   * One refresh for everyone who asks while it runs. It gets a token by whatever the SDK finds possible: the refresh
   * token, or client_credentials; where only a person can help, the provider throws SignInRequiredError.
   */
  refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        // Another process (a second client's gateway, `auth login`) may have refreshed already: a rotated refresh
        // token must not be spent again. Read the vault again, and use its token when it is newer and fresh.
        const p = this.opts.provider;
        const before = p.tokens()?.access_token;
        p.reload();
        const stored = p.tokens();
        const expiresAt = p.expiresAt();
        if (
          stored !== undefined &&
          stored.access_token !== before &&
          (expiresAt === undefined || expiresAt - this.marginMs > this.now())
        )
          return;
        const result = await auth(this.opts.provider, { serverUrl: this.opts.serverUrl, fetchFn: this.authFetch });
        if (result !== 'AUTHORIZED') throw new Error('the authorization server did not issue a token');
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** The access token to send now: refreshed first when it expires within the margin. Undefined: none stored. */
  async accessToken(): Promise<string | undefined> {
    const p = this.opts.provider;
    let tokens = p.tokens();
    if (!tokens && p.grant === 'client_credentials') {
      await this.refresh();
      tokens = p.tokens();
    }
    if (!tokens) return undefined;
    const expiresAt = p.expiresAt();
    if (expiresAt !== undefined && expiresAt - this.marginMs <= this.now()) {
      await this.refresh();
      tokens = p.tokens();
    }
    return tokens?.access_token;
  }

  /** After the server refused `sent` with a 401: a newer token if another call already got one, else one refresh. */
  async afterUnauthorized(sent: string): Promise<string | undefined> {
    const current = this.opts.provider.tokens()?.access_token;
    if (current !== undefined && current !== sent) return current;
    await this.refresh();
    return this.opts.provider.tokens()?.access_token;
  }

  /** Requests to the MCP server (its origin, not a well-known document); the authorization server's pass as they are. */
  private toServer(url: string | URL): boolean {
    const u = new URL(url);
    return u.origin === this.origin && !u.pathname.startsWith('/.well-known/') && !this.isAuthEndpoint(u);
  }

  private isAuthEndpoint(u: URL): boolean {
    const meta = this.opts.provider.discoveryState()?.authorizationServerMetadata as
      Record<string, unknown> | undefined;
    if (!meta) return false;
    const here = `${u.origin}${u.pathname}`;
    return ['token_endpoint', 'registration_endpoint', 'revocation_endpoint', 'authorization_endpoint'].some(
      (k) => typeof meta[k] === 'string' && meta[k] === here,
    );
  }

  /** The fetch to give the transport. */
  readonly fetch: FetchLike = async (url, init) => {
    if (!this.toServer(url)) return this.authFetch(url, init);
    const token = await this.accessToken();
    const headers = new Headers(init?.headers);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    const res = await this.opts.fetch(url, { ...init, headers });
    if (res.status === 403) {
      // A step-up (insufficient_scope): a refresh cannot add scopes, only a person can.
      const challenge = res.headers.get('www-authenticate') ?? '';
      if (/^Bearer\b/i.test(challenge) && /error="?insufficient_scope"?/.test(challenge)) {
        await res.body?.cancel().catch(() => undefined);
        throw this.opts.provider.needsScope(/scope="([^"]*)"/.exec(challenge)?.[1] ?? '');
      }
    }
    if (res.status !== 401 || token === undefined) return res;
    // Once: a token the server refuses although it has not expired (revoked, rotated keys) is refreshed and the
    // request sent again. A second 401 goes back to the transport, whose own auth() then says what is wrong.
    const next = await this.afterUnauthorized(token);
    if (next === undefined || next === token) return res;
    await res.body?.cancel().catch(() => undefined);
    headers.set('authorization', `Bearer ${next}`);
    return this.opts.fetch(url, { ...init, headers });
  };
}

/** Lazily opened: a server that never needs its token never opens the vault (and never fails for it). */
class LazyStore implements SecretStore {
  private store: SecretStore | undefined;
  constructor(private readonly open: () => SecretStore) {}
  private get s(): SecretStore {
    this.store ??= this.open();
    return this.store;
  }
  get kind(): SecretStore['kind'] {
    return this.s.kind;
  }
  get where(): string {
    return this.s.where;
  }
  get(name: string): string | undefined {
    return this.s.get(name);
  }
  set(name: string, value: string): void {
    this.s.set(name, value);
  }
  delete(name: string): boolean {
    return this.s.delete(name);
  }
  list(): string[] {
    return this.s.list();
  }
}

const sessions = new Map<string, OAuthSession>();

/**
 * The gateway's session for one server (and user): one per process, so that its single flight and its cached record
 * outlive reconnections. Undefined for a server without OAuth (`oauth: false`, a static Authorization header).
 */
export function gatewaySession(
  server: ResolvedServer,
  fetch: FetchLike,
  opts: { user?: string | null | undefined; env?: NodeJS.ProcessEnv } = {},
): OAuthSession | undefined {
  if (server.kind !== 'remote' || server.url === undefined || server.oauth === false) return undefined;
  // A shared pool of `serve` uses no person's token: a token is never used for another user (issue 18).
  if (opts.user === null && server.oauth?.grant !== 'client_credentials') return undefined;
  const user = opts.user ?? undefined;
  const key = `${oauthSecretName(server.name, user)}\n${server.url}`;
  let session = sessions.get(key);
  if (!session) {
    const env = opts.env ?? process.env;
    const store = new LazyStore(() => openTokenStore({ home: resolvePaths({}, env).home, env }));
    const provider = new VaultOAuthProvider({
      store,
      server: server.name,
      serverUrl: server.url,
      config: server.oauth,
      mode: 'gateway',
      ...(user !== undefined ? { user } : {}),
    });
    session = new OAuthSession({ provider, serverUrl: server.url, fetch });
    sessions.set(key, session);
  }
  return session;
}
