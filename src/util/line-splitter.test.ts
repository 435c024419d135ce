import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function split(chunks: string[], maxLineBytes = 1024) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const s = new LineSplitter({ maxLineBytes, onLine: (l) => lines.push(l), onOverflow: (n) => overflows.push(n) });
  for (const c of chunks) s.push(Buffer.from(c));
  return { lines, overflows, pending: s.pending };
}

describe('LineSplitter', () => {
  it.each([
    [['a\nb\n'], ['a', 'b']],
    [
      ['a', 'b\n', 'c\r\n'],
      ['ab', 'c'],
    ],
    [['\n\n  \nx\n'], ['x']],
    [
      ['{"a":1}\n{"b"', ':2}\n'],
      ['{"a":1}', '{"b":2}'],
    ],
  ])('splits %j into lines', (chunks, expected) => {
    expect(split(chunks).lines).toEqual(expected);
    // Same input again: no state leaks between runs.
    expect(split(chunks).lines).toEqual(expected);
  });

  it('keeps an unfinished line pending', () => {
    expect(split(['abc']).pending).toBe(3);
  });

  it('discards an oversized line whole and keeps the next one', () => {
    const r = split(['x'.repeat(6), 'y'.repeat(6), 'z\nok\n'], 10);
    expect(r.lines).toEqual(['ok']);
    expect(r.overflows).toEqual([13]);
  });

  it('handles multi-byte characters split across chunks', () => {
    const bytes = Buffer.from('é\n');
    const lines: string[] = [];
    const s = new LineSplitter({ maxLineBytes: 100, onLine: (l) => lines.push(l), onOverflow: () => {} });
    s.push(bytes.subarray(0, 1));
    s.push(bytes.subarray(1));
    expect(lines).toEqual(['é']);
  });

  it.each([
    [['{"id":7,"x":"', 'y'.repeat(100), '"}\n'], 8, '{"id":7,'],
    [['{"id":7,"x":"' + 'y'.repeat(100) + '"}\n'], 8, '{"id":7,'],
    [['{"', 'i', 'd":', '7', ',"x":"' + 'y'.repeat(100) + '"}\n'], 8, '{"id":7,'],
  ])('keeps the first bytes of an oversized line when asked (%#)', (chunks, keep, head) => {
    for (let round = 0; round < 2; round++) {
      const heads: string[] = [];
      const lines: string[] = [];
      const s = new LineSplitter({
        maxLineBytes: 32,
        keepHeadBytes: keep,
        onLine: (l) => lines.push(l),
        onOverflow: (_n, h) => heads.push(h.toString()),
      });
      for (const c of chunks) s.push(Buffer.from(c));
      s.push(Buffer.from('{"next":1}\n'));
      expect(heads).toEqual([head]);
      // The next line is whole and carries nothing of the discarded one.
      expect(lines).toEqual(['{"next":1}']);
    }
  });
});
