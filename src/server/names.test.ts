import { describe, expect, it } from 'vitest';
import { buildNameTable, exposedName } from './names.js';

describe('exposedName', () => {
  it('joins server and tool with __ when it fits', () => {
    expect(exposedName('fs', 'read_text_file', 64)).toBe('fs__read_text_file');
  });

  it.each([
    ['github', 'x'.repeat(80)],
    ['a-very-long-server-name-here', 'search_repositories_with_advanced_filters_v2'],
    ['srv', 'dotted.name/with spaces'],
  ])('shortens %s/%s deterministically to at most 64 safe characters', (server, tool) => {
    const a = exposedName(server, tool, 64);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(/^[A-Za-z0-9_-]+_[0-9a-f]{8}$/);
    expect(a.startsWith(`${server}__`)).toBe(true);
    expect(exposedName(server, tool, 64)).toBe(a);
  });

  it('respects a lower configured limit', () => {
    expect(exposedName('everything', 'trigger-long-running-operation', 30)).toHaveLength(30);
  });

  it('gives different names to tools that differ only past the cut', () => {
    const base = 'y'.repeat(70);
    expect(exposedName('s', `${base}_a`, 64)).not.toBe(exposedName('s', `${base}_b`, 64));
  });

  it('never lets a sanitised name take an existing plain name', () => {
    expect(exposedName('s', 'a.b', 64)).not.toBe(exposedName('s', 'a_b', 64));
  });
});

describe('buildNameTable', () => {
  it('maps exposed names back to server and tool', () => {
    const t = buildNameTable(
      [
        { server: 'a', name: 'x', item: 1 },
        { server: 'b', name: 'x', item: 2 },
      ],
      64,
    );
    expect([...t.byExposed.keys()]).toEqual(['a__x', 'b__x']);
    expect(t.byExposed.get('b__x')).toEqual({ server: 'b', name: 'x', item: 2 });
    expect(t.collisions).toEqual([]);
  });

  it('detects a collision and keeps the first entry', () => {
    const t = buildNameTable(
      [
        { server: 'a', name: 'x', item: 1 },
        { server: 'a', name: 'x', item: 2 },
      ],
      64,
    );
    expect(t.byExposed.get('a__x')?.item).toBe(1);
    expect(t.collisions).toHaveLength(1);
  });
});
