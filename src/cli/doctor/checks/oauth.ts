/**
 * doctor: the OAuth sign-in of every remote server that may use it (issue 18), in the words of `auth status`:
 * signed in (expires in, scopes, issuer), expired, refresh failing, not signed in. Never a token. A vault that cannot
 * be opened is a failure of this check only.
 */
import { messageOf } from '../../../errors.js';
import type { CheckResult, DoctorCheck } from '../types.js';

export const oauthCheck: DoctorCheck = {
  id: 'oauth',
  title: 'OAuth sign-in',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l)) return [{ status: 'skip', subject: 'oauth', detail: 'the config does not load (see above)' }];
    const servers = l.loaded.servers.filter((s) => s.kind === 'remote' && s.oauth !== false);
    if (servers.length === 0) return [];
    const { openTokenStore } = await import('../../../oauth/store.js');
    const { oauthStatuses, describeStatus } = await import('../../../oauth/status.js');
    let statuses;
    try {
      statuses = oauthStatuses(l.loaded, openTokenStore({ home: ctx.paths.home, env: ctx.env }));
    } catch (error) {
      return [
        {
          status: 'fail',
          subject: 'oauth',
          detail: `the credential vault cannot be read: ${messageOf(error)}`,
          fix: 'see docs/auth.md (the credential vault)',
        },
      ];
    }
    // oauth.tokenExchange (serve): the users' tokens come from their SSO sessions, not from `auth login`.
    const exchanges = (name: string) => {
      const o = servers.find((x) => x.name === name)?.oauth;
      return typeof o === 'object' && o.tokenExchange !== undefined && o.tokenExchange !== false;
    };
    return statuses.map((s): CheckResult => {
      const subject = `oauth ${s.server}`;
      const detail = `${s.server}: ${describeStatus(s)}`;
      const fix = `secure-mcp-gateway auth login ${s.server}`;
      const explicit = servers.find((x) => x.name === s.server)?.oauth !== undefined;
      switch (s.state) {
        case 'signed-in':
          return { status: 'ok', subject, detail };
        case 'expired':
          return s.refreshable ? { status: 'ok', subject, detail } : { status: 'warn', subject, detail, fix };
        case 'refresh-failing':
          return { status: 'fail', subject, detail, fix };
        case 'not-signed-in':
          if (exchanges(s.server))
            return {
              status: 'ok',
              subject,
              detail: `${s.server}: token exchange in serve (each SSO user's IdP token is exchanged; no sign-in needed)`,
            };
          return s.grant === 'client_credentials'
            ? { status: 'ok', subject, detail: `${detail} (client_credentials: the gateway fetches its own token)` }
            : explicit
              ? { status: 'warn', subject, detail, fix }
              : { status: 'ok', subject, detail: `${detail} (needed only if the server asks for OAuth)` };
      }
    });
  },
};
