/** Walking the strings of a JSON value: every guardrail and the data-flow guard read arguments and results this way. */

/** A string somewhere inside a JSON value, with its readable path. */
export interface StringLeaf {
  path: string;
  value: string;
}

/** Every string leaf of a JSON value, depth-first, with readable paths (`filters[2].value`). */
export function stringLeaves(value: unknown, path: string, out: StringLeaf[] = [], depth = 0): StringLeaf[] {
  if (depth > 64) return out; // deeper nesting is a size problem, not a detection problem
  if (typeof value === 'string') out.push({ path, value });
  else if (Array.isArray(value)) value.forEach((v, i) => stringLeaves(v, `${path}[${i}]`, out, depth + 1));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value))
      stringLeaves(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, out, depth + 1);
  return out;
}

/** A copy of `value` with every string passed through `fn(path, string)`. */
export function mapStrings(value: unknown, path: string, fn: (path: string, s: string) => string, depth = 0): unknown {
  if (depth > 64) return value;
  if (typeof value === 'string') return fn(path, value);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, `${path}[${i}]`, fn, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = mapStrings(
        v,
        /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`,
        fn,
        depth + 1,
      );
    return out;
  }
  return value;
}
