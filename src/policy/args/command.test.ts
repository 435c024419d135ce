import { describe, expect, it } from 'vitest';
import { BUILTIN_DENY_ARGS, createCommandCheck } from './command.js';
import { COMMAND_ATTACKS, COMMAND_BENIGN } from './corpus.js';

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
