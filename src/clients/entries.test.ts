import { describe, expect, it } from 'vitest';
import type { EntryDialect } from './catalog.js';
import {
  gatewayEntry,
  gatewayServerName,
  isGatewayEntry,
  parseEntry,
  toGatewayServer,
  type ClientServer,
} from './entries.js';

const ctx = (dialect: EntryDialect, client = 'cursor' as ClientServer['client']) => ({
  client,
  dialect,
  file: '/h/.cursor/mcp.json',
  scope: 'user' as const,
  location: ['mcpServers'],
});

describe('client entries', () => {
  it.each([
    [
      'mcp-servers',
      { command: 'node', args: ['s.js'], env: { A: '1' } },
      { kind: 'stdio', command: 'node', args: ['s.js'], env: { A: '1' } },
    ],
    [
      'zed',
      { command: { path: 'node', args: ['s.js'], env: { A: '1' } }, settings: {} },
      { kind: 'stdio', command: 'node', args: ['s.js'], env: { A: '1' } },
    ],
    ['zed', { source: 'custom', command: 'node', args: ['s.js'] }, { kind: 'stdio', command: 'node', args: ['s.js'] }],
    [
      'windsurf',
      { serverUrl: 'https://x/mcp', headers: { A: 'b' } },
      { kind: 'remote', url: 'https://x/mcp', headers: { A: 'b' } },
    ],
    ['vscode', { type: 'sse', url: 'https://x/sse' }, { kind: 'remote', url: 'https://x/sse', transport: 'sse' }],
    ['cline', { type: 'streamableHttp', url: 'https://x/mcp' }, { kind: 'remote', transport: 'streamable-http' }],
    ['cline', { command: 'npx', args: ['-y', 'x'], disabled: true, autoApprove: ['a'] }, { disabled: true }],
  ] as const)('reads a %s entry', (dialect, raw, expected) => {
    // The same input twice: parsing keeps no state.
    expect(parseEntry('s', raw, ctx(dialect))).toMatchObject(expected);
    expect(parseEntry('s', raw, ctx(dialect))).toMatchObject(expected);
  });

  it('marks an entry of an unknown shape invalid', () => {
    expect(parseEntry('s', 'x', ctx('mcp-servers')).invalid).toMatch(/not an object/);
    expect(parseEntry('s', { foo: 1 }, ctx('mcp-servers')).invalid).toMatch(/neither/);
  });

  it.each([
    [{ command: '/usr/bin/node', args: ['/opt/smg/bin/secure-mcp-gateway.js', 'start'] }, true],
    [{ command: 'secure-mcp-gateway', args: [] }, true],
    [{ command: 'C:\\npm\\secure-mcp-gateway.cmd', args: [] }, true],
    [{ command: 'npx', args: ['-y', 'secure-mcp-gateway@0.1.0'] }, true],
    [{ command: 'npx', args: ['-y', 'secure-mcp-gateway-fork'] }, false],
    [{ command: 'node', args: ['server.js'] }, false],
    [{ args: [] }, false],
  ])('tells the gateway entry %j: %s', (entry, expected) => {
    expect(isGatewayEntry(entry)).toBe(expected);
    expect(isGatewayEntry(entry)).toBe(expected);
  });

  it('writes the gateway entry in each dialect', () => {
    const launch = { command: 'node', args: ['bin.js', 'start'], env: { SMG_HOME: '/h' } };
    expect(gatewayEntry('vscode', launch)).toEqual({ type: 'stdio', ...launch });
    expect(gatewayEntry('claude-code', launch)).toEqual({ type: 'stdio', ...launch });
    expect(gatewayEntry('zed', launch)).toEqual({ source: 'custom', ...launch });
    expect(gatewayEntry('mcp-servers', launch)).toEqual(launch);
  });

  it.each([
    ['github', 'github'],
    ['my server.v2', 'my-server-v2'],
    ['__x__', 'x'],
    ['a__b', 'a_b'],
    ['', 'server'],
    ['x'.repeat(40), 'x'.repeat(32)],
  ])('makes a gateway server name of %j', (name, expected) => {
    expect(gatewayServerName(name)).toBe(expected);
  });

  it('translates client references, and disables a server with one the gateway cannot fill', () => {
    const cc = parseEntry(
      's',
      { command: 'x', env: { A: '${TOKEN}', B: '${env:B}', C: '${HOST:-localhost}' } },
      ctx('claude-code', 'claude-code'),
    );
    const out = toGatewayServer(cc, '/h', 'Claude Code');
    expect(out.env).toEqual({ A: '${env:TOKEN}', B: '${env:B}', C: '${env:HOST}' });
    expect(out.enabled).toBe(false);
    const vs = parseEntry(
      's',
      { command: 'x', args: ['${userHome}/a', '${workspaceFolder}'], env: { K: '${input:key}' } },
      { ...ctx('vscode', 'vscode'), scope: 'project', project: '/p' },
    );
    const v = toGatewayServer(vs, '/h', 'VS Code');
    expect(v.args).toEqual(['/h/a', '/p']);
    // A project's server starts in the project folder, as its client starts it.
    expect(v.cwd).toBe('/p');
    expect(v.enabled).toBe(false);
    expect(v.description).toMatch(/the client fills in \$\{input:key\}/);
    const plain = toGatewayServer(parseEntry('s', { url: 'https://x/mcp' }, ctx('mcp-servers')), '/h', 'Cursor');
    expect(plain).toEqual({ url: 'https://x/mcp', description: 'imported from Cursor (/h/.cursor/mcp.json)' });
  });
});
