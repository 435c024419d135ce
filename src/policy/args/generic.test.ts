import { describe, expect, it } from 'vitest';
import { createGenericCheck, type GenericOptions } from './generic.js';

const ctx = { cwd: '/' };

describe('generic check', () => {
  it.each<[GenericOptions, unknown, string | null]>([
    [{ enum: ['r', 'w'] }, 'r', null],
    [{ enum: ['r', 'w'] }, 'x', 'args.generic.enum'],
    [{ enum: [1, 2, null] }, null, null],
    [{ enum: [1, 2] }, '1', 'args.generic.enum'],
    [{ enum: [true] }, { a: 1 }, 'args.generic.enum'],
    [{ enum: [true] }, undefined, 'args.generic.enum'],
    [{ min: 1, max: 10 }, 5, null],
    [{ min: 1, max: 10 }, 1, null],
    [{ min: 1, max: 10 }, 0, 'args.generic.min'],
    [{ min: 1, max: 10 }, 11, 'args.generic.max'],
    [{ max: 10 }, Infinity, 'args.generic.type'],
    [{ min: 0 }, NaN, 'args.generic.type'],
    [{ min: 0 }, '5', 'args.generic.type'],
    [{ maxLength: 3 }, 'abc', null],
    [{ maxLength: 3 }, '😀😀😀', null],
    [{ maxLength: 3 }, 'abcd', 'args.generic.max-length'],
    [{ maxLength: 3 }, ['a'], 'args.generic.type'],
    [{ maxItems: 2 }, [1, 2], null],
    [{ maxItems: 2 }, [1, 2, 3], 'args.generic.max-items'],
    [{ maxItems: 2 }, 'ab', 'args.generic.type'],
    [{ pattern: '^[a-z]+$' }, 'abc', null],
    [{ pattern: '^[a-z]+$' }, 'ABC', 'args.generic.pattern'],
    [{ pattern: '^[a-z]+$', flags: 'i' }, 'ABC', null],
    [{ pattern: '^[a-z]+$' }, 5, 'args.generic.type'],
    [{ notPattern: '\\.\\.' }, 'a/../b', 'args.generic.not-pattern'],
    [{ notPattern: '\\.\\.' }, 'a..b', 'args.generic.not-pattern'],
    [{ notPattern: '\\.\\./' }, 'a..b', null],
    [{ maxLength: 5, pattern: '^a+$' }, 'a'.repeat(1000), 'args.generic.max-length'],
    [{}, { anything: true }, null],
  ])('%j: %j → %s', (options, value, ruleId) => {
    const check = createGenericCheck(options);
    for (let i = 0; i < 2; i++) expect(check.check(value, ctx)?.ruleId ?? null).toBe(ruleId);
  });

  it('names the value and the constraint in the reason', () => {
    expect(createGenericCheck({ enum: ['r', 'w'] }).check('x', ctx)?.reason).toBe('value "x" is not one of ["r","w"]');
    expect(createGenericCheck({ enum: ['r'] }).check(undefined, ctx)?.reason).toBe(
      'value undefined is not one of ["r"]',
    );
    expect(createGenericCheck({ max: 3 }).check(4, ctx)?.reason).toBe('value 4 is above the maximum 3');
    expect(createGenericCheck({ maxLength: 2 }).check(1, ctx)?.reason).toBe(
      'maxLength applies to string values, got number',
    );
    expect(createGenericCheck({ pattern: '^a' }).check('b', ctx)?.reason).toBe(
      'value "b" does not match the pattern /^a/',
    );
    expect(createGenericCheck({ notPattern: 'b' }).check('b', ctx)?.reason).toBe(
      'value "b" matches the forbidden pattern /b/',
    );
  });

  it('refuses a pattern that can backtrack catastrophically when it is created', () => {
    expect(() => createGenericCheck({ pattern: '(a+)+$' })).toThrow(
      /pattern \/\(a\+\)\+\$\/ is refused: .*star height/,
    );
    expect(() => createGenericCheck({ notPattern: '(a|a)*' })).toThrow(/is refused/);
    expect(() => createGenericCheck({ pattern: 'a', flags: 'g' })).toThrow(/stateful/);
  });
});
