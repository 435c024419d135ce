/**
 * The argument stage (parameter-check slot, after the schema check): every argument that a rule in
 * `servers.<name>.arguments` names, and (with `policies.<name>.arguments.infer`) every argument whose name, schema
 * description or format says path, URL, command or SQL, goes through the matching checker in args/. The first
 * violation denies the call with the argument's path and the checker's reason; the upstream never sees it.
 *
 * It checks the arguments as the client sent them (ctx.arguments), like the schema check: an input guardrail may
 * already have put placeholders in place of PII, and those say nothing about where a path or URL points.
 * Explicit rules are compiled once per server, inferred ones once per tool definition. Failure mode: closed.
 *
 * With inference on, a last pass looks at the VALUES that no rule covered (issue 15, class 10; args/infer.ts
 * `inferValueKinds`): a string shaped like an absolute or home path gets the path check (roots and the credential
 * default), a URL given to an open-world tool the SSRF check, a SQL statement given to a database tool the SQL
 * check. It walks every string of the arguments under a budget (depth, count); running out of it denies with
 * `guard.budget-exceeded`, never skips.
 */
import os from 'node:os';
import path from 'node:path';
import { classifyTool } from './annotations.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CallContext, RequestStage, ServerPolicyContext, ToolCall, Verdict } from '../pipeline/types.js';
import { createCommandCheck } from './args/command.js';
import { createGenericCheck } from './args/generic.js';
import {
  inferArgKinds,
  inferValueKinds,
  looksLikeSql,
  SSRF_SCHEMES,
  type InferredKind,
  type SchemaFragment,
  type ValueToolHint,
} from './args/infer.js';
import { formatArgPath, selectArgs, type ArgPathSegment } from './args/arg-path.js';
import { createPathCheck } from './args/path.js';
import { createSqlCheck } from './args/sql.js';
import type { ArgCheck, ArgCheckResult, ArgContext } from './args/types.js';
import { createUrlCheck } from './args/url.js';
import type { ArgumentRule } from './config-schema.js';
import { createNameMatcher, type NameMatcher } from './glob.js';

export interface ArgumentsStageOptions {
  mode: 'enforce' | 'shadow';
  infer: boolean;
}

/** One rule, ready to run: which tools, which argument path, which checks; `inferred` only for string values. */
export interface CompiledArgumentRule {
  key: string;
  tools: NameMatcher;
  path: string;
  checks: ArgCheck[];
  inferred: boolean;
  kind: string;
}

/** Splits "<tool glob>.<argument path>" at the first "." or "[" that is not part of the glob. */
export function splitRuleKey(key: string): { tool: string; path: string } {
  const at = key.search(/[.[]/);
  const tool = key.slice(0, at);
  const rest = key.slice(at);
  return { tool, path: rest.startsWith('.') ? rest.slice(1) : rest };
}

/** The checks one configured rule stands for: its kind's checker, then the generic checks it sets. */
export function compileRule(rule: ArgumentRule): ArgCheck[] {
  const checks: ArgCheck[] = [];
  switch (rule.kind) {
    case 'path':
      checks.push(createPathCheck(rule.within ? { within: rule.within } : {}));
      break;
    case 'url':
      checks.push(
        createUrlCheck({
          ...(rule.schemes ? { schemes: rule.schemes } : {}),
          ...(rule.hosts ? { hosts: rule.hosts } : {}),
          ...(rule.blockPrivate !== undefined ? { blockPrivate: rule.blockPrivate } : {}),
          ...(rule.resolve !== undefined ? { resolve: rule.resolve } : {}),
        }),
      );
      break;
    case 'command':
      checks.push(createCommandCheck({ allow: rule.allow, ...(rule.denyArgs ? { denyArgs: rule.denyArgs } : {}) }));
      break;
    case 'sql':
      checks.push(createSqlCheck({ readOnly: rule.readOnly ?? true }));
      break;
    case 'value':
      break;
  }
  const { pattern, notPattern, enum: values, min, max, maxLength, maxItems } = rule;
  if ([pattern, notPattern, values, min, max, maxLength, maxItems].some((v) => v !== undefined)) {
    checks.push(
      createGenericCheck({
        ...(pattern !== undefined ? { pattern } : {}),
        ...(notPattern !== undefined ? { notPattern } : {}),
        ...(values !== undefined ? { enum: values } : {}),
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
        ...(maxLength !== undefined ? { maxLength } : {}),
        ...(maxItems !== undefined ? { maxItems } : {}),
      }),
    );
  }
  return checks;
}

/** Compiles a server's rules; throws (with the rule's key) for a rule that cannot be compiled, e.g. an unsafe regex. */
export function compileServerRules(rules: Readonly<Record<string, ArgumentRule>>): CompiledArgumentRule[] {
  return Object.entries(rules).map(([key, rule]) => {
    const { tool, path } = splitRuleKey(key);
    try {
      return {
        key,
        tools: createNameMatcher([tool]),
        path,
        checks: compileRule(rule),
        inferred: false,
        kind: rule.kind,
      };
    } catch (error) {
      throw new Error(`argument rule "${key}": ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  });
}

/**
 * The checks an inferred kind gets by default: paths stay inside the server's roots (else its cwd); URLs may not
 * reach private or metadata addresses; commands may not chain, pipe, substitute or redirect (any program); SQL may
 * not stack statements or hide one in a comment. SQL writes are allowed, unless the tool itself is read-only (its
 * readOnlyHint, or a `servers.<name>.annotations` override): a "read-only" query tool handed a DELETE is the
 * confused-deputy attack this stops (found by the attack scoreboard).
 */
const INFERRED: Record<InferredKind, (readOnlyTool: boolean) => ArgCheck> = {
  path: inferredPathCheck,
  url: () => createUrlCheck(),
  command: () => createCommandCheck(),
  sql: (readOnlyTool) => createSqlCheck({ readOnly: readOnlyTool }),
};

/**
 * A database tool's search term (`q`) is SQL only when its value reads as SQL (a statement, or a quote closed early
 * to add SQL): a customer called O'Brien is a name, not an unterminated string (found by the attack suite's benign
 * cases). Arguments named for SQL (`sql`, `query`, `statement`) and explicit `kind: sql` rules check every value.
 */
const SEARCH_TERM = /(^|\.)q$/;

function literalOrSql(check: ArgCheck): ArgCheck {
  return {
    kind: 'sql',
    check: (value, ctx) => (typeof value === 'string' && !looksLikeSql(value) ? null : check.check(value, ctx)),
  };
}

/**
 * With declared roots (or a cwd), a path must stay inside them. Without, nothing confines an absolute path, but the
 * lexical checks still hold (NUL bytes, device names, "~" and variable tricks, encoded traversal), and a relative
 * path may not climb out of the working directory.
 */
function inferredPathCheck(): ArgCheck {
  const confined = createPathCheck();
  const anywhere = createPathCheck({ within: ['/'] });
  return {
    kind: 'path',
    check(value, ctx) {
      if (ctx.roots !== undefined || typeof value !== 'string' || !path.isAbsolute(value))
        return confined.check(value, ctx);
      return anywhere.check(value, ctx);
    },
  };
}

const MAX_SHAPE_DEPTH = 64;
const MAX_SHAPE_STRINGS = 10_000;

/** The checks a value's shape calls for; the path check reads `~/` and `$HOME/` as the home folder it names. */
function shapeChecks(readOnlyTool: boolean): Record<InferredKind, ArgCheck> {
  const pathCheck = inferredPathCheck();
  const home = process.env.HOME ?? os.homedir();
  return {
    path: {
      kind: 'path',
      check(value, ctx) {
        const expanded =
          typeof value === 'string' ? value.replace(/^(~|\$HOME|\$\{HOME\})(?=[\\/]|$)/, () => home) : value;
        return pathCheck.check(expanded, ctx);
      },
    },
    url: createUrlCheck({ schemes: [...SSRF_SCHEMES] }),
    command: createCommandCheck(),
    sql: createSqlCheck({ readOnly: readOnlyTool }),
  };
}

type Found = { path: string; name: string; value: string };
type StringWalk = { strings: Found[] } | { exceeded: string };

/** Every string of the arguments with its concrete path and the name of its nearest key, or where the budget ran out. */
function stringsOf(args: unknown): StringWalk {
  const strings: Found[] = [];
  const stack: { value: unknown; at: ArgPathSegment[]; name: string }[] = [{ value: args, at: [], name: '' }];
  while (stack.length > 0) {
    const { value, at, name } = stack.pop()!;
    if (typeof value === 'string') {
      if (strings.length >= MAX_SHAPE_STRINGS) return { exceeded: `more than ${MAX_SHAPE_STRINGS} strings` };
      strings.push({ path: formatArgPath(at), name, value });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (at.length >= MAX_SHAPE_DEPTH) return { exceeded: `nesting deeper than ${MAX_SHAPE_DEPTH} levels` };
    if (Array.isArray(value))
      value.forEach((v, index) => stack.push({ value: v, at: [...at, { type: 'index', index }], name }));
    else
      for (const [key, v] of Object.entries(value))
        stack.push({ value: v, at: [...at, { type: 'key', key }], name: key });
  }
  return { strings: strings.reverse() };
}

const SHAPE_NAMES: Record<InferredKind, string> = {
  path: 'a file path',
  url: 'a URL',
  command: 'a command',
  sql: 'a SQL statement',
};

/** The inferred rules of a tool for the arguments no explicit rule covers. */
export function inferredRules(
  tool: Tool,
  explicit: readonly CompiledArgumentRule[],
  readOnlyTool = false,
): CompiledArgumentRule[] {
  const covered = new Set(explicit.filter((r) => r.tools(tool.name)).map((r) => r.path));
  return inferArgKinds(tool.inputSchema as SchemaFragment, {
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
  })
    .filter((a) => !covered.has(a.path))
    .map((a) => ({
      key: `${tool.name}.${a.path} (inferred)`,
      tools: () => true,
      path: a.path,
      checks: [
        a.kind === 'sql' && SEARCH_TERM.test(a.path)
          ? literalOrSql(INFERRED.sql(readOnlyTool))
          : INFERRED[a.kind](readOnlyTool),
      ],
      inferred: true,
      kind: a.kind,
    }));
}

/** What an argument check may know about the server: its cwd, its roots when it has some, its credential setting. */
export function argContextOf(policy: ServerPolicyContext): ArgContext {
  const { cwd, roots, credentialPaths } = policy;
  return {
    cwd,
    ...(roots.length > 0 ? { roots } : {}),
    ...(credentialPaths !== undefined ? { credentialPaths } : {}),
  };
}

export function createArgumentsStage(opts: ArgumentsStageOptions): RequestStage {
  const byServer = new WeakMap<ServerPolicyContext, { rules: CompiledArgumentRule[]; argCtx: ArgContext }>();
  interface ToolRules {
    explicit: CompiledArgumentRule[];
    inferred: CompiledArgumentRule[];
    /** The explicit rules that name this tool, then the inferred ones: the list a call walks, made once. */
    rules: CompiledArgumentRule[];
    annotations: ServerPolicyContext['annotations'];
    hint: ValueToolHint;
    shape: Record<InferredKind, ArgCheck>;
  }
  const byTool = new WeakMap<Tool, ToolRules>();

  const serverOf = (policy: ServerPolicyContext) => {
    let server = byServer.get(policy);
    if (!server)
      byServer.set(policy, (server = { rules: compileServerRules(policy.arguments), argCtx: argContextOf(policy) }));
    return server;
  };

  const rulesFor = (ctx: CallContext): { rules: CompiledArgumentRule[]; tool?: ToolRules } => {
    const explicit = serverOf(ctx.serverPolicy).rules;
    if (!opts.infer) return { rules: explicit.filter((r) => r.tools(ctx.tool.name)) };
    // A tool definition object is replaced when the upstream relists, so the inferred rules follow its schema.
    let cached = byTool.get(ctx.tool);
    if (!cached || cached.explicit !== explicit || cached.annotations !== ctx.serverPolicy.annotations) {
      const toolClass = classifyTool(ctx.tool, ctx.serverPolicy.annotations);
      const inferred = inferredRules(ctx.tool, explicit, toolClass.readOnly);
      cached = {
        explicit,
        annotations: ctx.serverPolicy.annotations,
        inferred,
        rules: [...explicit.filter((r) => r.tools(ctx.tool.name)), ...inferred],
        hint: {
          name: ctx.tool.name,
          ...(ctx.tool.description !== undefined ? { description: ctx.tool.description } : {}),
          openWorld: toolClass.openWorld,
        },
        shape: shapeChecks(toolClass.readOnly),
      };
      byTool.set(ctx.tool, cached);
    }
    return { rules: cached.rules, tool: cached };
  };

  /** The checks of one call in order; each check's result is sent back in, and the first violation ends it. */
  function* steps(
    ctx: CallContext,
  ): Generator<ArgCheckResult | Promise<ArgCheckResult>, Verdict<ToolCall>, ArgCheckResult> {
    const { rules, tool } = rulesFor(ctx);
    if (rules.length === 0 && !tool) return { action: 'allow' };
    const argCtx = serverOf(ctx.serverPolicy).argCtx;
    const covered = new Set<string>();
    for (const rule of rules) {
      for (const match of selectArgs(ctx.arguments, rule.path)) {
        covered.add(match.path);
        if (rule.inferred && typeof match.value !== 'string') continue;
        for (const check of rule.checks) {
          const violation = yield check.check(match.value, argCtx);
          if (violation)
            return {
              action: 'deny',
              ruleId: violation.ruleId,
              reason: `argument ${match.path}: ${violation.reason} (${rule.inferred ? `inferred ${rule.kind} check` : `rule "${rule.key}"`})`,
            };
        }
      }
    }
    if (!tool) return { action: 'allow' };
    const walk = stringsOf(ctx.arguments);
    if ('exceeded' in walk)
      return {
        action: 'deny',
        ruleId: 'guard.budget-exceeded',
        reason: `the arguments could not be checked for paths, URLs and SQL: ${walk.exceeded}`,
      };
    for (const { path: at, name, value } of walk.strings) {
      if (covered.has(at)) continue;
      for (const kind of inferValueKinds(value, tool.hint, name)) {
        const violation = yield tool.shape[kind].check(value, argCtx);
        if (violation)
          return {
            action: 'deny',
            ruleId: violation.ruleId,
            reason: `argument ${at}: ${violation.reason} (the value looks like ${SHAPE_NAMES[kind]})`,
          };
      }
    }
    return { action: 'allow' };
  }

  return {
    name: 'arguments',
    slot: 'parameter-check',
    mode: opts.mode,
    // Synchronous while every check is (most are: only a URL check that resolves a host waits), so the usual call
    // costs no promise; from the first check that returns a promise on, the rest runs async.
    check: (_call, ctx) => drive(steps(ctx)),
  };
}

/**
 * Runs a generator of check results to its end: each yielded result is sent back in, synchronously while results
 * are plain values, and awaited from the first promise on. A throw (or a rejection) ends it as the check's own.
 */
export function drive<R, V>(run: Generator<R | Promise<R>, V, R>): V | Promise<V> {
  let step = run.next();
  while (!step.done) {
    if (step.value instanceof Promise) return finish(run, step.value);
    step = run.next(step.value);
  }
  return step.value;
}

async function finish<R, V>(run: Generator<R | Promise<R>, V, R>, pending: Promise<R>): Promise<V> {
  let step = run.next(await pending);
  while (!step.done) step = run.next(await step.value);
  return step.value;
}
