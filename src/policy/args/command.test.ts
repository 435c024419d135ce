import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_GLOB_MATCHES } from './command-paths.js';
import { BUILTIN_DENY_ARGS, createCommandCheck } from './command.js';
import { COMMAND_ATTACKS, COMMAND_BENIGN } from '../../../test/support/arg-corpus.js';

const ctx = { cwd: '/' };

describe('command check', () => {
  it.each(COMMAND_ATTACKS)('blocks $note ($value) as $expect', ({ value, expect: ruleId, options }) => {
    const check = createCommandCheck(options);
    for (let i = 0; i < 2; i++) expect(check.check(value, ctx)?.ruleId).toBe(ruleId);
  });

  it.each(COMMAND_BENIGN)('allows $note ($value)', ({ value, options }) => {
    const check = createCommandCheck(options);
    for (let i = 0; i < 2; i++) expect(check.check(value, ctx)).toBeNull();
  });

  it('names the program, the argument and why it is dangerous', () => {
    const check = createCommandCheck({ allow: ['git'] });
    expect(check.check('git clone --upload-pack=evil repo', ctx)?.reason).toBe(
      'git argument "--upload-pack=evil" is denied: it makes git run a program as the remote upload-pack or receive-pack',
    );
    expect(check.check('rm -rf /', ctx)?.reason).toBe('program "rm" is not allowed (allowed: git)');
  });

  it('can switch the built-in denied arguments off', () => {
    const check = createCommandCheck({ allow: ['find'], builtinDenyArgs: false });
    expect(check.check('find . -delete', ctx)).toBeNull();
  });

  it('applies built-in rules by basename when the program is listed by path', () => {
    const check = createCommandCheck({ allow: ['/usr/bin/find'] });
    expect(check.check('/usr/bin/find . -delete', ctx)?.ruleId).toBe('args.command.denied-arg');
    expect(check.check('/usr/bin//find .', ctx)).toBeNull();
  });

  it('allows nothing with an empty allowlist', () => {
    expect(createCommandCheck({ allow: [] }).check('ls', ctx)?.reason).toBe(
      'program "ls" is not allowed (allowed: none)',
    );
  });

  it('ignores a git subcommand rule when there is no subcommand', () => {
    expect(createCommandCheck({ allow: ['git'] }).check('git -C /repo -u', ctx)).toBeNull();
  });

  it('has built-in rules for the programs that can run other programs', () => {
    expect(Object.keys(BUILTIN_DENY_ARGS)).toEqual(
      expect.arrayContaining(['git', 'find', 'tar', 'rsync', 'ssh', 'scp', 'curl', 'wget', 'bash', 'python3', 'node']),
    );
  });

  it.each([
    ['scp', 'scp -S evil a b'],
    ['sftp', 'sftp -oProxyCommand=evil host'],
    ['wget', 'wget --execute=x https://e.com'],
    ['wget', 'wget -O /etc/x https://e.com'],
    ['bash', 'bash -c id'],
    ['python3', 'python3 -c "import os"'],
    ['node', 'node -e 1'],
    ['node', 'node --eval=1'],
    ['perl', 'perl -e 1'],
  ])('denies inline code and command hooks of %s: %s', (program, command) => {
    expect(createCommandCheck({ allow: [program] }).check(command, ctx)?.ruleId).toBe('args.command.denied-arg');
  });

  it('does not quote a long argument in full', () => {
    const v = createCommandCheck({ allow: ['find'] }).check(`find . -name x -delete ${'a'.repeat(100)}`, ctx);
    expect(v?.reason).toContain('"-delete"');
  });
});

/**
 * Issue 15, class 7: a real folder tree. `root` (the server's cwd and its only root) holds files, a folder, a
 * symlink to a folder outside it and a symlink called `passwd` that points at /etc/passwd; `outside` is a sibling.
 */
function tree() {
  const top = realpathSync(mkdtempSync(path.join(tmpdir(), 'smg-command-')));
  const root = path.join(top, 'root');
  const outside = path.join(top, 'outside');
  for (const dir of [root, outside, path.join(root, 'src'), path.join(root, 'sub')]) mkdirSync(dir);
  writeFileSync(path.join(root, 'README.md'), '# readme');
  writeFileSync(path.join(root, 'f'), 'a b\nc d\n');
  writeFileSync(path.join(root, 'src', 'a.ts'), '// NOTE');
  writeFileSync(path.join(outside, 'x'), 'secret');
  symlinkSync(outside, path.join(root, 'link-out'));
  symlinkSync('/etc/passwd', path.join(root, 'passwd'));
  return { top, root, outside };
}

const PROGRAMS = [
  'npm',
  'unzip',
  'wc',
  'cat',
  'ls',
  'grep',
  'git',
  'find',
  'awk',
  'gawk',
  'sed',
  'head',
  'tail',
  'sort',
  'tar',
  'xargs',
  'env',
  'nice',
  'timeout',
  'nohup',
  'sudo',
  'bash',
  'zip',
  'less',
  'vim',
  'man',
  'make',
  'perl',
  'curl',
  'wget',
  'ssh',
  'rsync',
  'echo',
  'diff',
  'rg',
];

describe('command check inside roots (issue 15)', () => {
  const { top, root, outside } = tree();
  const confined = { cwd: root, roots: [root] };
  const check = createCommandCheck({ allow: PROGRAMS });
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  // The tuning set: the cases of the issue and of the brief, written from the class before the code.
  it.each([
    ['cat /etc/passwd', 'absolute path'],
    ['cat ../outside/x', 'relative climb'],
    ['cat link-out/x', 'symlink out of the root'],
    ['cat passwd', 'a bare name that is a symlink out of the root'],
    ['grep -r X ..', 'grep on the parent'],
    ['ls -la /root', 'ls of another folder'],
    ['git -C / log', 'git -C'],
    ['git diff --no-index /etc/passwd /dev/null', 'git diff --no-index'],
    ['git --git-dir=/srv/other/.git log', 'git --git-dir='],
    ['git --work-tree .. status', 'git --work-tree'],
    ['tar -xf a.tar -C /tmp', 'tar -C'],
    ['tar -cf - -T /etc/hostname', 'tar -T'],
    ['sort -o /tmp/x f', 'sort -o'],
    ['sort --output=/tmp/x f', 'sort --output='],
    ['grep -f /etc/passwd src', 'grep -f pattern file'],
    ['find / -name x', 'find from /'],
    ['find . -newer /etc/passwd', 'find -newer'],
    ['awk -f /tmp/prog.awk f', 'awk -f'],
    ['sed -f ../outside/x f', 'sed -f'],
    ['cat ~/notes', 'home folder'],
    ['head -n 5 /etc/hosts', 'after an option value'],
    ['cat -- /etc/passwd', 'after --'],
    ['cat file:///etc/passwd', 'file URL'],
    ['cat src/%2e%2e/%2e%2e/outside/x', 'percent-encoded climb'],
    ['curl -o /tmp/x https://example.com', 'curl -o outside'],
    ['grep -R secret .', 'grep -R follows symlinks while recursing'],
    ['tar -xPf a.tar', 'tar -P extracts to absolute paths'],
    ['unzip -: a.zip', 'unzip -: extracts to .. paths'],
    ['unzip a.zip -d /tmp/x', 'unzip -d outside'],
    ['find -L . -name x', 'find -L'],
    ['find . -follow -name x', 'find -follow'],
    ['rg -L secret', 'rg -L'],
    ['tar -czhf out.tgz src', 'tar -h in a bundle'],
    ['rsync -avL src/ sub/', 'rsync -L in a bundle'],
    ['ls -LR .', 'ls -L'],
    ['curl -sSo ../x https://example.com', 'curl -o in a bundle'],
    ['curl --output=/tmp/x https://example.com', 'curl --output='],
    ['curl --output-dir /tmp -O https://example.com/x', 'curl --output-dir'],
    ['wget -O /tmp/x https://example.com', 'wget -O outside'],
    ['wget -P /tmp https://example.com', 'wget -P outside'],
    ['curl -b /etc/passwd https://example.com', 'curl cookie file outside'],
  ])('denies %s (%s) as path-outside-roots', (command) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)?.ruleId).toBe('args.command.path-outside-roots');
  });

  it.each([
    ['git submodule foreach id', 'git submodule foreach'],
    ['git submodule --quiet foreach id', 'git submodule foreach after an option'],
    ['git archive --remote=ext::sh HEAD', 'git archive --remote with ext::'],
    ['git archive --remote origin HEAD', 'git archive --remote'],
    ['git difftool HEAD', 'git difftool'],
    ['git mergetool', 'git mergetool'],
    ['git filter-branch --tree-filter id HEAD', 'git filter-branch'],
    ['git bisect run ./x.sh', 'git bisect run'],
    ['git rebase -x id HEAD~3', 'git rebase -x'],
    ['git credential fill', 'git credential'],
    ['awk \'BEGIN{system("id")}\'', 'awk system()'],
    ['awk \'{print | "sh"}\' f', 'awk print to a command'],
    ['awk \'BEGIN{"id" | getline x; print x}\'', 'awk command | getline'],
    ["gawk -l filefuncs 'BEGIN{}'", 'gawk -l'],
    ['xargs rm', 'xargs'],
    ['xargs', 'xargs alone'],
    ['env ls', 'env running a program (env allowed explicitly)'],
    ['env A=1 ls', 'env with an assignment and a program'],
    ["env -S 'sh -c id'", 'env -S'],
    ['nice ls', 'nice'],
    ['timeout 5 ls', 'timeout'],
    ['nohup ls', 'nohup'],
    ['sudo ls', 'sudo'],
    ["sed '1e id' f", 'sed e command'],
    ["sed 's/a/b/e' f", 'sed s///e'],
    ["zip -T -TT 'sh -c id' a.zip f", 'zip -TT'],
    ["less '+!id' f", 'less +command'],
    ["vim -c '!id' f", 'vim -c'],
    ['man -P id ls', 'man -P'],
    ['make CC=id', 'make variable override'],
    ['make --eval=x', 'make --eval'],
    ['npm exec evil', 'npm exec'],
    ['npm --silent x evil', 'npm x after an option'],
  ])('denies %s (%s) as executes-code', (command) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)?.ruleId).toBe('args.command.executes-code');
  });

  it.each([
    ["sed 's/a/b/w /tmp/x' f", 'sed w flag'],
    ['sed -i s/a/b/ f', 'sed -i'],
    ['awk \'{print > "/tmp/x"}\' f', 'awk print to a file'],
    ['git clone --config core.sshCommand=id r', 'git clone --config'],
    ['git clone --config=core.sshCommand=id r', 'git clone --config='],
    ['git -c core.worktree=/ status', 'git -c core.worktree'],
    ['git --config core.excludesFile=/etc/x clone r', 'git --config core.excludesFile'],
    ['git config commit.template /etc/passwd', 'git config commit.template'],
    ['git rebase --exec id HEAD~3', 'git rebase --exec (older rule)'],
    ['find . -exec id \\;', 'find -exec (older rule)'],
    ['bash -c id', 'bash -c (older rule)'],
    ['perl -e 1', 'perl -e (older rule)'],
    ['ssh -oProxyCommand=id host', 'ssh ProxyCommand (older rule)'],
    ['curl -K cfg https://example.com', 'curl -K (older rule)'],
    ['curl -T f https://example.com', 'curl -T (older rule)'],
    ['rsync -e id a b', 'rsync -e (older rule)'],
    ['tar -xf a.tar --to-command=id', 'tar --to-command (older rule)'],
  ])('denies %s (%s) as denied-arg', (command) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)?.ruleId).toBe('args.command.denied-arg');
  });

  it('denies awk reading the environment as environment', () => {
    expect(check.check('awk \'BEGIN{print ENVIRON["TOKEN"]}\'', confined)?.ruleId).toBe('args.command.environment');
  });

  it.each([
    'git log --oneline -5',
    'git -C sub status',
    'grep -rn NOTE src',
    'ls -la',
    'cat README.md',
    "find . -name '*.ts'",
    "awk '{print $1}' f",
    'sed -n 1,5p f',
    'git diff --no-index /dev/null f',
    'git commit -m "fix /etc/hosts parsing"',
    'git log origin/main',
    'git show HEAD:src/a.ts',
    'git checkout -b feature/x',
    'grep -rn "/api/v1" src',
    'grep -e /usr/bin -r src',
    "awk '/^root/ {print}' f",
    'awk \'{print $1 "|" $2}\' f',
    "awk '$1 > 5 {print $2}' f",
    "sed 's/a|b/c/g' f",
    "sed -e 's/x/y/' -e '/^$/d' f",
    "sed 's/a/w/' f",
    "sed 's/we/re/g' f",
    'find src -type f -newer README.md',
    "find . -path './src/*' -name '*.ts'",
    'curl -sSL https://example.com/a/b',
    'ssh host cat /etc/os-release',
    'echo /etc/passwd',
    'tail -n 20 f',
    'make test',
    'npm test',
    'npm run build',
    'grep -r secret .',
    'find . -type l',
    'ls ./src',
    'cat sub/../README.md',
    'cat src/a.ts f',
    'head -n 5 -- f',
    'env',
    'git -c core.quotepath=off status',
    'tar -czf out.tgz -C src .',
    'unzip -l a.zip',
    'unzip a.zip -d src',
    "rg -n --glob '*.ts' NOTE src",
    'curl -o out.json https://example.com/x',
    "curl -b 'session=abc' https://example.com",
    'curl -sSLO https://example.com/x',
    'wget https://example.com/x',
    'wget -O page.html https://example.com',
  ])('allows %s inside the roots', (command) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)).toBeNull();
  });

  it('names the program, the operand and where it resolves', () => {
    expect(check.check('cat link-out/x', confined)?.reason).toBe(
      `cat operand leaves the roots: path "link-out/x" leaves the allowed directories (${root}) through a symbolic link: it resolves to ${path.join(outside, 'x')}`,
    );
    expect(check.check('git -C / log', confined)?.reason).toMatch(
      /^git option -C leaves the roots: path "\/" is outside/,
    );
    expect(check.check('git submodule foreach id', confined)?.reason).toBe(
      'git submodule foreach is denied: it runs a shell command in every submodule',
    );
    expect(check.check('awk \'BEGIN{system("id")}\'', confined)?.reason).toBe(
      `awk program "BEGIN{system(\\"id\\")}" is denied: it calls system(), which runs a shell command`,
    );
    expect(check.check('timeout 5 ls', confined)?.reason).toBe(
      'timeout "5" is denied: timeout runs the command given in its arguments',
    );
    expect(check.check('sudo ls', confined)?.reason).toBe('sudo is denied: it runs a command as another user');
  });

  it('keeps the older behaviour without roots: paths anywhere, code execution still denied', () => {
    const noRoots = { cwd: root };
    for (const command of ['cat /etc/passwd', 'grep -r X ..', 'git -C / log', 'cat link-out/x', 'grep -R x .']) {
      expect(check.check(command, noRoots), command).toBeNull();
      expect(check.check(command, { cwd: root, roots: [] }), command).toBeNull();
    }
    expect(check.check('git submodule foreach id', noRoots)?.ruleId).toBe('args.command.executes-code');
  });

  it.each([
    ['cat */x', 'a glob through the symlink'],
    ['grep -r secret *', 'a bare * that expands to the symlink'],
    ['cat l*/x', 'a glob naming the symlink'],
    ['cat [l]ink-out/x', 'a bracket glob'],
    ['cat [!a]ink-out/?', 'a negated class and ?'],
    ['cat /etc/pass*', 'an absolute glob'],
    ['ls ../*', 'a glob on the parent'],
    ['cat [z-a]*', 'an invalid class, read as matching anything'],
  ])('expands the unquoted glob %s (%s) and denies a match outside', (command) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)?.ruleId).toBe('args.command.path-outside-roots');
  });

  it.each([
    'cat src/*.ts',
    'ls *.md',
    'wc -l src/*',
    'ls nothing*',
    "ls 'l*'",
    'ls src/[a',
    'grep -c x s?c/a.ts',
    'ls src/*[',
    'cat f/*',
  ])('allows the glob %s whose matches stay inside', (command) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)).toBeNull();
  });

  it('fails closed on a glob with too many matches', () => {
    const many = path.join(root, 'many');
    mkdirSync(many);
    for (let i = 0; i <= MAX_GLOB_MATCHES; i++) writeFileSync(path.join(many, `f${i}`), '');
    expect(check.check('ls many/*', confined)?.reason).toBe(
      `ls glob "many/*" matches more than ${MAX_GLOB_MATCHES} paths, too many to check`,
    );
    rmSync(many, { recursive: true });
  });

  it('confines a download into the cwd when the cwd is outside the roots', () => {
    const away = { cwd: outside, roots: [root] };
    expect(check.check('curl -O https://example.com/x', away)?.reason).toMatch(
      /^curl download into the cwd leaves the roots: path "\." is outside/,
    );
    expect(check.check('wget https://example.com/x', away)?.ruleId).toBe('args.command.path-outside-roots');
    expect(check.check('curl https://example.com/x', away)).toBeNull();
  });

  it('still denies curl -o and wget -O without roots', () => {
    expect(check.check('curl -o out.json https://example.com', { cwd: root })?.ruleId).toBe('args.command.denied-arg');
    expect(check.check('wget -O x https://example.com', { cwd: root })?.ruleId).toBe('args.command.denied-arg');
  });

  it('confines paths under any of several roots', () => {
    const two = { cwd: root, roots: [root, `file://${outside}`] };
    expect(check.check('cat ../outside/x', two)).toBeNull();
    expect(check.check('cat /etc/passwd', two)?.ruleId).toBe('args.command.path-outside-roots');
  });

  it('switches the execution table off with the built-in denied arguments', () => {
    const off = createCommandCheck({ allow: PROGRAMS, builtinDenyArgs: false });
    expect(off.check('git submodule foreach id', confined)).toBeNull();
    expect(off.check('cat /etc/passwd', confined)?.ruleId).toBe('args.command.path-outside-roots');
  });

  it('fails closed on a path it cannot resolve', () => {
    mkdirSync(path.join(root, 'locked'), { recursive: true });
    symlinkSync('loop-b', path.join(root, 'loop-a'));
    symlinkSync('loop-a', path.join(root, 'loop-b'));
    expect(check.check('cat loop-a', confined)?.reason).toMatch(/cat operand leaves the roots: .*cannot be resolved/);
  });
});

/**
 * Held out from tuning: written from the class after the code, run once; the first result is in the report of
 * issue 15 (class 7). Same tree as above.
 */
describe('command check inside roots, held-out cases (issue 15)', () => {
  const { top, root } = tree();
  const confined = { cwd: root, roots: [root] };
  const check = createCommandCheck({
    allow: [...PROGRAMS, 'cp', 'stat', 'xxd', 'wc', 'stdbuf', 'node', 'mawk', 'mkdir', 'tee'],
  });
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it.each([
    ['diff f /etc/hosts', 'args.command.path-outside-roots'],
    ['cp src/a.ts /tmp/x', 'args.command.path-outside-roots'],
    ['tail -f -n1 ../outside/x', 'args.command.path-outside-roots'],
    ['cat src/../../outside/x', 'args.command.path-outside-roots'],
    ['ls -la link-out/', 'args.command.path-outside-roots'],
    ['git grep -f /etc/passwd', 'args.command.path-outside-roots'],
    ['wc --files0-from=/etc/hostname', 'args.command.path-outside-roots'],
    ['grep x /proc/self/cmdline', 'args.command.path-outside-roots'],
    ['stat /', 'args.command.path-outside-roots'],
    ['git -C sub --git-dir=../../outside log', 'args.command.path-outside-roots'],
    ['xxd ./link-out/x', 'args.command.path-outside-roots'],
    ['rg foo ../', 'args.command.path-outside-roots'],
    ['git log -- ../outside', 'args.command.path-outside-roots'],
    ['git --work-tree=/ --git-dir=.git status', 'args.command.path-outside-roots'],
    ['tar -czf /tmp/out.tgz src', 'args.command.path-outside-roots'],
    ['find src -samefile /etc/passwd', 'args.command.path-outside-roots'],
    ['grep -r --include=x root /etc', 'args.command.path-outside-roots'],
    ['cat .//../outside/x', 'args.command.path-outside-roots'],
    ['mkdir -p /tmp/smg-x', 'args.command.path-outside-roots'],
    ['tee /tmp/smg-y', 'args.command.path-outside-roots'],
    ['awk \'BEGIN{while(("id"|getline l)>0)print l}\'', 'args.command.executes-code'],
    ['gawk \'BEGIN{print ENVIRON["HOME"]}\'', 'args.command.environment'],
    ["sed 'R /etc/passwd' f", 'args.command.denied-arg'],
    ['find . -fls /tmp/x', 'args.command.denied-arg'],
    ['rg --pre=./x foo', 'args.command.executes-code'],
    ['timeout 1 sh', 'args.command.executes-code'],
    ['less +!id f', 'args.command.executes-code'],
    ["vim '+!id'", 'args.command.executes-code'],
    ['git bisect run sh', 'args.command.executes-code'],
    ['make -f ../outside/Makefile', 'args.command.path-outside-roots'],
    ['make SHELL=/bin/sh', 'args.command.executes-code'],
    ['xargs -a f cat', 'args.command.executes-code'],
    ['stdbuf -o0 id', 'args.command.executes-code'],
    ['awk -e \'BEGIN{system("id")}\'', 'args.command.executes-code'],
    ["sed -e p -e '$e id' f", 'args.command.executes-code'],
    ['git -c core.fsmonitor=id status', 'args.command.denied-arg'],
    ['node --eval 1', 'args.command.denied-arg'],
    ['sed --in-place=.bak s/a/b/ f', 'args.command.denied-arg'],
    ['awk \'{ print $0 |& "cat" }\' f', 'args.command.executes-code'],
    ['git submodule foreach --recursive id', 'args.command.executes-code'],
    ['env -i PATH=/x ls', 'args.command.executes-code'],
    ['nice -n 5 ls', 'args.command.executes-code'],
    ['git fetch --upload-pack=id origin', 'args.command.denied-arg'],
    ['man --pager=id ls', 'args.command.executes-code'],
    ['mawk \'BEGIN { system("id") }\'', 'args.command.executes-code'],
    ['vim -S /tmp/x', 'args.command.executes-code'],
    ['ssh -F /tmp/cfg host', 'args.command.executes-code'],
    ['git mergetool --tool=x', 'args.command.executes-code'],
  ])('denies %s as %s', (command, ruleId) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)?.ruleId).toBe(ruleId);
  });

  it.each([
    "git log --format='%an/%ae' -3",
    'git blame src/a.ts',
    'wc -l src/a.ts f',
    "grep -c '^/' f",
    'find . -maxdepth 2 -type d',
    "awk -F: '{print $1}' f",
    "awk -v x=/tmp '{print x}' f",
    "sed 's#/usr/local#/opt#g' f",
    'diff f README.md',
    'git diff HEAD~1 -- src',
    'ls -d src/',
    'head -c 100 f',
    'tail -n +2 f',
    'cat ./f',
    'git stash list',
    'git cherry-pick -x abc123',
    'make -C sub test',
    'sort -k 2 f',
    'echo a/b',
    'grep -rl "import /" src',
    'curl https://example.com/etc/passwd',
    'git remote add origin git@github.com:org/repo.git',
    'rsync -av src/ sub/',
    'tar -tzf out.tgz',
  ])('allows %s', (command) => {
    for (let i = 0; i < 2; i++) expect(check.check(command, confined)).toBeNull();
  });
});
