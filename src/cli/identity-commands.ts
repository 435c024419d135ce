/**
 * commander wiring of the identity admin commands (`keys`, `project`, `user`, `member`, `role`); the work is in
 * identity.ts. Kept apart from main.ts so that main.ts only calls `addIdentityCommands`.
 */
import type { Command, Option } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import { resolvePaths } from '../config/paths.js';
import { GatewayError } from '../errors.js';
import type { RedisStore } from '../state/redis.js';

interface Opts {
  config?: string;
}

function out(lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function addIdentityCommands(program: Command, configOption: () => Option): void {
  const id = () => import('./identity.js');
  // The config schema loads with the command that reads a config, not with the program (issue 21).
  const loadConfig = async (file: string) => (await import('../config/load.js')).loadConfig(file);
  const configFile = (o: Opts) => resolvePaths({ config: o.config }).config;
  const home = () => resolvePaths().home;
  /**
   * The config, when there is one: a key command needs it only for the shared state store. Without --config and
   * without a config file, the keys are keys.json's alone.
   */
  const configIfAny = async (o: Opts): Promise<LoadedConfig | undefined> => {
    try {
      return await loadConfig(configFile(o));
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'CONFIG_MISSING' && o.config === undefined) return undefined;
      throw error;
    }
  };
  /** Runs a key command with the shared state store of the config (Redis), if any, and closes it after. */
  const withShared = async <T>(
    loaded: LoadedConfig | undefined,
    fn: (shared: RedisStore | undefined) => Promise<T>,
  ): Promise<T> => {
    const { commandRedisStore } = await import('../state/create.js');
    const shared = loaded === undefined ? undefined : commandRedisStore(loaded.state);
    try {
      return await fn(shared);
    } finally {
      await shared?.close();
    }
  };

  const keys = program.command('keys').description('gateway keys (smg_<id>_<secret>): keys.json keeps only hashes');
  keys
    .command('create')
    .description('create a key for a member of a project; it is printed once')
    .requiredOption('-p, --project <name>', 'the project')
    .requiredOption('-u, --user <email>', 'the user (a member of the project)')
    .option('-e, --expires <duration>', 'lifetime: 90d, 12h, 2w, or never', '90d')
    .option('--json', 'print {key, id, ...} as JSON')
    .addOption(configOption())
    .action(async (o: Opts & { project: string; user: string; expires: string; json?: boolean }) => {
      const loaded = await loadConfig(configFile(o));
      const r = await withShared(loaded, async (shared) => (await id()).createKey(loaded, home(), o, shared));
      out(o.json ? [JSON.stringify({ key: r.key, ...r.record, hash: undefined })] : r.lines);
    });
  keys
    .command('list')
    .description('every key: id, status, project, user, created, expires, last used (never a secret)')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (o: Opts & { json?: boolean }) =>
      out(
        await withShared(await configIfAny(o), async (shared) =>
          (await id()).listKeys(home(), o.json === true, shared),
        ),
      ),
    );
  for (const verb of ['revoke', 'disable', 'enable'] as const)
    keys
      .command(verb)
      .description(
        verb === 'revoke'
          ? 'revoke a key for good; a running gateway refuses it on the next request'
          : `${verb} a key (a disabled key is refused until enabled again)`,
      )
      .argument('<id>', 'the key id')
      .addOption(configOption())
      .action(async (keyId: string, o: Opts) =>
        out(
          await withShared(await configIfAny(o), async (shared) => (await id()).changeKey(home(), verb, keyId, shared)),
        ),
      );
  keys
    .command('rotate')
    .description('a new key for the same project and user (same lifetime); the old one is revoked')
    .argument('<id>', 'the key id')
    .addOption(configOption())
    .action(async (keyId: string, o: Opts) =>
      out(await withShared(await configIfAny(o), async (shared) => (await id()).rotateKey(home(), keyId, shared))),
    );

  const project = program.command('project').description('projects: each has its own servers');
  project
    .command('create')
    .argument('<name>')
    .description('add a project to the config')
    .option('-s, --servers <list>', 'comma-separated server names', list)
    .option('--policy <name>', 'the policy for the project’s calls')
    .addOption(configOption())
    .action(async (name: string, o: Opts & { servers?: string[]; policy?: string }) =>
      out((await id()).createProject(configFile(o), name, o)),
    );
  project
    .command('list')
    .description('projects, their servers and members')
    .addOption(configOption())
    .action(async (o: Opts) => out((await id()).listProjects(await loadConfig(configFile(o)))));
  project
    .command('remove')
    .argument('<name>')
    .description('remove a project and its memberships')
    .addOption(configOption())
    .action(async (name: string, o: Opts) => out((await id()).removeProject(configFile(o), name)));

  const user = program.command('user').description('users, by email');
  user
    .command('add')
    .argument('<email>')
    .description('add a user')
    .option('-n, --name <name>', 'display name')
    .addOption(configOption())
    .action(async (email: string, o: Opts & { name?: string }) => {
      const r = (await id()).addUser(configFile(o), email, o);
      out(r.lines);
      // stderr: the warning is for the person at the terminal, not for a script reading stdout.
      if (r.warning.length > 0) process.stderr.write(`${r.warning.join('\n')}\n`);
    });
  user
    .command('remove')
    .argument('<email>')
    .description('remove a user and their memberships')
    .addOption(configOption())
    .action(async (email: string, o: Opts) => out((await id()).removeUser(configFile(o), email)));

  const member = program.command('member').description('project memberships: user × project → role');
  member
    .command('add')
    .description('make a user a member of a project with a role (or change their role)')
    .requiredOption('-p, --project <name>', 'the project')
    .requiredOption('-u, --user <email>', 'the user')
    .requiredOption('-r, --role <role>', 'the role')
    .addOption(configOption())
    .action(async (o: Opts & { project: string; user: string; role: string }) =>
      out((await id()).addMember(configFile(o), o)),
    );
  member
    .command('remove')
    .description('remove a user from a project')
    .requiredOption('-p, --project <name>', 'the project')
    .requiredOption('-u, --user <email>', 'the user')
    .addOption(configOption())
    .action(async (o: Opts & { project: string; user: string }) => out((await id()).removeMember(configFile(o), o)));

  const collect = (v: string, prev: string[]) => [...prev, v];
  const role = program
    .command('role')
    .description('roles: which servers and tools their members may use (SERVER:TOOLGLOB grants; "*" is every server)');
  role
    .command('list')
    .description('every role and its grants')
    .addOption(configOption())
    .action(async (o: Opts) => out((await id()).listRoles(await loadConfig(configFile(o)))));
  role
    .command('add')
    .argument('<name>')
    .description('add a role: what its members may use on which servers')
    .option(
      '-g, --grant <server[:toolglob]>',
      'a server (every tool) or SERVER:TOOLGLOB; "*" is every server of the project; repeatable',
      collect,
      [],
    )
    .option(
      '--deny <server:toolglob>',
      'tools the role may never use, even when a grant matches; repeatable',
      collect,
      [],
    )
    .option('--from <role>', 'start from a copy of this role')
    .option('--policy <name>', 'the policy for the role’s calls')
    .option('-d, --description <text>', 'free text for humans')
    .addOption(configOption())
    .action(
      async (
        name: string,
        o: Opts & { grant: string[]; deny: string[]; from?: string; policy?: string; description?: string },
      ) => out((await id()).addRole(configFile(o), name, o)),
    );
  role
    .command('grant')
    .argument('<name>')
    .argument('[grants...]', 'SERVER (every tool) or SERVER:TOOLGLOB; "*" is every server of the project')
    .description('let a role use more servers or tools (or deny some with --deny)')
    .option(
      '--deny <server:toolglob>',
      'tools the role may never use, even when a grant matches; repeatable',
      collect,
      [],
    )
    .addOption(configOption())
    .action(async (name: string, grants: string[], o: Opts & { deny: string[] }) =>
      out((await id()).grantRole(configFile(o), name, grants, o)),
    );
  role
    .command('revoke')
    .argument('<name>')
    .argument('<grants...>', 'SERVER (its whole grant) or SERVER:TOOLGLOB (one glob of it)')
    .description('take back a server or a tool glob from a role (never widens what is left)')
    .addOption(configOption())
    .action(async (name: string, grants: string[], o: Opts) =>
      out((await id()).revokeRole(configFile(o), name, grants)),
    );
  role
    .command('remove')
    .argument('<name>')
    .description('remove a role; refused while a member holds it, unless --force (which removes those memberships)')
    .option('--force', 'also remove the memberships that hold the role')
    .addOption(configOption())
    .action(async (name: string, o: Opts & { force?: boolean }) =>
      out((await id()).removeRole(configFile(o), name, o)),
    );
}
