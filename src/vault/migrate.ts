/**
 * `secrets migrate` (issue 18): moves the secrets that `init` used to keep in `<home>/secrets/<X>.env` files into the
 * vault. Every `${file:PATH#KEY}` reference whose file is a .env file in `<home>/secrets/` becomes
 * `${keychain:<X>.<KEY>}` (X: the file name without .env, which init named after the server; so the same reference
 * gets the same name on every run and on every machine). The config is edited in place with jsonc-parser, so its
 * comments and formatting stay; a moved KEY line is then removed from its .env file, and a file left with no KEY
 * line is removed.
 *
 * Planning reads only; `applyMigration` writes in the order that loses nothing when it stops half-way: the vault
 * first, then the config (a backup first), then the .env files. Running it again finds nothing to move (idempotent).
 * Failure mode: closed. A reference whose file or key is missing, or whose name already holds another value in the
 * vault, is not moved and is reported; the new config must load before it is written.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { findNodeAtLocation, getNodeValue, parseTree, type JSONPath, type Node } from 'jsonc-parser';
import { editJsonc, writeAtomic } from '../clients/client-file.js';
import { parseConfig } from '../config/load.js';
import { expandHome } from '../config/paths.js';
import { parseDotenv } from '../config/refs.js';
import { SECRET_NAME, type SecretStore } from './types.js';

export interface MigrationMove {
  /** The JSON path of the string holding the reference. */
  at: JSONPath;
  ref: string;
  file: string;
  key: string;
  /** The vault name: `<X>.<KEY>`. */
  name: string;
}

export interface MigrationPlan {
  moves: MigrationMove[];
  /** References left as they are, and why. */
  skipped: { at: JSONPath; ref: string; why: string }[];
  /** name → value, to put in the vault. Never printed. */
  values: Map<string, string>;
  /** The config's new text, or undefined when nothing moves. */
  configText?: string;
  /** .env file → its new text, or null to remove it. */
  envFiles: Map<string, string | null>;
}

const FILE_REF = /\$\{file:([^}]*)#([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The vault name a `<home>/secrets/<X>.env#KEY` reference moves to. */
export function migratedName(file: string, key: string): string {
  return `${path.basename(file, '.env')}.${key}`;
}

/** Every string in the tree, with its JSON path. */
function strings(node: Node, at: JSONPath, out: { at: JSONPath; value: string }[]): void {
  if (node.type === 'string') out.push({ at, value: node.value as string });
  else if (node.type === 'object')
    for (const prop of node.children ?? []) {
      const [k, v] = prop.children ?? [];
      if (k && v) strings(v, [...at, k.value as string], out);
    }
  else if (node.type === 'array') (node.children ?? []).forEach((c, i) => strings(c, [...at, i], out));
}

export function planMigration(opts: {
  configFile: string;
  text: string;
  home: string;
  env: NodeJS.ProcessEnv;
  vault: SecretStore;
}): MigrationPlan {
  const plan: MigrationPlan = { moves: [], skipped: [], values: new Map(), envFiles: new Map() };
  const root = parseTree(opts.text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return plan;
  const secretsDir = path.join(opts.home, 'secrets');
  const baseDir = path.dirname(opts.configFile);
  const dotenv = new Map<string, Map<string, string> | null>();
  const read = (file: string) => {
    if (!dotenv.has(file))
      try {
        dotenv.set(file, parseDotenv(fs.readFileSync(file, 'utf8')));
      } catch {
        dotenv.set(file, null);
      }
    return dotenv.get(file)!;
  };
  const found: { at: JSONPath; value: string }[] = [];
  strings(root, [], found);
  const edits: { at: JSONPath; value: string }[] = [];
  for (const { at, value } of found) {
    let next = value;
    for (const m of value.matchAll(FILE_REF)) {
      const [ref, rawPath, key] = m as unknown as [string, string, string];
      const file = path.resolve(baseDir, expandHome(rawPath.trim(), opts.env));
      if (path.dirname(file) !== secretsDir || !file.endsWith('.env')) continue;
      const name = migratedName(file, key);
      const skip = (why: string) => plan.skipped.push({ at, ref, why });
      if (!SECRET_NAME.test(name)) {
        skip(`${name} is not a valid secret name`);
        continue;
      }
      const values = read(file);
      const secret = values?.get(key);
      if (secret === undefined) {
        skip(values ? `${file} has no ${key}= line` : `cannot read ${file}`);
        continue;
      }
      const known = plan.values.get(name) ?? opts.vault.get(name);
      if (known !== undefined && known !== secret) {
        skip(`the vault already holds a different ${name}`);
        continue;
      }
      plan.values.set(name, secret);
      plan.moves.push({ at, ref, file, key, name });
      next = next.split(ref).join(`\${keychain:${name}}`);
    }
    if (next !== value) edits.push({ at, value: next });
  }
  if (edits.length === 0) return plan;
  plan.configText = editJsonc(opts.text, edits);
  // A KEY line leaves its file only when no reference to it is left in the new config (a skipped one keeps it).
  const left = new Set<string>();
  for (const m of plan.configText.matchAll(FILE_REF))
    left.add(`${path.resolve(baseDir, expandHome(m[1]!.trim(), opts.env))}#${m[2]}`);
  for (const file of new Set(plan.moves.map((mv) => mv.file))) {
    const keys = new Set(
      plan.moves.filter((mv) => mv.file === file && !left.has(`${file}#${mv.key}`)).map((mv) => mv.key),
    );
    const lines = fs.readFileSync(file, 'utf8').split(/(?<=\n)/);
    const kept = lines.filter((line) => {
      const k = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
      return k === undefined || !keys.has(k);
    });
    const anyKey = kept.some((line) => /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line));
    plan.envFiles.set(file, anyKey ? kept.join('') : null);
  }
  return plan;
}

/** Writes a plan: the vault, a backup of the config and the new config, then the .env files. */
export function applyMigration(
  plan: MigrationPlan,
  opts: { configFile: string; home: string; env: NodeJS.ProcessEnv; vault: SecretStore },
): { backup?: string } {
  if (plan.configText === undefined) return {};
  // The new text must be a valid config before anything is written (its new references resolve once the vault
  // holds the values; until then they only make their servers unavailable, which is no error here).
  parseConfig(plan.configText, opts.configFile, { ...opts.env, SMG_HOME: opts.home });
  for (const [name, value] of plan.values) if (opts.vault.get(name) !== value) opts.vault.set(name, value);
  const backups = path.join(opts.home, 'backups');
  fs.mkdirSync(backups, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const backup = path.join(
    backups,
    `${path.basename(opts.configFile)}.${stamp}.${crypto.randomBytes(2).toString('hex')}.before-migrate`,
  );
  fs.copyFileSync(opts.configFile, backup);
  fs.chmodSync(backup, 0o600);
  writeAtomic(opts.configFile, plan.configText, 0o600);
  for (const [file, text] of plan.envFiles)
    if (text === null) fs.rmSync(file, { force: true });
    else writeAtomic(file, text, 0o600);
  return { backup };
}

/** The value at `at` in `text` (for tests and the dry run). */
export function stringAt(text: string, at: JSONPath): unknown {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const node = root && findNodeAtLocation(root, at);
  return node ? (getNodeValue(node) as unknown) : undefined;
}
