import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { formatProblem, parseConfig, problemsOf } from './load.js';

const FILE = '/etc/smg/config.json';
const remote = (extra: Record<string, unknown>) =>
  JSON.stringify({
    servers: { ok: { url: 'https://ok.example/mcp' }, linear: { url: 'https://mcp.linear.app/mcp', ...extra } },
  });

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, FILE, env);
  } catch (error) {
    if (error instanceof GatewayError) return (problemsOf(error) ?? []).map(formatProblem);
    throw error;
  }
  return [];
}

describe('the oauth field of a remote server', () => {
  it.each([
    ['nothing (OAuth on demand)', {}, undefined],
    ['oauth: false', { oauth: false }, false],
    ['a static Authorization header', { headers: { Authorization: 'Bearer x' } }, false],
    ['an empty block (every default)', { oauth: {} }, { grant: 'authorization_code' }],
    [
      'a pre-registered client with references',
      { oauth: { clientId: 'id', clientSecret: '${env:SECRET}', scopes: ['read', 'write'], redirectPort: 8765 } },
      {
        grant: 'authorization_code',
        clientId: 'id',
        clientSecret: 's3cret',
        scopes: ['read', 'write'],
        redirectPort: 8765,
      },
    ],
    [
      'client_credentials',
      { oauth: { grant: 'client_credentials', clientId: 'id', clientSecret: 'x' } },
      { grant: 'client_credentials', clientId: 'id', clientSecret: 'x' },
    ],
  ])('accepts %s', (_what, extra, oauth) => {
    const loaded = parseConfig(remote(extra), FILE, { SECRET: 's3cret' });
    expect(loaded.servers.find((s) => s.name === 'linear')?.oauth).toEqual(oauth);
    // A resolved reference is masked in logs like every other.
    if (JSON.stringify(extra).includes('${env:SECRET}')) expect(loaded.secrets).toContain('s3cret');
  });

  it.each([
    [
      'client_credentials without a secret',
      { grant: 'client_credentials', clientId: 'id' },
      'servers.linear.oauth.grant',
      'needs "clientId" and "clientSecret"',
    ],
    ['a secret without a client id', { clientSecret: 'x' }, 'servers.linear.oauth.clientSecret', 'needs "clientId"'],
    ['an unknown grant', { grant: 'password' }, 'servers.linear.oauth', ''],
    ['a scope with a space', { scopes: ['a b'] }, 'servers.linear.oauth.scopes[0]', 'one scope, without spaces'],
    ['a misspelt field', { clientID: 'x' }, 'servers.linear.oauth', ''],
    ['a port out of range', { redirectPort: 70000 }, 'servers.linear.oauth.redirectPort', ''],
  ])('refuses the config for %s, naming the path', (_what, oauth, at, message) => {
    const found = problems(remote({ oauth }));
    expect(
      found.some((p) => p.startsWith(`at ${at}:`) && p.includes(message)),
      found.join('\n'),
    ).toBe(true);
  });

  it('refuses oauth on a stdio server', () => {
    expect(problems(JSON.stringify({ servers: { fs: { command: 'x', oauth: {} } } }))).toEqual([
      expect.stringContaining('"oauth" only applies to remote servers'),
    ]);
  });

  it('makes only that server unavailable when it has both a static Authorization header and an oauth block', () => {
    const loaded = parseConfig(remote({ headers: { authorization: 'Bearer x' }, oauth: {} }), FILE, {});
    expect(loaded.servers.map((s) => s.name)).toEqual(['ok']);
    expect(loaded.unavailable.map((u) => u.problems.map(formatProblem))).toEqual([
      [
        'at servers.linear.oauth: a server with a static Authorization header cannot also have an "oauth" block: remove one of them',
      ],
    ]);
  });
});
