/**
 * A static check for configured regexes (argument `pattern` / `notPattern`, issue 4), run once when a policy is
 * loaded: it rejects the shapes that make a backtracking engine take exponential time, so that a pattern from a
 * config file can never stall the gateway on a hostile argument.
 *
 * Rejected shapes (each with the offending part of the source in the reason):
 * - a backreference (`(a+)\1`): matching with one is NP-hard in general;
 * - a repeated group that contains another variable repetition, i.e. star height > 1 (`(a+)+`, `(\w+\s?)*`,
 *   `(a{1,3})+`), unless the group has exactly one inner repetition and a mandatory character that the inner
 *   repetition cannot match (`([a-z0-9]+\.)+`, `(\.\w+)+`, `(\d{1,3}\.){3}`): then each iteration ends in a
 *   fixed place and there is only one way to split the input;
 * - alternatives that can begin with the same character under a repetition (`(a|ab)*`, `(\w|\d)+`, `(.|\s)*`).
 *
 * Polynomial blow-up from adjacent overlapping repetitions (`\d+\d+x`, `.*.*=`) is not rejected: bound the input
 * with `maxLength` instead. The flags `g` and `y` are refused (a stateful `lastIndex` makes `test()` answer
 * differently for the same input), and `v` is refused because this analyser does not parse its class syntax.
 */

type Range = readonly [number, number];

type Node =
  | { type: 'chars'; set: Range[] }
  | { type: 'zero' } // anchors: they consume nothing
  | { type: 'look'; body: Node } // lookarounds consume nothing, but their own repetitions are analysed
  | { type: 'backref'; start: number; end: number }
  | { type: 'group'; alts: Node[][]; start: number; end: number }
  | { type: 'repeat'; body: Node; min: number; max: number; start: number; end: number };

export type RegexSafety = { safe: true } | { safe: false; reason: string };

const MAX_CODE_POINT = 0x10ffff;
const ALL: Range[] = [[0, MAX_CODE_POINT]];
const DIGIT: Range[] = [[0x30, 0x39]];
const WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const SPACE: Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const LINE_TERMINATORS: Range[] = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
];
/** Above this count of bounded alternatives per iteration, a bounded nesting is treated as catastrophic. */
const MAX_BOUNDED_PATHS = 1000;

function complement(set: readonly Range[]): Range[] {
  const sorted = [...set].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function intersects(a: readonly Range[], b: readonly Range[]): boolean {
  return a.some(([alo, ahi]) => b.some(([blo, bhi]) => alo <= bhi && blo <= ahi));
}

/** Adds the other case of every character in small ranges (`i` flag); wide ranges overlap nearly anything anyway. */
function foldCase(set: readonly Range[]): Range[] {
  const out: Range[] = [...set];
  for (const [lo, hi] of set) {
    if (hi - lo > 512) continue;
    for (let c = lo; c <= hi; c++) {
      const ch = String.fromCodePoint(c);
      for (const other of [ch.toLowerCase(), ch.toUpperCase()]) {
        const cp = other.codePointAt(0);
        if (cp !== undefined && [...other].length === 1 && cp !== c) out.push([cp, cp]);
      }
    }
  }
  return out;
}

class Parser {
  private pos = 0;
  private readonly unicode: boolean;
  private readonly dotAll: boolean;
  private readonly ignoreCase: boolean;
  private readonly named: boolean;

  constructor(
    private readonly src: string,
    flags: string,
  ) {
    this.unicode = flags.includes('u');
    this.dotAll = flags.includes('s');
    this.ignoreCase = flags.includes('i');
    this.named = this.unicode || src.includes('(?<'); /* a named group makes \k a backreference */
  }

  parse(): Node {
    const start = this.pos;
    const alts = this.alternatives();
    return { type: 'group', alts, start, end: this.pos };
  }

  private peek(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  private alternatives(): Node[][] {
    const alts: Node[][] = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      alts.push(this.sequence());
    }
    return alts;
  }

  private sequence(): Node[] {
    const out: Node[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') out.push(this.term());
    return out;
  }

  private term(): Node {
    const start = this.pos;
    const atom = this.atom();
    const q = this.quantifier();
    if (!q) return atom;
    if (this.peek() === '?') this.pos++; // lazy: the worst case (a failing match) explores the same paths
    return { type: 'repeat', body: atom, min: q.min, max: q.max, start, end: this.pos };
  }

  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : Infinity };
    }
    if (c !== '{') return undefined;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
    if (!m) return undefined; // Annex B: a lone `{` is a literal (the atom parser takes it)
    this.pos += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Infinity : Number(m[3]);
    return { min, max };
  }

  private atom(): Node {
    const start = this.pos;
    const c = this.peek();
    this.pos++;
    switch (c) {
      case '^':
      case '$':
        return { type: 'zero' };
      case '.':
        return { type: 'chars', set: this.dotAll ? ALL : complement(LINE_TERMINATORS) };
      case '[':
        return { type: 'chars', set: this.fold(this.charClass()) };
      case '(':
        return this.group(start);
      case '\\':
        return this.escape(start);
      default: {
        this.pos--;
        const cp = this.src.codePointAt(this.pos) ?? 0;
        this.pos += cp > 0xffff ? 2 : 1;
        return { type: 'chars', set: this.fold([[cp, cp]]) };
      }
    }
  }

  private fold(set: Range[]): Range[] {
    return this.ignoreCase ? foldCase(set) : set;
  }

  private group(start: number): Node {
    let zeroWidth = false;
    if (this.peek() === '?') {
      const rest = this.src.slice(this.pos + 1, this.pos + 3);
      if (rest.startsWith(':')) this.pos += 2;
      else if (rest.startsWith('=') || rest.startsWith('!')) {
        this.pos += 2;
        zeroWidth = true;
      } else if (rest === '<=' || rest === '<!') {
        this.pos += 3;
        zeroWidth = true;
      } else {
        // (?<name> ... )
        this.pos = this.src.indexOf('>', this.pos) + 1;
      }
    }
    const alts = this.alternatives();
    this.pos++; // ')'
    const node: Node = { type: 'group', alts, start, end: this.pos };
    return zeroWidth ? { type: 'look', body: node } : node;
  }

  private escape(start: number): Node {
    const c = this.peek();
    if (c === 'b' || c === 'B') {
      this.pos++;
      return { type: 'zero' };
    }
    if (/[1-9]/.test(c)) {
      while (/\d/.test(this.peek())) this.pos++;
      return { type: 'backref', start, end: this.pos };
    }
    if (c === 'k' && this.named && this.peek(1) === '<') {
      this.pos = this.src.indexOf('>', this.pos) + 1;
      return { type: 'backref', start, end: this.pos };
    }
    return { type: 'chars', set: this.fold(this.escapeSet()) };
  }

  /** The set of one escape after `\` (outside or inside a class); `\b` inside a class is backspace. */
  private escapeSet(inClass = false): Range[] {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE);
      case 'p':
      case 'P':
        if (!this.unicode) return [[c.charCodeAt(0), c.charCodeAt(0)]];
        this.pos = this.src.indexOf('}', this.pos) + 1;
        return ALL; // a property class: assume it overlaps everything
      case 'b':
        return inClass ? [[8, 8]] : ALL;
      case 't':
        return [[9, 9]];
      case 'n':
        return [[10, 10]];
      case 'v':
        return [[11, 11]];
      case 'f':
        return [[12, 12]];
      case 'r':
        return [[13, 13]];
      case '0':
        return [[0, 0]];
      case 'c': {
        const letter = this.peek();
        if (/[A-Za-z]/.test(letter)) {
          this.pos++;
          const cp = letter.charCodeAt(0) % 32;
          return [[cp, cp]];
        }
        return [[0x5c, 0x5c]];
      }
      case 'x':
      case 'u': {
        const braced = c === 'u' && this.peek() === '{' ? /^\{([0-9a-fA-F]+)\}/.exec(this.src.slice(this.pos)) : null;
        const plain = (c === 'x' ? /^[0-9a-fA-F]{2}/ : /^[0-9a-fA-F]{4}/).exec(this.src.slice(this.pos));
        const m = braced ?? plain;
        if (!m) return [[c.charCodeAt(0), c.charCodeAt(0)]];
        this.pos += m[0].length;
        const cp = parseInt(m[1] ?? m[0], 16);
        return [[cp, cp]];
      }
      default: {
        const cp = c.codePointAt(0) ?? 0;
        if (cp > 0xffff) this.pos++;
        return [[cp, cp]];
      }
    }
  }

  private charClass(): Range[] {
    const negate = this.peek() === '^';
    if (negate) this.pos++;
    const set: Range[] = [];
    while (this.pos < this.src.length && this.peek() !== ']') {
      const lo = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.pos + 1 < this.src.length) {
        this.pos++;
        const hi = this.classAtom();
        const a = lo[0];
        const b = hi[0];
        // `[\d-x]` is a union in Annex B, not a range
        if (lo.length === 1 && hi.length === 1 && a && b && a[0] === a[1] && b[0] === b[1]) set.push([a[0], b[0]]);
        else set.push(...lo, [0x2d, 0x2d], ...hi);
      } else set.push(...lo);
    }
    this.pos++; // ']'
    return negate ? complement(set) : set;
  }

  private classAtom(): Range[] {
    if (this.peek() === '\\') {
      this.pos++;
      return this.escapeSet(true);
    }
    const cp = this.src.codePointAt(this.pos) ?? 0;
    this.pos += cp > 0xffff ? 2 : 1;
    return [[cp, cp]];
  }
}

interface First {
  set: Range[];
  nullable: boolean;
}

function first(node: Node): First {
  switch (node.type) {
    case 'chars':
      return { set: node.set, nullable: false };
    case 'zero':
    case 'look':
      return { set: [], nullable: true };
    case 'backref':
      return { set: ALL, nullable: true };
    case 'group': {
      const parts = node.alts.map(firstOfSequence);
      return { set: parts.flatMap((p) => p.set), nullable: parts.some((p) => p.nullable) };
    }
    case 'repeat': {
      const body = first(node.body);
      return { set: body.set, nullable: node.min === 0 || body.nullable };
    }
  }
}

function firstOfSequence(seq: readonly Node[]): First {
  const set: Range[] = [];
  for (const node of seq) {
    const f = first(node);
    set.push(...f.set);
    if (!f.nullable) return { set, nullable: false };
  }
  return { set, nullable: true };
}

function* descendants(node: Node): Generator<Node> {
  yield node;
  if (node.type === 'group') for (const alt of node.alts) for (const child of alt) yield* descendants(child);
  if (node.type === 'repeat' || node.type === 'look') yield* descendants(node.body);
}

/** A repetition that can match a varying number of times: a choice point. */
function isVariable(node: Node): node is Extract<Node, { type: 'repeat' }> {
  return node.type === 'repeat' && node.max > node.min && node.max > 1 && first(node.body).set.length > 0;
}

/** The top-level sequence of a repeated body, through single-alternative groups. */
function bodySequence(node: Node): Node[] {
  if (node.type === 'group' && node.alts.length === 1) {
    return node.alts[0]!.flatMap((n) => (n.type === 'group' && n.alts.length === 1 ? bodySequence(n) : [n]));
  }
  return [node];
}

/** One inner repetition plus a mandatory character it cannot match: every iteration splits in exactly one way. */
function hasSeparator(outer: Extract<Node, { type: 'repeat' }>, inner: Extract<Node, { type: 'repeat' }>): boolean {
  const innerSet = first(inner.body).set;
  return bodySequence(outer.body).some((n) => n.type === 'chars' && !intersects(n.set, innerSet));
}

function catastrophicNesting(outer: Extract<Node, { type: 'repeat' }>, inner: Extract<Node, { type: 'repeat' }>) {
  if (outer.max === Infinity) return true; // (a+)+ exponential; (a{1,3})+ Fibonacci-many splits
  if (inner.max === Infinity) return outer.max > 2; // (a+){3} : O(n^3) and worse
  return Math.pow(inner.max - inner.min + 1, outer.max) > MAX_BOUNDED_PATHS;
}

function snippet(src: string, node: { start: number; end: number }): string {
  const text = src.slice(node.start, node.end);
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}

function analyse(src: string, root: Node): string | undefined {
  for (const node of descendants(root)) {
    if (node.type === 'backref') {
      return `it uses a backreference ${snippet(src, node)}, which can take exponential time`;
    }
    if (node.type !== 'repeat' || node.max <= 1) continue;
    const inner = [...descendants(node.body)].filter(isVariable);
    for (const rep of inner) {
      if (!catastrophicNesting(node, rep)) continue;
      if (inner.length === 1 && hasSeparator(node, rep)) continue;
      return `it nests the repetition ${snippet(src, rep)} inside the repetition ${snippet(src, node)} (star height 2), which can backtrack catastrophically`;
    }
    for (const alt of descendants(node.body)) {
      if (alt.type !== 'group' || alt.alts.length < 2) continue;
      const firsts = alt.alts.map(firstOfSequence).map((f) => f.set);
      for (let i = 0; i < firsts.length; i++) {
        for (let j = i + 1; j < firsts.length; j++) {
          if (intersects(firsts[i]!, firsts[j]!)) {
            return `its alternatives in ${snippet(src, alt)} can start with the same character inside the repetition ${snippet(src, node)}, which can backtrack catastrophically`;
          }
        }
      }
    }
  }
  return undefined;
}

/** Whether a regex source (with flags) is valid and free of the catastrophic shapes above. */
export function checkRegexSafety(source: string, flags = ''): RegexSafety {
  if (/[gy]/.test(flags)) return { safe: false, reason: `flag "g" or "y" makes test() stateful; drop it` };
  if (flags.includes('v')) return { safe: false, reason: `flag "v" is not supported; use "u"` };
  try {
    new RegExp(source, flags);
  } catch (error) {
    return { safe: false, reason: (error as Error).message };
  }
  const problem = analyse(source, new Parser(source, flags).parse());
  return problem ? { safe: false, reason: problem } : { safe: true };
}

/** Compiles a configured regex, or throws an Error that says why the pattern is refused. */
export function compileSafeRegex(source: string, flags = ''): RegExp {
  const safety = checkRegexSafety(source, flags);
  if (!safety.safe) throw new Error(`pattern /${source}/${flags} is refused: ${safety.reason}`);
  return new RegExp(source, flags);
}
