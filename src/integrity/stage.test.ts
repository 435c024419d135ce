import { describe, expect, it } from 'vitest';
import { testCall, testContext } from '../../test/support/test-context.js';
import type { IntegrityBlock } from './gate.js';
import { createIntegrityStage } from './stage.js';

describe('integrity stage', () => {
  it('allows a tool the gate passed', async () => {
    const stage = createIntegrityStage({ refusal: () => undefined, recheck: () => Promise.resolve() });
    for (let i = 0; i < 2; i++) expect(await stage.check(testCall(), testContext())).toEqual({ action: 'allow' });
  });

  it('denies with the gate rule, without re-checking a block nobody can lift', async () => {
    let rechecks = 0;
    const stage = createIntegrityStage({
      refusal: () => ({ ruleId: 'integrity.poisoned', reason: 'hidden' }),
      recheck: () => Promise.resolve(void rechecks++),
    });
    expect(await stage.check(testCall(), testContext())).toEqual({
      action: 'deny',
      ruleId: 'integrity.poisoned',
      reason: 'hidden',
    });
    expect(rechecks).toBe(0);
  });

  it.each(['integrity.changed', 'integrity.revoked', 'integrity.unapproved'] as const)(
    're-checks the live list once on %s and lets an approval made since through',
    async (ruleId) => {
      let block: IntegrityBlock | undefined = { ruleId, reason: 'r' };
      const stage = createIntegrityStage({
        refusal: () => block,
        recheck: () => Promise.resolve(void (block = undefined)),
      });
      expect(await stage.check(testCall(), testContext({ name: 'tool' }))).toEqual({ action: 'allow' });
    },
  );

  it('still denies when the re-check changes nothing', async () => {
    const stage = createIntegrityStage({
      refusal: () => ({ ruleId: 'integrity.changed', reason: 'changed' }),
      recheck: () => Promise.resolve(),
    });
    expect(await stage.check(testCall(), testContext())).toMatchObject({ action: 'deny', ruleId: 'integrity.changed' });
  });
});
