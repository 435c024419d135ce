import { describe, expect, it } from 'vitest';
import { ConfigSchema, type Config } from '../config/schema.js';
import { computeAccess, fullAccess, identitiesConfigured } from './access.js';

const srv = (extra: object = {}) => ({ command: 'node', ...extra });

function config(): Config {
  return ConfigSchema.parse({
    servers: { github: srv(), db: srv(), fs: srv(), off: srv({ enabled: false }) },
    policies: { strict: {}, audit: {} },
    projects: {
      backend: { servers: ['github', 'db', 'off'] },
      web: { servers: ['fs', 'github'], policy: 'audit' },
    },
    users: { 'alice@example.com': {}, 'bob@example.com': {} },
    memberships: { backend: { 'alice@example.com': 'developer', 'bob@example.com': 'contractor' } },
    roles: {
      developer: { servers: { '*': {} } },
      contractor: { servers: { github: { tools: ['get_*', 'list_*'], deny: ['get_secret'] } }, policy: 'strict' },
      dba: { servers: { db: { policy: 'audit' }, '*': { tools: ['list_*'] } } },
    },
  });
}

describe('computeAccess', () => {
  it.each([
    // role, project, server, tool, allowed
    ['developer', 'backend', 'github', 'create_issue', true],
    ['developer', 'backend', 'db', 'query', true],
    ['developer', 'backend', 'fs', 'read_file', false], // not a server of the project
    ['developer', 'backend', 'off', 'x', false], // disabled server
    ['contractor', 'backend', 'github', 'get_issue', true],
    ['contractor', 'backend', 'github', 'list_issues', true],
    ['contractor', 'backend', 'github', 'create_issue', false], // not granted: a write tool
    ['contractor', 'backend', 'github', 'get_secret', false], // deny wins
    ['contractor', 'backend', 'db', 'query', false], // no grant for the server
    ['dba', 'backend', 'db', 'drop', true], // specific grant wins over "*"
    ['dba', 'backend', 'github', 'list_issues', true],
    ['dba', 'backend', 'github', 'create_issue', false],
    ['developer', 'nowhere', 'github', 'x', false], // unknown project grants nothing
    ['ghost', 'backend', 'github', 'x', false], // unknown role grants nothing
  ])('%s in %s on %s/%s → %s (twice)', (role, project, server, tool, allowed) => {
    for (let i = 0; i < 2; i++) {
      const a = computeAccess(config(), { user: 'u@example.com', project, role });
      expect(a.allowsTool(server, tool)).toBe(allowed);
    }
  });

  it('lists exactly the project servers the role is granted', () => {
    const c = config();
    expect([...computeAccess(c, { user: 'a', project: 'backend', role: 'developer' }).servers].sort()).toEqual([
      'db',
      'github',
    ]);
    expect([...computeAccess(c, { user: 'a', project: 'backend', role: 'contractor' }).servers]).toEqual(['github']);
    expect([...computeAccess(c, { user: 'a', project: 'web', role: 'contractor' }).servers]).toEqual(['github']);
    expect(computeAccess(c, { user: 'a', project: 'backend' }).servers.size).toBe(0);
  });

  it('picks the policy override: grant, then role, then project, else none', () => {
    const c = config();
    expect(computeAccess(c, { user: 'a', project: 'backend', role: 'dba' }).policyFor('db')).toBe('audit');
    expect(computeAccess(c, { user: 'a', project: 'backend', role: 'dba' }).policyFor('github')).toBeUndefined();
    expect(computeAccess(c, { user: 'a', project: 'backend', role: 'contractor' }).policyFor('github')).toBe('strict');
    expect(computeAccess(c, { user: 'a', project: 'web', role: 'developer' }).policyFor('fs')).toBe('audit');
    expect(computeAccess(c, { user: 'a', project: 'web', role: 'developer' }).policyFor('db')).toBeUndefined();
  });

  it('gives the local user every enabled server', () => {
    const a = fullAccess(config());
    expect([...a.servers].sort()).toEqual(['db', 'fs', 'github']);
    expect(a.allowsTool('db', 'anything')).toBe(true);
    expect(a.allowsTool('off', 'anything')).toBe(false);
    expect(a.policyFor('db')).toBeUndefined();
  });

  it('knows whether identities are configured', () => {
    expect(identitiesConfigured(config())).toBe(true);
    expect(identitiesConfigured(ConfigSchema.parse({ servers: {} }))).toBe(false);
  });
});
