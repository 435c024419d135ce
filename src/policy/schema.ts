/**
 * Parameter check: validates every call's arguments against the tool's own inputSchema with ajv (formats and
 * additionalProperties included), so that the upstream never sees a call its own contract rejects. Schemas that
 * declare draft-07 (or older) use ajv's draft-07 engine; everything else uses 2020-12, the MCP default dialect.
 * Compiled validators are cached by the schema's JSON text. A schema that ajv cannot compile is denied by default
 * (`uncompilable: "deny"`). Fail mode: closed.
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
}

type Compiled = { ok: true; validate: ValidateFunction } | { ok: false; error: string };

const MAX_REPORTED_ERRORS = 5;

export function createSchemaValidator() {
  const options = { strict: false, allErrors: true, validateFormats: true, verbose: false } as const;
  const draft7 = new Ajv(options);
  const draft2020 = new Ajv2020(options);
  addFormats(draft7);
  addFormats(draft2020);
  const cache = new LRUCache<string, Compiled>({ max: 2000 });

  return function compile(schema: unknown): Compiled {
    const key = JSON.stringify(schema ?? null);
    const hit = cache.get(key);
    if (hit) return hit;
    let out: Compiled;
    try {
      if (schema === null || typeof schema !== 'object' || Array.isArray(schema))
        throw new Error('inputSchema is not a JSON object');
      const { $schema, ...rest } = schema as Record<string, unknown>;
      const engine = typeof $schema === 'string' && /draft-0[4-7]/.test($schema) ? draft7 : draft2020;
      out = { ok: true, validate: engine.compile(rest) };
    } catch (error) {
      out = { ok: false, error: (error as Error).message };
    }
    cache.set(key, out);
    return out;
  };
}

export function createSchemaStage(opts: SchemaStageOptions = {}): RequestStage {
  const compile = createSchemaValidator();
  return {
    name: 'schema',
    slot: 'parameter-check',
    mode: opts.mode ?? 'enforce',
    check(call, ctx) {
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
      if (compiled.validate(call.arguments)) return { action: 'allow' };
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
