import { describe, expect, it } from 'vitest';
import { inferArgKind, inferArgKinds, nameWords, type SchemaFragment } from './infer.js';

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
