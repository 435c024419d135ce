/**
 * `install` and `uninstall` of the gateway in one client file (issue 8). Install makes the gateway the file's only
 * MCP server: every other entry is removed (the caller has imported it into the gateway config first) and the
 * gateway's entry is added in the client's dialect. Before writing, a timestamped backup goes to
 * `<home>/backups/` (0600: client files hold keys), and the write is atomic and touches only the changed properties.
 * What was removed is recorded in `<home>/clients.json`, so that uninstall can put it back.
 *
 * Uninstall restores the backup byte for byte when the file is exactly as install left it; when the file changed
 * since (the client rewrote it, the user added settings), it removes the gateway entry and re-inserts the recorded
 * entries instead, keeping the later changes. Both are idempotent: a second install or uninstall changes nothing.
 *
 * Failure mode: a client file that does not parse is refused (nothing written); a state file that does not parse
 * is an error, because guessing would lose the entries it records.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { JSONPath } from 'jsonc-parser';
import type { ClientInfo } from './catalog.js';
import { editJsonc, readClientFile, writeAtomic, type Edit } from './client-file.js';
import { gatewayEntry, isGatewayEntry, type GatewayLaunch } from './entries.js';
import { ensurePrivateDir } from './import-servers.js';

/** The name of the gateway's own entry in every client. */
export const GATEWAY_ENTRY = 'secure-mcp-gateway';

export interface InstallRecord {
  client: string;
  installedAt: string;
  /** The backup taken before the first install; restored byte for byte while `sha256` still matches. */
  backup: string;
  /** The file did not exist before install: uninstall removes it. */
  created: boolean;
  /** SHA-256 of the file as install wrote it. */
  sha256: string;
  /** False once a later install had to edit a file the user had changed: uninstall then edits, never restores. */
  byteRestore: boolean;
  /** The entries install removed, to re-insert. */
  removed: { location: JSONPath; name: string; value: unknown }[];
}

export interface InstallState {
  files: Record<string, InstallRecord>;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function statePath(home: string): string {
  return path.join(home, 'clients.json');
}

export function readState(home: string): InstallState {
  const file = statePath(home);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: {} };
    throw error;
  }
  try {
    const v = JSON.parse(text) as InstallState;
    if (typeof v.files !== 'object' || v.files === null) throw new Error('no "files" map');
    return v;
  } catch (error) {
    throw new Error(`${file}: cannot read the install state (${(error as Error).message}); fix or remove it`, {
      cause: error,
    });
  }
}

function writeState(home: string, state: InstallState): void {
  ensurePrivateDir(home);
  writeAtomic(statePath(home), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export interface FileChange {
  file: string;
  action: 'install' | 'update' | 'unchanged' | 'restore' | 'edit' | 'remove' | 'not-installed';
  /** Entries moved out of (install) or back into (uninstall) the file. */
  entries: string[];
  backup?: string;
  /** The new text (install, update, edit), for --dry-run. */
  text?: string;
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/** Plans (and unless dryRun, performs) the install into one client file. */
export function installFile(
  client: ClientInfo,
  filePath: string,
  opts: { home: string; launch: GatewayLaunch; dryRun: boolean; now?: Date },
): FileChange {
  const file = client.files.find((f) => f.path === filePath);
  if (!file) throw new Error(`${filePath} is not a ${client.name} config file`);
  const read = readClientFile(client, file);
  const entry = gatewayEntry(client.dialect, opts.launch);
  const edits: Edit[] = [];
  const removed: InstallRecord['removed'] = [];
  let hasGateway = false;
  for (const s of read.servers) {
    if (isGatewayEntry(s)) {
      hasGateway = true;
      // Ours, but written by an older install (another node, another path): bring it up to date.
      if (s.name === GATEWAY_ENTRY && JSON.stringify(s.raw) !== JSON.stringify(entry))
        edits.push({ at: [...s.location, s.name], value: entry });
      continue;
    }
    if (s.invalid !== undefined) continue;
    edits.push({ at: [...s.location, s.name], value: undefined });
    removed.push({ location: s.location, name: s.name, value: s.raw });
  }
  // Added before the removals, so that jsonc-parser removes entries with their own commas (no stray "," left).
  if (!hasGateway) edits.unshift({ at: [client.serversKey, GATEWAY_ENTRY], value: entry });
  if (edits.length === 0) return { file: filePath, action: 'unchanged', entries: [] };
  const text = editJsonc(read.text, edits);
  const state = readState(opts.home);
  const prior = state.files[filePath];
  const change: FileChange = {
    file: filePath,
    action: prior ? 'update' : 'install',
    entries: removed.map((r) => r.name),
    text,
  };
  if (opts.dryRun) return change;
  const now = opts.now ?? new Date();
  const backups = path.join(opts.home, 'backups');
  ensurePrivateDir(backups);
  const backup = path.join(backups, `${client.id}-${path.basename(filePath)}-${stamp(now)}.bak`);
  // The backup of a file that did not exist is an empty file; `created` says to delete rather than restore it.
  fs.writeFileSync(backup, read.text, { mode: 0o600, flag: 'wx' });
  change.backup = backup;
  writeAtomic(filePath, text, 0o600);
  state.files[filePath] = prior
    ? {
        ...prior,
        installedAt: now.toISOString(),
        sha256: sha256(text),
        byteRestore: prior.byteRestore && prior.sha256 === sha256(read.text) && removed.length === 0,
        removed: [...prior.removed, ...removed],
      }
    : {
        client: client.id,
        installedAt: now.toISOString(),
        backup,
        created: !read.exists,
        sha256: sha256(text),
        byteRestore: true,
        removed,
      };
  writeState(opts.home, state);
  return change;
}

/** Plans (and unless dryRun, performs) the uninstall from one client file. */
export function uninstallFile(
  client: ClientInfo,
  filePath: string,
  opts: { home: string; dryRun: boolean },
): FileChange {
  const state = readState(opts.home);
  const rec = state.files[filePath];
  if (!rec) return { file: filePath, action: 'not-installed', entries: [] };
  let current: string | undefined;
  try {
    current = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const names = rec.removed.map((r) => r.name);
  let change: FileChange;
  if (current !== undefined && rec.byteRestore && sha256(current) === rec.sha256) {
    change = rec.created
      ? { file: filePath, action: 'remove', entries: names }
      : { file: filePath, action: 'restore', entries: names, backup: rec.backup };
    if (!opts.dryRun) {
      if (rec.created) fs.rmSync(filePath, { force: true });
      else writeAtomic(filePath, fs.readFileSync(rec.backup, 'utf8'));
    }
  } else {
    // A project file of another folder is not in this run's catalogue; it has the same format as the one that is.
    const file = client.files.find((f) => f.path === filePath) ?? {
      client: client.id,
      scope: 'project' as const,
      path: filePath,
      jsonc: client.files.some((f) => f.jsonc),
    };
    const read = readClientFile(client, file);
    const edits: Edit[] = [];
    const present = new Set(read.servers.map((s) => JSON.stringify([...s.location, s.name])));
    for (const s of read.servers) if (isGatewayEntry(s)) edits.push({ at: [...s.location, s.name], value: undefined });
    const back: string[] = [];
    for (const r of rec.removed)
      if (!present.has(JSON.stringify([...r.location, r.name]))) {
        edits.push({ at: [...r.location, r.name], value: r.value });
        back.push(r.name);
      }
    const text = editJsonc(read.text, edits);
    change = { file: filePath, action: 'edit', entries: back, text };
    if (!opts.dryRun) writeAtomic(filePath, text);
  }
  if (!opts.dryRun) {
    delete state.files[filePath];
    writeState(opts.home, state);
  }
  return change;
}
