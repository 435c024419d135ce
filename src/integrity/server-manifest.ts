/**
 * A server's signed manifest as the gateway and the CLI read it: the file (servers.<name>.integrity.manifest, else
 * <manifests>/<server>.json), verified against servers.<name>.integrity.publicKey, and each live tool checked
 * against it. A manifest that is missing, unreadable or does not verify is a verdict with the reason, never a throw.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedServer } from '../config/load.js';
import type { Catalog } from '../upstream/catalog.js';
import { checkCatalogAgainstManifest, verifyManifest, type Manifest, type ManifestToolStatus } from './manifest.js';

export interface ManifestVerdict {
  file: string;
  ok: boolean;
  /** Why the manifest itself fails (missing, not JSON, wrong key, bad signature, …). */
  reason?: string;
  /** The verified manifest. */
  manifest?: Manifest;
  /** Each live tool against the manifest, when it verified and a catalog was given. */
  tools?: ManifestToolStatus[];
}

export function manifestFile(server: ResolvedServer, manifestsDir: string): string {
  return server.integrity.manifest ?? path.join(manifestsDir, `${server.name}.json`);
}

/**
 * Reads and verifies a server's signed manifest against its public key; with a catalog, also checks each live tool
 * against it. The reason names the file and what is wrong, precisely enough to act on.
 */
export function verifyServerManifest(server: ResolvedServer, manifestsDir: string, catalog?: Catalog): ManifestVerdict {
  const file = manifestFile(server, manifestsDir);
  const key = server.integrity.publicKey;
  if (key === undefined) return { file, ok: false, reason: `servers.${server.name}.integrity.publicKey is not set` };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? `there is no manifest (create it with \`secure-mcp-gateway tools sign --server ${server.name} --key KEY.pem\`)`
        : e instanceof SyntaxError
          ? `not valid JSON (${e.message})`
          : `cannot be read (${e.message})`;
    return { file, ok: false, reason: `${file}: ${why}` };
  }
  const verified = verifyManifest(raw, key, { server: server.name });
  if (!verified.ok) return { file, ok: false, reason: `${file}: ${verified.reason}` };
  const manifest = verified.manifest;
  if (catalog === undefined) return { file, ok: true, manifest };
  const tools = checkCatalogAgainstManifest(catalog, manifest);
  // As the gateway decides: a changed or unsigned tool is blocked; a signed tool no longer listed is not a failure.
  const ok = tools.every((t) => t.status === 'ok' || t.status === 'missing');
  return { file, ok, manifest, tools };
}
