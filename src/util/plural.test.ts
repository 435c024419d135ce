import { describe, expect, it } from 'vitest';
import { agree, plural } from './plural.js';

describe('plural', () => {
  it.each([
    [0, 'server', undefined, '0 servers'],
    [1, 'server', undefined, '1 server'],
    [2, 'server', undefined, '2 servers'],
    [1, 'entry', 'entries', '1 entry'],
    [3, 'entry', 'entries', '3 entries'],
    [1, 'client config backup', undefined, '1 client config backup'],
  ])('counts %i %s', (n, word, many, expected) => {
    expect(plural(n, word, many)).toBe(expected);
    expect(plural(n, word, many)).toBe(expected);
  });

  it.each([
    [0, 'bypass'],
    [1, 'bypasses'],
    [2, 'bypass'],
  ])('makes the verb agree with %i', (n, expected) => {
    expect(agree(n, 'bypasses', 'bypass')).toBe(expected);
  });
});
