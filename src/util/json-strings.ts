/**
 * The one traversal every guard reads a message through (issue 15: "one traversal, explicit budgets"). It visits
 * EVERY string of a JSON value: values, object keys, and the text inside base64 payloads (`blob`, and `data` beside
 * a `mimeType`) when the decoded bytes are text, whatever the declared mimeType says. Budgets are explicit: nesting
 * depth, number of strings, and a deadline. A walk that runs out of a budget throws `BudgetExceededError`, and the
 * stage runner turns that into a deny with the rule `guard.budget-exceeded`: a guard that cannot read all of a
 * message never lets the rest through unread.
 *
 * Paths are readable (`arguments.filters[2].value`, `structuredContent.rows[0]{key#1}` for the second key of an
 * object) and never carry a key's text unless the key is a short plain word: a path is shown in block messages and
 * logs, and a key may be the secret.
 * `mapStrings` walks exactly as `stringLeaves` does, so the paths of a finding address the same string when it is
 * redacted. A decoded payload is re-encoded after it is mapped; a key that is mapped renames its property.
 */

/** A string somewhere inside a JSON value, with its readable path. */
export interface StringLeaf {
  path: string;
  value: string;
  /** `key`: the string is an object key; `base64`: the decoded text of a base64 payload. */
  kind?: 'key' | 'base64';
}

export interface WalkBudget {
  /** Deepest nesting read; deeper is a deny, not a skip. */
  maxDepth: number;
  /** Most strings (values, keys, decoded payloads) one message may carry. */
  maxStrings: number;
  /** `performance.now()` past which the walk (and the scan that follows it) stops with a deny. */
  deadline?: number;
}

export const DEFAULT_WALK_BUDGET: Readonly<WalkBudget> = Object.freeze({ maxDepth: 64, maxStrings: 100_000 });

/** The rule id of every guard that could not finish within its budget. */
export const BUDGET_RULE = 'guard.budget-exceeded';

export class BudgetExceededError extends Error {
  readonly ruleId = BUDGET_RULE;
  constructor(
    readonly limit: 'depth' | 'strings' | 'time',
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

/** Throws when the budget's deadline has passed; `what` names the work for the message. */
export function checkDeadline(budget: Readonly<WalkBudget>, path: string, what = 'the scan'): void {
  if (budget.deadline !== undefined && performance.now() > budget.deadline)
    throw new BudgetExceededError('time', path, `${what} ran out of time at ${path}`);
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z_$]{0,23}\d{0,2}$/;

/** The path of a property: `.name` for a short plain word, else `{#i}` (its position), so no key text leaks. */
function childPath(path: string, key: string, index: number): string {
  if (!PLAIN_KEY.test(key)) return `${path}{#${index}}`;
  return path === '' ? key : `${path}.${key}`;
}

/** The path of an object key as a string of its own: by position only, since its text is what is scanned. */
function keyPath(path: string, index: number): string {
  return `${path}{key#${index}}`;
}

/**
 * The text of a base64 payload, when it is text: valid UTF-8, no NUL or other C0 controls but tab and line breaks.
 * Binary payloads (images, archives) are not text and return undefined: there is nothing in them a text detector
 * could read, and the size limits bound them.
 */
export function base64Text(value: string): string | undefined {
  if (value.length < 8 || !/^[A-Za-z0-9+/_-]+={0,2}\s*$/.test(value.slice(0, 4096))) return undefined;
  const bytes = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000e-\u001f]/.test(text) ? undefined : text;
}

/** Whether `key` of `parent` holds a base64 payload: `blob` (resources), or `data` beside a `mimeType`. */
function isPayload(parent: Record<string, unknown>, key: string): boolean {
  return key === 'blob' || (key === 'data' && typeof parent.mimeType === 'string');
}

interface Walk {
  budget: Readonly<WalkBudget>;
  strings: number;
  nodes: number;
}

function countString(w: Walk, path: string): void {
  if (++w.strings > w.budget.maxStrings)
    throw new BudgetExceededError(
      'strings',
      path,
      `the message carries more than ${w.budget.maxStrings} strings (limits.maxStrings)`,
    );
}

function enter(w: Walk, path: string, depth: number): void {
  if (depth >= w.budget.maxDepth)
    throw new BudgetExceededError(
      'depth',
      path,
      `the message nests deeper than ${w.budget.maxDepth} levels (limits.maxDepth)`,
    );
  // The clock is read every 1,024 nodes: often enough to stop a slow walk, rarely enough to cost nothing.
  if ((++w.nodes & 1023) === 0) checkDeadline(w.budget, path, 'reading the message');
}

function collect(w: Walk, value: unknown, path: string, out: StringLeaf[], depth: number): void {
  if (typeof value === 'string') {
    countString(w, path);
    out.push({ path, value });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  enter(w, path, depth);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collect(w, value[i], `${path}[${i}]`, out, depth + 1);
    return;
  }
  const obj = value as Record<string, unknown>;
  let i = 0;
  for (const key of Object.keys(obj)) {
    const child = childPath(path, key, i);
    countString(w, child);
    out.push({ path: keyPath(path, i), value: key, kind: 'key' });
    const v = obj[key];
    if (typeof v === 'string' && isPayload(obj, key)) {
      const text = base64Text(v);
      if (text !== undefined) {
        countString(w, child);
        out.push({ path: child, value: text, kind: 'base64' });
      }
    } else collect(w, v, child, out, depth + 1);
    i++;
  }
}

/**
 * Every string of a JSON value, depth-first, with readable paths: values, keys (each key is a leaf of its own, at
 * `<object>{key#i}`), and decoded text payloads.
 * Throws BudgetExceededError past the budget.
 */
export function stringLeaves(
  value: unknown,
  path: string,
  out: StringLeaf[] = [],
  budget: Readonly<WalkBudget> = DEFAULT_WALK_BUDGET,
): StringLeaf[] {
  collect({ budget, strings: 0, nodes: 0 }, value, path, out, 0);
  return out;
}

/**
 * A copy of `value` with every string that stringLeaves() reads passed through `fn(path, string)`: values, keys
 * (a changed key renames its property; a clash with another key gets a numbered suffix), decoded payloads
 * (re-encoded as base64 when changed). Same budget as stringLeaves.
 */
export function mapStrings(
  value: unknown,
  path: string,
  fn: (path: string, s: string) => string,
  budget: Readonly<WalkBudget> = DEFAULT_WALK_BUDGET,
): unknown {
  return map({ budget, strings: 0, nodes: 0 }, value, path, fn, 0);
}

function map(w: Walk, value: unknown, path: string, fn: (path: string, s: string) => string, depth: number): unknown {
  if (typeof value === 'string') {
    countString(w, path);
    return fn(path, value);
  }
  if (value === null || typeof value !== 'object') return value;
  enter(w, path, depth);
  if (Array.isArray(value)) return value.map((v, i) => map(w, v, `${path}[${i}]`, fn, depth + 1));
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const key of Object.keys(obj)) {
    const child = childPath(path, key, i);
    countString(w, child);
    const renamed = fn(keyPath(path, i), key);
    let name = renamed;
    for (let n = 2; renamed !== key && Object.hasOwn(out, name); n++) name = `${renamed}_${n}`;
    const v = obj[key];
    if (typeof v === 'string' && isPayload(obj, key)) {
      const text = base64Text(v);
      if (text === undefined) out[name] = v;
      else {
        countString(w, child);
        const mapped = fn(child, text);
        out[name] = mapped === text ? v : Buffer.from(mapped, 'utf8').toString('base64');
      }
    } else out[name] = map(w, v, child, fn, depth + 1);
    i++;
  }
  return out;
}
