/**
 * Size limits, the first input guardrail and the first output guardrail. They measure the UTF-8 JSON size of a
 * call's arguments and of a whole tool result (every content part and structuredContent), because an oversized
 * payload is how a sponge attack or an exfiltration dump looks before any detector reads it. Fail mode: closed
 * (a value that cannot be serialised is denied by the runner).
 */
import type { RequestStage, ResponseStage } from '../pipeline/types.js';

export interface SizeLimitOptions {
  maxBytes: number;
  mode?: 'enforce' | 'shadow';
}

/**
 * The UTF-8 size of `value`'s JSON. Measured without reading the serialised text back: JSON.stringify builds it in
 * pieces, and the first pass over it (Buffer.byteLength) flattens a copy, which costs twice the serialisation on a
 * 1 MB result. Its length in UTF-16 units is known without that; the UTF-8 bytes beyond one per unit come only from
 * the non-ASCII characters of its strings and keys, which are read where they already lie, flat. A value that is
 * not plain JSON data (toJSON, a Date, a member JSON.stringify leaves out, a lone surrogate it escapes) is measured
 * on the text, as before. `walkFrom`: the JSON length (UTF-16 units) from which the strings are walked.
 */
export function jsonBytes(value: unknown, walkFrom = WALK_FROM): number {
  const json = JSON.stringify(value) ?? '';
  // Below this, flattening costs less than the walk.
  if (json.length < walkFrom) return Buffer.byteLength(json, 'utf8');
  const extra = extraBytes(value, 0);
  return extra === undefined ? Buffer.byteLength(json, 'utf8') : json.length + extra;
}

const WALK_FROM = 64 * 1024;
const MAX_WALK_DEPTH = 256;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** UTF-8 bytes beyond one per UTF-16 unit of a string JSON.stringify writes as it is; undefined if it escapes some. */
function stringExtra(s: string): number | undefined {
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes === s.length) return 0;
  return LONE_SURROGATE.test(s) ? undefined : bytes - s.length;
}

/** The extra UTF-8 bytes of plain JSON data (see jsonBytes), or undefined for anything else. */
function extraBytes(value: unknown, depth: number): number | undefined {
  if (typeof value === 'string') return stringExtra(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return 0;
  if (typeof value !== 'object' || depth > MAX_WALK_DEPTH) return undefined;
  let extra = 0;
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) {
      const e = extraBytes(v, depth + 1);
      if (e === undefined) return undefined;
      extra += e;
    }
    return extra;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const ek = stringExtra(k);
    const ev = extraBytes(v, depth + 1);
    if (ek === undefined || ev === undefined) return undefined;
    extra += ek + ev;
  }
  return extra;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function createArgumentSizeStage(opts: SizeLimitOptions): RequestStage {
  return {
    name: 'size',
    slot: 'input-guardrail',
    mode: opts.mode ?? 'enforce',
    check(call) {
      const size = jsonBytes(call.arguments);
      return size <= opts.maxBytes
        ? { action: 'allow' }
        : {
            action: 'deny',
            ruleId: 'size.max-argument-bytes',
            reason: `arguments are ${formatBytes(size)}; the limit is ${formatBytes(opts.maxBytes)}`,
          };
    },
  };
}

export function createResultSizeStage(opts: SizeLimitOptions): ResponseStage {
  return {
    name: 'size',
    slot: 'output-guardrail',
    mode: opts.mode ?? 'enforce',
    check(result) {
      const size = jsonBytes(result);
      return size <= opts.maxBytes
        ? { action: 'allow' }
        : {
            action: 'deny',
            ruleId: 'size.max-result-bytes',
            reason: `the tool result is ${formatBytes(size)}; the limit is ${formatBytes(opts.maxBytes)}`,
          };
    },
  };
}
