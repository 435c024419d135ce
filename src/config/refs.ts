/**
 * Secret references in config strings: `${env:NAME}` takes an environment variable and `${file:PATH}` takes a
 * file's contents (trailing newline removed; `~` and paths relative to the config file are resolved). `$${` is a
 * literal `${`. A reference that cannot be resolved is a config error that names the JSON path, because starting
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
    const file = path.resolve(ctx.baseDir, expandHome(name, ctx.env));
    try {
      return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new RefError(`cannot read ${file} (${code}), referenced as \${file:${name}}`);
    }
  });
}

/** True when the string holds at least one reference, i.e. its resolved value may be a secret. */
export function hasRef(value: string): boolean {
  return /\$\{(env|file):/.test(value);
}
