/**
 * `init --with-key EMAIL` (issue 8): the local user with a gateway identity instead of solo mode. It adds the user,
 * a "default" project holding every configured server, an "owner" role that may use all of them, and the
 * membership, through config-edit.ts (validated, atomic), then creates the user's gateway key in the real key store
 * (keys.json keeps only its hash) and keeps the key itself in <home>/secrets/gateway-key (0600), because `install`
 * must write it into each client entry as SMG_GATEWAY_KEY and a key is shown only once. `install` also adds the
 * servers it imports to the default project, so that a later install does not hide them from the key.
 *
 * Failure mode: every config change is checked before it is written, and the key is created only after the config
 * holds its user, project and membership; a run again keeps a key that still authenticates and replaces one that
 * does not (revoked, expired, another user's).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GatewayPaths } from '../config/paths.js';
import { GatewayError } from '../errors.js';
import { authenticate } from '../identity/authenticate.js';
import { EMAIL_PATTERN } from '../identity/config-schema.js';
import { KeyStore, keysFile } from '../identity/keys.js';
import { editConfig, type ConfigChange } from './config-edit.js';
import { ensurePrivateDir } from '../clients/import-servers.js';

export const LOCAL_PROJECT = 'default';
export const LOCAL_ROLE = 'owner';

/** Where init keeps the local user's key for `install`. */
export function localKeyFile(home: string): string {
  return path.join(home, 'secrets', 'gateway-key');
}

/** The key init made, or undefined when there is none (solo mode). */
export function readLocalKey(home: string): string | undefined {
  try {
    const key = fs.readFileSync(localKeyFile(home), 'utf8').trim();
    return key === '' ? undefined : key;
  } catch {
    return undefined;
  }
}

/** Adds the user, project, role and membership (what is missing only), then makes or keeps the key. */
export function setUpLocalIdentity(paths: GatewayPaths, email: string): string[] {
  if (!EMAIL_PATTERN.test(email)) throw new GatewayError('CONFIG_INVALID', `--with-key: "${email}" is not an email`);
  const out: string[] = [];
  const loaded = editConfig(paths.config, (cur) => {
    const c = cur.config;
    const changes: ConfigChange[] = [];
    const user = Object.keys(c.users).find((u) => u.toLowerCase() === email.toLowerCase()) ?? email;
    if (!(user in c.users)) {
      changes.push({ path: ['users', user], value: {} });
      out.push(`add      users.${user}`);
    }
    if (!(LOCAL_ROLE in c.roles)) {
      changes.push({
        path: ['roles', LOCAL_ROLE],
        value: { description: 'every tool of every server of the project', servers: { '*': {} } },
      });
      out.push(`add      roles.${LOCAL_ROLE} (every server of the project)`);
    }
    if (!(LOCAL_PROJECT in c.projects)) {
      changes.push({ path: ['projects', LOCAL_PROJECT], value: { servers: Object.keys(c.servers) } });
      out.push(`add      projects.${LOCAL_PROJECT} (${Object.keys(c.servers).length} servers)`);
    }
    const members = c.memberships[LOCAL_PROJECT] ?? {};
    if (!Object.keys(members).some((m) => m.toLowerCase() === email.toLowerCase())) {
      changes.push({ path: ['memberships', LOCAL_PROJECT, user], value: LOCAL_ROLE });
      out.push(`add      memberships.${LOCAL_PROJECT}.${user} = ${LOCAL_ROLE}`);
    }
    return changes;
  });
  const store = new KeyStore({ file: keysFile(paths.home) });
  const existing = readLocalKey(paths.home);
  const check = existing === undefined ? undefined : authenticate(loaded.config, store, existing);
  if (check?.ok && check.principal.user === email.toLowerCase()) {
    out.push(`keep     gateway key ${check.principal.keyId} (${localKeyFile(paths.home)})`);
    return out;
  }
  const { key, record } = store.create({ project: LOCAL_PROJECT, user: email });
  ensurePrivateDir(path.dirname(localKeyFile(paths.home)));
  fs.writeFileSync(localKeyFile(paths.home), `${key}\n`, { mode: 0o600 });
  fs.chmodSync(localKeyFile(paths.home), 0o600);
  out.push(
    `create   gateway key ${record.id} for ${record.user} in project ${LOCAL_PROJECT}, kept in ${localKeyFile(paths.home)} (0600)`,
  );
  if (check && !check.ok) out.push(`         (it replaces the one there, which is refused: ${check.reason})`);
  // No expiry, unlike `keys create` (90 days): this key stays on this machine, in files only its user can read, and
  // an expired one would silently cut off every client that `install` wrote it into (issue 17).
  out.push(
    `         it never expires (to replace it: secure-mcp-gateway keys revoke ${record.id}, then init --with-key ${email} and install again)`,
  );
  return out;
}

/**
 * After `install` imported servers: when init set up the local identity, the imported servers join the default
 * project, else the key could not reach them. Returns what changed.
 */
export function addToLocalProject(paths: GatewayPaths, servers: readonly string[]): string[] {
  if (servers.length === 0 || readLocalKey(paths.home) === undefined || !fs.existsSync(paths.config)) return [];
  const added: string[] = [];
  editConfig(paths.config, (cur) => {
    const project = cur.config.projects[LOCAL_PROJECT];
    if (!project) return [];
    const missing = servers.filter((s) => s in cur.config.servers && !project.servers.includes(s));
    added.push(...missing);
    return missing.length
      ? [{ path: ['projects', LOCAL_PROJECT, 'servers'], value: [...project.servers, ...missing] }]
      : [];
  });
  return added.length ? [`add      ${added.join(', ')} to projects.${LOCAL_PROJECT}`] : [];
}
