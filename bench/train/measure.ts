/**
 * Measures a detector on the corpus (corpus.ts) by source and split: recall on positives, false-positive rate on
 * negatives. Shared by `npm run eval` and the trainer's own report. A document counts as flagged when the detector
 * reports anything for it in its phase.
 */
import type { Doc, Split, Where } from './corpus.js';

export interface Cell {
  positives: number;
  found: number;
  negatives: number;
  flagged: number;
}

export type Flags = (text: string, where: Where) => boolean;

export function emptyCell(): Cell {
  return { positives: 0, found: 0, negatives: 0, flagged: 0 };
}

export function add(cell: Cell, label: 0 | 1, flagged: boolean): void {
  if (label === 1) {
    cell.positives++;
    if (flagged) cell.found++;
  } else {
    cell.negatives++;
    if (flagged) cell.flagged++;
  }
}

/** source → split → cell, for the documents `select` keeps. */
export function measure(
  docs: Doc[],
  flags: Flags,
  select: (d: Doc) => boolean = () => true,
): Map<string, Map<Split, Cell>> {
  const out = new Map<string, Map<Split, Cell>>();
  for (const d of docs) {
    if (!select(d)) continue;
    const bySplit = out.get(d.source) ?? new Map<Split, Cell>();
    out.set(d.source, bySplit);
    const cell = bySplit.get(d.split) ?? emptyCell();
    bySplit.set(d.split, cell);
    add(cell, d.label, flags(d.text, d.where));
  }
  return out;
}

export function merge(cells: (Cell | undefined)[]): Cell {
  const c = emptyCell();
  for (const x of cells) {
    if (!x) continue;
    c.positives += x.positives;
    c.found += x.found;
    c.negatives += x.negatives;
    c.flagged += x.flagged;
  }
  return c;
}

export const recall = (c: Cell): number => (c.positives ? c.found / c.positives : NaN);
export const fpr = (c: Cell): number => (c.negatives ? c.flagged / c.negatives : NaN);
export const pct = (x: number): string => (Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)}%`);

/** The 1 MB tool result of the speed figures: the given documents joined by blank lines, repeated to 1 MiB. */
export function megabyteOf(contexts: readonly string[]): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const c = contexts[i % contexts.length]!;
    parts.push(c);
    size += c.length + 2;
  }
  return parts.join('\n\n');
}
