/**
 * The integrity commands of the built CLI against real processes: `scan` (the reference npm servers give no false
 * alarm; every planted issue of the poisoned fixture is reported; an inline `-- command args` keeps its own flags; an
 * unpinned npx launcher is reported even when it cannot start; shadowing is caught against pinned neighbours),
 * `tools list|approve|diff|revoke` through a rug pull, and `tools sign|verify` with a key made here.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/integrity/findings.js';
import { createPinStore } from '../../src/integrity/lockfile.js';
import { PLANTED } from '../fixtures/poisoned-tools.js';
import { OTHER_SERVERS } from '../fixtures/shadowing-tools.js';
import { BIN, fixtureServer, npmServer, tempDir } from '../helpers/gateway.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface ScanJson {
  servers: { server: string; error?: string; tools?: number }[];
  findings: Finding[];
  counts: Record<string, number>;
  failed: boolean;
  unreachable: string[];
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh SMG_HOME with this config in it. */
function home(servers: Record<string, unknown>): { home: string; config: string } {
  const dir = tempDir('smg-icli-');
  dirs.push(dir);
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ servers }, null, 2));
  return { home: dir, config };
}

/** The built command, asynchronously (several run at once), with only PATH and the home from the environment. */
function cli(args: string[], h: { home: string }, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: h.home, SMG_HOME: h.home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const scanJson = (r: Run): ScanJson => JSON.parse(r.stdout) as ScanJson;
const found = (j: ScanJson): string[] => j.findings.map((f) => `${f.tool ?? '-'}:${f.ruleId}@${f.where}`);

describe('secure-mcp-gateway scan', () => {
  it('finds nothing at or above high on server-everything, server-filesystem and server-memory, and exits 0', async () => {
    const data = tempDir('smg-icli-data-');
    dirs.push(data);
    const h = home({
      everything: { command: process.execPath, args: [npmServer('everything'), 'stdio'] },
      filesystem: { command: process.execPath, args: [npmServer('filesystem'), data] },
      memory: {
        command: process.execPath,
        args: [npmServer('memory')],
        env: { MEMORY_FILE_PATH: path.join(data, 'memory.jsonl') },
      },
    });
    const r = await cli(['scan', '--json', '--config', h.config], h);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = scanJson(r);
    expect(j.unreachable).toEqual([]);
    expect(j.servers.map((s) => s.server)).toEqual(['everything', 'filesystem', 'memory']);
    for (const s of j.servers) expect(s.tools).toBeGreaterThan(5);
    // docs/integrity.md: the reference servers' tools give no finding at all, not even low. What remains is the
    // config: none of the three has a sandbox profile (docs/sandbox.md), medium, below --fail-on high.
    expect(j.findings.map((f) => `${f.severity} ${f.server} ${f.ruleId}`)).toEqual([
      'medium everything sandbox.unconfined',
      'medium filesystem sandbox.unconfined',
      'medium memory sandbox.unconfined',
    ]);
    expect(j.counts).toEqual({ low: 0, medium: 3, high: 0, critical: 0 });
    expect(j.failed).toBe(false);
  });

  it('reports every planted issue of poisoned-server and exits 6, with --fail-on critical too', async () => {
    const h = home({ poisoned: fixtureServer('poisoned-server.ts') });
    const [text, json, critical] = await Promise.all([
      cli(['scan', '--config', h.config], h),
      cli(['scan', '--json', '--config', h.config], h),
      cli(['scan', '--json', '--fail-on', 'critical', '--config', h.config], h),
    ]);
    expect(text.code).toBe(6);
    expect(text.stdout).toMatch(/^SEVERITY +SERVER +TOOL +RULE +WHERE$/m);
    expect(text.stdout).toMatch(/^critical +poisoned +add +poisoning\.injection +description$/m);
    // The 13 planted ones and sandbox.unconfined (no profile): medium.
    expect(text.stdout).toContain('14 findings: 8 critical, 4 high, 2 medium, 0 low; 12 at or above high');
    expect(text.stdout).toMatch(/^medium +poisoned +- +sandbox\.unconfined +sandbox$/m);
    expect(json.code).toBe(6);
    const j = scanJson(json);
    for (const [tool, planted] of Object.entries(PLANTED))
      for (const p of planted) expect(found(j)).toContain(`${tool}:${p.ruleId}@${p.where}`);
    expect(j.findings.filter((f) => f.tool === 'echo_clean')).toEqual([]);
    expect(j.counts).toEqual({ low: 0, medium: 2, high: 4, critical: 8 });
    expect(j.findings.every((f) => f.server === 'poisoned' && f.remediation.length > 0)).toBe(true);
    expect(critical.code).toBe(6);
  });

  it('scans a server given after -- without any config, and leaves the flags after the command to it', async () => {
    const h = home({});
    fs.rmSync(h.config);
    const { command, args } = fixtureServer('poisoned-server.ts');
    // `--json` after the command is the upstream's: the output stays a table.
    const [inline, trailing] = await Promise.all([
      cli(['scan', '--json', '--', command, ...args], h),
      cli(['scan', '--', command, ...args, '--json'], h),
    ]);
    expect(inline.code).toBe(6);
    const j = scanJson(inline);
    expect(j.servers).toMatchObject([{ server: 'inline', tools: 10 }]);
    expect(j.counts).toEqual({ low: 0, medium: 1, high: 4, critical: 8 });
    expect(trailing.code).toBe(6);
    expect(trailing.stdout).toMatch(/^critical +inline +add +poisoning\.injection/m);
    const both = await cli(['scan', '--server', 'x', '--', command, ...args], h);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give either --server or a command after --');
  });

  it('reports an unpinned npx launcher even when the server cannot start, and exits 1 naming it', async () => {
    // A stand-in npx that fails at once: the launcher check reads the config, not the process.
    const bin = tempDir('smg-icli-bin-');
    dirs.push(bin);
    fs.writeFileSync(path.join(bin, 'npx'), '#!/bin/sh\necho "npx: offline" >&2\nexit 1\n', { mode: 0o755 });
    const h = home({ memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } });
    const env = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
    const [text, json] = await Promise.all([
      cli(['scan', '--config', h.config], h, env),
      cli(['scan', '--json', '--config', h.config], h, env),
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^memory: cannot connect: /m);
    expect(text.stdout).toContain('not scanned (cannot connect): memory');
    expect(text.stdout).toMatch(/^medium +memory +- +launcher\.unpinned +args\[1\]$/m);
    const j = scanJson(json);
    expect(json.code).toBe(1);
    expect(j.unreachable).toEqual(['memory']);
    expect(j.findings).toMatchObject([
      { ruleId: 'launcher.unpinned', severity: 'medium', server: 'memory', where: 'args[1]' },
      { ruleId: 'sandbox.unconfined', severity: 'medium', server: 'memory', where: 'sandbox' },
    ]);
    expect(j.findings[0]!.remediation).toContain('@modelcontextprotocol/server-memory@<version>');
  });

  it('catches shadowing against the pinned tools of servers it did not connect to; --fail-on critical passes it', async () => {
    const h = home({
      shadow: fixtureServer('shadowing-server.ts'),
      ...Object.fromEntries(OTHER_SERVERS.map((o) => [o.server, { command: process.execPath, args: ['-e', ''] }])),
    });
    // The neighbours' tools as a gateway would have pinned them.
    const store = createPinStore({ file: path.join(h.home, 'tools.lock.json') });
    for (const o of OTHER_SERVERS)
      await store.approve(
        o.server,
        o.tools.map((name) => ({ name, inputSchema: { type: 'object' } })),
      );
    const [json, lenient] = await Promise.all([
      cli(['scan', '--json', '--server', 'shadow', '--config', h.config], h),
      cli(['scan', '--json', '--server', 'shadow', '--fail-on', 'critical', '--config', h.config], h),
    ]);
    expect(json.code).toBe(6);
    const j = scanJson(json);
    expect(found(j)).toEqual(
      expect.arrayContaining([
        'add_numbers:poisoning.shadowing@description',
        'add_numbers:poisoning.cross-server-reference@description',
        'read_flle:poisoning.typosquat@name',
      ]),
    );
    // The three shadowing findings, and the shadow server has no sandbox profile (medium).
    expect(j.counts).toEqual({ low: 0, medium: 1, high: 3, critical: 0 });
    expect(j.servers.map((s) => s.server)).toEqual(['shadow']);
    expect(lenient.code).toBe(0);
  });
});

describe('secure-mcp-gateway tools: pins through a rug pull', () => {
  it('approve pins, list shows approved, a rug pull shows as changed, diff shows it and exits 1, approve S/T restores', async () => {
    const rug = fixtureServer('rugpull-server.ts');
    const h = home({ rug });
    const run = (...args: string[]) => cli([...args, '--config', h.config], h);

    const first = await run('tools', 'list', '--server', 'rug');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ {2}new {7}e71884a0cb9d {2}daily_quote$/m);
    expect(fs.existsSync(path.join(h.home, 'tools.lock.json'))).toBe(false); // list never pins

    const approve = await run('tools', 'approve', 'rug', '--by', 'alice');
    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain('approved rug/daily_quote (was new, e71884a0cb9d)');
    const listed = await run('tools', 'list', '--json');
    const tools = (JSON.parse(listed.stdout) as { tools: { name: string; state: string; exposed: boolean }[] }[])[0]!
      .tools;
    expect(tools.map((t) => `${t.name}:${t.state}:${t.exposed}`)).toEqual([
      'get_weather:approved:true',
      'convert_currency:approved:true',
      'daily_quote:approved:true',
    ]);
    const same = await run('tools', 'diff', 'rug');
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('');
    expect(same.stderr).toContain('rug: 0 of 3 tools differ from their pins');

    // The rug pull: from now on the server lists the poisoned definition from the start.
    fs.writeFileSync(h.config, JSON.stringify({ servers: { rug: { ...rug, env: { RUGPULL_PULLED: '1' } } } }));
    const [changed, diff, scan] = await Promise.all([
      run('tools', 'list'),
      run('tools', 'diff', 'rug/daily_quote'),
      run('scan', '--json'),
    ]);
    expect(changed.stdout).toMatch(
      /^ {2}changed {3}db710a948b68 {2}daily_quote\n {4}pinned e71884a0cb9d; hidden by integrity\.changed, poisoning\.injection$/m,
    );
    expect(changed.stdout).toMatch(/^ {2}approved {2}2466aed9d4c1 {2}get_weather$/m);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('--- rug/daily_quote approved e71884a0cb9d\n+++ rug/daily_quote live db710a948b68\n');
    expect(diff.stdout).toContain('-  "description": "Returns an inspiring quote for the day.",\n');
    expect(diff.stdout).toContain(
      '+  "description": "Returns an inspiring quote for the day.\\n<IMPORTANT>Before using',
    );
    expect(diff.stdout).toContain('+      "sidenote": {');
    expect(found(scanJson(scan))).toContain('daily_quote:integrity.changed@definition');
    expect(scan.code).toBe(6);

    const one = await run('tools', 'approve', 'rug/daily_quote');
    expect(one.stdout).toContain('approved rug/daily_quote (was changed: approved e71884a0cb9d, live db710a948b68)');
    // Approval trusts the definition; the poisoning scan still hides it, and says so.
    expect(one.stdout).toContain(
      'note: rug/daily_quote stays hidden by the poisoning scan (critical poisoning.injection)',
    );
    const [after, diffAfter] = await Promise.all([run('tools', 'list'), run('tools', 'diff', 'rug/daily_quote')]);
    expect(after.stdout).toMatch(/^ {2}approved {2}db710a948b68 {2}daily_quote\n {4}hidden by poisoning\.injection$/m);
    expect(diffAfter.code).toBe(0);
    expect(diffAfter.stderr).toContain('rug/daily_quote: the same as approved (db710a948b68)');

    const revoke = await run('tools', 'revoke', 'rug/get_weather');
    expect(revoke.stdout).toContain('revoked rug/get_weather (was approved, unchanged, 2466aed9d4c1)');
    expect((await run('tools', 'list')).stdout).toMatch(
      /^ {2}revoked {3}2466aed9d4c1 {2}get_weather\n {4}hidden by integrity\.revoked$/m,
    );
    const lock = JSON.parse(fs.readFileSync(path.join(h.home, 'tools.lock.json'), 'utf8'));
    expect(lock.servers.rug.tools.get_weather.revokedBy).toEqual(expect.any(String));
    expect(lock.servers.rug.tools.convert_currency.approvedBy).toBe('alice');

    const trouble = await run('tools', 'diff', 'rug/no_such_tool');
    expect(trouble.code).toBe(2);
    expect(trouble.stderr).toContain('server "rug" has no tool "no_such_tool"');
  });
});

describe('secure-mcp-gateway tools sign and verify', () => {
  it('signs with an Ed25519 key; verify passes, then fails on one changed byte and on a changed live tool', async () => {
    const rug = fixtureServer('rugpull-server.ts');
    const h = home({});
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = path.join(h.home, 'ed25519.pem');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(path.join(h.home, 'ed25519.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const config = (env: Record<string, string>) =>
      fs.writeFileSync(
        h.config,
        JSON.stringify({ servers: { rug: { ...rug, env, integrity: { publicKey: '${file:ed25519.pub.pem}' } } } }),
      );
    config({});
    const run = (...args: string[]) => cli([...args, '--config', h.config], h);

    const missing = await run('tools', 'verify');
    expect(missing.code).toBe(6);
    expect(missing.stdout).toMatch(/rug: FAILED: .*manifests\/rug\.json: there is no manifest/);

    const sign = await run('tools', 'sign', '--server', 'rug', '--key', keyFile);
    expect(sign.code).toBe(0);
    const manifest = path.join(h.home, 'manifests', 'rug.json');
    expect(sign.stdout).toContain(`signed 3 tools of rug (server 21ac0a1cc215, key id `);
    expect(sign.stdout).toContain(manifest);
    const [offline, live] = await Promise.all([run('tools', 'verify'), run('tools', 'verify', '--live')]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^rug: ok: .*rug\.json verifies \(3 tools signed /m);
    expect(live.code).toBe(0);
    expect(live.stdout).toContain('  daily_quote: ok e71884a0cb9d');

    // The live tool changes: the manifest still verifies, the tool does not.
    config({ RUGPULL_PULLED: '1' });
    const pulled = await run('tools', 'verify', '--live');
    expect(pulled.code).toBe(6);
    expect(pulled.stdout).toContain('rug: FAILED: ');
    expect(pulled.stdout).toContain('  daily_quote: does not match: signed e71884a0cb9d, live db710a948b68 (blocked)');
    expect(pulled.stdout).toContain('  get_weather: ok 2466aed9d4c1');

    // One byte of one tool hash in the file.
    const text = fs.readFileSync(manifest, 'utf8');
    const at = text.indexOf('"daily_quote": "') + '"daily_quote": "'.length;
    fs.writeFileSync(manifest, text.slice(0, at) + (text[at] === 'f' ? '0' : 'f') + text.slice(at + 1));
    const flipped = await run('tools', 'verify');
    expect(flipped.code).toBe(6);
    expect(flipped.stdout).toMatch(/^rug: FAILED: .*rug\.json: the signature does not match the manifest$/m);

    const wrongKey = await run('tools', 'sign', '--server', 'rug', '--key', path.join(h.home, 'ed25519.pub.pem'));
    expect(wrongKey.code).toBe(4);
    expect(wrongKey.stderr).toContain('the signing key is not a private key');
  });
});
