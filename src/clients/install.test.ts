import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientInfo } from './catalog.js';
import { GATEWAY_ENTRY, installFile, readState, statePath, uninstallFile } from './install.js';

const launch = {
  command: '/usr/bin/node',
  args: ['/opt/smg/bin/secure-mcp-gateway.js', 'start'],
  env: { SMG_HOME: '/h' },
};

function setup() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-inst-'));
  const gw = path.join(home, '.secure-mcp-gateway');
  const cursor = clientInfo('cursor', { platform: 'linux', env: { HOME: home }, project: path.join(home, 'p') });
  const file = cursor.files[0]!.path;
  return { home, gw, cursor, file };
}

describe('install and uninstall of one client file', () => {
  it('creates a missing file, and uninstall removes it again', () => {
    const { gw, cursor, file } = setup();
    const ch = installFile(cursor, file, { home: gw, launch, dryRun: false });
    expect(ch.action).toBe('install');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ mcpServers: { [GATEWAY_ENTRY]: launch } });
    expect(readState(gw).files[file]?.created).toBe(true);
    expect(uninstallFile(cursor, file, { home: gw, dryRun: false }).action).toBe('remove');
    expect(fs.existsSync(file)).toBe(false);
    expect(readState(gw).files).toEqual({});
  });

  it('a dry run writes nothing', () => {
    const { gw, cursor, file } = setup();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"mcpServers": {"a": {"command": "a"}}}');
    const ch = installFile(cursor, file, { home: gw, launch, dryRun: true });
    expect(ch.action).toBe('install');
    expect(ch.text).toContain(GATEWAY_ENTRY);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"mcpServers": {"a": {"command": "a"}}}');
    expect(fs.existsSync(gw)).toBe(false);
  });

  it('a later install moves servers added since, and uninstall then edits instead of restoring', () => {
    const { gw, cursor, file } = setup();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const original = '{\n  "mcpServers": {\n    "a": { "command": "a" }\n  }\n}\n';
    fs.writeFileSync(file, original);
    installFile(cursor, file, { home: gw, launch, dryRun: false, now: new Date(0) });
    // The user adds a server beside the gateway.
    const added = JSON.parse(fs.readFileSync(file, 'utf8')) as { mcpServers: Record<string, unknown> };
    added.mcpServers.b = { command: 'b' };
    fs.writeFileSync(file, JSON.stringify(added, null, 2));
    const again = installFile(cursor, file, { home: gw, launch, dryRun: false, now: new Date(1000) });
    expect(again).toMatchObject({ action: 'update', entries: ['b'] });
    expect(readState(gw).files[file]).toMatchObject({ byteRestore: false });
    expect(installFile(cursor, file, { home: gw, launch, dryRun: false }).action).toBe('unchanged');
    const un = uninstallFile(cursor, file, { home: gw, dryRun: false });
    expect(un).toMatchObject({ action: 'edit', entries: ['a', 'b'] });
    expect(Object.keys((JSON.parse(fs.readFileSync(file, 'utf8')) as { mcpServers: object }).mcpServers)).toEqual([
      'a',
      'b',
    ]);
    expect(uninstallFile(cursor, file, { home: gw, dryRun: false }).action).toBe('not-installed');
  });

  it('updates its own entry when the launch command changed', () => {
    const { gw, cursor, file } = setup();
    installFile(cursor, file, { home: gw, launch, dryRun: false });
    const moved = { ...launch, command: '/opt/node22/bin/node' };
    expect(installFile(cursor, file, { home: gw, launch: moved, dryRun: false }).action).toBe('update');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ mcpServers: { [GATEWAY_ENTRY]: moved } });
  });

  it('refuses a file that does not parse, and a state file that does not parse', () => {
    const { gw, cursor, file } = setup();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"mcpServers": {');
    expect(() => installFile(cursor, file, { home: gw, launch, dryRun: false })).toThrow(/cannot parse/);
    fs.mkdirSync(gw, { recursive: true });
    fs.writeFileSync(statePath(gw), 'nope');
    expect(() => readState(gw)).toThrow(/cannot read the install state/);
  });

  it("moves Claude Code's per-project servers too, and uninstall puts them back where they were", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-inst-'));
    const gw = path.join(home, '.secure-mcp-gateway');
    const cc = clientInfo('claude-code', { platform: 'linux', env: { HOME: home }, project: path.join(home, 'p') });
    const file = cc.files[0]!.path;
    const original = JSON.stringify(
      {
        numStartups: 3,
        mcpServers: { top: { type: 'stdio', command: 'a' } },
        projects: { '/w/app': { allowedTools: [], mcpServers: { local: { type: 'http', url: 'https://x/mcp' } } } },
      },
      null,
      2,
    );
    fs.writeFileSync(file, original);
    const ch = installFile(cc, file, { home: gw, launch, dryRun: false });
    expect(ch.entries).toEqual(['top', 'local']);
    const after = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      mcpServers: object;
      projects: Record<string, { mcpServers: object }>;
    };
    expect(Object.keys(after.mcpServers)).toEqual([GATEWAY_ENTRY]);
    expect(after.projects['/w/app']!.mcpServers).toEqual({});
    // Claude Code rewrites the file (a start count): uninstall edits it back instead of restoring the backup.
    fs.writeFileSync(file, JSON.stringify({ ...after, numStartups: 4 }, null, 2));
    expect(uninstallFile(cc, file, { home: gw, dryRun: false }).action).toBe('edit');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ ...(JSON.parse(original) as object), numStartups: 4 });
  });
});
