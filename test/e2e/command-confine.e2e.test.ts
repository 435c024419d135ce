/**
 * The `command` rule confines file operands and refuses programs that run other programs (issue 15, class 7),
 * through the built gateway: a recording fixture server proves that a denied command line never reaches the
 * upstream, while ordinary commands inside the server's roots do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureServer, recorded, startGateway, tempDir, textOf } from '../helpers/gateway.js';

/** A root with a file, a folder and a symlink to a folder outside it. */
function workspace() {
  const home = tempDir();
  const root = fs.realpathSync(tempDir('smg-cmd-root-'));
  const outside = fs.realpathSync(tempDir('smg-cmd-outside-'));
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'README.md'), '# readme');
  fs.writeFileSync(path.join(outside, 'x'), 'top secret');
  fs.symlinkSync(outside, path.join(root, 'escape'));
  return { home, root, outside, record: path.join(home, 'rec.jsonl') };
}

const DENIED = (outside: string): [string, string][] => [
  ['cat /etc/passwd', 'args.command.path-outside-roots'],
  [`cat ${path.join(outside, 'x')}`, 'args.command.path-outside-roots'],
  ['cat escape/x', 'args.command.path-outside-roots'],
  ['grep -r secret ..', 'args.command.path-outside-roots'],
  ['git -C / log', 'args.command.path-outside-roots'],
  ['git diff --no-index /etc/passwd /dev/null', 'args.command.path-outside-roots'],
  ['git submodule foreach id', 'args.command.executes-code'],
  ['git archive --remote=ext::sh HEAD', 'args.command.executes-code'],
  ['awk \'BEGIN{system("id")}\'', 'args.command.executes-code'],
  ['xargs rm', 'args.command.executes-code'],
];

const ALLOWED = ['git log --oneline -5', 'grep -rn TODO src', 'ls -la', 'cat README.md', "find . -name '*.ts'"];

describe('command rule end to end (issue 15)', () => {
  it('keeps file operands inside the roots and refuses programs that run other programs', async () => {
    const { home, root, outside, record } = workspace();
    const gw = await startGateway(
      {
        servers: {
          sh: {
            ...fixtureServer('files-server.ts'),
            cwd: root,
            roots: [root],
            env: { RECORD_FILE: record },
            arguments: {
              'run_command.command': { kind: 'command', allow: ['cat', 'git', 'grep', 'ls', 'awk', 'xargs', 'find'] },
            },
          },
        },
      },
      { home },
    );
    for (const [command, rule] of DENIED(outside)) {
      const r = await gw.client.callTool({ name: 'sh__run_command', arguments: { command } });
      expect(r.isError, command).toBe(true);
      expect(textOf(r), command).toContain(`blocked by parameter check ${rule}: argument command`);
    }
    for (const command of ALLOWED) {
      const r = await gw.client.callTool({ name: 'sh__run_command', arguments: { command } });
      expect(textOf(r), command).toBe('ran');
    }
    expect(recorded(record).map((c) => c.args.command)).toEqual(ALLOWED);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('confines the inferred command check to the server cwd, and leaves paths free without roots', async () => {
    const { home, root, record } = workspace();
    const gw = await startGateway(
      {
        servers: {
          scoped: { ...fixtureServer('files-server.ts'), cwd: root, env: { RECORD_FILE: record } },
          free: { ...fixtureServer('files-server.ts'), env: { RECORD_FILE: record } },
        },
      },
      { home },
    );
    const scoped = await gw.client.callTool({
      name: 'scoped__run_command',
      arguments: { command: 'cat /etc/hostname' },
    });
    expect(textOf(scoped)).toContain('blocked by parameter check args.command.path-outside-roots');
    const free = await gw.client.callTool({ name: 'free__run_command', arguments: { command: 'cat /etc/hostname' } });
    expect(textOf(free)).toBe('ran');
    const exec = await gw.client.callTool({ name: 'free__run_command', arguments: { command: 'xargs rm' } });
    expect(textOf(exec)).toContain('blocked by parameter check args.command.executes-code');
    expect(recorded(record).map((c) => c.args.command)).toEqual(['cat /etc/hostname']);
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
