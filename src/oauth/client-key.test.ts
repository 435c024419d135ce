import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClientKeyError, parseClientKey, type ClientKeyAlg } from './client-key.js';

const pem = (pair: { privateKey: { export(o: object): string | Buffer } }) =>
  pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const P256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const P384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ED = generateKeyPairSync('ed25519');
const K1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const X = generateKeyPairSync('x25519');
const jwkOf = (pair: typeof P256) => JSON.stringify(pair.privateKey.export({ format: 'jwk' }));

describe('parseClientKey', () => {
  it.each([
    ['a P-256 PEM', pem(P256), 'ES256'],
    ['a P-384 PEM', pem(P384), 'ES384'],
    ['an RSA PEM', pem(RSA), 'RS256'],
    ['an Ed25519 PEM', pem(ED), 'EdDSA'],
    ['a P-256 JWK', jwkOf(P256), 'ES256'],
    ['an Ed25519 JWK with whitespace around it', `\n ${jwkOf(ED)}\n`, 'EdDSA'],
  ])('takes %s with its default algorithm', (_what, text, alg) => {
    const key = parseClientKey(text);
    expect(key.alg).toBe(alg);
    // A private JWK: what the SDK's signer imports for every algorithm.
    expect(key.jwk.d).toEqual(expect.any(String));
    expect(parseClientKey(text)).toEqual(key);
  });

  it.each([
    ['RSA', pem(RSA), 'PS256'],
    ['RSA', pem(RSA), 'RS512'],
    ['P-256', pem(P256), 'ES256'],
  ] as const)('keeps a configured algorithm that fits the key (%s, %s)', (_what, text, alg: ClientKeyAlg) => {
    expect(parseClientKey(text, alg).alg).toBe(alg);
  });

  it.each([
    ['text that is no key', 'not a key', undefined, 'does not parse'],
    ['a public key', P256.publicKey.export({ type: 'spki', format: 'pem' }).toString(), undefined, 'does not parse'],
    ['a public JWK', JSON.stringify(P256.publicKey.export({ format: 'jwk' })), undefined, 'does not parse'],
    ['JSON that is no JWK', '{"kty":', undefined, 'does not parse'],
    ['a secp256k1 key', pem(K1), undefined, 'cannot sign a client assertion'],
    ['an X25519 key', pem(X), undefined, 'cannot sign a client assertion'],
    ['a P-256 key with ES384', pem(P256), 'ES384', '"privateKeyAlg" ES384 does not fit the key (EC P-256: ES256)'],
    ['an RSA key with ES256', pem(RSA), 'ES256', 'RS256..RS512 or PS256..PS512'],
    ['an Ed25519 key with RS256', pem(ED), 'RS256', 'does not fit the key (ed25519: EdDSA)'],
  ] as const)('refuses %s without quoting it', (_what, text, alg: ClientKeyAlg | undefined, message) => {
    let error: unknown;
    try {
      parseClientKey(text, alg);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClientKeyError);
    expect((error as Error).message).toContain(message);
    if (text.length > 60) expect((error as Error).message).not.toContain(text.trim().slice(30, 60));
  });
});
