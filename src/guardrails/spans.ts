/**
 * Span helpers shared by the detectors: mapping a span of normalised text back to the original, and keeping one
 * finding per overlapping group so redactions never overlap.
 */
import type { NormalizedText } from './normalize.js';

/** Maps a span of the normalised text back to the original, covering whole original characters. */
export function originalSpan(norm: NormalizedText, start: number, end: number): [number, number] {
  const s = norm.toOriginal(start);
  const last = norm.toOriginal(end - 1);
  const cp = norm.original.codePointAt(last) ?? 0;
  return [s, last + (cp > 0xffff ? 2 : 1)];
}

/**
 * Keeps the strongest finding of each overlapping group, strongest first by `stronger` (negative: a beats b).
 * The result is sorted by start and non-overlapping.
 */
export function keepStrongest<T extends { start: number; end: number }>(
  found: T[],
  stronger: (a: T, b: T) => number,
): T[] {
  if (found.length < 2) return found;
  const kept: T[] = [];
  for (const f of [...found].sort(stronger)) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.start < f.start) lo = mid + 1;
      else hi = mid;
    }
    const prev = kept[lo - 1];
    const next = kept[lo];
    if ((prev && prev.end > f.start) || (next && next.start < f.end)) continue;
    kept.splice(lo, 0, f);
  }
  return kept;
}
