import { describe, expect, it } from 'vitest';
import { headerKey, isInlineSecret, secretArgs } from './inline-secrets.js';

describe('inline secrets in client configs', () => {
  it.each([
    ['GITHUB_PERSONAL_ACCESS_TOKEN', 'ghp_R8b2Xq9LmT4vZ7pK1sW3yN6cJ0dF5hG2aE8u', true],
    ['OPENAI_API_KEY', 'sk-proj-abcdefghijklmnop1234', true],
    ['Authorization', 'Bearer abcdefghijklmnop', true],
    ['SOME_VAR', 'ghp_R8b2Xq9LmT4vZ7pK1sW3yN6cJ0dF5hG2aE8u', true],
    ['API_KEY', '${env:API_KEY}', false],
    ['API_KEY', '${input:key}', false],
    ['API_KEY', 'changeme', false],
    ['API_KEY', '<your-key>', false],
    ['TOKEN', 'short', false],
    ['LOG_LEVEL', 'debug-verbose', false],
    ['MEMORY_FILE_PATH', '/home/ann/memory.jsonl', false],
  ])('%s=%s is a secret: %s', (name, value, expected) => {
    expect(isInlineSecret(name, value)).toBe(expected);
    expect(isInlineSecret(name, value)).toBe(expected);
  });

  it('finds secret arguments after a key-like flag or by their shape', () => {
    expect(secretArgs(['--api-key', 'abcdefghijklmnopqrst', '--port', '8080'])).toEqual([1]);
    expect(secretArgs(['run', 'ghp_R8b2Xq9LmT4vZ7pK1sW3yN6cJ0dF5hG2aE8u'])).toEqual([1]);
    expect(secretArgs(['--token', '${env:TOKEN}'])).toEqual([]);
  });

  it('stores headers under a HEADER_ key', () => {
    expect(headerKey('X-Api-Key')).toBe('HEADER_X_API_KEY');
  });
});
