import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../errors.js';
import { egressEntryProblem } from './config-schema.js';

const FILE = '/etc/smg/config.json';
const load = (config: unknown) => parseConfig(JSON.stringify(config), FILE, { HOME: '/home/u' });
const stdio = (extra: Record<string, unknown> = {}) => ({ command: '/usr/bin/node', args: ['s.js'], ...extra });

describe('egress allow entries', () => {
  it.each([
    'api.github.com',
    '*.slack.com',
    'host:443',
    'registry.npmjs.org.',
    '10.0.0.0/8',
    '127.0.0.1:8080',
    '[2001:db8::1]:443',
    '2001:db8::/32',
    'xn--bcher-kva.example',
  ])('accepts %s', (entry) => {
    expect(egressEntryProblem(entry)).toBeUndefined();
    expect(egressEntryProblem(entry)).toBeUndefined();
  });

  it.each([
    ['', /expected a host name/],
    ['https://api.github.com', /the port must be 1-65535|expected a host name/],
    ['api.github.com:0', /the port must be 1-65535/],
    ['api.github.com:70000', /the port must be 1-65535/],
    ['*', /expected a host name/],
    ['a..b', /expected a host name/],
    ['10.0.0.0/33', /expected a CIDR/],
    ['[not-v6]:443', /IPv6 address in brackets/],
    ['-bad.example', /expected a host name/],
  ])('refuses %j', (entry, message) => {
    expect(egressEntryProblem(entry)).toMatch(message);
    expect(egressEntryProblem(entry)).toMatch(message);
  });

  it('names the JSON path of a malformed entry in the config error', () => {
    let error: unknown;
    try {
      load({ servers: { s: stdio({ sandbox: { network: { allow: ['ok.example', 'bad host'] } } }) } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as Error).message).toMatch(
      /servers\.s\.sandbox\.network\.allow\[1\]|servers\.s\.sandbox\.network\.allow\.1/,
    );
  });
});

describe('resolved sandbox profiles', () => {
  it.each([
    ['no profile and no default', {}, stdio(), undefined],
    ['its own true', {}, stdio({ sandbox: true }), 'none'],
    ['its own false over a default', { default: true }, stdio({ sandbox: false }), undefined],
    ['sandbox.default true', { default: true }, stdio(), 'none'],
    ['sandbox.default a profile', { default: { network: 'all' } }, stdio(), 'all'],
    ['its own profile over the default', { default: { network: 'all' } }, stdio({ sandbox: { roots: 'ro' } }), 'none'],
  ])('%s', (_what, top, server, network) => {
    const loaded = load({ sandbox: top, servers: { s: server } });
    expect(loaded.servers[0]!.sandbox?.network).toEqual(network);
  });

  it('makes paths absolute, relative to the config file, and carries resolve and bwrap', () => {
    const loaded = load({
      sandbox: { resolve: { 'internal.test': '10.1.2.3' }, bwrap: '/opt/bwrap' },
      servers: { s: stdio({ sandbox: { readOnly: ['data'], readWrite: ['~/out'], limits: { processes: 32 } } }) },
    });
    expect(loaded.servers[0]!.sandbox).toMatchObject({
      required: false,
      network: 'none',
      roots: 'rw',
      home: 'empty',
      readOnly: [path.join('/etc/smg', 'data')],
      readWrite: ['/home/u/out'],
      limits: { processes: 32 },
      stopWindowSeconds: 60,
      resolve: { 'internal.test': '10.1.2.3' },
      bwrap: '/opt/bwrap',
    });
  });

  it('is refused on a remote server', () => {
    expect(() => load({ servers: { r: { url: 'https://mcp.example.com/mcp', sandbox: true } } })).toThrow(
      /"sandbox" only applies to stdio servers/,
    );
  });
});
