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
