/**
 * The poisoning scanner against the description corpus (test/attack/descriptions.ts): every poisoned development
 * case is hidden by the gate's default policy and every benign look-alike stays listed, except the few named below
 * with the reason. The held-out lists are measured against a floor (their figure is reported by
 * bench/eval-descriptions.ts); they were not tuned on.
 */
import { describe, expect, it } from 'vitest';
import {
  BENIGN,
  CANDIDATE,
  HELD_OUT_BENIGN,
  HELD_OUT_POISONED,
  OTHER_SERVERS,
  POISONED,
  hiddenByDefault,
  type DescriptionCase,
} from '../../test/attack/descriptions.js';
import { createPoisoningScanner, type PoisoningFinding } from './poisoning.js';

const scanner = createPoisoningScanner();

/** Scanned twice: a rule that keeps state between calls (a `/g` lastIndex) shows up as a difference. */
function scan(c: DescriptionCase): PoisoningFinding[] {
  const ctx = { server: CANDIDATE, others: OTHER_SERVERS, own: [c.tool.name, ...(c.own ?? [])] };
  const first = scanner.scanTool(c.tool, ctx);
  expect(scanner.scanTool(c.tool, ctx)).toEqual(first);
  return first;
}
const hidden = (c: DescriptionCase): boolean => scan(c).some(hiddenByDefault);

/**
 * Known misses, kept visible rather than left out. `sendEmail` beside `send_email` is one dropped separator away: the
 * gateway exposes them as candidate__sendEmail and mail__send_email, and two servers with (nearly) the same tool name
 * are common (two mail servers), so it is a medium typosquat, reported and listed.
 */
const KNOWN_MISSES: Record<string, string> = { 'squat-camel': 'poisoning.typosquat' };
/**
 * Known false positives: a scanner for prompt injection quotes what it looks for ("override the system prompt");
 * the injection detector's description profile (guardrails/injection-rules.ts, not this module) flags it.
 */
const KNOWN_FALSE_POSITIVES: Record<string, string> = { 'injection-scanner': 'poisoning.injection' };

describe('poisoning scanner: the description corpus', () => {
  it('has at least 60 poisoned cases, a third held out, several per class', () => {
    const all = [...POISONED, ...HELD_OUT_POISONED];
    expect(all.length).toBeGreaterThanOrEqual(60);
    expect(HELD_OUT_POISONED.length * 3).toBeGreaterThanOrEqual(all.length);
    const perClass = new Map<string, number>();
    for (const c of all) perClass.set(c.class, (perClass.get(c.class) ?? 0) + 1);
    for (const n of perClass.values()) expect(n).toBeGreaterThanOrEqual(4);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
  });

  it.each(POISONED.filter((c) => !(c.id in KNOWN_MISSES)).map((c) => [c.id, c.class, c] as const))(
    'hides %s (%s)',
    (_id, _cls, c) => {
      expect(hidden(c)).toBe(true);
    },
  );

  it.each(BENIGN.filter((c) => !(c.id in KNOWN_FALSE_POSITIVES)).map((c) => [c.id, c] as const))(
    'lists the benign %s',
    (_id, c) => {
      expect(scan(c).filter(hiddenByDefault)).toEqual([]);
    },
  );

  it.each(Object.entries(KNOWN_MISSES))('reports the known miss %s as %s, below the blocking severity', (id, rule) => {
    const c = POISONED.find((p) => p.id === id)!;
    const found = scan(c);
    expect(found.map((f) => f.ruleId)).toContain(rule);
    expect(found.some(hiddenByDefault)).toBe(false);
  });

  it.each(Object.entries(KNOWN_FALSE_POSITIVES))('still flags the known false positive %s (%s)', (id, rule) => {
    const c = BENIGN.find((p) => p.id === id)!;
    expect(
      scan(c)
        .filter(hiddenByDefault)
        .map((f) => f.ruleId),
    ).toEqual([rule]);
  });

  it('keeps the held-out figures at or above what was measured when the rules were written', () => {
    // Measured after tuning on the development lists only (see the report of issue 16): 22 of 30 poisoned at the
    // time of writing, 0 of 10 benign. A floor, so that a change that loses held-out cases is seen.
    expect(HELD_OUT_POISONED.filter(hidden).length).toBeGreaterThanOrEqual(22);
    expect(HELD_OUT_BENIGN.filter(hidden)).toEqual([]);
  });
});
