/**
 * The `serve` config section (issue 6): where the Streamable HTTP gateway listens, which Host and Origin headers
 * it accepts (DNS-rebinding defence), and its limits. Command-line flags override each field.
 * Session quotas (issue 15, class 13): 32 per key is far above what one person's clients open (an IDE window, an
 * agent or two, each one session, plus reconnects) and still lets 8 keys share the default 256; 128 per project
 * keeps any one project to half of the gateway, so two busy projects cannot starve a third. Idle sessions of the
 * requester, then of the biggest holder, are evicted (after 60 s without a request) before anyone is refused.
 */
import { z } from 'zod';

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  path: '/mcp',
  allowedHosts: [] as string[],
  allowedOrigins: [] as string[],
  maxSessions: 256,
  maxSessionsPerKey: 32,
  maxSessionsPerProject: 128,
  evictIdleAfterMs: 60_000,
  maxBodyBytes: 4 * 1024 * 1024,
  idleTimeoutMs: 30 * 60_000,
};

/**
 * Asymmetric JWS algorithms only: "none" and the HMAC family (HS*) are never accepted, since a shared secret would
 * let anyone who holds it (every resource server of the IdP) mint tokens for this gateway.
 */
export const SSO_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export const SSO_DEFAULTS = {
  algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as (typeof SSO_ALGORITHMS)[number][],
  emailClaim: 'email',
  groupsClaim: 'groups',
  clockToleranceSec: 30,
  timeoutMs: 5_000,
};

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http on a loopback address only (a local IdP in development and tests): keys must not travel in clear. */
const secureUrl = (what: string) =>
  z
    .string()
    .url(`${what}: an absolute URL`)
    .refine(
      (u) => {
        const url = URL.parse(u);
        return url === null || url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
      },
      { message: `${what}: an https URL (http only on a loopback address)` },
    )
    .refine((u) => !URL.parse(u)?.hash, { message: `${what}: no #fragment` });

export const SsoSchema = z
  .object({
    issuer: secureUrl('the issuer').describe(
      'The identity provider’s issuer URL, exactly as its tokens carry it in "iss" (e.g. https://login.example.com/realms/acme). Its keys come from its OIDC discovery document (or RFC 8414 metadata) unless jwksUri is set.',
    ),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe(
        'The audience ("aud") a token must carry for this gateway: one value or a list (any one matches). Usually the gateway’s resource URL (publicUrl) or an API identifier registered at the IdP.',
      ),
    jwksUri: secureUrl('jwksUri')
      .optional()
      .describe('Where the IdP publishes its signing keys (JWKS). Default: "jwks_uri" of its discovery document.'),
    algorithms: z
      .array(z.enum(SSO_ALGORITHMS))
      .min(1)
      .default(SSO_DEFAULTS.algorithms)
      .describe(
        'Signature algorithms accepted. Default RS256, PS256, ES256, EdDSA (Ed25519). "none" and HS* are never accepted.',
      ),
    emailClaim: z
      .string()
      .min(1)
      .default(SSO_DEFAULTS.emailClaim)
      .describe(
        'The claim holding the user’s email, matched without case against "users". Default "email". A token with email_verified false is refused.',
      ),
    groupsClaim: z
      .string()
      .min(1)
      .default(SSO_DEFAULTS.groupsClaim)
      .describe('The claim holding the user’s groups (a list of strings, or one string). Default "groups".'),
    groupRoles: z
      .record(z.string().min(1), z.record(z.string().min(1), z.string().min(1)))
      .default({})
      .describe(
        'Per project: IdP group → role. A configured user in such a group may use the project with that role. An explicit membership ("memberships") wins over any group; groups that give different roles in one project, with no membership to settle it, are refused.',
      ),
    clockToleranceSec: z
      .number()
      .int()
      .min(0)
      .max(300)
      .default(SSO_DEFAULTS.clockToleranceSec)
      .describe('Clock skew allowed on exp and nbf, in seconds. Default 30.'),
    requiredScopes: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Scopes every token must carry (in "scope" or "scp"); a token without one gets 403 insufficient_scope. Also published as scopes_supported.',
      ),
    publicUrl: secureUrl('publicUrl')
      .optional()
      .describe(
        'The gateway’s MCP endpoint as clients reach it (e.g. https://mcp.example.com/mcp): the "resource" of its protected resource metadata (RFC 9728). Default: built from the request’s (checked) Host header and serve.path.',
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(SSO_DEFAULTS.timeoutMs)
      .describe(
        'Longest wait for the IdP’s discovery document or keys, in ms. Default 5000. Unreachable: the token is refused (503).',
      ),
  })
  .strict()
  .describe(
    'Single sign-on: accept access tokens (JWT) issued by the organisation’s identity provider, besides gateway keys. Bearers that start with "smg_" are gateway keys; every other bearer is verified as a JWT.',
  );

export type SsoConfig = z.output<typeof SsoSchema>;

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

/** Every project and role that serve.sso.groupRoles names must exist. */
export function checkSsoRefs(
  config: { serve: { sso?: SsoConfig | undefined }; projects: Record<string, unknown>; roles: Record<string, unknown> },
  ctx: IssueSink,
): void {
  const sso = config.serve.sso;
  if (!sso) return;
  const known = (set: Record<string, unknown>) => Object.keys(set).join(', ') || 'none';
  for (const [project, groups] of Object.entries(sso.groupRoles)) {
    if (!(project in config.projects))
      ctx.addIssue({
        code: 'custom',
        path: ['serve', 'sso', 'groupRoles', project],
        message: `no project named "${project}" (known projects: ${known(config.projects)})`,
      });
    for (const [group, role] of Object.entries(groups))
      if (!(role in config.roles))
        ctx.addIssue({
          code: 'custom',
          path: ['serve', 'sso', 'groupRoles', project, group],
          message: `no role named "${role}" (known roles: ${known(config.roles)})`,
        });
  }
}

export const ServeSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .default(SERVE_DEFAULTS.host)
      .describe('The address to bind. Default 127.0.0.1: only this machine. --host overrides it.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(SERVE_DEFAULTS.port)
      .describe('The TCP port. --port overrides it.'),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]*$/, 'an absolute URL path')
      .default(SERVE_DEFAULTS.path)
      .describe('The MCP endpoint path.'),
    allowedHosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Host header values (name, or name:port) accepted besides the loopback names (localhost, 127.0.0.1, [::1]). A request for any other Host is refused (DNS rebinding).',
      ),
    allowedOrigins: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Origin header values (scheme://host[:port]) accepted besides loopback origins. A browser request from any other Origin is refused.',
      ),
    maxSessions: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxSessions)
      .describe(
        'Most MCP sessions open at once. A new one beyond it first evicts an idle session of the key holding the most sessions (if it holds more than the requester), else gets 503.',
      ),
    maxSessionsPerKey: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxSessionsPerKey)
      .describe(
        "Most sessions one gateway key may hold, so one key cannot take the whole gateway. A new one beyond it evicts the key's own least recently used idle session, else gets 429.",
      ),
    maxSessionsPerProject: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxSessionsPerProject)
      .describe(
        "Most sessions the keys of one project may hold together, so one project cannot take the whole gateway. A new one beyond it evicts an idle session of the same key, else of the project's key holding the most sessions (if it holds more than the requester), else gets 429.",
      ),
    evictIdleAfterMs: z
      .number()
      .int()
      .nonnegative()
      .default(SERVE_DEFAULTS.evictIdleAfterMs)
      .describe(
        'A session may be evicted to make room under a session quota only after this long without a request (and with none in flight). Its next request gets 404.',
      ),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxBodyBytes)
      .describe('Largest request body in bytes; a larger one gets 413.'),
    idleTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.idleTimeoutMs)
      .describe('A session with no request for this long is closed.'),
    sso: SsoSchema.optional(),
  })
  .strict()
  .default({ ...SERVE_DEFAULTS })
  .describe('`secure-mcp-gateway serve`: the gateway over Streamable HTTP, for teams.');

export type ServeConfig = z.output<typeof ServeSchema>;
