/**
 * The pure parts of the bench's report: percentiles, the column table, and the issue-21 targets with PASS/FAIL.
 * A measurement that is missing (NaN, a section that failed) is a FAIL, never a PASS: a target is met only by a
 * figure that was taken.
 */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Stats {
  n: number;
  p50: number;
  p99: number;
}

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((w, i) => (i === 0 ? (cells[i] ?? '').padEnd(w) : (cells[i] ?? '').padStart(w)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export type Op = '<=' | '<' | '>=';

export interface Target {
  name: string;
  measured: string;
  limit: string;
  ok: boolean;
}

const OP_TEXT: Record<Op, string> = { '<=': '≤', '<': '<', '>=': '≥' };

/** One target: `value op limit`, shown through `fmt`. A non-finite value fails. */
export function target(name: string, value: number, op: Op, limit: number, fmt: (v: number) => string): Target {
  const ok = Number.isFinite(value) && (op === '<=' ? value <= limit : op === '<' ? value < limit : value >= limit);
  return { name, measured: Number.isFinite(value) ? fmt(value) : 'n/a', limit: `${OP_TEXT[op]} ${fmt(limit)}`, ok };
}

export function targetTable(targets: readonly Target[]): string {
  const met = targets.filter((t) => t.ok).length;
  return [
    table(
      ['target (issue 21)', 'measured', 'limit', 'result'],
      targets.map((t) => [t.name, t.measured, t.limit, t.ok ? 'PASS' : 'FAIL']),
    ),
    '',
    `${met}/${targets.length} targets met`,
  ].join('\n');
}

export const fmtMs = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(3)} ms` : 'n/a');
export const fmtMsShort = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
export const fmtUs = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} µs` : 'n/a');
export const fmtRatio = (v: number): string => (Number.isFinite(v) ? `×${v.toFixed(2)}` : 'n/a');
export const fmtPerSec = (v: number): string =>
  Number.isFinite(v) ? `${Math.round(v).toLocaleString('en-US')} /s` : 'n/a';
export const fmtMb = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');
export const fmtPct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
