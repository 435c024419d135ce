/**
 * Edits the config file for the admin commands (`project`, `user`, `member`): each change is a jsonc-parser edit
 * at a JSON path, so the rest of the file keeps its order and formatting. The edited text must load as a valid
 * config (schema and cross-references) before it is written; it then replaces the file by rename of a temp file
 * with the same mode, so a running `serve` reloads either the old file or the new one, never half of one.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
// The ESM build: the UMD one that "main" names loads its parts with a dynamic require that a bundle cannot follow.
import { applyEdits, modify, type JSONPath } from 'jsonc-parser';
import { parseConfig, readConfigText, type LoadedConfig } from '../config/load.js';

export interface ConfigChange {
  path: JSONPath;
  /** undefined removes the property. */
  value: unknown;
}

export function applyChanges(text: string, changes: readonly ConfigChange[]): string {
  let out = text;
  for (const c of changes)
    out = applyEdits(
      out,
      modify(out, c.path, c.value, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } }),
    );
  return out;
}

/** Applies the changes, checks the result loads, writes it atomically; returns the new config. */
export function editConfig(
  file: string,
  changes: (loaded: LoadedConfig) => ConfigChange[],
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const text = readConfigText(file);
  const current = parseConfig(text, file, env);
  const next = applyChanges(text, changes(current));
  const loaded = parseConfig(next, file, env);
  const mode = fs.statSync(file).mode & 0o777;
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, next.endsWith('\n') ? next : `${next}\n`, { mode });
  fs.renameSync(tmp, file);
  return loaded;
}
