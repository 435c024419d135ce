/**
 * The private key of a client that authenticates with a signed JWT (`private_key_jwt`, RFC 7523 §2.2; issue 18):
 * `oauth.privateKey` is a PEM PKCS#8 key or a JWK (JSON), read once when the config loads. The key is turned into a
 * JWK here because the SDK's signer (createPrivateKeyJwtAuth) takes any algorithm from a JWK, while from a PEM string
 * it takes RSA and EC only (not Ed25519). The algorithm defaults from the key (ES256 for P-256, RS256 for RSA, EdDSA
 * for Ed25519), and a configured one must fit the key.
 * Failure mode: closed. A key that does not parse, a public key, or an algorithm that does not fit throws
 * ClientKeyError, whose message never quotes the key (the config loader makes that server unavailable with it).
 */
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { CLIENT_KEY_ALGS } from '../config/schema.js';

export type ClientKeyAlg = (typeof CLIENT_KEY_ALGS)[number];

export class ClientKeyError extends Error {
  override readonly name = 'ClientKeyError';
}

export interface ClientKey {
  jwk: JsonWebKey;
  alg: ClientKeyAlg;
}

/** The curve each ES algorithm signs with (RFC 7518 §3.4): a P-256 key cannot sign ES384. */
const EC_CURVES: Record<string, ClientKeyAlg> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

function load(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('{')) return createPrivateKey({ key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' });
    return createPrivateKey({ key: trimmed, format: 'pem' });
  } catch {
    // Node's own message is not quoted: it is vague, and nothing of the key may reach a message.
    throw new ClientKeyError(
      'the private key does not parse: expected a PEM PKCS#8 private key ("-----BEGIN PRIVATE KEY-----") or a private JWK (JSON with "d")',
    );
  }
}

/** The algorithm a key signs with by default, or undefined for a key type a client key cannot be. */
function defaultAlg(key: KeyObject, jwk: JsonWebKey): ClientKeyAlg | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') return jwk.crv === undefined ? undefined : EC_CURVES[jwk.crv];
  return undefined;
}

/** Parses a client key and settles its algorithm (`alg` as configured, else from the key). */
export function parseClientKey(text: string, alg?: ClientKeyAlg): ClientKey {
  const key = load(text);
  const jwk = key.export({ format: 'jwk' });
  const natural = defaultAlg(key, jwk);
  const kind = key.asymmetricKeyType === 'ec' ? `EC ${jwk.crv ?? ''}` : (key.asymmetricKeyType ?? 'symmetric');
  if (natural === undefined)
    throw new ClientKeyError(
      `a ${kind} key cannot sign a client assertion: use an EC (P-256, P-384, P-521), RSA or Ed25519 key`,
    );
  if (alg === undefined) return { jwk, alg: natural };
  const fits = natural === 'RS256' ? /^(RS|PS)\d{3}$/.test(alg) : alg === natural;
  if (!fits)
    throw new ClientKeyError(
      `"privateKeyAlg" ${alg} does not fit the key (${kind}: ${natural === 'RS256' ? 'RS256..RS512 or PS256..PS512' : natural})`,
    );
  return { jwk, alg };
}
