import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { SsoSchema } from '../server/serve-schema.js';
import { mapClaims, scopesOf, SsoVerifier, type SsoClaims, type SsoIdentityConfig } from './sso.js';

const sso = SsoSchema.parse({
  issuer: 'https://idp.example.com',
  audience: 'https://mcp.example.com/mcp',
  groupRoles: {
    web: { engineers: 'developer', contractors: 'reader' },
    data: { analysts: 'reader' },
  },
});

const config: SsoIdentityConfig = {
  serve: { path: '/mcp', sso },
  projects: { web: { servers: [] }, data: { servers: [] }, ops: { servers: [] } },
  users: {
    'Alice@Example.com': { disabled: false },
    'bob@example.com': { disabled: false },
    'carol@example.com': { disabled: true },
    'dave@example.com': { disabled: false },
  },
  memberships: { ops: { 'bob@example.com': 'admin' }, web: { 'bob@example.com': 'reader' } },
};

const claims = (extra: Record<string, unknown>): SsoClaims => ({ sub: 's-1', iss: sso.issuer, ...extra });

describe('SSO claim mapping', () => {
  it.each([
    // [claims, project from the path, expected principal (user/project/role) or refusal text]
    [{ email: 'alice@example.com', groups: ['engineers'] }, undefined, 'alice@example.com/web/developer'],
    [{ email: 'ALICE@example.COM', groups: ['engineers'] }, 'web', 'alice@example.com/web/developer'],
    [{ email: 'alice@example.com', groups: 'engineers' }, undefined, 'alice@example.com/web/developer'],
    [{ email: 'alice@example.com', groups: ['engineers', 'analysts'] }, 'data', 'alice@example.com/data/reader'],
    [
      { email: 'alice@example.com', groups: ['engineers', 'analysts'] },
      undefined,
      "a member of several projects; connect to the project's own endpoint: /mcp/web, /mcp/data",
    ],
    [
      { email: 'alice@example.com', groups: ['engineers', 'contractors'] },
      'web',
      'groups give different roles in project web (engineers → developer, contractors → reader); add a membership',
    ],
    // An explicit membership wins over every group, in both directions.
    [{ email: 'bob@example.com', groups: ['engineers'] }, 'web', 'bob@example.com/web/reader'],
    [{ email: 'bob@example.com', groups: [] }, 'ops', 'bob@example.com/ops/admin'],
    [{ email: 'bob@example.com', groups: ['engineers', 'contractors'] }, 'web', 'bob@example.com/web/reader'],
    [
      { email: 'alice@example.com', groups: ['engineers'] },
      'ops',
      'user alice@example.com is not a member of project ops',
    ],
    [{ email: 'alice@example.com', groups: ['engineers'] }, 'nope', 'no project named nope'],
    [
      { email: 'dave@example.com', groups: ['strangers'] },
      undefined,
      'user dave@example.com is not a member of any project',
    ],
    [
      { email: 'eve@example.com', groups: ['engineers'] },
      undefined,
      'user eve@example.com is not configured on this gateway',
    ],
    [{ email: 'carol@example.com', groups: ['engineers'] }, undefined, 'user carol@example.com is disabled'],
    [{ groups: ['engineers'] }, undefined, 'the token has no email in its "email" claim'],
    [{ email: 42 }, undefined, 'the token has no email in its "email" claim'],
    [
      { email: 'alice@example.com', email_verified: false, groups: ['engineers'] },
      undefined,
      'the identity provider has not verified the email alice@example.com',
    ],
    [{ email: 'alice@example.com', groups: [7, { x: 1 }] }, undefined, 'not a member of any project'],
  ])('maps %j (project %s) to %s (twice)', (extra, project, expected) => {
    for (let i = 0; i < 2; i++) {
      const r = mapClaims(config, claims(extra), project);
      if (r.ok) {
        const p = r.principal;
        expect(`${p.user}/${p.project}/${p.role}`).toBe(expected);
        expect([p.subject, p.issuer, p.keyId]).toEqual(['s-1', sso.issuer, undefined]);
      } else {
        expect(r.reason).toContain(expected);
        expect([r.status, r.subject, r.issuer]).toEqual([403, 's-1', sso.issuer]);
      }
    }
  });

  it('uses the configured email and groups claims', () => {
    const custom = { ...config, serve: { path: '/mcp', sso: { ...sso, emailClaim: 'upn', groupsClaim: 'roles' } } };
    const r = mapClaims(custom, claims({ upn: 'alice@example.com', roles: ['analysts'] }), undefined);
    expect(r.ok && `${r.principal.user}/${r.principal.project}/${r.principal.role}`).toBe(
      'alice@example.com/data/reader',
    );
  });

  it('refuses every token when serve.sso is gone (a reload)', () => {
    const r = mapClaims({ ...config, serve: { path: '/mcp' } }, claims({ email: 'bob@example.com' }), 'ops');
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('not configured') });
  });

  it.each([
    [{ scope: 'mcp read  write' }, ['mcp', 'read', 'write']],
    [{ scp: ['mcp', 3, 'read'] }, ['mcp', 'read']],
    [{ scp: 'mcp' }, ['mcp']],
    [{}, []],
  ])('reads the scopes of %j', (payload, scopes) => {
    expect(scopesOf(payload as JWTPayload)).toEqual(scopes);
  });
});

function errorOf(ssoPatch: unknown): string {
  const cfg = {
    servers: { github: { command: 'node' } },
    roles: { dev: { servers: { github: {} } } },
    projects: { p: { servers: ['github'] } },
    users: { 'a@example.com': {} },
    memberships: { p: { 'a@example.com': 'dev' } },
    serve: { sso: ssoPatch },
  };
  try {
    parseConfig(JSON.stringify(cfg), '/cfg/config.json', {});
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('serve.sso config', () => {
  const good = { issuer: 'https://idp.example.com', audience: ['a', 'b'] };

  it('accepts a minimal config and fills the defaults', () => {
    expect(errorOf(good)).toBe('no error');
    expect(errorOf({ issuer: 'http://127.0.0.1:9999/', audience: 'x' })).toBe('no error');
    expect(SsoSchema.parse(good)).toMatchObject({
      emailClaim: 'email',
      groupsClaim: 'groups',
      clockToleranceSec: 30,
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
      requiredScopes: [],
      groupRoles: {},
    });
  });

  it.each([
    [{ audience: 'a' }, 'at serve.sso.issuer'],
    [{ issuer: 'https://idp.example.com' }, 'at serve.sso.audience'],
    [{ ...good, audience: [] }, 'at serve.sso.audience'],
    [{ ...good, issuer: 'idp.example.com' }, 'at serve.sso.issuer'],
    [{ ...good, issuer: 'http://idp.example.com' }, 'the issuer: an https URL (http only on a loopback address)'],
    [{ ...good, jwksUri: 'http://keys.example.com/jwks' }, 'at serve.sso.jwksUri'],
    [{ ...good, publicUrl: 'https://mcp.example.com/mcp#x' }, 'publicUrl: no #fragment'],
    [{ ...good, algorithms: ['none'] }, 'at serve.sso.algorithms[0]'],
    [{ ...good, algorithms: ['HS256'] }, 'at serve.sso.algorithms[0]'],
    [{ ...good, algorithms: [] }, 'at serve.sso.algorithms'],
    [{ ...good, clockToleranceSec: 3600 }, 'at serve.sso.clockToleranceSec'],
    [
      { ...good, groupRoles: { q: { g: 'dev' } } },
      'at serve.sso.groupRoles.q: no project named "q" (known projects: p)',
    ],
    [
      { ...good, groupRoles: { p: { g: 'boss' } } },
      'at serve.sso.groupRoles.p.g: no role named "boss" (known roles: dev)',
    ],
    [{ ...good, sharedSecret: 'x' }, 'serve.sso'],
  ])('refuses the whole config for %j, naming the path (twice)', (patch, message) => {
    for (let i = 0; i < 2; i++) {
      const e = errorOf(patch);
      expect(e).toContain('/cfg/config.json: invalid config');
      expect(e).toContain(message);
    }
  });
});

describe('SsoVerifier', () => {
  let server: http.Server;
  let issuer = '';
  let jwksHits = 0;
  let serveKeys = true;
  const kp = generateKeyPair('ES256');

  beforeAll(async () => {
    const { publicKey } = await kp;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = http.createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration')
        return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      if (req.url === '/jwks') {
        jwksHits++;
        if (!serveKeys) return res.writeHead(500).end();
        return res.end(JSON.stringify({ keys: [jwk] }));
      }
      return res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const sign = async (payload: JWTPayload, exp = '5m') =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience('gw')
      .setSubject('s-1')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign((await kp).privateKey);

  it('verifies through discovery, caches the keys, and reports the key count', async () => {
    const v = new SsoVerifier(SsoSchema.parse({ issuer, audience: 'gw', requiredScopes: ['mcp'] }));
    const token = await sign({ scope: 'mcp' });
    for (let i = 0; i < 2; i++) expect(await v.verify(token)).toMatchObject({ ok: true, claims: { sub: 's-1' } });
    expect(jwksHits).toBe(1);
    expect(await v.probe()).toEqual({ jwksUri: `${issuer}/jwks`, keys: 1 });
    expect(await v.verify(await sign({}))).toMatchObject({
      ok: false,
      status: 403,
      error: 'insufficient_scope',
      reason: 'the token lacks the scope mcp (serve.sso.requiredScopes)',
    });
  });

  it('refuses a token that does not verify with 401, naming what failed and never the token', async () => {
    const v = new SsoVerifier(SsoSchema.parse({ issuer, audience: 'other' }));
    const token = await sign({});
    const r = await v.verify(token);
    expect(r).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
    expect(!r.ok && r.reason).toMatch(/^the token's audience "gw" is not this gateway's/);
    expect(JSON.stringify(r)).not.toContain(token.split('.')[2]);
    expect(await v.verify('not-a-jwt')).toMatchObject({
      status: 401,
      reason: 'the bearer is neither a gateway key (smg_…) nor a well-formed signed JWT',
    });
  });

  it('fails closed with 503 when the keys cannot be fetched, and when the IdP is down', async () => {
    serveKeys = false;
    try {
      const v = new SsoVerifier(SsoSchema.parse({ issuer, audience: 'gw', jwksUri: `${issuer}/jwks` }));
      const r = await v.verify(await sign({}));
      expect(r).toMatchObject({ ok: false, status: 503, error: 'temporarily_unavailable' });
      expect(!r.ok && r.reason).toContain(`the identity provider's keys cannot be fetched from ${issuer}/jwks`);
      await expect(v.probe()).rejects.toThrow(`the JWKS at ${issuer}/jwks answered HTTP 500`);
    } finally {
      serveKeys = true;
    }
    const down = new SsoVerifier(SsoSchema.parse({ issuer: 'http://127.0.0.1:1', audience: 'gw', timeoutMs: 2000 }));
    const r = await down.verify(await sign({}));
    expect(r).toMatchObject({ ok: false, status: 503 });
    expect(!r.ok && r.reason).toContain('the identity provider http://127.0.0.1:1 cannot be reached for its metadata');
  });

  it('refuses a discovery document of another issuer', async () => {
    const v = new SsoVerifier(SsoSchema.parse({ issuer: `${issuer}/`, audience: 'gw' }));
    await expect(v.probe()).rejects.toThrow(`names the issuer "${issuer}", not ${issuer}/`);
  });
});
