import { describe, expect, it } from 'vitest';
import { canonicalize, canonicalJson } from './canonical.js';

/** Every input is written twice: a canonical form that depends on state would show up as a difference. */
function twice(value: unknown, indent?: number): string {
  const first = canonicalJson(value, indent);
  expect(canonicalJson(value, indent)).toBe(first);
  return first;
}

describe('canonical JSON', () => {
  it.each([
    ['key order at the top', { b: 1, a: 2 }, { a: 2, b: 1 }],
    ['key order at every depth', { x: { d: [{ z: 1, y: 2 }], c: null } }, { x: { c: null, d: [{ y: 2, z: 1 }] } }],
    ['integer-like keys', { '10': 'a', '9': 'b', a: 'c' }, { a: 'c', '9': 'b', '10': 'a' }],
    ['NFC: a precomposed and a decomposed letter', { 'caf\u00e9': 'na\u0308ive' }, { 'cafe\u0301': 'n\u00e4ive' }],
    ['undefined members', { a: 1, b: undefined }, { a: 1 }],
    ['negative zero', { n: -0 }, { n: 0 }],
    ['a number written two ways', { n: 1.0 }, { n: 1 }],
  ])('does not depend on %s', (_name, a, b) => {
    expect(twice(a)).toBe(twice(b));
  });

  it.each([
    ['array order', [1, 2], [2, 1]],
    ['a changed byte in a string', { d: 'Reads a file.' }, { d: 'Reads a fil.' }],
    ['a zero-width space', { d: 'Reads a file.' }, { d: 'Reads a\u200b file.' }],
    ['a compatibility form (NFKC would fold it)', { d: 'file' }, { d: '\ufb01le' }],
    ['fullwidth letters (NFKC would fold them)', { d: 'A' }, { d: '\uff21' }],
    ['a string and a number', { v: '1' }, { v: 1 }],
    ['null and a missing member', { v: null }, {}],
    ['key case', { a: 1 }, { A: 1 }],
  ])('tells apart %s', (_name, a, b) => {
    expect(twice(a)).not.toBe(twice(b));
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does', () => {
    expect(twice({ b: 0, B: 0, a: 0, '\u00e9': 0, '\u{1f600}': 0, '\uff41': 0, '1': 0 })).toBe(
      '{"1":0,"B":0,"a":0,"b":0,"é":0,"😀":0,"ａ":0}',
    );
  });

  it('writes the scalars as JSON does', () => {
    expect(twice([null, true, false, 0, 1.5, 1e21, 'a"b\n', undefined, Number.NaN, Infinity])).toBe(
      '[null,true,false,0,1.5,1e+21,"a\\"b\\n",null,null,null]',
    );
  });

  it('pretty-prints the same document one member a line', () => {
    const text = twice({ b: [1, { d: 2, c: [] }], a: {} }, 2);
    expect(text).toBe('{\n  "a": {},\n  "b": [\n    1,\n    {\n      "c": [],\n      "d": 2\n    }\n  ]\n}');
    expect(JSON.parse(text)).toEqual(JSON.parse(twice({ b: [1, { d: 2, c: [] }], a: {} })));
  });

  it('keeps a key named __proto__ as a key', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    expect(twice(value)).toBe('{"__proto__":{"x":1},"a":2}');
    expect(Object.getPrototypeOf(canonicalize(value))).toBe(Object.prototype);
  });

  it('uses toJSON, as JSON.stringify does', () => {
    expect(twice({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });

  it('does not change its input', () => {
    const input = { b: 'cafe\u0301', a: [undefined] };
    canonicalize(input);
    expect(input).toEqual({ b: 'cafe\u0301', a: [undefined] });
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(twice({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it.each([
    [
      'a cycle',
      (() => {
        const a: Record<string, unknown> = {};
        a.self = a;
        return a;
      })(),
      /refers back to itself/,
    ],
    ['a bigint', { n: 1n }, /\$\.n is a bigint/],
    ['a function', { f: () => 1 }, /\$\.f is a function/],
    ['two keys that are one in NFC', { 'caf\u00e9': 1, 'cafe\u0301': 2 }, /the same text in NFC/],
  ])('refuses %s', (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });
});
