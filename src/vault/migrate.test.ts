import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileStore } from './file.js';
import { applyMigration, migratedName, planMigration, stringAt } from './migrate.js';

const TOKEN = 'ghp_R8b2Xq9LmT4vZ7pK1sW3yN6cJ0dF5hG2aE8u';

function setup(envFiles: Record<string, string>, config: string) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-migrate-'));
  fs.mkdirSync(path.join(home, 'secrets'), { mode: 0o700 });
  for (const [name, text] of Object.entries(envFiles))
    fs.writeFileSync(path.join(home, 'secrets', name), text, { mode: 0o600 });
  const configFile = path.join(home, 'config.json');
  fs.writeFileSync(configFile, config);
  const vault = createFileStore({ home });
  const opts = { configFile, home, env: { SMG_HOME: home, SMG_VAULT: 'file' }, vault };
  const plan = () => planMigration({ ...opts, text: fs.readFileSync(configFile, 'utf8') });
  return { home, configFile, vault, opts, plan };
}

const CONFIG = `{
  // imported by init
  "servers": {
    "github": {
      "command": "node",
      "env": { "GITHUB_TOKEN": "\${file:secrets/github.env#GITHUB_TOKEN}", "OTHER": "\${env:HOME}" }
    },
    "linear": {
      "url": "https://mcp.linear.app/mcp",
      "headers": { "Authorization": "Bearer \${file:~/never/linear.env#HEADER_AUTHORIZATION}" }
    },
    "fetch": { "command": "x", "args": ["--api-key", "\${file:secrets/fetch.env#ARG_1}", "\${file:secrets/fetch.env#NOPE}"] }
  }
}
`;

describe('secrets migrate', () => {
  it.each([
    ['/h/secrets/github.env', 'GITHUB_TOKEN', 'github.GITHUB_TOKEN'],
    ['/h/secrets/linear.env', 'HEADER_AUTHORIZATION', 'linear.HEADER_AUTHORIZATION'],
    ['/h/secrets/fetch-cursor.env', 'ARG_2', 'fetch-cursor.ARG_2'],
  ])('names %s#%s %s', (file, key, name) => {
    expect(migratedName(file, key)).toBe(name);
  });

  it('plans every <home>/secrets reference, skips what it cannot move, and writes nothing', () => {
    const { plan, configFile, home, vault } = setup(
      { 'github.env': `# moved by init\nGITHUB_TOKEN=${TOKEN}\n`, 'fetch.env': 'ARG_1="sk-a b"\n' },
      CONFIG,
    );
    const before = fs.readFileSync(configFile, 'utf8');
    const p = plan();
    expect(p.moves.map((m) => [m.at.join('.'), m.name])).toEqual([
      ['servers.github.env.GITHUB_TOKEN', 'github.GITHUB_TOKEN'],
      ['servers.fetch.args.1', 'fetch.ARG_1'],
    ]);
    expect(p.skipped.map((s) => [s.at.join('.'), s.why])).toEqual([
      ['servers.fetch.args.2', `${path.join(home, 'secrets', 'fetch.env')} has no NOPE= line`],
    ]);
    expect([...p.values]).toEqual([
      ['github.GITHUB_TOKEN', TOKEN],
      ['fetch.ARG_1', 'sk-a b'],
    ]);
    // Comments and the references outside <home>/secrets stay; a file left without any KEY line goes.
    expect(p.configText).toContain('// imported by init');
    expect(stringAt(p.configText!, ['servers', 'github', 'env', 'GITHUB_TOKEN'])).toBe(
      '${keychain:github.GITHUB_TOKEN}',
    );
    expect(stringAt(p.configText!, ['servers', 'github', 'env', 'OTHER'])).toBe('${env:HOME}');
    expect(stringAt(p.configText!, ['servers', 'linear', 'headers', 'Authorization'])).toMatch(/\$\{file:~\/never/);
    expect(p.envFiles.get(path.join(home, 'secrets', 'github.env'))).toBeNull();
    expect(p.envFiles.get(path.join(home, 'secrets', 'fetch.env'))).toBeNull();
    expect(fs.readFileSync(configFile, 'utf8')).toBe(before);
    expect(vault.list()).toEqual([]);
  });

  it('moves the secrets, keeps the config loading, removes the moved lines, and does nothing the second time', () => {
    const { plan, opts, configFile, home, vault } = setup(
      { 'github.env': `# moved by init\nGITHUB_TOKEN=${TOKEN}\nKEEP=unreferenced\n` },
      '{"servers":{"github":{"command":"node","env":{"GITHUB_TOKEN":"${file:secrets/github.env#GITHUB_TOKEN}"}}}}\n',
    );
    const { backup } = applyMigration(plan(), opts);
    expect(vault.get('github.GITHUB_TOKEN')).toBe(TOKEN);
    expect(fs.readFileSync(configFile, 'utf8')).toContain('${keychain:github.GITHUB_TOKEN}');
    expect(fs.readFileSync(backup!, 'utf8')).toContain('${file:secrets/github.env#GITHUB_TOKEN}');
    const env = fs.readFileSync(path.join(home, 'secrets', 'github.env'), 'utf8');
    expect(env).toBe('# moved by init\nKEEP=unreferenced\n');
    const again = plan();
    expect(again.moves).toEqual([]);
    expect(again.configText).toBeUndefined();
    expect(applyMigration(again, opts)).toEqual({});
  });

  it('does not overwrite a different value the vault already holds under the name', () => {
    const { plan, vault } = setup(
      { 'github.env': `GITHUB_TOKEN=${TOKEN}\n` },
      '{"servers":{"github":{"command":"node","env":{"GITHUB_TOKEN":"${file:secrets/github.env#GITHUB_TOKEN}"}}}}',
    );
    vault.set('github.GITHUB_TOKEN', 'another');
    const p = plan();
    expect(p.moves).toEqual([]);
    expect(p.skipped.map((s) => s.why)).toEqual(['the vault already holds a different github.GITHUB_TOKEN']);
  });
});
