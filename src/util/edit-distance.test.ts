import { describe, expect, it } from 'vitest';
import { editDistance } from './edit-distance.js';

describe('editDistance', () => {
  it.each([
    ['cursr', 'cursor', 3, 1],
    ['cursor', 'cursor', 3, 0],
    ['zde', 'zed', 3, 1], // a transposition is one edit
    ['emacs', 'cursor', 2, 3], // more than max: max + 1
    ['a', 'abcdef', 2, 3], // lengths too far apart
  ])('%s → %s (max %i) is %i', (a, b, max, expected) => {
    expect(editDistance(a, b, max)).toBe(expected);
    expect(editDistance(b, a, max)).toBe(expected);
  });
});
