/**
 * `kind: path` (issue 4): a filesystem path argument must resolve inside `within` (default: the server's roots,
 * else its cwd). Parameter-check phase; synchronous (lstat and readlink only); fail mode closed: a path that cannot
 * be resolved (a symlink loop, a directory we may not read) is a violation.
 *
 * The path is resolved the way the kernel will: relative to the server's cwd, segment by segment, following every
 * symbolic link (dangling ones too: writing through a dangling link creates its target), with `..` applied to the
 * real directory reached so far, not to the text (so `link/..` goes where the link points). Once a segment does not
 * exist, the rest is resolved lexically, which is exact because nothing below a missing directory can be a link.
 *
 * Because the upstream server may read the string differently than a POSIX kernel does, the same containment check
 * also runs on the string with backslashes read as separators and on each round of percent-decoding (`..%2f`,
 * `%2e%2e/`, `%252e%252e%252f`), and `file:` URLs are converted to paths first. Rejected outright, wherever they
 * appear: NUL and other control characters; characters that NFKC folds into `.` `/` `\` `:` `~` `%` `$` (fullwidth
 * `．．／`); Windows device names (CON, NUL, COM1, LPT1, with an extension, any case) and the `\\.\`, `\\?\` and
 * `\??\` namespaces; drive letters and UNC shares; a leading `~`; `$VAR`, `${VAR}`, `$(…)` and `%VAR%`.
 *
 * Credential locations (issue 15, class 8; credential-path.ts) are refused with `args.path.credential` even inside
 * the allowed directories: every reading of the argument is matched as written, resolved lexically and resolved
 * through symlinks, so neither a link to `~/.ssh/id_rsa` nor a roots entry that covers the home folder reaches one.
 * A server's `credentialPaths` setting ('allow', or a list of locations) lifts this for that server only.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentialLocation } from './credential-path.js';
import { clip, codePoint, show, typeName } from './show.js';
import type { ArgContext, ArgViolation, CredentialPaths, PathRuleId, SyncArgCheck } from './types.js';

export interface PathOptions {
  /**
   * Directories the path must resolve inside: absolute, or relative to the server's cwd. They are resolved through
   * symlinks on every check. Default: the server's MCP roots, or its cwd when it has none.
   */
  within?: readonly string[];
}

const MAX_SYMLINKS = 40;
const MAX_DECODE_ROUNDS = 4;
const SHOWN_BASES = 3;

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i;
const WINDOWS_NAMESPACE = /^([\\/]{2}[.?][\\/]|\\\?\?\\)/;
const DRIVE = /^[A-Za-z]:/;
const UNC = /^\\\\[^\\]/;
const SHELL_VARIABLE = /\$[{(A-Za-z_]/;
const WINDOWS_VARIABLE = /%([A-Za-z_][\w()]*)(?=%)/g;
const PERCENT_ENCODED = /%[0-9A-Fa-f]{2}/;
const PERCENT_RUN = /(%[0-9A-Fa-f]{2})+/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const SPECIAL = /[./\\:~%$]/;

function violation(ruleId: PathRuleId, reason: string): ArgViolation {
  return { ruleId, reason };
}

/** The checks that need no filesystem; `how` says which reading of the argument is being checked. */
function lexicalProblem(text: string, how: string): ArgViolation | null {
  const shown = `path ${show(text)}${how}`;
  if (text.includes('\0')) return violation('args.path.nul-byte', `${shown} contains a NUL byte`);
  const control = CONTROL.exec(text);
  if (control) {
    return violation('args.path.control-char', `${shown} contains the control character ${codePoint(control[0])}`);
  }
  for (const ch of text) {
    const folded = ch.normalize('NFKC');
    if (folded !== ch && SPECIAL.test(folded)) {
      return violation(
        'args.path.unicode-lookalike',
        `${shown} contains ${codePoint(ch)}, which Unicode normalisation (NFKC) turns into ${JSON.stringify(folded)}`,
      );
    }
  }
  if (WINDOWS_NAMESPACE.test(text)) {
    return violation(
      'args.path.windows-device',
      `${shown} uses a Windows device namespace prefix (\\\\.\\ or \\\\?\\)`,
    );
  }
  if (DRIVE.test(text)) return violation('args.path.windows-path', `${shown} is a Windows drive path`);
  if (UNC.test(text)) return violation('args.path.windows-path', `${shown} is a Windows UNC share path`);
  for (const segment of text.split(/[\\/]/)) {
    const stem = segment
      .replace(/[. ]+$/, '')
      .split(/[.:]/)[0]!
      .trimEnd();
    if (WINDOWS_DEVICE.test(stem)) {
      return violation('args.path.windows-device', `${shown} names the Windows device ${stem.toUpperCase()}`);
    }
  }
  if (text.startsWith('~')) {
    return violation('args.path.home-expansion', `${shown} starts with "~", which a shell expands to a home directory`);
  }
  if (SHELL_VARIABLE.test(text)) {
    return violation('args.path.variable-expansion', `${shown} contains a shell variable or substitution ($…)`);
  }
  for (const m of text.matchAll(WINDOWS_VARIABLE)) {
    if (!/^[0-9A-Fa-f]{2}$/.test(m[1]!)) {
      return violation('args.path.variable-expansion', `${shown} contains the Windows variable %${m[1]}%`);
    }
  }
  return null;
}

/** Decodes every %XX run as UTF-8 bytes (an invalid sequence becomes U+FFFD, never a `.` or `/`). */
function percentDecode(text: string): string {
  return text.replace(PERCENT_RUN, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));
}

type Resolved = { path: string } | { error: string };

/**
 * Resolves `input` from the real directory `from` as the kernel would: every existing symlink is followed (its
 * target spliced into the remaining segments), and `..` goes to the parent of the real directory reached so far.
 */
function resolvePhysical(from: string, input: string): Resolved {
  let current = input.startsWith('/') ? '/' : from;
  const queue = input.split('/');
  let links = 0;
  let missing = false;
  while (queue.length > 0) {
    const segment = queue.shift()!;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      current = path.posix.dirname(current);
      continue;
    }
    const next = current === '/' ? `/${segment}` : `${current}/${segment}`;
    if (missing) {
      current = next;
      continue;
    }
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { error: `${code ?? 'error'} at ${next}` };
      missing = true;
      current = next;
      continue;
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++links > MAX_SYMLINKS) return { error: `more than ${MAX_SYMLINKS} symbolic links (a loop?) at ${next}` };
    const target = readlinkSync(next);
    if (target.startsWith('/')) current = '/';
    queue.unshift(...target.split('/'));
  }
  return { path: current };
}

export function isInside(p: string, base: string): boolean {
  return p === base || p.startsWith(base === '/' ? '/' : `${base}/`);
}

function rootToPath(root: string): string {
  return /^file:/i.test(root) ? fileURLToPath(root) : root;
}

interface Variant {
  text: string;
  /** How this reading differs from the argument, for the reason: '' or ' once percent-decoded', … */
  how: string;
  encoded: boolean;
}

function variantsOf(text: string, how: string): Variant[] | ArgViolation {
  const out: Variant[] = [];
  const add = (t: string, h: string, encoded: boolean) => {
    out.push({ text: t, how: h, encoded });
    if (t.includes('\\')) {
      out.push({ text: t.replaceAll('\\', '/'), how: `${h} with backslashes read as separators`, encoded });
    }
  };
  add(text, how, false);
  let current = text;
  for (let round = 1; PERCENT_ENCODED.test(current); round++) {
    if (round > MAX_DECODE_ROUNDS) {
      return violation(
        'args.path.encoded-traversal',
        `path ${show(text)}${how} is still percent-encoded after ${MAX_DECODE_ROUNDS} rounds of decoding`,
      );
    }
    const next = percentDecode(current);
    if (next === current) break;
    add(next, `${how} ${round === 1 ? 'once percent-decoded' : `after ${round} rounds of percent-decoding`}`, true);
    current = next;
  }
  return out;
}

function fromFileUrl(value: string): { path: string } | ArgViolation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return violation('args.path.file-url', `path ${show(value)} starts with "file:" but is not a valid file URL`);
  }
  if (url.hostname !== '' && url.hostname !== 'localhost') {
    return violation('args.path.file-url', `file URL ${show(value)} names the remote host ${url.hostname}`);
  }
  try {
    return { path: fileURLToPath(url, { windows: false }) };
  } catch {
    return violation('args.path.file-url', `file URL ${show(value)} encodes a "/" inside a path segment`);
  }
}

/**
 * Why a path is a credential location that this server may not reach, or null. `readings` are the argument as
 * written, resolved lexically and resolved through symlinks; an allow-list entry is matched against the real path.
 */
function credentialProblem(readings: readonly string[], real: string, cwd: string, ctx: ArgContext): string | null {
  const setting: CredentialPaths = ctx.credentialPaths ?? 'deny';
  if (setting === 'allow') return null;
  for (const reading of readings) {
    const what = credentialLocation(reading);
    if (what === undefined) continue;
    if (setting !== 'deny' && credentialAllowed(real, cwd, setting)) return null;
    return `names a credential location: ${what}${reading === real && reading !== readings[0] ? ` (it resolves to ${clip(real)})` : ''}; the server's credentialPaths setting does not allow it`;
  }
  return null;
}

/** Whether the real path is one of the allowed locations or inside one (each entry resolved through symlinks). */
function credentialAllowed(real: string, cwd: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => {
    const resolved = resolvePhysical(cwd, path.resolve(cwd, entry));
    return 'path' in resolved && isInside(real, resolved.path);
  });
}

export function createPathCheck(opts: PathOptions = {}): SyncArgCheck {
  return {
    kind: 'path',
    check(value, ctx: ArgContext) {
      if (typeof value !== 'string') {
        return violation('args.path.not-string', `path must be a string, got ${typeName(value)}`);
      }
      const early = lexicalProblem(value, '');
      if (early) return early;
      let text = value;
      let how = '';
      if (/^file:/i.test(value)) {
        const converted = fromFileUrl(value);
        if ('ruleId' in converted) return converted;
        text = converted.path;
        how = ' (as a file URL)';
        const problem = lexicalProblem(text, how);
        if (problem) return problem;
      }
      const variants = variantsOf(text, how);
      if (!Array.isArray(variants)) return variants;

      const cwdLexical = path.resolve(ctx.cwd);
      const cwd = resolvePhysical('/', cwdLexical);
      if ('error' in cwd)
        return violation('args.path.unresolvable', `the server's cwd cannot be resolved: ${cwd.error}`);
      const wanted = opts.within ?? ctx.roots?.map(rootToPath) ?? [cwdLexical];
      const bases: { real: string; lexical: string }[] = [];
      for (const base of wanted) {
        const lexical = path.resolve(cwdLexical, base);
        const real = resolvePhysical(cwd.path, lexical);
        if ('path' in real) bases.push({ real: real.path, lexical });
      }
      const allowed =
        bases.length === 0
          ? '(none)'
          : bases
              .slice(0, SHOWN_BASES)
              .map((b) => b.real)
              .join(', ');
      const more = bases.length > SHOWN_BASES ? ` and ${bases.length - SHOWN_BASES} more` : '';

      for (const variant of variants) {
        if (variant.encoded) {
          const problem = lexicalProblem(variant.text, variant.how);
          if (problem) return problem;
        }
        const real = resolvePhysical(cwd.path, variant.text);
        const shown = `path ${show(value)}${variant.how}`;
        if ('error' in real) return violation('args.path.unresolvable', `${shown} cannot be resolved: ${real.error}`);
        const lexical = path.resolve(cwdLexical, variant.text);
        const credential = credentialProblem([variant.text, lexical, real.path], real.path, cwd.path, ctx);
        if (credential) return violation('args.path.credential', `${shown} ${credential}`);
        if (bases.some((b) => isInside(real.path, b.real))) continue;
        const dirs = `the allowed directories (${allowed}${more})`;
        const to = `: it resolves to ${clip(real.path)}`;
        if (variant.encoded) return violation('args.path.encoded-traversal', `${shown} escapes ${dirs}${to}`);
        if (bases.some((b) => isInside(lexical, b.lexical))) {
          return violation('args.path.symlink-escape', `${shown} leaves ${dirs} through a symbolic link${to}`);
        }
        if (variant.text.split('/').includes('..')) {
          return violation('args.path.traversal', `${shown} climbs out of ${dirs} with ".."${to}`);
        }
        return violation('args.path.outside', `${shown} is outside ${dirs}${to}`);
      }
      return null;
    },
  };
}
