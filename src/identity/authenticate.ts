/**
 * Authentication (issue 6): a presented gateway key → the caller's Principal, or the reason it is refused. The key
 * must verify (keys.ts: format, secret, not revoked, disabled or expired), and under the CURRENT config its user
 * must exist and not be disabled, its project must exist, and the user must be a member of that project; the role
 * comes from the membership, so a role change applies to existing keys. Failure mode: closed; every refusal has a
 * reason that is safe to show the caller (it never echoes the secret).
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Principal } from '../pipeline/types.js';
import type { KeyStore } from './keys.js';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; keyId?: string; reason: string };

export type IdentityConfig = Pick<Config, 'users' | 'projects' | 'memberships'>;

export function authenticate(config: IdentityConfig, keys: KeyStore, presented: string | undefined): AuthResult {
  if (presented === undefined || presented.trim() === '') return { ok: false, reason: 'no gateway key was presented' };
  const check = keys.verify(presented);
  if (!check.ok) return check;
  const { id, user, project } = check.record;
  const refuse = (reason: string): AuthResult => ({ ok: false, keyId: id, reason });
  const email = Object.keys(config.users).find((u) => u.toLowerCase() === user);
  if (email === undefined) return refuse(`gateway key ${id}: user ${user} is not configured`);
  if (config.users[email]!.disabled) return refuse(`gateway key ${id}: user ${user} is disabled`);
  if (!(project in config.projects)) return refuse(`gateway key ${id}: project ${project} is not configured`);
  const members = config.memberships[project] ?? {};
  const memberKey = Object.keys(members).find((u) => u.toLowerCase() === user);
  if (memberKey === undefined) return refuse(`gateway key ${id}: user ${user} is not a member of project ${project}`);
  return { ok: true, principal: { user, project, role: members[memberKey]!, keyId: id } };
}

/** The rate-limit and log identity of a principal: "local", or "<user>/<project>". */
export function identityOf(principal: Principal): string {
  return principal.keyId === undefined && principal.user === 'local'
    ? 'local'
    : `${principal.user}/${principal.project}`;
}

// Identity events: each goes to the log with a structured `event` field and, when one is given, to the audit log,
// from ONE function per event.

/** The part of the audit sink (audit/sink.ts) that records identity events. */
export interface IdentityAudit {
  key(e: { event: 'used' | 'refused'; keyId?: string; user?: string; project?: string; reason?: string }): void;
  configReloaded(e: { file: string; ok: boolean; error?: string }): void;
  sso(e: SsoAuditEvent): void;
}

/** An SSO token (serve.sso) opened a session (`accepted`) or was refused: its subject and issuer, never the token. */
export interface SsoAuditEvent {
  event: 'accepted' | 'refused';
  user?: string;
  project?: string;
  subject?: string;
  issuer?: string;
  reason?: string;
}

/**
 * An SSO token opened a session (serve.sso): the audit and the log get the user, project, and the token's subject
 * and issuer, never the token.
 */
export function ssoAcceptedEvent(log: Logger, principal: Principal, audit?: IdentityAudit): void {
  const who = {
    user: principal.user,
    project: principal.project,
    ...(principal.subject !== undefined ? { subject: principal.subject } : {}),
    ...(principal.issuer !== undefined ? { issuer: principal.issuer } : {}),
  };
  audit?.sso({ event: 'accepted', ...who });
  log.info({ event: 'sso.accepted', ...who, transport: 'http' }, 'SSO token accepted');
}

/** An SSO token was refused; subject and issuer only of a token whose signature verified. */
export function ssoRefusedEvent(
  log: Logger,
  refusal: { reason: string; subject?: string; issuer?: string; status?: number },
  remote?: string,
  audit?: IdentityAudit,
): void {
  const who = {
    ...(refusal.subject !== undefined ? { subject: refusal.subject } : {}),
    ...(refusal.issuer !== undefined ? { issuer: refusal.issuer } : {}),
  };
  audit?.sso({ event: 'refused', ...who, reason: refusal.reason });
  log.warn(
    { event: 'sso.refused', ...who, status: refusal.status, transport: 'http', ...(remote ? { remote } : {}) },
    `SSO token refused: ${refusal.reason}`,
  );
}

export function keyUsedEvent(
  log: Logger,
  principal: Principal,
  transport: 'stdio' | 'http',
  audit?: IdentityAudit,
): void {
  audit?.key({
    event: 'used',
    ...(principal.keyId ? { keyId: principal.keyId } : {}),
    user: principal.user,
    project: principal.project,
  });
  log.info(
    { event: 'key.used', keyId: principal.keyId, user: principal.user, project: principal.project, transport },
    'gateway key accepted',
  );
}

export function keyRefusedEvent(
  log: Logger,
  refusal: { keyId?: string; reason: string },
  transport: 'stdio' | 'http',
  remote?: string,
  audit?: IdentityAudit,
): void {
  audit?.key({ event: 'refused', ...(refusal.keyId ? { keyId: refusal.keyId } : {}), reason: refusal.reason });
  log.warn(
    { event: 'key.refused', keyId: refusal.keyId, transport, ...(remote ? { remote } : {}) },
    `gateway key refused: ${refusal.reason}`,
  );
}

export function configReloadedEvent(
  log: Logger,
  outcome: { ok: true; file: string } | { ok: false; file: string; error: string },
  audit?: IdentityAudit,
): void {
  audit?.configReloaded(outcome);
  if (outcome.ok) log.info({ event: 'config.reloaded', file: outcome.file }, 'config reloaded');
  else
    log.error(
      { event: 'config.reload-failed', file: outcome.file, err: outcome.error },
      'config reload failed; the previous config keeps running',
    );
}

export type ResolvedIdentity =
  { mode: 'local' } | { mode: 'key'; principal: Principal } | { mode: 'refused'; keyId?: string; reason: string };

/**
 * The identity of a stdio gateway: with no users configured, the local user (a solo developer); with users, the
 * key in SMG_GATEWAY_KEY must authenticate, else the gateway refuses to serve and says why.
 */
export function resolveStdioIdentity(
  config: IdentityConfig,
  keys: KeyStore,
  presented: string | undefined,
): ResolvedIdentity {
  if (Object.keys(config.users).length === 0) return { mode: 'local' };
  const r = authenticate(config, keys, presented);
  if (r.ok) return { mode: 'key', principal: r.principal };
  const reason =
    presented === undefined || presented.trim() === ''
      ? 'no gateway key: identities are configured, so set SMG_GATEWAY_KEY in this client’s MCP config (`secure-mcp-gateway keys create`)'
      : r.reason;
  return { mode: 'refused', ...(r.keyId !== undefined ? { keyId: r.keyId } : {}), reason };
}

/**
 * An authenticated principal under a reloaded config: its (possibly new) role, or why it no longer stands (the
 * user, the project or the membership is gone, or the user is disabled).
 */
export function reauthorize(
  config: IdentityConfig,
  principal: Principal,
): { ok: true; principal: Principal } | { ok: false; reason: string } {
  const email = Object.keys(config.users).find((u) => u.toLowerCase() === principal.user);
  if (email === undefined) return { ok: false, reason: `user ${principal.user} is not configured` };
  if (config.users[email]!.disabled) return { ok: false, reason: `user ${principal.user} is disabled` };
  const members = config.memberships[principal.project] ?? {};
  const key = Object.keys(members).find((u) => u.toLowerCase() === principal.user);
  if (!(principal.project in config.projects) || key === undefined)
    return { ok: false, reason: `user ${principal.user} is not a member of project ${principal.project}` };
  return { ok: true, principal: { ...principal, role: members[key]! } };
}
