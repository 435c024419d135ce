import { describe, expect, it } from 'vitest';
import { fmtMb, fmtMs, fmtRatio, percentile, stats, table, target, targetTable } from './report.js';

describe('targets', () => {
  it.each([
    ['≤ met', 1.9, '<=', 2, true],
    ['≤ at the limit', 2, '<=', 2, true],
    ['≤ over', 2.1, '<=', 2, false],
    ['< at the limit', 0, '<', 0, false],
    ['< under', -0.1, '<', 0, true],
    ['≥ met', 0.6, '>=', 0.6, true],
    ['≥ short', 0.59, '>=', 0.6, false],
    ['a missing figure fails', NaN, '<=', 2, false],
    ['an infinite figure fails', Infinity, '>=', 0.6, false],
  ] as const)('%s', (_, value, op, limit, ok) => {
    expect(target('t', value, op, limit, fmtRatio).ok).toBe(ok);
    expect(target('t', value, op, limit, fmtRatio).ok).toBe(ok);
  });

  it('shows the limit with its operator and the measured figure in the same unit', () => {
    expect(target('rss', 90 * 1024, '<=', 80 * 1024, fmtMb)).toEqual({
      name: 'rss',
      measured: '90.0 MB',
      limit: '≤ 80.0 MB',
      ok: false,
    });
    expect(target('p50', NaN, '<', 0, fmtMs).measured).toBe('n/a');
  });

  it('counts the targets met under the table', () => {
    const text = targetTable([target('a', 1, '<=', 2, fmtRatio), target('b', 3, '<=', 2, fmtRatio)]);
    expect(text).toMatch(/^a\s+×1\.00\s+≤ ×2\.00\s+PASS$/m);
    expect(text).toMatch(/^b\s+×3\.00\s+≤ ×2\.00\s+FAIL$/m);
    expect(text.endsWith('1/2 targets met')).toBe(true);
  });
});

describe('table', () => {
  it('pads the first column left and the others right, one rule line under the head', () => {
    expect(
      table(
        ['m', 'direct'],
        [
          ['p50', '1 ms'],
          ['throughput', '10 /s'],
        ],
      ).split('\n'),
    ).toEqual(['m           direct', '----------  ------', 'p50           1 ms', 'throughput   10 /s']);
  });
});

describe('percentiles', () => {
  it.each([
    [[], 50, NaN],
    [[5], 99, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
  ])('%j at p%i is %d', (xs, p, want) => {
    expect(percentile(xs, p)).toBe(want);
  });

  it('sorts before it reads, and leaves its input alone', () => {
    const xs = [3, 1, 2];
    expect(stats(xs)).toEqual({ n: 3, p50: 2, p99: 3 });
    expect(xs).toEqual([3, 1, 2]);
  });
});
