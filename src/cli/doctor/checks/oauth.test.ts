/**
 * doctor's oauth check for a server with token exchange (issue 18): no local sign-in is needed, so "not signed in"
 * is not a warning there; a server with an oauth block and no exchange still is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../../../config/paths.js';
import { silentLogger } from '../../../log.js';
import { createDoctorContext } from '../context.js';
import { oauthCheck } from './oauth.js';

function run(servers: Record<string, unknown>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-oauth-'));
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ servers, serve: { sso: { issuer: 'https://idp.example.com', audience: 'https://gw/mcp' } } }),
  );
  const env = { HOME: dir, SMG_HOME: dir, SMG_VAULT: 'file', SMG_VAULT_PASSPHRASE: 'not a secret' };
  return oauthCheck.run(
    createDoctorContext({
      paths: resolvePaths({}, env),
      env,
      catalog: { platform: 'linux', env },
      log: silentLogger(),
    }),
  );
}

describe('doctor: oauth with token exchange', () => {
  it.each([
    [
      'token exchange: ok, no sign-in needed',
      { url: 'https://mcp.example.com/mcp', oauth: { clientId: 'gw', tokenExchange: true } },
      {
        status: 'ok',
        detail: "linear: token exchange in serve (each SSO user's IdP token is exchanged; no sign-in needed)",
      },
    ],
    [
      'an oauth block without exchange: warns, with the command',
      { url: 'https://mcp.example.com/mcp', oauth: { clientId: 'gw' } },
      { status: 'warn', detail: 'linear: not signed in', fix: 'secure-mcp-gateway auth login linear' },
    ],
  ])('%s', async (_what, linear, expected) => {
    const results = await run({ linear });
    expect(results).toEqual([expect.objectContaining({ subject: 'oauth linear', ...expected })]);
  });
});
