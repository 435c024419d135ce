import { describe, expect, it } from 'vitest';
import type { Catalog } from '../upstream/catalog.js';
import { buildRoutes } from './routes.js';

const tool = (name: string) => ({ name, inputSchema: { type: 'object' as const } });
const everything: Catalog = {
  tools: [tool('echo'), tool('get-env')],
  resources: [{ uri: 'test://static/resource/1', name: 'Resource 1' }],
  resourceTemplates: [{ uriTemplate: 'test://static/resource/{id}', name: 'Static Resource' }],
  prompts: [{ name: 'simple-prompt' }],
};
const fs: Catalog = {
  tools: [tool('read_text_file'), tool('write_file')],
  resources: [],
  resourceTemplates: [],
  prompts: [],
};
const other: Catalog = {
  tools: [],
  resources: [{ uri: 'test://static/resource/1', name: 'dup' }],
  resourceTemplates: [],
  prompts: [],
};

describe('buildRoutes', () => {
  const routes = buildRoutes(
    [
      { server: 'fs', catalog: fs, allowsTool: (t) => t !== 'write_file' },
      { server: 'everything', catalog: everything, allowsTool: (t) => t !== 'get-env' },
    ],
    64,
  );

  it('lists only allowed tools, namespaced, servers in name order', () => {
    expect(routes.toolList.map((t) => t.name)).toEqual(['everything__echo', 'fs__read_text_file']);
    expect(routes.tools.get('fs__write_file')).toBeUndefined();
    expect(routes.tools.get('everything__echo')).toMatchObject({ server: 'everything', name: 'echo' });
  });

  it('namespaces prompts and resource names but keeps URIs', () => {
    expect(routes.promptList.map((p) => p.name)).toEqual(['everything__simple-prompt']);
    expect(routes.resourceList).toEqual([{ uri: 'test://static/resource/1', name: 'everything__Resource 1' }]);
    expect(routes.templateList[0]).toMatchObject({ uriTemplate: 'test://static/resource/{id}' });
  });

  it.each([
    ['test://static/resource/1', 'everything'],
    ['test://static/resource/42', 'everything'],
    ['test://anything/else', 'everything'],
  ])('routes %s to %s', (uri, server) => {
    expect(routes.resolveResource(uri)).toBe(server);
    expect(routes.resolveResource(uri)).toBe(server);
  });

  it('refuses an unknown URI as not found', () => {
    expect(() => routes.resolveResource('file:///etc/passwd')).toThrow(/Resource not found/);
  });

  it('refuses a URI two servers claim instead of guessing', () => {
    const r = buildRoutes(
      [
        { server: 'everything', catalog: everything, allowsTool: () => true },
        { server: 'other', catalog: other, allowsTool: () => true },
      ],
      64,
    );
    expect(() => r.resolveResource('test://static/resource/1')).toThrow(/more than one server \(everything, other\)/);
  });
});
