/**
 * The command tree as a whole: every command that runs something accepts `-c, --config <path>` (issue 15, class
 * 14: `keys revoke` refused it), so that one config (and its shared state store) can be named on any command.
 */
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';

/** Every command that has an action: the leaves, by their full name ("keys revoke"). */
function leaves(cmd: Command, prefix: string[] = []): { name: string; cmd: Command }[] {
  return cmd.commands.flatMap((sub) => {
    const name = [...prefix, sub.name()];
    return sub.commands.length > 0 ? leaves(sub, name) : [{ name: name.join(' '), cmd: sub }];
  });
}

describe('the command line', () => {
  const all = leaves(buildProgram());

  it('has the commands this test walks (a sanity check of the walk)', () => {
    const names = all.map((l) => l.name);
    for (const n of ['start', 'serve', 'keys revoke', 'keys list', 'tools approve', 'tools reset-pins', 'init'])
      expect(names).toContain(n);
    expect(names.length).toBeGreaterThan(30);
  });

  it.each(leaves(buildProgram()).map((l) => [l.name, l.cmd] as const))('%s accepts -c, --config <path>', (_n, cmd) => {
    const option = cmd.options.find((o) => o.long === '--config');
    expect(option?.short).toBe('-c');
    expect(option?.flags).toBe('-c, --config <path>');
    expect(option?.required).toBe(true); // the value is required when the option is given
  });

  it('parses --config on a command that used to refuse it, and hands it to the action', async () => {
    const program = buildProgram();
    const revoke = leaves(program).find((l) => l.name === 'keys revoke')!.cmd;
    let seen: unknown;
    revoke.action((id: string, o: { config?: string }) => {
      seen = [id, o.config];
    });
    for (let i = 0; i < 2; i++) {
      seen = undefined;
      await program.parseAsync(['keys', 'revoke', 'abc', '--config', '/x/config.json'], { from: 'user' });
      expect(seen).toEqual(['abc', '/x/config.json']);
    }
  });

  it.each([
    ['install', ['--client', '--all', '--project', '--command', '--dry-run', '--config']],
    ['uninstall', ['--client', '--all', '--project', '--dry-run', '--config']],
  ])('%s lists only its own options (no install-only --command on uninstall)', (name, expected) => {
    const cmd = leaves(buildProgram()).find((l) => l.name === name)!.cmd;
    expect(cmd.options.map((o) => o.long)).toEqual(expected);
    expect(cmd.helpInformation().includes('--command')).toBe(name === 'install');
  });

  it.each([
    ['install', 'cursr', 'unknown client "cursr"; did you mean "cursor"? (known: claude-desktop, cursor,'],
    ['uninstall', 'vs-code', 'unknown client "vs-code"; did you mean "vscode"? (known: claude-desktop, cursor,'],
    ['install', 'emacs', 'unknown client "emacs" (known: claude-desktop, cursor,'],
  ])('%s --client %s is a usage error (exit 2) that names the nearest client', async (verb, id, message) => {
    for (let i = 0; i < 2; i++) {
      const error = await buildProgram()
        .parseAsync([verb, '--client', id, '--dry-run'], { from: 'user' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).exitCode).toBe(2);
      expect((error as CommanderError).code).toBe('smg.client');
      expect((error as CommanderError).message.startsWith(message)).toBe(true);
    }
  });

  it('rejects --command on uninstall as an unknown option', async () => {
    const program = buildProgram().configureOutput({ writeErr: () => undefined });
    program.commands.forEach((c) => c.configureOutput({ writeErr: () => undefined }));
    const error = await program.parseAsync(['uninstall', '--all', '--command', 'x'], { from: 'user' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as CommanderError).code).toBe('commander.unknownOption');
  });
});
