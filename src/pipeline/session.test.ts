import { describe, expect, it } from 'vitest';
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
});
