/**
 * doctor's launcher check says what `scan` and `scan --clients` say (issue 17, item 7): each unpinned launcher of
 * the gateway config and of a client config is ⚠ with scan's message and fix, word for word.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { resolvePaths } from '../../../config/paths.js';
import { silentLogger } from '../../../log.js';
import { scanClients } from '../../scan-clients.js';
import { configuredLauncherFindings } from '../../scan.js';
import { createDoctorContext } from '../context.js';
import { launchersCheck } from './launchers.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function setup(config: unknown, cursor?: Record<string, unknown>) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-doctor-launchers-'));
  dirs.push(home);
  const env = { HOME: home, SMG_HOME: path.join(home, '.smg'), npm_config_cache: path.join(home, 'npm') };
  fs.mkdirSync(env.SMG_HOME);
  fs.mkdirSync(env.npm_config_cache);
  fs.writeFileSync(path.join(env.SMG_HOME, 'config.json'), JSON.stringify(config));
  if (cursor !== undefined) {
    fs.mkdirSync(path.join(home, '.cursor'));
    fs.writeFileSync(path.join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: cursor }));
  }
  const paths = resolvePaths({}, env);
  const catalog = { platform: 'linux' as const, env, project: path.join(home, 'project') };
  const ctx = createDoctorContext({ paths, env, catalog, log: silentLogger() });
  return { ctx, paths, env, catalog };
}

describe('doctor: launcher pins', () => {
  it('warns about each unpinned launcher with the message and fix scan gives, gateway and clients alike', async () => {
    const s = setup(
      {
        servers: {
          memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
          fetch: { command: 'uvx', args: ['mcp-server-fetch'] },
          ok: { command: 'npx', args: ['-y', 'pkg@1.0.0'] },
        },
      },
      { sqlite: { command: 'uvx', args: ['mcp-server-sqlite'] } },
    );
    const results = await launchersCheck.run(s.ctx);
    const lookup = { npmCacheDir: s.env.npm_config_cache };
    const scan = await configuredLauncherFindings(loadConfig(s.paths.config, s.env).servers, lookup);
    const clients = await scanClients(s.catalog, 'high', { gatewayConfig: s.paths.config, lookup });
    const launcher = clients.findings.filter((f) => f.ruleId.startsWith('launcher.'));
    expect(scan).toHaveLength(2);
    expect(launcher).toHaveLength(1);
    expect(results).toEqual([
      ...scan.map((f) => ({ status: 'warn', subject: `launcher ${f.server}`, detail: f.message, fix: f.remediation })),
      ...launcher.map((f) => ({
        status: 'warn',
        subject: 'launcher cursor/sqlite',
        detail: `${f.message} (${f.file} at mcpServers.sqlite.args[0])`,
        fix: f.remediation,
      })),
    ]);
    expect(results[0]).toEqual({
      status: 'warn',
      subject: 'launcher memory',
      detail:
        'npx runs @modelcontextprotocol/server-memory without a version: whatever the registry serves at start-up runs, unreviewed',
      fix: 'pin it in the gateway config: servers.memory.args[1]: "@modelcontextprotocol/server-memory@<version>" (npm view @modelcontextprotocol/server-memory version shows the newest)',
    });
    expect(await launchersCheck.run(s.ctx)).toEqual(results);
  });

  it('passes when every launcher is pinned', async () => {
    const s = setup({ servers: { ok: { command: 'npx', args: ['-y', 'pkg@1.0.0'] } } });
    expect(await launchersCheck.run(s.ctx)).toEqual([
      {
        status: 'ok',
        subject: 'launchers',
        detail: 'no unpinned npx, uvx or docker launcher in the gateway config or the client configs',
      },
    ]);
  });

  it('still checks the client configs when the gateway config does not load', async () => {
    const s = setup({ servers: { x: { command: 'npx', environment: {} } } }, { a: { command: 'npx', args: ['a'] } });
    const results = await launchersCheck.run(s.ctx);
    expect(results.map((r) => [r.status, r.subject])).toEqual([
      ['skip', 'launchers'],
      ['warn', 'launcher cursor/a'],
    ]);
    const clean = setup({ servers: { x: { command: 'npx', environment: {} } } });
    expect((await launchersCheck.run(clean.ctx)).map((r) => [r.status, r.detail])).toEqual([
      ['skip', 'the config does not load (see above): the launchers of its servers are not checked'],
      ['ok', 'no unpinned npx, uvx or docker launcher in the client configs'],
    ]);
  });
});
