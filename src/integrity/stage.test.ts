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

  it('waits for the check of the live list in flight before it reads the verdict', async () => {
    let block: IntegrityBlock | undefined = undefined;
    let finish!: () => void;
    let inFlight: Promise<void> | undefined = new Promise<void>((resolve) => {
      finish = () => {
        // The live list changed a tool: its verdict blocks it.
        block = { ruleId: 'integrity.poisoned', reason: 'live' };
        inFlight = undefined;
        resolve();
      };
    });
    const stage = createIntegrityStage({
      refusal: () => block,
      recheck: () => Promise.resolve(),
      pending: () => inFlight,
    });
    const verdict = stage.check(testCall(), testContext());
    await new Promise((resolve) => setImmediate(resolve));
    finish();
    expect(await verdict).toEqual({ action: 'deny', ruleId: 'integrity.poisoned', reason: 'live' });
    // Nothing in flight now: the verdict is read at once.
    expect(await stage.check(testCall(), testContext())).toMatchObject({ ruleId: 'integrity.poisoned' });
  });
});
