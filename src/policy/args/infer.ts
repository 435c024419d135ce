/**
 * Automatic argument kinds (issue 4): guesses from an argument's name and its JSON Schema fragment which checker
 * suits it, so that a policy can say "check every path-like argument" without listing tools one by one.
 *
 * The heuristic, in order (the first that decides wins):
 * 1. Only free-text strings: a fragment whose `type` excludes "string", or that has `enum` / `const`, gets nothing.
 * 2. `format` uri, url, iri, uri-reference or iri-reference → url.
 * 3. The name is split into words (camelCase, snake_case, kebab-case) and the LAST word decides, so `filePath` and
 *    `output_dir` are paths but `fileContent`, `pathPattern` and `urlTemplate` are not:
 *    - path, file, filename, filepath, pathname, dir, dirname, directory, folder, cwd, workdir (and plurals) → path;
 *    - url, uri, iri, href, endpoint (and plurals) → url;
 *    - command, cmd, cmdline, shell (and "command line") → command; script → command unless the description says
 *      the script is JavaScript, Python or other code for an interpreter (a browser tool's `script` is JS, not sh);
 *    - sql anywhere in the name (`sql`, `rawSql`, `sql_query`) → sql.
 * 4. query, statement, stmt → sql ONLY with a SQL signal: another word of the name is db/database/sql, or the
 *    argument's description mentions SQL, a SQL engine (PostgreSQL, MySQL, SQLite, …) or a database, or the tool's
 *    name or description mentions SQL or a SQL engine. A search tool's `query` has none of these and stays free text.
 * 5. Ambiguous names (source, destination, src, dest, target, input, output, from, to, location) → path when the
 *    argument's description calls it a file, path, directory or folder, url when it calls it a URL; without a
 *    description, when the tool's name does (`move_file {source, destination}`).
 *
 * `inferArgKinds` walks a whole inputSchema (`properties`, array `items`) and returns argument path expressions
 * (arg-path.ts) with the kind, e.g. `{ path: 'files[*]', kind: 'path' }`.
 */

import { formatArgPath, type ArgPathSegment } from './arg-path.js';

export type InferredKind = 'path' | 'url' | 'command' | 'sql';

/** The parts of a JSON Schema that the heuristic reads. */
export interface SchemaFragment {
  type?: string | readonly string[];
  format?: string;
  description?: string;
  enum?: readonly unknown[];
  const?: unknown;
  properties?: Readonly<Record<string, SchemaFragment>>;
  items?: SchemaFragment | readonly SchemaFragment[];
}

export interface ToolHint {
  name?: string;
  description?: string;
}

export interface InferredArg {
  /** An argument path expression (arg-path.ts). */
  path: string;
  kind: InferredKind;
}

const PATH_WORDS = new Set([
  'path',
  'paths',
  'file',
  'files',
  'filename',
  'filenames',
  'filepath',
  'filepaths',
  'pathname',
  'dir',
  'dirs',
  'dirname',
  'directory',
  'directories',
  'folder',
  'folders',
  'cwd',
  'workdir',
]);
const URL_WORDS = new Set(['url', 'urls', 'uri', 'uris', 'iri', 'href', 'hrefs', 'endpoint', 'endpoints']);
const COMMAND_WORDS = new Set(['command', 'commands', 'cmd', 'cmdline', 'shell']);
const QUERY_WORDS = new Set(['query', 'statement', 'stmt']);
const DB_WORDS = new Set(['db', 'database', 'sql']);
const AMBIGUOUS_WORDS = new Set(['source', 'destination', 'src', 'dest', 'target', 'input', 'output', 'from', 'to']);
const URL_FORMATS = new Set(['uri', 'url', 'iri', 'uri-reference', 'iri-reference']);

const SQL_ENGINE = /\b(sql|t-sql|tsql|postgres(ql)?|mysql|mariadb|sqlite|duckdb|clickhouse|bigquery|snowflake)\b/i;
const DATABASE = /\bdatabases?\b/i;
const CODE_SCRIPT = /\b(javascript|js|typescript|python|ruby|lua|code|browser|page)\b/i;
const FILE_WORDS = /\b(file|path|directory|folder)\b/i;
const URL_WORD = /\b(url|uri)\b/i;
const MAX_DEPTH = 6;

/** `filePath` → [file, path]; `SQL_query` → [sql, query]; `HTTPEndpoint` → [http, endpoint]. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

function acceptsString(schema: SchemaFragment): boolean {
  if (schema.enum !== undefined || schema.const !== undefined) return false;
  if (schema.type === undefined) return true;
  return typeof schema.type === 'string' ? schema.type === 'string' : schema.type.includes('string');
}

export function inferArgKind(name: string, schema: SchemaFragment = {}, tool: ToolHint = {}): InferredKind | undefined {
  if (!acceptsString(schema)) return undefined;
  if (schema.format !== undefined && URL_FORMATS.has(schema.format.toLowerCase())) return 'url';
  const words = nameWords(name);
  const head = words.at(-1);
  if (head === undefined) return undefined;
  const description = schema.description ?? '';
  if (PATH_WORDS.has(head)) return 'path';
  if (URL_WORDS.has(head)) return 'url';
  if (COMMAND_WORDS.has(head) || (head === 'line' && words.at(-2) === 'command')) return 'command';
  if (head === 'script' || head === 'scripts') return CODE_SCRIPT.test(description) ? undefined : 'command';
  if (words.includes('sql')) return 'sql';
  if (QUERY_WORDS.has(head)) {
    const signal =
      words.some((w) => DB_WORDS.has(w)) ||
      SQL_ENGINE.test(description) ||
      DATABASE.test(description) ||
      SQL_ENGINE.test(nameWords(tool.name ?? '').join(' ')) ||
      SQL_ENGINE.test(tool.description ?? '');
    return signal ? 'sql' : undefined;
  }
  if (AMBIGUOUS_WORDS.has(head)) {
    if (FILE_WORDS.test(description)) return 'path';
    if (URL_WORD.test(description)) return 'url';
    // Undescribed, the tool decides: `move_file {source, destination}` moves files.
    if (description === '') {
      const toolName = nameWords(tool.name ?? '').join(' ');
      if (FILE_WORDS.test(toolName)) return 'path';
      if (URL_WORD.test(toolName)) return 'url';
    }
  }
  return undefined;
}

/** Every argument of an inputSchema whose kind can be inferred, as argument path expressions. */
export function inferArgKinds(inputSchema: SchemaFragment, tool: ToolHint = {}): InferredArg[] {
  const out: InferredArg[] = [];
  const visit = (name: string, schema: SchemaFragment, at: ArgPathSegment[]) => {
    if (at.length > MAX_DEPTH) return;
    const kind = inferArgKind(name, schema, tool);
    if (kind) out.push({ path: formatArgPath(at), kind });
    for (const [key, child] of Object.entries(schema.properties ?? {}))
      visit(key, child, [...at, { type: 'key', key }]);
    const items = schema.items;
    if (items && !Array.isArray(items)) visit(name, items as SchemaFragment, [...at, { type: 'any-index' }]);
  };
  for (const [key, child] of Object.entries(inputSchema.properties ?? {})) visit(key, child, [{ type: 'key', key }]);
  return out;
}
