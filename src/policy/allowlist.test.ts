import { describe, expect, it } from 'vitest';
import { createToolFilter } from './allowlist.js';

describe('tool filter', () => {
  it.each([
    [{ allow: ['*'], deny: [] }, 'anything', true],
    [{ allow: ['read_*', 'list_directory'], deny: [] }, 'read_text_file', true],
    [{ allow: ['read_*', 'list_directory'], deny: [] }, 'list_directory', true],
    [{ allow: ['read_*', 'list_directory'], deny: [] }, 'write_file', false],
    [{ allow: ['*'], deny: ['write_*', 'move_file'] }, 'write_file', false],
    [{ allow: ['*'], deny: ['write_*', 'move_file'] }, 'move_file', false],
    [{ allow: ['*'], deny: ['write_*'] }, 'read_file', true],
    [{ allow: ['read_file'], deny: ['read_file'] }, 'read_file', false],
    [{ allow: ['{get,list}-*'], deny: [] }, 'get-sum', true],
    [{ allow: ['{get,list}-*'], deny: [] }, 'echo', false],
    [{ allow: [], deny: [] }, 'echo', false],
    [{ allow: ['*'], deny: [] }, '.hidden', true],
  ])('%j: %s → %s', (filter, tool, expected) => {
    const allows = createToolFilter(filter);
    expect(allows(tool)).toBe(expected);
    expect(allows(tool)).toBe(expected);
  });
});
