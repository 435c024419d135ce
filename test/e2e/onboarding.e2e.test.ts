/**
 * Client onboarding (issue 8) with the built command: a temporary home with a realistic config file for every
 * client; `scan --clients` before and after; `init` then `install --all` then `uninstall --all` restores every file
 * byte for byte; a real client session spawns the gateway exactly as written into a client config; `doctor` on a
 * healthy config and on broken ones.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, fixtureServer, npmServer, tempDir, textOf } from '../helpers/gateway.js';
import {
  asClaudeDesktop,
  FETCH_KEY,
  GITHUB_TOKEN,
  LINEAR_KEY,
  makeClientHome,
  snapshot,
  type ClientHome,
} from '../helpers/clients.js';

function run(args: string[], opts: { env: Record<string, string>; cwd?: string }) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: opts.env,
    cwd: opts.cwd,
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Async, so that an HTTP server in this process can answer the child. */
function runAsync(
  args: string[],
  opts: { env: Record<string, string>; cwd?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface ScanJson {
  findings: { ruleId: string; client: string; server?: string; severity: string; where: string }[];
}

const SHADOW = [
  'claude-code/project-memory',
  'claude-code/sqlite',
  'claude-desktop/github',
  'claude-desktop/memory',
  'cline/filesystem',
  'cursor/linear',
  'cursor/memory',
  'vscode/everything',
  'vscode/perplexity',
  'windsurf/fetch',
  'zed/memory-zed',
];

const findings = (r: ScanJson, rule: string) =>
  r.findings
    .filter((f) => f.ruleId === rule)
    .map((f) => `${f.client}/${f.server}`)
    .sort();

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('onboarding: scan --clients, init, install and uninstall', () => {
  let h: ClientHome;
  let before: Record<string, string | null>;
  let gatewayHome: string;
  beforeAll(() => {
    h = makeClientHome();
    before = snapshot(h.files);
    gatewayHome = h.env.SMG_HOME!;
  });

  it('scan --clients finds every server that bypasses the gateway, plaintext keys and unpinned launchers', () => {
    const r = run(['scan', '--clients', '--json'], { env: h.env, cwd: h.project });
    expect(r.code).toBe(6);
    const report = JSON.parse(r.stdout) as ScanJson;
    expect(findings(report, 'clients.shadow-server')).toEqual(SHADOW);
    expect(findings(report, 'clients.plaintext-secret')).toEqual([
      'claude-desktop/github',
      'cursor/linear',
      'windsurf/fetch',
    ]);
    expect(findings(report, 'launcher.unpinned')).toEqual([
      'claude-code/sqlite',
      'cline/filesystem',
      'vscode/perplexity',
      'windsurf/fetch',
    ]);
    // Cline has it disabled: still a shadow server, but a low one.
    expect(
      report.findings.find((f) => f.server === 'filesystem' && f.ruleId === 'clients.shadow-server')?.severity,
    ).toBe('low');
    const text = run(['scan', '--clients'], { env: h.env, cwd: h.project });
    expect(text.stdout).toMatch(/fix: secure-mcp-gateway install --client claude-desktop/);
    expect(text.stdout).not.toContain(GITHUB_TOKEN);
    // A key given as an argument is reported, and masked in the report.
    expect(text.stdout).toContain('Windsurf runs "fetch" (uvx mcp-server-fetch --api-key ***)');
    expect(r.stdout + text.stdout).not.toContain(FETCH_KEY);
  });

  it('init --dry-run shows the plan and writes nothing', () => {
    const r = run(['init', '--dry-run'], { env: h.env, cwd: h.project });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/import +Claude Desktop github → servers\.github/);
    expect(r.stdout).toMatch(/moved env\.GITHUB_PERSONAL_ACCESS_TOKEN/);
    expect(fs.existsSync(gatewayHome)).toBe(false);
    expect(snapshot(h.files)).toEqual(before);
  });

  it('init without --yes off a terminal refuses, and writes nothing', () => {
    const r = run(['init'], { env: h.env, cwd: h.project });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(fs.existsSync(gatewayHome)).toBe(false);
  });

  it('init imports every client server once and moves inline keys to the credential vault', () => {
    const r = run(['init', '--yes'], { env: h.env, cwd: h.project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/next: secure-mcp-gateway install --client/);
    const file = path.join(gatewayHome, 'config.json');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(GITHUB_TOKEN);
    expect(text).not.toContain(LINEAR_KEY);
    expect(text).not.toContain(FETCH_KEY);
    const config = JSON.parse(text) as { $schema: string; servers: Record<string, Record<string, unknown>> };
    expect(config.$schema).toMatch(/^file:\/\/\/.*\/config\/schema\.json$/);
    // memory is configured in Claude Desktop, Cursor and Zed: imported once.
    expect(Object.keys(config.servers).sort()).toEqual([
      'everything',
      'fetch',
      'filesystem',
      'github',
      'linear',
      'memory',
      'perplexity',
      'project-memory',
      'sqlite',
    ]);
    // Issue 18: the keys are in the credential vault (here the encrypted file: the tests set SMG_VAULT=file).
    expect(config.servers.github!.env).toEqual({
      GITHUB_PERSONAL_ACCESS_TOKEN: '${keychain:github.GITHUB_PERSONAL_ACCESS_TOKEN}',
      LOG_LEVEL: 'info',
    });
    expect(config.servers.linear!.headers).toEqual({
      Authorization: '${keychain:linear.HEADER_AUTHORIZATION}',
    });
    expect(config.servers.fetch!.args).toEqual(['mcp-server-fetch', '--api-key', '${keychain:fetch.ARG_2}']);
    expect(config.servers.perplexity!.enabled).toBe(false);
    expect(config.servers.perplexity!.description).toMatch(/\$\{input:perplexity-key\}/);
    expect(config.servers.filesystem!.enabled).toBe(false);
    // The folder server-filesystem serves becomes its roots (issue 15, class 9).
    expect(config.servers.filesystem!.roots).toEqual([h.home]);
    // Issue 19: a sandbox profile per stdio server, from its command line, and one line each saying why.
    expect(config.servers.filesystem!.sandbox).toEqual({
      network: { allow: ['registry.npmjs.org'] },
      home: 'persistent',
    });
    expect(config.servers.fetch!.sandbox).toEqual({ network: 'all', home: 'persistent' });
    expect(config.servers.sqlite!.sandbox).toEqual({
      network: { allow: ['pypi.org', 'files.pythonhosted.org'] },
      home: 'persistent',
    });
    expect(config.servers.github!.sandbox).toBe(true); // server-everything under the name "github": no API to call
    expect(config.servers.linear).not.toHaveProperty('sandbox');
    expect(r.stdout).toMatch(/^ {9}sandbox: network all, persistent home: it browses the web/m);
    expect(r.stdout).toContain(
      `sandbox: allow registry.npmjs.org, persistent home: npx downloads it from registry.npmjs.org and keeps its cache in a persistent home; its folders ${h.home} are its roots, mounted read-write`,
    );
    expect(mode(gatewayHome)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    const vault = path.join(gatewayHome, 'vault.enc');
    expect(mode(vault)).toBe(0o600);
    expect(mode(path.join(gatewayHome, 'vault.key'))).toBe(0o600);
    expect(fs.readFileSync(vault, 'utf8')).not.toContain(GITHUB_TOKEN);
    expect(fs.existsSync(path.join(gatewayHome, 'secrets'))).toBe(false);
    const list = run(['secrets', 'list'], { env: h.env });
    expect(list.stdout).toContain('github.GITHUB_PERSONAL_ACCESS_TOKEN');
    expect(list.stdout).not.toContain(GITHUB_TOKEN);
    // The gateway itself resolves the moved references: the config validates.
    const v = run(['config', 'validate'], { env: h.env });
    expect(v.code, v.stderr).toBe(0);
    expect(snapshot(h.files)).toEqual(before);
  });

  it('init again changes nothing and duplicates nothing', () => {
    const file = path.join(gatewayHome, 'config.json');
    const text = fs.readFileSync(file, 'utf8');
    const r = run(['init', '--yes'], { env: h.env, cwd: h.project });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^import/m);
    expect(r.stdout).toMatch(/^present +Cursor memory = servers\.memory$/m);
    expect(r.stdout).toMatch(/nothing to change: every client server is already in the gateway config/);
    // Nothing to write, so nothing to confirm: no --yes needed.
    expect(run(['init'], { env: h.env, cwd: h.project }).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('install --all --dry-run prints the new files and writes nothing', () => {
    const r = run(['install', '--all', '--project', '--dry-run'], { env: h.env, cwd: h.project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Zed: would install into .*settings\.json/);
    expect(r.stdout).toMatch(/\| +"secure-mcp-gateway": \{/);
    expect(snapshot(h.files)).toEqual(before);
  });

  it('install --all makes the gateway the only server of every client and keeps the rest of each file', () => {
    const r = run(['install', '--all', '--project'], { env: h.env, cwd: h.project });
    expect(r.code, r.stderr).toBe(0);
    const read = (k: string) => fs.readFileSync(h.files[k]!, 'utf8');
    const servers = (k: string, key: string) =>
      Object.keys(
        JSON.parse(
          read(k)
            .replace(/^\s*\/\/.*$|\/\*[\s\S]*?\*\//gm, '')
            .replace(/,(\s*[}\]])/g, '$1'),
        )[key],
      );
    for (const [k, key] of [
      ['claude-desktop', 'mcpServers'],
      ['cursor', 'mcpServers'],
      ['vscode', 'servers'],
      ['windsurf', 'mcpServers'],
      ['cline', 'mcpServers'],
      ['zed', 'context_servers'],
      ['claude-code', 'mcpServers'],
      ['claude-code:project', 'mcpServers'],
    ] as const)
      expect(servers(k, key), k).toEqual(['secure-mcp-gateway']);
    // Comments, unrelated settings and indentation survive.
    expect(read('vscode')).toMatch(/^\/\/ VS Code MCP servers \(user\)\n\{\n {2}"inputs": \[/);
    expect(read('zed')).toContain('// For information on how to configure Zed, see the Zed documentation.');
    expect(read('zed')).toMatch(/"theme": "One Dark",[\s\S]*"vim_mode": false/);
    expect(read('claude-desktop')).toMatch(/^\{\n {2}"globalShortcut": "Ctrl\+Space",/);
    expect(read('windsurf')).toMatch(/^\{\n {4}"mcpServers": \{\n {8}"secure-mcp-gateway"/);
    expect(JSON.parse(read('claude-code')) as object).toMatchObject({ numStartups: 12, projects: { [h.project]: {} } });
    // The key no longer sits in any client file; backups are private.
    for (const k of Object.keys(h.files)) expect(read(k)).not.toContain(GITHUB_TOKEN);
    const backups = fs.readdirSync(path.join(gatewayHome, 'backups'));
    expect(backups).toHaveLength(8);
    for (const b of backups) expect(mode(path.join(gatewayHome, 'backups', b))).toBe(0o600);
  });

  it('scan --clients after install finds nothing that bypasses the gateway', () => {
    const r = run(['scan', '--clients', '--json'], { env: h.env, cwd: h.project });
    expect(r.code, r.stdout).toBe(0);
    expect((JSON.parse(r.stdout) as ScanJson).findings).toEqual([]);
  });

  it('install again is a no-op', () => {
    const after = snapshot(h.files);
    const r = run(['install', '--all', '--project'], { env: h.env, cwd: h.project });
    expect(r.code).toBe(0);
    expect(r.stdout.match(/already installed in/g)).toHaveLength(8);
    expect(snapshot(h.files)).toEqual(after);
  });

  it('a client session runs the command exactly as written into the client config and lists tools', async () => {
    await asClaudeDesktop(h, async (client) => {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('memory__read_graph');
      expect(names).toContain('github__echo');
      const r = await client.callTool({ name: 'github__echo', arguments: { message: 'through the gateway' } });
      expect(textOf(r)).toContain('through the gateway');
    });
  });

  it('uninstall --all restores every client file byte for byte, and again is a no-op', () => {
    // Run from another folder: the project file install rewrote is restored all the same.
    const r = run(['uninstall', '--all'], { env: h.env, cwd: h.home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/restored/g)).toHaveLength(8);
    expect(snapshot(h.files)).toEqual(before);
    const again = run(['uninstall', '--all', '--project'], { env: h.env, cwd: h.project });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/the gateway is not installed in any client/);
    expect(run(['uninstall', '--client', 'zed'], { env: h.env }).stdout).toMatch(/^Zed: not installed$/m);
    expect(snapshot(h.files)).toEqual(before);
    const scan = run(['scan', '--clients', '--json'], { env: h.env, cwd: h.project });
    expect(findings(JSON.parse(scan.stdout) as ScanJson, 'clients.shadow-server')).toEqual(SHADOW);
  });

  it('uninstall after the client rewrote its file puts the entries back and keeps the change', () => {
    const file = h.files['claude-desktop']!;
    expect(run(['install', '--client', 'claude-desktop'], { env: h.env }).code).toBe(0);
    const installed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...installed, theme: 'dark' }, null, 2));
    const r = run(['uninstall', '--client', 'claude-desktop'], { env: h.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Claude Desktop: edited/);
    const back = JSON.parse(fs.readFileSync(file, 'utf8')) as { mcpServers: Record<string, unknown>; theme: string };
    expect(back.theme).toBe('dark');
    expect(Object.keys(back.mcpServers).sort()).toEqual(['github', 'memory']);
    expect(JSON.stringify(back.mcpServers)).toContain(GITHUB_TOKEN);
  });

  it('install takes --client or --all, not both and not neither', () => {
    expect(run(['install'], { env: h.env }).code).toBe(2);
    expect(run(['install', '--all', '--client', 'cursor'], { env: h.env }).code).toBe(2);
    // An unknown client is a usage error, with the nearest known id when one is close (issue 17, 9d).
    const r = run(['install', '--client', 'emacs'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown client "emacs" \(known: claude-desktop, cursor/);
    for (const verb of ['install', 'uninstall']) {
      const typo = run([verb, '--client', 'cursr'], { env: h.env });
      expect(typo.code).toBe(2);
      expect(typo.stderr).toBe(
        'secure-mcp-gateway: unknown client "cursr"; did you mean "cursor"? (known: claude-desktop, cursor, vscode, windsurf, cline, zed, claude-code)\n',
      );
      expect(typo.stdout).toBe('');
    }
    const npx = run(['install', '--client', 'cursor', '--dry-run', '--command', 'npx -y secure-mcp-gateway@0.1.0'], {
      env: h.env,
    });
    expect(npx.stdout).toMatch(/^command +npx -y secure-mcp-gateway@0\.1\.0 start$/m);
    expect(npx.stdout).toMatch(/\| +"command": "npx",\n +\| +"args": \[\n +\| +"-y",/);
  });
});

describe('install with a client file that does not parse', () => {
  it('skips it with --all, refuses it with --client, and never touches it', () => {
    const h = makeClientHome();
    const broken = '{\n    "mcpServers": {\n        "fetch": \n';
    fs.writeFileSync(h.files.windsurf!, broken);
    const all = run(['install', '--all'], { env: h.env, cwd: h.project });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^skip +.*mcp_config\.json: cannot parse \(.* at line 4, column 1\)$/m);
    expect(all.stdout).toMatch(/^Cursor: installed into /m);
    const one = run(['install', '--client', 'windsurf'], { env: h.env, cwd: h.project });
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/mcp_config\.json: cannot parse/);
    expect(fs.readFileSync(h.files.windsurf!, 'utf8')).toBe(broken);
    const scan = run(['scan', '--clients', '--json'], { env: h.env, cwd: h.project });
    expect((JSON.parse(scan.stdout) as ScanJson).findings.map((f) => `${f.ruleId} ${f.client}`)).toContain(
      'clients.unreadable windsurf',
    );
  });
});

describe('doctor', () => {
  let provider: http.Server;
  let providerUrl: string;
  let closedUrl: string;
  beforeAll(async () => {
    // A guardrail API that accepts one key: a real request from doctor reaches it.
    provider = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const ok = req.headers.authorization === 'Bearer good-key';
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { flagged: false } : { error: 'invalid api key' }));
      });
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/scan`;
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/scan`;
    await new Promise((r) => closed.close(r));
  });
  afterAll(() => provider.close());

  function home(config: (home: string) => unknown, secret = 0o600) {
    const dir = tempDir('smg-doctor-');
    fs.chmodSync(dir, 0o700);
    fs.mkdirSync(path.join(dir, 'secrets'), { mode: 0o700 });
    const s = path.join(dir, 'secrets', 'memory.env');
    fs.writeFileSync(s, 'TOKEN=not-a-real-token-123\n');
    fs.chmodSync(s, secret);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config(dir), null, 2));
    return {
      dir,
      env: { HOME: dir, SMG_HOME: dir, PATH: process.env.PATH ?? '', PROVIDER_KEY: 'good-key' } as Record<
        string,
        string
      >,
    };
  }
  const healthy = () => ({
    servers: {
      memory: {
        command: process.execPath,
        args: [npmServer('memory')],
        env: { TOKEN: '${file:secrets/memory.env#TOKEN}' },
      },
    },
    providers: {
      guard: {
        type: 'http',
        url: providerUrl,
        headers: { Authorization: 'Bearer ${env:PROVIDER_KEY}' },
        response: { flaggedPath: 'flagged' },
      },
    },
    policies: { default: { providers: { input: ['guard'] } } },
  });

  it('passes a healthy config, in plain lines off a terminal, and as JSON', async () => {
    const h = home(healthy);
    const r = await runAsync(['doctor'], { env: h.env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✓ config +.*valid, 1 server$/m);
    expect(r.stdout).toMatch(/^✓ references +2 references resolve$/m);
    expect(r.stdout).toMatch(/^✓ upstream memory +9 tools \(\d+ ms\)$/m);
    expect(r.stdout).toMatch(/^✓ pins memory +new, pinned on first use: /m);
    expect(r.stdout).toMatch(/^✓ provider guard +reachable, key accepted \(\d+ ms\)$/m);
    expect(r.stdout).toMatch(/^– clients +no MCP client found/m);
    expect(r.stdout).not.toContain('\x1b');
    // The one warning of a healthy config without a sandbox profile (docs/sandbox.md): memory runs unconfined.
    expect(r.stdout.match(/^[⚠✗].*$/gm)).toEqual([
      expect.stringMatching(/^⚠ sandbox unconfined +1 stdio server runs unconfined, .*: memory$/),
    ]);
    const j = await runAsync(['doctor', '--json'], { env: h.env });
    const report = JSON.parse(j.stdout) as { counts: Record<string, number>; checks: { check: string }[] };
    expect(report.counts.fail).toBe(0);
    expect(report.counts.warn).toBe(1);
    expect(new Set(report.checks.map((c) => c.check))).toEqual(
      new Set([
        'config',
        'references',
        'permissions',
        'vault',
        'identity',
        'state',
        'audit',
        'upstreams',
        'pins',
        'launchers',
        'sandbox',
        'providers',
        'llm',
        'detection',
        'judges',
        'clients',
      ]),
    );
  });

  it('names an unresolvable env reference in a server by its JSON path, as a warning: the others serve', async () => {
    const h = home((dir) => {
      const c = healthy();
      (c.servers.memory.env as Record<string, string>).API = '${env:MISSING_TOKEN}';
      void dir;
      return c;
    });
    const r = await runAsync(['doctor'], { env: h.env });
    expect(r.stdout).toMatch(
      /^⚠ references +at servers\.memory\.env\.API: environment variable MISSING_TOKEN is not set \(referenced as \$\{env:MISSING_TOKEN\}\)$/m,
    );
    expect(r.stdout).toMatch(/fix: set MISSING_TOKEN in the environment/);
    expect(r.stdout).toMatch(/^⚠ config +server "memory" is unavailable: at servers\.memory\.env\.API: /m);
    expect(r.stdout).toMatch(/^⚠ upstream memory +not started: at servers\.memory\.env\.API: /m);
    expect(r.stdout).not.toMatch(/^✗ /m);
    expect(r.code).toBe(0);
  });

  it('names a world-readable secrets file, a crashing upstream, an unreachable provider and a rejected key', async () => {
    const h = home(
      () => ({
        ...healthy(),
        servers: {
          ...healthy().servers,
          crashy: { command: process.execPath, args: ['-e', 'process.stderr.write("boom\\n"); process.exit(3)'] },
        },
        providers: {
          down: { type: 'http', url: closedUrl, response: { flaggedPath: 'flagged' } },
          badkey: {
            type: 'http',
            url: providerUrl,
            headers: { Authorization: 'Bearer wrong-key' },
            response: { flaggedPath: 'flagged' },
          },
        },
        policies: {},
      }),
      0o644,
    );
    const r = await runAsync(['doctor'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /^✗ permissions +.*secrets\/memory\.env is world-readable \(mode 644\) and holds a secret$/m,
    );
    expect(r.stdout).toMatch(/fix: chmod 600 .*secrets\/memory\.env/);
    expect(r.stdout).toMatch(/^✗ upstream crashy +.*exited with code 3/m);
    expect(r.stdout).toMatch(/^✓ upstream memory /m);
    expect(r.stdout).toMatch(/^✗ provider down +unreachable: /m);
    expect(r.stdout).toMatch(/^✗ provider badkey +the API key was rejected: .*401/m);
    expect(r.stdout).not.toContain('wrong-key');
  });

  it('names a tool that changed since it was pinned', async () => {
    const rug = (pulled: boolean) => () => ({
      servers: {
        rug: { ...fixtureServer('rugpull-server.ts'), env: pulled ? { RUGPULL_PULLED: '1' } : {} },
      },
    });
    const h = home(rug(false));
    const approve = await runAsync(['tools', 'approve', 'rug'], { env: h.env });
    expect(approve.code, approve.stderr).toBe(0);
    expect((await runAsync(['doctor'], { env: h.env })).stdout).toMatch(/^✓ pins rug +\d+ tools match their pins$/m);
    fs.writeFileSync(path.join(h.dir, 'config.json'), JSON.stringify(rug(true)(), null, 2));
    const r = await runAsync(['doctor'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^✗ pins rug +changed since pinned \(blocked\): daily_quote$/m);
    expect(r.stdout).toMatch(/fix: secure-mcp-gateway tools diff rug/);
  });

  it('exits 1 on a warning only with --strict', async () => {
    const h = home(healthy, 0o640);
    const plain = await runAsync(['doctor'], { env: h.env });
    expect(plain.stdout).toMatch(/^⚠ permissions +.*group-accessible \(mode 640\)/m);
    expect(plain.code).toBe(0);
    expect((await runAsync(['doctor', '--strict'], { env: h.env })).code).toBe(1);
  });

  it('says to run init when there is no config', async () => {
    const dir = tempDir('smg-doctor-');
    const r = await runAsync(['doctor'], { env: { HOME: dir, SMG_HOME: dir, PATH: process.env.PATH ?? '' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^✗ config +no config at .*config\.json\n +fix: secure-mcp-gateway init$/m);
  });

  it('reports clients that bypass the gateway', async () => {
    const c = makeClientHome();
    fs.mkdirSync(c.env.SMG_HOME!, { mode: 0o700 });
    fs.writeFileSync(path.join(c.env.SMG_HOME!, 'config.json'), JSON.stringify({ servers: {} }));
    const r = await runAsync(['doctor', '--json'], { env: c.env, cwd: c.project });
    const report = JSON.parse(r.stdout) as {
      checks: { check: string; status: string; subject: string; fix?: string }[];
    };
    const desktop = report.checks.find((x) => x.subject === 'client claude-desktop');
    expect(desktop).toMatchObject({ status: 'warn', fix: 'secure-mcp-gateway install --client claude-desktop' });
  });
});
