/**
 * Identity test helpers: a config with two projects (one, two), two servers (alpha, beta: the whoami fixture),
 * a developer and a read-only contractor role; the built CLI run against a home; a key made with `keys create`.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { BIN, fixtureServer } from './gateway.js';

export function identityConfig() {
  return {
    servers: {
      alpha: { ...fixtureServer('whoami-server.ts'), env: { SERVER_LABEL: 'alpha' } },
      beta: { ...fixtureServer('whoami-server.ts'), env: { SERVER_LABEL: 'beta' } },
    },
    // The contractor role's own policy: one call per tool and minute.
    policies: { contractor: { rateLimit: { perMinute: 1, burst: 1 } } },
    projects: { one: { servers: ['alpha'] }, two: { servers: ['beta'] } },
    users: { 'alice@example.com': { name: 'Alice' }, 'bob@example.com': {} },
    roles: {
      developer: { servers: { '*': {} } },
      contractor: {
        description: 'read-only',
        servers: { '*': { tools: ['read_*', 'whoami'] } },
        policy: 'contractor',
      },
    },
    memberships: {
      one: { 'alice@example.com': 'developer' },
      two: { 'alice@example.com': 'developer', 'bob@example.com': 'contractor' },
    },
  };
}

export function cli(home: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function makeKey(home: string, project: string, user: string, ...extra: string[]): { key: string; id: string } {
  const r = cli(home, 'keys', 'create', '--project', project, '--user', user, '--json', ...extra);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { key: string; id: string };
}
