import { describe, expect, it } from 'vitest';
import type { OAuthRecord } from './provider.js';
import { describeStatus, formatDuration, oauthStatus } from './status.js';

const NOW = 1_000_000_000;
const base: OAuthRecord = {
  v: 1,
  serverUrl: 'https://x/mcp',
  discovery: {
    authorizationServerUrl: 'https://as.example/',
    authorizationServerMetadata: {
      issuer: 'https://as.example',
      authorization_endpoint: 'https://as.example/a',
      token_endpoint: 'https://as.example/t',
      response_types_supported: ['code'],
    },
  },
};
const tokens = { access_token: 'SECRET-AT', token_type: 'Bearer', refresh_token: 'SECRET-RT', scope: 'read write' };

describe('oauth status', () => {
  it.each([
    [
      'signed in',
      { ...base, tokens, expiresAt: NOW + 3_900_000 },
      'signed in (expires in 1 h 5 min, scopes read write, issuer https://as.example)',
    ],
    [
      'expired with a refresh token',
      { ...base, tokens, expiresAt: NOW - 90_000 },
      'expired (expired 1 min 30 s ago, refreshed on the next use, scopes read write, issuer https://as.example)',
    ],
    [
      'signed in without an expiry',
      { ...base, tokens: { access_token: 'SECRET-AT', token_type: 'Bearer' } },
      'signed in (no expiry given, no scopes, issuer https://as.example)',
    ],
    [
      'refresh failing',
      { ...base, refreshError: 'invalid_grant' },
      'refresh failing (issuer https://as.example, the last refresh was refused (invalid_grant))',
    ],
    ['not signed in', { v: 1 as const, serverUrl: 'https://x/mcp' }, 'not signed in'],
  ])('describes %s, never with a token', (_what, record, text) => {
    const s = oauthStatus('linear', 'authorization_code', record, NOW);
    expect(describeStatus(s)).toBe(text);
    expect(JSON.stringify(s)).not.toMatch(/SECRET/);
  });

  it.each([
    [0, '0 s'],
    [42, '42 s'],
    [3_600, '1 h'],
    [3_659, '1 h 59 s'],
    [3_660, '1 h 1 min'],
    [2 * 86_400 + 7_200 + 5, '2 d 2 h'],
  ])('formats %i s as "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
