/**
 * A readable line diff for `tools diff S/T`: the pinned definition against the live one, each pretty-printed as
 * canonical JSON (one member a line, keys sorted), compared with Myers' O(ND) algorithm and written in unified
 * format (`---`/`+++`, `@@` hunks, ` `/`-`/`+` lines). Pure.
 *
 * Invisible characters (zero-width, bidi controls, tag characters) are written as JSON escapes, so a change that only
 * adds hidden text shows as a visible difference and a bidi override cannot reorder the terminal line it is in.
 * Two texts that differ in more than MAX_EDITS lines are shown as all removed and all added, which is still a
 * correct diff and keeps the time and memory bounded.
 */
import { canonicalJson } from './canonical.js';

export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

export interface UnifiedDiffOptions {
  /** Header labels. Default `pinned` and `live`. */
  oldLabel?: string;
  newLabel?: string;
  /** Unchanged lines shown around each change. Default 3. */
  context?: number;
}

/** Beyond this many inserted plus deleted lines (the trace would take MAX_EDITS² × 8 bytes), fall back to replace-all. */
const MAX_EDITS = 1000;

/** Zero-width, bidi-control and tag characters (the set normalize.ts removes), plus U+061C (Arabic letter mark). */
// eslint-disable-next-line no-misleading-character-class -- a class of invisible code points, by design
const INVISIBLE = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;

/** The shortest edit script from `a` to `b`, as lines: unchanged, removed and added, in order. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head = a.slice(0, start).map((text): DiffLine => ({ op: ' ', text }));
  const tail = a.slice(endA).map((text): DiffLine => ({ op: ' ', text }));
  return [...head, ...myers(a.slice(start, endA), b.slice(start, endB)), ...tail];
}

function myers(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, offset, d);
    }
  }
  // Too different to be worth a minimal script.
  return [...a.map((text): DiffLine => ({ op: '-', text })), ...b.map((text): DiffLine => ({ op: '+', text }))];
}

function backtrack(
  a: readonly string[],
  b: readonly string[],
  trace: Int32Array[],
  offset: number,
  d: number,
): DiffLine[] {
  const out: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  for (; d > 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      out.push({ op: ' ', text: a[x]! });
    }
    if (down) out.push({ op: '+', text: b[--y]! });
    else out.push({ op: '-', text: a[--x]! });
  }
  while (x > 0 && y > 0) {
    out.push({ op: ' ', text: a[--x]! });
    y--;
  }
  return out.reverse();
}

/** Unified diff of two texts, line by line; '' when they are equal. */
export function unifiedDiff(oldText: string, newText: string, opts: UnifiedDiffOptions = {}): string {
  if (oldText === newText) return '';
  const lines = diffLines(splitLines(oldText), splitLines(newText));
  const context = Math.max(0, opts.context ?? 3);
  const out = [`--- ${opts.oldLabel ?? 'pinned'}`, `+++ ${opts.newLabel ?? 'live'}`];
  // Each line's number in the old and the new text (1-based), counted before it.
  const oldNo: number[] = [];
  const newNo: number[] = [];
  let o = 1;
  let nn = 1;
  for (const l of lines) {
    oldNo.push(o);
    newNo.push(nn);
    if (l.op !== '+') o++;
    if (l.op !== '-') nn++;
  }
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.op === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change that is no more
    // than 2 * context unchanged lines from the one before it.
    const from = Math.max(0, i - context);
    let end = i;
    for (let j = i; j < lines.length; j++) {
      if (lines[j]!.op !== ' ') end = j;
      else if (j - end > 2 * context) break;
    }
    const to = Math.min(lines.length, end + context + 1);
    const hunk = lines.slice(from, to);
    const oldCount = hunk.filter((l) => l.op !== '+').length;
    const newCount = hunk.filter((l) => l.op !== '-').length;
    // An empty side names the line before it (0 for the start), as diff -u does.
    const oldStart = oldCount === 0 ? oldNo[from]! - 1 : oldNo[from]!;
    const newStart = newCount === 0 ? newNo[from]! - 1 : newNo[from]!;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const l of hunk) out.push(`${l.op}${visible(l.text)}`);
    i = to;
  }
  return out.join('\n') + '\n';
}

/** Unified diff of two definitions, each as pretty-printed canonical JSON; '' when they are the same. */
export function definitionDiff(oldDefinition: unknown, newDefinition: unknown, opts: UnifiedDiffOptions = {}): string {
  const text = (d: unknown): string => (d === undefined ? '' : canonicalJson(d, 2));
  return unifiedDiff(text(oldDefinition), text(newDefinition), opts);
}

/** Invisible characters as JSON escapes (\u200b), so that they show and cannot reorder the line they are in. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) =>
    Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
