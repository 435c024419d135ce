import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession } from '../pipeline/session.js';
import { testCall, testContext } from '../../test/support/test-context.js';
import type { CallContext, ServerPolicyContext } from '../pipeline/types.js';
import { compileServerRules, createArgumentsStage, drive, inferredRules, splitRuleKey } from './arguments.js';
import type { ArgumentRule } from './config-schema.js';

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smg-args-')));
const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smg-outside-')));
fs.writeFileSync(path.join(root, 'notes.txt'), 'hello');
fs.symlinkSync(outside, path.join(root, 'escape'));
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

const TOOL: Tool = {
  name: 'read_text_file',
  inputSchema: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      url: { type: 'string' },
      mode: { type: 'string', enum: ['a', 'b'] },
      files: { type: 'array', items: { type: 'string', description: 'a file path' } },
    },
  },
};

function ctxFor(args: Record<string, unknown>, rules: Record<string, ArgumentRule> = {}, tool = TOOL): CallContext {
  const serverPolicy: ServerPolicyContext = { roots: [root], cwd: root, arguments: rules, annotations: {} };
  return { ...testContext(tool, args), serverPolicy, session: createSession('s') };
}

async function run(args: Record<string, unknown>, rules?: Record<string, ArgumentRule>, infer = true) {
  const stage = createArgumentsStage({ mode: 'enforce', infer });
  const ctx = ctxFor(args, rules);
  const first = await stage.check(testCall(args), ctx);
  // The same call twice gets the same answer: nothing in the stage keeps state between calls.
  expect(await stage.check(testCall(args), ctx)).toEqual(first);
  return first;
}

describe('argument stage', () => {
  it.each([
    [{ path: 'notes.txt' }],
    [{ path: path.join(root, 'notes.txt') }],
    [{ path: 'new/file.txt' }],
    [{ url: 'https://example.com/a?b=c' }],
    [{ files: ['notes.txt', 'sub/x.md'] }],
    [{ path: 42 }],
    [{ mode: 'a' }],
  ])('allows %j', async (args) => {
    expect(await run(args)).toEqual({ action: 'allow' });
  });

  it.each([
    [{ path: '../../etc/passwd' }, 'args.path.traversal'],
    [{ path: '/etc/passwd' }, 'args.path.outside'],
    [{ path: 'escape/secret.txt' }, 'args.path.symlink-escape'],
    [{ path: 'a\u0000b' }, 'args.path.nul-byte'],
    [{ path: '~/.ssh/id_rsa' }, 'args.path.home-expansion'],
    [{ files: ['notes.txt', '/etc/hosts'] }, 'args.path.outside'],
    [{ files: ['notes.txt', '/etc/shadow'] }, 'args.path.credential'],
    [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'args.url.metadata'],
    [{ url: 'http://2130706433/' }, 'args.url.private-address'],
    [{ url: 'http://localhost:8080/' }, 'args.url.private-host'],
  ])('denies %j by inference as %s, naming the argument', async (args, ruleId) => {
    const v = await run(args);
    expect(v).toMatchObject({ action: 'deny', ruleId });
    expect((v as { reason: string }).reason).toMatch(new RegExp(`^argument (path|url|files\\[1\\]): .*inferred`));
  });

  it.each([
    ['an allowed call', { path: 'notes.txt' }, 'allow'],
    ['a denied call', { path: '../../etc/passwd' }, 'deny'],
  ])('answers %s without a promise when every check is synchronous', (_, args, action) => {
    const stage = createArgumentsStage({ mode: 'enforce', infer: true });
    for (let round = 0; round < 2; round++) {
      const v = stage.check(testCall(args), ctxFor(args));
      expect(v).not.toBeInstanceOf(Promise);
      expect(v).toMatchObject({ action });
    }
  });

  it('applies explicit rules by tool glob and argument path, with generic checks', async () => {
    const rules: Record<string, ArgumentRule> = {
      'read_*.url': { kind: 'url', hosts: ['*.example.com'] },
      'read_text_file.mode': { kind: 'value', enum: ['a'] },
      'other_tool.path': { kind: 'value', maxLength: 1 },
    };
    expect(await run({ url: 'https://api.example.com/x' }, rules)).toEqual({ action: 'allow' });
    expect(await run({ url: 'https://evil.test/x' }, rules)).toMatchObject({ ruleId: 'args.url.host-not-allowed' });
    expect(await run({ mode: 'b' }, rules)).toMatchObject({ ruleId: 'args.generic.enum' });
    const v = await run({ mode: 'b' }, rules);
    expect((v as { reason: string }).reason).toContain('rule "read_text_file.mode"');
    // A rule for another tool does not apply here.
    expect(await run({ path: 'notes.txt' }, rules)).toEqual({ action: 'allow' });
  });

  it('lets an explicit rule replace the inferred check of the same argument', async () => {
    const rules: Record<string, ArgumentRule> = { 'read_text_file.path': { kind: 'path', within: ['/etc'] } };
    expect(await run({ path: '/etc/hosts' }, rules)).toEqual({ action: 'allow' });
    expect(await run({ path: path.join(root, 'notes.txt') }, rules)).toMatchObject({ ruleId: 'args.path.outside' });
  });

  it('checks explicit rules on non-string values, and skips inference when it is off', async () => {
    expect(await run({ path: 7 }, { 'read_text_file.path': { kind: 'path' } })).toMatchObject({
      ruleId: 'args.path.not-string',
    });
    expect(await run({ path: '/etc/passwd' }, {}, false)).toEqual({ action: 'allow' });
  });

  it('without declared roots, leaves absolute paths free but still refuses tricks and climbing out of the cwd', async () => {
    const stage = createArgumentsStage({ mode: 'enforce', infer: true });
    const noRoots = (args: Record<string, unknown>): CallContext => ({
      ...ctxFor(args),
      serverPolicy: { roots: [], cwd: root, arguments: {}, annotations: {} },
    });
    const check = (args: Record<string, unknown>) => stage.check(testCall(args), noRoots(args));
    expect(await check({ path: '/etc/hosts' })).toEqual({ action: 'allow' });
    expect(await check({ path: 'notes.txt' })).toEqual({ action: 'allow' });
    expect(await check({ path: '../../etc/passwd' })).toMatchObject({ ruleId: 'args.path.traversal' });
    expect(await check({ path: '~/.ssh/id_rsa' })).toMatchObject({ ruleId: 'args.path.home-expansion' });
    expect(await check({ path: '/etc/passwd\u0000.txt' })).toMatchObject({ ruleId: 'args.path.nul-byte' });
  });

  it('infers kinds from the tool schema, leaving enums and covered arguments alone', () => {
    const explicit = compileServerRules({ 'read_text_file.url': { kind: 'url' } });
    expect(inferredRules(TOOL, explicit).map((r) => [r.path, r.kind])).toEqual([
      ['path', 'path'],
      ['files[*]', 'path'],
    ]);
  });

  it.each([
    ['read_text_file.path', { tool: 'read_text_file', path: 'path' }],
    ['*.url', { tool: '*', path: 'url' }],
    ['query.filters[*].value', { tool: 'query', path: 'filters[*].value' }],
    ['run[0]', { tool: 'run', path: '[0]' }],
  ])('splits the rule key %s', (key, parts) => {
    expect(splitRuleKey(key)).toEqual(parts);
  });

  it.each([
    [{ readOnlyHint: true }, {}, 'DELETE FROM users', 'args.sql.not-read-only'],
    [{ readOnlyHint: true }, {}, 'SELECT * FROM users WHERE id = 1', null],
    [{}, {}, 'DELETE FROM users WHERE id = 1', null],
    [{}, { 'query*': { readOnly: true } }, 'UPDATE users SET admin = true', 'args.sql.not-read-only'],
    [{ readOnlyHint: true }, { 'query*': { destructive: true } }, 'DELETE FROM users WHERE id = 1', null],
  ])(
    'infers read-only SQL from the tool itself (hints %j, overrides %j): %s',
    async (annotations, overrides, sql, ruleId) => {
      const tool: Tool = {
        name: 'query_db',
        annotations,
        inputSchema: { type: 'object', properties: { sql: { type: 'string' } } },
      };
      const stage = createArgumentsStage({ mode: 'enforce', infer: true });
      const ctx = {
        ...ctxFor({ sql }, {}, tool),
        serverPolicy: { ...ctxFor({}).serverPolicy, annotations: overrides },
      };
      for (let i = 0; i < 2; i++) {
        const v = await stage.check(testCall({ sql }), ctx);
        if (ruleId === null) expect(v).toEqual({ action: 'allow' });
        else expect(v).toMatchObject({ action: 'deny', ruleId });
      }
    },
  );

  it('names the rule that cannot be compiled', () => {
    expect(() => compileServerRules({ 'x.y': { kind: 'value', pattern: '(a+)+$' } })).toThrow(/argument rule "x.y"/);
  });

  it('denies (fails closed) when a server rule cannot be compiled', async () => {
    const stage = createArgumentsStage({ mode: 'enforce', infer: true });
    const ctx = ctxFor({ path: 'notes.txt' }, { 'read_text_file.path': { kind: 'value', pattern: '(a|a)*$' } });
    await expect(Promise.resolve().then(() => stage.check(testCall({}), ctx))).rejects.toThrow(/argument rule/);
  });

  describe('value shapes (issue 15, class 10)', () => {
    const PROBE: Tool = {
      name: 'probe',
      description: 'Look something up',
      inputSchema: {
        type: 'object',
        properties: { target: { type: 'string' }, location: { type: 'string' }, note: { type: 'string' } },
      },
    };
    const CHAT: Tool = { ...PROBE, name: 'post', annotations: { openWorldHint: false, readOnlyHint: true } };
    const DB: Tool = {
      name: 'lookup',
      description: 'Read rows from the sales database',
      annotations: { readOnlyHint: true, openWorldHint: false },
      inputSchema: { type: 'object', properties: { filter: { type: 'string' } } },
    };

    async function runTool(tool: Tool, args: Record<string, unknown>, policy: Partial<ServerPolicyContext> = {}) {
      const stage = createArgumentsStage({ mode: 'enforce', infer: true });
      const base = ctxFor(args, {}, tool);
      const ctx = { ...base, serverPolicy: { ...base.serverPolicy, ...policy } };
      const first = await stage.check(testCall(args), ctx);
      expect(await stage.check(testCall(args), ctx)).toEqual(first);
      return first;
    }

    it.each<[Tool, Record<string, unknown>, string, RegExp]>([
      [PROBE, { target: 'http://169.254.169.254/latest/meta-data/' }, 'args.url.metadata', /looks like a URL/],
      [PROBE, { target: 'gopher://127.0.0.1:25/' }, 'args.url.private-address', /target/],
      [PROBE, { location: '/etc/shadow' }, 'args.path.credential', /looks like a file path/],
      [PROBE, { note: '~/.ssh/id_rsa' }, 'args.path.credential', /credential location/],
      [PROBE, { location: `${outside}/x/y` }, 'args.path.outside', /location/],
      [PROBE, { note: { deep: ['file:///etc/passwd'] } }, 'args.path.outside', /argument note\.deep\[0\]/],
      [CHAT, { location: 'C:\\Users\\x\\.ssh\\id_rsa' }, 'args.path.windows-path', /location/],
      [DB, { filter: "x' OR 1=1 --" }, 'args.sql.unterminated', /looks like a SQL statement/],
      [DB, { filter: '1; DROP TABLE users' }, 'args.sql.stacked', /filter/],
      [DB, { filter: 'DELETE FROM orders' }, 'args.sql.not-read-only', /filter/],
    ])('denies by value shape: %#', async (tool, args, ruleId, reason) => {
      const v = await runTool(tool, args);
      expect(v).toMatchObject({ action: 'deny', ruleId });
      expect(v.action === 'deny' && v.reason).toMatch(reason);
    });

    it.each<[Tool, Record<string, unknown>]>([
      [PROBE, { location: 'Paris' }],
      [PROBE, { target: 'https://example.com/page' }],
      [PROBE, { note: 'see http://localhost:3000 for the demo' }],
      [PROBE, { location: path.join(root, 'notes.txt') }],
      [CHAT, { target: 'http://localhost:3000/' }],
      [DB, { filter: "region = 'EU'" }],
      [DB, { filter: 'SELECT id FROM sales' }],
      [{ ...PROBE, name: 'web_search', description: 'Search the web' }, { note: 'DROP TABLE users' }],
      [PROBE, { edits: [{ oldText: '/etc/hosts', newText: '/etc/hosts.d/x' }] }],
    ])('allows the look-alike %#', async (tool, args) => {
      expect(await runTool(tool, args)).toEqual({ action: 'allow' });
    });

    it('leaves a value an explicit rule covers to that rule', async () => {
      const stage = createArgumentsStage({ mode: 'enforce', infer: true });
      const args = { target: 'http://169.254.169.254/' };
      const ctx = ctxFor(args, { 'probe.target': { kind: 'value', pattern: '^http' } }, PROBE);
      expect(await stage.check(testCall(args), ctx)).toEqual({ action: 'allow' });
    });

    it('lets a server allow credential locations', async () => {
      expect(await runTool(PROBE, { note: '/etc/shadow' }, { roots: [], credentialPaths: 'allow' })).toEqual({
        action: 'allow',
      });
    });

    it('denies (never skips) arguments too deep or too many to walk', async () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 70; i++) deep = { a: deep };
      expect(await runTool(PROBE, { note: deep })).toMatchObject({
        action: 'deny',
        ruleId: 'guard.budget-exceeded',
      });
      const many = Array.from({ length: 10_001 }, () => 'a');
      expect(await runTool(PROBE, { note: many })).toMatchObject({ action: 'deny', ruleId: 'guard.budget-exceeded' });
    });

    it('does not walk values when inference is off', async () => {
      const stage = createArgumentsStage({ mode: 'enforce', infer: false });
      const args = { target: 'http://169.254.169.254/' };
      expect(await stage.check(testCall(args), ctxFor(args, {}, PROBE))).toEqual({ action: 'allow' });
    });
  });
});

describe('drive (the checks of one call)', () => {
  function* checks(
    results: (string | Promise<string>)[],
    seen: string[],
  ): Generator<string | Promise<string>, string, string> {
    for (const r of results) {
      const got = yield r;
      seen.push(got);
      if (got.startsWith('deny')) return got;
    }
    return 'allow';
  }

  it.each([
    ['all sync, allowed', ['a', 'b'], 'allow', false],
    ['all sync, the second denies', ['a', 'deny b', 'c'], 'deny b', false],
    ['async from the second on', ['a', Promise.resolve('b'), 'c'], 'allow', true],
    ['async, then a sync deny', [Promise.resolve('a'), 'deny b', 'c'], 'deny b', true],
  ])('%s', async (_, results, verdict, async) => {
    for (let round = 0; round < 2; round++) {
      const seen: string[] = [];
      const v = drive(checks(results, seen));
      expect(v instanceof Promise).toBe(async);
      expect(await v).toBe(verdict);
      expect(seen).toEqual(verdict === 'allow' ? ['a', 'b', 'c'].slice(0, results.length) : ['a', 'deny b']);
    }
  });

  it('ends with the throw of a check, or its rejection', async () => {
    function* throwing(): Generator<string, string, string> {
      yield 'a';
      throw new Error('check failed');
    }
    expect(() => drive(throwing())).toThrow('check failed');
    await expect(drive(checks([Promise.reject(new Error('lookup failed'))], []))).rejects.toThrow('lookup failed');
  });
});
