import { describe, expect, it } from 'vitest';
import { testCall, testContext } from '../../test/support/test-context.js';
import { createArgumentSizeStage, createResultSizeStage, formatBytes, jsonBytes } from './size.js';

describe('size limits', () => {
  const args = createArgumentSizeStage({ maxBytes: 20 });
  const ctx = testContext();

  it.each([
    [{}, 'allow'],
    [{ a: 'x'.repeat(10) }, 'allow'],
    [{ a: 'x'.repeat(20) }, 'deny'],
    [{ a: 'é'.repeat(8) }, 'deny'], // 8 two-byte characters: bytes, not characters, count
  ])('arguments %j → %s', (a, action) => {
    expect(args.check(testCall(a), ctx)).toMatchObject({ action });
    expect(args.check(testCall(a), ctx)).toMatchObject({ action });
  });

  it('names the rule and both sizes when it denies', () => {
    expect(args.check(testCall({ a: 'x'.repeat(100) }), ctx)).toEqual({
      action: 'deny',
      ruleId: 'size.max-argument-bytes',
      reason: 'arguments are 108 B; the limit is 20 B',
    });
  });

  it('measures the whole result, structuredContent included', () => {
    const stage = createResultSizeStage({ maxBytes: 100 });
    const small = { content: [{ type: 'text' as const, text: 'ok' }] };
    const big = { ...small, structuredContent: { blob: 'y'.repeat(200) } };
    expect(stage.check(small, ctx)).toEqual({ action: 'allow' });
    expect(stage.check(big, ctx)).toMatchObject({ action: 'deny', ruleId: 'size.max-result-bytes' });
  });

  it('formats sizes for people', () => {
    expect([formatBytes(10), formatBytes(2048), formatBytes(3 * 1024 * 1024)]).toEqual(['10 B', '2.0 KiB', '3.0 MiB']);
    expect(jsonBytes({ a: 1 })).toBe(7);
  });
});

describe('jsonBytes: the UTF-8 size of the JSON, without reading the serialised text back', () => {
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 300; i++) at = at.n = {};
  it.each([
    ['ASCII text', { content: [{ type: 'text', text: 'hello\nworld "quoted" \\ \u0001' }] }],
    ['two-, three- and four-byte characters', { text: 'é中😀 and \u2028 \u2029' }],
    ['non-ASCII keys', { clé: 1, 键: ['值', null, true, 1.5e-7] }],
    ['a lone high surrogate (escaped by JSON)', { text: 'a\ud800b' }],
    ['a lone low surrogate (escaped by JSON)', ['\udc00x']],
    ['a member JSON leaves out', { a: undefined, b: 'é', c: () => 1 }],
    ['an array hole and undefined', [1, undefined, 'ü']],
    ['a Date and toJSON', { when: new Date(0), x: { toJSON: () => 'ß' } }],
    ['nesting deeper than the walk', deep],
    ['a bare string, number and null', 'ö'],
    ['null', null],
    ['NaN', { n: NaN }],
  ])('measures %s as Buffer.byteLength(JSON.stringify(…)) does', (_name, value) => {
    const expected = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    // walkFrom 0: measured by the walk whatever the size, as a large result is.
    expect(jsonBytes(value, 0)).toBe(expected);
    expect(jsonBytes(value, 0)).toBe(expected);
    expect(jsonBytes(value)).toBe(expected);
  });

  it('measures nothing as 0 bytes', () => {
    expect(jsonBytes(undefined)).toBe(0);
  });

  it('measures a large result with non-ASCII text by the walk', () => {
    const result = { content: [{ type: 'text', text: `${'é中😀 '.repeat(20_000)}` }], structuredContent: { k: 'ß' } };
    expect(jsonBytes(result)).toBe(Buffer.byteLength(JSON.stringify(result), 'utf8'));
  });
});
