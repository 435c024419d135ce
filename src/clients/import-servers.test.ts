import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientInfo } from './catalog.js';
import { parseEntry } from './entries.js';
import { applyImport, fileServerRoots, planImport } from './import-servers.js';
import { createFileStore } from '../vault/file.js';

const TOKEN = 'ghp_R8b2Xq9LmT4vZ7pK1sW3yN6cJ0dF5hG2aE8u';
const ROTATED = 'ghp_Z1y2X3w4V5u6T7s8R9q0P1o2N3m4L5k6J7i8';

function setup() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-imp-'));
  const gw = path.join(home, '.secure-mcp-gateway');
  const paths = { home: gw, config: path.join(gw, 'config.json') };
  const source = (id: 'claude-desktop' | 'cursor', entries: Record<string, unknown>) => {
    const client = clientInfo(id, { platform: 'linux', env: { HOME: home } });
    const file = client.files[0]!.path;
    return {
      client,
      servers: Object.entries(entries).map(([name, raw]) =>
        parseEntry(name, raw, { client: id, dialect: client.dialect, file, scope: 'user', location: ['mcpServers'] }),
      ),
    };
  };
  const config = () =>
    JSON.parse(fs.readFileSync(paths.config, 'utf8')) as { servers: Record<string, Record<string, unknown>> };
  return { home, gw, paths, source, config };
}

const github = (token: string) => ({ command: 'node', args: ['gh.js'], env: { GITHUB_TOKEN: token } });

describe('importing client servers', () => {
  it('gives a name taken by another definition the client id as a suffix, and imports a same definition once', () => {
    const { home, paths, source, config } = setup();
    const plan = planImport(
      [
        source('claude-desktop', { github: github(TOKEN), memory: { command: 'mem' } }),
        source('cursor', { github: { command: 'other' }, memory: { command: 'mem' } }),
      ],
      paths,
      home,
    );
    expect(plan.servers.map((s) => [s.client.id, s.from.name, s.status, s.name])).toEqual([
      ['claude-desktop', 'github', 'new', 'github'],
      ['claude-desktop', 'memory', 'new', 'memory'],
      ['cursor', 'github', 'new', 'github-cursor'],
      ['cursor', 'memory', 'present', 'memory'],
    ]);
    applyImport(plan, paths);
    expect(Object.keys(config().servers)).toEqual(['github', 'memory', 'github-cursor']);
    // The same sources again: nothing new.
    const again = planImport([source('claude-desktop', { github: github(TOKEN) })], paths, home);
    expect(again.servers.map((s) => s.status)).toEqual(['present']);
    expect(again.configText).toBeUndefined();
    expect(again.secrets.size).toBe(0);
  });

  it('updates the secrets file in place when the client rotated a key, rather than import a second server', () => {
    const { home, gw, paths, source, config } = setup();
    applyImport(planImport([source('claude-desktop', { github: github(TOKEN) })], paths, home), paths);
    const file = path.join(gw, 'secrets', 'github.env');
    expect(fs.readFileSync(file, 'utf8')).toContain(`GITHUB_TOKEN=${TOKEN}\n`);
    const plan = planImport([source('claude-desktop', { github: github(ROTATED) })], paths, home);
    expect(plan.servers.map((s) => [s.status, s.name])).toEqual([['updated', 'github']]);
    applyImport(plan, paths);
    expect(Object.keys(config().servers)).toEqual(['github']);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain(`GITHUB_TOKEN=${ROTATED}\n`);
    expect(text).not.toContain(TOKEN);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  describe('with the credential vault (issue 18)', () => {
    it('moves an inline key to the vault as <server>.<KEY>, and finds it present the second time', () => {
      const { home, gw, paths, source, config } = setup();
      const vault = createFileStore({ home: gw });
      const withVault = { ...paths, vault: () => vault };
      const plan = planImport([source('claude-desktop', { github: github(TOKEN) })], withVault, home);
      expect(plan.secrets.size).toBe(0);
      expect([...plan.vaultSecrets]).toEqual([['github.GITHUB_TOKEN', TOKEN]]);
      applyImport(plan, withVault);
      expect(config().servers.github!.env).toEqual({ GITHUB_TOKEN: '${keychain:github.GITHUB_TOKEN}' });
      expect(vault.get('github.GITHUB_TOKEN')).toBe(TOKEN);
      expect(fs.existsSync(path.join(gw, 'secrets'))).toBe(false);
      expect(fs.readFileSync(paths.config, 'utf8')).not.toContain(TOKEN);
      const again = planImport([source('claude-desktop', { github: github(TOKEN) })], withVault, home);
      expect(again.servers.map((s) => s.status)).toEqual(['present']);
      expect(again.vaultSecrets.size).toBe(0);
      // A key rotated in the client: the vault value is replaced, no second server.
      const rotated = planImport([source('claude-desktop', { github: github(ROTATED) })], withVault, home);
      expect(rotated.servers.map((s) => [s.status, s.name])).toEqual([['updated', 'github']]);
      applyImport(rotated, withVault);
      expect(vault.get('github.GITHUB_TOKEN')).toBe(ROTATED);
      expect(Object.keys(config().servers)).toEqual(['github']);
    });

    it('finds a server imported into secrets/<server>.env before the vault present, not new', () => {
      const { home, gw, paths, source } = setup();
      applyImport(planImport([source('claude-desktop', { github: github(TOKEN) })], paths, home), paths);
      const vault = createFileStore({ home: gw });
      const again = planImport(
        [source('claude-desktop', { github: github(TOKEN) })],
        { ...paths, vault: () => vault },
        home,
      );
      expect(again.servers.map((s) => [s.status, s.name])).toEqual([['present', 'github']]);
      expect(again.configText).toBeUndefined();
      expect(vault.list()).toEqual([]);
    });
  });

  it('adds a "servers" map to a config that has none, keeping what is there', () => {
    const { home, gw, paths, source, config } = setup();
    fs.mkdirSync(gw, { recursive: true });
    fs.writeFileSync(paths.config, '{\n  "defaultPolicy": "default"\n}\n');
    applyImport(planImport([source('cursor', { memory: { command: 'mem' } })], paths, home), paths);
    expect(config()).toMatchObject({ defaultPolicy: 'default', servers: { memory: { command: 'mem' } } });
  });

  it('refuses a gateway config that does not parse, and writes nothing', () => {
    const { home, gw, paths, source } = setup();
    fs.mkdirSync(gw, { recursive: true });
    fs.writeFileSync(paths.config, '{"servers": ');
    expect(() => planImport([source('cursor', { memory: { command: 'mem' } })], paths, home)).toThrow(/cannot parse/);
    expect(fs.readFileSync(paths.config, 'utf8')).toBe('{"servers": ');
  });

  describe('roots of file servers (issue 15, class 9)', () => {
    it('derives roots from the directories a file server is started with', () => {
      const { home, paths, source, config } = setup();
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-work-'));
      fs.mkdirSync(path.join(home, 'docs'));
      fs.writeFileSync(path.join(home, 'file.txt'), '');
      const args = [
        '-y',
        '@modelcontextprotocol/server-filesystem',
        work,
        '~/docs',
        '/no/such/dir',
        'relative',
        path.join(home, 'file.txt'),
      ];
      const servers = {
        filesystem: { command: 'npx', args },
        memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory', work] },
      };
      applyImport(planImport([source('claude-desktop', servers)], paths, home), paths);
      expect(config().servers.filesystem!.roots).toEqual([work, '~/docs']);
      expect(config().servers.memory).not.toHaveProperty('roots');
      // Imported again: the same definition, not a second server.
      const again = planImport([source('claude-desktop', servers)], paths, home);
      expect(again.servers.map((s) => s.status)).toEqual(['present', 'present']);
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('finds a file server imported before roots were derived as present, not new', () => {
      const { home, paths, source } = setup();
      const client = source('claude-desktop', {}).client;
      const args = ['-y', '@modelcontextprotocol/server-filesystem', home];
      fs.mkdirSync(paths.home, { recursive: true });
      const description = `imported from ${client.name} (${client.files[0]!.path})`;
      fs.writeFileSync(
        paths.config,
        JSON.stringify({ servers: { filesystem: { command: 'npx', args, description } } }),
      );
      const plan = planImport([source('claude-desktop', { filesystem: { command: 'npx', args } })], paths, home);
      expect(plan.servers.map((s) => s.status)).toEqual(['present']);
    });

    it('says so in the description when a file server has no directory to confine it to', () => {
      const { home, paths, source, config } = setup();
      applyImport(
        planImport(
          [source('cursor', { fs: { command: 'mcp-server-filesystem', args: ['/no/such/dir'] } })],
          paths,
          home,
        ),
        paths,
      );
      expect(config().servers.fs).not.toHaveProperty('roots');
      expect(config().servers.fs!.description).toMatch(/no roots/);
    });

    const dir = os.tmpdir();
    it.each<[string[], boolean]>([
      [['npx', '-y', '@modelcontextprotocol/server-filesystem', dir], true],
      [['npx', '-y', '@modelcontextprotocol/server-filesystem@2025.8.21', dir], true],
      [['node', '/x/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js', dir], true],
      [['mcp-server-filesystem', dir], true],
      [['npx', 'filesystem-mcp-server', dir], true],
      [['npx', '@cyanheads/filesystem-mcp-server', dir], true],
      [['uvx', 'mcp-server-fs', dir], true],
      [['mcp-filesystem-server', dir], true],
      [['npx', '@modelcontextprotocol/server-memory', dir], false],
      [['npx', 'filesystem', dir], false],
      [['node', 'fs.js', dir], false],
      [['npx', 'mcp-server-fsx', dir], false],
    ])('reads %j as a file server: %s', (argv, isFile) => {
      const [command, ...args] = argv;
      const roots = fileServerRoots({ command, args }, dir);
      expect(roots).toEqual(isFile ? [dir] : undefined);
    });

    it('keeps roots the definition already has, and ignores options and references', () => {
      const def = { command: 'npx', args: ['@modelcontextprotocol/server-filesystem', '--x', '${env:DIR}', dir] };
      expect(fileServerRoots(def, dir)).toEqual([dir]);
      expect(fileServerRoots({ ...def, roots: ['/a'] }, dir)).toBeUndefined();
      expect(fileServerRoots({ url: 'https://x' }, dir)).toBeUndefined();
    });
  });

  describe('sandbox proposals (issue 19)', () => {
    it('writes a profile per stdio server and says which and why; a remote server gets none', () => {
      const { home, paths, source, config } = setup();
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-work-'));
      const servers = {
        github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_TOKEN: TOKEN } },
        files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', work] },
        local: { command: 'node', args: ['server.js'] },
        remote: { url: 'https://mcp.example.com/mcp' },
      };
      const plan = planImport([source('claude-desktop', servers)], paths, home);
      expect(plan.servers.map((s) => [s.name, s.sandbox])).toEqual([
        [
          'github',
          'sandbox: allow api.github.com, registry.npmjs.org, persistent home: it calls the GitHub API; npx downloads it from registry.npmjs.org and keeps its cache in a persistent home',
        ],
        [
          'files',
          `sandbox: allow registry.npmjs.org, persistent home: npx downloads it from registry.npmjs.org and keeps its cache in a persistent home; its folders ${work} are its roots, mounted read-write`,
        ],
        [
          'local',
          'sandbox: default (no network): the default profile: no network, its roots read-write, an empty home',
        ],
        ['remote', undefined],
      ]);
      applyImport(plan, paths);
      const written = config().servers;
      expect(written.github!.sandbox).toEqual({
        network: { allow: ['api.github.com', 'registry.npmjs.org'] },
        home: 'persistent',
      });
      expect(written.files!.roots).toEqual([work]);
      expect(written.files!.sandbox).toEqual({ network: { allow: ['registry.npmjs.org'] }, home: 'persistent' });
      expect(written.local!.sandbox).toBe(true);
      expect(written.remote).not.toHaveProperty('sandbox');
      // Imported again: present, nothing proposed twice.
      const again = planImport([source('claude-desktop', servers)], paths, home);
      expect(again.servers.map((s) => [s.status, s.sandbox])).toEqual(Array(4).fill(['present', undefined]));
      expect(again.configText).toBeUndefined();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('finds a server imported before proposals, or with a profile the user changed, present, not new', () => {
      const { home, paths, source } = setup();
      const client = source('claude-desktop', {}).client;
      const description = `imported from ${client.name} (${client.files[0]!.path})`;
      fs.mkdirSync(paths.home, { recursive: true });
      fs.writeFileSync(
        paths.config,
        JSON.stringify({
          servers: {
            old: { command: 'node', args: ['old.js'], description },
            edited: { command: 'node', args: ['edited.js'], description, sandbox: { network: 'all' } },
          },
        }),
      );
      const plan = planImport(
        [
          source('claude-desktop', {
            old: { command: 'node', args: ['old.js'] },
            edited: { command: 'node', args: ['edited.js'] },
          }),
        ],
        paths,
        home,
      );
      expect(plan.servers.map((s) => s.status)).toEqual(['present', 'present']);
      expect(plan.configText).toBeUndefined();
    });
  });
});
