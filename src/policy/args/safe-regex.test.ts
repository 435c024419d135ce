import { describe, expect, it } from 'vitest';
import { checkRegexSafety, compileSafeRegex } from './safe-regex.js';

describe('safe regex', () => {
  it.each([
    ['(a+)+$', '', /star height 2/],
    ['(a*)*b', '', /star height 2/],
    ['(\\w+\\s?)+$', '', /star height 2/],
    ['^(\\d+|\\w+)*$', '', /star height 2|same character/],
    ['(a{1,2})+', '', /star height 2/],
    ['(a+){3}', '', /star height 2/],
    ['(a{1,10}){5}', '', /star height 2/],
    ['((a+)b?)+', '', /star height 2/],
    ['(a+ba+)+', '', /star height 2/],
    ['(?=(a+)+)b', '', /star height 2/],
    ['(a|a)*', '', /same character/],
    ['(a|ab)*c', '', /same character/],
    ['(\\w|\\d)+$', '', /same character/],
    ['(.|\\s)*x', '', /same character/],
    ['(.|\\n)*x', 's', /same character/],
    ['(A|a)+$', 'i', /same character/],
    ['(\\u0041|A)+', '', /same character/],
    ['(\\x41|A)+', '', /same character/],
    ['([^b]|a)+', '', /same character/],
    ['(\\p{L}|x)+', 'u', /same character/],
    ['(\\W|!)+', '', /same character/],
    ['(\\S|x)+', '', /same character/],
    ['(\\D|x)+', '', /same character/],
    ['(\\cJ|\\n)+', '', /same character/],
    ['([\\t]|\\t)+', '', /same character/],
    ['([\\b]|\\x08)+', '', /same character/],
    ['(\\u{1F600}|😀)+', 'u', /same character/],
    ['(😀|😀)+', 'u', /same character/],
    ['(\\0|\\x00)+', '', /same character/],
    ['(\\f|\\x0c)+', '', /same character/],
    ['(\\v|\\x0b)+', '', /same character/],
    ['(\\r|\\x0d)+', '', /same character/],
    ['([a-c]|b)+', '', /same character/],
    ['([\\d-x]|-)+', '', /same character/],
    ['(\\.|.)+', '', /same character/],
    ['(a)\\1', '', /backreference/],
    ['(?<x>a)\\k<x>', '', /backreference/],
    ['x', 'g', /stateful/],
    ['x', 'y', /stateful/],
    ['x', 'v', /"v"/],
    ['(', '', /Invalid regular expression/],
  ])('refuses /%s/%s', (source, flags, reason) => {
    const result = checkRegexSafety(source, flags);
    expect(result.safe).toBe(false);
    expect(result.safe ? '' : result.reason).toMatch(reason);
    expect(() => compileSafeRegex(source, flags)).toThrow(/is refused/);
  });

  it.each([
    ['^\\d{3}-\\d{4}$', ''],
    ['^[a-z][a-z0-9_]*$', ''],
    ['^([a-z0-9-]+\\.)+[a-z]{2,}$', 'i'],
    ['^(\\d{1,3}\\.){3}\\d{1,3}$', ''],
    ['(\\.\\w+)+$', ''],
    ['^(a|b)+$', ''],
    ['(a|)+', ''],
    ['(?:a{2})+', ''],
    ['(a+){2}', ''],
    ['^(foo|foobar)$', ''],
    ['\\bword\\b', 'i'],
    ['^[^@\\s]+@[^@\\s]+$', ''],
    ['(?<year>\\d{4})-(?<month>\\d{2})', ''],
    ['(?<!x)y(?!z)', ''],
    ['a{,2}', ''],
    ['\\k', ''],
    ['\\p', ''],
    ['\\c1', ''],
    ['\\xZ\\u00', ''],
    ['[\\-a]', ''],
    ['[]', ''],
    ['[^]', 's'],
    ['.', 's'],
    ['(a|b|c)*d', 'm'],
  ])('accepts /%s/%s', (source, flags) => {
    expect(checkRegexSafety(source, flags)).toEqual({ safe: true });
    expect(compileSafeRegex(source, flags)).toBeInstanceOf(RegExp);
  });

  it('quotes the offending part of the pattern', () => {
    const result = checkRegexSafety('^id=(\\d+)+;');
    expect(result).toEqual({
      safe: false,
      reason:
        'it nests the repetition "\\d+" inside the repetition "(\\d+)+" (star height 2), which can backtrack catastrophically',
    });
  });

  it('shortens a long offending part', () => {
    const result = checkRegexSafety(`(${'x'.repeat(50)}|x)+`);
    expect(result.safe ? '' : result.reason).toContain('…');
  });
});
