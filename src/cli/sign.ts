/**
 * `tools sign --server S --key KEY.pem [--out FILE]` and `tools verify [--server S] [--live]` (issue 5, scope 6).
 * sign lists the server's live tools, builds the manifest of their hashes, signs it with the Ed25519 private key and
 * writes it atomically (a manifest is public: mode 0644) to --out, else servers.S.integrity.manifest, else
 * <home>/manifests/S.json. verify reads each manifest and checks it against servers.S.integrity.publicKey, offline;
 * with --live it also lists the server and checks every live tool against the manifest, as the gateway does.
 *
 * Failure modes: an unreadable or non-Ed25519 key is CONFIG_INVALID (exit 4); a manifest that does not verify is a
 * verdict with a precise reason (`failed`), never an exception; a server that cannot be listed is `unreachable`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { GatewayPaths } from '../config/paths.js';
import { GatewayError } from '../errors.js';
import { writeAtomic } from '../integrity/lockfile.js';
import { createManifest, signManifest, verifyManifest } from '../integrity/manifest.js';
import type { Logger } from '../log.js';
import { fetchCatalogs, selectServers, shortHash } from './catalogs.js';
import { manifestFile, verifyServerManifest, type ManifestVerdict } from '../integrity/server-manifest.js';

export async function signTools(
  loaded: LoadedConfig,
  paths: GatewayPaths,
  opts: { server: string; key: string; out?: string },
  log: Logger,
): Promise<string[]> {
  const [server] = selectServers(loaded, opts.server);
  let key: string;
  try {
    key = fs.readFileSync(opts.key, 'utf8');
  } catch (cause) {
    throw new GatewayError('CONFIG_INVALID', `cannot read the signing key ${opts.key}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const [listed] = await fetchCatalogs(loaded, [server!], log);
  if (listed?.catalog === undefined) throw new Error(`cannot list the tools of ${opts.server}: ${listed?.error ?? ''}`);
  const signed = signManifest(createManifest(opts.server, listed.catalog), key);
  const file = opts.out !== undefined ? path.resolve(opts.out) : manifestFile(server!, paths.manifestsDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeAtomic(file, `${JSON.stringify(signed, null, 2)}\n`, 0o644);
  const m = signed.manifest;
  const lines = [
    `signed ${Object.keys(m.tools).length} tools of ${m.server} (server ${shortHash(m.serverHash)}, key id ${signed.signature.keyId}): ${file}`,
  ];
  const publicKey = server!.integrity.publicKey;
  const check = publicKey === undefined ? undefined : verifyManifest(signed, publicKey, { server: m.server });
  if (publicKey === undefined) {
    lines.push(
      `note: servers.${m.server}.integrity.publicKey is not set, so the gateway does not require this manifest`,
    );
  } else if (check?.ok === false) {
    lines.push(`warning: the gateway will refuse this manifest: ${check.reason}`);
  }
  if (opts.out !== undefined && path.resolve(opts.out) !== manifestFile(server!, paths.manifestsDir)) {
    lines.push(`note: the gateway reads ${manifestFile(server!, paths.manifestsDir)}, not ${file}`);
  }
  return lines;
}

export interface VerifyOutcome {
  lines: string[];
  /** A manifest or (with --live) a tool did not verify. */
  failed: boolean;
  /** Servers that could not be listed (with --live). */
  unreachable: string[];
}

export async function verifyTools(
  loaded: LoadedConfig,
  paths: GatewayPaths,
  opts: { server?: string; live?: boolean },
  log: Logger,
): Promise<VerifyOutcome> {
  const servers =
    opts.server !== undefined
      ? selectServers(loaded, opts.server)
      : loaded.servers.filter((s) => s.integrity.publicKey !== undefined);
  if (servers.length === 0) {
    throw new Error('nothing to verify: no enabled server sets integrity.publicKey (or name one with --server)');
  }
  const listed = opts.live ? await fetchCatalogs(loaded, servers, log) : [];
  const out: VerifyOutcome = { lines: [], failed: false, unreachable: [] };
  for (const server of servers) {
    const live = listed.find((l) => l.server === server);
    if (live?.error !== undefined) {
      out.unreachable.push(server.name);
      out.lines.push(`${server.name}: cannot list tools: ${live.error}`);
    }
    const v = verifyServerManifest(server, paths.manifestsDir, live?.catalog);
    out.failed ||= !v.ok;
    out.lines.push(...describe(server.name, v));
  }
  return out;
}

function describe(server: string, v: ManifestVerdict): string[] {
  if (v.manifest === undefined) return [`${server}: FAILED: ${v.reason ?? 'does not verify'}`];
  const signed = `${Object.keys(v.manifest.tools).length} tools signed ${v.manifest.createdAt}`;
  if (v.tools === undefined) return [`${server}: ok: ${v.file} verifies (${signed})`];
  const lines = [`${server}: ${v.ok ? 'ok' : 'FAILED'}: ${v.file} verifies (${signed}); live tools:`];
  for (const t of v.tools) {
    const what =
      t.status === 'ok'
        ? `ok ${shortHash(t.hash)}`
        : t.status === 'mismatch'
          ? `does not match: signed ${shortHash(t.expected)}, live ${shortHash(t.actual)} (blocked)`
          : t.status === 'extra'
            ? `not in the manifest (blocked)`
            : `signed but no longer listed`;
    lines.push(`  ${t.tool}: ${what}`);
  }
  return lines;
}
