/**
 * `auth login` and `auth logout` for one remote server (issue 18 item 1). Login runs the SDK's `auth()` twice: once
 * to discover, register and build the authorization URL (PKCE, resource, scopes from the server's 401 challenge),
 * and once with the code that comes back to a loopback redirect `http://127.0.0.1:<port>/callback` (RFC 8252).
 * `client_credentials` needs no person: one `auth()` fetches the token. Logout revokes (RFC 7009) where the
 * authorization server has a revocation_endpoint, then forgets.
 *
 * Failure mode: every failure is an Error whose message says what happened (denied, timed out, a state that does not
 * match, the authorization server's own error); nothing is stored from a failed sign-in but the client registration.
 * No token is ever in a message.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { auth, discoverOAuthServerInfo, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ResolvedServer } from '../config/load.js';
import { messageOf } from '../errors.js';
import type { SecretStore } from '../vault/types.js';
import { oauthSecretName, VaultOAuthProvider } from './provider.js';
import { oauthStatus, type OAuthStatus } from './status.js';

export interface LoginOptions {
  server: ResolvedServer;
  store: SecretStore;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Shows the authorization URL to the person: the CLI writes it to stderr. */
  announce: (url: string) => void;
  fetchFn?: FetchLike;
  /** `serve`: sign in for this user (`oauth:<server>:<user>`); default the local sign-in. */
  user?: string;
  /** Opens the URL in a browser; default: $BROWSER, else the platform opener. */
  open?: (url: string) => void;
}

/** The server's OAuth settings, or an error saying why this server cannot sign in. */
export function oauthServer(server: ResolvedServer): ResolvedServer & { url: string } {
  if (server.kind !== 'remote' || server.url === undefined)
    throw new Error(`server "${server.name}" is a stdio server: OAuth applies to remote servers ("url") only`);
  if (server.oauth === false)
    throw new Error(
      `server "${server.name}" does not use OAuth: it has "oauth": false or a static Authorization header`,
    );
  return server as ResolvedServer & { url: string };
}

/** Opens the URL with $BROWSER (the URL as its one argument), else xdg-open / open / start. Errors are ignored. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): void {
  const [cmd, args] = env.BROWSER
    ? [env.BROWSER, [url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true, env });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // The URL is printed anyway: a person can open it by hand.
  }
}

/** What the server's 401 says: where its resource metadata is, and the scopes it wants (RFC 9728 §5.1). */
export async function probe(
  server: ResolvedServer & { url: string },
  fetchFn: FetchLike,
): Promise<{ resourceMetadataUrl?: URL; scope?: string }> {
  try {
    const res = await fetchFn(server.url, {
      method: 'POST',
      headers: {
        ...server.headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'secure-mcp-gateway', version: 'auth-login' },
        },
      }),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 401) return {};
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(res);
    return { ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}), ...(scope ? { scope } : {}) };
  } catch (error) {
    throw new Error(`cannot reach ${server.url}: ${messageOf(error)}`, { cause: error });
  }
}

interface Callback {
  redirectUrl: string;
  code: Promise<string>;
  close(): void;
}

/** The loopback redirect listener: one GET /callback, checked against the state the request carried. */
async function listen(
  port: number,
  expectedState: () => string | undefined,
  timeoutMs: number,
  server: string,
): Promise<Callback> {
  const srv = http.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: actual } = srv.address() as AddressInfo;
  const redirectUrl = `http://127.0.0.1:${actual}/callback`;
  let timer: NodeJS.Timeout | undefined;
  const code = new Promise<string>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no sign-in within ${Math.round(timeoutMs / 1000)} s (--timeout)`)),
      timeoutMs,
    );
    srv.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', redirectUrl);
      if (url.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
      }
      const page = (status: number, text: string) =>
        res
          .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(`<!doctype html><title>secure-mcp-gateway</title><p>${text}</p>`);
      const error = url.searchParams.get('error');
      const got = url.searchParams.get('code');
      if (url.searchParams.get('state') !== expectedState()) {
        page(400, 'This sign-in does not match the one the command started. Run it again.');
        reject(new Error('the redirect carried a state that does not match this sign-in (a stale or forged redirect)'));
      } else if (error !== null) {
        const description = url.searchParams.get('error_description');
        page(400, `Sign-in failed: ${escapeHtml(error)}. You can close this tab.`);
        reject(
          new Error(
            `the authorization server refused the sign-in: ${error}${description ? ` (${description.slice(0, 200)})` : ''}`,
          ),
        );
      } else if (got === null) {
        page(400, 'No authorization code. Run the command again.');
        reject(new Error('the redirect carried no authorization code'));
      } else {
        page(200, `Signed in to ${escapeHtml(server)}. You can close this tab.`);
        resolve(got);
      }
    });
  });
  // Settled before anyone awaits it (a timeout during discovery): handled here, awaited below.
  code.catch(() => undefined);
  return {
    redirectUrl,
    code,
    close: () => {
      clearTimeout(timer);
      srv.closeAllConnections();
      srv.close();
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The port of the last sign-in's redirect, so that a registered client keeps working. */
function lastPort(provider: VaultOAuthProvider): number {
  const uri = provider.read().redirectUri;
  if (uri === undefined) return 0;
  const port = Number(new URL(uri).port);
  return Number.isInteger(port) && port > 0 ? port : 0;
}

/**
 * One vault entry held in memory while a sign-in runs, and written back only when it succeeds: a sign-in that fails
 * (timed out, refused) leaves the previous one as it was.
 */
export class StagedStore implements SecretStore {
  readonly kind: SecretStore['kind'];
  readonly where: string;
  private value: string | undefined;

  constructor(
    private readonly real: SecretStore,
    private readonly name: string,
  ) {
    this.kind = real.kind;
    this.where = real.where;
    this.value = real.get(name);
  }

  get(name: string): string | undefined {
    return name === this.name ? this.value : this.real.get(name);
  }

  set(name: string, value: string): void {
    if (name === this.name) this.value = value;
    else this.real.set(name, value);
  }

  delete(name: string): boolean {
    if (name !== this.name) return this.real.delete(name);
    const had = this.value !== undefined;
    this.value = undefined;
    return had;
  }

  list(): string[] {
    return this.real.list();
  }

  commit(): void {
    if (this.value === undefined) this.real.delete(this.name);
    else this.real.set(this.name, this.value);
  }
}

/** Signs in to one server and returns its new status. */
export async function login(opts: LoginOptions): Promise<OAuthStatus> {
  const server = oauthServer(opts.server);
  const config = server.oauth || undefined;
  const fetchFn = opts.fetchFn ?? ((url, init) => fetch(url, init));
  const store = new StagedStore(opts.store, oauthSecretName(server.name, opts.user));
  const who = opts.user !== undefined ? { user: opts.user } : {};
  const base = { store, server: server.name, serverUrl: server.url, config, ...who } as const;
  const challenge = await probe(server, fetchFn);
  // A step-up the gateway met (403 insufficient_scope) asks for more than the 401 challenge: ask for that.
  const wanted = new VaultOAuthProvider({ ...base, mode: 'login' }).wantedScope();
  if (wanted !== undefined) challenge.scope = wanted;

  if ((config?.grant ?? 'authorization_code') === 'client_credentials') {
    const provider = new VaultOAuthProvider({ ...base, mode: 'login' });
    provider.startOver();
    const result = await auth(provider, { serverUrl: server.url, ...challenge, fetchFn });
    if (result !== 'AUTHORIZED') throw new Error('the authorization server did not issue a token');
    store.commit();
    return oauthStatus(server.name, 'client_credentials', provider.read());
  }

  // The port: the configured one, else the last sign-in's (its registration names it), else any.
  const probeProvider = new VaultOAuthProvider({ ...base, mode: 'login' });
  const configured = config?.redirectPort;
  // The listener checks the state of the provider made below, once the redirect URI (its port) is known.
  const made: { provider?: VaultOAuthProvider } = {};
  const state = () => made.provider?.expectedState();
  let callback: Callback;
  try {
    callback = await listen(configured ?? lastPort(probeProvider), state, opts.timeoutMs, server.name);
  } catch (error) {
    if (configured !== undefined)
      throw new Error(`cannot listen on 127.0.0.1:${configured} (oauth.redirectPort): ${messageOf(error)}`, {
        cause: error,
      });
    callback = await listen(0, state, opts.timeoutMs, server.name);
  }
  const open = opts.open ?? ((url: string) => openBrowser(url, opts.env));
  const provider = new VaultOAuthProvider({
    ...base,
    mode: 'login',
    redirectUrl: callback.redirectUrl,
    onRedirect: (url) => {
      opts.announce(url.href);
      open(url.href);
    },
  });
  made.provider = provider;
  try {
    provider.startOver();
    const first = await auth(provider, { serverUrl: server.url, ...challenge, fetchFn });
    if (first === 'REDIRECT') {
      const code = await callback.code;
      const second = await auth(provider, {
        serverUrl: server.url,
        authorizationCode: code,
        ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
        fetchFn,
      });
      if (second !== 'AUTHORIZED') throw new Error('the authorization server did not issue a token');
    }
  } finally {
    callback.close();
  }
  store.commit();
  return oauthStatus(server.name, 'authorization_code', provider.read());
}

/**
 * Revokes the stored tokens where the authorization server supports it (RFC 7009), then forgets them. Returns what
 * happened, for people; a failed revocation is said, and the tokens are forgotten all the same.
 */
export async function logout(opts: {
  server: ResolvedServer;
  store: SecretStore;
  user?: string;
  fetchFn?: FetchLike;
}): Promise<{ forgot: boolean; revoked: 'yes' | 'unsupported' | 'nothing' | 'failed'; error?: string }> {
  const server = oauthServer(opts.server);
  const config = server.oauth || undefined;
  const fetchFn = opts.fetchFn ?? ((url, init) => fetch(url, init));
  const provider = new VaultOAuthProvider({
    store: opts.store,
    server: server.name,
    serverUrl: server.url,
    config,
    mode: 'login',
    ...(opts.user !== undefined ? { user: opts.user } : {}),
  });
  const record = provider.read();
  const tokens = record.tokens;
  let revoked: 'yes' | 'unsupported' | 'nothing' | 'failed' = 'nothing';
  let failure: string | undefined;
  if (tokens) {
    try {
      const revocation = (m: unknown) => (m as { revocation_endpoint?: string } | undefined)?.revocation_endpoint;
      let endpoint = revocation(record.discovery?.authorizationServerMetadata);
      if (endpoint === undefined && record.discovery === undefined)
        endpoint = revocation((await discoverOAuthServerInfo(server.url, { fetchFn })).authorizationServerMetadata);
      if (endpoint === undefined) revoked = 'unsupported';
      else {
        const client = record.client ?? (config?.clientId ? { client_id: config.clientId } : undefined);
        const secret = config?.clientSecret ?? (record.client as { client_secret?: string } | undefined)?.client_secret;
        // The refresh token first: revoking it ends the grant (and, at most servers, its access tokens).
        const order: [string, string][] = [];
        if (tokens.refresh_token) order.push([tokens.refresh_token, 'refresh_token']);
        order.push([tokens.access_token, 'access_token']);
        for (const [token, hint] of order) {
          const body = new URLSearchParams({ token, token_type_hint: hint });
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
          if (client && secret !== undefined)
            headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
          else if (client) body.set('client_id', client.client_id);
          const res = await fetchFn(endpoint, { method: 'POST', headers, body });
          if (!res.ok) {
            // The OAuth error code only (RFC 6749 §5.2): a description could echo what was sent.
            const code = await res
              .json()
              .then((j) => (j as { error?: unknown }).error)
              .catch(() => undefined);
            // A server that cannot revoke this kind of token (a JWT access token) says so (RFC 7009 §2.2.1): it
            // ends when it expires, and the refresh token, revoked first, cannot renew it.
            if (code === 'unsupported_token_type' && hint === 'access_token') continue;
            const named = typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? ` (${code})` : '';
            throw new Error(`the revocation endpoint answered HTTP ${res.status}${named}`);
          }
          await res.body?.cancel().catch(() => undefined);
        }
        revoked = 'yes';
      }
    } catch (error) {
      revoked = 'failed';
      failure = messageOf(error);
    }
  }
  return { forgot: provider.forget(), revoked, ...(failure !== undefined ? { error: failure } : {}) };
}
