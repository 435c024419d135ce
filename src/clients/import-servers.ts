/**
 * Importing client servers into the gateway config (issue 8, `init` and `install`). Each server a client runs on
 * its own becomes a gateway server: references translated (entries.ts), inline secrets moved to the credential
 * vault (issue 18: the OS keychain or the encrypted file) as `<server>.<KEY>` and referenced as
 * `${keychain:<server>.<KEY>}`, the names `secrets migrate` gives the older `<home>/secrets/<server>.env` files.
 * Without a vault (ImportPaths.vault unset) they go to `<home>/secrets/<server>.env` (0600) as before, referenced as
 * `${file:secrets/<server>.env#KEY}`; such references are still read (and compared) either way.
 *
 * Importing is a merge and never duplicates: a server whose definition (secret values included) is already in the
 * gateway config, under any name, is skipped; a name taken by a different definition gets the client's id as a
 * suffix. The plan is computed first and written only by `applyImport`, so `--dry-run` shows exactly what would
 * happen.
 *
 * A file server (server-filesystem and look-alikes) gets `roots` from its own arguments (issue 15, class 9): the
 * directories it was told to serve are the ones its path arguments must stay in, so the gateway's path check is as
 * narrow as the server's own. Only arguments after the package name that are existing directories, absolute or
 * `~/…`, count; without any, the server gets no roots (and the note says so in its description).
 *
 * Each imported stdio server also gets a sandbox profile (issue 19), proposed from its command line by
 * known-hosts.ts (an API's hosts, a launcher's registry, or the default profile), and `init` prints which and why.
 * A user may change it afterwards: like roots, it is left out when deciding whether a server is already present.
 *
 * Failure mode: an existing gateway config that does not parse throws, and nothing is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { formatDotenvLine, parseDotenv } from '../config/refs.js';
import type { ClientInfo } from './catalog.js';
import { editJsonc, parseJsonc, writeAtomic, type Edit } from './client-file.js';
import { gatewayServerName, isGatewayEntry, toGatewayServer, type ClientServer } from './entries.js';
import { headerKey, isInlineSecret, secretArgs } from './inline-secrets.js';
import { describeProposal, proposeSandbox } from './known-hosts.js';
import { expandHome } from '../config/paths.js';
import { getNodeValue } from 'jsonc-parser';
import type { SecretStore } from '../vault/types.js';

export interface ImportPaths {
  /** <home>: the folder holding config.json and secrets/. */
  home: string;
  /** The gateway config file. */
  config: string;
  /** The folder that references in the config are relative to (the config file's). */
  schema?: string;
  /** The credential vault the moved secrets go to, opened only when there is one to move or compare. */
  vault?: () => SecretStore;
}

export interface ImportedServer {
  from: ClientServer;
  client: ClientInfo;
  /** The name in the gateway config. */
  name: string;
  /** new: added; present: already there; updated: its key values changed in the client; skipped: not importable. */
  status: 'new' | 'present' | 'updated' | 'skipped';
  /** Why it was skipped, or under which name it is present. */
  note?: string;
  /** Keys moved out into the vault (or the secrets file). */
  moved: string[];
  /** stdio, new: the sandbox profile proposed, in a few words, and why (one line of `init`). */
  sandbox?: string;
}

export interface ImportPlan {
  servers: ImportedServer[];
  /** The new config text, or undefined when nothing changes. */
  configText?: string;
  configExists: boolean;
  /** Secrets files to write, with their full new text. */
  secrets: Map<string, string>;
  /** Secrets to put in the vault: name → value. */
  vaultSecrets: Map<string, string>;
}

/** The Candidate.secrets key of a vault secret (a .env one is `<file>#<KEY>`). */
const VAULT_KEY = 'keychain:';

interface Candidate {
  def: Record<string, unknown>;
  secrets: Map<string, string>;
}

export function readGatewayConfig(
  file: string,
): { text: string; servers: Record<string, unknown>; hasServers: boolean } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const root = parseJsonc(text, file);
  // Through JSON, because jsonc-parser builds prototype-less objects, which isDeepStrictEqual never equates.
  const value = JSON.parse(JSON.stringify(root ? getNodeValue(root) : {})) as { servers?: Record<string, unknown> };
  return { text, servers: value.servers ?? {}, hasServers: value.servers !== undefined };
}

/** The secret values a definition refers to through `${file:secrets/<x>.env#KEY}` or `${keychain:NAME}`. */
function secretsOf(def: unknown, configDir: string, vault: (() => SecretStore) | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const text = JSON.stringify(def);
  for (const m of text.matchAll(/\$\{keychain:([^}]+)\}/g))
    // A vault that cannot be read compares as "no value": the definition is then not "present", and planning goes
    // on to write, where the vault's error stops it.
    try {
      out.set(`${VAULT_KEY}${m[1]}`, vault?.().get(m[1]!) ?? '');
    } catch {
      out.set(`${VAULT_KEY}${m[1]}`, '');
    }
  for (const m of text.matchAll(/\$\{file:([^}#]+)#([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    try {
      const values = parseDotenv(fs.readFileSync(path.resolve(configDir, m[1]!), 'utf8'));
      out.set(`${m[1]}#${m[2]}`, values.get(m[2]!) ?? '');
    } catch {
      out.set(`${m[1]}#${m[2]}`, '');
    }
  }
  return out;
}

/**
 * The package or program of a file server: `@modelcontextprotocol/server-filesystem` (any version or path to its
 * script), and look-alikes such as `mcp-server-filesystem`, `filesystem-mcp-server`, `mcp-filesystem`,
 * `fs-mcp-server`, `mcp-server-fs`.
 */
const FILE_SERVER_NAME = /^(mcp[-_]?)?(server[-_]?)?(file[-_]?system|fs)([-_]?(mcp|server))*$/;

function isFileServerArg(arg: string): boolean {
  const base = arg
    .toLowerCase()
    .replace(/[/\\](dist|build|lib)[/\\]index\.[cm]?js$/, '')
    .replace(/\.[cm]?js$/, '')
    .replace(/(.)@[^/\\@]*$/, '$1')
    .split(/[/\\]/)
    .at(-1)!;
  return FILE_SERVER_NAME.test(base) && /mcp|server/.test(base);
}

/** The directories a file server was started with, when the definition names one; undefined otherwise. */
export function fileServerRoots(def: Record<string, unknown>, home: string): string[] | undefined {
  if (typeof def.command !== 'string' || def.roots !== undefined) return undefined;
  const argv = [def.command, ...((def.args as string[] | undefined) ?? [])];
  const at = argv.findIndex(isFileServerArg);
  if (at < 0) return undefined;
  const roots = argv.slice(at + 1).filter((a) => {
    if (a.startsWith('-') || a.includes('${') || !(a.startsWith('/') || a === '~' || a.startsWith('~/'))) return false;
    try {
      return fs.statSync(expandHome(a, { HOME: home })).isDirectory();
    } catch {
      return false;
    }
  });
  return roots;
}

/** Compared without the free-text description, the enabled flag and roots, which a user may have changed. */
function sameShape(a: Candidate, b: Candidate): boolean {
  const strip = (d: Record<string, unknown>) => {
    const { description: _d, enabled: _e, roots: _r, sandbox: _s, ...rest } = d;
    return rest;
  };
  return isDeepStrictEqual(strip(a.def), strip(b.def));
}

function sameDefinition(a: Candidate, b: Candidate): boolean {
  return sameShape(a, b) && isDeepStrictEqual(a.secrets, b.secrets);
}

/** The servers init imported from this very client file say so in their description. */
function importedFrom(def: Record<string, unknown>, file: string): boolean {
  return typeof def.description === 'string' && def.description.includes(`(${file})`);
}

/** The client's server as a gateway definition, its inline secrets moved into the vault (or `secrets/<name>.env`). */
function candidate(
  s: ClientServer,
  client: ClientInfo,
  name: string,
  home: string,
  toVault: boolean,
): Candidate & { moved: string[]; sandbox?: string } {
  const def = toGatewayServer(s, home, client.name);
  const rel = `secrets/${name}.env`;
  const secrets = new Map<string, string>();
  const moved: string[] = [];
  /** Records the secret and returns the reference that replaces it. */
  const stash = (key: string, value: string): string => {
    if (toVault) {
      secrets.set(`${VAULT_KEY}${name}.${key}`, value);
      return `\${keychain:${name}.${key}}`;
    }
    secrets.set(`${rel}#${key}`, value);
    return `\${file:${rel}#${key}}`;
  };
  const move = (field: 'env' | 'headers', keyOf: (k: string) => string) => {
    const map = def[field] as Record<string, string> | undefined;
    if (!map) return;
    for (const [k, v] of Object.entries(map))
      if (isInlineSecret(k, v)) {
        map[k] = stash(keyOf(k), v);
        moved.push(`${field}.${k}`);
      }
  };
  move('env', (k) => k);
  move('headers', headerKey);
  const roots = fileServerRoots(def, home);
  if (roots !== undefined && roots.length > 0) def.roots = roots;
  else if (roots !== undefined)
    def.description = `${String(def.description)}; no roots: none of its arguments is an existing absolute directory, so path arguments are not confined`;
  let sandbox: string | undefined;
  if (typeof def.command === 'string') {
    // Proposed from the command as the client wrote it, before a key on the command line becomes a reference.
    const proposal = proposeSandbox(def.command, (def.args as string[] | undefined) ?? []);
    def.sandbox = proposal.sandbox;
    const why = [proposal.why];
    if (roots !== undefined && roots.length > 0 && proposal.sandbox !== false)
      why.push(`its folders ${roots.join(', ')} are its roots, mounted read-write`);
    sandbox = `${describeProposal(proposal)}: ${why.join('; ')}`;
  }
  // A key given on the command line (`--api-key sk-…`) moves too, as ARG_<index>.
  const args = def.args as string[] | undefined;
  if (args)
    for (const i of secretArgs(args)) {
      args[i] = stash(`ARG_${i}`, args[i]!);
      moved.push(`args[${i}]`);
    }
  return { def, secrets, moved, ...(sandbox !== undefined ? { sandbox } : {}) };
}

export function planImport(
  sources: readonly { client: ClientInfo; servers: readonly ClientServer[] }[],
  paths: ImportPaths,
  home: string,
): ImportPlan {
  const existing = readGatewayConfig(paths.config);
  const configDir = path.dirname(paths.config);
  const known = new Map<string, Candidate>(
    Object.entries(existing?.servers ?? {}).map(([name, def]) => [
      name,
      { def: def as Record<string, unknown>, secrets: secretsOf(def, configDir, paths.vault) },
    ]),
  );
  const edits: Edit[] = [];
  const added: Record<string, unknown> = {};
  const secretFiles = new Map<string, Map<string, string>>();
  const vaultSecrets = new Map<string, string>();
  const toVault = paths.vault !== undefined;
  const out: ImportedServer[] = [];
  const addSecrets = (secrets: Map<string, string>) => {
    for (const [ref, value] of secrets) {
      if (ref.startsWith(VAULT_KEY)) {
        vaultSecrets.set(ref.slice(VAULT_KEY.length), value);
        continue;
      }
      const [rel, key] = ref.split('#') as [string, string];
      const file = path.resolve(configDir, rel);
      const map = secretFiles.get(file) ?? new Map<string, string>();
      map.set(key, value);
      secretFiles.set(file, map);
    }
  };
  for (const { client, servers } of sources)
    for (const s of servers) {
      if (isGatewayEntry(s)) continue;
      if (s.invalid !== undefined) {
        out.push({ from: s, client, name: s.name, status: 'skipped', note: s.invalid, moved: [] });
        continue;
      }
      const base = gatewayServerName(s.name);
      const names = [base, gatewayServerName(`${base.slice(0, 31 - client.id.length)}-${client.id}`)];
      for (let i = 2; i < 10; i++) names.push(gatewayServerName(`${names[1]!.slice(0, 29)}-${i}`));
      let done = false;
      // A server imported before the vault refers to its secrets with ${file:secrets/…}: it is compared in that form
      // too, so that running init again does not import it a second time.
      const forms = toVault ? [true, false] : [false];
      // Present under any name, with the same definition: nothing to do.
      for (const [name, k] of known) {
        const c = forms.map((v) => candidate(s, client, name, home, v)).find((x) => sameDefinition(x, k));
        if (c) {
          out.push({ from: s, client, name, status: 'present', moved: c.moved });
          done = true;
          break;
        }
      }
      if (done) continue;
      // The same server from the same client file with new key values: the key was rotated in the client. Update the
      // secret (where the server's references say it is) rather than import a second server beside the stale one.
      const prior = known.get(base);
      if (prior && importedFrom(prior.def, s.file)) {
        const c = forms.map((v) => candidate(s, client, base, home, v)).find((x) => sameShape(x, prior));
        if (c && c.secrets.size > 0) {
          known.set(base, c);
          addSecrets(c.secrets);
          out.push({ from: s, client, name: base, status: 'updated', note: 'new key values', moved: c.moved });
          continue;
        }
      }
      const name = names.find((n) => !known.has(n));
      if (name === undefined) {
        out.push({ from: s, client, name: base, status: 'skipped', note: 'no free name', moved: [] });
        continue;
      }
      const c = candidate(s, client, name, home, toVault);
      known.set(name, c);
      added[name] = c.def;
      edits.push({ at: ['servers', name], value: c.def });
      addSecrets(c.secrets);
      out.push({
        from: s,
        client,
        name,
        status: 'new',
        moved: c.moved,
        ...(c.sandbox !== undefined ? { sandbox: c.sandbox } : {}),
        ...(name !== base ? { note: `"${base}" is taken by another definition` } : {}),
      });
    }
  const plan: ImportPlan = {
    servers: out,
    configExists: existing !== undefined,
    secrets: new Map(),
    vaultSecrets,
  };
  if (existing === undefined) {
    const doc: Record<string, unknown> = {};
    if (paths.schema !== undefined) doc.$schema = paths.schema;
    doc.servers = added;
    plan.configText = `${JSON.stringify(doc, null, 2)}\n`;
  } else if (edits.length > 0) {
    // A config written without a "servers" map gets one; the edits then add to it.
    const pre: Edit[] = existing.hasServers ? [] : [{ at: ['servers'], value: {} }];
    plan.configText = editJsonc(existing.text, [...pre, ...edits]);
  }
  for (const [file, values] of secretFiles) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = `# Secrets moved out of client configs by secure-mcp-gateway; referenced as \${file:…#KEY}. Keep mode 0600.\n`;
    }
    const have = parseDotenv(text);
    for (const [k, v] of values) {
      if (have.get(k) === v) continue;
      // A changed key is replaced in place; a new one is appended.
      const line = formatDotenvLine(k, v);
      const re = new RegExp(`^(?:export\\s+)?${k}\\s*=.*$`, 'm');
      text = re.test(text)
        ? text.replace(re, line)
        : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${line}\n`;
    }
    plan.secrets.set(file, text);
  }
  return plan;
}

/** Writes the plan: the home folder (0700), the secrets (vault; files 0600, folder 0700), then the config (0600). */
export function applyImport(plan: ImportPlan, paths: ImportPaths): void {
  ensurePrivateDir(paths.home);
  if (plan.vaultSecrets.size > 0) {
    if (!paths.vault) throw new Error('internal: secrets for the vault, but no vault');
    const vault = paths.vault();
    for (const [name, value] of plan.vaultSecrets) vault.set(name, value);
  }
  for (const [file, text] of plan.secrets) {
    ensurePrivateDir(path.dirname(file));
    writeAtomic(file, text, 0o600);
    fs.chmodSync(file, 0o600);
  }
  if (plan.configText !== undefined) writeAtomic(paths.config, plan.configText, 0o600);
}

export function ensurePrivateDir(dir: string): void {
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}
