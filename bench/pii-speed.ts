/**
 * PII detector CPU per 1 MiB kind, old checkout vs this one, in one process (issue 21):
 * `BEFORE=/path/to/old npx tsx bench/pii-speed.ts`. Scans every string leaf of each kind's structuredContent and the
 * whole text of each kind, alternating old and new, and prints the median ms of each. Measurement only.
 */
import path from 'node:path';
import { kinds, seeded } from './output-kinds.js';
import type * as Pii from '../src/guardrails/pii.js';

const BEFORE = process.env.BEFORE;
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const after = await import('../src/guardrails/pii.js');
const before = BEFORE ? ((await import(path.join(BEFORE, 'src/guardrails/pii.ts'))) as typeof Pii) : after;

function leaves(v: unknown, out: string[]): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) leaves(x, out);
  return out;
}
const cpuMs = (f: () => void): number => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const db = before.createPiiDetector();
const da = after.createPiiDetector();
const all = kinds();
for (const k of [...all, ...all.map(seeded)]) {
  const sets: [string, string[]][] = [
    ['structured', leaves(k.structured.structuredContent, [])],
    ['text', [(k.text.content[0] as { text: string }).text]],
  ];
  for (const [shape, strings] of sets) {
    const tb: number[] = [];
    const ta: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      tb.push(cpuMs(() => strings.forEach((s) => db.scan(s, 'output'))));
      ta.push(cpuMs(() => strings.forEach((s) => da.scan(s, 'output'))));
    }
    process.stdout.write(
      `${k.name.padEnd(14)} ${shape.padEnd(10)} ${String(strings.length).padStart(6)} strings  before ${median(tb).toFixed(1)} ms  after ${median(ta).toFixed(1)} ms\n`,
    );
  }
}
