/**
 * RFC 8693 token exchange in `serve` (issue 18): for a server whose `oauth` block has `tokenExchange`, the user's
 * connection carries a token obtained by exchanging the IdP access token that serve verified for that user (the
 * `subject_token`) at the upstream's authorization server (found as for a sign-in: RFC 9728, then RFC 8414 / OIDC),
 * with the configured client's authentication, `resource` = the upstream URL (RFC 8707) and the scopes. No
 * `auth login` is needed.
 *
 * - IdP tokens live in memory only (`SubjectTokens`, keyed by the user): never in the vault, the log or the audit.
 *   A user's connection reads that user's entry, never another's: a token is never used for another person.
 * - The exchanged token is cached in memory until shortly before its expiry; one exchange in flight per user and
 *   server (single flight); after a 401 the gateway exchanges once more with the user's newest IdP token.
 * - A user with no IdP token (a session opened with a gateway key) falls back to the user's own signed-in tokens
 *   (`auth login --user`, the OAuthSession beside it), or their sign-in error.
 *
 * Failure mode: closed and quick. A refused or failed exchange rejects the request with TokenExchangeError (a
 * SignInRequiredError: the upstream reports it as the call's error at once, never a hang), whose message names
 * what failed and never a token. Each exchange is reported to the observers (server, user, ok or refused).
 */
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { OAuthConfig } from '../config/schema.js';
import { messageOf } from '../errors.js';
import { REFRESH_MARGIN_MS, type OAuthSession } from './session.js';
import { SignInRequiredError } from './provider.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const EXCHANGE_TIMEOUT_MS = 15_000;

/** A refused or failed exchange: the message is safe to show (never a token) and is the tool call's error. */
export class TokenExchangeError extends SignInRequiredError {
  constructor(server: string, why: string) {
    super(server, why);
    this.message = `${server}: ${why}`;
  }
}

/**
 * The newest IdP access token each user presented to serve, in memory only. A newer token replaces an older one
 * (by expiry: two sessions of one person may present tokens in any order); an expired one counts as none.
 */
export class SubjectTokens {
  private readonly byUser = new Map<string, { token: string; exp: number | undefined }>();
  constructor(private readonly now: () => number = Date.now) {}

  /** serve: a request authenticated by the IdP token `token` of `user` (exp in epoch seconds). */
  present(user: string, token: string, exp: number | undefined): void {
    const old = this.byUser.get(user);
    if (old !== undefined && old.token !== token && (old.exp ?? Infinity) > (exp ?? Infinity) && this.live(old)) return;
    this.byUser.set(user, { token, exp });
  }

  /** The user's current IdP token, or undefined (none, or expired). */
  current(user: string): string | undefined {
    const e = this.byUser.get(user);
    if (e === undefined) return undefined;
    if (!this.live(e)) {
      this.byUser.delete(user);
      return undefined;
    }
    return e.token;
  }

  private live(e: { exp: number | undefined }): boolean {
    return e.exp === undefined || e.exp * 1000 > this.now();
  }

  clear(): void {
    this.byUser.clear();
  }
}

/** The process's IdP tokens (serve fills it; the connections read it). */
export const subjectTokens = new SubjectTokens();

export interface TokenExchangeEvent {
  server: string;
  user: string;
  ok: boolean;
  /** Why it was refused (no token in it). */
  reason?: string;
}
const observers = new Set<(e: TokenExchangeEvent) => void>();

/** serve: the log and audit of every exchange. Returns the unsubscribe. */
export function onTokenExchange(listener: (e: TokenExchangeEvent) => void): () => void {
  observers.add(listener);
  return () => observers.delete(listener);
}

function report(e: TokenExchangeEvent): void {
  for (const o of observers) {
    try {
      o(e);
    } catch {
      // An observer's failure must not change the exchange's outcome.
    }
  }
}

export interface TokenExchangeSessionOptions {
  server: string;
  serverUrl: string;
  user: string;
  config: OAuthConfig;
  tokens: SubjectTokens;
  /** The fetch to the MCP server (the shared keep-alive pool). */
  fetch: FetchLike;
  /** The fetch to the authorization server (global fetch by default, as in OAuthSession). */
  authFetch?: FetchLike;
  /** The user's own signed-in tokens: used when the user has no IdP token. */
  fallback?: OAuthSession | undefined;
  now?: () => number;
}

/** An RFC 6749 error code as it may be shown: the code's own characters only, bounded. */
function errorCode(raw: unknown): string {
  return typeof raw === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,80}$/.test(raw) ? raw : 'an unreadable error';
}

export class TokenExchangeSession {
  private cached: { token: string; renewAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private tokenEndpoint: Promise<{ endpoint: string; scopes: string[] }> | undefined;
  private readonly origin: string;
  private readonly now: () => number;
  private readonly authFetch: FetchLike;

  constructor(private readonly opts: TokenExchangeSessionOptions) {
    this.origin = new URL(opts.serverUrl).origin;
    this.now = opts.now ?? Date.now;
    this.authFetch = opts.authFetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  private get exchangeConfig() {
    const te = this.opts.config.tokenExchange;
    return typeof te === 'object' ? te : undefined;
  }

  /** The token endpoint and the resource's scopes, discovered once (again after a failure). */
  private discover(): Promise<{ endpoint: string; scopes: string[] }> {
    this.tokenEndpoint ??= (async () => {
      const prm = await discoverOAuthProtectedResourceMetadata(this.opts.serverUrl, {}, this.authFetch);
      const as = prm.authorization_servers?.[0];
      if (as === undefined) throw new Error('the server names no authorization server (RFC 9728)');
      const meta = await discoverAuthorizationServerMetadata(as, { fetchFn: this.authFetch });
      if (meta?.token_endpoint === undefined) throw new Error(`no token endpoint in the metadata of ${as}`);
      return { endpoint: meta.token_endpoint, scopes: prm.scopes_supported ?? [] };
    })();
    this.tokenEndpoint.catch(() => (this.tokenEndpoint = undefined));
    return this.tokenEndpoint;
  }

  /** One exchange for everyone who asks while it runs. */
  private exchange(subject: string): Promise<string> {
    this.inflight ??= this.doExchange(subject).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async doExchange(subject: string): Promise<string> {
    const { server, user, config } = this.opts;
    const fail = (why: string): never => {
      report({ server, user, ok: false, reason: why });
      throw new TokenExchangeError(server, why);
    };
    let where: { endpoint: string; scopes: string[] };
    try {
      where = await this.discover();
    } catch (error) {
      return fail(`the authorization server for the token exchange cannot be found: ${messageOf(error)}`);
    }
    const te = this.exchangeConfig;
    const scopes = te?.scopes ?? config.scopes ?? where.scopes;
    const body = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: subject,
      subject_token_type: te?.subjectTokenType ?? ACCESS_TOKEN_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      resource: this.opts.serverUrl,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      ...(te?.audience !== undefined ? { audience: te.audience } : {}),
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    };
    // RFC 6749 §2.3.1: a confidential client authenticates with HTTP Basic (form-encoded id and secret).
    if (config.clientSecret !== undefined)
      headers.Authorization = `Basic ${Buffer.from(
        `${encodeURIComponent(config.clientId ?? '')}:${encodeURIComponent(config.clientSecret)}`,
      ).toString('base64')}`;
    else body.set('client_id', config.clientId ?? '');
    let res: Response;
    try {
      res = await this.authFetch(where.endpoint, {
        method: 'POST',
        headers,
        body: body.toString(),
        signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
      });
    } catch (error) {
      this.tokenEndpoint = undefined;
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      return fail(
        timedOut
          ? `the authorization server did not answer the token exchange within ${EXCHANGE_TIMEOUT_MS / 1000} s`
          : `the authorization server cannot be reached for the token exchange: ${messageOf((error as { cause?: unknown }).cause ?? error)}`,
      );
    }
    let json: Record<string, unknown> = {};
    try {
      json = (await res.json()) as Record<string, unknown>;
    } catch {
      // An answer that is not JSON is judged by its status below.
    }
    if (!res.ok)
      return fail(
        `the authorization server refused the token exchange: ${json.error !== undefined ? errorCode(json.error) : `HTTP ${res.status}`}`,
      );
    const token = json.access_token;
    if (typeof token !== 'string' || token === '')
      return fail('the authorization server answered the token exchange without an access token');
    const type = json.token_type;
    if (typeof type === 'string' && type.toLowerCase() !== 'bearer' && type.toLowerCase() !== 'n_a')
      return fail(`the authorization server issued a ${errorCode(type)} token, not a Bearer token`);
    const lifeMs = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in * 1000 : undefined;
    // Renewed before it expires: a minute before, or at three quarters of a short life.
    const renewAt = lifeMs === undefined ? Infinity : this.now() + lifeMs - Math.min(REFRESH_MARGIN_MS, lifeMs / 4);
    this.cached = { token, renewAt };
    report({ server, user, ok: true });
    return token;
  }

  /** The exchanged token to send now, or undefined when the user has no IdP token (then the fallback decides). */
  async accessToken(): Promise<string | undefined> {
    const subject = this.opts.tokens.current(this.opts.user);
    if (subject === undefined) return undefined;
    if (this.cached !== undefined && this.cached.renewAt > this.now()) return this.cached.token;
    return this.exchange(subject);
  }

  /** Requests to the MCP server (its origin, not a well-known document). */
  private toServer(url: string | URL): boolean {
    const u = new URL(url);
    return u.origin === this.origin && !u.pathname.startsWith('/.well-known/');
  }

  /** The fetch to give the transport. */
  readonly fetch: FetchLike = async (url, init) => {
    if (!this.toServer(url)) return this.authFetch(url, init);
    const token = await this.accessToken();
    if (token === undefined) {
      // No IdP token for this user: their own sign-in (auth login --user), or its error.
      if (this.opts.fallback) return this.opts.fallback.fetch(url, init);
      throw new SignInRequiredError(this.opts.server, 'not signed in', this.opts.user);
    }
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    const res = await this.opts.fetch(url, { ...init, headers });
    if (res.status !== 401) return res;
    // Refused before its expiry (revoked, rotated keys): once more, with the user's newest IdP token.
    await res.body?.cancel().catch(() => undefined);
    if (this.cached?.token === token) this.cached = undefined;
    const subject = this.opts.tokens.current(this.opts.user);
    if (subject === undefined) throw new TokenExchangeError(this.opts.server, 'the identity provider token expired');
    const next = await this.exchange(subject);
    headers.set('authorization', `Bearer ${next}`);
    const again = await this.opts.fetch(url, { ...init, headers });
    if (again.status === 401) {
      await again.body?.cancel().catch(() => undefined);
      this.cached = undefined;
      throw new TokenExchangeError(this.opts.server, 'the server refused the exchanged token (HTTP 401)');
    }
    return again;
  };
}

const sessions = new Map<string, TokenExchangeSession>();

/**
 * The exchange session of one server and user (one per process: its cache and single flight outlive reconnections),
 * or undefined where there is no exchange: a server without `tokenExchange`, or no user (a shared pool, stdio).
 */
export function tokenExchangeSession(
  server: { name: string; kind: string; url?: string | undefined; oauth?: OAuthConfig | false | undefined },
  user: string | null | undefined,
  fetch: FetchLike,
  fallback: OAuthSession | undefined,
): TokenExchangeSession | undefined {
  const config = server.oauth;
  if (server.kind !== 'remote' || server.url === undefined || !config) return undefined;
  if (config.tokenExchange === undefined || config.tokenExchange === false) return undefined;
  if (typeof user !== 'string') return undefined;
  // The config is part of the key: a reload that changes the client or the scopes gets a new session.
  const key = `${server.name}\n${server.url}\n${user}\n${JSON.stringify(config)}`;
  let s = sessions.get(key);
  if (!s) {
    s = new TokenExchangeSession({
      server: server.name,
      serverUrl: server.url,
      user,
      config,
      tokens: subjectTokens,
      fetch,
      fallback,
    });
    sessions.set(key, s);
  }
  return s;
}
