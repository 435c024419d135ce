/**
 * File operands of an allowed program stay inside the server's roots (issue 15, class 7). Parameter-check phase;
 * synchronous (lstat and readlink only, through the path check); fail mode closed: an operand that cannot be
 * resolved is outside. Only when the server has roots: without them nothing says where a command may look, and the
 * command check keeps its older behaviour.
 *
 * What is checked (words as command-argv.ts reads them): the value of every option known to take a path (`-C`,
 * `--git-dir`, `-f`, `-o`, `--output`, `--opt=value` forms too), and every operand that looks like a path: it has a
 * `/`, starts with `.` or `~`, or names something that exists under the cwd (a symlink called `passwd` there).
 * A pattern, a script or a message is text and is not checked. URLs (`https://…`) are not paths, `file:` URLs are.
 * `/dev/null` and the standard streams are harmless and pass.
 *
 * An unquoted glob is what the shell will expand, and `*` may expand to a symlink that points out (`grep -r x *`
 * reads through it): with roots each glob is expanded here the way the shell does (segment by segment, bounded to
 * MAX_GLOB_MATCHES; more is a deny) and every match is checked; a glob that matches nothing is checked as written.
 *
 * A program told to follow symbolic links while it recurses (`grep -R`, `find -L`) can walk out of the roots
 * through any link below an operand, which no check of the operand sees: with roots those options are refused
 * (FOLLOWS_LINKS). Plain recursion (`grep -r`, `find .`) does not follow links found on the way and passes.
 *
 * Each candidate goes through the same path check as a `kind: path` argument (path.ts): resolved like the kernel
 * does, through every symlink, against the server's cwd, with the encoded, Unicode and `~` tricks rejected.
 */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Word } from './command-argv.js';
import { createPathCheck } from './path.js';
import { show } from './show.js';
import type { ArgContext, ArgViolation } from './types.js';

const HARMLESS = new Set(['/dev/null', '/dev/stdin', '/dev/stdout', '/dev/stderr']);
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

const withinRoots = createPathCheck();

const GLOB_CHAR = /[*?[]/;
const BRACKET = /\[[^\]/]+\]/;
export const MAX_GLOB_MATCHES = 256;

const escapeRegExp = (c: string) => c.replace(/[\\^$.|+()[\]{}*?]/g, '\\$&');

/** One glob segment (`*.ts`, `a?[bc]`) as an anchored RegExp; an unreadable class matches anything (checks more). */
function segmentPattern(segment: string): RegExp {
  let body = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) body += escapeRegExp(segment[++i]!);
    else if (c === '*') body += '[^/]*';
    else if (c === '?') body += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end === -1) {
        body += '\\[';
        continue;
      }
      const inner = segment.slice(i + 1, end);
      body += `[${inner.startsWith('!') ? '^' + inner.slice(1) : inner}]`;
      i = end;
    } else body += escapeRegExp(c);
  }
  try {
    return new RegExp(`^${body}$`, 's');
  } catch {
    return /^[\s\S]*$/;
  }
}

/** What the shell expands `pattern` to from `cwd` (dot files included: checking more is the safe side). */
export function expandGlob(pattern: string, cwd: string): string[] | 'too-many' {
  let found = [pattern.startsWith('/') ? '/' : ''];
  for (const segment of pattern.split('/').filter((s) => s !== '')) {
    const join = (base: string, name: string) => (base === '' ? name : base === '/' ? `/${name}` : `${base}/${name}`);
    if (!GLOB_CHAR.test(segment)) {
      found = found.map((base) => join(base, segment));
      continue;
    }
    const re = segmentPattern(segment);
    const next: string[] = [];
    for (const base of found) {
      let names: string[];
      try {
        names = readdirSync(path.resolve(cwd, base === '' ? '.' : base));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!re.test(name)) continue;
        next.push(join(base, name));
        if (next.length > MAX_GLOB_MATCHES) return 'too-many';
      }
    }
    found = next;
  }
  return found;
}

const GREP_FOLLOWS = ['-R', '--dereference-recursive'];
/** Options that follow symbolic links while recursing, per program basename. */
export const FOLLOWS_LINKS: Readonly<Record<string, readonly string[]>> = {
  find: ['-L', '-follow'],
  grep: GREP_FOLLOWS,
  egrep: GREP_FOLLOWS,
  fgrep: GREP_FOLLOWS,
  rg: ['-L', '--follow'],
  tar: ['-h', '--dereference'],
  rsync: ['-L', '--copy-links', '-K', '--keep-dirlinks', '--copy-dirlinks'],
  cp: ['-L', '--dereference'],
  du: ['-L', '--dereference'],
  ls: ['-L', '--dereference'],
};

/** Options that extract archive members to the absolute or `..` paths stored in them. */
export const ABSOLUTE_NAMES: Readonly<Record<string, readonly string[]>> = {
  tar: ['-P', '--absolute-names'],
  unzip: ['-:'],
};

/** An operand is read as a path when it looks like one, or when something by that name exists under the cwd. */
export function looksLikePath(word: string, cwd: string): boolean {
  if (word.includes('/') || word.startsWith('.') || word.startsWith('~')) return true;
  try {
    lstatSync(path.resolve(cwd, word));
    return true;
  } catch {
    return false;
  }
}

/**
 * The first path operand or path option value of `base` that leaves the roots, or null. `globs` are the words the
 * shell will expand (unquoted `*`, `?`, `[`).
 */
export function findEscape(
  base: string,
  words: readonly Word[],
  ctx: ArgContext,
  globs: ReadonlySet<string> = new Set(),
): ArgViolation | null {
  const follows = FOLLOWS_LINKS[base] ?? [];
  const absolute = ABSOLUTE_NAMES[base] ?? [];
  for (const w of words) {
    if (w.role === 'option' && w.option !== undefined && follows.includes(w.option)) {
      return {
        ruleId: 'args.command.path-outside-roots',
        reason: `${base} option ${w.option} is denied: it follows symbolic links while it recurses, which can lead outside the roots`,
      };
    }
    if (w.role === 'option' && w.option !== undefined && absolute.includes(w.option)) {
      return {
        ruleId: 'args.command.path-outside-roots',
        reason: `${base} option ${w.option} is denied: it writes to the absolute or ".." paths stored in the archive`,
      };
    }
    if (w.role !== 'path' && w.role !== 'operand') continue;
    const text = w.text;
    if (text === '' || text === '-' || HARMLESS.has(text)) continue;
    if (URL_SCHEME.test(text) && !/^file:/i.test(text)) continue;
    // shell-quote reports `*` and `?` as globs but not `[…]`: a bracket is expanded quoted or not (checks more).
    if (globs.has(text) || BRACKET.test(text)) {
      const matches = expandGlob(text, ctx.cwd);
      if (matches === 'too-many') {
        return {
          ruleId: 'args.command.path-outside-roots',
          reason: `${base} glob ${show(text)} matches more than ${MAX_GLOB_MATCHES} paths, too many to check`,
        };
      }
      for (const match of matches) {
        const problem = withinRoots.check(match, ctx);
        if (problem) {
          return {
            ruleId: 'args.command.path-outside-roots',
            reason: `${base} glob ${show(text)} leaves the roots: ${problem.reason}`,
          };
        }
      }
      if (matches.length > 0) continue;
    }
    if (w.role === 'operand' && !looksLikePath(text, ctx.cwd)) continue;
    const problem = withinRoots.check(text, ctx);
    if (problem) {
      const where = w.option === undefined ? 'operand' : w.option.startsWith('-') ? `option ${w.option}` : w.option;
      return {
        ruleId: 'args.command.path-outside-roots',
        reason: `${base} ${where} leaves the roots: ${problem.reason}`,
      };
    }
  }
  return null;
}
