import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { formatProblem, parseConfig, problemsOf } from './load.js';

const FILE = '/etc/smg/config.json';
const SSO = { issuer: 'https://idp.example.com', audience: 'https://gw.example.com/mcp' };
const config = (oauth: unknown, sso: unknown = SSO) =>
  JSON.stringify({
    servers: { ok: { url: 'https://ok.example/mcp' }, linear: { url: 'https://mcp.linear.app/mcp', oauth } },
    ...(sso === null ? {} : { serve: { sso } }),
  });

function problems(text: string): string[] {
  try {
    parseConfig(text, FILE, {});
  } catch (error) {
    if (error instanceof GatewayError) return (problemsOf(error) ?? []).map(formatProblem);
    throw error;
  }
  return [];
}

describe('oauth.tokenExchange', () => {
  it.each([
    ['true', true, true],
    ['false', false, false],
    [
      'a block',
      { audience: 'linear', scopes: ['read'] },
      { audience: 'linear', scopes: ['read'], subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token' },
    ],
    [
      'the jwt subject token type',
      { subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt' },
      { subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt' },
    ],
  ])('accepts %s with serve.sso and a client id', (_what, tokenExchange, expected) => {
    const loaded = parseConfig(config({ clientId: 'gw', tokenExchange }), FILE, {});
    expect(loaded.servers.find((s) => s.name === 'linear')?.oauth).toMatchObject({ tokenExchange: expected });
  });

  it.each([
    ['without a client id', { tokenExchange: true }, 'servers.linear.oauth.tokenExchange', 'needs "clientId"'],
    [
      'with client_credentials',
      { grant: 'client_credentials', clientId: 'id', clientSecret: 'x', tokenExchange: true },
      'servers.linear.oauth.tokenExchange',
      'cannot be used with "grant": "client_credentials"',
    ],
    [
      'an unknown subject token type',
      { clientId: 'id', tokenExchange: { subjectTokenType: 'urn:x' } },
      'servers.linear.oauth',
      '',
    ],
    ['a misspelt field', { clientId: 'id', tokenExchange: { scope: 'x' } }, 'servers.linear.oauth.tokenExchange', ''],
  ])('refuses the config %s, naming the path', (_what, oauth, at, message) => {
    const found = problems(config(oauth));
    expect(
      found.some((p) => p.startsWith(`at ${at}`) && p.includes(message)),
      found.join('\n'),
    ).toBe(true);
  });

  it('without serve.sso makes only that server unavailable, naming the path', () => {
    const loaded = parseConfig(config({ clientId: 'gw', tokenExchange: true }, null), FILE, {});
    expect(loaded.servers.map((s) => s.name)).toEqual(['ok']);
    expect(loaded.unavailable.map((u) => u.problems.map(formatProblem))).toEqual([
      [
        'at servers.linear.oauth.tokenExchange: token exchange needs single sign-on in serve: configure serve.sso, or remove "tokenExchange"',
      ],
    ]);
  });

  it('tokenExchange: false needs no serve.sso', () => {
    const loaded = parseConfig(config({ tokenExchange: false }, null), FILE, {});
    expect(loaded.servers.map((s) => s.name)).toEqual(['ok', 'linear']);
  });
});
