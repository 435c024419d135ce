import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';

const base = {
  servers: { github: { command: 'node' } },
  roles: { dev: { servers: { github: {} } } },
  projects: { p: { servers: ['github'] } },
  users: { 'a@example.com': {} },
  memberships: { p: { 'a@example.com': 'dev' } },
};

function errorOf(patch: object): string {
  try {
    parseConfig(JSON.stringify({ ...base, ...patch }), '/cfg/config.json', {});
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('identity config', () => {
  it('accepts a consistent model', () => {
    expect(errorOf({})).toBe('no error');
  });

  it.each([
    [{ projects: { p: { servers: ['nope'] } } }, 'at projects.p.servers[0]: no server named "nope"'],
    [{ memberships: { p: { 'a@example.com': 'boss' } } }, 'at memberships.p["a@example.com"]: no role named "boss"'],
    [{ memberships: { p: { 'z@example.com': 'dev' } } }, 'at memberships.p["z@example.com"]: no user "z@example.com"'],
    [{ memberships: { q: {} } }, 'at memberships.q: no project named "q"'],
    [{ roles: { dev: { servers: { db: {} } } } }, 'at roles.dev.servers.db: no server named "db"'],
    [{ roles: { dev: { policy: 'strict' } } }, 'at roles.dev.policy: no policy named "strict"'],
    [{ projects: { p: { servers: [], policy: 'x' } } }, 'at projects.p.policy: no policy named "x"'],
    [{ users: { 'not-an-email': {} } }, 'at users["not-an-email"]: invalid name: an email address'],
    [{ users: { 'a@example.com': {}, 'A@example.com': {} } }, 'the same user as "a@example.com"'],
    [{ serve: { port: 70000 } }, 'at serve.port'],
  ])('refuses %j with a precise path (twice)', (patch, message) => {
    for (let i = 0; i < 2; i++) {
      const e = errorOf(patch);
      expect(e).toContain('/cfg/config.json: invalid config');
      expect(e).toContain(message);
    }
  });
});
