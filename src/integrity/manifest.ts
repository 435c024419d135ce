/**
 * Signed tool manifests (issue 5, scope 6): a publisher or an administrator signs the tool hashes of a server with an
 * Ed25519 key (`tools sign`), and a gateway configured with the public key (`servers.S.integrity.publicKey`) exposes
 * only the live tools that match (`tools verify` checks the same offline). Pure apart from node:crypto.
 *
 * What is signed: the UTF-8 bytes of SIGNING_CONTEXT followed by the canonical JSON of the manifest (canonical.ts).
 * The context string is domain separation: a signature made for a manifest can never be passed off as a signature
 * of anything else made with the same key, and the reverse. The signature block carries the key id (SHA-256 of the
 * public key's SPKI DER, first 16 hex digits) so that a wrong key is named as such; it is a hint, not trusted: only
 * the signature decides.
 *
 * Versions: a manifest's `version` is its tool hash version (hash.ts), and it is inside the signed bytes, so it
 * cannot be changed without breaking the signature. A version-1 manifest (signed before issue 15) is still verified,
 * with the version-1 hash, which does not cover `_meta`, `icons` or `execution`: sign it again to cover them. New
 * manifests are version 2.
 *
 * Failure modes: verifyManifest never throws on bad input; it returns `{ ok: false, reason }`. Signing with something
 * that is not an Ed25519 private key is a GatewayError('CONFIG_INVALID').
 */
import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { serverHashOf, toolHash, toolHashAt, type ToolLike } from './hash.js';

/** The version written: the tool hash version (hash.ts HASH_VERSION) its hashes are made with. */
export const MANIFEST_VERSION = 2;
export const SIGNING_CONTEXT = 'secure-mcp-gateway tool manifest v1\n';

const HashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case SHA-256 hex digest');

export const ManifestSchema = z
  .strictObject({
    version: z
      .union([z.literal(1), z.literal(MANIFEST_VERSION)])
      .describe('The tool hash version of the hashes (1: before _meta, icons and execution were hashed)'),
    server: z.string().min(1).describe('The server name the manifest is for'),
    createdAt: z.iso.datetime({ offset: true }),
    serverHash: HashSchema.describe('SHA-256 over the sorted tool hashes'),
    tools: z.record(z.string(), HashSchema).describe('Tool name → SHA-256 of its canonical definition'),
  })
  .describe('The tool hashes of one server');

export const SignedManifestSchema = z
  .strictObject({
    manifest: ManifestSchema,
    signature: z.strictObject({
      algorithm: z.literal('ed25519'),
      keyId: z.string().regex(/^[0-9a-f]{16}$/),
      value: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'expected a base64 Ed25519 signature (64 bytes)'),
    }),
  })
  .describe('A manifest with its Ed25519 signature');

export type Manifest = z.infer<typeof ManifestSchema>;
export type SignedManifest = z.infer<typeof SignedManifestSchema>;

export type Key = string | Buffer | KeyObject;

export function createManifest(
  server: string,
  catalog: { readonly tools: readonly ToolLike[] },
  opts: { now?: Date } = {},
): Manifest {
  const hashes = new Map<string, string>();
  for (const tool of catalog.tools) {
    const hash = toolHash(tool);
    if (hashes.has(tool.name) && hashes.get(tool.name) !== hash) {
      throw new GatewayError(
        'INTERNAL',
        `server "${server}" lists "${tool.name}" more than once with different definitions: it cannot be signed`,
      );
    }
    hashes.set(tool.name, hash);
  }
  // fromEntries, so that a tool named "__proto__" is a key like any other.
  const tools = Object.fromEntries(hashes);
  return {
    version: MANIFEST_VERSION,
    server,
    createdAt: (opts.now ?? new Date()).toISOString(),
    serverHash: serverHashOf(Object.values(tools)),
    tools,
  };
}

/** The bytes a signature covers. */
export function signedBytes(manifest: Manifest): Buffer {
  return Buffer.from(SIGNING_CONTEXT + canonicalJson(manifest), 'utf8');
}

/** The id of a public key: the first 16 hex digits of SHA-256 over its SPKI DER. */
export function keyId(publicKey: Key): string {
  const der = toPublicKey(publicKey).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function signManifest(manifest: Manifest, privateKey: Key): SignedManifest {
  let key: KeyObject;
  try {
    key = privateKey instanceof KeyObject ? privateKey : createPrivateKey(privateKey);
  } catch (cause) {
    throw new GatewayError('CONFIG_INVALID', 'the signing key is not a private key in PEM form', { cause });
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new GatewayError(
      'CONFIG_INVALID',
      `the signing key is not an Ed25519 private key (got: ${key.type} ${key.asymmetricKeyType ?? ''} key)`,
    );
  }
  const parsed = ManifestSchema.parse(manifest);
  return {
    manifest: parsed,
    signature: {
      algorithm: 'ed25519',
      keyId: keyId(createPublicKey(key)),
      value: sign(null, signedBytes(parsed), key).toString('base64'),
    },
  };
}

export type VerifyResult = { ok: true; manifest: Manifest } | { ok: false; reason: string };

/**
 * Checks a signed manifest (any JSON value, as read from a file) against a public key, and optionally that it is the
 * manifest of `server`.
 */
export function verifyManifest(signed: unknown, publicKey: Key, opts: { server?: string } = {}): VerifyResult {
  const parsed = SignedManifestSchema.safeParse(signed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `not a signed manifest: at ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  let key: KeyObject;
  try {
    key = toPublicKey(publicKey);
  } catch {
    return { ok: false, reason: 'the public key cannot be read (expected an Ed25519 public key in PEM form)' };
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    return { ok: false, reason: `the public key is not an Ed25519 key (${key.asymmetricKeyType ?? 'unknown'})` };
  }
  const { manifest, signature } = parsed.data;
  const id = keyId(key);
  if (signature.keyId !== id) {
    return { ok: false, reason: `signed with another key (key id ${signature.keyId}, this key is ${id})` };
  }
  if (!verify(null, signedBytes(manifest), key, Buffer.from(signature.value, 'base64'))) {
    return { ok: false, reason: 'the signature does not match the manifest' };
  }
  if (opts.server !== undefined && manifest.server !== opts.server) {
    return { ok: false, reason: `the manifest is for server "${manifest.server}", not "${opts.server}"` };
  }
  if (serverHashOf(Object.values(manifest.tools)) !== manifest.serverHash) {
    return { ok: false, reason: 'the serverHash of the manifest is not the hash of its tools' };
  }
  return { ok: true, manifest };
}

export type ManifestToolStatus =
  | { tool: string; status: 'ok'; hash: string }
  | { tool: string; status: 'mismatch'; expected: string; actual: string }
  /** In the manifest, not listed by the server. */
  | { tool: string; status: 'missing'; expected: string }
  /** Listed by the server, not in the manifest: not signed, so not exposed. */
  | { tool: string; status: 'extra'; actual: string };

/** Each live tool (in list order) against a verified manifest, then each manifest tool the server no longer lists. */
export function checkCatalogAgainstManifest(
  catalog: { readonly tools: readonly ToolLike[] },
  manifest: Manifest,
): ManifestToolStatus[] {
  const live = new Map<string, string[]>();
  // Each live tool is hashed as the manifest's version hashed it when it was signed.
  for (const tool of catalog.tools)
    live.set(tool.name, [...(live.get(tool.name) ?? []), toolHashAt(tool, manifest.version)]);
  const out: ManifestToolStatus[] = [];
  for (const [name, hashes] of live) {
    const expected = Object.hasOwn(manifest.tools, name) ? manifest.tools[name] : undefined;
    const wrong = hashes.find((h) => h !== expected);
    if (expected === undefined) out.push({ tool: name, status: 'extra', actual: hashes[0]! });
    else if (wrong !== undefined) out.push({ tool: name, status: 'mismatch', expected, actual: wrong });
    else out.push({ tool: name, status: 'ok', hash: expected });
  }
  for (const [name, expected] of Object.entries(manifest.tools)) {
    if (!live.has(name)) out.push({ tool: name, status: 'missing', expected });
  }
  return out;
}

/** Parses a signed manifest file's text; errors name the file. */
export function parseSignedManifest(text: string, file: string): SignedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GatewayError('CONFIG_INVALID', `${file}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const parsed = SignedManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  at ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new GatewayError('CONFIG_INVALID', `${file}: not a signed manifest:\n${issues}`, {
      data: parsed.error.issues,
    });
  }
  return parsed.data;
}

function toPublicKey(key: Key): KeyObject {
  if (key instanceof KeyObject && key.type === 'public') return key;
  return createPublicKey(key);
}
