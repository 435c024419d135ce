/**
 * Argument path expressions (issue 4): which values of a call's arguments a rule applies to.
 *
 *   path                      the top-level argument `path`
 *   query.filters[*].value    `value` of every element of the array `query.filters`
 *   items[0].url              `url` of the first element of `items`
 *   headers.*                 every own property of the object `headers`
 *   ["odd key"].x             a key that is not a plain name, as a JSON string
 *
 * `selectArgs` yields every matching value with its concrete path (`query.filters[2].value`), in document order.
 * Only own properties are followed (never `__proto__` or inherited ones), and a path that does not exist yields
 * nothing: whether an argument is required is the inputSchema's business. A bad expression throws when parsed, which
 * is at config load.
 */

export type ArgPathSegment =
  | { type: 'key'; key: string }
  | { type: 'index'; index: number }
  | { type: 'any-key' } // `.*`
  | { type: 'any-index' }; // `[*]`

export interface ArgMatch {
  /** The concrete path of this value, e.g. `query.filters[2].value`. */
  path: string;
  value: unknown;
}

const NAME = /^[\w$-]+/;
const PLAIN = /^[\w$-]+$/;

function fail(expr: string, at: number, what: string): never {
  throw new Error(`argument path ${JSON.stringify(expr)} is invalid at character ${at + 1}: ${what}`);
}

export function parseArgPath(expr: string): ArgPathSegment[] {
  const out: ArgPathSegment[] = [];
  let i = 0;
  const readName = () => {
    if (expr[i] === '*') {
      i++;
      out.push({ type: 'any-key' });
      return;
    }
    const m = NAME.exec(expr.slice(i));
    if (!m) fail(expr, i, 'expected a name, `*` or `[`');
    out.push({ type: 'key', key: m[0] });
    i += m[0].length;
  };
  if (expr === '') fail(expr, 0, 'empty');
  if (expr[0] !== '[') readName();
  while (i < expr.length) {
    const c = expr[i];
    if (c === '.') {
      i++;
      readName();
    } else if (c === '[' && expr[i + 1] === '"') {
      const str = readJsonString(expr, i + 1);
      if (expr[str.end] !== ']') fail(expr, str.end, 'expected `]`');
      out.push({ type: 'key', key: str.value });
      i = str.end + 1;
    } else if (c === '[') {
      const close = expr.indexOf(']', i);
      const inner = close < 0 ? '' : expr.slice(i + 1, close);
      if (inner === '*') out.push({ type: 'any-index' });
      else if (/^(0|[1-9]\d*)$/.test(inner)) out.push({ type: 'index', index: Number(inner) });
      else fail(expr, i + 1, 'expected an index, `*` or a JSON string inside [ ]');
      i = close + 1;
    } else fail(expr, i, 'expected `.` or `[`');
  }
  return out;
}

/** Reads the JSON string that starts at `start` (a `"`); `]` inside it does not end the bracket. */
function readJsonString(expr: string, start: number): { value: string; end: number } {
  let i = start + 1;
  while (i < expr.length && expr[i] !== '"') i += expr[i] === '\\' ? 2 : 1;
  try {
    return { value: JSON.parse(expr.slice(start, i + 1)) as string, end: i + 1 };
  } catch {
    return fail(expr, start, 'bad JSON string');
  }
}

export function formatArgPath(segments: readonly ArgPathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (s.type === 'key') out += PLAIN.test(s.key) ? (out === '' ? s.key : `.${s.key}`) : `[${JSON.stringify(s.key)}]`;
    else if (s.type === 'index') out += `[${s.index}]`;
    else if (s.type === 'any-index') out += '[*]';
    else out += out === '' ? '*' : '.*';
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function* selectArgs(args: unknown, expr: string | readonly ArgPathSegment[]): Generator<ArgMatch> {
  const segments = typeof expr === 'string' ? parseArgPath(expr) : expr;
  function* walk(value: unknown, depth: number, at: ArgPathSegment[]): Generator<ArgMatch> {
    const seg = segments[depth];
    if (!seg) {
      yield { path: formatArgPath(at), value };
      return;
    }
    if (seg.type === 'key') {
      if (isRecord(value) && Object.hasOwn(value, seg.key)) yield* walk(value[seg.key], depth + 1, [...at, seg]);
    } else if (seg.type === 'index') {
      if (Array.isArray(value) && seg.index < value.length) yield* walk(value[seg.index], depth + 1, [...at, seg]);
    } else if (seg.type === 'any-index') {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) yield* walk(value[i], depth + 1, [...at, { type: 'index', index: i }]);
      }
    } else if (isRecord(value)) {
      for (const key of Object.keys(value)) yield* walk(value[key], depth + 1, [...at, { type: 'key', key }]);
    }
  }
  yield* walk(args, 0, []);
}
