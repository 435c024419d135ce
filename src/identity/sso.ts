/**
 * SSO for `serve` (issue 18, item 3): an access token (JWT) of the organisation's identity provider → the caller's
 * Principal, or the reason it is refused. Two steps, kept apart so the second is a pure, table-tested function:
 *
 * 1. `SsoVerifier.verify`: the signature against the IdP's published keys (JWKS, found through its OIDC discovery
 *    document or RFC 8414 metadata unless `jwksUri` is set; fetched and cached by jose's remote key set with its
 *    cooldown, each fetch bounded by `timeoutMs`), then iss, aud, exp and nbf (with `clockToleranceSec`), the
 *    algorithm against the allow-list (never "none" or HS*), and the required scopes.
 * 2. `mapClaims`: the email claim → a configured user (without case; unknown, disabled or email_verified false is
 *    refused), then the project and role. A JWT names no project, so the client picks one with the endpoint path
 *    (`<serve.path>/<project>`); without one, the user's only project is used, and a user with several is refused
 *    with the paths to use. The role: an explicit membership wins over every group; otherwise the groups claim
 *    through `serve.sso.groupRoles[project]`, and groups that give different roles in one project are refused
 *    (the config must settle it with a membership) rather than guessed.
 *
 * Failure mode: closed. A token that does not verify is 401 invalid_token; a verified token whose user may not
 * come in is 403; keys that cannot be fetched are 503 (never a fallback to an unchecked token). Every reason is safe
 * to show the caller: it never contains the token, and names only claims of a token whose signature verified.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config/schema.js';
import { messageOf } from '../errors.js';
import type { Principal } from '../pipeline/types.js';
import type { SsoConfig } from '../server/serve-schema.js';

export type SsoRefusal = {
  ok: false;
  /** 401: the token itself is refused; 403: a good token whose user may not come in; 503: the IdP's keys are out of reach. */
  status: 401 | 403 | 503;
  /** The RFC 6750 error code of the WWW-Authenticate challenge. */
  error: 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';
  reason: string;
  /** Of a token that verified: who was refused, for the audit. */
  subject?: string;
  issuer?: string;
};

export type SsoVerified = { ok: true; claims: JWTPayload & { sub: string; iss: string } };

/** The IdP's metadata or keys could not be fetched: every token is refused until they can. */
export class SsoUnavailable extends Error {}

/** After a failed discovery, requests wait this long before the IdP is asked again (jose's own cooldown covers the JWKS). */
const DISCOVERY_RETRY_MS = 5_000;

export class SsoVerifier {
  private jwksUri: Promise<URL> | undefined;
  private discoveryFailedAt = 0;
  private discoveryError = '';
  private keys: { uri: string; set: ReturnType<typeof createRemoteJWKSet> } | undefined;

  constructor(readonly config: SsoConfig) {}

  get issuer(): string {
    return this.config.issuer;
  }

  /** The JWKS URL: configured, or from the IdP's discovery document (memoised; retried after a failure). */
  async keysUrl(): Promise<URL> {
    if (this.config.jwksUri !== undefined) return new URL(this.config.jwksUri);
    if (this.jwksUri === undefined) {
      if (Date.now() - this.discoveryFailedAt < DISCOVERY_RETRY_MS) throw new SsoUnavailable(this.discoveryError);
      this.jwksUri = discoverJwksUri(this.config.issuer, this.config.timeoutMs);
      this.jwksUri.catch((error: unknown) => {
        this.jwksUri = undefined;
        this.discoveryFailedAt = Date.now();
        this.discoveryError = messageOf(error);
      });
    }
    return this.jwksUri;
  }

  private async keySet(): Promise<{ uri: string; set: ReturnType<typeof createRemoteJWKSet> }> {
    const url = await this.keysUrl();
    if (this.keys?.uri !== url.href)
      this.keys = {
        uri: url.href,
        set: createRemoteJWKSet(url, { timeoutDuration: this.config.timeoutMs }),
      };
    return this.keys;
  }

  /** Verifies the token's signature and claims; never throws. */
  async verify(token: string): Promise<SsoVerified | SsoRefusal> {
    const c = this.config;
    const getKey: JWTVerifyGetKey = async (header, jws) => {
      const { uri, set } = await this.keySet();
      try {
        return await set(header, jws);
      } catch (error) {
        // No key with the token's kid (after a refetch, jose's cooldown permitting): the token's fault, not the IdP's.
        if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys)
          throw error;
        throw new SsoUnavailable(`the identity provider's keys cannot be fetched from ${uri}: ${messageOf(error)}`);
      }
    };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: c.issuer,
        audience: c.audience,
        algorithms: c.algorithms,
        clockTolerance: c.clockToleranceSec,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof SsoUnavailable)
        return { ok: false, status: 503, error: 'temporarily_unavailable', reason: error.message };
      return { ok: false, status: 401, error: 'invalid_token', reason: tokenReason(error, c) };
    }
    const claims = payload as SsoVerified['claims'];
    const missing = c.requiredScopes.filter((s) => !scopesOf(payload).includes(s));
    if (missing.length > 0)
      return {
        ok: false,
        status: 403,
        error: 'insufficient_scope',
        reason: `the token lacks the scope${missing.length === 1 ? '' : 's'} ${missing.join(' ')} (serve.sso.requiredScopes)`,
        subject: claims.sub,
        issuer: claims.iss,
      };
    return { ok: true, claims };
  }

  /** For doctor: the JWKS URL and how many keys it publishes; throws SsoUnavailable with the reason. */
  async probe(): Promise<{ jwksUri: string; keys: number }> {
    const url = await this.keysUrl();
    const doc = await fetchJson(url, this.config.timeoutMs, 'the JWKS');
    const keys = (doc as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new SsoUnavailable(`${url.href} is not a JWKS (no "keys" list)`);
    return { jwksUri: url.href, keys: keys.length };
  }
}

/** A reason for a refused token that names what failed, never the token. */
function tokenReason(error: unknown, c: SsoConfig): string {
  if (error instanceof joseErrors.JWTExpired) {
    const exp = typeof error.payload.exp === 'number' ? ` at ${new Date(error.payload.exp * 1000).toISOString()}` : '';
    return `the token expired${exp}; get a new one from the identity provider`;
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const p = error.payload;
    switch (error.claim) {
      case 'nbf':
        return `the token is not valid yet (nbf ${typeof p.nbf === 'number' ? new Date(p.nbf * 1000).toISOString() : '?'})`;
      case 'iss':
        return `the token was issued by ${JSON.stringify(p.iss ?? null)}, not by ${c.issuer} (serve.sso.issuer)`;
      case 'aud':
        return `the token's audience ${JSON.stringify(p.aud ?? null)} is not this gateway's (serve.sso.audience: ${[c.audience].flat().join(', ')})`;
      default:
        return `the token's "${error.claim}" claim is ${error.reason === 'missing' ? 'missing' : 'invalid'}`;
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return `the token's signature algorithm is not accepted (serve.sso.algorithms: ${c.algorithms.join(', ')})`;
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return 'the token is signed by a key the identity provider does not publish';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid)
    return 'the bearer is neither a gateway key (smg_…) nor a well-formed signed JWT';
  if (error instanceof joseErrors.JOSEError) return `the token is refused (${error.code})`;
  return 'the token is refused';
}

/** The scopes a token carries: "scope" (RFC 9068, space-separated) or "scp" (a list, or a string). */
export function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** The IdP's jwks_uri: OIDC discovery first, then RFC 8414 metadata; the document's issuer must be ours exactly. */
async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<URL> {
  const base = new URL(issuer);
  const suffix = base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '');
  const candidates = [
    new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`),
    new URL(`/.well-known/oauth-authorization-server${suffix}`, base),
  ];
  const problems: string[] = [];
  for (const url of candidates) {
    let doc: unknown;
    try {
      doc = await fetchJson(url, timeoutMs, 'the discovery document');
    } catch (error) {
      problems.push(messageOf(error));
      continue;
    }
    const meta = doc as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0 §4.3 and RFC 8414 §3.3: a document for another issuer must not be used.
    if (meta.issuer !== issuer)
      throw new SsoUnavailable(
        `${url.href} names the issuer ${JSON.stringify(meta.issuer)}, not ${issuer} (serve.sso.issuer must match it exactly)`,
      );
    const jwks = typeof meta.jwks_uri === 'string' ? URL.parse(meta.jwks_uri) : null;
    if (jwks === null) throw new SsoUnavailable(`${url.href} has no valid "jwks_uri"`);
    if (jwks.protocol !== 'https:' && !(jwks.protocol === 'http:' && base.protocol === 'http:'))
      throw new SsoUnavailable(`${url.href} publishes its keys over http (${jwks.href}); https is required`);
    return jwks;
  }
  throw new SsoUnavailable(
    `the identity provider ${issuer} cannot be reached for its metadata: ${problems.join('; ')}`,
  );
}

async function fetchJson(url: URL, timeoutMs: number, what: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { Accept: 'application/json' } });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new SsoUnavailable(
      `${what} at ${url.href} ${timedOut ? `did not answer within ${timeoutMs} ms` : `cannot be fetched: ${messageOf((error as { cause?: unknown }).cause ?? error)}`}`,
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new SsoUnavailable(`${what} at ${url.href} answered HTTP ${res.status}`);
  }
  try {
    return await res.json();
  } catch {
    throw new SsoUnavailable(`${what} at ${url.href} is not JSON`);
  }
}

export type SsoIdentityConfig = Pick<Config, 'users' | 'projects' | 'memberships'> & {
  serve: { path: string; sso?: SsoConfig | undefined };
};

/** What mapClaims needs of a verified token (kept to rebuild the principal when the config is reloaded). */
export interface SsoClaims {
  sub: string;
  iss: string;
  [claim: string]: unknown;
}

/**
 * A verified token's claims → the principal for `project` (from the endpoint path; undefined: the user's only
 * project), or the reason it is refused (403). Pure.
 */
export function mapClaims(
  config: SsoIdentityConfig,
  claims: SsoClaims,
  project: string | undefined,
): { ok: true; principal: Principal } | SsoRefusal {
  const sso = config.serve.sso;
  const refuse = (reason: string): SsoRefusal => ({
    ok: false,
    status: 403,
    error: 'invalid_token',
    reason,
    subject: claims.sub,
    issuer: claims.iss,
  });
  if (!sso) return refuse('single sign-on is not configured on this gateway (serve.sso)');
  const raw = claims[sso.emailClaim];
  if (typeof raw !== 'string' || raw.trim() === '')
    return refuse(`the token has no email in its "${sso.emailClaim}" claim (serve.sso.emailClaim)`);
  const email = raw.trim().toLowerCase();
  if (claims.email_verified === false) return refuse(`the identity provider has not verified the email ${email}`);
  const configured = Object.keys(config.users).find((u) => u.toLowerCase() === email);
  if (configured === undefined) return refuse(`user ${email} is not configured on this gateway`);
  if (config.users[configured]!.disabled) return refuse(`user ${email} is disabled`);
  const groups = groupsOf(claims[sso.groupsClaim]);

  /** The user's role in project `p`, none, or why the groups cannot settle it. */
  const roleIn = (p: string): { role: string } | { ambiguous: string } | undefined => {
    const members = config.memberships[p] ?? {};
    const explicit = Object.keys(members).find((u) => u.toLowerCase() === email);
    if (explicit !== undefined) return { role: members[explicit]! };
    const byGroup = sso.groupRoles[p] ?? {};
    const roles = new Map<string, string>();
    for (const g of groups) {
      const role = byGroup[g];
      if (role !== undefined && !roles.has(role)) roles.set(role, g);
    }
    if (roles.size === 1) return { role: [...roles.keys()][0]! };
    if (roles.size > 1)
      return {
        ambiguous: `user ${email}'s groups give different roles in project ${p} (${[...roles].map(([r, g]) => `${g} → ${r}`).join(', ')}); add a membership to settle it`,
      };
    return undefined;
  };
  const principal = (p: string, role: string): { ok: true; principal: Principal } => ({
    ok: true,
    principal: { user: email, project: p, role, subject: claims.sub, issuer: claims.iss },
  });

  if (project !== undefined) {
    if (!(project in config.projects)) return refuse(`no project named ${project}`);
    const r = roleIn(project);
    if (r === undefined)
      return refuse(
        `user ${email} is not a member of project ${project} (no membership, and no group of the token maps to a role there)`,
      );
    return 'ambiguous' in r ? refuse(r.ambiguous) : principal(project, r.role);
  }
  const candidates = Object.keys(config.projects)
    .map((p) => [p, roleIn(p)] as const)
    .filter((e): e is readonly [string, NonNullable<ReturnType<typeof roleIn>>] => e[1] !== undefined);
  if (candidates.length === 0) return refuse(`user ${email} is not a member of any project`);
  if (candidates.length > 1) {
    const base = config.serve.path.replace(/\/$/, '');
    return refuse(
      `user ${email} is a member of several projects; connect to the project's own endpoint: ${candidates.map(([p]) => `${base}/${p}`).join(', ')}`,
    );
  }
  const [p, r] = candidates[0]!;
  return 'ambiguous' in r ? refuse(r.ambiguous) : principal(p, r.role);
}

/** A groups claim: a list of strings (Keycloak, Okta, Entra ID) or a single string. Anything else is no group. */
function groupsOf(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string');
  return [];
}
