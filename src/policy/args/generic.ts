/**
 * Generic argument constraints (issue 4): `enum`, `min` / `max`, `maxLength`, `maxItems`, `pattern` and
 * `notPattern`. Each constraint applies to one JSON type, and a value of another type is a violation (a rule that
 * says `maxLength` expects a string). Patterns are unanchored, like JSON Schema's, and are refused at creation when
 * they can backtrack catastrophically (safe-regex.ts). Lengths count code points, as JSON Schema does. The length
 * checks run before the patterns, so a pattern only ever sees a bounded string. Fail mode: closed.
 */
import { compileSafeRegex } from './safe-regex.js';
import { show, typeName } from './show.js';
import type { ArgCheckResult, ArgViolation, GenericRuleId, SyncArgCheck } from './types.js';

export type EnumValue = string | number | boolean | null;

export interface GenericOptions {
  /** The value must equal one of these (strict equality). */
  enum?: readonly EnumValue[];
  /** Numbers only: inclusive bounds. */
  min?: number;
  max?: number;
  /** Strings only: at most this many code points. */
  maxLength?: number;
  /** Arrays only. */
  maxItems?: number;
  /** Strings only: a JavaScript regex source that must match somewhere (anchor it with ^…$ to match the whole). */
  pattern?: string;
  /** Strings only: a regex source that must not match anywhere. */
  notPattern?: string;
  /** Flags for both patterns: any of `i`, `m`, `s`, `u`. */
  flags?: string;
}

function violation(ruleId: GenericRuleId, reason: string): ArgViolation {
  return { ruleId, reason };
}

function wrongType(constraint: string, expected: string, value: unknown): ArgCheckResult {
  return violation('args.generic.type', `${constraint} applies to ${expected} values, got ${typeName(value)}`);
}

export function createGenericCheck(opts: GenericOptions): SyncArgCheck {
  const flags = opts.flags ?? '';
  const pattern = opts.pattern === undefined ? undefined : compileSafeRegex(opts.pattern, flags);
  const notPattern = opts.notPattern === undefined ? undefined : compileSafeRegex(opts.notPattern, flags);
  const allowed = opts.enum;

  return {
    kind: 'generic',
    check(value) {
      if (allowed && !allowed.some((v) => v === value)) {
        const shown = typeof value === 'string' ? show(value) : (JSON.stringify(value) ?? typeName(value));
        return violation('args.generic.enum', `value ${shown} is not one of ${JSON.stringify(allowed)}`);
      }
      if (opts.min !== undefined || opts.max !== undefined) {
        if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType('min/max', 'finite number', value);
        if (opts.min !== undefined && value < opts.min) {
          return violation('args.generic.min', `value ${value} is below the minimum ${opts.min}`);
        }
        if (opts.max !== undefined && value > opts.max) {
          return violation('args.generic.max', `value ${value} is above the maximum ${opts.max}`);
        }
      }
      if (opts.maxItems !== undefined) {
        if (!Array.isArray(value)) return wrongType('maxItems', 'array', value);
        if (value.length > opts.maxItems) {
          return violation('args.generic.max-items', `array has ${value.length} items, more than ${opts.maxItems}`);
        }
      }
      if (opts.maxLength !== undefined) {
        if (typeof value !== 'string') return wrongType('maxLength', 'string', value);
        const length = [...value].length;
        if (length > opts.maxLength) {
          return violation(
            'args.generic.max-length',
            `string is ${length} characters long, more than ${opts.maxLength}`,
          );
        }
      }
      if (pattern || notPattern) {
        if (typeof value !== 'string') return wrongType('pattern', 'string', value);
        if (pattern && !pattern.test(value)) {
          return violation(
            'args.generic.pattern',
            `value ${show(value)} does not match the pattern /${pattern.source}/`,
          );
        }
        if (notPattern?.test(value)) {
          return violation(
            'args.generic.not-pattern',
            `value ${show(value)} matches the forbidden pattern /${notPattern.source}/`,
          );
        }
      }
      return null;
    },
  };
}
