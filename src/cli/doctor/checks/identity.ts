/**
 * doctor: which identity mode is active, and whether this environment's gateway key works. With no `users` in the
 * config the stdio gateway serves the local user (solo mode) and no key is needed. With users, it refuses to serve
 * without a key in SMG_GATEWAY_KEY that authenticates (identity/authenticate.ts, the same function `start` calls):
 * the result names the user, project, role and expiry, or the exact reason the gateway would give, with the
 * command that fixes it. Without SMG_GATEWAY_KEY in doctor's own environment, the key `init --with-key` keeps for
 * `install` (<home>/secrets/gateway-key) is checked instead. A key that expires within 14 days warns (`keys create`
 * gives 90 days by default, issue 17). Without any key, the fix is in the same words as `user add`'s warning on the
 * first user (keyRequiredSteps). The mode of keys.json is the permissions check's (it lists keys.json with the other
 * secret files). Read only: doctor never stamps a key as used.
 *
 * With `serve.sso` (issue 18), one more line: the IdP's discovery document and keys fetched as `serve` fetches
 * them (identity/sso.ts), with the key count; unreachable fails, since `serve` then refuses every SSO token.
 *
 * Failure mode: an unreadable keys.json refuses every key (keys.ts), and so fails here with that reason.
 */
import { authenticate } from '../../../identity/authenticate.js';
import { KeyStore, keysFile } from '../../../identity/keys.js';
import { SsoVerifier } from '../../../identity/sso.js';
import type { SsoConfig } from '../../../server/serve-schema.js';
import { keyRequiredSteps } from '../../identity.js';
import { localKeyFile, readLocalKey } from '../../local-identity.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const DAY_MS = 86_400_000;
/**
 * A key that expires sooner than this gets a warning, so that it is rotated before a client stops working: two
 * weeks leaves time to get a new key into every client of a 90-day key.
 */
export const EXPIRES_SOON_MS = 14 * DAY_MS;

export const identityCheck: DoctorCheck = {
  id: 'identity',
  title: 'identity and gateway key',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l))
      return [{ status: 'skip', subject: 'identity', detail: 'the config does not load (see above)' }];
    const config = l.loaded.config;
    const file = keysFile(ctx.paths.home);
    const out: CheckResult[] = [];
    const users = Object.keys(config.users);
    if (users.length === 0)
      out.push({
        status: 'ok',
        subject: 'identity',
        detail: 'solo: the local user, default project (no users configured, so no gateway key is needed)',
      });
    else {
      const projects = Object.keys(config.projects).length;
      out.push({
        status: 'ok',
        subject: 'identity',
        detail: `gateway identities: ${users.length} user${users.length === 1 ? '' : 's'}, ${projects} project${projects === 1 ? '' : 's'}; every client needs a gateway key`,
      });
      // The shell running doctor rarely has the client's key: the one `init --with-key` keeps for `install` stands in.
      const env = ctx.env.SMG_GATEWAY_KEY;
      const local = env === undefined || env.trim() === '' ? readLocalKey(ctx.paths.home) : undefined;
      const r = keyResult(config, new KeyStore({ file }), local ?? env, Date.now());
      if (local !== undefined) {
        r.detail = `${r.detail.replace(/^SMG_GATEWAY_KEY/, 'the local key')} (${localKeyFile(ctx.paths.home)})`;
        // A new key must reach the key file and the client entries: init replaces a refused local key.
        if (r.status === 'fail' && !/keys enable/.test(r.fix ?? ''))
          r.fix =
            'secure-mcp-gateway init --with-key EMAIL makes a new local key, then install again to update the clients';
      }
      out.push(r);
    }
    const sso = config.serve.sso;
    if (sso !== undefined) out.push(await ssoResult(sso));
    return out;
  },
};

/** serve.sso: is the IdP reachable, and does it publish keys? */
export async function ssoResult(sso: SsoConfig): Promise<CheckResult> {
  const subject = 'sso';
  try {
    const { jwksUri, keys } = await new SsoVerifier(sso).probe();
    if (keys === 0)
      return {
        status: 'fail',
        subject,
        detail: `issuer ${sso.issuer}: its JWKS (${jwksUri}) has no keys, so every token is refused`,
        fix: 'check the identity provider’s signing keys, or serve.sso.jwksUri',
      };
    return {
      status: 'ok',
      subject,
      detail: `issuer ${sso.issuer} reachable; JWKS ${jwksUri}: ${keys} key${keys === 1 ? '' : 's'}`,
    };
  } catch (error) {
    return {
      status: 'fail',
      subject,
      detail: `issuer ${sso.issuer}: ${error instanceof Error ? error.message : String(error)}; serve refuses every SSO token (503)`,
      fix: 'check serve.sso.issuer (it must match the tokens’ "iss" exactly), serve.sso.jwksUri, and that this machine can reach the identity provider',
    };
  }
}

function keyResult(
  config: Parameters<typeof authenticate>[0],
  keys: KeyStore,
  presented: string | undefined,
  now: number,
): CheckResult {
  const subject = 'gateway key';
  if (presented === undefined || presented.trim() === '')
    return {
      status: 'fail',
      subject,
      detail:
        'SMG_GATEWAY_KEY is not set: identities are configured (the config has users, so this is not solo mode), and the stdio gateway refuses every client without a gateway key',
      fix: keyRequiredSteps().join('; '),
    };
  const r = authenticate(config, keys, presented);
  if (!r.ok) {
    // Only a key whose secret matched has a record worth naming; a wrong secret says nothing about its id.
    const record = r.keyId === undefined ? undefined : keys.get(r.keyId);
    let fix: string;
    if (record?.revokedAt !== undefined)
      fix = `secure-mcp-gateway keys create --project ${record.project} --user ${record.user}, then put the new key in SMG_GATEWAY_KEY`;
    else if (record?.disabled) fix = `secure-mcp-gateway keys enable ${record.id}, if it should work again`;
    else if (record?.expiresAt !== undefined && Date.parse(record.expiresAt) <= now)
      fix = `secure-mcp-gateway keys rotate ${record.id}, then put the new key in SMG_GATEWAY_KEY`;
    else if (r.keyId !== undefined)
      fix = 'fix users, projects or memberships in the config (secure-mcp-gateway user add / member add)';
    else fix = 'copy the key exactly as `keys create` printed it, or create a new one (secure-mcp-gateway keys create)';
    return { status: 'fail', subject, detail: `SMG_GATEWAY_KEY is refused: ${r.reason}`, fix };
  }
  const p = r.principal;
  const record = keys.get(p.keyId!);
  const expiresAt = record?.expiresAt;
  const who = `key ${p.keyId}: ${p.user} in project ${p.project} as ${p.role}`;
  if (expiresAt === undefined) return { status: 'ok', subject, detail: `${who}, never expires` };
  const left = Date.parse(expiresAt) - now;
  const days = Math.floor(left / DAY_MS);
  const when = `expires ${expiresAt} (${days >= 1 ? `in ${days} day${days === 1 ? '' : 's'}` : 'within a day'})`;
  return left < EXPIRES_SOON_MS
    ? {
        status: 'warn',
        subject,
        detail: `${who}, ${when}`,
        fix: `secure-mcp-gateway keys rotate ${p.keyId}, then put the new key in SMG_GATEWAY_KEY`,
      }
    : { status: 'ok', subject, detail: `${who}, ${when}` };
}
