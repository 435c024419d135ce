import { describe, expect, it } from 'vitest';
import { testCall, testContext } from '../../test/support/test-context.js';
import { createAuditRequiredStage } from './stage.js';

describe('audit.required stage', () => {
  it('allows while the log can be written and denies with audit.unavailable when it cannot', async () => {
    let down = false;
    const stage = createAuditRequiredStage({
      refusal: () => (down ? { action: 'deny', ruleId: 'audit.unavailable', reason: 'disk full' } : undefined),
    });
    expect(await stage.check(testCall(), testContext())).toEqual({ action: 'allow' });
    down = true;
    expect(await stage.check(testCall(), testContext())).toMatchObject({ ruleId: 'audit.unavailable' });
  });
});
