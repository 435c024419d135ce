import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SecretStore } from '../vault/types.js';
import {
  oauthSecretName,
  SignInRequiredError,
  VaultOAuthProvider,
  type VaultOAuthProviderOptions,
} from './provider.js';
import { memoryStore } from '../../test/support/memory-vault.js';

const URL_ = 'https://mcp.example.com/mcp';
const make = (store: SecretStore, extra: Partial<VaultOAuthProviderOptions> = {}) =>
  new VaultOAuthProvider({ store, server: 'linear', serverUrl: URL_, config: undefined, mode: 'gateway', ...extra });

describe('VaultOAuthProvider', () => {
  it('keeps tokens with an absolute expiry, read back by another instance (another process)', () => {
    const store = memoryStore();
    const now = 1_000_000;
    make(store, { mode: 'login', now: () => now }).saveTokens({
      access_token: 'at1',
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: 'rt1',
    });
    const again = make(store);
    expect(again.tokens()).toMatchObject({ access_token: 'at1', refresh_token: 'rt1' });
    expect(again.expiresAt()).toBe(now + 3_600_000);
    expect(store.list()).toEqual(['oauth:linear']);
  });

  it('keeps the old refresh token when a refresh answer has none (RFC 6749 §6)', () => {
    const store = memoryStore();
    const p = make(store);
    p.saveTokens({ access_token: 'a', token_type: 'Bearer', refresh_token: 'r' });
    p.saveTokens({ access_token: 'b', token_type: 'Bearer' });
    expect(make(store).tokens()).toMatchObject({ access_token: 'b', refresh_token: 'r' });
    expect(make(store).expiresAt()).toBeUndefined();
  });

  it.each([
    ['another server URL', JSON.stringify({ v: 1, serverUrl: 'https://elsewhere/mcp', tokens: { access_token: 'x' } })],
    ['text that is not JSON', '{nope'],
    ['another version', JSON.stringify({ v: 2, serverUrl: URL_, tokens: { access_token: 'x' } })],
  ])('takes a record for %s as no sign-in', (_what, text) => {
    const store = memoryStore();
    store.set('oauth:linear', text);
    expect(make(store).tokens()).toBeUndefined();
  });

  it('in the gateway, refuses to register a client: "not signed in", with the command', () => {
    const p = make(memoryStore());
    expect(() => p.clientInformation()).toThrow(SignInRequiredError);
    expect(() => p.clientInformation()).toThrow(
      'linear: not signed in; sign in again with `secure-mcp-gateway auth login linear`',
    );
  });

  it.each([
    [
      'a refused refresh',
      { client: { client_id: 'c' }, refreshError: 'invalid_grant' },
      'the authorization server refused to refresh the token (invalid_grant)',
    ],
    [
      'an expired token without a refresh token',
      { client: { client_id: 'c' }, tokens: { access_token: 'a', token_type: 'Bearer' } },
      'the token expired and there is no refresh token',
    ],
    ['no tokens', { client: { client_id: 'c' } }, 'not signed in'],
  ])('in the gateway, a redirect after %s throws at once and says why', (_what, record, why) => {
    const store = memoryStore();
    store.set('oauth:linear', JSON.stringify({ v: 1, serverUrl: URL_, ...record }));
    const p = make(store);
    expect(() => p.redirectToAuthorization(new URL('https://as.example/authorize'))).toThrow(
      `linear: ${why}; sign in again with \`secure-mcp-gateway auth login linear\``,
    );
  });

  it('remembers a refused refresh when the SDK drops the tokens, for status and the message', () => {
    const store = memoryStore();
    const p = make(store);
    p.saveTokens({ access_token: 'a', token_type: 'Bearer', refresh_token: 'r' });
    p.invalidateCredentials('tokens');
    const r = make(store).read();
    expect(r.tokens).toBeUndefined();
    expect(r.refreshError).toBe('invalid_grant');
  });

  it('sees a sign-in made by another process after a SignInRequiredError (it reads the vault again)', () => {
    const store = memoryStore();
    const p = make(store, { config: { grant: 'authorization_code', clientId: 'pre' } });
    expect(p.tokens()).toBeUndefined();
    make(store, { mode: 'login' }).saveTokens({ access_token: 'new', token_type: 'Bearer' });
    expect(p.tokens()).toBeUndefined(); // cached
    expect(() => p.redirectToAuthorization(new URL('https://as.example/a'))).toThrow(SignInRequiredError);
    expect(p.tokens()?.access_token).toBe('new');
  });

  it('never stores a configured client, and presents it with its secret', () => {
    const store = memoryStore();
    const p = make(store, { config: { grant: 'authorization_code', clientId: 'pre', clientSecret: 's3' } });
    p.saveClientInformation({ client_id: 'pre', client_secret: 's3' });
    expect(store.data.size).toBe(0);
    expect(p.clientInformation()).toEqual({ client_id: 'pre', client_secret: 's3' });
    expect(p.clientMetadata.token_endpoint_auth_method).toBe('client_secret_basic');
  });

  it.each([
    ['authorization_code', undefined, ['authorization_code', 'refresh_token']],
    ['client_credentials', 'grant_type=client_credentials&scope=a+b', ['client_credentials']],
  ] as const)('prepares the token request of %s', (grant, params, grants) => {
    const p = make(memoryStore(), {
      config: { grant, clientId: 'c', clientSecret: 's', scopes: ['a', 'b'] },
    });
    expect(p.prepareTokenRequest('a b')?.toString()).toBe(params);
    expect(p.clientMetadata.grant_types).toEqual(grants);
    expect(p.redirectUrl === undefined).toBe(grant === 'client_credentials');
  });

  it.each([
    ['linear', undefined, 'oauth:linear'],
    ['linear', 'alice@example.com', 'oauth:linear:alice@example.com'],
    ['linear', 'bob+x@example.com', `oauth:linear:b64.${Buffer.from('bob+x@example.com').toString('base64url')}`],
  ])('names the vault entry of %s for user %s', (server, user, name) => {
    expect(oauthSecretName(server, user)).toBe(name);
  });

  it('trims the discovery state it keeps (a keychain entry is small)', () => {
    const store = memoryStore();
    const p = make(store);
    p.saveDiscoveryState({
      authorizationServerUrl: 'https://as.example',
      authorizationServerMetadata: {
        issuer: 'https://as.example',
        authorization_endpoint: 'https://as.example/a',
        token_endpoint: 'https://as.example/t',
        response_types_supported: ['code'],
        service_documentation: 'https://as.example/docs',
      },
    });
    expect(Object.keys(make(store).discoveryState()?.authorizationServerMetadata ?? {}).sort()).toEqual([
      'authorization_endpoint',
      'issuer',
      'response_types_supported',
      'token_endpoint',
    ]);
  });

  it('on demand (no oauth block), a vault that cannot open means no token, not a failure', () => {
    const broken: SecretStore = {
      kind: 'file',
      where: 'x',
      get: () => {
        throw new Error('no vault');
      },
      set: () => undefined,
      delete: () => false,
      list: () => [],
    };
    expect(make(broken).tokens()).toBeUndefined();
    expect(() => make(broken, { config: { grant: 'authorization_code' } }).tokens()).toThrow('no vault');
  });
});

describe('VaultOAuthProvider with oauth.privateKey (private_key_jwt, RFC 7523)', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const config = {
    grant: 'client_credentials' as const,
    clientId: 'machine-1',
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };

  it.each([
    ['the issuer of the metadata', { issuer: 'https://as.example.com' }, 'https://as.example.com'],
    ['the token endpoint without metadata', undefined, 'https://as.example.com/token'],
  ])('signs an assertion with iss = sub = client id and aud = %s', async (_what, metadata, aud) => {
    const p = make(memoryStore(), { config });
    expect(p.clientMetadata.token_endpoint_auth_method).toBe('private_key_jwt');
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    await p.addClientAuthentication!(
      new Headers(),
      params,
      'https://as.example.com/token',
      metadata as Parameters<NonNullable<typeof p.addClientAuthentication>>[3],
    );
    expect(params.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const { payload, protectedHeader } = await jwtVerify(params.get('client_assertion')!, pair.publicKey, {
      audience: aud,
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ iss: 'machine-1', sub: 'machine-1', aud });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.jti).toEqual(expect.any(String));
    // A new assertion each time: the authorization server may refuse a jti it has seen (RFC 7523 §3).
    const again = new URLSearchParams();
    await p.addClientAuthentication!(new Headers(), again, 'https://as.example.com/token');
    expect(decodeJwt(again.get('client_assertion')!).jti).not.toBe(payload.jti);
  });

  it('signs EdDSA with an Ed25519 key (which the SDK takes as a JWK only)', async () => {
    const ed = generateKeyPairSync('ed25519');
    const p = make(memoryStore(), {
      config: { ...config, privateKey: JSON.stringify(ed.privateKey.export({ format: 'jwk' })) },
    });
    const params = new URLSearchParams();
    await p.addClientAuthentication!(new Headers(), params, 'https://as.example.com/token');
    const { protectedHeader } = await jwtVerify(params.get('client_assertion')!, ed.publicKey);
    expect(protectedHeader.alg).toBe('EdDSA');
  });

  it('adds no client authentication of its own without a private key (the SDK picks basic, post or none)', () => {
    const p = make(memoryStore(), { config: { grant: 'client_credentials', clientId: 'id', clientSecret: 's' } });
    expect(p.addClientAuthentication).toBeUndefined();
    expect(p.clientMetadata.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(p.clientInformation()).toEqual({ client_id: 'id', client_secret: 's' });
  });
});
