/**
 * How the `command` check reads one program's argv (issue 15, class 7): which words are options, which option values
 * are paths, which are text (a pattern, a message, a number), which word is program text (a sed or awk script, a
 * grep pattern), and which are operands. Parameter-check phase; pure and synchronous; it never decides anything: the
 * path confinement (command-paths.ts) and the execution table (command-exec.ts) read its answer.
 *
 * The per-program knowledge is a table of data (PROGRAM_SPECS). A program that is not in it is read with GENERIC:
 * getopt rules, `-C`, `-f`, `-o` and the common long path options take a path. Reading a flag as an option that
 * takes a value is the safe mistake: the next word is then checked as a path even when it does not look like one.
 * Reading a value as an operand is safe too (it is checked when it looks like a path). The unsafe mistake is
 * reading a path as text, so a word is text only where the table says so.
 */

/** What one word of the argv is. `option` words carry the option's name as written (`--exec`, `-x`). */
export type WordRole = 'option' | 'path' | 'text' | 'script' | 'operand' | 'subcommand';

export interface Word {
  readonly role: WordRole;
  readonly text: string;
  /** For a value: the option it belongs to (`--git-dir`); for an option: its own name. */
  readonly option?: string;
}

export interface ProgramSpec {
  /** Options whose value is a path, which must stay inside the roots. */
  readonly path?: readonly string[];
  /** Options whose value is text (a pattern, a message, a count): never read as a path. */
  readonly text?: readonly string[];
  /** Options whose value is program text (`sed -e`, `awk --source`); giving one means no operand is the program. */
  readonly script?: readonly string[];
  /** Options whose value is a file holding the program (`sed -f`): a path, and no operand is the program. */
  readonly scriptFile?: readonly string[];
  /** The first operand is program text or a pattern (grep, sed, awk), unless a script option gave it. */
  readonly scriptOperand?: boolean;
  /** Every operand is text: ssh's are a host and a remote command, echo's are words. */
  readonly textOperands?: boolean;
  /** The first operand is a subcommand (git); options before it are read with `global`. */
  readonly global?: ProgramSpec;
  /** find: operands up to the first expression word are paths; the expression's predicates are read with this. */
  readonly expression?: { readonly path: readonly string[]; readonly text: readonly string[] };
}

const COMMON_LONG_PATHS = [
  '--file',
  '--output',
  '--output-file',
  '--input',
  '--input-file',
  '--directory',
  '--chdir',
  '--cwd',
  '--dir',
  '--root',
  '--config',
  '--git-dir',
  '--work-tree',
  '--exec-path',
  '--files-from',
  '--files0-from',
  '--exclude-from',
  '--include-from',
  '--target-directory',
  '--log-file',
  '--rcfile',
  '--init-file',
];

export const GENERIC: ProgramSpec = { path: ['-C', '-f', '-o', ...COMMON_LONG_PATHS] };

const GREP: ProgramSpec = {
  path: ['-f', '--file', '--exclude-from', '--include-from'],
  script: ['-e', '--regexp'],
  text: [
    '-m',
    '--max-count',
    '-A',
    '-B',
    '-C',
    '--context',
    '--after-context',
    '--before-context',
    '--include',
    '--exclude',
    '--exclude-dir',
    '--label',
    '-d',
    '--directories',
    '-D',
    '--devices',
    '--binary-files',
    '--color',
    '--colour',
    '--group-separator',
  ],
  scriptOperand: true,
};

const RG: ProgramSpec = {
  path: ['-f', '--file', '--ignore-file', '--pre'],
  script: ['-e', '--regexp'],
  text: [
    '-g',
    '--glob',
    '--iglob',
    '-t',
    '--type',
    '-T',
    '--type-not',
    '-m',
    '--max-count',
    '-A',
    '-B',
    '-C',
    '-j',
    '--threads',
    '-M',
    '--max-columns',
    '-r',
    '--replace',
    '-E',
    '--encoding',
    '--pre-glob',
    '--sort',
    '--sortr',
    '--type-add',
    '--max-depth',
    '-d',
    '--color',
    '--colors',
  ],
  scriptOperand: true,
};

const AWK: ProgramSpec = {
  scriptFile: ['-f', '--file', '-E', '--exec', '-i', '--include'],
  script: ['-e', '--source'],
  text: ['-v', '--assign', '-F', '--field-separator', '-l', '--load'],
  scriptOperand: true,
};

const SED: ProgramSpec = {
  scriptFile: ['-f', '--file'],
  script: ['-e', '--expression'],
  text: ['-l', '--line-length'],
  scriptOperand: true,
};

const GIT: ProgramSpec = {
  global: {
    path: ['-C', '--git-dir', '--work-tree', '--exec-path'],
    text: ['-c', '--namespace', '--super-prefix', '--config-env', '--list-cmds'],
  },
  path: [
    '-F',
    '--file',
    '-o',
    '--output',
    '--output-directory',
    '--git-dir',
    '--work-tree',
    '--separate-git-dir',
    '--reference',
    '--reference-if-able',
    '--template',
    '--exec-path',
  ],
  text: [
    '-m',
    '--message',
    '-b',
    '-B',
    '-n',
    '--max-count',
    '--author',
    '--committer',
    '--grep',
    '--format',
    '--pretty',
    '-S',
    '-G',
    '--since',
    '--until',
    '--after',
    '--before',
    '-X',
    '--strategy-option',
    '-s',
    '--strategy',
    '--depth',
    '--branch',
    '--origin',
    '-e',
  ],
};

const FIND: ProgramSpec = {
  text: ['-D', '-O'],
  expression: {
    path: ['-newer', '-anewer', '-cnewer', '-samefile', '-fls', '-fprint', '-fprint0', '-fprintf', '-files0-from'],
    text: [
      '-name',
      '-iname',
      '-path',
      '-ipath',
      '-wholename',
      '-iwholename',
      '-regex',
      '-iregex',
      '-regextype',
      '-lname',
      '-ilname',
      '-type',
      '-xtype',
      '-size',
      '-mtime',
      '-mmin',
      '-atime',
      '-amin',
      '-ctime',
      '-cmin',
      '-used',
      '-user',
      '-group',
      '-uid',
      '-gid',
      '-perm',
      '-printf',
      '-maxdepth',
      '-mindepth',
      '-links',
      '-inum',
      '-context',
      '-fstype',
    ],
  },
};

const SSH: ProgramSpec = {
  path: ['-i', '-F', '-E', '-S'],
  text: ['-p', '-l', '-o', '-J', '-L', '-R', '-D', '-b', '-c', '-e', '-m', '-O', '-Q', '-W', '-w', '-B', '-I', '-P'],
  textOperands: true,
};

const CURL: ProgramSpec = {
  path: [
    '-o',
    '--output',
    '-K',
    '--config',
    '-T',
    '--upload-file',
    '-c',
    '--cookie-jar',
    '-D',
    '--dump-header',
    '--trace',
    '--trace-ascii',
    '--stderr',
    '--libcurl',
    '--netrc-file',
    '--cacert',
    '--capath',
    '-E',
    '--cert',
    '--key',
    '--hsts',
    '--alt-svc',
    '--etag-save',
    '--etag-compare',
    '--output-dir',
    '--unix-socket',
    // A cookie string or a cookie file: read as a path, which a `name=value` string inside the cwd passes.
    '-b',
    '--cookie',
  ],
  text: [
    '-H',
    '--header',
    '-X',
    '--request',
    '-d',
    '--data',
    '--data-raw',
    '--data-binary',
    '--data-urlencode',
    '--json',
    '-F',
    '--form',
    '-A',
    '--user-agent',
    '-e',
    '--referer',
    '-u',
    '--user',
    '-m',
    '--max-time',
    '--connect-timeout',
    '-x',
    '--proxy',
    '-w',
    '--write-out',
    '-r',
    '--range',
    '--retry',
    '-Y',
    '-y',
    '-z',
  ],
};

const WGET: ProgramSpec = {
  path: [
    '-O',
    '--output-document',
    '-o',
    '--output-file',
    '-a',
    '--append-output',
    '-i',
    '--input-file',
    '-P',
    '--directory-prefix',
    '--load-cookies',
    '--save-cookies',
    '--post-file',
    '--body-file',
    '--ca-certificate',
    '--certificate',
    '--private-key',
    '--config',
  ],
  text: ['-U', '--user-agent', '--header', '-t', '--tries', '-T', '--timeout', '-l', '--level', '-e', '--execute'],
};

const MAKE: ProgramSpec = {
  path: [
    '-f',
    '--file',
    '--makefile',
    '-C',
    '--directory',
    '-I',
    '--include-dir',
    '-o',
    '--old-file',
    '-W',
    '--what-if',
  ],
  text: ['-j', '--jobs', '-l', '--load-average', '-E', '--eval', '--debug'],
};

const TAR: ProgramSpec = {
  path: [
    '-f',
    '--file',
    '-C',
    '--directory',
    '-T',
    '--files-from',
    '-X',
    '--exclude-from',
    '-g',
    '--listed-incremental',
  ],
  text: ['--exclude', '--transform', '--xform', '--strip-components', '-b', '--blocking-factor', '--format', '-H'],
};

const RSYNC: ProgramSpec = {
  path: ['--files-from', '--exclude-from', '--include-from', '--log-file', '--partial-dir', '--temp-dir', '-T'],
  text: ['--exclude', '--include', '--filter', '-f', '--chmod', '--chown', '--bwlimit', '--port', '--timeout'],
};

const XARGS: ProgramSpec = {
  path: ['-a', '--arg-file'],
  text: [
    '-I',
    '-n',
    '--max-args',
    '-L',
    '--max-lines',
    '-P',
    '--max-procs',
    '-s',
    '--max-chars',
    '-d',
    '--delimiter',
    '-E',
  ],
};

/** Per program basename. Programs that share a reading share a spec. */
export const PROGRAM_SPECS: Readonly<Record<string, ProgramSpec>> = {
  git: GIT,
  grep: GREP,
  egrep: GREP,
  fgrep: GREP,
  rg: RG,
  awk: AWK,
  gawk: AWK,
  mawk: AWK,
  nawk: AWK,
  sed: SED,
  gsed: SED,
  find: FIND,
  ssh: SSH,
  curl: CURL,
  wget: WGET,
  make: MAKE,
  gmake: MAKE,
  tar: TAR,
  rsync: RSYNC,
  xargs: XARGS,
  npm: { global: { path: ['--prefix', '--userconfig', '--globalconfig', '--cache'] }, path: ['--prefix'] },
  unzip: { path: ['-d'], text: ['-x'] },
  echo: { textOperands: true },
  printf: { textOperands: true },
  head: { text: ['-n', '--lines', '-c', '--bytes'] },
  tail: { text: ['-n', '--lines', '-c', '--bytes', '-s', '--sleep-interval', '--pid'] },
  ls: { text: ['-w', '--width', '-I', '--ignore', '--hide', '-T', '--tabsize', '--sort', '--format', '--time-style'] },
  wc: { path: ['--files0-from'] },
  sort: { path: ['-o', '--output', '-T', '--temporary-directory', '--files0-from'], text: ['-k', '--key', '-t'] },
  env: { path: ['-C', '--chdir'], text: ['-u', '--unset'] },
  timeout: { text: ['-s', '--signal', '-k', '--kill-after'] },
  nice: { text: ['-n', '--adjustment'] },
};

export function specFor(base: string): ProgramSpec {
  return PROGRAM_SPECS[base] ?? GENERIC;
}

type OptionKind = 'path' | 'text' | 'script' | 'scriptFile';

/** Which kind of value an option takes in `spec`, or undefined for a flag (or an option the table does not know). */
function optionKind(spec: ProgramSpec, name: string): OptionKind | undefined {
  // The unsafe reading (text) loses to the others when an abbreviation is ambiguous.
  const kinds: OptionKind[] = ['path', 'scriptFile', 'script', 'text'];
  for (const kind of kinds) if (spec[kind]?.includes(name)) return kind;
  if (name.startsWith('--') && name.length > 3) {
    for (const kind of kinds) if (spec[kind]?.some((o) => o.startsWith('--') && o.startsWith(name))) return kind;
  }
  return undefined;
}

const valueRole = (kind: OptionKind): WordRole => (kind === 'script' ? 'script' : kind === 'text' ? 'text' : 'path');

/**
 * Reads argv (without the program) as `spec` says: getopt rules (`--` ends the options, `--name=value`, `--name
 * value`, `-abc` bundles where a value letter takes the rest of the word or the next one).
 */
export function readArgv(args: readonly string[], spec: ProgramSpec): Word[] {
  const words: Word[] = [];
  let current = spec.global ?? spec;
  let scriptGiven = false;
  let operandCount = 0;
  let optionsEnded = false;
  let inExpression = false;

  const operand = (text: string) => {
    if (spec.global && current === spec.global) {
      words.push({ role: 'subcommand', text });
      current = spec;
      return;
    }
    operandCount++;
    const isScript = spec.scriptOperand === true && !scriptGiven && operandCount === 1;
    words.push({ role: isScript ? 'script' : spec.textOperands ? 'text' : 'operand', text });
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) {
      if (inExpression) words.push({ role: /^[()!,]$/.test(arg) ? 'text' : 'operand', text: arg });
      else operand(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      words.push({ role: 'option', text: arg, option: arg });
      continue;
    }
    if (spec.expression && current === spec && (inExpression || !/^-[HLPDO]/.test(arg))) {
      // find: the first word that starts with "-" (after -H/-L/-P/-D/-O) starts the expression.
      inExpression = true;
      words.push({ role: 'option', text: arg, option: arg });
      const { path, text } = spec.expression;
      // -newerXY compares with a file, unless Y is t (then the value is a date).
      const takes =
        path.includes(arg) || /^-newer[a-zA-Z][a-su-zA-Z]$/.test(arg)
          ? 'path'
          : text.includes(arg) || /^-newer[a-zA-Z]t$/.test(arg)
            ? 'text'
            : undefined;
      const next = args[i + 1];
      if (takes && next !== undefined) {
        words.push({ role: takes, text: next, option: arg });
        i++;
      }
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const kind = optionKind(current, name);
      words.push({ role: 'option', text: arg, option: name });
      if (kind === 'script' || kind === 'scriptFile') scriptGiven = true;
      if (eq !== -1) {
        // An option the table does not know still gets its value checked when it plainly names a place.
        words.push({ role: kind ? valueRole(kind) : 'operand', text: arg.slice(eq + 1), option: name });
      } else if (kind && args[i + 1] !== undefined) {
        words.push({ role: valueRole(kind), text: args[++i]!, option: name });
      }
      continue;
    }
    // A short option or a bundle of them.
    for (let j = 1; j < arg.length; j++) {
      const name = `-${arg[j]!}`;
      const kind = optionKind(current, name);
      words.push({ role: 'option', text: name, option: name });
      if (!kind) continue;
      if (kind === 'script' || kind === 'scriptFile') scriptGiven = true;
      const rest = arg.slice(j + 1);
      if (rest !== '') words.push({ role: valueRole(kind), text: rest, option: name });
      else if (args[i + 1] !== undefined) words.push({ role: valueRole(kind), text: args[++i]!, option: name });
      break;
    }
  }
  return words;
}
