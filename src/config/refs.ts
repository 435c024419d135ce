/**
 * Secret references in config strings: `${env:NAME}` takes an environment variable and `${file:PATH}` takes a
 * file's contents (trailing newline removed; `~` and paths relative to the config file are resolved), and
 * `${file:PATH#KEY}` takes one KEY=value line of a .env file (how `init` stores the secrets it moves out of client
 * configs before issue 18: one 0600 file per server, many keys), and `${keychain:NAME}` takes a secret from the credential
 * vault (the OS keychain or the encrypted file, src/vault/open.ts). `$${` is a literal `${`. A reference that cannot be resolved is a config error that names the JSON path, because starting
 * an upstream with an empty token would fail later and more obscurely.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openVault } from '../vault/open.js';
import { SECRET_NAME, VaultError } from '../vault/types.js';
import { expandHome, resolvePaths } from './paths.js';

const REF = /\$\$\{|\$\{(env|file|keychain):([^}]*)\}/g;

export interface RefContext {
  env: NodeJS.ProcessEnv;
  /** Folder of the config file, for relative ${file:...} paths. */
  baseDir: string;
  /** The gateway's home, where the vault is (default: SMG_HOME or ~/.secure-mcp-gateway from `env`). */
  home?: string | undefined;
}

export class RefError extends Error {}

/** Resolves every reference in `value`, or throws RefError naming what is missing. */
export function resolveRefs(value: string, ctx: RefContext): string {
  return value.replace(REF, (match, kind: string | undefined, arg: string | undefined) => {
    if (match === '$${') return '${';
    const name = (arg ?? '').trim();
    if (name === '') throw new RefError(`empty \${${kind}:} reference`);
    if (kind === 'env') {
      const v = ctx.env[name];
      if (v === undefined)
        throw new RefError(`environment variable ${name} is not set (referenced as \${env:${name}})`);
      return v;
    }
    if (kind === 'keychain') return fromVault(name, ctx);
    // A path may itself contain "#"; only a trailing #NAME that is a variable name selects a .env key.
    const keyed = /^(.+)#([A-Za-z_][A-Za-z0-9_]*)$/.exec(name);
    const file = path.resolve(ctx.baseDir, expandHome(keyed ? keyed[1]! : name, ctx.env));
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new RefError(`cannot read ${file} (${code}), referenced as \${file:${name}}`);
    }
    if (!keyed) return text.replace(/\r?\n$/, '');
    const value = parseDotenv(text).get(keyed[2]!);
    if (value === undefined) throw new RefError(`${file} has no ${keyed[2]}= line, referenced as \${file:${name}}`);
    return value;
  });
}

/** A `${keychain:NAME}` value. A vault that cannot be read is a RefError too: the reference fails closed. */
function fromVault(name: string, ctx: RefContext): string {
  if (!SECRET_NAME.test(name))
    throw new RefError(`invalid secret name in \${keychain:${name}}: use letters, digits and _ . : / @ -`);
  const home = ctx.home ?? resolvePaths({}, ctx.env).home;
  let value: string | undefined;
  let where: string;
  try {
    const vault = openVault({ home, env: ctx.env });
    where = vault.where;
    value = vault.get(name);
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    throw new RefError(`cannot read \${keychain:${name}} from the credential vault: ${error.message}`);
  }
  if (value === undefined)
    throw new RefError(
      `secret ${name} is not in the vault (${where}); add it with \`secure-mcp-gateway secrets set ${name}\``,
    );
  return value;
}

/**
 * The KEY=value lines of a .env file: `#` comments and blank lines skipped, an optional `export `, values either
 * bare (trimmed) or double-quoted with JSON escapes (what `init` writes), or single-quoted (taken literally).
 */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        value = value.slice(1, -1);
      }
    } else if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) value = value.slice(1, -1);
    out.set(m[1]!, value);
  }
  return out;
}

/** One KEY=value line that parseDotenv reads back exactly: quoted (JSON escapes) unless the value is plain. */
export function formatDotenvLine(key: string, value: string): string {
  return /^[A-Za-z0-9_\-.:/+=@]*$/.test(value) ? `${key}=${value}` : `${key}=${JSON.stringify(value)}`;
}

/** True when the string holds at least one reference, i.e. its resolved value may be a secret. */
export function hasRef(value: string): boolean {
  return /\$\{(env|file|keychain):/.test(value);
}
