/**
 * `tools diff S[/T]`, `tools approve S[/T]` and `tools revoke S[/T]`: a person's side of the pin lockfile. Each lists
 * the server's live tools (one connection, catalogs.ts), then
 * - diff: writes a unified diff of the pinned definition against the live one (definitionDiff), for one tool or for
 *   every tool that is new, changed, revoked with another definition, or removed; nothing is written to any file;
 * - approve: trusts the live definition (PinStore.approve), or the pinned one of a tool no longer listed;
 * - revoke: blocks a tool whatever it becomes (PinStore.revoke). A revocation must not depend on the server being
 *   up, so when it cannot be listed the pinned tools are revoked from the lockfile alone.
 * Each returns lines that say what changed, with the state before.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { LoadedConfig } from '../config/load.js';
import type { GatewayPaths } from '../config/paths.js';
import { definitionDiff } from '../integrity/diff.js';
import { atLeast } from '../integrity/findings.js';
import { HASH_VERSION, toolDefinitionAt, toolHash } from '../integrity/hash.js';
import { compareCatalog, type Lockfile, type ToolStatus } from '../integrity/lockfile.js';
import { createPoisoningScanner } from '../integrity/poisoning.js';
import type { Logger } from '../log.js';
import type { Catalog } from '../upstream/catalog.js';
import { fetchCatalogs, neighbours, parseTarget, pinStoreFor, selectServers, shortHash } from './catalogs.js';

export interface DiffOutcome {
  /** The unified diffs, one after the other ('' when nothing differs). */
  patch: string;
  /** How many tools differ from their pins. */
  different: number;
  /** One line for stderr: how many differ, or that the one tool is the same as pinned. */
  summary: string;
}

interface Target {
  server: string;
  tool: string | undefined;
  catalog: Catalog | undefined;
  error: string | undefined;
  lock: Lockfile;
}

/** The target's server, its live catalog (or why it could not be listed) and the lockfile as it is now. */
async function open(loaded: LoadedConfig, paths: GatewayPaths, target: string, log: Logger): Promise<Target> {
  const { server, tool } = parseTarget(target);
  const selected = selectServers(loaded, server);
  const lock = await pinStoreFor(loaded, paths).read();
  const [listed] = await fetchCatalogs(loaded, selected, log);
  return { server, tool, catalog: listed?.catalog, error: listed?.error, lock };
}

function liveOrThrow(t: Target): Catalog {
  if (t.catalog === undefined) throw new Error(`cannot list the tools of ${t.server}: ${t.error ?? 'no answer'}`);
  return t.catalog;
}

/** Statuses of the target tool, or of every tool of the server (in list order, removed ones last). */
function statuses(t: Target, catalog: Catalog): ToolStatus[] {
  const all = compareCatalog(t.lock, t.server, catalog.tools, 'off').tools;
  if (t.tool === undefined) return all;
  const one = all.filter((s) => s.tool === t.tool);
  if (one.length === 0)
    throw new Error(`server "${t.server}" has no tool "${t.tool}": it is neither listed nor pinned`);
  return one;
}

export async function diffTools(
  loaded: LoadedConfig,
  paths: GatewayPaths,
  target: string,
  log: Logger,
): Promise<DiffOutcome> {
  const t = await open(loaded, paths, target, log);
  const catalog = liveOrThrow(t);
  const pins = Object.hasOwn(t.lock.servers, t.server) ? t.lock.servers[t.server]!.tools : {};
  const patches: string[] = [];
  let same = '';
  const all = statuses(t, catalog);
  for (const s of all) {
    const name = `${t.server}/${s.tool}`;
    const pin = Object.hasOwn(pins, s.tool) ? pins[s.tool] : undefined;
    const hash = s.status === 'changed' ? s.newHash : s.hash;
    // A name listed twice: show the definition that differs from the pin.
    const live =
      s.status === 'removed' ? undefined : catalog.tools.find((x) => x.name === s.tool && toolHash(x) === hash);
    // An unchanged pin of an older hash version is shown as that version saw it (no spurious difference in the
    // fields it did not cover); anything else as the current version hashes it, so that what an approval would
    // trust (the _meta included) is on screen.
    const version = s.status === 'pinned' ? (pin?.hashVersion ?? 1) : HASH_VERSION;
    const patch = definitionDiff(pin?.definition, live === undefined ? undefined : toolDefinitionAt(live, version), {
      oldLabel: pin === undefined ? `${name} (not pinned)` : `${name} ${pin.state} ${shortHash(pin.hash)}`,
      newLabel: live === undefined ? `${name} (not listed)` : `${name} live ${shortHash(hash)}`,
    });
    if (patch === '') same = `${name}: the same as ${pin?.state ?? 'pinned'} (${shortHash(hash)})`;
    else patches.push(patch);
  }
  const summary =
    t.tool !== undefined && patches.length === 0
      ? same
      : `${t.server}: ${patches.length} of ${all.length} tools differ from their pins`;
  return { patch: patches.join(''), different: patches.length, summary };
}

const before = (s: ToolStatus | undefined): string => {
  switch (s?.status) {
    case undefined:
      return 'was not known';
    case 'new':
      return `was new, ${shortHash(s.hash)}`;
    case 'pinned':
      return `was ${s.state}, unchanged, ${shortHash(s.hash)}`;
    case 'changed':
      return `was changed: ${s.state} ${shortHash(s.oldHash)}, live ${shortHash(s.newHash)}`;
    case 'revoked':
      return `was revoked, live ${shortHash(s.hash)}`;
    case 'removed':
      return `was ${s.state} ${shortHash(s.hash)} and is no longer listed`;
  }
};

/**
 * `tools approve` or `tools revoke`. Approval needs the live definitions; a revocation goes ahead from the pins alone
 * when the server cannot be listed, because blocking a tool must not depend on the server being up.
 */
export async function changePins(
  verb: 'approve' | 'revoke',
  loaded: LoadedConfig,
  paths: GatewayPaths,
  target: string,
  by: string,
  log: Logger,
): Promise<string[]> {
  const t = await open(loaded, paths, target, log);
  const lines: string[] = [];
  if (t.catalog === undefined) {
    if (verb === 'approve') liveOrThrow(t);
    lines.push(`note: cannot list the tools of ${t.server} (${t.error ?? 'no answer'}); revoking from the pins alone`);
  }
  const live = t.catalog?.tools ?? [];
  const was = compareCatalog(t.lock, t.server, live, 'off').tools;
  const store = pinStoreFor(loaded, paths);
  const one = t.tool === undefined ? {} : { tool: t.tool };
  const done =
    verb === 'approve'
      ? await store.approve(t.server, live, { ...one, by })
      : await store.revoke(t.server, { ...one, by, tools: live });
  for (const name of done) lines.push(`${verb}d ${t.server}/${name} (${before(was.find((s) => s.tool === name))})`);
  if (verb === 'approve') lines.push(...stillPoisoned(loaded, t, live, done));
  return lines;
}

/** Approval trusts a definition; it does not overrule the poisoning scan, which still hides a poisoned tool. */
function stillPoisoned(loaded: LoadedConfig, t: Target, live: readonly Tool[], approved: readonly string[]): string[] {
  const poisoning = loaded.config.integrity.poisoning;
  if (poisoning.action !== 'block') return [];
  const others = neighbours(
    t.server,
    loaded.servers.map((s) => s.name),
    [],
    t.lock,
  );
  const findings = createPoisoningScanner()
    .scanTools(live, { server: t.server, others })
    .filter((f) => approved.includes(f.tool) && atLeast(f.severity, poisoning.minSeverity));
  return [...new Set(findings.map((f) => f.tool))].map((name) => {
    const rules = new Set(findings.filter((f) => f.tool === name).map((f) => `${f.severity} ${f.ruleId}`));
    return `note: ${t.server}/${name} stays hidden by the poisoning scan (${[...rules].join(', ')})`;
  });
}
