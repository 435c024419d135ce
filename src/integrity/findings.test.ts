import { describe, expect, it } from 'vitest';
import { atLeast, countBySeverity, highest, type Finding, type Severity } from './findings.js';

const finding = (severity: Severity): Finding => ({
  ruleId: 'x',
  severity,
  where: 'w',
  message: 'm',
  remediation: 'r',
});

describe('finding severities', () => {
  it.each<[Severity, Severity, boolean]>([
    ['critical', 'high', true],
    ['high', 'high', true],
    ['medium', 'high', false],
    ['low', 'low', true],
    ['low', 'medium', false],
  ])('%s is at least %s: %s', (severity, min, expected) => {
    expect(atLeast(severity, min)).toBe(expected);
  });

  it('finds the highest severity and counts them', () => {
    const all = ['low', 'high', 'medium', 'high'].map((s) => finding(s as Severity));
    expect(highest(all)).toBe('high');
    expect(highest([])).toBeUndefined();
    expect(countBySeverity(all)).toEqual({ low: 1, medium: 1, high: 2, critical: 0 });
  });
});
