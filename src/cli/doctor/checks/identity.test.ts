import fs from 'node:fs';
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
