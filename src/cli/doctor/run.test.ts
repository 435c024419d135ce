import { describe, expect, it, vi } from 'vitest';
import { exitCode, formatResult, runDoctor, ttyProgress } from './run.js';
import type { DoctorCheck, DoctorContext } from './types.js';

const ctx = {} as DoctorContext;
const check = (id: string, run: DoctorCheck['run']): DoctorCheck => ({ id, title: id, run });

describe('the doctor runner', () => {
  it('runs checks in order, and turns a check that throws into a failure naming it', async () => {
    const lines: string[] = [];
    const progress: (string | undefined)[] = [];
    const r = await runDoctor(
      [
        check('a', () => [{ status: 'ok', subject: 'a', detail: 'fine' }]),
        check('b', () => {
          throw new Error('kaput');
        }),
      ],
      ctx,
      { write: (t) => lines.push(t), progress: (t) => progress.push(t) },
    );
    expect(r.checks.map((c) => [c.check, c.status])).toEqual([
      ['a', 'ok'],
      ['b', 'fail'],
    ]);
    expect(r.checks[1]!.detail).toBe('the check itself failed: kaput');
    expect(lines[0]).toMatch(/^✓ a +fine\n$/);
    expect(progress).toEqual(['a', undefined, 'b', undefined]);
  });

  it.each([
    [{ ok: 3, warn: 0, fail: 0, skip: 1 }, false, 0],
    [{ ok: 3, warn: 1, fail: 0, skip: 0 }, false, 0],
    [{ ok: 3, warn: 1, fail: 0, skip: 0 }, true, 1],
    [{ ok: 3, warn: 1, fail: 1, skip: 0 }, true, 2],
    [{ ok: 0, warn: 0, fail: 1, skip: 0 }, false, 2],
  ])('exits by the worst result: %j strict=%s → %i', (counts, strict, code) => {
    expect(exitCode({ checks: [], counts }, strict)).toBe(code);
  });

  it('prints the fix under a warning or a failure only', () => {
    expect(formatResult({ status: 'fail', subject: 's', detail: 'd', fix: 'do it', ms: 5 })).toMatch(
      /^✗ s +d \(5 ms\)\n +fix: do it\n$/,
    );
    expect(formatResult({ status: 'ok', subject: 's', detail: 'd', fix: 'x' })).not.toContain('fix');
  });

  it('draws a spinner line while a check runs and clears it before the results', () => {
    vi.useFakeTimers();
    try {
      const written: string[] = [];
      const progress = ttyProgress({ write: (t: string) => written.push(t) > 0 }, 100);
      progress('upstream servers');
      vi.advanceTimersByTime(250);
      expect(written).toHaveLength(3);
      expect(written.map((w) => w.slice(4, 5))).toEqual(['⠋', '⠙', '⠹']);
      expect(written[2]).toBe('\r\x1b[K⠹ upstream servers 0.2s');
      progress(undefined);
      vi.advanceTimersByTime(500);
      expect(written).toHaveLength(4);
      expect(written[3]).toBe('\r\x1b[K');
    } finally {
      vi.useRealTimers();
    }
  });
});
