/**
 * The command tree as a whole: every command that runs something accepts `-c, --config <path>` (issue 15, class
 * 14: `keys revoke` refused it), so that one config (and its shared state store) can be named on any command.
 */
import type { Command } from 'commander';
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
});
