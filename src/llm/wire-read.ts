/**
 * Typed reads of an untrusted JSON body for the format translators: each read checks one value's type and throws
 * LlmFormatError with the JSON path when it is not what the API allows. Unknown fields are ignored by the callers,
 * unknown *content* kinds are refused (the proxy must not pass along what its guardrails cannot read).
 */
import { LlmFormatError } from './errors.js';

export type Path = readonly (string | number)[];
export type Obj = Record<string, unknown>;

export function typeName(v: unknown): string {
  return v === undefined
    ? 'nothing'
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'an array'
        : typeof v === 'object'
          ? 'an object'
          : `a ${typeof v}`;
}

export function obj(v: unknown, path: Path): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new LlmFormatError(path, `expected an object, got ${typeName(v)}`);
  return v as Obj;
}

export function arr(v: unknown, path: Path): unknown[] {
  if (!Array.isArray(v)) throw new LlmFormatError(path, `expected an array, got ${typeName(v)}`);
  return v;
}

export function str(v: unknown, path: Path): string {
  if (typeof v !== 'string') throw new LlmFormatError(path, `expected a string, got ${typeName(v)}`);
  return v;
}

export function optStr(o: Obj, key: string, path: Path): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : str(o[key], [...path, key]);
}

export function optNum(o: Obj, key: string, path: Path): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new LlmFormatError([...path, key], `expected a number, got ${typeName(v)}`);
  return v;
}

export function optBool(o: Obj, key: string, path: Path): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new LlmFormatError([...path, key], `expected a boolean, got ${typeName(v)}`);
  return v;
}

/** A count of tokens: a non-negative integer, 0 when absent. */
export function tokens(o: Obj | undefined, key: string, path: Path): number {
  const v = o?.[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new LlmFormatError([...path, key], `expected a token count, got ${typeName(v)}`);
  return v;
}

/** A `data:` URL split into media type and base64 data, or undefined for any other URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!, data: m[2]! } : undefined;
}

/** Drops undefined values, so that translated bodies compare and serialise cleanly. */
export function compact<T extends Obj>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * The fields of a request body outside `known`: those in `passThrough` are returned (sent on to a provider of the
 * same format); any other is an LlmFormatError naming it, so that a setting the proxy would drop is never dropped
 * silently.
 */
export function requestOptions(
  b: Obj,
  known: ReadonlySet<string>,
  passThrough: ReadonlySet<string>,
  format: 'openai' | 'anthropic',
): { format: 'openai' | 'anthropic'; values: Obj } | undefined {
  const values: Obj = {};
  for (const [k, v] of Object.entries(b)) {
    if (known.has(k) || v === undefined || v === null) continue;
    if (!passThrough.has(k))
      throw new LlmFormatError([k], `the AI proxy does not support "${k}" (it would be dropped, so it is refused)`);
    values[k] = v;
  }
  return Object.keys(values).length > 0 ? { format, values } : undefined;
}

/** A request body's options for a provider of `format`: its own, or a refusal naming the first that cannot go. */
export function optionsFor(req: { options?: { format: string; values: Obj } }, format: string, provider: string): Obj {
  const o = req.options;
  if (o === undefined) return {};
  if (o.format === format) return o.values;
  const first = Object.keys(o.values)[0]!;
  throw new LlmFormatError([first], `"${first}" cannot be sent to ${provider}, which speaks the other API format`);
}
