import { describe, expect, it } from 'vitest';
import { emptyLockfile, type Lockfile } from '../integrity/lockfile.js';
import { neighbours, parseTarget, type Listed, selectServers } from './catalogs.js';
import type { LoadedConfig } from '../config/load.js';

describe('parseTarget', () => {
  it.each([
    ['fs', { server: 'fs' }],
    ['fs/read_file', { server: 'fs', tool: 'read_file' }],
    ['fs/a/b', { server: 'fs', tool: 'a/b' }],
  ])('reads %s as a server and an optional tool (tool names may hold "/")', (target, expected) => {
    expect(parseTarget(target)).toEqual(expected);
  });

  it.each(['/tool', 'fs/'])('refuses %s', (target) => {
    expect(() => parseTarget(target)).toThrow(/expected SERVER or SERVER\/TOOL/);
  });
});

describe('neighbours', () => {
  const lock: Lockfile = emptyLockfile();
  lock.servers.mail = {
    serverHash: '0'.repeat(64),
    updatedAt: '2026-01-01T00:00:00.000Z',
    tools: {
      send_email: { hash: '0'.repeat(64), definition: {}, firstSeen: '2026-01-01T00:00:00.000Z', state: 'pinned' },
    },
  };
  const listed = [
    { server: { name: 'fs' }, catalog: { tools: [{ name: 'read_file' }] } },
    { server: { name: 'down' }, error: 'exited' },
  ] as unknown as Listed[];

  it('takes live names where listed, pinned names otherwise, and leaves out the server itself', () => {
    expect(neighbours('shadow', ['shadow', 'fs', 'mail', 'down'], listed, lock)).toEqual([
      { server: 'fs', tools: ['read_file'] },
      { server: 'mail', tools: ['send_email'] },
    ]);
    expect(neighbours('fs', ['fs', 'mail'], listed, lock)).toEqual([{ server: 'mail', tools: ['send_email'] }]);
  });

  it('does not read Object.prototype members as pinned servers', () => {
    expect(neighbours('x', ['constructor', 'toString'], [], emptyLockfile())).toEqual([]);
  });
});

describe('selectServers', () => {
  const loaded = {
    servers: [{ name: 'fs' }],
    unavailable: [
      { name: 'gh', problems: [{ path: 'servers.gh.env.TOKEN', message: 'environment variable GH is not set' }] },
    ],
  } as unknown as LoadedConfig;

  it('names why a server left out by an unresolvable reference is not there', () => {
    expect(() => selectServers(loaded, 'gh')).toThrow(
      'server "gh" is unavailable: at servers.gh.env.TOKEN: environment variable GH is not set',
    );
  });

  it('lists the known servers for a name that is not configured', () => {
    expect(() => selectServers(loaded, 'nope')).toThrow('no enabled server named "nope" (servers: fs)');
    expect(selectServers(loaded, undefined).map((s) => s.name)).toEqual(['fs']);
  });
});
