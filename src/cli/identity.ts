/**
 * The admin commands of the identity model (issue 6): `keys create/list/revoke/rotate/disable/enable`,
 * `project create/list/remove`, `user add/remove`, `member add/remove`, `role list/add/grant/revoke/remove`
 * (issue 17: a team is set up from the CLI alone, and a name that is not there says how to create it). A change to
 * a role never widens what it does not name: a server-specific grant starts from the role's "*" grant, and a revoke
 * that the "*" grant would undo is refused. Config changes go through
 * config-edit.ts (validated, atomic, formatting kept); `serve` picks them up by itself. Key changes go through the
 * key store (identity/keys.ts), which a running gateway re-reads on the next request. Each function returns the
 * lines to print; main.ts does the printing and the exit codes.
 */
import { CommanderError } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import { EMAIL_PATTERN, IDENTITY_NAME_PATTERN, type RoleConfig, type RoleGrant } from '../identity/config-schema.js';
import { KeyStore, keysFile, parseDuration, type KeyRecord } from '../identity/keys.js';
import { createNameMatcher } from '../policy/glob.js';
import type { RedisStore } from '../state/redis.js';
import { editConfig, type ConfigChange } from './config-edit.js';
import { closestName } from '../util/did-you-mean.js';

const USAGE = 2;
const DAY_MS = 86_400_000;

/** `keys create` without --expires (issue 17): a key that leaks, or is forgotten, stops working by itself. */
export const DEFAULT_KEY_LIFETIME = '90d';

function usage(message: string): never {
  throw new CommanderError(USAGE, 'smg.usage', message);
}

function findUser(loaded: LoadedConfig, email: string): string | undefined {
  return Object.keys(loaded.config.users).find((u) => u.toLowerCase() === email.toLowerCase());
}

export function keyStatus(r: KeyRecord, now = Date.now()): string {
  if (r.revokedAt) return 'revoked';
  if (r.disabled) return 'disabled';
  if (r.expiresAt !== undefined && Date.parse(r.expiresAt) <= now) return 'expired';
  return 'active';
}

/** keys.json under `home`, and the shared store's keys when the config has one (loaded before use). */
function keyStore(home: string, shared: RedisStore | undefined): KeyStore {
  return new KeyStore({ file: keysFile(home), ...(shared ? { shared } : {}) });
}

export async function createKey(
  loaded: LoadedConfig,
  home: string,
  opts: { project: string; user: string; expires?: string },
  shared?: RedisStore,
): Promise<{ key: string; record: KeyRecord; lines: string[] }> {
  const { project, user } = opts;
  if (!(project in loaded.config.projects)) usage(`no project named "${project}" in ${loaded.file}`);
  const email = findUser(loaded, user);
  if (email === undefined) usage(`no user "${user}" in ${loaded.file} (add one with \`user add ${user}\`)`);
  const members = loaded.config.memberships[project] ?? {};
  if (!Object.keys(members).some((m) => m.toLowerCase() === email.toLowerCase()))
    usage(
      `${email} is not a member of project ${project} (add with \`member add --project ${project} --user ${email} --role ROLE\`)`,
    );
  const expires = opts.expires ?? DEFAULT_KEY_LIFETIME;
  let expiresInMs: number | undefined;
  if (expires.trim() !== 'never')
    try {
      expiresInMs = parseDuration(expires);
    } catch (error) {
      usage(`--expires: ${error instanceof Error ? error.message : String(error)}, or "never"`);
    }
  const store = keyStore(home, shared);
  await store.ready(); // a key that cannot be shared is not created at all
  const { key, record } = store.create({ project, user: email, ...(expiresInMs !== undefined ? { expiresInMs } : {}) });
  await store.share(record);
  return {
    key,
    record,
    lines: [
      key,
      '',
      `gateway key ${record.id} for ${record.user} in project ${project}, ${expiryWords(record.expiresAt)}.`,
      `It is shown only now; keys.json${shared ? ` and the shared state store (Redis at ${shared.where})` : ''} keep a hash. Put it in the client config as SMG_GATEWAY_KEY (stdio) or send it as "Authorization: Bearer <key>" (serve).`,
    ],
  };
}

/** "expires <time> (in 90 days)" or "never expires (--expires never)": the line `keys create` prints. */
export function expiryWords(expiresAt: string | undefined, now = Date.now()): string {
  if (expiresAt === undefined) return 'never expires (--expires never)';
  const left = Date.parse(expiresAt) - now;
  const hours = Math.round(left / 3_600_000);
  const days = Math.round(left / DAY_MS);
  const within =
    days >= 2 ? `${days} days` : hours >= 2 ? `${hours} hours` : `${Math.max(1, Math.round(left / 60_000))} minutes`;
  return `expires ${expiresAt} (in ${within})`;
}

export async function listKeys(home: string, json: boolean, shared?: RedisStore): Promise<string[]> {
  const store = keyStore(home, shared);
  await store.ready();
  const keys = store.list();
  if (json)
    return [
      JSON.stringify(
        keys.map((k) => ({ ...k, hash: undefined, status: keyStatus(k) })),
        null,
        2,
      ),
    ];
  if (keys.length === 0) return ['no gateway keys'];
  const rows = keys.map((k) => [
    k.id,
    keyStatus(k),
    k.project,
    k.user,
    k.createdAt.slice(0, 19),
    k.expiresAt?.slice(0, 19) ?? 'never',
    k.lastUsedAt?.slice(0, 19) ?? 'never',
  ]);
  const head = ['ID', 'STATUS', 'PROJECT', 'USER', 'CREATED', 'EXPIRES', 'LAST USED'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export async function changeKey(
  home: string,
  verb: 'revoke' | 'disable' | 'enable',
  id: string,
  shared?: RedisStore,
): Promise<string[]> {
  const r = await keyStore(home, shared).changeEverywhere(id, verb);
  return [`gateway key ${r.id} (${r.user}, ${r.project}): ${keyStatus(r)}`];
}

export async function rotateKey(home: string, id: string, shared?: RedisStore): Promise<string[]> {
  const store = keyStore(home, shared);
  await store.ready();
  const { key, record } = store.rotate(id);
  await store.share(record);
  await store.changeEverywhere(id, 'revoke');
  return [
    key,
    '',
    `gateway key ${record.id} replaces ${id} (now revoked) for ${record.user} in project ${record.project}.`,
    'It is shown only now.',
  ];
}

export function createProject(file: string, name: string, opts: { servers?: string[]; policy?: string }): string[] {
  if (!IDENTITY_NAME_PATTERN.test(name)) usage(`"${name}" is not a valid project name`);
  const loaded = editConfig(file, (cur) => {
    if (name in cur.config.projects) usage(`project ${name} already exists`);
    return [
      {
        path: ['projects', name],
        value: { servers: opts.servers ?? [], ...(opts.policy !== undefined ? { policy: opts.policy } : {}) },
      },
    ];
  });
  return [`project ${name} created with servers: ${loaded.config.projects[name]!.servers.join(', ') || '(none)'}`];
}

export function listProjects(loaded: LoadedConfig): string[] {
  const entries = Object.entries(loaded.config.projects);
  if (entries.length === 0) return ['no projects'];
  return entries.map(([name, p]) => {
    const members = Object.entries(loaded.config.memberships[name] ?? {}).map(([u, r]) => `${u} (${r})`);
    return `${name}: servers ${p.servers.join(', ') || '(none)'}; members ${members.join(', ') || '(none)'}${p.policy ? `; policy ${p.policy}` : ''}`;
  });
}

export function removeProject(file: string, name: string): string[] {
  editConfig(file, (cur) => {
    if (!(name in cur.config.projects)) usage(`no project named "${name}"`);
    return [
      { path: ['memberships', name], value: undefined },
      { path: ['projects', name], value: undefined },
    ];
  });
  return [`project ${name} removed, with its memberships (its keys no longer authenticate)`];
}

/**
 * What to do once the config has users: the words of `user add`'s warning on the first user and of doctor's
 * identity check, so that both say the same. Only the key `init --with-key` keeps is written into client entries
 * by `install`; a key from `keys create` is put into a client's config by hand.
 */
export function keyRequiredSteps(email = 'EMAIL'): string[] {
  return [
    `for this machine's clients: secure-mcp-gateway init --with-key ${email} (adds a project, a role, the membership and a key kept for install), then secure-mcp-gateway install --client NAME again so that they get SMG_GATEWAY_KEY`,
    `for someone else: secure-mcp-gateway member add --project P --user ${email} --role R, then secure-mcp-gateway keys create --project P --user ${email}, and SMG_GATEWAY_KEY=<the key> in their client's MCP config`,
    `to return to solo mode: secure-mcp-gateway user remove ${email}`,
  ];
}

/**
 * Adds a user. The first user ends solo mode: from then on the stdio gateway refuses every client without a gateway
 * key, so a client that worked a minute ago gets "refused this client". `warning` says so (the caller prints it
 * on stderr); it is empty when the config had users already.
 */
export function addUser(file: string, email: string, opts: { name?: string }): { lines: string[]; warning: string[] } {
  if (!EMAIL_PATTERN.test(email)) usage(`"${email}" is not an email address`);
  let first = false;
  editConfig(file, (cur) => {
    if (findUser(cur, email) !== undefined) usage(`user ${email} already exists`);
    first = Object.keys(cur.config.users).length === 0;
    return [{ path: ['users', email], value: opts.name !== undefined ? { name: opts.name } : {} }];
  });
  const warning = first
    ? [
        `warning: ${email} is the first user, so the stdio gateway has left solo mode: it now refuses every client without a gateway key (SMG_GATEWAY_KEY), clients installed before included. Next:`,
        ...keyRequiredSteps(email).map((s) => `  - ${s}`),
      ]
    : [];
  return { lines: [`user ${email} added`], warning };
}

export function removeUser(file: string, email: string): string[] {
  const loaded = editConfig(file, (cur) => {
    const key = findUser(cur, email);
    if (key === undefined) usage(`no user "${email}"`);
    const changes = Object.entries(cur.config.memberships).flatMap(([project, members]) =>
      Object.keys(members)
        .filter((m) => m.toLowerCase() === key.toLowerCase())
        .map((m) => ({ path: ['memberships', project, m], value: undefined })),
    );
    return [...changes, { path: ['users', key], value: undefined }];
  });
  return [
    `user ${email} removed, with their memberships (their keys no longer authenticate)`,
    // The way back that `user add`'s warning offers: say that it happened.
    ...(Object.keys(loaded.config.users).length === 0
      ? ['no users left: the stdio gateway is in solo mode again (the local user, no gateway key needed)']
      : []),
  ];
}

export function addMember(file: string, opts: { project: string; user: string; role: string }): string[] {
  editConfig(file, (cur) => {
    if (!(opts.project in cur.config.projects)) usage(`no project named "${opts.project}"`);
    const key = findUser(cur, opts.user);
    if (key === undefined) usage(`no user "${opts.user}" (add one with \`user add\`)`);
    if (!(opts.role in cur.config.roles))
      usage(notFound('role', opts.role, Object.keys(cur.config.roles), createRoleHint(opts.role)));
    return [{ path: ['memberships', opts.project, key], value: opts.role }];
  });
  return [`${opts.user} is now ${opts.role} in project ${opts.project}`];
}

export function removeMember(file: string, opts: { project: string; user: string }): string[] {
  editConfig(file, (cur) => {
    const members = cur.config.memberships[opts.project] ?? {};
    const key = Object.keys(members).find((m) => m.toLowerCase() === opts.user.toLowerCase());
    if (key === undefined) usage(`${opts.user} is not a member of project ${opts.project}`);
    return [{ path: ['memberships', opts.project, key], value: undefined }];
  });
  return [`${opts.user} removed from project ${opts.project}`];
}

export function listRoles(loaded: LoadedConfig): string[] {
  const entries = Object.entries(loaded.config.roles);
  if (entries.length === 0)
    return ['no roles (add one with `secure-mcp-gateway role add NAME --grant SERVER[:TOOLGLOB]`)'];
  return entries.map(([name, role]) => describeRole(name, role));
}

function describeRole(name: string, role: RoleConfig): string {
  const grants = Object.entries(role.servers).map(
    ([server, g]) =>
      `${server}: ${g.tools.join(' ') || '(no tools)'}${g.deny.length ? ` (deny ${g.deny.join(' ')})` : ''}${g.policy ? ` [policy ${g.policy}]` : ''}`,
  );
  return `${name}: ${grants.join('; ') || 'no servers'}${role.policy ? `; policy ${role.policy}` : ''}${role.description ? ` - ${role.description}` : ''}`;
}

/** `no role named "x" (known: a, b); did you mean "a"? Or create it with `COMMAND` HINT`. */
export function notFound(what: string, name: string, known: readonly string[], create?: string): string {
  const guess = closestName(name, known);
  let text = `no ${what} named "${name}" (known: ${known.join(', ') || 'none'})`;
  if (guess !== undefined) text += `; did you mean "${guess}"?`;
  if (create !== undefined) text += `${guess !== undefined ? ' Or create' : '; create'} it with ${create}`;
  return text;
}

function createRoleHint(role: string): string {
  return `\`secure-mcp-gateway role add ${role} --grant SERVER[:TOOLGLOB]\` (--grant '*' for every server of the project)`;
}

/** A role's grant on one server as written in the config (the schema's defaults left out where they are noise). */
interface GrantJson {
  tools: string[];
  deny?: string[];
  policy?: string;
}

function grantJson(g: RoleGrant): GrantJson {
  return {
    tools: [...g.tools],
    ...(g.deny.length > 0 ? { deny: [...g.deny] } : {}),
    ...(g.policy !== undefined ? { policy: g.policy } : {}),
  };
}

export interface GrantArg {
  server: string;
  /** undefined: every tool of the server. */
  glob: string | undefined;
}

/** `SERVER`, `SERVER:TOOLGLOB`, `*` or `*:TOOLGLOB` ("*" is every server of the project). */
export function parseGrant(text: string, option: string, needGlob = false): GrantArg {
  const i = text.indexOf(':');
  const server = (i < 0 ? text : text.slice(0, i)).trim();
  const glob = i < 0 ? undefined : text.slice(i + 1).trim();
  if (server === '' || glob === '' || (needGlob && glob === undefined))
    usage(
      `${option} "${text}": expected ${needGlob ? 'SERVER:TOOLGLOB' : 'SERVER or SERVER:TOOLGLOB'} (SERVER "*" is every server of the project)`,
    );
  return { server, glob };
}

function checkServers(loaded: LoadedConfig, args: readonly GrantArg[]): void {
  const known = Object.keys(loaded.config.servers);
  for (const { server } of args)
    if (server !== '*' && !(server in loaded.config.servers)) usage(notFound('server', server, known));
}

function roleOf(loaded: LoadedConfig, name: string, hint = true): RoleConfig {
  const role = loaded.config.roles[name];
  if (role === undefined)
    usage(notFound('role', name, Object.keys(loaded.config.roles), hint ? createRoleHint(name) : undefined));
  return role;
}

/**
 * Adds tool globs (`grants`) and deny globs (`denies`) to a role's servers; returns the grants that changed. A
 * server-specific grant wins over the role's "*" grant (identity/access.ts), so a new one starts as a copy of "*":
 * else granting one more tool on a server would take away the others that "*" gave.
 */
function withGrants(
  role: string,
  current: Readonly<Record<string, RoleGrant>>,
  grants: readonly GrantArg[],
  denies: readonly GrantArg[],
): { changed: Map<string, GrantJson>; lines: string[] } {
  const work = new Map<string, GrantJson>();
  const changed = new Map<string, GrantJson>();
  const lines: string[] = [];
  const entry = (server: string): GrantJson | undefined => {
    let g = work.get(server);
    if (g === undefined) {
      const base = current[server] ?? (server === '*' ? undefined : current['*']);
      if (base === undefined) return undefined;
      g = grantJson(base);
      work.set(server, g);
    }
    return g;
  };
  for (const { server, glob } of grants) {
    const want = glob ?? '*';
    const g = entry(server) ?? { tools: [] };
    work.set(server, g);
    if (g.tools.includes('*') || g.tools.includes(want)) {
      lines.push(`${server}: ${want} was granted already`);
      continue;
    }
    g.tools = want === '*' ? ['*'] : [...g.tools, want];
    changed.set(server, g);
    lines.push(`grant ${server}: ${want}`);
  }
  for (const { server, glob } of denies) {
    const g = entry(server);
    // A deny on a server the role cannot reach would add an entry that reaches it (with no tools): refuse.
    if (g === undefined || g.tools.length === 0)
      usage(`role ${role} grants nothing on server "${server}", so there is nothing to deny`);
    const deny = g.deny ?? [];
    if (deny.includes(glob!)) {
      lines.push(`${server}: ${glob} was denied already`);
      continue;
    }
    g.deny = [...deny, glob!];
    changed.set(server, g);
    lines.push(`deny  ${server}: ${glob}`);
  }
  return { changed, lines };
}

export interface RoleAddOptions {
  grant?: string[];
  deny?: string[];
  from?: string;
  policy?: string;
  description?: string;
}

/** `role add NAME --grant SERVER[:TOOLGLOB]… [--deny SERVER:TOOLGLOB…] [--from ROLE] [--policy P]`. */
export function addRole(file: string, name: string, opts: RoleAddOptions): string[] {
  if (!IDENTITY_NAME_PATTERN.test(name))
    usage(
      `"${name}" is not a valid role name (1-64 letters, digits, ".", "_" or "-", starting with a letter or digit)`,
    );
  const grants = (opts.grant ?? []).map((g) => parseGrant(g, '--grant'));
  const denies = (opts.deny ?? []).map((d) => parseGrant(d, '--deny', true));
  // A role that grants nothing gives its members an empty tool list: a trap, not a choice anyone makes on purpose.
  if (grants.length === 0 && opts.from === undefined)
    usage(
      `role add ${name}: say what it grants: --grant SERVER[:TOOLGLOB] (repeatable; --grant '*' for every server of the project), or --from ROLE to start from a copy of another role`,
    );
  let lines: string[] = [];
  const loaded = editConfig(file, (cur) => {
    if (name in cur.config.roles)
      usage(`role ${name} already exists (change it with \`role grant ${name} …\` or \`role revoke ${name} …\`)`);
    const base = opts.from === undefined ? undefined : roleOf(cur, opts.from);
    checkServers(cur, [...grants, ...denies]);
    const current = base?.servers ?? {};
    const r = withGrants(name, current, grants, denies);
    lines = r.lines;
    const servers: Record<string, GrantJson> = {
      ...Object.fromEntries(Object.entries(current).map(([s, g]) => [s, grantJson(g)])),
      ...Object.fromEntries(r.changed),
    };
    const description = opts.description ?? base?.description;
    const policy = opts.policy ?? base?.policy;
    return [
      {
        path: ['roles', name],
        value: {
          ...(description !== undefined ? { description } : {}),
          servers,
          ...(policy !== undefined ? { policy } : {}),
        },
      },
    ];
  });
  return [
    `role ${describeRole(name, loaded.config.roles[name]!)}`,
    ...(opts.from !== undefined ? [`(a copy of role ${opts.from}, then:)`, ...lines.map((l) => `  ${l}`)] : []),
    `give it to a member: secure-mcp-gateway member add --project P --user EMAIL --role ${name}`,
  ];
}

/** `role grant NAME SERVER[:TOOLGLOB]… [--deny SERVER:TOOLGLOB…]`: adds to what the role may use (or denies). */
export function grantRole(file: string, name: string, args: readonly string[], opts: { deny?: string[] }): string[] {
  const grants = args.map((g) => parseGrant(g, 'grant'));
  const denies = (opts.deny ?? []).map((d) => parseGrant(d, '--deny', true));
  if (grants.length === 0 && denies.length === 0)
    usage(`role grant ${name}: name what to grant (SERVER or SERVER:TOOLGLOB) or to deny (--deny SERVER:TOOLGLOB)`);
  let lines: string[] = [];
  const loaded = editConfig(file, (cur) => {
    const role = roleOf(cur, name);
    checkServers(cur, [...grants, ...denies]);
    const r = withGrants(name, role.servers, grants, denies);
    lines = r.lines;
    return [...r.changed].map(([server, g]) => ({ path: ['roles', name, 'servers', server], value: g }));
  });
  return [...lines, `role ${describeRole(name, loaded.config.roles[name]!)}`];
}

/**
 * `role revoke NAME SERVER[:TOOLGLOB]…`: takes back a server's grant or one of its tool globs. A revoke never
 * widens: a server the role reaches through its "*" grant cannot be revoked alone (removing its own grant would
 * fall back to "*"), and a glob that a wider one still grants is refused with the `--deny` that does take it away.
 */
export function revokeRole(file: string, name: string, args: readonly string[]): string[] {
  const revokes = args.map((g) => parseGrant(g, 'revoke'));
  if (revokes.length === 0) usage(`role revoke ${name}: name what to revoke (SERVER or SERVER:TOOLGLOB)`);
  const lines: string[] = [];
  const loaded = editConfig(file, (cur) => {
    const role = roleOf(cur, name);
    const work = new Map<string, GrantJson | undefined>(
      Object.entries(role.servers).map(([s, g]) => [s, grantJson(g)]),
    );
    const touched = new Set<string>();
    const star = () => work.get('*') !== undefined;
    for (const { server, glob } of revokes) {
      const g = work.get(server);
      const viaStar = server !== '*' && star();
      if (glob === undefined) {
        if (viaStar)
          usage(
            `role ${name} reaches server "${server}" through its "*" grant, so revoking "${server}" alone cannot take it away: revoke "*" and grant the servers it should keep (role grant ${name} SERVER …)`,
          );
        if (g === undefined) usage(`role ${name} has no grant for server "${server}"`);
        work.set(server, undefined);
        lines.push(`revoke ${server}`);
      } else {
        const tools = g?.tools ?? (viaStar ? work.get('*')!.tools : []);
        if (g === undefined || !g.tools.includes(glob)) {
          // A glob that another grants as a name ("*" grants "drop_*"): only a deny takes it away.
          const wider = createNameMatcher(tools.filter((t) => t !== glob))(glob);
          usage(
            `role ${name} does not grant ${server}:${glob} itself (its tools on ${server}: ${tools.join(' ') || 'none'})${wider ? `; to take it away from a wider grant, deny it: secure-mcp-gateway role grant ${name} --deny ${server}:${glob}` : ''}`,
          );
        }
        g.tools = g.tools.filter((t) => t !== glob);
        // With no tools left the grant goes, unless "*" would then cover the server: then it stays, empty.
        if (g.tools.length === 0 && !viaStar) work.set(server, undefined);
        lines.push(`revoke ${server}: ${glob}`);
      }
      touched.add(server);
    }
    return [...touched].map((server): ConfigChange => ({
      path: ['roles', name, 'servers', server],
      value: work.get(server),
    }));
  });
  return [...lines, `role ${describeRole(name, loaded.config.roles[name]!)}`];
}

/**
 * `role remove NAME [--force]`: refused while a member holds the role (naming them), because removing it would
 * end their access; `--force` removes those memberships too (their keys stop working).
 */
export function removeRole(file: string, name: string, opts: { force?: boolean }): string[] {
  let holders: { project: string; user: string }[] = [];
  editConfig(file, (cur) => {
    roleOf(cur, name, false);
    holders = Object.entries(cur.config.memberships).flatMap(([project, members]) =>
      Object.entries(members)
        .filter(([, r]) => r === name)
        .map(([user]) => ({ project, user })),
    );
    if (holders.length > 0 && opts.force !== true)
      usage(
        `role ${name} is held by ${holders.map((h) => `${h.user} (project ${h.project})`).join(', ')}: give them another role first (secure-mcp-gateway member add --project P --user EMAIL --role OTHER), or remove it with --force, which removes these memberships too (their keys stop working)`,
      );
    return [
      ...holders.map((h): ConfigChange => ({ path: ['memberships', h.project, h.user], value: undefined })),
      { path: ['roles', name], value: undefined },
    ];
  });
  return [
    `role ${name} removed`,
    ...holders.map(
      (h) => `  and the membership of ${h.user} in project ${h.project} (their keys no longer authenticate)`,
    ),
  ];
}
