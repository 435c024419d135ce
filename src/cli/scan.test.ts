/**
 * scan's config-only sandbox findings (issue 19): one per unconfined stdio server and per open network, each below
 * the default --fail-on high.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { atLeast } from '../integrity/findings.js';
import { configuredSandboxFindings } from './scan.js';

const servers = (entry: Record<string, unknown>, top: Record<string, unknown> = {}) =>
  parseConfig(JSON.stringify({ servers: { s: entry }, ...top }), '/tmp/config.json').servers;

const stdio = { command: 'node', args: ['server.js'] };

describe('scan: sandbox findings', () => {
  it.each([
    ['no profile', stdio, {}, [['sandbox.unconfined', 'medium', 'sandbox']]],
    ['"sandbox": false', { ...stdio, sandbox: false }, {}, [['sandbox.unconfined', 'low', 'sandbox']]],
    ['"sandbox": true', { ...stdio, sandbox: true }, {}, []],
    ['an allow list', { ...stdio, sandbox: { network: { allow: ['api.github.com'] } } }, {}, []],
    [
      'network "all"',
      { ...stdio, sandbox: { network: 'all' } },
      {},
      [['sandbox.network-all', 'medium', 'sandbox.network']],
    ],
    ['sandbox.default', stdio, { sandbox: { default: {} } }, []],
    [
      'sandbox.default with network "all"',
      stdio,
      { sandbox: { default: { network: 'all' } } },
      [['sandbox.network-all', 'medium', 'sandbox.network']],
    ],
    [
      '"sandbox": false over a default',
      { ...stdio, sandbox: false },
      { sandbox: { default: {} } },
      [['sandbox.unconfined', 'low', 'sandbox']],
    ],
    ['a remote server', { url: 'https://mcp.example.com/mcp' }, {}, []],
  ])('%s', (_, entry, top, want) => {
    const found = configuredSandboxFindings(servers(entry, top));
    expect(found.map((f) => [f.ruleId, f.severity, f.where])).toEqual(want);
    for (const f of found) {
      expect(f.server).toBe('s');
      expect(atLeast(f.severity, 'high')).toBe(false);
      expect(f.remediation).toContain('servers.s');
    }
  });
});
