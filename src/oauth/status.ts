/**
 * The state of one server's OAuth sign-in, for `auth status`, `auth login`'s answer and doctor: signed in, expired,
 * refresh failing, or not signed in, with the expiry, scopes and issuer. Built from the vault record; it never
 * carries a token (tests grep the output for one).
 */
import type { LoadedConfig } from '../config/load.js';
import type { SecretStore } from '../vault/types.js';
import { VaultOAuthProvider, type OAuthRecord } from './provider.js';

export type OAuthState = 'signed-in' | 'expired' | 'refresh-failing' | 'not-signed-in';

export interface OAuthStatus {
  server: string;
  state: OAuthState;
  grant: 'authorization_code' | 'client_credentials';
  /** Seconds until the access token expires (negative: expired); undefined when the server did not say. */
  expiresInS?: number;
  /** True when a refresh token is kept: an expired access token is renewed on the next use. */
  refreshable?: boolean;
  scopes?: string[];
  issuer?: string;
  /** Why, for people (refresh failing, not signed in). */
  detail?: string;
}

export function oauthStatus(
  server: string,
  grant: OAuthStatus['grant'],
  record: OAuthRecord,
  now = Date.now(),
): OAuthStatus {
  const base: OAuthStatus = { server, state: 'not-signed-in', grant };
  const issuer = record.discovery?.authorizationServerMetadata?.issuer ?? record.discovery?.authorizationServerUrl;
  if (issuer !== undefined) base.issuer = issuer;
  const tokens = record.tokens;
  if (!tokens) {
    if (record.refreshError !== undefined)
      return { ...base, state: 'refresh-failing', detail: `the last refresh was refused (${record.refreshError})` };
    return base;
  }
  const out: OAuthStatus = { ...base, state: 'signed-in', refreshable: tokens.refresh_token !== undefined };
  if (tokens.scope) out.scopes = tokens.scope.split(' ').filter(Boolean);
  if (record.expiresAt !== undefined) {
    out.expiresInS = Math.round((record.expiresAt - now) / 1000);
    if (record.expiresAt <= now) out.state = 'expired';
  }
  return out;
}

/** "1 h 5 min", "42 s", "3 d 2 h": the largest two units. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && size === 1)) parts.push(`${n} ${name}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** One line for people: "signed in (expires in 59 min, scopes mcp:tools, issuer https://as.example)". */
export function describeStatus(s: OAuthStatus): string {
  const facts: string[] = [];
  if (s.state === 'signed-in' || s.state === 'expired') {
    if (s.expiresInS === undefined) facts.push('no expiry given');
    else if (s.expiresInS > 0) facts.push(`expires in ${formatDuration(s.expiresInS)}`);
    else
      facts.push(`expired ${formatDuration(-s.expiresInS)} ago${s.refreshable ? ', refreshed on the next use' : ''}`);
    facts.push(s.scopes?.length ? `scopes ${s.scopes.join(' ')}` : 'no scopes');
  }
  if (s.issuer !== undefined) facts.push(`issuer ${s.issuer}`);
  if (s.detail !== undefined) facts.push(s.detail);
  const word = {
    'signed-in': 'signed in',
    expired: 'expired',
    'refresh-failing': 'refresh failing',
    'not-signed-in': 'not signed in',
  }[s.state];
  return facts.length ? `${word} (${facts.join(', ')})` : word;
}

/** Every enabled remote server that may use OAuth (not `oauth: false`, no static Authorization header). */
export function oauthStatuses(loaded: LoadedConfig, store: SecretStore, now = Date.now()): OAuthStatus[] {
  return loaded.servers
    .filter((s) => s.kind === 'remote' && s.url !== undefined && s.oauth !== false)
    .map((s) => {
      const config = s.oauth === false ? undefined : s.oauth;
      const provider = new VaultOAuthProvider({ store, server: s.name, serverUrl: s.url!, config, mode: 'gateway' });
      return oauthStatus(s.name, config?.grant ?? 'authorization_code', provider.read(), now);
    });
}
