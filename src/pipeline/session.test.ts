import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { createSession, emptyServerPolicy, serverPolicyContext } from './session.js';

const config = {
  servers: {
    plain: { command: 'node', args: ['x.js'] },
    rich: {
      command: 'node',
      args: ['x.js'],
      cwd: 'work',
      roots: ['work', 'shared'],
      arguments: { 'read.path': { kind: 'path' } },
      annotations: { 'write*': { destructive: true } },
      rateLimit: { perMinute: 6 },
    },
  },
};

describe('session state and server policy context', () => {
  const loaded = parseConfig(JSON.stringify(config), '/etc/smg/config.json', {});
  const server = (name: string) => loaded.servers.find((s) => s.name === name)!;

  it('starts a session with nothing approved and nothing tainted', () => {
    const s = createSession('abc');
    expect(s).toEqual({ id: 'abc', approved: new Set(), tainted: new Map() });
    expect(createSession('abc')).not.toBe(s);
  });

  it("carries a server's roots, cwd, argument rules, annotations and rate limit, resolved from the config", () => {
    const ctx = serverPolicyContext(server('rich'), '/elsewhere');
    expect(ctx).toEqual({
      roots: ['/etc/smg/work', '/etc/smg/shared'],
      cwd: '/etc/smg/work',
      arguments: { 'read.path': expect.objectContaining({ kind: 'path' }) },
      annotations: { 'write*': { destructive: true } },
      rateLimit: { perMinute: 6 },
    });
  });

  it('falls back to the given cwd, and leaves out what the server does not set', () => {
    expect(serverPolicyContext(server('plain'), '/here')).toEqual({
      roots: [],
      cwd: '/here',
      arguments: {},
      annotations: {},
    });
    expect(emptyServerPolicy('/x')).toEqual({ roots: [], cwd: '/x', arguments: {}, annotations: {} });
  });

  describe('relative paths resolve against the server, not the gateway (issue 15, class 9)', () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smg-session-')));
    fs.mkdirSync(path.join(dir, 'project'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const load = (servers: Record<string, unknown>) =>
      parseConfig(JSON.stringify({ servers }), path.join(dir, 'config.json'), { HOME: dir }).servers[0]!;

    it('uses the first root when the server has no cwd, and starts a stdio server there', () => {
      const s = load({ fs: { command: 'node', args: ['x.js'], roots: ['project', 'missing'] } });
      expect(s.cwd).toBe(path.join(dir, 'project'));
      expect(serverPolicyContext(s, '/').cwd).toBe(path.join(dir, 'project'));
    });

    it('keeps the cwd of the gateway for the child when the first root does not exist, but checks against it', () => {
      const s = load({ fs: { command: 'node', args: ['x.js'], roots: ['missing', 'project'] } });
      expect(s.cwd).toBeUndefined();
      expect(serverPolicyContext(s, '/').cwd).toBe(path.join(dir, 'missing'));
    });

    it('prefers an explicit cwd, and does not give a remote server one', () => {
      const s = load({ fs: { command: 'node', cwd: '.', roots: ['project'] } });
      expect(serverPolicyContext(s, '/').cwd).toBe(dir);
      const r = load({ web: { url: 'https://example.com/mcp', roots: ['project'] } });
      expect(r.cwd).toBeUndefined();
      expect(serverPolicyContext(r, '/').cwd).toBe(path.join(dir, 'project'));
    });

    it('carries the credentialPaths setting, with listed locations made absolute', () => {
      expect(serverPolicyContext(load({ a: { command: 'node', credentialPaths: 'allow' } })).credentialPaths).toBe(
        'allow',
      );
      expect(
        serverPolicyContext(load({ a: { command: 'node', credentialPaths: ['~/.ssh/config', 'keys'] } }))
          .credentialPaths,
      ).toEqual([path.join(dir, '.ssh/config'), path.join(dir, 'keys')]);
      expect(serverPolicyContext(load({ a: { command: 'node', credentialPaths: 'deny' } }))).not.toHaveProperty(
        'credentialPaths',
      );
    });
  });
});
