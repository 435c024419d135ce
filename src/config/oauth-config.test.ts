import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('oauth.privateKey (private_key_jwt)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-pkjwt-'));
  const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const keyFile = path.join(dir, 'client.key');
  fs.writeFileSync(keyFile, `${PEM}\n`, { mode: 0o600 });
  const ref = `\${file:${keyFile}}`;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['client_credentials with a key in a file', { grant: 'client_credentials' }, 'ES256'],
    ['authorization_code with a key', {}, 'ES256'],
    ['a configured algorithm that fits', { privateKeyAlg: 'ES256' }, 'ES256'],
  ])('accepts %s, resolved, its algorithm settled and the key masked', (_what, extra, alg) => {
    const loaded = parseConfig(remote({ oauth: { clientId: 'id', privateKey: ref, ...extra } }), FILE, {});
    const oauth = loaded.servers.find((s) => s.name === 'linear')?.oauth;
    expect(oauth).toMatchObject({ clientId: 'id', privateKey: PEM, privateKeyAlg: alg });
    expect(loaded.secrets).toContain(PEM);
  });

  it.each([
    [
      'with a client secret',
      { clientId: 'id', clientSecret: 's' },
      'with "clientSecret" or with "privateKey", not both',
    ],
    ['without a client id', {}, '"privateKey" needs "clientId"'],
    ['that does not parse', { clientId: 'id', privateKey: 'not a key' }, 'the private key does not parse'],
    ['with an algorithm that does not fit', { clientId: 'id', privateKeyAlg: 'RS256' }, 'does not fit the key'],
    ['in a file that is missing', { clientId: 'id', privateKey: '${file:/nonexistent/k.pem}' }, '/nonexistent/k.pem'],
  ])('makes only that server unavailable for a key %s, naming the path', (_what, extra, message) => {
    const loaded = parseConfig(remote({ oauth: { privateKey: ref, ...extra } }), FILE, {});
    expect(loaded.servers.map((s) => s.name)).toEqual(['ok']);
    const found = loaded.unavailable.flatMap((u) => u.problems.map(formatProblem));
    expect(found).toEqual([expect.stringMatching(/^at servers\.linear\.oauth\.privateKey: /)]);
    expect(found[0]).toContain(message);
    expect(found[0]).not.toContain(PEM.slice(40, 80));
  });

  it.each([
    [
      'privateKeyAlg without privateKey',
      { clientId: 'id', privateKeyAlg: 'ES256' },
      'oauth.privateKeyAlg',
      'needs "privateKey"',
    ],
    ['an unknown algorithm', { clientId: 'id', privateKey: ref, privateKeyAlg: 'HS256' }, 'oauth', ''],
    [
      'client_credentials with neither secret nor key',
      { grant: 'client_credentials', clientId: 'id' },
      'oauth.grant',
      '(or "privateKey")',
    ],
  ])('refuses the config for %s', (_what, oauth, at, message) => {
    const found = problems(remote({ oauth }));
    expect(
      found.some((p) => p.startsWith(`at servers.linear.${at}:`) && p.includes(message)),
      found.join('\n'),
    ).toBe(true);
  });
});
