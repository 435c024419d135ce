/**
 * The attack scoreboard as a gate (issue 9): the catalogue in test/attack/suite.ts through the built gateway with
 * its default policy. Every category is fully blocked except injection, where at least 95% of the (tuned) set is;
 * the benign set has no false block. The held-out injections, which the rules were never tuned on, are held to the
 * level they reached when they were written (70%), so that a change that makes the rules worse on new text fails.
 */
import { describe, expect, it } from 'vitest';
import { runAttackSuite } from '../attack/suite.js';

describe('attack scoreboard', () => {
  it('blocks every attack category to its target, with no false block on the benign set', async () => {
    const { board } = await runAttackSuite();
    for (const row of board.rows) {
      expect(row.total, row.category).toBeGreaterThan(0);
      const rate = row.blocked / row.total;
      if (row.category === 'injection in results, held out') expect(rate, row.category).toBeGreaterThanOrEqual(0.7);
      else if (row.category === 'injection in results')
        expect(rate, row.misses.join('\n')).toBeGreaterThanOrEqual(0.95);
      else expect(row.misses, row.category).toEqual([]);
    }
    expect(board.benign.falseBlocks).toEqual([]);
    expect(board.benign.total).toBeGreaterThan(200);
  }, 600_000);
});
