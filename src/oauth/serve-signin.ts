/**
 * A user signs in for themselves through `serve` (issue 18 item 1). When a user's session meets SignInRequiredError
 * for a per-user OAuth server, the message carries a one-time link `<base>/oauth/start/<id>` (32 random bytes, one
 * use, 10 minutes, bound to that user and server, in memory only). Opening it (no bearer: the link is the
 * capability) runs the SDK's `auth()` as `auth login` does (discovery from the 401 challenge, the configured client
 * or dynamic registration with the redirect URI `<base>/oauth/callback`, PKCE, state, resource) and redirects the
 * browser to the authorization server; the callback checks the state, exchanges the code and stores the tokens
 * under `oauth:<server>:<user>`, whoever logged in at the authorization server: the link decides whose they are.
 *
 * The module knows no HTTP server: it answers with a Page that serve.ts writes. Failure mode: closed. A link that is
 * unknown, used or expired, a state that matches no sign-in in progress, a refusal by the authorization server or a
 * code it will not exchange each end in a 400 page that says which, and nothing is stored (the record is staged and
 * written only once the tokens arrive). No page and no log line holds a token or a code.
 */
import crypto from 'node:crypto';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ResolvedServer } from '../config/load.js';
import { messageOf } from '../errors.js';
import type { SecretStore } from '../vault/types.js';
import { probe, StagedStore } from './login.js';
import { oauthSecretName, VaultOAuthProvider } from './provider.js';

export const SIGN_IN_TTL_MS = 10 * 60_000;
export const START_PREFIX = '/oauth/start/';
export const CALLBACK_PATH = '/oauth/callback';
/** Links and sign-ins in progress kept at most (a restart loop mints one per attempt): the oldest go first. */
const MAX_ENTRIES = 10_000;

/** What serve.ts sends: an HTML page, or a redirect. */
export interface Page {
  status: number;
  html?: string;
  location?: string;
}

export interface ServeSignInOptions {
  openStore: () => SecretStore;
  /** The server of that name in the current config, if it still has one. */
  server: (name: string) => ResolvedServer | undefined;
  /** A user signed in to a server: audit, log, and have their pool connect again. Gets no token. */
  onSignedIn: (server: string, user: string) => void;
  fetchFn?: FetchLike;
  now?: () => number;
}

interface Link {
  server: string;
  user: string;
  expires: number;
}

interface Pending extends Link {
  provider: VaultOAuthProvider;
  store: StagedStore;
  serverUrl: string;
  resourceMetadataUrl?: URL;
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function page(status: number, text: string): Page {
  return {
    status,
    html: `<!doctype html><html><head><meta charset="utf-8"><title>secure-mcp-gateway</title></head><body><p>${escape(text)}</p></body></html>`,
  };
}

/** Keeps at most MAX_ENTRIES, dropping expired ones first and then the oldest (a Map keeps insertion order). */
function prune<T extends Link>(map: Map<string, T>, now: number): void {
  for (const [k, v] of map) if (v.expires <= now) map.delete(k);
  for (const k of map.keys()) {
    if (map.size < MAX_ENTRIES) break;
    map.delete(k);
  }
}

export class ServeSignIn {
  private readonly links = new Map<string, Link>();
  private readonly pending = new Map<string, Pending>();
  /** Where each user reaches serve (the public URL, or their request's checked Host): their links point there. */
  private readonly bases = new Map<string, string>();
  private readonly now: () => number;
  private readonly fetchFn: FetchLike;

  constructor(private readonly opts: ServeSignInOptions) {
    this.now = opts.now ?? Date.now;
    this.fetchFn = opts.fetchFn ?? ((url, init) => fetch(url, init));
  }

  /** serve: an authenticated request of `user` arrived at `base` (scheme://host[:port], no path). */
  seen(user: string, base: string): void {
    this.bases.set(user, base.replace(/\/+$/, ''));
  }

  /** A new one-time link for `user` to sign in to `server`; undefined until serve knows where the user reaches it. */
  mint(server: string, user: string): string | undefined {
    const base = this.bases.get(user);
    if (base === undefined) return undefined;
    const now = this.now();
    prune(this.links, now);
    const id = crypto.randomBytes(32).toString('base64url');
    this.links.set(id, { server, user, expires: now + SIGN_IN_TTL_MS });
    return `${base}${START_PREFIX}${id}`;
  }

  /** GET /oauth/start/<id>, reached at `base`: spends the link and sends the browser to the authorization server. */
  async start(id: string, base: string): Promise<Page> {
    const link = this.links.get(id);
    this.links.delete(id);
    const now = this.now();
    if (link === undefined || link.expires <= now)
      return page(
        400,
        'This sign-in link is not valid: it was used already, it expired (a link lasts 10 minutes), or it was never issued. Call the tool again for a new link.',
      );
    const server = this.opts.server(link.server);
    if (server?.kind !== 'remote' || server.url === undefined || typeof server.oauth !== 'object')
      return page(400, `The server ${link.server} no longer signs in with OAuth in this gateway's configuration.`);
    const serverUrl = server.url;
    const store = new StagedStore(this.opts.openStore(), oauthSecretName(server.name, link.user));
    let authorizationUrl: URL | undefined;
    const provider = new VaultOAuthProvider({
      store,
      server: server.name,
      serverUrl,
      config: server.oauth,
      user: link.user,
      mode: 'login',
      redirectUrl: `${base.replace(/\/+$/, '')}${CALLBACK_PATH}`,
      onRedirect: (url) => {
        authorizationUrl = url;
      },
    });
    try {
      const challenge = await probe(server as ResolvedServer & { url: string }, this.fetchFn);
      const wanted = provider.wantedScope();
      if (wanted !== undefined) challenge.scope = wanted;
      // A registration made for another redirect URI (the CLI's loopback) is not used here, nor replaced in place.
      provider.startOver();
      const result = await auth(provider, { serverUrl, ...challenge, fetchFn: this.fetchFn });
      const state = provider.expectedState();
      if (result !== 'REDIRECT' || authorizationUrl === undefined || state === undefined)
        throw new Error('the authorization server did not start a sign-in');
      prune(this.pending, now);
      this.pending.set(state, {
        ...link,
        expires: now + SIGN_IN_TTL_MS,
        provider,
        store,
        serverUrl,
        ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
      });
      return { status: 302, location: authorizationUrl.href };
    } catch (error) {
      return page(400, `Cannot start the sign-in to ${link.server}: ${messageOf(error)}`);
    }
  }

  /** GET /oauth/callback?code&state (or ?error): checks the state, exchanges the code, stores the tokens. */
  async callback(params: URLSearchParams): Promise<Page> {
    const state = params.get('state');
    const p = state === null ? undefined : this.pending.get(state);
    if (state !== null) this.pending.delete(state);
    if (p === undefined || p.expires <= this.now())
      return page(
        400,
        'This answer matches no sign-in in progress (an unknown or used state, or more than 10 minutes passed); nothing was stored. Start again from a new link.',
      );
    const error = params.get('error');
    if (error !== null) {
      // The OAuth error code only (RFC 6749 §4.1.2.1): its description is the authorization server's text.
      const code = /^[\w.-]{1,64}$/.test(error) ? ` (${error})` : '';
      return page(400, `The authorization server refused the sign-in to ${p.server}${code}; nothing was stored.`);
    }
    const code = params.get('code');
    if (code === null || code === '')
      return page(400, `The answer for ${p.server} carries no authorization code; nothing was stored.`);
    try {
      const result = await auth(p.provider, {
        serverUrl: p.serverUrl,
        authorizationCode: code,
        ...(p.resourceMetadataUrl ? { resourceMetadataUrl: p.resourceMetadataUrl } : {}),
        fetchFn: this.fetchFn,
      });
      if (result !== 'AUTHORIZED') throw new Error('the authorization server did not issue a token');
    } catch (error) {
      return page(
        400,
        `The authorization server refused the code for ${p.server}: ${messageOf(error)}; nothing was stored.`,
      );
    }
    p.store.commit();
    this.opts.onSignedIn(p.server, p.user);
    return page(200, `signed in to ${p.server}; you can close this window`);
  }
}
