/**
 * Programs that run other programs (issue 15, class 7): the subcommands, options, words and program text of an
 * allowed program that make it execute code of the caller's choosing, run another program, or touch a file that no
 * path check can see (a file named inside an awk or sed script). Parameter-check phase; pure and synchronous; fail
 * mode closed (a match denies). It reads the argv as command-argv.ts splits it.
 *
 * The knowledge is the EXEC_TABLE below, data per program basename, on top of the older BUILTIN_DENY_ARGS of
 * command.ts (which keeps its rule id, args.command.denied-arg). A match here is `args.command.executes-code`; a
 * hidden file read or write is `args.command.denied-arg`; awk's ENVIRON is `args.command.environment`.
 * A program the organisation allows may still do what it is for: `git log`, `find . -name x`, `awk '{print $1}'`.
 */
import type { Word } from './command-argv.js';
import { show } from './show.js';
import type { ArgViolation, CommandRuleId } from './types.js';

/** A pattern in program text or a word, with what it does. */
export interface ExecPattern {
  readonly re: RegExp;
  readonly why: string;
  /** exec (default): runs code; file: reads or writes a file named where no path check sees it; environment. */
  readonly effect?: 'exec' | 'file' | 'environment';
}

export interface ExecEntry {
  /** Any use of the program runs other programs. */
  readonly always?: string;
  /** The program runs its operands as a command (`nice cmd`); `NAME=value` operands (env) are not commands. */
  readonly runsOperand?: string;
  /** Subcommands that run code; two words (`submodule foreach`) match the subcommand and its first operand. */
  readonly subcommands?: Readonly<Record<string, string>>;
  /**
   * Options that run code. A long one also matches `--name=value` and abbreviations (`--exe`); a short one
   * matches inside a bundle. `sub -x` scopes an option to a subcommand (`rebase -x`).
   */
  readonly options?: Readonly<Record<string, string>>;
  /** Options that write files where the path check cannot follow (`sed -i` edits every operand in place). */
  readonly writes?: Readonly<Record<string, string>>;
  /** Any argument as written, whatever its role, that runs code (`make CC=…`, `less +!cmd`, `--remote=ext::…`). */
  readonly words?: readonly ExecPattern[];
  /** Program text (awk and sed scripts): the operand that is the program, or the value of `-e`/`--source`. */
  readonly script?: readonly ExecPattern[];
  /** The program text has double-quoted strings (awk), blanked before `script` is matched. */
  readonly quotedStrings?: boolean;
}

const RUNS_COMMAND = 'runs the command given in its arguments';
const AS_OTHER_USER = 'runs a command as another user';

/** awk program text. Strings are blanked first, so `print "a|b"` is not a pipe. No /g: used with test(). */
const AWK_SCRIPT: ExecPattern[] = [
  { re: /\bsystem\s*\(/, why: 'calls system(), which runs a shell command' },
  { re: /\|\s*&?\s*getline\b/, why: 'reads the output of a command (cmd | getline)' },
  { re: /\bprintf?\b[^;}]*\|/, why: 'pipes its output into a command (print | "cmd")' },
  { re: /@load\b/, why: 'loads a shared library (@load)' },
  { re: /\bgetline\b[^;}]*</, why: 'reads a file named inside the program (getline <)', effect: 'file' },
  { re: /\bprintf?\b[^;}]*>/, why: 'writes to a file named inside the program (print >)', effect: 'file' },
  { re: /\bENVIRON\b/, why: 'reads the environment (ENVIRON), where secrets live', effect: 'environment' },
  { re: /\bPROCINFO\b/, why: 'reads process information (PROCINFO)', effect: 'environment' },
];

/**
 * sed commands and s/// flags, after an address, a `;`, a brace or a delimiter: `e` runs a command, `w`/`W` write
 * to a file, `r`/`R` read one. The lead is any character that is not a letter, space or backslash.
 */
const SED_COMMAND = (letters: string) => new RegExp(`(?:^|[^A-Za-z\\s\\\\])\\s*[gpiImM0-9]*[${letters}](?=[\\s;}]|$)`);
const SED_SCRIPT: ExecPattern[] = [
  { re: SED_COMMAND('e'), why: 'uses the e command or flag, which runs a shell command' },
  { re: SED_COMMAND('wW'), why: 'writes to a file named inside the script (w)', effect: 'file' },
  { re: SED_COMMAND('rR'), why: 'reads a file named inside the script (r)', effect: 'file' },
];

const SHELL = {
  options: { '-c': 'runs inline code', '--command': 'runs inline code', '--init-command': 'runs inline code' },
};
const VIM: ExecEntry = {
  options: {
    '-c': 'runs an editor command, which can escape to a shell',
    '--cmd': 'runs an editor command, which can escape to a shell',
    '-S': 'sources a script of editor commands',
    '-s': 'replays editor commands from a file',
  },
  words: [{ re: /^\+(?!\d*$)/, why: 'runs an editor command at start, which can escape to a shell' }],
};
const PAGER: ExecEntry = {
  words: [{ re: /^\+/, why: 'runs a pager command at start, which can escape to a shell (!cmd)' }],
};

export const EXEC_TABLE: Readonly<Record<string, ExecEntry>> = {
  git: {
    subcommands: {
      'submodule foreach': 'runs a shell command in every submodule',
      'bisect run': 'runs a command at every bisection step',
      difftool: 'runs a diff tool program',
      mergetool: 'runs a merge tool program',
      'filter-branch': 'runs shell filters on every commit',
      instaweb: 'starts a web server and a browser',
      'web--browse': 'starts a browser',
      credential: 'runs credential helpers, which print stored passwords',
      'credential-store': 'prints stored passwords',
      'send-email': 'runs a mail program',
    },
    options: {
      'rebase -x': 'runs a shell command after every commit',
      'rebase --exec': 'runs a shell command after every commit',
      'archive --remote': 'asks a remote to run git-upload-archive, through any transport',
      '--upload-pack': 'runs a program as the remote upload-pack',
      '--receive-pack': 'runs a program as the remote receive-pack',
    },
    words: [{ re: /(?:^|[=."'\s])(?:ext|fd)::/i, why: 'uses a transport that runs a command (ext:: or fd::)' }],
  },
  awk: {
    script: AWK_SCRIPT,
    quotedStrings: true,
    options: { '-l': 'loads a shared library', '--load': 'loads a shared library' },
  },
  sed: { script: SED_SCRIPT, writes: { '-i': 'edits files in place', '--in-place': 'edits files in place' } },
  xargs: { always: 'runs a command for every line of its input' },
  env: { runsOperand: RUNS_COMMAND, options: { '-S': RUNS_COMMAND, '--split-string': RUNS_COMMAND } },
  ...Object.fromEntries(
    [
      'nice',
      'timeout',
      'nohup',
      'stdbuf',
      'ionice',
      'chroot',
      'setsid',
      'taskset',
      'chrt',
      'time',
      'command',
      'exec',
      'eval',
      'source',
      '.',
      'builtin',
      'flock',
      'unbuffer',
      'watch',
      'strace',
      'ltrace',
      'script',
    ].map((p) => [p, { runsOperand: RUNS_COMMAND }]),
  ),
  ...Object.fromEntries(['sudo', 'doas', 'su', 'pkexec', 'runuser'].map((p) => [p, { always: AS_OTHER_USER }])),
  ...Object.fromEntries(
    ['parallel', 'npx', 'bunx', 'pnpx'].map((p) => [p, { always: 'runs a program of your choosing' }]),
  ),
  npm: { subcommands: { exec: 'runs a package binary', x: 'runs a package binary', explore: 'runs a shell' } },
  ...Object.fromEntries(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish'].map((s) => [s, SHELL])),
  php: {
    options: { '-r': 'runs inline code', '-B': 'runs inline code', '-R': 'runs inline code', '-E': 'runs inline code' },
  },
  lua: { options: { '-e': 'runs inline code' } },
  ...Object.fromEntries(['vim', 'vi', 'nvim', 'view', 'vimdiff', 'ex', 'rvim'].map((p) => [p, VIM])),
  ...Object.fromEntries(['less', 'more', 'most', 'pg'].map((p) => [p, PAGER])),
  man: {
    options: {
      '-P': 'runs a pager of your choosing',
      '--pager': 'runs a pager of your choosing',
      '-H': 'runs a browser of your choosing',
      '--html': 'runs a browser of your choosing',
    },
  },
  make: {
    options: { '-E': 'evaluates make code', '--eval': 'evaluates make code' },
    words: [
      {
        re: /^[A-Za-z_.][A-Za-z0-9_.-]*\s*[:+?!]?=/,
        why: 'overrides a make variable, and recipes run variables such as SHELL and CC as commands',
      },
    ],
  },
  zip: {
    words: [
      { re: /^-[A-Za-z]*TT/, why: 'runs a program to test the archive (-TT)' },
      { re: /^--unzip-command/, why: 'runs a program to test the archive' },
    ],
  },
  tar: { options: { '--rmt-command': 'runs a program as the remote tape server' } },
  rg: { options: { '--pre': 'runs a preprocessor program on every file' } },
  ssh: { options: { '-F': 'reads a config file, which can set ProxyCommand' } },
};

const ALIASES: Readonly<Record<string, string>> = { gawk: 'awk', mawk: 'awk', nawk: 'awk', gsed: 'sed', gmake: 'make' };

export function execEntry(base: string): ExecEntry | undefined {
  return EXEC_TABLE[ALIASES[base] ?? base];
}

/** True when the written option `written` is `name`, or (long options) an abbreviation of it. */
function optionMatches(written: string, name: string): boolean {
  if (written === name) return true;
  return name.startsWith('--') && written.startsWith('--') && written.length > 3 && name.startsWith(written);
}

/** awk strings are blanked so that the text inside them is not read as code. */
function blankStrings(script: string): string {
  return script.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

function found(ruleId: CommandRuleId, reason: string): ArgViolation {
  return { ruleId, reason };
}

const EFFECT_RULE: Record<NonNullable<ExecPattern['effect']>, CommandRuleId> = {
  exec: 'args.command.executes-code',
  file: 'args.command.denied-arg',
  environment: 'args.command.environment',
};

/** The first way in which `args` (the argv of `base` without it; `words` is readArgv's reading) runs code, or null. */
export function findExecution(base: string, args: readonly string[], words: readonly Word[]): ArgViolation | null {
  const entry = execEntry(base);
  if (!entry) return null;
  if (entry.always) return found('args.command.executes-code', `${base} is denied: it ${entry.always}`);

  const subIndex = words.findIndex((w) => w.role === 'subcommand');
  const sub = subIndex === -1 ? undefined : words[subIndex]!.text;
  if (entry.subcommands && sub !== undefined) {
    const second = words.slice(subIndex + 1).find((w) => w.role === 'operand' || w.role === 'text')?.text;
    for (const [key, why] of Object.entries(entry.subcommands)) {
      if (key === sub || key === `${sub} ${second}`) {
        return found('args.command.executes-code', `${base} ${key} is denied: it ${why}`);
      }
    }
  }

  for (const w of words) {
    if (w.role === 'option' && w.option !== undefined) {
      for (const [key, why] of Object.entries(entry.options ?? {})) {
        const space = key.indexOf(' ');
        if (space !== -1 && key.slice(0, space) !== sub) continue;
        if (optionMatches(w.option, key.slice(space + 1))) {
          return found('args.command.executes-code', `${base} option ${show(w.text)} is denied: it ${why}`);
        }
      }
      for (const [name, why] of Object.entries(entry.writes ?? {})) {
        if (optionMatches(w.option, name)) {
          return found('args.command.denied-arg', `${base} option ${show(w.text)} is denied: it ${why}`);
        }
      }
    }
    if (w.role === 'operand' && entry.runsOperand && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) {
      return found('args.command.executes-code', `${base} ${show(w.text)} is denied: ${base} ${entry.runsOperand}`);
    }
    if (w.role === 'script') {
      const text = entry.quotedStrings ? blankStrings(w.text) : w.text;
      for (const p of entry.script ?? []) {
        if (p.re.test(text)) {
          return found(EFFECT_RULE[p.effect ?? 'exec'], `${base} program ${show(w.text)} is denied: it ${p.why}`);
        }
      }
    }
  }
  for (const arg of args) {
    for (const p of entry.words ?? []) {
      if (p.re.test(arg)) {
        return found(EFFECT_RULE[p.effect ?? 'exec'], `${base} argument ${show(arg)} is denied: it ${p.why}`);
      }
    }
  }
  return null;
}
