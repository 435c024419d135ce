import { describe, expect, it } from 'vitest';
import { formatArgPath, parseArgPath, selectArgs } from './arg-path.js';

const args = {
  path: '/a',
  query: { filters: [{ value: 1 }, { other: 2 }, { value: 3 }], text: 'q' },
  items: [{ url: 'https://a' }, { url: 'https://b' }],
  headers: { accept: 'json', 'x-key': 'k' },
  'odd key': { 'a]b': 'x' },
  matrix: [
    [1, 2],
    [3, 4],
  ],
};

describe('argument paths', () => {
  it.each([
    ['path', [['path', '/a']]],
    [
      'query.filters[*].value',
      [
        ['query.filters[0].value', 1],
        ['query.filters[2].value', 3],
      ],
    ],
    ['items[0].url', [['items[0].url', 'https://a']]],
    ['items[1].url', [['items[1].url', 'https://b']]],
    ['items[5].url', []],
    [
      'headers.*',
      [
        ['headers.accept', 'json'],
        ['headers.x-key', 'k'],
      ],
    ],
    ['["odd key"]["a]b"]', [['["odd key"]["a]b"]', 'x']]],
    ['matrix[1][0]', [['matrix[1][0]', 3]]],
    [
      'matrix[*][1]',
      [
        ['matrix[0][1]', 2],
        ['matrix[1][1]', 4],
      ],
    ],
    ['query.text', [['query.text', 'q']]],
    ['query.text.length', []],
    ['missing', []],
    ['path[*]', []],
    ['path[0]', []],
    ['path.*', []],
    ['query[*]', []],
    ['constructor', []],
    ['__proto__', []],
    ['toString', []],
  ])('%s', (expr, expected) => {
    for (let i = 0; i < 2; i++) {
      expect([...selectArgs(args, expr)].map((m) => [m.path, m.value])).toEqual(expected);
    }
  });

  it('walks every top-level argument with *', () => {
    expect([...selectArgs({ a: 1, b: 2 }, '*')].map((m) => m.path)).toEqual(['a', 'b']);
  });

  it('accepts parsed segments', () => {
    expect([...selectArgs(args, parseArgPath('items[*].url'))]).toHaveLength(2);
  });

  it.each([
    ['', /empty/],
    ['a.', /expected a name/],
    ['a..b', /expected a name/],
    ['a[', /expected an index/],
    ['a[x]', /expected an index/],
    ['a[-1]', /expected an index/],
    ['a[01]', /expected an index/],
    ['a b', /expected `.` or `\[`/],
    ['a["x"', /expected `]`/],
    ['a["x\\q"]', /bad JSON string/],
    ['a.b*', /expected `.` or `\[`/],
    ['.a', /expected a name/],
  ])('rejects %j', (expr, message) => {
    expect(() => parseArgPath(expr)).toThrow(message);
  });

  it.each([
    'path',
    'query.filters[*].value',
    'items[0].url',
    'headers.*',
    '*',
    '["odd key"].x',
    '[*].a',
    'a-b.c',
    '2fa.code',
  ])('formats %s back to itself', (expr) => {
    expect(formatArgPath(parseArgPath(expr))).toBe(expr);
  });
});
