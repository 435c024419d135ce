import { describe, expect, it } from 'vitest';
import { testCall, testContext } from '../../test/support/test-context.js';
import { createSchemaStage } from './schema.js';

const draft7 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    path: { type: 'string' },
    count: { type: 'integer', minimum: 1 },
    mode: { enum: ['r', 'w'] },
    email: { type: 'string', format: 'email' },
  },
  required: ['path'],
  additionalProperties: false,
};
const draft2020 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false } },
};

describe('schema stage', () => {
  const stage = createSchemaStage();

  it.each([
    [draft7, { path: '/a' }, 'allow', ''],
    [draft7, {}, 'deny', 'arguments is missing required property "path"'],
    [draft7, { path: 1 }, 'deny', 'arguments/path must be string'],
    [draft7, { path: 'a', extra: 1 }, 'deny', 'arguments has unexpected property "extra"'],
    [draft7, { path: 'a', count: 0 }, 'deny', 'arguments/count must be >= 1'],
    [draft7, { path: 'a', mode: 'x' }, 'deny', 'arguments/mode must be one of ["r","w"]'],
    [draft7, { path: 'a', email: 'not-an-email' }, 'deny', 'arguments/email must match format "email"'],
    [draft2020, { pair: ['a', 1] }, 'allow', ''],
    [draft2020, { pair: ['a', 1, 2] }, 'deny', 'arguments/pair must NOT have more than 2 items'],
    [{ type: 'object' }, { anything: true }, 'allow', ''],
  ])('%#: %j → %s', (schema, args, action, reason) => {
    for (let i = 0; i < 2; i++) {
      const v = stage.check(testCall(args), testContext({ inputSchema: schema as never }, args));
      expect(v).toMatchObject({ action });
      if (action === 'deny') {
        expect(v).toMatchObject({ ruleId: 'schema.invalid-arguments' });
        expect((v as { reason: string }).reason).toContain(reason);
      }
    }
  });

  const open = { type: 'object', properties: { city: { type: 'string' } } };
  it.each([
    [open, { city: 'Paris' }, 'allow'],
    [open, { city: 'Paris', sidenote: 'AKIA…' }, 'schema.undeclared-argument'],
    [{ ...open, additionalProperties: true }, { city: 'Paris', extra: 1 }, 'allow'],
    [{ ...open, additionalProperties: { type: 'number' } }, { city: 'Paris', extra: 1 }, 'allow'],
    [{ ...open, patternProperties: { '^x-': {} } }, { city: 'Paris', 'x-a': 1 }, 'allow'],
    [{ ...open, anyOf: [{ required: ['city'] }] }, { city: 'Paris', other: 1 }, 'allow'],
    [{ type: 'object', properties: {} }, { anything: 1 }, 'allow'],
  ])('refuses arguments the schema does not declare (%#: %j, %j)', (schema, args, expected) => {
    for (let i = 0; i < 2; i++) {
      const v = stage.check(testCall(args), testContext({ inputSchema: schema as never }, args));
      if (expected === 'allow') expect(v).toEqual({ action: 'allow' });
      else
        expect(v).toMatchObject({
          action: 'deny',
          ruleId: expected,
          reason: expect.stringMatching(/"sidenote".*declares city/),
        });
    }
  });

  it('passes undeclared arguments on when the policy says allow', () => {
    const lenient = createSchemaStage({ undeclared: 'allow' });
    const args = { city: 'Paris', extra: 1 };
    expect(lenient.check(testCall(args), testContext({ inputSchema: open as never }, args))).toEqual({
      action: 'allow',
    });
  });

  it('denies a schema that cannot be compiled, with a clear message, by default', () => {
    const broken = { type: 'object', properties: { a: { $ref: '#/nowhere' } } };
    const v = stage.check(testCall({ a: 1 }), testContext({ inputSchema: broken as never }, { a: 1 }));
    expect(v).toMatchObject({ action: 'deny', ruleId: 'schema.uncompilable' });
    expect((v as { reason: string }).reason).toMatch(/cannot be compiled .*uncompilable/);
  });

  it('allows calls to an uncompilable schema when the policy says allow', () => {
    const lenient = createSchemaStage({ uncompilable: 'allow' });
    const v = lenient.check(testCall({}), testContext({ inputSchema: { type: 'object', required: 5 } as never }, {}));
    expect(v).toEqual({ action: 'allow' });
  });

  it('reports at most five problems and counts the rest', () => {
    const schema = {
      type: 'object',
      properties: Object.fromEntries('abcdefg'.split('').map((k) => [k, { type: 'string' }])),
    };
    const args = Object.fromEntries('abcdefg'.split('').map((k) => [k, 1]));
    const v = stage.check(testCall(args), testContext({ inputSchema: schema as never }, args));
    expect((v as { reason: string }).reason).toMatch(/and 2 more$/);
  });

  it('compiles schemas ahead of calls with warm(), and skips tools it cannot compile', () => {
    const warmed = createSchemaStage();
    const tools = [
      { name: 'a', inputSchema: draft7 as never },
      { name: 'b', inputSchema: { type: 'object', required: 5 } as never },
    ];
    expect(() => warmed.warm?.(tools)).not.toThrow();
    expect(warmed.check(testCall({ path: 'x' }), testContext(tools[0], { path: 'x' }))).toEqual({ action: 'allow' });
    expect(warmed.check(testCall({}), testContext(tools[1], {}))).toMatchObject({ ruleId: 'schema.uncompilable' });
  });

  it('denies a tool whose inputSchema is not an object', () => {
    const v = stage.check(testCall({}), testContext({ inputSchema: 'nope' as never }, {}));
    expect(v).toMatchObject({ action: 'deny', ruleId: 'schema.uncompilable' });
  });
});
