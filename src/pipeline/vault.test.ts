import { describe, expect, it } from 'vitest';
import { RedactionVault } from './vault.js';

describe('redaction vault', () => {
  it.each([['[EMAIL_1] wrote'], ['no placeholders'], ['']])('leaves text as it is while empty: %j', (text) => {
    const v = new RedactionVault();
    expect(v.size).toBe(0);
    expect(v.restore(text)).toBe(text);
    expect(v.conceal(text)).toBe(text);
  });

  it('numbers placeholders per entity, reuses one for the same value, and restores and conceals both ways', () => {
    const v = new RedactionVault();
    for (let round = 0; round < 2; round++) {
      expect(v.placeholder('EMAIL', 'a@x.test')).toBe('[EMAIL_1]');
      expect(v.placeholder('EMAIL', 'b@x.test')).toBe('[EMAIL_2]');
      expect(v.placeholder('PHONE', '+1 555 0100')).toBe('[PHONE_1]');
    }
    expect(v.size).toBe(3);
    expect(v.restore('[EMAIL_2] and [PHONE_1], not [EMAIL_9]')).toBe('b@x.test and +1 555 0100, not [EMAIL_9]');
    expect(v.conceal('mail a@x.test or b@x.test')).toBe('mail [EMAIL_1] or [EMAIL_2]');
  });
});
