/**
 * The attack scoreboard as a gate (issue 9, extended for issue 15): the catalogue in test/attack/suite.ts through
 * the built gateway with its default policy. Every category blocks all of its dev cases except injection, where at
 * least 95% of the (tuned) set is; the benign set has no false block. A dev miss or false block named in KNOWN_GAPS
 * (test/attack/mediation.ts) is a hole found by the suite and reported, tolerated by name only.
 *
 * Held-out cases, which the rules were never tuned on, are held to a floor, not to 100%:
 * - the held-out injections (their own category) to 70%, the level they reached when they were written;
 * - the issue 15 held-out cases (a column of each class) to 90% pooled over the classes, and 50% in each class. They
 *   scored 100% when written; each class has only 3 to 7 of them, so a per-class floor could only be 100% (which
 *   would make them dev cases) or meaningless. Pooled, 90% fails on a loss of more than about three cases, and the
 *   per-class 50% fails when one class loses most of its cases. The figures are printed either way.
 * A class whose cases are all skipped (not wired in this build) is reported and not gated.
 */
import { describe, expect, it } from 'vitest';
import { KNOWN_GAPS, MEDIATION_CATEGORIES } from '../attack/mediation.js';
import { runAttackSuite } from '../attack/suite.js';

const known = (miss: string) => Object.keys(KNOWN_GAPS).some((name) => miss.startsWith(`${name}: `));
const mediation = new Set<string>(MEDIATION_CATEGORIES);

describe('attack scoreboard', () => {
  it('blocks every attack category to its target, with no false block on the benign set', async () => {
    const { board } = await runAttackSuite();
    let heldBlocked = 0;
    let heldTotal = 0;
    for (const row of board.rows) {
      const h = row.heldOut;
      process.stdout.write(
        `${row.category}: dev ${row.blocked}/${row.total}, held-out ${h.blocked}/${h.total}` +
          `${row.skipped.length ? `, ${row.skipped.length} skipped (not wired)` : ''}\n`,
      );
      for (const m of h.misses) process.stdout.write(`  held-out miss: ${m}\n`);
      for (const m of row.misses.filter(known)) process.stdout.write(`  known hole (reported): ${m}\n`);
      if (row.total === 0 && row.skipped.length > 0) continue;
      expect(row.total, row.category).toBeGreaterThan(0);
      const rate = row.blocked / row.total;
      if (row.category === 'injection in results, held out') expect(rate, row.category).toBeGreaterThanOrEqual(0.7);
      else if (row.category === 'injection in results')
        expect(rate, row.misses.join('\n')).toBeGreaterThanOrEqual(0.95);
      else
        expect(
          row.misses.filter((m) => !known(m)),
          row.category,
        ).toEqual([]);
      if (mediation.has(row.category)) {
        expect(h.total, `${row.category} has held-out cases`).toBeGreaterThan(0);
        expect(h.blocked / h.total, `${row.category} held out`).toBeGreaterThanOrEqual(0.5);
        heldBlocked += h.blocked;
        heldTotal += h.total;
      }
    }
    process.stdout.write(`issue 15 held-out, pooled: ${heldBlocked}/${heldTotal}\n`);
    expect(heldBlocked / heldTotal, 'issue 15 held-out cases, pooled').toBeGreaterThanOrEqual(0.9);
    for (const f of board.benign.falseBlocks.filter(known))
      process.stdout.write(`known false block (reported): ${f}\n`);
    expect(board.benign.falseBlocks.filter((f) => !known(f))).toEqual([]);
    expect(board.benign.total).toBeGreaterThan(250);
  }, 600_000);
});
