import { describe, expect, it } from 'vitest';
import { blockedQuery } from './audit.js';

describe('audit report: the command line for the blocked calls it does not show', () => {
  it.each([
    [{}, 'secure-mcp-gateway audit query --blocked'],
    [
      { file: '/var/log/smg/audit.jsonl', since: '7d', server: 'fs' },
      'secure-mcp-gateway audit query --blocked --file /var/log/smg/audit.jsonl --since 7d --server fs',
    ],
    [
      { config: 'my config.json', user: "o'brien" },
      `secure-mcp-gateway audit query --blocked --config 'my config.json' --user 'o'\\''brien'`,
    ],
    // --kind would contradict --blocked (calls only), so it is not carried over.
    [
      { kind: 'tool', tool: 'read', until: '2026-11-20T10:00:00Z' },
      'secure-mcp-gateway audit query --blocked --until 2026-11-20T10:00:00Z --tool read',
    ],
  ])('carries the log and the filters of %j', (opts, line) => {
    expect(blockedQuery(opts)).toBe(line);
    expect(blockedQuery(opts)).toBe(line);
  });
});
