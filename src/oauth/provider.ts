/**
 * The SDK's OAuthClientProvider for one remote upstream (issue 18 item 1), backed by the credential vault. All of
 * OAuth itself (RFC 9728 / RFC 8414 discovery, dynamic registration RFC 7591, client ID metadata documents, PKCE,
 * the RFC 8707 resource, scopes from the challenge, refresh) is the SDK's `auth()`; this file only keeps its state.
 *
 * One vault entry per server (and, in `serve`, per user): `oauth:<server>` or `oauth:<server>:<user>`, a JSON record
 * of the client registration, the tokens with their absolute expiry, the PKCE verifier of a sign-in in progress,
 * and the discovery state (trimmed: a keychain entry is small).
 *
 * Two modes. `login` (the `auth login` command) has a loopback redirect and a browser. `gateway` has neither: where
 * the SDK would send a person to the authorization server, it throws SignInRequiredError at once (never a hang),
 * and it never registers a client on its own (a restart loop would register one per attempt).
 * Failure mode: closed. A vault that cannot be read throws VaultError; a record that does not parse is "not signed
 * in", never a guess.
 */
import type {
  AddClientAuthentication,
  OAuthClientProvider,
  OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { createPrivateKeyJwtAuth } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthConfig } from '../config/schema.js';
import { SECRET_NAME, type SecretStore } from '../vault/types.js';
import { parseClientKey } from './client-key.js';

/** What one vault entry holds. Tokens are never logged or printed; `describe()` is what people see. */
export interface OAuthRecord {
  v: 1;
  /** The MCP endpoint these credentials are for: a record for another URL is not used. */
  serverUrl: string;
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  /** Absolute expiry of the access token (epoch ms), from expires_in when it was saved. */
  expiresAt?: number;
  codeVerifier?: string;
  discovery?: OAuthDiscoveryState;
  /** The redirect URI of the last sign-in (the registered client's). */
  redirectUri?: string;
  /** Why the last refresh was refused (no token in it): status shows "refresh failing". */
  refreshError?: string;
  /** When the tokens were last saved (epoch ms). */
  savedAt?: number;
  /** Scopes the server asked for (a 403 insufficient_scope step-up): the next `auth login` asks for them. */
  wantedScope?: string;
}

/** The vault name of one server's OAuth state; a user (serve) gets their own. */
export function oauthSecretName(server: string, user?: string): string {
  if (user === undefined) return `oauth:${server}`;
  const safe = SECRET_NAME.test(`oauth:${server}:${user}`) ? user : `b64.${Buffer.from(user).toString('base64url')}`;
  return `oauth:${server}:${safe}`;
}

/** The sign-in a gateway cannot do itself: the message reaches the client as a tool error and the status tool. */
export class SignInRequiredError extends Error {
  override readonly name = 'SignInRequiredError';
  constructor(
    readonly server: string,
    why: string,
    user?: string,
  ) {
    const who = user === undefined ? '' : ` --user ${user}`;
    // serve (issue 18): the user may sign in for themselves, with a one-time link bound to them and this server.
    const link = user === undefined ? undefined : signInLinks?.(server, user);
    const self = link === undefined ? '' : `, or open ${link} to sign in yourself (one use, valid 10 minutes)`;
    super(`${server}: ${why}; sign in again with \`secure-mcp-gateway auth login ${server}${who}\`${self}`);
  }
}

/** serve: mints a one-time sign-in link for a user and server (undefined: none for that server). */
export type SignInLinkMinter = (server: string, user: string) => string | undefined;
let signInLinks: SignInLinkMinter | undefined;

/** serve installs its link minter (oauth/serve-signin.ts) for the process; undefined removes it. */
export function setSignInLinkMinter(minter: SignInLinkMinter | undefined): void {
  signInLinks = minter;
}

export interface VaultOAuthProviderOptions {
  store: SecretStore;
  server: string;
  serverUrl: string;
  /** The server's `oauth` block (undefined: OAuth on the server's demand, with every default). */
  config: OAuthConfig | undefined;
  /** serve: the principal user; local: undefined. */
  user?: string;
  mode: 'login' | 'gateway';
  /** login: the loopback redirect URI. */
  redirectUrl?: string;
  /** login: shows the authorization URL to the person (browser, stderr). */
  onRedirect?: (url: URL) => void | Promise<void>;
  now?: () => number;
}

/** Endpoint metadata worth keeping in the vault; the rest is fetched again when the SDK needs it. */
const KEPT_METADATA = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'response_types_supported',
  'code_challenge_methods_supported',
  'token_endpoint_auth_methods_supported',
  'revocation_endpoint_auth_methods_supported',
  'client_id_metadata_document_supported',
  'grant_types_supported',
] as const;

export class VaultOAuthProvider implements OAuthClientProvider {
  readonly name: string;
  private readonly now: () => number;
  private cached: OAuthRecord | undefined;
  /** The state parameter of the sign-in in progress (login mode): checked against the callback. */
  private pendingState: string | undefined;

  /**
   * private_key_jwt (RFC 7523 §2.2): with `oauth.privateKey`, every token request the SDK makes (client_credentials,
   * and the code exchange and refresh of authorization_code) carries an assertion signed by the SDK's signer, with
   * iss = sub = the client id and aud = the authorization server's issuer (else the token endpoint). undefined
   * otherwise: the SDK then picks client_secret_basic/post or none from the server's metadata.
   */
  readonly addClientAuthentication?: AddClientAuthentication;

  constructor(private readonly opts: VaultOAuthProviderOptions) {
    this.name = oauthSecretName(opts.server, opts.user);
    this.now = opts.now ?? Date.now;
    const c = opts.config;
    if (c?.privateKey !== undefined && c.clientId !== undefined) {
      // The config loader parsed this key already (a key that does not parse never gets here).
      const key = parseClientKey(c.privateKey, c.privateKeyAlg);
      this.addClientAuthentication = createPrivateKeyJwtAuth({
        issuer: c.clientId,
        subject: c.clientId,
        privateKey: key.jwk,
        alg: key.alg,
      });
    }
  }

  get grant(): 'authorization_code' | 'client_credentials' {
    return this.opts.config?.grant ?? 'authorization_code';
  }

  /**
   * The stored record, or an empty one; a record for another URL, or one that does not parse, counts as none. Kept
   * in memory after the first read (a keychain or an encrypted file is slow on every request); `reload()` reads again,
   * and every SignInRequiredError does, so that a sign-in made meanwhile by `auth login` is seen on the next try.
   */
  read(): OAuthRecord {
    this.cached ??= this.load();
    return this.cached;
  }

  reload(): void {
    this.cached = undefined;
  }

  /**
   * For the hot path of a server that uses OAuth only on demand (no `oauth` block): a vault that cannot be opened
   * means "no token" there, so that a server that never asks for OAuth does not fail for it. Where the token is
   * needed (the server answered 401), the vault's error is what the call says.
   */
  private readLenient(): OAuthRecord | undefined {
    try {
      return this.read();
    } catch (error) {
      if (this.opts.config === undefined) return undefined;
      throw error;
    }
  }

  private signIn(why: string): SignInRequiredError {
    this.reload();
    return new SignInRequiredError(this.opts.server, why, this.opts.user);
  }

  private load(): OAuthRecord {
    const empty: OAuthRecord = { v: 1, serverUrl: this.opts.serverUrl };
    const text = this.opts.store.get(this.name);
    if (text === undefined) return empty;
    try {
      const r = JSON.parse(text) as OAuthRecord;
      return r.v === 1 && r.serverUrl === this.opts.serverUrl ? r : empty;
    } catch {
      return empty;
    }
  }

  private update(change: (r: OAuthRecord) => OAuthRecord): void {
    const next = change(this.read());
    this.opts.store.set(this.name, JSON.stringify(next));
    this.cached = next;
  }

  /**
   * `auth login` starts over: a new sign-in, never a refresh of old tokens, with discovery done again (the server
   * may have moved to another authorization server). The client registration stays when its redirect URI is this
   * sign-in's (a configured client is never stored).
   */
  startOver(): void {
    this.update((r) => {
      const uris = (r.client as { redirect_uris?: string[] } | undefined)?.redirect_uris;
      const keepClient =
        r.client !== undefined &&
        (this.opts.redirectUrl === undefined || uris === undefined || uris.includes(this.opts.redirectUrl));
      return {
        v: 1,
        serverUrl: this.opts.serverUrl,
        ...(keepClient ? { client: r.client } : {}),
        ...(r.redirectUri ? { redirectUri: r.redirectUri } : {}),
      };
    });
  }

  /** Forgets everything about this server (logout). True when there was something. */
  forget(): boolean {
    this.cached = undefined;
    return this.opts.store.delete(this.name);
  }

  get redirectUrl(): string | undefined {
    if (this.grant === 'client_credentials') return undefined;
    // The gateway never receives a redirect, but the SDK needs the registered URI to build requests with it.
    return this.opts.redirectUrl ?? this.read().redirectUri ?? 'http://127.0.0.1/callback';
  }

  get clientMetadataUrl(): string | undefined {
    return this.opts.config?.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const c = this.opts.config;
    // client_credentials asks for exactly these (the SDK sends no challenge scope on that grant): the configured
    // scopes, else those the server's resource metadata lists.
    const scope =
      c?.scopes?.join(' ') ??
      (this.grant === 'client_credentials'
        ? this.readLenient()?.discovery?.resourceMetadata?.scopes_supported?.join(' ')
        : undefined);
    const confidential = c?.clientSecret !== undefined;
    const method = c?.privateKey !== undefined ? 'private_key_jwt' : confidential ? 'client_secret_basic' : 'none';
    const redirect = this.redirectUrl;
    return {
      client_name: c?.clientName ?? 'secure-mcp-gateway',
      redirect_uris: redirect ? [redirect] : [],
      grant_types:
        this.grant === 'client_credentials' ? ['client_credentials'] : ['authorization_code', 'refresh_token'],
      response_types: this.grant === 'client_credentials' ? [] : ['code'],
      token_endpoint_auth_method: method,
      ...(scope ? { scope } : {}),
    };
  }

  state(): string {
    this.pendingState = crypto.randomUUID();
    return this.pendingState;
  }

  /** login: the state the callback must carry. */
  expectedState(): string | undefined {
    return this.pendingState;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    const c = this.opts.config;
    if (c?.clientId !== undefined)
      return { client_id: c.clientId, ...(c.clientSecret !== undefined ? { client_secret: c.clientSecret } : {}) };
    const r = this.read();
    // Without a sign-in there is nothing the gateway can do: registering a client now would only repeat at every
    // restart. Say so before the SDK tries.
    if (this.opts.mode === 'gateway' && !r.client) throw this.signIn('not signed in');
    return r.client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    // A configured client is the config's; only a registration (or a metadata-document id) is stored.
    if (this.opts.config?.clientId !== undefined) return;
    this.update((r) => ({ ...r, client: info }));
  }

  tokens(): OAuthTokens | undefined {
    return this.readLenient()?.tokens;
  }

  /** The access token's absolute expiry (epoch ms), when the server said how long it lives. */
  expiresAt(): number | undefined {
    return this.readLenient()?.expiresAt;
  }

  saveTokens(tokens: OAuthTokens): void {
    const now = this.now();
    this.update((r) => {
      // A refresh answer may omit the refresh token: the old one stays valid (RFC 6749 §6).
      const kept = tokens.refresh_token === undefined && r.tokens?.refresh_token !== undefined;
      const next: OAuthRecord = {
        ...r,
        tokens: kept ? { ...tokens, refresh_token: r.tokens!.refresh_token } : tokens,
        savedAt: now,
        ...(this.opts.redirectUrl ? { redirectUri: this.opts.redirectUrl } : {}),
      };
      delete next.codeVerifier;
      delete next.refreshError;
      if (tokens.expires_in !== undefined) next.expiresAt = now + tokens.expires_in * 1000;
      else delete next.expiresAt;
      return next;
    });
  }

  redirectToAuthorization(url: URL): Promise<void> | void {
    if (this.opts.mode === 'gateway') {
      const r = this.read();
      throw this.signIn(
        r.refreshError
          ? `the authorization server refused to refresh the token (${r.refreshError})`
          : r.tokens
            ? 'the token expired and there is no refresh token'
            : 'not signed in',
      );
    }
    return this.opts.onRedirect?.(url);
  }

  /**
   * The server refused a call for want of scopes (RFC 6750 §3.1 insufficient_scope): only a new sign-in can add them
   * (a refresh keeps the grant's scopes). Keeps what it asked for, for `auth login`, and says so without repeating
   * the server's words (they reach the model).
   */
  needsScope(scope: string): SignInRequiredError {
    const clean = scope
      .split(' ')
      .filter((t) => /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(t))
      .slice(0, 50)
      .join(' ');
    if (clean) this.update((r) => ({ ...r, wantedScope: clean }));
    return this.signIn('the server asks for scopes this sign-in does not have');
  }

  /** The scopes a step-up asked for, if any (see needsScope). */
  wantedScope(): string | undefined {
    return this.read().wantedScope;
  }

  saveCodeVerifier(verifier: string): void {
    this.update((r) => ({ ...r, codeVerifier: verifier }));
  }

  codeVerifier(): string {
    const v = this.read().codeVerifier;
    if (v === undefined) throw new Error('no PKCE code verifier: the sign-in was not started by this command');
    return v;
  }

  prepareTokenRequest(scope?: string): URLSearchParams | undefined {
    if (this.grant !== 'client_credentials') return undefined;
    return new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    const meta = state.authorizationServerMetadata as Record<string, unknown> | undefined;
    const trimmed: OAuthDiscoveryState = {
      ...state,
      ...(meta
        ? {
            authorizationServerMetadata: Object.fromEntries(
              KEPT_METADATA.filter((k) => meta[k] !== undefined).map((k) => [k, meta[k]]),
            ) as OAuthDiscoveryState['authorizationServerMetadata'],
          }
        : {}),
    };
    this.update((r) => ({ ...r, discovery: trimmed }));
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.readLenient()?.discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.update((r) => {
      const next = { ...r };
      if (scope === 'all' || scope === 'client') delete next.client;
      if (scope === 'all' || scope === 'tokens') {
        // The SDK drops tokens it could not refresh: remember that it happened, for `auth status` and the error.
        if (next.tokens?.refresh_token !== undefined) next.refreshError = 'invalid_grant';
        delete next.tokens;
        delete next.expiresAt;
      }
      if (scope === 'all' || scope === 'verifier') delete next.codeVerifier;
      if (scope === 'all' || scope === 'discovery') delete next.discovery;
      return next;
    });
  }
}
