/**
 * Secret references in config strings: `${env:NAME}` takes an environment variable and `${file:PATH}` takes a
 * file's contents (trailing newline removed; `~` and paths relative to the config file are resolved), and
 * `${file:PATH#KEY}` takes one KEY=value line of a .env file (how `init` stores the secrets it moves out of client
 * configs: one 0600 file per server, many keys). `$${` is a literal `${`. A reference that cannot be resolved is a config error that names the JSON path, because starting
 * an upstream with an empty token would fail later and more obscurely.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expandHome } from './paths.js';

const REF = /\$\$\{|\$\{(env|file):([^}]*)\}/g;

export interface RefContext {
  env: NodeJS.ProcessEnv;
  /** Folder of the config file, for relative ${file:...} paths. */
  baseDir: string;
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
  return /\$\{(env|file):/.test(value);
}
