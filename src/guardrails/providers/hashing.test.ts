import { describe, expect, it } from 'vitest';
import { hashingVector, hashingWords, murmurhash3 } from './hashing.js';

describe('murmurhash3', () => {
  // Reference values of MurmurHash3_x86_32 (SMHasher), and scikit-learn's murmurhash3_32("foo") = -156908512.
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7 | 0],
    ['', 0xffffffff, 0x81f16f39 | 0],
    ['a', 0x9747b28c, 0x7fa09ea6 | 0],
    ['abc', 0x9747b28c, 0xc84a62dd | 0],
    ['abcd', 0x9747b28c, 0xf0478627 | 0],
    ['Hello, world!', 1234, 0xfaf6cdb3 | 0],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd | 0],
    ['foo', 0, -156908512],
  ])('hashes %j with seed %d', (key, seed, expected) => {
    expect(murmurhash3(key, seed)).toBe(expected);
    expect(murmurhash3(key, seed)).toBe(expected);
  });

  it('hashes the UTF-8 bytes, so composed and decomposed accents differ', () => {
    expect(murmurhash3('\u00e9')).not.toBe(murmurhash3('\u00e9'.normalize('NFD')));
  });
});

describe('hashingWords', () => {
  it('keeps runs of two or more word characters, lower-cased unless told otherwise', () => {
    expect(hashingWords('I said: Ignore ALL_previous x, 42 times! café')).toEqual([
      'said',
      'ignore',
      'all_previous',
      '42',
      'times',
      'café',
    ]);
    expect(hashingWords('Ignore THIS', false)).toEqual(['Ignore', 'THIS']);
    expect(hashingWords('a bb cc dd', true, 2)).toEqual(['bb', 'cc']);
  });
});

describe('hashingVector', () => {
  const column = (word: string, n: number) => Math.abs(murmurhash3(word)) % n;
  const sign = (word: string) => (murmurhash3(word) >= 0 ? 1 : -1);

  it('counts each word in its column with its sign, then normalises (l2)', () => {
    const v = hashingVector(['foo', 'foo'], { features: 16, norm: 'none' });
    expect(v[column('foo', 16)]).toBe(2 * sign('foo'));
    expect(v.reduce((a, b) => a + Math.abs(b), 0)).toBe(2);
    const l2 = hashingVector(['foo', 'foo'], { features: 16 });
    expect(l2[column('foo', 16)]).toBe(sign('foo'));
  });

  it('adds instead of subtracting without alternateSign, and normalises l1', () => {
    const v = hashingVector(['foo', 'bar', 'baz', 'qux'], { features: 1024, alternateSign: false, norm: 'l1' });
    expect(v.every((x) => x >= 0)).toBe(true);
    expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('counts word n-grams joined by a space', () => {
    const v = hashingVector(['previous', 'instructions'], { features: 4096, ngrams: 2, norm: 'none' });
    expect(v[column('previous instructions', 4096)]).toBe(sign('previous instructions'));
    expect(v.reduce((a, b) => a + Math.abs(b), 0)).toBe(3);
  });

  it('leaves an empty text a zero vector', () => {
    expect(Array.from(hashingVector([], { features: 4 }))).toEqual([0, 0, 0, 0]);
  });
});
