/**
 * The admin commands of the identity model (issue 6): `keys create/list/revoke/rotate/disable/enable`,
 * `project create/list/remove`, `user add/remove`, `member add/remove`, `role list`. Config changes go through
 * config-edit.ts (validated, atomic, formatting kept); `serve` picks them up by itself. Key changes go through the
 * key store (identity/keys.ts), which a running gateway re-reads on the next request. Each function returns the
 * lines to print; main.ts does the printing and the exit codes.
 */
import { CommanderError } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import { EMAIL_PATTERN, IDENTITY_NAME_PATTERN } from '../identity/config-schema.js';
import { KeyStore, keysFile, parseDuration, type KeyRecord } from '../identity/keys.js';
import type { RedisStore } from '../state/redis.js';
import { editConfig } from './config-edit.js';

const USAGE = 2;

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
  const expiresInMs = opts.expires === undefined || opts.expires === 'never' ? undefined : parseDuration(opts.expires);
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
      `gateway key ${record.id} for ${record.user} in project ${project}${record.expiresAt ? `, expires ${record.expiresAt}` : ', no expiry'}.`,
      `It is shown only now; keys.json${shared ? ` and the shared state store (Redis at ${shared.where})` : ''} keep a hash. Put it in the client config as SMG_GATEWAY_KEY (stdio) or send it as "Authorization: Bearer <key>" (serve).`,
    ],
  };
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

export function addUser(file: string, email: string, opts: { name?: string }): string[] {
  if (!EMAIL_PATTERN.test(email)) usage(`"${email}" is not an email address`);
  editConfig(file, (cur) => {
    if (findUser(cur, email) !== undefined) usage(`user ${email} already exists`);
    return [{ path: ['users', email], value: opts.name !== undefined ? { name: opts.name } : {} }];
  });
  return [`user ${email} added`];
}

export function removeUser(file: string, email: string): string[] {
  editConfig(file, (cur) => {
    const key = findUser(cur, email);
    if (key === undefined) usage(`no user "${email}"`);
    const changes = Object.entries(cur.config.memberships).flatMap(([project, members]) =>
      Object.keys(members)
        .filter((m) => m.toLowerCase() === key.toLowerCase())
        .map((m) => ({ path: ['memberships', project, m], value: undefined })),
    );
    return [...changes, { path: ['users', key], value: undefined }];
  });
  return [`user ${email} removed, with their memberships (their keys no longer authenticate)`];
}

export function addMember(file: string, opts: { project: string; user: string; role: string }): string[] {
  editConfig(file, (cur) => {
    if (!(opts.project in cur.config.projects)) usage(`no project named "${opts.project}"`);
    const key = findUser(cur, opts.user);
    if (key === undefined) usage(`no user "${opts.user}" (add one with \`user add\`)`);
    if (!(opts.role in cur.config.roles))
      usage(`no role named "${opts.role}" (known: ${Object.keys(cur.config.roles).join(', ') || 'none'})`);
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
  if (entries.length === 0) return ['no roles'];
  return entries.map(([name, role]) => {
    const grants = Object.entries(role.servers).map(
      ([server, g]) =>
        `${server}: ${g.tools.join(' ')}${g.deny.length ? ` (deny ${g.deny.join(' ')})` : ''}${g.policy ? ` [policy ${g.policy}]` : ''}`,
    );
    return `${name}: ${grants.join('; ') || 'no servers'}${role.policy ? `; policy ${role.policy}` : ''}${role.description ? ` - ${role.description}` : ''}`;
  });
}
