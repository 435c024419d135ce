/**
 * `kind: sql` (issue 4): with `readOnly` (the default) a SQL argument must be one SELECT or WITH query, and no
 * argument may call a denied function (sleeps, file access, other connections, server control). Parameter-check
 * phase; synchronous; fail mode closed: SQL the lexer cannot end cleanly (an unterminated string or comment) is a
 * violation.
 *
 * The decision is made on tokens, never with regexes over raw SQL: a hand-written lexer per dialect knows its
 * strings ('..' with '' escapes, E'..' and MySQL's backslash escapes, $tag$..$tag$), quoted identifiers ("..",
 * `..`, [..]), comments (--, MySQL's # and its "-- " rule, /* *\/ nested in PostgreSQL and SQL Server) and
 * parameters. On the tokens outside strings and comments:
 * - a `;` followed by anything is a stacked statement (a trailing `;` is fine);
 * - the statement must start with SELECT or WITH (after any opening parentheses);
 * - INSERT, UPDATE, DELETE, MERGE, DROP, CREATE, ALTER, TRUNCATE, GRANT, REVOKE, EXEC, EXECUTE and INTO (so also
 *   `SELECT … INTO`, `INTO OUTFILE` and data-modifying CTEs such as `WITH x AS (DELETE …)`) may appear nowhere,
 *   except as part of a qualified name (`t.update`); SQL Server also runs statements without `;`, so its reserved
 *   words that act (BACKUP, DBCC, SHUTDOWN, WAITFOR, …) may appear nowhere when it is read as SQL Server;
 * - a statement keyword such as COPY, CALL, SET, LOAD, PRAGMA, ATTACH or LOCK may not open a parenthesis;
 * - MySQL's executable comments (`/*! … *\/`) and psql meta-commands (a backslash outside strings) are refused.
 *
 * Dialects disagree on what is a string or a comment (`'\'` ends a string in PostgreSQL but not in MySQL; `#` is a
 * comment only in MySQL; block comments nest only in some). The default `generic` dialect lexes and checks the
 * input as PostgreSQL, MySQL, SQLite and SQL Server, and rejects it if any reading rejects it; the reason names the
 * reading. Set `dialect` to the server's own to accept what only that engine reads safely.
 */
import { show, typeName } from './show.js';
import type { ArgViolation, SqlRuleId, SyncArgCheck } from './types.js';

export type SqlDialect = 'generic' | 'postgres' | 'mysql' | 'sqlite' | 'mssql';

export interface SqlOptions {
  /** Allow only a single SELECT or WITH query. Default true. */
  readOnly?: boolean;
  /** The engine the server talks to. Default `generic`: every supported reading must accept the SQL. */
  dialect?: SqlDialect;
  /** Functions that may not be called, case-insensitive; a trailing `*` matches a prefix. Default DEFAULT_DENY_FUNCTIONS. */
  denyFunctions?: readonly string[];
  /** Without `readOnly`: allow several statements separated by `;`. Default false. */
  multipleStatements?: boolean;
}

type Mode = Exclude<SqlDialect, 'generic'>;

const MODES: readonly Mode[] = ['postgres', 'mysql', 'sqlite', 'mssql'];
const MODE_NAMES: Record<Mode, string> = {
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  sqlite: 'SQLite',
  mssql: 'SQL Server',
};

export const DEFAULT_DENY_FUNCTIONS: readonly string[] = [
  // PostgreSQL: sleeping, server files, large objects, other connections, server control, side effects
  'pg_sleep*',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_*',
  'pg_stat_file',
  'lo_*',
  'dblink*',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_*',
  'pg_drop_replication_slot',
  'pg_logical_emit_message',
  'pg_notify',
  'pg_advisory_*',
  'pg_try_advisory_*',
  'set_config',
  'nextval',
  'setval',
  'query_to_xml*',
  'cursor_to_xml*',
  // MySQL
  'sleep',
  'benchmark',
  'load_file',
  'get_lock',
  'release_lock',
  'master_pos_wait',
  'source_pos_wait',
  'sys_exec',
  'sys_eval',
  // SQLite
  'load_extension',
  'writefile',
  'readfile',
  'edit',
  'fts3_tokenizer',
  // SQL Server
  'xp_*',
  'sp_*',
  'openrowset',
  'opendatasource',
  'openquery',
  // Oracle
  'dbms_*',
  'utl_*',
];

const WRITE_ANYWHERE = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'UPSERT',
  'DROP',
  'CREATE',
  'ALTER',
  'TRUNCATE',
  'GRANT',
  'REVOKE',
  'EXEC',
  'EXECUTE',
  'OUTFILE',
  'DUMPFILE',
]);
/** SQL Server runs a new statement wherever one of these reserved words appears, `;` or not. */
const MSSQL_ANYWHERE = new Set([
  'BACKUP',
  'RESTORE',
  'BULK',
  'DBCC',
  'SHUTDOWN',
  'KILL',
  'RECONFIGURE',
  'WAITFOR',
  'SETUSER',
  'DENY',
  'USE',
]);
const STATEMENT_START = new Set([
  'SET',
  'LOAD',
  'CALL',
  'DO',
  'COPY',
  'LOCK',
  'UNLOCK',
  'COMMENT',
  'ANALYZE',
  'ANALYSE',
  'VACUUM',
  'REINDEX',
  'CLUSTER',
  'REFRESH',
  'ATTACH',
  'DETACH',
  'PRAGMA',
  'REPLACE',
  'HANDLER',
  'RENAME',
  'START',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'PREPARE',
  'DEALLOCATE',
  'DECLARE',
  'FETCH',
  'MOVE',
  'CLOSE',
  'LISTEN',
  'UNLISTEN',
  'NOTIFY',
  'DISCARD',
  'RESET',
  'CHECKPOINT',
  'IMPORT',
  'REASSIGN',
  'SECURITY',
  'EXPLAIN',
  'SHOW',
  'DESCRIBE',
]);

type TokenType = 'word' | 'quoted' | 'string' | 'number' | 'param' | 'punct';

interface Token {
  type: TokenType;
  text: string;
  /** Upper-cased text of a word; the unquoted name of a quoted identifier. */
  name: string;
}

function violation(ruleId: SqlRuleId, reason: string): ArgViolation {
  return { ruleId, reason };
}

const isSpace = (c: string | undefined) =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined) =>
  c !== undefined && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_' || c.charCodeAt(0) >= 0x80);
const isIdentPart = (c: string | undefined) => isIdentStart(c) || isDigit(c) || c === '$';

/** Splits SQL into tokens, skipping whitespace and comments, as `mode` reads it. */
function lex(sql: string, mode: Mode): Token[] | ArgViolation {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  const push = (type: TokenType, start: number, end: number, name?: string) => {
    const text = sql.slice(start, end);
    tokens.push({ type, text, name: name ?? (type === 'word' ? text.toUpperCase() : text) });
    i = end;
  };
  /** The index just past a quoted run opened at `start`; doubled closers are escapes, and backslashes when asked. */
  const quoted = (start: number, close: string, backslash: boolean, doubling = true): number | undefined => {
    for (let j = start + 1; j < n; j++) {
      if (backslash && sql[j] === '\\') j++;
      else if (sql[j] === close) {
        if (doubling && sql[j + 1] === close) j++;
        else return j + 1;
      }
    }
    return undefined;
  };
  const unterminated = (what: string) => violation('args.sql.unterminated', `SQL has an unterminated ${what}`);

  while (i < n) {
    const c = sql[i]!;
    const d = sql[i + 1];
    if (isSpace(c)) {
      i++;
    } else if (c === '-' && d === '-' && (mode !== 'mysql' || i + 2 >= n || sql.charCodeAt(i + 2) <= 0x20)) {
      // MySQL reads `--` as a comment only before whitespace: `1--1` is 1 minus minus 1.
      while (i < n && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '#' && mode === 'mysql') {
      while (i < n && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '/' && d === '*') {
      if (mode === 'mysql' && (sql[i + 2] === '!' || (sql[i + 2] === 'M' && sql[i + 3] === '!'))) {
        return violation('args.sql.executable-comment', 'SQL contains a MySQL executable comment (/*! … */)');
      }
      const nests = mode === 'postgres' || mode === 'mssql';
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (nests && sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      if (depth > 0) return unterminated('block comment');
      i = j;
    } else if (c === "'") {
      const end = quoted(i, "'", mode === 'mysql');
      if (end === undefined) return unterminated('string');
      push('string', i, end);
    } else if (c === '"') {
      const end = quoted(i, '"', mode === 'mysql');
      if (end === undefined) return unterminated(mode === 'mysql' ? 'string' : 'quoted identifier');
      if (mode === 'mysql') push('string', i, end);
      else push('quoted', i, end, sql.slice(i + 1, end - 1).replaceAll('""', '"'));
    } else if (c === '`' && (mode === 'mysql' || mode === 'sqlite')) {
      const end = quoted(i, '`', false);
      if (end === undefined) return unterminated('quoted identifier');
      push('quoted', i, end, sql.slice(i + 1, end - 1).replaceAll('``', '`'));
    } else if (c === '[' && (mode === 'mssql' || mode === 'sqlite')) {
      const end = quoted(i, ']', false, mode === 'mssql');
      if (end === undefined) return unterminated('quoted identifier');
      push('quoted', i, end, sql.slice(i + 1, end - 1).replaceAll(']]', ']'));
    } else if (c === '$' && mode === 'postgres' && isDigit(d)) {
      let j = i + 1;
      while (isDigit(sql[j])) j++;
      push('param', i, j);
    } else if (c === '$' && mode === 'postgres' && (d === '$' || isIdentStart(d))) {
      let j = i + 1;
      while (j < n && sql[j] !== '$' && isIdentPart(sql[j])) j++;
      if (sql[j] !== '$') {
        push('punct', i, i + 1);
        continue;
      }
      const delimiter = sql.slice(i, j + 1);
      const close = sql.indexOf(delimiter, j + 1);
      if (close < 0) return unterminated(`dollar-quoted string (${delimiter})`);
      push('string', i, close + delimiter.length);
    } else if (c === '\\' && mode === 'postgres') {
      return violation('args.sql.meta-command', 'SQL contains a backslash outside a string (a psql meta-command)');
    } else if (isDigit(c) || (c === '.' && isDigit(d))) {
      let j = i;
      if (mode === 'mysql') {
        // MySQL identifiers may start with a digit: `1delete` is a name, not 1 and DELETE.
        while (j < n && (isIdentPart(sql[j]) || sql[j] === '.')) j++;
      } else if (c === '0' && (d === 'x' || d === 'X')) {
        j += 2;
        while (j < n && /[0-9A-Fa-f]/.test(sql[j]!)) j++;
      } else {
        // Elsewhere a number ends where the digits do: SQL Server reads `1DELETE` as 1 and DELETE.
        while (isDigit(sql[j]) || sql[j] === '.') j++;
        if ((sql[j] === 'e' || sql[j] === 'E') && (isDigit(sql[j + 1]) || /[+-]/.test(sql[j + 1] ?? ''))) {
          j += 2;
          while (isDigit(sql[j])) j++;
        }
      }
      push('number', i, j);
    } else if (isIdentStart(c)) {
      let j = i;
      while (isIdentPart(sql[j])) j++;
      const word = sql.slice(i, j);
      if (mode === 'postgres' && (word === 'E' || word === 'e') && sql[j] === "'") {
        const end = quoted(j, "'", true);
        if (end === undefined) return unterminated('string');
        push('string', i, end);
      } else push('word', i, j);
    } else if (c === '@' && (isIdentPart(d) || d === '@')) {
      let j = i + 1;
      while (sql[j] === '@' || isIdentPart(sql[j])) j++;
      push('param', i, j);
    } else {
      push('punct', i, i + 1);
    }
  }
  return tokens;
}

function denyMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    const lower = p.toLowerCase();
    if (lower.endsWith('*')) prefixes.push(lower.slice(0, -1));
    else exact.add(lower);
  }
  return (name) => {
    const lower = name.toLowerCase();
    return exact.has(lower) || prefixes.some((p) => lower.startsWith(p));
  };
}

const isPunct = (t: Token | undefined, text: string) => t?.type === 'punct' && t.text === text;

function analyse(
  tokens: readonly Token[],
  mode: Mode,
  opts: { readOnly: boolean; multiple: boolean; denied: (name: string) => boolean },
): ArgViolation | null {
  if (tokens.every((t) => isPunct(t, ';'))) return violation('args.sql.empty', 'SQL contains no statement');
  const semicolon = tokens.findIndex((t) => isPunct(t, ';'));
  const second = semicolon < 0 ? undefined : tokens.slice(semicolon + 1).find((t) => !isPunct(t, ';'));
  if (second && (opts.readOnly || !opts.multiple)) {
    return violation(
      'args.sql.stacked',
      `SQL contains a second statement after ";" (starting with ${show(second.type === 'word' ? second.name : second.text, 20)})`,
    );
  }

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if ((t.type === 'word' || t.type === 'quoted') && isPunct(tokens[i + 1], '(')) {
      // The function and each qualifier: pg_catalog.pg_sleep(…), dbms_pipe.receive_message(…)
      const names = [t.type === 'word' ? t.text : t.name];
      for (let k = i; isPunct(tokens[k - 1], '.') && tokens[k - 2]; k -= 2) {
        const q = tokens[k - 2]!;
        names.unshift(q.type === 'word' ? q.text : q.name);
      }
      if (names.some((name) => opts.denied(name))) {
        return violation('args.sql.denied-function', `SQL calls ${show(names.join('.'), 40)}(), which is denied`);
      }
    }
  }
  if (!opts.readOnly) return null;

  let k = 0;
  while (isPunct(tokens[k], '(')) k++;
  const first = tokens[k];
  if (first?.type !== 'word' || (first.name !== 'SELECT' && first.name !== 'WITH')) {
    const what = first ? show(first.type === 'word' ? first.name : first.text, 20) : 'nothing';
    return violation(
      'args.sql.not-read-only',
      `SQL starts with ${what}; only a single SELECT or WITH query is allowed`,
    );
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== 'word') continue;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (isPunct(prev, '.') || isPunct(next, '.')) continue; // part of a qualified name: t.update
    if (t.name === 'INTO') {
      return violation('args.sql.select-into', 'SQL contains INTO, which writes a table, a variable or a file');
    }
    if (WRITE_ANYWHERE.has(t.name) || (mode === 'mssql' && MSSQL_ANYWHERE.has(t.name))) {
      return violation('args.sql.write', `SQL contains the keyword ${t.name}; only reads are allowed`);
    }
    if (isPunct(prev, '(') && STATEMENT_START.has(t.name) && !isPunct(next, '(')) {
      return violation('args.sql.write', `SQL contains a ${t.name} statement inside parentheses`);
    }
  }
  return null;
}

export function createSqlCheck(opts: SqlOptions = {}): SyncArgCheck {
  const dialect = opts.dialect ?? 'generic';
  const modes = dialect === 'generic' ? MODES : [dialect];
  const settings = {
    readOnly: opts.readOnly ?? true,
    multiple: opts.multipleStatements ?? false,
    denied: denyMatcher(opts.denyFunctions ?? DEFAULT_DENY_FUNCTIONS),
  };

  return {
    kind: 'sql',
    check(value) {
      if (typeof value !== 'string')
        return violation('args.sql.not-string', `SQL must be a string, got ${typeName(value)}`);
      if (value.includes('\0')) return violation('args.sql.control-char', 'SQL contains a NUL byte');
      const found: { mode: Mode; v: ArgViolation }[] = [];
      for (const mode of modes) {
        const tokens = lex(value, mode);
        const v = Array.isArray(tokens) ? analyse(tokens, mode, settings) : tokens;
        if (v) found.push({ mode, v });
      }
      const firstFound = found[0];
      if (!firstFound) return null;
      if (found.length === modes.length) return firstFound.v;
      return { ...firstFound.v, reason: `${firstFound.v.reason} (as read by ${MODE_NAMES[firstFound.mode]})` };
    },
  };
}
