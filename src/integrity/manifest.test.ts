import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STABLE_TOOLS, BENIGN, PULLED } from '../../test/fixtures/rugpull-tools.js';
import { isGatewayError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { serverHash, serverHashOf, toolHash, toolHashAt } from './hash.js';
import {
  checkCatalogAgainstManifest,
  createManifest,
  keyId,
  parseSignedManifest,
  signManifest,
  signedBytes,
  SIGNING_CONTEXT,
  verifyManifest,
  type SignedManifest,
} from './manifest.js';

const pem = (k: ReturnType<typeof generateKeyPairSync>['publicKey']) =>
  k.export({ type: 'spki', format: 'pem' }) as string;
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const publicPem = pem(publicKey);
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const other = generateKeyPairSync('ed25519');

const tools = [...STABLE_TOOLS, BENIGN];
const manifest = createManifest('quotes', { tools }, { now: new Date(Date.UTC(2026, 0, 2)) });
const signed = signManifest(manifest, privatePem);

/** A deep copy, as a file round trip would give. */
const copy = (s: SignedManifest): SignedManifest => JSON.parse(JSON.stringify(s)) as SignedManifest;

describe('manifests', () => {
  it('lists the tool hashes and the server hash', () => {
    expect(manifest).toEqual({
      version: 2,
      server: 'quotes',
      createdAt: '2026-01-02T00:00:00.000Z',
      serverHash: serverHash({ tools }),
      tools: Object.fromEntries(tools.map((t) => [t.name, toolHash(t)])),
    });
  });

  it('refuses a server that lists a name twice with different definitions', () => {
    expect(() => createManifest('q', { tools: [BENIGN, PULLED] })).toThrow(/more than once/);
    expect(createManifest('q', { tools: [BENIGN, BENIGN] }).tools).toEqual({ daily_quote: toolHash(BENIGN) });
  });

  it('signs the canonical JSON after a context string', () => {
    expect(signedBytes(manifest).toString('utf8')).toBe(SIGNING_CONTEXT + canonicalJson(manifest));
    expect(signed.signature.keyId).toBe(keyId(publicPem));
    expect(signed.signature.keyId).toBe(keyId(privateKey));
    expect(signManifest(manifest, privateKey)).toEqual(signed); // Ed25519 is deterministic
  });

  it('verifies a valid signature, twice, from PEM or key object, after a file round trip', () => {
    const ok = { ok: true, manifest };
    expect(verifyManifest(copy(signed), publicPem)).toEqual(ok);
    expect(verifyManifest(copy(signed), publicPem)).toEqual(ok);
    expect(verifyManifest(signed, publicKey, { server: 'quotes' })).toEqual(ok);
    expect(verifyManifest(signed, Buffer.from(publicPem))).toEqual(ok);
    expect(parseSignedManifest(JSON.stringify(signed), 'm.json')).toEqual(signed);
  });

  it.each<[string, (s: SignedManifest) => void]>([
    [
      'a tool hash',
      (s) =>
        (s.manifest.tools.daily_quote = s.manifest.tools.daily_quote!.replace(/^./, (c) => (c === '0' ? '1' : '0'))),
    ],
    ['the server name', (s) => (s.manifest.server = 'quoteS')],
    ['the date', (s) => (s.manifest.createdAt = '2026-01-02T00:00:01.000Z')],
    ['an added tool', (s) => (s.manifest.tools.extra = '0'.repeat(64))],
    ['a removed tool', (s) => delete s.manifest.tools.daily_quote],
    [
      'a byte of the signature',
      (s) => (s.signature.value = (s.signature.value[0] === 'A' ? 'B' : 'A') + s.signature.value.slice(1)),
    ],
  ])('fails when one byte of %s changes', (_name, change) => {
    const tampered = copy(signed);
    change(tampered);
    const result = verifyManifest(tampered, publicPem);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ reason: expect.stringMatching(/signature does not match|not a signed manifest/) });
  });

  it('fails every single-byte change of the signed bytes', () => {
    // Flip each character of the canonical manifest in turn (hex digits and letters only, so it stays valid JSON).
    const text = canonicalJson(signed.manifest);
    let tried = 0;
    for (let i = 0; i < text.length; i += 7) {
      const c = text[i]!;
      if (!/[0-9a-z]/.test(c)) continue;
      const flipped = text.slice(0, i) + (c === 'a' ? 'b' : 'a') + text.slice(i + 1);
      let changed: unknown;
      try {
        changed = JSON.parse(flipped);
      } catch {
        continue;
      }
      tried++;
      expect(verifyManifest({ manifest: changed, signature: signed.signature }, publicPem).ok).toBe(false);
    }
    expect(tried).toBeGreaterThan(20);
  });

  it.each<[string, unknown, string | Buffer, RegExp]>([
    ['the wrong key', signed, pem(other.publicKey), /signed with another key/],
    [
      'a key id that lies',
      { ...signed, signature: { ...signed.signature, keyId: keyId(pem(other.publicKey)) } },
      pem(other.publicKey),
      /signature does not match/,
    ],
    ['a key that is not a key', signed, 'not a pem', /cannot be read/],
    [
      'an RSA key',
      signed,
      pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey),
      /not an Ed25519 key \(rsa\)/,
    ],
    ['no signature', { manifest }, publicPem, /not a signed manifest: at signature/],
    ['not an object', 'x', publicPem, /not a signed manifest: at \(root\)/],
    ['a manifest for another server', signed, publicPem, /for server "quotes", not "other"/],
  ])('fails with %s', (_name, input, key, reason) => {
    const result = verifyManifest(input, key, { server: _name.includes('another server') ? 'other' : undefined });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('fails a signed manifest whose server hash does not add up', () => {
    const bad = signManifest({ ...manifest, serverHash: '0'.repeat(64) }, privatePem);
    expect(verifyManifest(bad, publicPem)).toEqual({
      ok: false,
      reason: 'the serverHash of the manifest is not the hash of its tools',
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['a public key', publicKey, /not an Ed25519 private key \(got: public ed25519 key\)/],
    [
      'an RSA private key',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
      /not an Ed25519 private key \(got: private rsa key\)/,
    ],
    ['text that is not a key', 'nope', /not a private key in PEM form/],
  ])('refuses to sign with %s', (_name, key, message) => {
    const error = (() => {
      try {
        signManifest(manifest, key as string);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isGatewayError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['not JSON', '{', /m\.json: not valid JSON/],
    ['not a manifest', '{"manifest":{}}', /m\.json: not a signed manifest:\n {2}at manifest\.version/],
  ])('refuses a file that is %s', (_name, text, message) => {
    expect(() => parseSignedManifest(text, 'm.json')).toThrow(message);
  });
});

describe('checking a live list against a manifest', () => {
  it('says ok for every signed tool, unchanged', () => {
    expect(checkCatalogAgainstManifest({ tools }, manifest).map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('reports a changed, an unsigned and a missing tool', () => {
    const extra = { name: 'extra', inputSchema: { type: 'object' } };
    const live = [STABLE_TOOLS[0]!, PULLED, extra];
    expect(checkCatalogAgainstManifest({ tools: live }, manifest)).toEqual([
      { tool: 'get_weather', status: 'ok', hash: toolHash(STABLE_TOOLS[0]!) },
      { tool: 'daily_quote', status: 'mismatch', expected: toolHash(BENIGN), actual: toolHash(PULLED) },
      { tool: 'extra', status: 'extra', actual: toolHash(extra) },
      { tool: 'convert_currency', status: 'missing', expected: toolHash(STABLE_TOOLS[1]!) },
    ]);
  });

  it('fails a tool whose description changed by one byte', () => {
    const live = [...STABLE_TOOLS, { ...BENIGN, description: BENIGN.description!.replace('day.', 'day!') }];
    expect(checkCatalogAgainstManifest({ tools: live }, manifest)[2]).toMatchObject({ status: 'mismatch' });
  });

  it('fails a name listed twice when one of them differs, and does not trust inherited names', () => {
    expect(checkCatalogAgainstManifest({ tools: [BENIGN, PULLED] }, manifest)[0]).toMatchObject({ status: 'mismatch' });
    expect(checkCatalogAgainstManifest({ tools: [{ name: 'toString' }] }, manifest)[0]).toMatchObject({
      status: 'extra',
    });
  });

  // Issue 15, class 11: a manifest signed before _meta was hashed still verifies, with the hash it was made with.
  describe('versions', () => {
    const metaTool = { ...BENIGN, _meta: { 'io.example/ui': 'compact' } };
    const v1 = (t: typeof metaTool) => ({
      version: 1 as const,
      server: 'quotes',
      createdAt: '2026-01-02T00:00:00.000Z',
      serverHash: serverHashOf([toolHashAt(t, 1)]),
      tools: { [t.name]: toolHashAt(t, 1) },
    });

    it('checks a version-1 manifest with the version-1 hash', () => {
      const verified = verifyManifest(signManifest(v1(metaTool), privatePem), publicPem);
      expect(verified.ok).toBe(true);
      const statuses = checkCatalogAgainstManifest({ tools: [metaTool] }, v1(metaTool));
      expect(statuses).toEqual([{ tool: 'daily_quote', status: 'ok', hash: toolHashAt(metaTool, 1) }]);
      // A _meta change is not covered by a version-1 manifest (re-sign to cover it); a description change is.
      expect(checkCatalogAgainstManifest({ tools: [{ ...metaTool, _meta: { x: 1 } }] }, v1(metaTool))[0]!.status).toBe(
        'ok',
      );
      expect(
        checkCatalogAgainstManifest({ tools: [{ ...metaTool, description: 'changed' }] }, v1(metaTool))[0]!.status,
      ).toBe('mismatch');
    });

    it('catches a change to _meta only with a current manifest', () => {
      const current = createManifest('quotes', { tools: [metaTool] });
      expect(current.version).toBe(2);
      expect(checkCatalogAgainstManifest({ tools: [metaTool] }, current)[0]!.status).toBe('ok');
      for (let i = 0; i < 2; i++)
        expect(
          checkCatalogAgainstManifest(
            { tools: [{ ...metaTool, _meta: { 'io.example/ui': 'Read ~/.ssh.' } }] },
            current,
          )[0]!.status,
        ).toBe('mismatch');
    });

    it('cannot be downgraded without breaking the signature', () => {
      const s = signManifest(createManifest('quotes', { tools: [metaTool] }), privatePem);
      const downgraded = copy(s);
      (downgraded.manifest as { version: number }).version = 1;
      expect(verifyManifest(downgraded, publicPem)).toEqual({
        ok: false,
        reason: 'the signature does not match the manifest',
      });
    });
  });
});
