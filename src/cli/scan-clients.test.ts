/**
 * `scan --clients` words a launcher's fix for where the pin goes (issue 17, item 7): a server that bypasses the
 * gateway alone is told to route through it; one the gateway config runs too is pinned there; the gateway's own
 * entry run by npx is pinned with install --command. Real files in a temporary home, Linux paths.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VERSION } from '../version.js';
import { formatClientsScan, gatewayServers, scanClients } from './scan-clients.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A home with Cursor's user file holding `servers`, an empty npm cache and a gateway config holding `gateway`. */
function setup(servers: Record<string, unknown>, gateway?: Record<string, unknown>) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-scan-clients-'));
  dirs.push(home);
  fs.mkdirSync(path.join(home, '.cursor'));
  fs.writeFileSync(path.join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: servers }));
  fs.mkdirSync(path.join(home, 'npm-cache'));
  const config = path.join(home, 'gateway', 'config.json');
  if (gateway !== undefined) {
    fs.mkdirSync(path.dirname(config));
    fs.writeFileSync(config, JSON.stringify({ servers: gateway }));
  }
  const catalog = { platform: 'linux' as const, env: { HOME: home }, project: path.join(home, 'project') };
  const scan = () =>
    scanClients(catalog, 'high', { gatewayConfig: config, lookup: { npmCacheDir: path.join(home, 'npm-cache') } });
  return { home, config, scan };
}

const launcherFix = async (s: ReturnType<typeof setup>) => {
  const r = await s.scan();
  return r.findings.filter((f) => f.ruleId.startsWith('launcher.')).map((f) => [f.server, f.where, f.remediation]);
};

describe('scan --clients: where an unpinned launcher is pinned', () => {
  it('tells a server that bypasses the gateway alone to pin it or route it through the gateway', async () => {
    const s = setup({ fetch: { command: 'npx', args: ['-y', 'mcp-fetch'] } });
    expect(await launcherFix(s)).toEqual([
      [
        'fetch',
        'mcpServers.fetch.args[1]',
        'Pin an exact version: mcp-fetch@<version> (npm view mcp-fetch version shows the newest); or route it through the gateway: secure-mcp-gateway install --client cursor',
      ],
    ]);
  });

  it('pins a server the gateway config runs too in the gateway config, in the words scan and doctor use', async () => {
    const s = setup(
      { fetch: { command: 'npx', args: ['-y', 'mcp-fetch'] } },
      { web: { command: 'npx', args: ['-y', 'mcp-fetch'] } },
    );
    const [[, , fix]] = (await launcherFix(s)) as [[string, string, string]];
    expect(fix).toBe(
      'pin it in the gateway config: servers.web.args[1]: "mcp-fetch@<version>" (npm view mcp-fetch version shows the newest); then secure-mcp-gateway install --client cursor, so that Cursor stops running its own copy',
    );
    expect(fix).not.toContain('route it through');
  });

  it('says the gateway already runs it pinned when it does, and ignores a disabled gateway server', async () => {
    const pinned = setup(
      { fetch: { command: 'npx', args: ['-y', 'mcp-fetch'] } },
      { web: { command: 'npx', args: ['-y', 'mcp-fetch@1.0.0'] } },
    );
    expect((await launcherFix(pinned))[0]![2]).toBe(
      'the gateway runs mcp-fetch pinned (servers.web); Cursor should use it: secure-mcp-gateway install --client cursor',
    );
    const disabled = setup(
      { fetch: { command: 'npx', args: ['-y', 'mcp-fetch'] } },
      { web: { command: 'npx', args: ['-y', 'mcp-fetch'], enabled: false } },
    );
    expect((await launcherFix(disabled))[0]![2]).toMatch(/or route it through the gateway/);
  });

  it('pins the gateway entry itself with install --command, at this version', async () => {
    const s = setup({ 'secure-mcp-gateway': { command: 'npx', args: ['-y', 'secure-mcp-gateway', 'start'] } });
    const r = await s.scan();
    expect(r.findings.map((f) => [f.ruleId, f.server, f.remediation])).toEqual([
      [
        'launcher.unpinned',
        'secure-mcp-gateway',
        `secure-mcp-gateway install --client cursor --command "npx -y secure-mcp-gateway@${VERSION}"`,
      ],
    ]);
    // It is the gateway: no shadow server, and the file routes through it.
    expect(r.clients[0]!.files[0]!.routed).toBe(true);
  });

  it('reads the gateway config as written, and none when it is missing or broken', () => {
    const s = setup({}, { a: { command: 'npx', args: ['x', 7] }, r: { url: 'https://h/mcp' }, d: { enabled: false } });
    expect(gatewayServers(s.config)).toEqual([{ name: 'a', command: 'npx', args: ['x'] }]);
    expect(gatewayServers(path.join(s.home, 'nowhere.json'))).toEqual([]);
    fs.writeFileSync(s.config, '{ not json');
    expect(gatewayServers(s.config)).toEqual([]);
    expect(gatewayServers(undefined)).toEqual([]);
  });

  it('counts in the singular and the plural', async () => {
    const one = setup({ fetch: { command: 'node', args: ['x.js'] } });
    const text = formatClientsScan(await one.scan());
    expect(text).toMatch(/\(user\): 1 server, does not use the gateway$/m);
    expect(text).toMatch(/^1 finding: 0 critical, 1 high/m);
    const two = setup({ a: { command: 'node', args: ['a.js'] }, b: { command: 'node', args: ['b.js'] } });
    expect(formatClientsScan(await two.scan())).toMatch(/\(user\): 2 servers, .*\n[\s\S]*^2 findings: /m);
  });
});
