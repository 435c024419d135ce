/**
 * The argument stage (parameter-check slot, after the schema check): every argument that a rule in
 * `servers.<name>.arguments` names, and (with `policies.<name>.arguments.infer`) every argument whose name, schema
 * description or format says path, URL, command or SQL, goes through the matching checker in args/. The first
 * violation denies the call with the argument's path and the checker's reason; the upstream never sees it.
 *
 * It checks the arguments as the client sent them (ctx.arguments), like the schema check: an input guardrail may
 * already have put placeholders in place of PII, and those say nothing about where a path or URL points.
 * Explicit rules are compiled once per server, inferred ones once per tool definition. Failure mode: closed.
 */
import path from 'node:path';
import { classifyTool } from './annotations.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CallContext, RequestStage, ServerPolicyContext } from '../pipeline/types.js';
import { createCommandCheck } from './args/command.js';
import { createGenericCheck } from './args/generic.js';
import { inferArgKinds, type InferredKind, type SchemaFragment } from './args/infer.js';
import { selectArgs } from './args/arg-path.js';
import { createPathCheck } from './args/path.js';
import { createSqlCheck } from './args/sql.js';
import type { ArgCheck, ArgContext, ArgViolation } from './args/types.js';
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
      checks: [INFERRED[a.kind](readOnlyTool)],
      inferred: true,
      kind: a.kind,
    }));
}

export function createArgumentsStage(opts: ArgumentsStageOptions): RequestStage {
  const byServer = new WeakMap<ServerPolicyContext, CompiledArgumentRule[]>();
  const byTool = new WeakMap<Tool, { explicit: CompiledArgumentRule[]; inferred: CompiledArgumentRule[] }>();

  const rulesFor = (ctx: CallContext): CompiledArgumentRule[] => {
    let explicit = byServer.get(ctx.serverPolicy);
    if (!explicit) byServer.set(ctx.serverPolicy, (explicit = compileServerRules(ctx.serverPolicy.arguments)));
    if (!opts.infer) return explicit.filter((r) => r.tools(ctx.tool.name));
    // A tool definition object is replaced when the upstream relists, so the inferred rules follow its schema.
    let cached = byTool.get(ctx.tool);
    if (!cached || cached.explicit !== explicit)
      byTool.set(
        ctx.tool,
        (cached = {
          explicit,
          inferred: inferredRules(ctx.tool, explicit, classifyTool(ctx.tool, ctx.serverPolicy.annotations).readOnly),
        }),
      );
    return [...explicit.filter((r) => r.tools(ctx.tool.name)), ...cached.inferred];
  };

  return {
    name: 'arguments',
    slot: 'parameter-check',
    mode: opts.mode,
    async check(_call, ctx) {
      const rules = rulesFor(ctx);
      if (rules.length === 0) return { action: 'allow' };
      const { cwd, roots } = ctx.serverPolicy;
      const argCtx: ArgContext = roots.length > 0 ? { cwd, roots } : { cwd };
      for (const rule of rules) {
        for (const match of selectArgs(ctx.arguments, rule.path)) {
          if (rule.inferred && typeof match.value !== 'string') continue;
          for (const check of rule.checks) {
            const violation: ArgViolation | null = await check.check(match.value, argCtx);
            if (violation)
              return {
                action: 'deny',
                ruleId: violation.ruleId,
                reason: `argument ${match.path}: ${violation.reason} (${rule.inferred ? `inferred ${rule.kind} check` : `rule "${rule.key}"`})`,
              };
          }
        }
      }
      return { action: 'allow' };
    },
  };
}
