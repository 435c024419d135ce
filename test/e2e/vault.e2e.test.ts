/**
 * The credential vault (issue 18) with the built command: (a) a REAL Linux Secret Service (a private dbus-daemon and
 * gnome-keyring, test/helpers/secret-service.ts): `secrets set/list/rm`, a long value, and a config with
 * `${keychain:NAME}` started over stdio whose upstream receives the value; (b) the encrypted file with a passphrase,
 * and a wrong one; (c) `init` moving an inline token into the vault, and `secrets migrate` on the older
 * `<home>/secrets/*.env` layout, after which `start` still resolves every reference; (d) no file the gateway wrote
 * holds a secret in clear. The upstream (test/fixtures/secret-check-server.ts) answers a digest, never the value.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientInfo } from '../../src/clients/catalog.js';
import { BIN, fixtureServer, startGateway, tempDir, textOf } from '../helpers/gateway.js';
import { startSecretService, type SecretService } from '../helpers/secret-service.js';

function run(args: string[], env: Record<string, string>, input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const digest = (v: string) => `sha256=${createHash('sha256').update(v).digest('hex')} length=${v.length}`;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile());
}

/** The files under `dir` that hold any of the values in clear. */
function leaks(dir: string, values: string[]): string[] {
  return filesUnder(dir).filter((f) => {
    const text = fs.readFileSync(f, 'latin1');
    return values.some((v) => text.includes(v));
  });
}

/** Starts the gateway on a config whose one upstream gets VAULT_SECRET from `ref`, and returns what it received. */
async function upstreamReceives(home: string, env: Record<string, string>, ref: string): Promise<string> {
  const gw = await startGateway(
    { servers: { check: { ...fixtureServer('secret-check-server.ts'), env: { VAULT_SECRET: ref } } } },
    { home, env },
  );
  try {
    return textOf(await gw.client.callTool({ name: 'check__secret_digest', arguments: {} }));
  } finally {
    const { code } = await gw.closeStdin();
    expect(code).toBe(0);
  }
}

describe.runIf(process.platform === 'linux')('the vault in a real Secret Service (gnome-keyring on D-Bus)', () => {
  let ss: SecretService;
  let home: string;
  let env: Record<string, string>;
  const TOKEN = 'ghp_VaultE2eSecretService0123456789abcd';
  // Longer than Windows' 2560-byte cap and than one piece: stored in pieces, read back whole.
  const LONG = JSON.stringify({ access_token: 'at_'.repeat(1500), refresh_token: 'rt_'.repeat(700) });

  beforeAll(async () => {
    ss = await startSecretService();
    home = tempDir('smg-vault-ss-');
    env = { ...ss.env, HOME: home, SMG_HOME: home, SMG_VAULT: 'keychain' };
  });
  afterAll(async () => {
    await ss?.stop();
  });

  it('stores, lists and removes secrets through the CLI, never printing a value', () => {
    const set = run(['secrets', 'set', 'GITHUB_TOKEN'], env, `${TOKEN}\n`);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(
      'stored GITHUB_TOKEN in the Secret Service (service secure-mcp-gateway); use it in the config as ${keychain:GITHUB_TOKEN}\n',
    );
    // Independent of our code: libsecret's secret-tool finds it in the Secret Service, without the newline.
    expect(ss.lookup('secure-mcp-gateway', 'GITHUB_TOKEN')).toBe(TOKEN);
    expect(run(['secrets', 'set', 'oauth:linear'], env, LONG).code).toBe(0);
    const list = run(['secrets', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe(
      'vault: keychain, the Secret Service (service secure-mcp-gateway) (SMG_VAULT=keychain)\n  GITHUB_TOKEN\n  oauth:linear\n',
    );
    const json = JSON.parse(run(['secrets', 'list', '--json'], env).stdout) as { backend: string; names: string[] };
    expect(json).toMatchObject({ backend: 'keychain', names: ['GITHUB_TOKEN', 'oauth:linear'] });
    expect(run(['secrets', 'rm', 'GITHUB_TOKEN'], env)).toMatchObject({ code: 0 });
    expect(ss.lookup('secure-mcp-gateway', 'GITHUB_TOKEN')).toBeUndefined();
    const again = run(['secrets', 'rm', 'GITHUB_TOKEN'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no secret GITHUB_TOKEN in the Secret Service/);
  });

  it('refuses a value on the command line, an empty value and a bad name, storing nothing', () => {
    const r = run(['secrets', 'set', 'ARGV_TOKEN', 'sk-on-the-command-line'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing a value on the command line/);
    expect(r.stderr).not.toContain('sk-on-the-command-line');
    expect(run(['secrets', 'set', 'EMPTY'], env, '').code).toBe(2);
    expect(run(['secrets', 'set', 'bad name'], env, 'x').code).toBe(2);
    expect(run(['secrets', 'list', '--json'], env).stdout).not.toMatch(/ARGV_TOKEN|EMPTY|bad name/);
  });

  it('starts a config with ${keychain:NAME}: the upstream receives the whole long value', async () => {
    expect(await upstreamReceives(home, env, '${keychain:oauth:linear}')).toBe(digest(LONG));
    expect(leaks(home, [LONG, 'at_at_at_'])).toEqual([]);
  });

  it('with SMG_VAULT=keychain and no keychain: exit 1 naming what to do; a reference costs its server only', () => {
    const down = { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(home, 'no-bus')}` };
    const r = run(['secrets', 'list'], down);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SMG_VAULT=keychain, but the Secret Service does not answer.*set SMG_VAULT=file/);
    fs.writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify({ servers: { check: { command: 'x', env: { T: '${keychain:oauth:linear}' } } } }),
    );
    const v = run(['config', 'validate', '--strict'], down);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(
      /server "check" is unavailable: at servers\.check\.env\.T: cannot read \$\{keychain:oauth:linear\}/,
    );
  });
});

describe('the vault in the encrypted file (SMG_VAULT=file)', () => {
  const TOKEN = 'sk-live-FileVaultE2e0123456789abcdefgh';
  const PASS = 'e2e correct horse battery staple';

  it('keeps a secret sealed with SMG_VAULT_PASSPHRASE, resolves it at start, and refuses a wrong passphrase', async () => {
    const home = tempDir('smg-vault-file-');
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      SMG_HOME: home,
      SMG_VAULT: 'file',
      SMG_VAULT_PASSPHRASE: PASS,
    };
    expect(run(['secrets', 'set', 'API_KEY'], env, TOKEN).code).toBe(0);
    expect(run(['secrets', 'list'], env).stdout).toBe(
      `vault: file, ${path.join(home, 'vault.enc')} (SMG_VAULT=file)\n  API_KEY\n`,
    );
    // A passphrase vault needs no key file.
    expect(fs.existsSync(path.join(home, 'vault.key'))).toBe(false);
    expect(fs.statSync(path.join(home, 'vault.enc')).mode & 0o777).toBe(0o600);
    expect(await upstreamReceives(home, env, 'Bearer ${keychain:API_KEY}')).toBe(digest(`Bearer ${TOKEN}`));
    const wrong = { ...env, SMG_VAULT_PASSPHRASE: 'not it' };
    const list = run(['secrets', 'list'], wrong);
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/cannot decrypt .*vault\.enc: SMG_VAULT_PASSPHRASE is not the passphrase/);
    const v = run(['config', 'validate', '--strict'], wrong);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/server "check" is unavailable: .*SMG_VAULT_PASSPHRASE is not the passphrase/);
    expect(v.stdout).toMatch(/fix: repair the credential vault/);
    // A wrong passphrase never empties the vault.
    expect(run(['secrets', 'set', 'OTHER'], wrong, 'x').code).toBe(1);
    expect(run(['secrets', 'list'], env).stdout).toMatch(/ {2}API_KEY\n$/);
    expect(leaks(home, [TOKEN, PASS])).toEqual([]);
  });

  it('doctor reports the vault, and fails on a damaged file with the fix', () => {
    const home = tempDir('smg-vault-doctor-');
    const env = { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_VAULT: 'file' };
    fs.writeFileSync(path.join(home, 'config.json'), '{"servers":{}}');
    expect(run(['secrets', 'set', 'A'], env, 'aaaaaaaa').code).toBe(0);
    expect(run(['doctor'], env).stdout).toMatch(
      /^✓ vault +file: .*vault\.enc \(SMG_VAULT=file\); readable, 1 secret \(\d+ ms\)$/m,
    );
    fs.writeFileSync(path.join(home, 'vault.enc'), '{"format":"smg-vault"');
    const r = run(['doctor'], env);
    expect(r.stdout).toMatch(/^✗ vault +.*vault\.enc is damaged \(not JSON\)/m);
    expect(r.stdout).toMatch(/fix: restore vault\.enc/);
  });
});

describe('moving secrets into the vault: init and secrets migrate', () => {
  const INLINE = 'ghp_InlineClientToken0123456789abcdefXYZ';
  const OLD = 'sk-old-env-layout-0123456789abcdefghijk';

  it('init moves an inline token from a client config into the vault, and start resolves it', async () => {
    const home = tempDir('smg-vault-init-');
    const gwHome = path.join(home, '.secure-mcp-gateway');
    const env = { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: gwHome, SMG_VAULT: 'file' };
    const client = clientInfo('claude-desktop', { platform: 'linux', env: { HOME: home } }).files[0]!.path;
    fs.mkdirSync(path.dirname(client), { recursive: true });
    const server = { ...fixtureServer('secret-check-server.ts'), env: { VAULT_SECRET: INLINE } };
    fs.writeFileSync(client, JSON.stringify({ mcpServers: { check: server } }, null, 2));
    const r = run(['init', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/moved env\.VAULT_SECRET to the credential vault as check\.<KEY>/);
    const config = JSON.parse(fs.readFileSync(path.join(gwHome, 'config.json'), 'utf8')) as {
      servers: { check: { env: Record<string, string> } };
    };
    expect(config.servers.check.env).toEqual({ VAULT_SECRET: '${keychain:check.VAULT_SECRET}' });
    expect(run(['secrets', 'list'], env).stdout).toMatch(/^ {2}check\.VAULT_SECRET$/m);
    // start with the config init wrote (startGateway rewrites the same file with the same content).
    const gw = await startGateway(fs.readFileSync(path.join(gwHome, 'config.json'), 'utf8'), { home: gwHome, env });
    expect(textOf(await gw.client.callTool({ name: 'check__secret_digest', arguments: {} }))).toBe(digest(INLINE));
    expect((await gw.closeStdin()).code).toBe(0);
    expect(leaks(gwHome, [INLINE])).toEqual([]);
    // Again: nothing to change.
    expect(run(['init', '--yes'], env).stdout).toMatch(/nothing to change/);
  });

  it('secrets migrate moves an older secrets/*.env layout into the vault, idempotently, and start still works', async () => {
    const home = tempDir('smg-vault-migrate-');
    const env = { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_VAULT: 'file' };
    fs.mkdirSync(path.join(home, 'secrets'), { mode: 0o700 });
    const envFile = path.join(home, 'secrets', 'check.env');
    fs.writeFileSync(envFile, `# Secrets moved out of client configs by secure-mcp-gateway\nVAULT_SECRET=${OLD}\n`, {
      mode: 0o600,
    });
    const check = fixtureServer('secret-check-server.ts');
    const text = `{
  "servers": {
    "check": {
      "description":   "written by an older init",
      "command": ${JSON.stringify(check.command)},
      "args": ${JSON.stringify(check.args)},
      "env": { "VAULT_SECRET": "\${file:secrets/check.env#VAULT_SECRET}" }
    }
  }
}
`;
    const configFile = path.join(home, 'config.json');
    fs.writeFileSync(configFile, text, { mode: 0o600 });
    const dry = run(['secrets', 'migrate', '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(
      'would move servers.check.env.VAULT_SECRET: ${file:secrets/check.env#VAULT_SECRET} → ${keychain:check.VAULT_SECRET}\n',
    );
    expect(fs.readFileSync(configFile, 'utf8')).toBe(text);
    expect(fs.existsSync(envFile)).toBe(true);
    const r = run(['secrets', 'migrate'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^removed .*secrets\/check\.env$/m);
    const after = fs.readFileSync(configFile, 'utf8');
    // Only the reference changed: the rest of the text (its order, its formatting) is as it was.
    expect(after).toBe(text.replace('${file:secrets/check.env#VAULT_SECRET}', '${keychain:check.VAULT_SECRET}'));
    expect(fs.existsSync(envFile)).toBe(false);
    const backup = /backup: (\S+)\)/.exec(r.stdout)![1]!;
    expect(fs.readFileSync(backup, 'utf8')).toBe(text);
    expect(run(['secrets', 'migrate'], env).stdout).toMatch(/^nothing to move/);
    const gw = await startGateway(after, { home, env });
    expect(textOf(await gw.client.callTool({ name: 'check__secret_digest', arguments: {} }))).toBe(digest(OLD));
    expect((await gw.closeStdin()).code).toBe(0);
    expect(leaks(home, [OLD])).toEqual([]);
  });
});
