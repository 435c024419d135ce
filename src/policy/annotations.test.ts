import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { classifyTool, describeClass, describeSource, type AnnotationOverrides } from './annotations.js';

const tool = (name: string, annotations?: Tool['annotations']) => ({ name, ...(annotations ? { annotations } : {}) });

describe('classifyTool', () => {
  it.each<[string, Tool['annotations'] | undefined, [boolean, boolean, boolean], string]>([
    ['no annotations: MCP defaults, destructive and open-world', undefined, [false, true, true], 'defaults'],
    ['only a title: still the defaults', { title: 'Delete' }, [false, true, true], 'defaults'],
    ['read-only and closed', { readOnlyHint: true, openWorldHint: false }, [true, false, false], 'hints'],
    ['read-only ignores destructiveHint', { readOnlyHint: true, destructiveHint: true }, [true, false, true], 'hints'],
    [
      'not read-only, destructive by default',
      { readOnlyHint: false, openWorldHint: false },
      [false, true, false],
      'hints',
    ],
    ['additive', { destructiveHint: false, openWorldHint: false }, [false, false, false], 'hints'],
    ['open-world search', { readOnlyHint: true, openWorldHint: true }, [true, false, true], 'hints'],
    ['a non-boolean hint counts as absent', { readOnlyHint: 'yes' as never }, [false, true, true], 'defaults'],
  ])('%s', (_name, annotations, [readOnly, destructive, openWorld], source) => {
    const c = classifyTool(tool('t', annotations), {});
    expect(c).toEqual({ readOnly, destructive, openWorld, source: { kind: source } });
    // Same input twice: the compiled overrides are cached, never mutated.
    expect(classifyTool(tool('t', annotations), {})).toEqual(c);
  });

  const overrides: AnnotationOverrides = {
    'delete_*': { destructive: true },
    read_graph: { readOnly: true, openWorld: false },
    '{get,list}_*': { readOnly: true },
    '*': { openWorld: false },
  };

  it.each<[string, Tool['annotations'] | undefined, [boolean, boolean, boolean], string]>([
    // A server that lies: claims read-only for a tool that deletes.
    [
      'delete_entities',
      { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
      [false, true, false],
      'delete_*',
    ],
    ['read_graph', undefined, [true, false, false], 'read_graph'],
    // A field the override leaves out keeps the server's hint (openWorldHint true here).
    ['get_page', { openWorldHint: true }, [true, false, true], '{get,list}_*'],
    ['list_items', undefined, [true, false, true], '{get,list}_*'],
    // The catch-all is last; destructive stays the default.
    ['create_entities', undefined, [false, true, false], '*'],
  ])('override for %s replaces the hints (first matching glob wins)', (name, annotations, expected, glob) => {
    const c = classifyTool(tool(name, annotations), overrides);
    expect([c.readOnly, c.destructive, c.openWorld]).toEqual(expected);
    expect(c.source).toEqual({ kind: 'override', glob });
  });

  it('lets an override mark a read-only tool as not read-only, and then destructive by default', () => {
    const c = classifyTool(tool('t', { readOnlyHint: true }), { t: { readOnly: false } });
    expect([c.readOnly, c.destructive]).toEqual([false, true]);
  });

  it('resolves a self-contradicting override to the stricter class', () => {
    const c = classifyTool(tool('t'), { t: { readOnly: true, destructive: true } });
    expect([c.readOnly, c.destructive]).toEqual([false, true]);
  });

  it('matches globs against the upstream tool name exactly', () => {
    expect(classifyTool(tool('xdelete_a'), { 'delete_*': { destructive: false } }).source.kind).toBe('defaults');
  });
});

describe('describing a classification', () => {
  it.each([
    [{ readOnly: false, destructive: true, openWorld: true }, 'destructive and open-world'],
    [{ readOnly: false, destructive: true, openWorld: false }, 'destructive'],
    [{ readOnly: false, destructive: false, openWorld: true }, 'open-world'],
    [{ readOnly: true, destructive: false, openWorld: true }, 'read-only but open-world'],
    [{ readOnly: true, destructive: false, openWorld: false }, 'read-only'],
    [{ readOnly: false, destructive: false, openWorld: false }, 'neither destructive nor open-world'],
  ])('names %o as %s', (c, text) => {
    expect(describeClass({ ...c, source: { kind: 'defaults' } })).toBe(text);
  });

  it('says where the classification came from', () => {
    const base = { readOnly: false, destructive: true, openWorld: true };
    expect(describeSource({ ...base, source: { kind: 'override', glob: 'rm*' } }, 'fs')).toBe(
      'per servers.fs.annotations["rm*"]',
    );
    expect(describeSource({ ...base, source: { kind: 'hints' } }, 'fs')).toBe('per the server’s annotations');
    expect(describeSource({ ...base, source: { kind: 'defaults' } }, 'fs')).toMatch(/declares no annotations/);
  });
});
