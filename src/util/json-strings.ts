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

/**
 * Where a string or a container sits, as the step from its container; the readable path is built only when asked
 * for (a finding, a budget message). A megabyte of rows holds tens of thousands of strings, and building each one's
 * path up front cost more than reading them (issue 21).
 */
class Place {
  private cached: string | undefined;
  constructor(
    /** The container, or undefined at the root (then `key` is the root path). */
    private readonly parent: Place | undefined,
    /** 0: root; 1: array element `index`; 2: the value of property `key`, the `index`-th key; 3: that key itself. */
    private readonly step: 0 | 1 | 2 | 3,
    private readonly key: string,
    private readonly index: number,
  ) {}

  get path(): string {
    if (this.cached !== undefined) return this.cached;
    const base = this.parent?.path ?? '';
    const p =
      this.step === 0
        ? this.key
        : this.step === 1
          ? `${base}[${this.index}]`
          : this.step === 2
            ? childPath(base, this.key, this.index)
            : keyPath(base, this.index);
    return (this.cached = p);
  }
}

/** A leaf as stringLeaves() returns it: a place with its string. */
class Leaf extends Place implements StringLeaf {
  constructor(
    parent: Place,
    step: 1 | 2 | 3,
    key: string,
    index: number,
    readonly value: string,
    readonly kind?: 'key' | 'base64',
  ) {
    super(parent, step, key, index);
  }
}

/** Counts one more string: false past the budget (the caller throws tooMany() with the string's place). */
function countString(w: Walk): boolean {
  return ++w.strings <= w.budget.maxStrings;
}

function tooMany(w: Walk, at: Place): never {
  throw new BudgetExceededError(
    'strings',
    at.path,
    `the message carries more than ${w.budget.maxStrings} strings (limits.maxStrings)`,
  );
}

function enter(w: Walk, at: Place, depth: number): void {
  if (depth >= w.budget.maxDepth)
    throw new BudgetExceededError(
      'depth',
      at.path,
      `the message nests deeper than ${w.budget.maxDepth} levels (limits.maxDepth)`,
    );
  // The clock is read every 1,024 nodes: often enough to stop a slow walk, rarely enough to cost nothing.
  if ((++w.nodes & 1023) === 0) checkDeadline(w.budget, at.path, 'reading the message');
}

/** The strings and containers under `value`, which sits at `at` (its own string, if it is one, is the caller's). */
function collect(w: Walk, value: object, at: Place, out: StringLeaf[], depth: number): void {
  enter(w, at, depth);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'string') {
        if (!countString(w)) tooMany(w, new Place(at, 1, '', i));
        out.push(new Leaf(at, 1, '', i, v));
      } else if (v !== null && typeof v === 'object') collect(w, v, new Place(at, 1, '', i), out, depth + 1);
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  let i = 0;
  for (const key of Object.keys(obj)) {
    if (!countString(w)) tooMany(w, new Place(at, 2, key, i));
    out.push(new Leaf(at, 3, key, i, key, 'key'));
    const v = obj[key];
    if (typeof v === 'string') {
      const text = isPayload(obj, key) ? base64Text(v) : v;
      if (text !== undefined) {
        if (!countString(w)) tooMany(w, new Place(at, 2, key, i));
        out.push(text === v ? new Leaf(at, 2, key, i, v) : new Leaf(at, 2, key, i, text, 'base64'));
      }
    } else if (v !== null && typeof v === 'object') collect(w, v, new Place(at, 2, key, i), out, depth + 1);
    i++;
  }
}

/**
 * Every string of a JSON value, depth-first, with readable paths: values, keys (each key is a leaf of its own, at
 * `<object>{key#i}`), and decoded text payloads. A leaf's path is built when it is read.
 * Throws BudgetExceededError past the budget.
 */
export function stringLeaves(
  value: unknown,
  path: string,
  out: StringLeaf[] = [],
  budget: Readonly<WalkBudget> = DEFAULT_WALK_BUDGET,
): StringLeaf[] {
  const root = new Place(undefined, 0, path, 0);
  const w: Walk = { budget, strings: 0, nodes: 0 };
  if (typeof value === 'string') {
    if (!countString(w)) tooMany(w, root);
    out.push({ path, value });
  } else if (value !== null && typeof value === 'object') collect(w, value, root, out, 0);
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
  return mapLeaves(value, path, (s, _i, at) => fn(at.path, s), budget);
}

/**
 * mapStrings() for a caller that does not need every path: `fn(string, index, path)` gets the string's index in
 * the order of stringLeaves() (the same walk, so `index` addresses the same leaf) and its place, whose `path` is
 * built when read.
 */
export function mapLeaves(
  value: unknown,
  path: string,
  fn: MapFn,
  budget: Readonly<WalkBudget> = DEFAULT_WALK_BUDGET,
): unknown {
  return map({ budget, strings: 0, nodes: 0 }, value, new Place(undefined, 0, path, 0), fn, 0);
}

export type MapFn = (s: string, index: number, at: { readonly path: string }) => string;

function map(w: Walk, value: unknown, at: Place, fn: MapFn, depth: number): unknown {
  if (typeof value === 'string') {
    if (!countString(w)) tooMany(w, at);
    return fn(value, w.strings - 1, at);
  }
  if (value === null || typeof value !== 'object') return value;
  enter(w, at, depth);
  if (Array.isArray(value)) return value.map((v, i) => map(w, v, new Place(at, 1, '', i), fn, depth + 1));
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const key of Object.keys(obj)) {
    const child = new Place(at, 2, key, i);
    if (!countString(w)) tooMany(w, child);
    const renamed = fn(key, w.strings - 1, new Place(at, 3, key, i));
    let name = renamed;
    for (let n = 2; renamed !== key && Object.hasOwn(out, name); n++) name = `${renamed}_${n}`;
    const v = obj[key];
    if (typeof v === 'string' && isPayload(obj, key)) {
      const text = base64Text(v);
      if (text === undefined) out[name] = v;
      else {
        if (!countString(w)) tooMany(w, child);
        const mapped = fn(text, w.strings - 1, child);
        out[name] = mapped === text ? v : Buffer.from(mapped, 'utf8').toString('base64');
      }
    } else out[name] = map(w, v, child, fn, depth + 1);
    i++;
  }
  return out;
}
