/**
 * A real OAuth 2.1 / OIDC identity provider for tests (issue 18): `oidc-provider` in the test process on a free
 * 127.0.0.1 port, issuing JWT access tokens (RFC 9068) for the resource the client names (resource indicators,
 * RFC 8707) with the client_credentials grant. Each client stands for one person: `extraTokenClaims` adds the
 * person's email and groups to its tokens. The IdP's signing key is exported too, so a test can sign tokens that the
 * IdP itself would never issue (expired, not yet valid, another audience or issuer) with the very key the gateway
 * trusts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

export interface Person {
  email?: string;
  groups?: string[];
  [claim: string]: unknown;
}

export interface TestIdp {
  issuer: string;
  /** The IdP's signing key and its kid, as published in its JWKS. */
  key: { privateKey: CryptoKey; kid: string; alg: 'RS256' };
  /** A real access token for `client` (one of the people), for `resource`, from the token endpoint. */
  token(client: string, resource: string, scope?: string): Promise<string>;
  /** A JWT signed with the IdP's own key (or `opts.key`), for the cases the IdP would not issue. */
  sign(payload: JWTPayload, opts?: { key?: CryptoKey; kid?: string; alg?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startIdp(people: Record<string, Person>): Promise<TestIdp> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-idp-1';
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: Object.keys(people).map((id) => ({
      client_id: id,
      client_secret: `${id}-client-secret-for-tests`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'mcp',
    })),
    scopes: ['mcp'],
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'mcp',
          audience: resource,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) => people[token.clientId ?? ''] ?? {},
  });
  handler = provider.callback();
  const meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };

  return {
    issuer,
    key: { privateKey, kid, alg: 'RS256' },
    async token(client, resource, scope = 'mcp') {
      const res = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client,
          client_secret: `${client}-client-secret-for-tests`,
          resource,
          scope,
        }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || body.access_token === undefined)
        throw new Error(`the IdP refused a token for ${client}: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    sign(payload, opts = {}) {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? kid, typ: 'at+jwt' })
        .sign(opts.key ?? privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
