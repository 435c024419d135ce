/**
 * `kind: command` (issue 4): a shell command line argument may run exactly one allowed program, with no shell
 * syntax that would run anything else, and without arguments that make that program run something else.
 * Parameter-check phase; synchronous; fail mode closed. The model is POSIX sh/bash: quoting that is safe there (a
 * `;` inside quotes is text) is accepted.
 *
 * Two passes. A quote-aware scan of the raw string rejects what shell-quote lets through or reads differently:
 * newlines, control characters and Unicode spaces, unbalanced quotes, backticks, `$(…)`, `$((…))`, `$[…]`, `${…}`, `$VAR`, `$1`,
 * `$'…'` (ANSI-C quoting, which can spell `;` as `\x3b`), brace expansion (`{a,b}`, `{1..9}`), and a `#` that starts
 * a word (a comment: everything after it is hidden from the shell). shell-quote's `parse` then tokenises the rest,
 * and every operator it reports is rejected: `;`, `&&`, `||`, `&`, `|`, `|&`, `>`, `>>`, `<`, `<<`, `<<<`, `>&`,
 * `&>`, `<(…)`, `>(…)`, `(`, `)`; unquoted globs too when `denyGlobs` is set.
 *
 * The program (the first word) must be in `allow`. A bare name there (`git`) allows only the bare word, which the
 * server resolves through its PATH; a path given as the program (`./git`, `/tmp/x/git`) must be listed as that path,
 * because a basename match would let any binary called git run. A leading `NAME=value` is refused: it changes the
 * program's environment (`GIT_SSH_COMMAND=…`). Then the arguments are checked against `denyArgs` (wildcards, per
 * program basename or `*` for all) and a built-in list for programs that can be told to run other programs: git,
 * find, tar, rsync, ssh, scp, sftp, curl, wget and the common shells and interpreters.
 *
 * Credential theft (found missing by the attack scoreboard): a program that prints the environment (`env`,
 * `printenv`, and `set`, `export -p`, `declare -p`/`-x` with nothing else) is refused, since the environment is where
 * a machine's secrets live, and so is an argument naming a well-known credential file (`~/.ssh/id_*`,
 * `.aws/credentials`, `.netrc`, `.git-credentials`, `.docker/config.json`, `.kube/config`, `/proc/<pid>/environ`,
 * `/etc/shadow`). A program the `allow` list names explicitly (`env`) is the organisation's decision and passes.
 *
 * Complete mediation (issue 15, class 7): an allowed program may still run other programs or read outside the
 * server's folders. Its argv is read per program (command-argv.ts), then the execution table (command-exec.ts) denies
 * subcommands, options and program text that run code (`git submodule foreach`, `awk 'BEGIN{system(…)}'`, `xargs`)
 * as `args.command.executes-code`, and, when the server has roots, every path operand and path option value must
 * resolve inside them (command-paths.ts, through the path check of path.ts) or the call is
 * `args.command.path-outside-roots`. Without roots the paths are not confined, as before.
 */
import path from 'node:path';
import { parse } from 'shell-quote';
import { readArgv, specFor } from './command-argv.js';
import { findExecution } from './command-exec.js';
import { findEscape } from './command-paths.js';
import { codePoint, show, typeName } from './show.js';
import type { ArgViolation, CommandRuleId, SyncArgCheck } from './types.js';

export interface CommandOptions {
  /** Programs that may run: bare names (`git`) or absolute paths (`/usr/bin/git`). Omitted: any program. */
  allow?: readonly string[];
  /**
   * Denied arguments, on top of the built-in ones: a list (for every program), or a map from program basename to
   * a list (`"*"`: every program). A pattern is a wildcard matched against a whole argument (`*` any run, `?` one
   * character, case-sensitive); a pattern with a space is matched against an argument and the one after it,
   * joined by a space (`"-c core.sshCommand=*"`).
   */
  denyArgs?: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /** Apply the built-in denied arguments (BUILTIN_DENY_ARGS) and the execution table (EXEC_TABLE). Default true. */
  builtinDenyArgs?: boolean;
  /** Reject unquoted `*`, `?` and `[` (pathname expansion). Default false. */
  denyGlobs?: boolean;
}

export interface DenyArgRule {
  /** Why the argument is dangerous, for the reason: "runs a program as the remote upload-pack". */
  readonly why: string;
  /** Git only: the rule applies when the subcommand is one of these. */
  readonly subcommands?: readonly string[];
  /**
   * The argument writes a file that the roots can confine (`curl -o`): when the server has roots the rule is
   * skipped and the path check confines the file instead (issue 15: `curl -o` inside the roots is fine).
   */
  readonly confinable?: boolean;
  test(arg: string, previous: string | undefined): boolean;
}

function violation(ruleId: CommandRuleId, reason: string): ArgViolation {
  return { ruleId, reason };
}

/**
 * `--upload-pack`, `--upload-pack=x`, and the abbreviations that getopt_long and git's parse-options accept
 * (`--upl=x`). An abbreviation that is itself another option of the program (`tar --checkpoint`) is in `others`.
 */
function longOption(name: string, others: readonly string[] = []): (arg: string) => boolean {
  return (arg) => {
    if (!arg.startsWith('--')) return false;
    const key = arg.split('=', 1)[0]!;
    return key.length > 2 && name.startsWith(key) && !others.includes(key);
  };
}

function rule(why: string, test: (arg: string, previous: string | undefined) => boolean, subcommands?: string[]) {
  return subcommands ? { why, test, subcommands } : { why, test };
}

const confinable = (r: DenyArgRule): DenyArgRule => ({ ...r, confinable: true });

const longRules = (why: string, names: string[], subcommands?: string[], others?: string[]): DenyArgRule[] =>
  names.map((n) => rule(why, longOption(n, others), subcommands));

/** A short option, alone or bundled (`-e`, `-avze`), with or without an attached value. */
const shortOption = (letters: string) => (arg: string) => new RegExp(`^-[A-Za-z]*[${letters}]`).test(arg);

/** Git config keys whose value is a program, a hook directory or a filter. */
const GIT_EXEC_CONFIG =
  /^(core\.(sshcommand|pager|editor|fsmonitor|hookspath|gitproxy|askpass)|credential\.|diff\..*(external|command|textconv)|merge\..*driver|filter\.|gpg\.(.*\.)?program|sequence\.editor|alias\.|protocol\.|uploadpack\.|remote\..*\.(uploadpack|receivepack|proxy|vcs)|pager\.|browser\.|web\.browser|difftool\.|mergetool\.|man\.|include\.|includeif\.|http\..*proxy|ssh\.variant|init\.templatedir)/i;

const INLINE_CODE = 'runs inline code';

/** `git clone --config key=value` sets a config key like `-c` does. */
const GIT_CONFIG_OPTION = longOption('--config');

/** Git config keys whose value is a file or folder git reads or works in (issue 15: `-c core.worktree=/`). */
const GIT_PATH_CONFIG =
  /^(core\.(worktree|attributesfile|excludesfile)|mailmap\.file|commit\.template|blame\.ignorerevsfile)/i;

/** A config key set with `-c key=value`, `-ckey=value`, `--config[=]key=value`, or written by `git config`. */
function gitConfigRules(why: string, keys: RegExp): DenyArgRule[] {
  return [
    rule(why, (arg, previous) =>
      previous === '-c' ? keys.test(arg) : arg.startsWith('-c') && keys.test(arg.slice(2)),
    ),
    rule(why, (arg) => keys.test(arg), ['config']),
    rule(
      why,
      (arg, previous) =>
        (previous !== undefined && GIT_CONFIG_OPTION(previous) && !previous.includes('=') && keys.test(arg)) ||
        (GIT_CONFIG_OPTION(arg) && arg.includes('=') && keys.test(arg.slice(arg.indexOf('=') + 1))),
    ),
  ];
}

export const BUILTIN_DENY_ARGS: Readonly<Record<string, readonly DenyArgRule[]>> = {
  git: [
    ...longRules('makes git run a program as the remote upload-pack or receive-pack', [
      '--upload-pack',
      '--receive-pack',
    ]),
    ...longRules('makes git run a program of your choosing', ['--exec', '--exec-path', '--config-env']),
    ...longRules('installs hooks from a template directory', ['--template']),
    ...longRules('writes to a file of your choosing', ['--output']),
    ...longRules('opens the matches with a program', ['--open-files-in-pager'], ['grep']),
    rule('opens the matches with a program', shortOption('O'), ['grep']),
    rule('makes git run a program as the remote upload-pack', shortOption('u'), ['clone']),
    ...gitConfigRules('sets a config key whose value git runs as a program', GIT_EXEC_CONFIG),
    ...gitConfigRules('sets a config key that points git at a file or folder of your choosing', GIT_PATH_CONFIG),
    rule('uses a transport that runs a command', (arg) => /^(ext|fd)::/i.test(arg)),
  ],
  find: ['-exec', '-execdir', '-ok', '-okdir', '-delete', '-fprint', '-fprint0', '-fprintf', '-fls'].map((name) =>
    rule('runs a command or changes files', (arg) => arg === name),
  ),
  tar: [
    ...longRules(
      'runs a program of your choosing',
      [
        '--to-command',
        '--checkpoint-action',
        '--use-compress-program',
        '--rsh-command',
        '--info-script',
        '--new-volume-script',
      ],
      undefined,
      ['--checkpoint'],
    ),
    rule('runs a program of your choosing', shortOption('IF')),
  ],
  rsync: [
    ...longRules('runs a program of your choosing', ['--rsh', '--rsync-path']),
    rule('runs a program of your choosing', shortOption('e')),
  ],
  ssh: [rule('runs a local command', (arg) => /(proxy|local|knownhosts)command/i.test(arg))],
  scp: [
    rule('runs a local command', (arg) => /(proxy|local|knownhosts)command/i.test(arg)),
    rule('runs a program as ssh', shortOption('S')),
  ],
  sftp: [
    rule('runs a local command', (arg) => /(proxy|local|knownhosts)command/i.test(arg)),
    rule('runs a program as ssh', shortOption('S')),
  ],
  curl: [
    ...longRules('reads options from a file or uploads files', ['--config', '--upload-file']),
    rule('reads options from a file or uploads files', shortOption('KT')),
    ...longRules('writes files', ['--output', '--remote-name']).map(confinable),
    confinable(rule('writes files', shortOption('oO'))),
    rule(
      'uploads a local file (@file)',
      (arg, previous) =>
        (/^(-d|-F|--data(-binary|-urlencode|-ascii)?|--form|--json)$/.test(previous ?? '') && arg.includes('@')) ||
        /^-[dF]@/.test(arg) ||
        /^--(data|form|json)[^=]*=.*@/.test(arg),
    ),
    rule('reads a local file (file: URL)', (arg) => /^file:/i.test(arg)),
  ],
  wget: [
    ...longRules('runs commands or uploads files', ['--execute', '--post-file', '--use-askpass']),
    rule('runs commands', shortOption('e')),
    confinable(rule('writes files', longOption('--output-document'))),
    confinable(rule('writes files', shortOption('O'))),
  ],
  ...Object.fromEntries(
    ['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish'].map((s) => [s, [rule(INLINE_CODE, shortOption('c'))]]),
  ),
  ...Object.fromEntries(['python', 'python3'].map((s) => [s, [rule(INLINE_CODE, shortOption('c'))]])),
  node: [
    ...longRules(INLINE_CODE, ['--eval', '--print', '--require', '--import']),
    rule(INLINE_CODE, shortOption('epr')),
  ],
  ...Object.fromEntries(['perl', 'ruby'].map((s) => [s, [rule(INLINE_CODE, shortOption('eE'))]])),
};

const OPERATORS: Record<string, [CommandRuleId, string]> = {
  ';': ['args.command.chaining', 'runs a second command'],
  ';;': ['args.command.chaining', 'runs a second command'],
  '&&': ['args.command.chaining', 'runs a second command'],
  '||': ['args.command.chaining', 'runs a second command'],
  ';&': ['args.command.chaining', 'runs a second command'],
  ';;&': ['args.command.chaining', 'runs a second command'],
  '&': ['args.command.chaining', 'runs a command in the background'],
  '|': ['args.command.pipe', 'pipes into another command'],
  '|&': ['args.command.pipe', 'pipes into another command'],
  '<(': ['args.command.process-substitution', 'runs a command as a file (process substitution)'],
  '>(': ['args.command.process-substitution', 'runs a command as a file (process substitution)'],
  '(': ['args.command.subshell', 'opens a subshell'],
  ')': ['args.command.subshell', 'closes a subshell'],
};

/** Wildcard → anchored RegExp; no /g, so test() has no state. */
function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/\*+/g, '*')
    .split('')
    .map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

function userRules(patterns: readonly string[]): DenyArgRule[] {
  return patterns.map((pattern) => {
    const re = wildcard(pattern);
    const pair = pattern.includes(' ');
    return {
      why: `matches the denied pattern ${JSON.stringify(pattern)}`,
      test: (arg, previous) => (pair ? previous !== undefined && re.test(`${previous} ${arg}`) : re.test(arg)),
    };
  });
}

/** Git's subcommand: the first word after the global options (some of which take a value). */
function gitSubcommand(args: readonly string[]): string | undefined {
  const takesValue = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (takesValue.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

type Scan = { escaped: string } | ArgViolation;

/** The raw pass: everything shell-quote would pass over. Returns the string with mid-word `#` escaped. */
function scan(value: string, denyGlobs: boolean): Scan {
  let quote: '' | "'" | '"' = '';
  let out = '';
  let wordStart = true;
  let braceOpen = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const next = value[i + 1];
    if (c === '\n' || c === '\r') {
      return violation('args.command.newline', 'command contains a line break, which starts a new command');
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(c)) {
      return violation('args.command.control-char', `command contains the control character ${codePoint(c)}`);
    }
    // shell-quote splits words on these, the shell does not: the two would disagree on the argv.
    if (/[\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/.test(c)) {
      return violation(
        'args.command.control-char',
        `command contains ${codePoint(c)}, a space the shell does not split on`,
      );
    }
    if (quote === "'") {
      if (c === "'") quote = '';
      out += c;
      continue;
    }
    if (c === '`') {
      return violation('args.command.substitution', 'command contains a backtick command substitution (`…`)');
    }
    if (c === '$') {
      const problem = dollar(next, quote);
      if (problem) return problem;
    }
    if (c === '\\') {
      if (next === undefined) return violation('args.command.unbalanced-quote', 'command ends with a lone backslash');
      out += c + next;
      i++;
      wordStart = false;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = '';
      out += c;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '#') {
      if (wordStart) {
        return violation('args.command.comment', 'command contains a comment (#), which hides the rest of the line');
      }
      out += '\\';
    } else if (c === '{') braceOpen = true;
    else if (c === '}') braceOpen = false;
    else if (c === '[' && denyGlobs) {
      return violation('args.command.glob', 'command contains an unquoted [ ] glob (pathname expansion)');
    } else if (braceOpen && (c === ',' || (c === '.' && next === '.'))) {
      return violation('args.command.expansion', 'command contains a brace expansion ({a,b} or {1..9})');
    }
    out += c;
    wordStart = c === ' ' || c === '\t' || ';&|()<>'.includes(c);
  }
  if (quote) return violation('args.command.unbalanced-quote', `command has an unterminated ${quote} quote`);
  return { escaped: out };
}

function dollar(next: string | undefined, quote: '' | '"'): ArgViolation | null {
  if (next === undefined) return null;
  if (next === '(' || next === '[') {
    return violation('args.command.substitution', 'command contains a $(…) command or arithmetic substitution');
  }
  if (next === '{') return violation('args.command.expansion', 'command contains a ${…} parameter expansion');
  if (/[A-Za-z_0-9@*#?$!-]/.test(next)) {
    return violation('args.command.expansion', `command contains the shell variable $${next}…`);
  }
  if (quote === '' && (next === "'" || next === '"')) {
    return violation(
      'args.command.expansion',
      `command contains $${next}…${next} quoting, which can spell hidden characters`,
    );
  }
  return null;
}

/** Well-known credential files, as a whole argument or as its last part (a path). No /g: used with test(). */
const SECRET_FILE =
  /(?:^|\/|^~)(?:\.ssh\/(?:id_[\w.-]+|identity)|\.aws\/credentials|\.netrc|\.git-credentials|\.docker\/config\.json|\.kube\/config|\.pgpass|\.npmrc|\.pypirc)$|^\/proc\/[^/]+\/environ$|^\/etc\/(?:shadow|gshadow|master\.passwd)$/;

/** `env` and `printenv` in any form; `set`, `export`, `declare`, `typeset` when they only list variables. */
function dumpsEnvironment(program: string, args: readonly string[]): boolean {
  if (program === 'env' || program === 'printenv') return true;
  if (program === 'set') return args.length === 0;
  if (program === 'export') return args.length === 0 || (args.length === 1 && args[0] === '-p');
  if (program === 'declare' || program === 'typeset')
    return args.length === 0 || args.every((a) => /^-[pxr]+$/.test(a));
  return false;
}

function isList(value: CommandOptions['denyArgs']): value is readonly string[] {
  return Array.isArray(value);
}

export function createCommandCheck(opts: CommandOptions = {}): SyncArgCheck {
  const allowNames = new Set((opts.allow ?? []).filter((p) => !p.includes('/')));
  const allowPaths = new Set((opts.allow ?? []).filter((p) => p.includes('/')).map((p) => path.posix.normalize(p)));
  const builtin = opts.builtinDenyArgs ?? true;
  const denyArgs: Readonly<Record<string, readonly string[]>> = isList(opts.denyArgs)
    ? { '*': opts.denyArgs }
    : (opts.denyArgs ?? {});
  const user = new Map(Object.entries(denyArgs).map(([program, patterns]) => [program, userRules(patterns)]));

  function rulesFor(program: string): DenyArgRule[] {
    const base = path.posix.basename(program);
    return [...(builtin ? (BUILTIN_DENY_ARGS[base] ?? []) : []), ...(user.get(base) ?? []), ...(user.get('*') ?? [])];
  }

  return {
    kind: 'command',
    check(value, ctx) {
      if (typeof value !== 'string') {
        return violation('args.command.not-string', `command must be a string, got ${typeName(value)}`);
      }
      if (value.trim() === '') return violation('args.command.empty', 'command is empty');
      const scanned = scan(value, opts.denyGlobs ?? false);
      if ('ruleId' in scanned) return scanned;

      const argv: string[] = [];
      const globs = new Set<string>();
      for (const entry of parse(scanned.escaped)) {
        if (typeof entry === 'string') argv.push(entry);
        else if ('op' in entry && entry.op === 'glob') {
          if (opts.denyGlobs) {
            return violation('args.command.glob', `command contains the unquoted glob ${show(entry.pattern)}`);
          }
          argv.push(entry.pattern);
          globs.add(entry.pattern);
        } else {
          // Only operators remain: the scan has turned every comment into an escaped `#`.
          const op = 'op' in entry ? entry.op : '#';
          const [ruleId, what] = OPERATORS[op] ?? ['args.command.redirection', 'redirects input or output'];
          return violation(ruleId, `command contains the shell operator ${op}, which ${what}`);
        }
      }

      const program = argv[0] ?? '';
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(program)) {
        return violation(
          'args.command.env-assignment',
          `command starts with the environment assignment ${show(program.split('=')[0]! + '=…')}`,
        );
      }
      if (opts.allow) {
        const allowed = program.includes('/') ? allowPaths.has(path.posix.normalize(program)) : allowNames.has(program);
        if (!allowed) {
          if (program.includes('/') && allowNames.has(path.posix.basename(program))) {
            return violation(
              'args.command.program-path',
              `program ${show(program)} is given as a path; only the bare name ${path.posix.basename(program)} is allowed`,
            );
          }
          return violation(
            'args.command.program-not-allowed',
            `program ${show(program)} is not allowed (allowed: ${[...(opts.allow ?? [])].join(', ') || 'none'})`,
          );
        }
      }

      const base = path.posix.basename(program);
      if (!opts.allow?.includes(program) && dumpsEnvironment(base, argv.slice(1)))
        return violation(
          'args.command.environment',
          `command ${show(value)} prints the environment, where secrets such as API keys live`,
        );
      const secretFile = argv.slice(1).find((a) => SECRET_FILE.test(a));
      if (secretFile !== undefined)
        return violation('args.command.secret-file', `command reads the credential file ${show(secretFile)}`);

      const args = argv.slice(1);
      const confined = ctx.roots !== undefined && ctx.roots.length > 0;
      const rules = rulesFor(program);
      if (rules.length > 0) {
        const subcommand = path.posix.basename(program) === 'git' ? gitSubcommand(args) : undefined;
        for (let i = 0; i < args.length; i++) {
          const arg = args[i]!;
          for (const r of rules) {
            if (r.subcommands && (subcommand === undefined || !r.subcommands.includes(subcommand))) continue;
            if (r.confinable && confined) continue;
            if (r.test(arg, args[i - 1])) {
              return violation(
                'args.command.denied-arg',
                `${path.posix.basename(program)} argument ${show(arg)} is denied: it ${r.why}`,
              );
            }
          }
        }
      }

      const words = readArgv(args, specFor(base));
      if (builtin) {
        const execution = findExecution(base, args, words);
        if (execution) return execution;
      }
      if (!confined) return null;
      // wget, and curl -O, write into the cwd: that folder too must be inside the roots.
      const intoCwd =
        base === 'wget' ||
        (base === 'curl' && words.some((w) => w.role === 'option' && /^(-O|--remote-name)/.test(w.text)));
      return findEscape(
        base,
        intoCwd ? [...words, { role: 'path', text: '.', option: 'download into the cwd' }] : words,
        ctx,
        globs,
      );
    },
  };
}
