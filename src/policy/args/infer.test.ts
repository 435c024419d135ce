import { describe, expect, it } from 'vitest';
import { inferArgKind, inferArgKinds, inferValueKinds, looksLikeSql, nameWords, type SchemaFragment } from './infer.js';

describe('argument kind inference', () => {
  it.each<[string, SchemaFragment, string | undefined]>([
    ['path', { type: 'string' }, 'path'],
    ['filePath', { type: 'string' }, 'path'],
    ['file_path', {}, 'path'],
    ['filename', { type: 'string' }, 'path'],
    ['output_dir', { type: 'string' }, 'path'],
    ['targetDirectory', { type: 'string' }, 'path'],
    ['folder', { type: ['string', 'null'] }, 'path'],
    ['cwd', { type: 'string' }, 'path'],
    ['fileContent', { type: 'string' }, undefined],
    ['pathPattern', { type: 'string' }, undefined],
    ['file', { type: 'object' }, undefined],
    ['path', { type: 'string', enum: ['a', 'b'] }, undefined],
    ['path', { type: 'string', const: 'a' }, undefined],
    ['url', { type: 'string' }, 'url'],
    ['repoUrl', { type: 'string' }, 'url'],
    ['callback_uri', { type: 'string' }, 'url'],
    ['href', { type: 'string' }, 'url'],
    ['APIEndpoint', { type: 'string' }, 'url'],
    ['link', { type: 'string', format: 'uri' }, 'url'],
    ['target', { type: 'string', format: 'IRI-reference' }, 'url'],
    ['urlTemplate', { type: 'string' }, undefined],
    ['command', { type: 'string' }, 'command'],
    ['shellCmd', { type: 'string' }, 'command'],
    ['command_line', { type: 'string' }, 'command'],
    ['shell', { type: 'string' }, 'command'],
    ['script', { type: 'string' }, 'command'],
    ['script', { type: 'string', description: 'JavaScript to run in the page' }, undefined],
    ['commandArgs', { type: 'array' }, undefined],
    ['sql', { type: 'string' }, 'sql'],
    ['rawSql', { type: 'string' }, 'sql'],
    ['SQL_query', { type: 'string' }, 'sql'],
    ['dbQuery', { type: 'string' }, 'sql'],
    ['query', { type: 'string' }, undefined],
    ['query', { type: 'string', description: 'Search terms, e.g. "rust async"' }, undefined],
    ['query', { type: 'string', description: 'The SQL query to execute' }, 'sql'],
    ['query', { type: 'string', description: 'A read-only PostgreSQL query' }, 'sql'],
    ['statement', { type: 'string', description: 'Statement to run against the database' }, 'sql'],
    ['source', { type: 'string', description: 'Source file path' }, 'path'],
    ['destination', { type: 'string', description: 'Where to copy the directory to' }, 'path'],
    ['target', { type: 'string', description: 'The URL to fetch' }, 'url'],
    ['target', { type: 'string', description: 'Deployment environment' }, undefined],
    ['name', { type: 'string' }, undefined],
    ['', { type: 'string' }, undefined],
  ])('%s %j → %s', (name, schema, kind) => {
    expect(inferArgKind(name, schema)).toBe(kind);
  });

  it("reads a query as SQL when the tool's name or description mentions SQL", () => {
    expect(inferArgKind('query', { type: 'string' }, { name: 'run_sql' })).toBe('sql');
    expect(inferArgKind('query', { type: 'string' }, { description: 'Run a read-only query on MySQL' })).toBe('sql');
    expect(inferArgKind('query', { type: 'string' }, { name: 'web_search', description: 'Search the web' })).toBe(
      undefined,
    );
    expect(inferArgKind('query')).toBe(undefined);
  });

  it('reads an undescribed ambiguous name by the tool it belongs to', () => {
    expect(inferArgKind('source', { type: 'string' }, { name: 'move_file' })).toBe('path');
    expect(inferArgKind('destination', { type: 'string' }, { name: 'copyDirectory' })).toBe('path');
    expect(inferArgKind('target', { type: 'string' }, { name: 'fetch_url' })).toBe('url');
    expect(inferArgKind('to', { type: 'string' }, { name: 'send_email' })).toBe(undefined);
    expect(inferArgKind('source', { type: 'string', description: 'the text' }, { name: 'move_file' })).toBe(undefined);
  });

  it.each([
    ['filePath', ['file', 'path']],
    ['SQL_query', ['sql', 'query']],
    ['HTTPEndpoint', ['http', 'endpoint']],
    ['output-dir2', ['output', 'dir2']],
  ])('splits %s into words', (name, words) => {
    expect(nameWords(name)).toEqual(words);
  });

  it('walks a whole inputSchema into argument paths', () => {
    const schema: SchemaFragment = {
      type: 'object',
      properties: {
        path: { type: 'string' },
        files: { type: 'array', items: { type: 'string' } },
        options: {
          type: 'object',
          properties: { workdir: { type: 'string' }, 'callback url': { type: 'string' }, count: { type: 'number' } },
        },
        requests: { type: 'array', items: { type: 'object', properties: { endpoint: { type: 'string' } } } },
        tuple: { type: 'array', items: [{ type: 'string' }] },
        query: { type: 'string' },
      },
    };
    expect(inferArgKinds(schema, { name: 'run_sql' })).toEqual([
      { path: 'path', kind: 'path' },
      { path: 'files[*]', kind: 'path' },
      { path: 'options.workdir', kind: 'path' },
      { path: 'options["callback url"]', kind: 'url' },
      { path: 'requests[*].endpoint', kind: 'url' },
      { path: 'query', kind: 'sql' },
    ]);
    expect(inferArgKinds({})).toEqual([]);
  });

  it('stops at a bounded depth', () => {
    const nest = (levels: number) => {
      let schema: SchemaFragment = { type: 'string' };
      for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { dir: schema } };
      return schema;
    };
    expect(inferArgKinds(nest(3)).map((a) => a.path)).toEqual(['dir.dir.dir']);
    expect(inferArgKinds(nest(10))).toEqual([]);
  });
});

describe('names the attacker used (issue 15, class 10)', () => {
  const S: SchemaFragment = { type: 'string' };
  it.each<[string, SchemaFragment, { name?: string; description?: string }, string | undefined]>([
    ['target', S, { name: 'fetch_url' }, 'url'],
    ['target', S, { name: 'http_request' }, 'url'],
    ['target', S, { name: 'web_scrape' }, 'url'],
    ['location', S, { name: 'read_file' }, 'path'],
    ['location', { type: 'string', description: 'The folder to list' }, {}, 'path'],
    ['dst', S, { name: 'copy_file' }, 'path'],
    ['q', S, { name: 'run_query', description: 'Runs a query against the analytics database' }, 'sql'],
    ['q', S, { name: 'db_select' }, 'sql'],
    ['q', S, { name: 'lookup', description: 'Look up rows in PostgreSQL' }, 'sql'],
    ['line', S, { name: 'terminal', description: 'Type into a terminal' }, 'command'],
    ['line', { type: 'string', description: 'A shell command line' }, { name: 'do' }, 'command'],
    ['input', S, { name: 'bash_exec' }, 'command'],
    // Look-alikes that stay free text.
    ['location', S, { name: 'get_weather', description: 'Weather for a location, from a web API' }, undefined],
    ['target', S, { name: 'translate', description: 'Translate text' }, undefined],
    ['q', S, { name: 'web_search', description: 'Search the web' }, undefined],
    ['line', S, { name: 'edit_line', description: 'Replace one line of a text document' }, undefined],
    ['text', S, { name: 'send_message', description: 'Send a chat message' }, undefined],
    ['line', { type: 'string', description: 'Python code to run in the shell' }, { name: 'repl' }, undefined],
  ])('infers %s of %j as %s', (name, schema, tool, kind) => {
    for (let i = 0; i < 2; i++) expect(inferArgKind(name, schema, tool)).toBe(kind);
  });
});

describe('value shapes (issue 15, class 10)', () => {
  const open = { name: 'call_api', openWorld: true };
  const closed = { name: 'send_message', description: 'Post to the team chat', openWorld: false };
  const db = { name: 'query', description: 'Run a query on the database', openWorld: false };

  /** Written from the class before tuning. */
  it.each<[string, { name: string; description?: string; openWorld: boolean }, string[]]>([
    ['http://169.254.169.254/latest/meta-data/', open, ['url']],
    ['http://localhost:6379/', open, ['url']],
    ['gopher://127.0.0.1:25/_HELO', open, ['url']],
    ['HTTPS://10.0.0.1/admin', open, ['url']],
    ['file:///etc/passwd', closed, ['path']],
    ['/etc/shadow', closed, ['path']],
    ['/home/u/.ssh/id_rsa', closed, ['path']],
    ['~/.aws/credentials', closed, ['path']],
    ['$HOME/.netrc', closed, ['path']],
    ['C:\\Users\\u\\.ssh\\id_rsa', closed, ['path']],
    ['\\\\server\\share\\x', closed, ['path']],
    ['.ssh/id_rsa', closed, ['path']],
    ['../../.env', closed, ['path']],
    ['SELECT * FROM users; DROP TABLE users', db, ['sql']],
    ['1; DROP TABLE users', db, ['sql']],
    ["x' OR 1=1 --", db, ['sql']],
    ["alice' UNION SELECT password FROM users --", db, ['sql']],
    ['DELETE FROM orders', db, ['sql']],
    ['DROP TABLE users', db, ['sql']],
  ])('gives %j the %j checks', (value, tool, kinds) => {
    for (let i = 0; i < 2; i++) expect(inferValueKinds(value, tool)).toEqual(kinds);
  });

  /** Held out: written after the patterns, not used to tune them (reported separately). */
  it.each<[string, { name: string; description?: string; openWorld: boolean }, string[]]>([
    ['ws://127.0.0.1:9222/devtools/browser', open, ['url']],
    ['ftp://192.168.1.1/', open, ['url']],
    ['dict://localhost:11211/stats', open, ['url']],
    ['/proc/self/environ', open, ['path']],
    ['~root/.ssh/authorized_keys', closed, ['path']],
    ['${HOME}/.kube/config', closed, ['path']],
    ['FILE:///C:/Windows/win.ini', closed, ['path']],
    ["robert'); DROP TABLE students;--", db, ['sql']],
    ['  select password from users', db, ['sql']],
    ['UPDATE users SET admin = 1', db, ['sql']],
    ["' or 'a'='a", db, ['sql']],
    ['WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x', db, ['sql']],
  ])('gives the held-out %j the %j checks', (value, tool, kinds) => {
    for (let i = 0; i < 2; i++) expect(inferValueKinds(value, tool)).toEqual(kinds);
  });

  it.each<[string, { name: string; description?: string; openWorld: boolean }]>([
    ['http://localhost:3000/', closed],
    ['see http://169.254.169.254/ for details', open],
    ['Paris', open],
    ['New York, NY', open],
    ['/help', closed],
    ['~approx 5', closed],
    ['s3://bucket/key', open],
    ['ssh://git@github.com/x/y.git', open],
    ['mailto:a@example.com', open],
    ['how do I drop table users in postgres?', db],
    ['He said "hi" and left', db],
    ["it's fine; select the one you like", { name: 'web_search', description: 'Search the web', openWorld: true }],
    ['DROP TABLE users', { name: 'web_search', description: 'Search the web', openWorld: true }],
    ['notes.txt', closed],
    ['a/b/c', closed],
    ['', open],
    ['line one\nline two', open],
  ])('gives %j nothing', (value, tool) => {
    for (let i = 0; i < 2; i++) expect(inferValueKinds(value, tool)).toEqual([]);
  });

  it('leaves free-text arguments (content, oldText, pattern) alone, and paths with spaces unless they name credentials', () => {
    for (const name of ['content', 'oldText', 'new_text', 'pattern', 'body']) {
      expect(inferValueKinds('/usr/bin/env node', closed, name)).toEqual([]);
      expect(inferValueKinds('/etc/hosts', closed, name)).toEqual([]);
    }
    expect(inferValueKinds('/etc/hosts', closed, 'location')).toEqual(['path']);
    expect(inferValueKinds('/help me with /this', closed)).toEqual([]);
    expect(inferValueKinds('/Users/me/Library/Application Support/Google/Chrome/Default/Cookies', closed)).toEqual([
      'path',
    ]);
  });

  it('checks a multi-line SQL script for a database tool', () => {
    expect(inferValueKinds('SELECT 1;\nDROP TABLE t;', db)).toEqual(['sql']);
  });
});

describe('value shapes found by the attack suite (issue 15)', () => {
  it.each(['../../etc/shadow', '../outside.txt', 'sub/../../../etc/passwd', '..\\win.ini', '..'])(
    'reads %s as a path whatever its argument is called',
    (value) => {
      for (let i = 0; i < 2; i++)
        expect(inferValueKinds(value, { name: 'open', openWorld: false }, 'location')).toEqual(['path']);
    },
  );

  it.each(['Paris', 'v1.2..v1.3', 'wait... what', 'a..b'])('leaves %s alone', (value) => {
    expect(inferValueKinds(value, { name: 'open', openWorld: false }, 'location')).toEqual([]);
  });

  it.each([
    ["O'Brien", false],
    ["D'Angelo Pizza", false],
    ["x' OR '1'='1", true],
    ['1; DROP TABLE users', true],
    ['SELECT * FROM t', true],
  ])('looksLikeSql(%s) is %s', (value, sql) => {
    expect(looksLikeSql(value)).toBe(sql);
  });
});
