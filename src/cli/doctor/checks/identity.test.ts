import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { resolvePaths } from '../../../config/paths.js';
import { KeyStore, keysFile } from '../../../identity/keys.js';
import { keyRequiredSteps } from '../../identity.js';
import type { DoctorContext } from '../types.js';
import { EXPIRES_SOON_MS, identityCheck } from './identity.js';

const DAY = 86_400_000;

function context(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): DoctorContext {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-id-'));
  const paths = resolvePaths({}, { SMG_HOME: home });
  fs.writeFileSync(paths.config, JSON.stringify({ servers: {}, ...config }));
  return {
    paths,
    env,
    catalog: {},
    loaded: () => ({ loaded: loadConfig(paths.config, {}) }),
    catalogs: () => Promise.resolve([]),
  };
}

const team = {
  users: { 'a@example.com': {} },
  projects: { one: { servers: [] } },
  roles: { dev: { servers: { '*': {} } } },
  memberships: { one: { 'a@example.com': 'dev' } },
};

describe('doctor: identity', () => {
  it('without a key, says what user add says on the first user', async () => {
    const [mode, key] = await identityCheck.run(context(team));
    expect(mode).toMatchObject({ status: 'ok', detail: expect.stringMatching(/every client needs a gateway key$/) });
    expect(key).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^SMG_GATEWAY_KEY is not set: identities are configured .*not solo mode/),
      fix: keyRequiredSteps().join('; '),
    });
  });

  it('warns two weeks before a key expires', () => {
    expect(EXPIRES_SOON_MS).toBe(14 * DAY);
  });

  it.each([
    [90 * DAY, 'ok', /expires \S+ \(in (89|90) days\)$/],
    [15 * DAY, 'ok', /expires \S+ \(in (14|15) days\)$/],
    [13 * DAY, 'warn', /expires \S+ \(in (12|13) days\)$/],
    [undefined, 'ok', /never expires$/],
  ])('a key with a lifetime of %s ms is %s', async (lifetime, status, detail) => {
    const ctx = context(team);
    const store = new KeyStore({ file: keysFile(ctx.paths.home) });
    const { key } = store.create({
      project: 'one',
      user: 'a@example.com',
      ...(lifetime !== undefined ? { expiresInMs: lifetime } : {}),
    });
    ctx.env = { SMG_GATEWAY_KEY: key };
    const [, result] = await identityCheck.run(ctx);
    expect(result).toMatchObject({ status, detail: expect.stringMatching(detail) });
    if (status === 'warn') expect(result!.fix).toMatch(/^secure-mcp-gateway keys rotate [0-9a-f]{16}/);
  });
});

describe('doctor: identity with serve.sso', () => {
  it.each([
    [1, 'ok', /^issuer http:\/\/127\.0\.0\.1:\d+ reachable; JWKS http:\/\/127\.0\.0\.1:\d+\/certs: 1 key$/],
    [0, 'fail', /its JWKS \(\S+\) has no keys, so every token is refused$/],
    [-1, 'fail', /the JWKS at \S+ answered HTTP 500; serve refuses every SSO token \(503\)$/],
  ])('with %s published keys (-1: a broken JWKS) the sso line is %s', async (count, status, detail) => {
    let issuer = '';
    const server = http.createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration')
        return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
      if (count < 0) return res.writeHead(500).end();
      return res.end(JSON.stringify({ keys: Array.from({ length: count }, (_, i) => ({ kty: 'EC', kid: `k${i}` })) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const results = await identityCheck.run(context({ ...team, serve: { sso: { issuer, audience: 'gw' } } }));
      expect(results.at(-1)).toMatchObject({ status, subject: 'sso', detail: expect.stringMatching(detail) });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('fails when the identity provider cannot be reached, and says what to check', async () => {
    const results = await identityCheck.run(
      context({ ...team, serve: { sso: { issuer: 'http://127.0.0.1:1', audience: 'gw', timeoutMs: 2000 } } }),
    );
    expect(results.at(-1)).toMatchObject({
      status: 'fail',
      subject: 'sso',
      detail: expect.stringContaining('the identity provider http://127.0.0.1:1 cannot be reached for its metadata'),
      fix: expect.stringContaining('serve.sso.issuer'),
    });
  });
});
