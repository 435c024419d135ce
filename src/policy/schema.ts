/**
 * Parameter check: validates every call's arguments against the tool's own inputSchema with ajv (formats and
 * additionalProperties included), so that the upstream never sees a call its own contract rejects. Schemas that
 * declare draft-07 (or older) use ajv's draft-07 engine; everything else uses 2020-12, the MCP default dialect.
 * Validators are compiled ahead of calls when a catalog arrives (`warm`), and cached. A schema that ajv cannot
 * compile is denied by default
 * (`uncompilable: "deny"`). Fail mode: closed.
 *
 * Arguments the schema does not declare are refused too (`undeclared: "deny"`, the default), even where the schema
 * leaves additionalProperties open, as most servers' schemas do: an argument the tool never asked for is how a
 * silently changed tool, or text injected into the conversation, gets a model to carry data out (a `sidenote`
 * holding a key). Only top-level names are checked, and only where the schema lists `properties` and says nothing
 * that could admit more (additionalProperties, patternProperties, a composition or a reference).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import type { RequestStage } from '../pipeline/types.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable is on .default at type level.
const addFormats = addFormatsImport as unknown as (ajv: Ajv | Ajv2020) => void;

export interface SchemaStageOptions {
  mode?: 'enforce' | 'shadow';
  uncompilable?: 'deny' | 'allow';
  undeclared?: 'deny' | 'allow';
}

const OPEN_KEYWORDS = ['additionalProperties', 'patternProperties', 'allOf', 'anyOf', 'oneOf', '$ref', '$dynamicRef'];

/** The argument names a schema declares, or undefined when it may admit others (see the header). */
export function declaredArguments(schema: unknown): ReadonlySet<string> | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const s = schema as Record<string, unknown>;
  const props = s.properties;
  if (typeof props !== 'object' || props === null || Array.isArray(props) || Object.keys(props).length === 0)
    return undefined;
  if (OPEN_KEYWORDS.some((k) => k in s)) return undefined;
  return new Set(Object.keys(props));
}

type Compiled = { ok: true; validate: ValidateFunction } | { ok: false; error: string };

const MAX_REPORTED_ERRORS = 5;

let engines: { draft7: Ajv; draft2020: Ajv2020 } | undefined;

/** One pair of ajv instances for the whole process, created on first use (each costs milliseconds at start-up). */
function ajvEngines() {
  if (!engines) {
    const options = { strict: false, allErrors: true, validateFormats: true, verbose: false } as const;
    engines = { draft7: new Ajv(options), draft2020: new Ajv2020(options) };
    addFormats(engines.draft7);
    addFormats(engines.draft2020);
  }
  return engines;
}

/**
 * Compiles a tool's inputSchema, cached twice: by object identity (a WeakMap hit costs nothing on the call path,
 * since a catalog keeps its tool objects) and by JSON text (so an identical schema in a new catalog is not
 * compiled again).
 */
export function createSchemaValidator() {
  const byObject = new WeakMap<object, Compiled>();
  const byText = new LRUCache<string, Compiled>({ max: 2000 });

  return function compile(schema: unknown): Compiled {
    const isObj = typeof schema === 'object' && schema !== null;
    const seen = isObj ? byObject.get(schema) : undefined;
    if (seen) return seen;
    const key = JSON.stringify(schema ?? null);
    let out = byText.get(key);
    if (!out) {
      try {
        if (!isObj || Array.isArray(schema)) throw new Error('inputSchema is not a JSON object');
        const { $schema, ...rest } = schema as Record<string, unknown>;
        const { draft7, draft2020 } = ajvEngines();
        const engine = typeof $schema === 'string' && /draft-0[4-7]/.test($schema) ? draft7 : draft2020;
        out = { ok: true, validate: engine.compile(rest) };
      } catch (error) {
        out = { ok: false, error: (error as Error).message };
      }
      byText.set(key, out);
    }
    if (isObj) byObject.set(schema, out);
    return out;
  };
}

export function createSchemaStage(opts: SchemaStageOptions = {}): RequestStage {
  const compile = createSchemaValidator();
  const declared = new WeakMap<object, ReadonlySet<string> | undefined>();
  const declaredOf = (schema: object) => {
    if (!declared.has(schema)) declared.set(schema, declaredArguments(schema));
    return declared.get(schema);
  };
  return {
    name: 'schema',
    slot: 'parameter-check',
    mode: opts.mode ?? 'enforce',
    warm(tools) {
      for (const tool of tools) compile(tool.inputSchema);
    },
    check(_call, ctx) {
      const compiled = compile(ctx.tool.inputSchema);
      if (!compiled.ok) {
        return opts.uncompilable === 'allow'
          ? { action: 'allow' }
          : {
              action: 'deny',
              ruleId: 'schema.uncompilable',
              reason: `the tool's inputSchema cannot be compiled (${compiled.error}); set the policy's schema.uncompilable to "allow" to call it anyway`,
            };
      }
      // The client's own arguments: a guardrail's placeholder must not fail the tool's formats.
      if (compiled.validate(ctx.arguments)) {
        const names = opts.undeclared === 'allow' ? undefined : declaredOf(ctx.tool.inputSchema);
        const extra = names ? Object.keys(ctx.arguments).filter((k) => !names.has(k)) : [];
        if (extra.length === 0) return { action: 'allow' };
        return {
          action: 'deny',
          ruleId: 'schema.undeclared-argument',
          reason: `the tool's inputSchema does not declare ${extra.map((k) => JSON.stringify(k)).join(', ')} (it declares ${[...names!].join(', ')}); set the policy's schema.undeclared to "allow" to pass such arguments on`,
        };
      }
      return {
        action: 'deny',
        ruleId: 'schema.invalid-arguments',
        reason: `arguments do not match the tool's inputSchema: ${describeErrors(compiled.validate.errors ?? [])}`,
      };
    },
  };
}

/** "`/count` must be integer; `(arguments)` must have required property 'path'" */
export function describeErrors(errors: readonly ErrorObject[]): string {
  const parts = errors.slice(0, MAX_REPORTED_ERRORS).map((e) => {
    const where = e.instancePath === '' ? 'arguments' : `arguments${e.instancePath}`;
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties':
        return `${where} has unexpected property "${String(params.additionalProperty)}"`;
      case 'required':
        return `${where} is missing required property "${String(params.missingProperty)}"`;
      case 'enum':
        return `${where} must be one of ${JSON.stringify(params.allowedValues)}`;
      default:
        return `${where} ${e.message ?? 'is invalid'}`;
    }
  });
  if (errors.length > MAX_REPORTED_ERRORS) parts.push(`and ${errors.length - MAX_REPORTED_ERRORS} more`);
  return parts.join('; ');
}
