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
 * 4. query, q, statement, stmt → sql ONLY with a SQL signal: another word of the name is db/database/sql, or the
 *    argument's description mentions SQL, a SQL engine (PostgreSQL, MySQL, SQLite, …) or a database, or the tool's
 *    name or description mentions SQL, a SQL engine or a database (issue 15, class 10: `q` of a tool "described as
 *    a database"). A search tool's `query` or `q` has none of these and stays free text.
 * 5. Ambiguous names (source, destination, src, dest, dst, target, input, output, from, to, location) → path when
 *    the argument's description calls it a file, path, directory or folder, url when it calls it a URL; without a
 *    description, when the tool's NAME does (`move_file {source, destination}`, `fetch_url {target}`,
 *    `http_request {target}`). Never from the tool's description alone: a weather tool "using a web API" keeps its
 *    `location` a city name.
 * 6. line, input, text, exec, run, invocation → command when the argument's description or the tool's name or
 *    description speaks of a shell, a terminal or a command line (`terminal {line}`).
 *
 * Where the name says nothing, `inferValueKinds` looks at the VALUE's shape at call time (issue 15, class 10):
 * a whole value that is an http(s)/ws/ftp/gopher/… URL given to an open-world tool → url (SSRF); a `file:` URL, an
 * absolute path with at least two segments, a relative path that climbs with `..`, a `~/…` or `$HOME/…` path, a Windows drive or UNC path, or any path
 * that names a credential location → path; a value that reads as a SQL statement (or a quote-breaking SQL
 * injection) given to a tool whose name or description speaks of SQL, a database or queries → sql. Text that only
 * mentions these (`"how do I drop table x?"`, `"see http://localhost:3000"`) has no such shape, a path-shaped value
 * with spaces counts only when it names a credential location, and arguments named as free text to store or
 * transform (`content`, `text`, `oldText`, `body`, `data`, `pattern`, `replacement`, `diff`, `patch`) are skipped.
 *
 * `inferArgKinds` walks a whole inputSchema (`properties`, array `items`) and returns argument path expressions
 * (arg-path.ts) with the kind, e.g. `{ path: 'files[*]', kind: 'path' }`.
 */

import { formatArgPath, type ArgPathSegment } from './arg-path.js';
import { credentialLocation } from './credential-path.js';

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
const AMBIGUOUS_WORDS = new Set([
  'source',
  'destination',
  'src',
  'dest',
  'dst',
  'target',
  'input',
  'output',
  'from',
  'to',
  'location',
]);
const LINE_WORDS = new Set(['line', 'input', 'text', 'exec', 'run', 'invocation']);
/** Tool-name words that make an ambiguous argument a path or a URL. */
const FILE_TOOL_WORDS = new Set(['file', 'files', 'path', 'dir', 'directory', 'folder', 'fs']);
const URL_TOOL_WORDS = new Set([
  'url',
  'uri',
  'http',
  'https',
  'fetch',
  'request',
  'web',
  'webpage',
  'website',
  'crawl',
  'scrape',
  'download',
  'browse',
  'webhook',
]);
const URL_FORMATS = new Set(['uri', 'url', 'iri', 'uri-reference', 'iri-reference']);

const SQL_ENGINE = /\b(sql|t-sql|tsql|postgres(ql)?|mysql|mariadb|sqlite|duckdb|clickhouse|bigquery|snowflake)\b/i;
const DATABASE = /\bdatabases?\b/i;
const CODE_SCRIPT = /\b(javascript|js|typescript|python|ruby|lua|code|browser|page)\b/i;
const FILE_WORDS = /\b(file|path|directory|folder)\b/i;
const URL_WORD = /\b(url|uri)\b/i;
const SHELL = /\b(shell|bash|zsh|sh|powershell|terminal|command[- ]line|shell command)\b/i;
const SHELL_TOOL_WORDS = new Set(['shell', 'bash', 'zsh', 'sh', 'powershell', 'terminal', 'exec', 'execute', 'cmd']);
const DB_TOOL = /\b(sql|databases?|db|quer(y|ies))\b/i;
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
  const toolWords = nameWords(tool.name ?? '');
  if (QUERY_WORDS.has(head) || (head === 'q' && words.length === 1)) {
    const signal =
      words.some((w) => DB_WORDS.has(w)) ||
      SQL_ENGINE.test(description) ||
      DATABASE.test(description) ||
      toolWords.some((w) => DB_WORDS.has(w)) ||
      SQL_ENGINE.test(toolWords.join(' ')) ||
      SQL_ENGINE.test(tool.description ?? '') ||
      DATABASE.test(tool.description ?? '');
    return signal ? 'sql' : undefined;
  }
  if (AMBIGUOUS_WORDS.has(head)) {
    if (FILE_WORDS.test(description)) return 'path';
    if (URL_WORD.test(description)) return 'url';
    // Undescribed, the tool's name decides (`move_file {source, destination}` moves files). A description that says
    // something else ("the text") wins; the value-shape pass still sees a path or URL value.
    if (description === '') {
      if (toolWords.some((w) => FILE_TOOL_WORDS.has(w))) return 'path';
      if (toolWords.some((w) => URL_TOOL_WORDS.has(w))) return 'url';
    }
  }
  if (LINE_WORDS.has(head)) {
    const shell =
      SHELL.test(description) || toolWords.some((w) => SHELL_TOOL_WORDS.has(w)) || SHELL.test(tool.description ?? '');
    if (shell && !CODE_SCRIPT.test(description)) return 'command';
  }
  return undefined;
}

/** URL schemes whose host the gateway's network can be made to reach (SSRF); others (s3:, ssh:, git:) are names. */
export const SSRF_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'gopher', 'dict', 'ldap', 'tftp', 'telnet']);
const URL_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/\S+$/i;
const FILE_URL = /^file:/i;
// eslint-disable-next-line no-control-regex
const NEWLINE = /[\r\n\u0000]/;
/** Absolute with a second segment (`/etc/passwd`, not `/help`), home-relative, Windows drive or UNC. */
const PATH_SHAPE =
  /^(\/[^/\s][^/]*\/[^/]|~[\w.-]*[\\/]|~$|(\$HOME|\$\{HOME\}|%USERPROFILE%|%HOMEPATH%)([\\/]|$)|[A-Za-z]:[\\/]|\\\\[^\\])/i;
/** A SQL statement: a statement keyword with what must follow it. */
const SQL_STATEMENT =
  /^[\s(]*(select\s+[\w*@'"(`[]|insert\s+into\b|update\s+[\w."`[\]]+\s+set\b|delete\s+from\b|(drop|create|alter|truncate)\s+(table|database|schema|view|index|user|role|function|procedure|trigger)\b|with\s+\w+\s+as\s*\(|(grant|revoke)\s+\w+|exec(ute)?\s+\w|call\s+\w+\s*\(|pragma\s+\w|attach\s+|copy\s+\w+\s+(from|to)\b)/i;
/** A relative path that climbs (`../x`, `a/../../b`, `..\\x`): a path whatever its argument is called. */
const CLIMBS = /(^|[\\/])\.\.([\\/]|$)/;
/** A statement stacked after `;`, or a quote closed early to add SQL (`' OR 1=1`, `') UNION SELECT`). */
const SQL_INJECTION =
  /;\s*(drop|delete|insert|update|create|alter|truncate|grant|revoke|exec|execute|select|shutdown|merge|call|copy|attach)\b|['"`]\s*\)*\s*((or|and)\s+\S+?\s*(=|<|>|like\b|is\b)|union\s+(all\s+)?select\b|;|--|#|\/\*)/i;

export interface ValueToolHint extends ToolHint {
  /** The tool reaches outside systems (its openWorldHint, an override, or MCP's default true). */
  openWorld: boolean;
}

/** The kinds a string VALUE's shape calls for, whatever its argument's name (see the header). */
/**
 * Argument names that say "free text to store or transform", not a place to go: a file's `content`, an edit's
 * `oldText`/`newText`, a regex `pattern`. Their values are data (a line of code may well start with "/usr/bin"), so
 * the value-shape pass leaves them alone, as it leaves a whole message that only mentions a URL.
 */
const FREE_TEXT_WORDS = new Set([
  'content',
  'contents',
  'text',
  'body',
  'data',
  'pattern',
  'replacement',
  'diff',
  'patch',
]);
const WHITESPACE = /\s/;

/** The kinds a string VALUE's shape calls for, whatever its argument's name (see the header). */
export function inferValueKinds(value: string, tool: ValueToolHint, argName = ''): InferredKind[] {
  const head = nameWords(argName).at(-1);
  if (head !== undefined && FREE_TEXT_WORDS.has(head)) return [];
  if (value.length === 0 || NEWLINE.test(value.trimEnd())) {
    // A multi-line value is text, except a SQL script for a database tool.
    return isDatabaseTool(tool) && looksLikeSql(value) ? ['sql'] : [];
  }
  const kinds: InferredKind[] = [];
  if (isDatabaseTool(tool) && looksLikeSql(value)) kinds.push('sql');
  const url = URL_SHAPE.exec(value);
  if (FILE_URL.test(value)) kinds.push('path');
  else if (url && SSRF_SCHEMES.has(url[1]!.toLowerCase())) {
    if (tool.openWorld) kinds.push('url');
  } else if (url === null) {
    // A path with spaces ("/Users/me/Library/Application Support/…") counts only when it names a credential
    // location; otherwise "/help me with this" would be a path.
    const credential = /[\\/]/.test(value) && credentialLocation(value) !== undefined;
    const shaped = (PATH_SHAPE.test(value) || CLIMBS.test(value)) && !WHITESPACE.test(value);
    if (credential || shaped) kinds.push('path');
  }
  return kinds;
}

function isDatabaseTool(tool: ToolHint): boolean {
  return (
    DB_TOOL.test(nameWords(tool.name ?? '').join(' ')) ||
    DB_TOOL.test(tool.description ?? '') ||
    SQL_ENGINE.test(tool.description ?? '')
  );
}

/** Whether a value reads as SQL: a statement, or a quote closed early to add SQL. */
export function looksLikeSql(value: string): boolean {
  return SQL_STATEMENT.test(value) || SQL_INJECTION.test(value);
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
