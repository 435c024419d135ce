/**
 * `doctor` (issue 8) on identities, shared state, the audit log and judge endpoints, with the built command: a
 * solo config passes; with users, a key made by `keys create` is named with its user, project, role and expiry,
 * and an expired, revoked or missing key fails with the command that fixes it; a real redis-server passes and a
 * closed port fails naming host:port and never the password; an audit log written by the real writer verifies,
 * and with one byte flipped fails naming the file and line; a judge endpoint that lists its model passes and a
 * closed port fails. `init --with-key` sets up the local user with a key that doctor accepts and that `install`
 * writes into the client entry, where a real client session authenticates with it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChain } from '../../src/audit/chain.js';
import { AuditWriter } from '../../src/audit/writer.js';
import { silentLogger } from '../../src/log.js';
import { asClaudeDesktop, gatewayEntry, makeClientHome } from '../helpers/clients.js';
import { BIN, npmServer, tempDir, textOf } from '../helpers/gateway.js';
import { cli, identityConfig, makeKey } from '../helpers/identity.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis.js';

function doctor(home: string, extra: Record<string, string> = {}, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'doctor', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function home(config: unknown): string {
  const dir = tempDir('smg-doctor-');
  fs.chmodSync(dir, 0o700);
  writeConfig(dir, config);
  return dir;
}

function writeConfig(dir: string, config: unknown): void {
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
}

/** Edits one key's record in keys.json, as an administrator (or an attacker) might. */
function editKey(dir: string, id: string, change: Record<string, unknown>): void {
  const file = path.join(dir, 'keys.json');
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { keys: { id: string }[] };
  const k = data.keys.find((r) => r.id === id)!;
  Object.assign(k, change);
  fs.writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600 });
}

let judge: http.Server;
let judgeUrl: string;
let closedPort: number;
let redis: RedisServer;

beforeAll(async () => {
  // An OpenAI-compatible model server: GET /v1/models lists one model, for one API key.
  judge = http.createServer((req, res) => {
    req.resume();
    const ok = req.headers.authorization === 'Bearer judge-key' && req.url === '/v1/models';
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { object: 'list', data: [{ id: 'guard-small', object: 'model' }] } : {}));
  });
  await new Promise<void>((r) => judge.listen(0, '127.0.0.1', r));
  judgeUrl = `http://127.0.0.1:${(judge.address() as AddressInfo).port}/v1`;
  closedPort = await freePort();
  redis = await startRedis();
}, 60_000);

afterAll(async () => {
  judge?.close();
  await redis?.stop();
});

describe('doctor: the learned injection detector', () => {
  it(
    'loads the shipped weights, fails a damaged file and warns where a policy turns the model off',
    {
      timeout: 60_000,
    },
    async () => {
      const ok = await doctor(home({ servers: {} }));
      expect(ok.stdout).toMatch(
        /^✓ model injection\.bin +.*models\/injection\.bin: 2\^\d+ weights, thresholds input 0\.\d+/m,
      );

      const dir = home({});
      fs.writeFileSync(path.join(dir, 'damaged.bin'), 'not a model');
      writeConfig(dir, {
        servers: {},
        policies: {
          strict: { detectors: { injection: { model: { path: 'damaged.bin' } } } },
          lax: { detectors: { injection: { model: { enabled: false } } } },
        },
      });
      const r = await doctor(dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(
        /^✗ model damaged\.bin +injection model .*damaged\.bin is not usable: not a model file \(bad magic\).*every scan by policies strict is denied/m,
      );
      expect(r.stdout).toMatch(/^⚠ model +the learned detector is off in policies lax/m);
    },
  );
});

describe('doctor: solo mode, memory state, the audit log and judges', () => {
  const solo = () => ({
    servers: { memory: { command: process.execPath, args: [npmServer('memory')] } },
    judges: { local: { baseUrl: judgeUrl, model: 'guard-small', apiKey: '${env:JUDGE_KEY}' } },
  });

  it('passes a healthy solo config and names the mode', { timeout: 60_000 }, async () => {
    const dir = home(solo());
    const r = await doctor(dir, { JUDGE_KEY: 'judge-key' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✓ identity +solo: the local user, default project /m);
    expect(r.stdout).toMatch(/^✓ state +memory \(one process\)/m);
    expect(r.stdout).toMatch(/^✓ audit +.*audit\.jsonl: writable, no records yet$/m);
    expect(r.stdout).toMatch(/^✓ judge local +http:\/\/127\.0\.0\.1:\d+\/v1\/models answers and lists guard-small/m);
    // The one warning of a config without a sandbox profile (docs/sandbox.md): memory runs unconfined.
    expect(r.stdout.match(/^[⚠✗].*$/gm)).toEqual([
      expect.stringMatching(/^⚠ sandbox unconfined +1 stdio server runs unconfined, .*: memory$/),
    ]);
    // Doctor wrote nothing into the chain.
    expect(fs.existsSync(path.join(dir, 'audit.jsonl'))).toBe(false);
  });

  it('fails an unreachable judge and one whose key is refused', { timeout: 60_000 }, async () => {
    const dir = home({
      servers: {},
      judges: {
        down: { baseUrl: `http://127.0.0.1:${closedPort}/v1`, model: 'guard-small' },
        badkey: { baseUrl: judgeUrl, model: 'guard-small', apiKey: 'wrong-judge-key' },
      },
    });
    const r = await doctor(dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(
        `^✗ judge down +http://127\\.0\\.0\\.1:${closedPort}/v1/models is unreachable: .*\\n.*fix: start the model server or fix judges\\.down\\.baseUrl`,
        'm',
      ),
    );
    expect(r.stdout).toMatch(
      /^✗ judge badkey +.*refused the credentials \(HTTP 401\).*\n.*fix: check judges\.badkey\.apiKey/m,
    );
    expect(r.stdout).not.toContain('wrong-judge-key');
  });

  it('verifies the audit chain, and names the file and line of a flipped byte', { timeout: 60_000 }, async () => {
    const dir = home({ servers: {} });
    const file = path.join(dir, 'audit.jsonl');
    const w = new AuditWriter({
      file,
      chain: createChain(),
      fsync: 'always',
      fsyncIntervalMs: 5,
      maxFileBytes: 1024 * 1024,
      log: silentLogger(),
    });
    for (let i = 0; i < 4; i++) await w.append({ kind: 'config', event: 'reloaded', file: `c${i}.json` });
    await w.close();
    const ok = await doctor(dir);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(
      /^✓ audit +.*audit\.jsonl: writable, 4 records in 1 file, chain verifies \(seq 1\.\.4, sha256\)$/m,
    );
    const before = fs.readFileSync(file, 'utf8');
    const lines = before.split('\n');
    lines[2] = lines[2]!.replace('c2.json', 'c9.json');
    fs.writeFileSync(file, lines.join('\n'));
    const r = await doctor(dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /^✗ audit chain +broken at .*audit\.jsonl:3 \(seq 3\): the record was altered: its hash does not match its content \(2 records verify before it\)$/m,
    );
    expect(r.stdout).toMatch(/fix: keep the files as evidence/);
  });

  it('verifies a keyed chain with audit.hmacKey, and says when the key is missing', { timeout: 60_000 }, async () => {
    const key = 'k'.repeat(24);
    const dir = home({ servers: {}, audit: { hmacKey: '${env:AUDIT_HMAC}' } });
    const w = new AuditWriter({
      file: path.join(dir, 'audit.jsonl'),
      chain: createChain(key),
      fsync: 'always',
      fsyncIntervalMs: 5,
      maxFileBytes: 1024 * 1024,
      log: silentLogger(),
    });
    for (let i = 0; i < 2; i++) await w.append({ kind: 'config', event: 'reloaded', file: `c${i}.json` });
    await w.close();
    const ok = await doctor(dir, { AUDIT_HMAC: key });
    expect(ok.stdout).toMatch(/^✓ audit +.*2 records in 1 file, chain verifies \(seq 1\.\.2, hmac-sha256\)$/m);
    const wrong = await doctor(dir, { AUDIT_HMAC: 'x'.repeat(24) });
    expect(wrong.stdout).toMatch(/^✗ audit chain +broken at .*audit\.jsonl:1 \(seq 1\): the record was altered/m);
    expect(wrong.stdout).toMatch(
      /fix: check that audit\.hmacKey \(or SMG_AUDIT_KEY\) is the key the log was written with/,
    );
    const missing = await doctor(dir);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/^✗ audit +.*at audit\.hmacKey: environment variable AUDIT_HMAC is not set/m);
    expect(ok.stdout + wrong.stdout + missing.stdout).not.toContain(key);
  });

  it('warns when the audit log is off, and fails when it cannot be created', { timeout: 60_000 }, async () => {
    const off = await doctor(home({ servers: {}, audit: { enabled: false } }));
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^⚠ audit +the audit log is disabled \(audit\.enabled: false\)/m);
    const dir = home({ servers: {}, audit: { path: 'not-a-folder/audit.jsonl', required: true } });
    fs.writeFileSync(path.join(dir, 'not-a-folder'), 'a file\n');
    const r = await doctor(dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^✗ audit +.*not-a-folder is not a folder, so .*audit\.jsonl cannot be created$/m);
    expect(r.stdout).toMatch(/fix: .*with audit\.required every call is blocked/);
  });
});

describe('doctor: gateway identities and Redis', () => {
  it('names the key’s user, project, role and expiry, and a reachable Redis', { timeout: 60_000 }, async () => {
    const dir = home({ ...identityConfig(), state: { backend: 'redis', url: redis.url } });
    const { key, id } = makeKey(dir, 'two', 'bob@example.com', '--expires', '30d');
    const r = await doctor(dir, { SMG_GATEWAY_KEY: key });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^✓ identity +gateway identities: 2 users, 2 projects; every client needs a gateway key$/m,
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `^✓ gateway key +key ${id}: bob@example\\.com in project two as contractor, expires \\S+ \\(in (29|30) days\\)$`,
        'm',
      ),
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `^✓ state +redis at redis://127\\.0\\.0\\.1:${redis.port} connects and answers PING in [\\d.]+ ms \\(prefix smg:\\)`,
        'm',
      ),
    );
    expect(r.stdout).not.toContain(key);
    // Soon to expire: a warning with the rotate command.
    editKey(dir, id, { expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString() });
    const soon = await doctor(dir, { SMG_GATEWAY_KEY: key });
    expect(soon.stdout).toMatch(
      new RegExp(
        `^⚠ gateway key +key ${id}: .*expires \\S+ \\(in (1|2) days?\\)\\n.*fix: secure-mcp-gateway keys rotate ${id}`,
        'm',
      ),
    );
  });

  it(
    'fails an expired, a revoked, a disabled, a wrong and a missing key, each with its fix',
    { timeout: 120_000 },
    async () => {
      const dir = home(identityConfig());
      const { key, id } = makeKey(dir, 'one', 'alice@example.com');
      editKey(dir, id, { expiresAt: '2020-01-01T00:00:00.000Z' });
      const expired = await doctor(dir, { SMG_GATEWAY_KEY: key });
      expect(expired.code).toBe(2);
      expect(expired.stdout).toMatch(
        new RegExp(
          `^✗ gateway key +SMG_GATEWAY_KEY is refused: gateway key ${id} expired at 2020-01-01T00:00:00\\.000Z\\n.*fix: secure-mcp-gateway keys rotate ${id}, then put the new key in SMG_GATEWAY_KEY$`,
          'm',
        ),
      );

      const other = makeKey(dir, 'two', 'bob@example.com');
      expect(cli(dir, 'keys', 'disable', other.id).code).toBe(0);
      const disabled = await doctor(dir, { SMG_GATEWAY_KEY: other.key });
      expect(disabled.stdout).toMatch(
        new RegExp(
          `^✗ gateway key +SMG_GATEWAY_KEY is refused: gateway key ${other.id} is disabled\\n.*fix: secure-mcp-gateway keys enable ${other.id}`,
          'm',
        ),
      );
      expect(cli(dir, 'keys', 'revoke', other.id).code).toBe(0);
      const revoked = await doctor(dir, { SMG_GATEWAY_KEY: other.key });
      expect(revoked.code).toBe(2);
      expect(revoked.stdout).toMatch(
        new RegExp(
          `^✗ gateway key +SMG_GATEWAY_KEY is refused: gateway key ${other.id} was revoked at \\S+\\n.*fix: secure-mcp-gateway keys create --project two --user bob@example\\.com`,
          'm',
        ),
      );

      const wrong = await doctor(dir, { SMG_GATEWAY_KEY: `${key.slice(0, -4)}AAAA` });
      expect(wrong.stdout).toMatch(
        /^✗ gateway key +SMG_GATEWAY_KEY is refused: unknown or wrong gateway key\n.*fix: copy the key exactly/m,
      );
      const missing = await doctor(dir);
      expect(missing.code).toBe(2);
      expect(missing.stdout).toMatch(/^✗ gateway key +SMG_GATEWAY_KEY is not set: identities are configured/m);
      for (const r of [expired, disabled, revoked, wrong, missing]) expect(r.stdout).not.toContain(key.slice(20));
    },
  );

  it('fails an unreachable Redis, naming host:port and never the password', { timeout: 60_000 }, async () => {
    const dir = home({
      servers: {},
      state: { backend: 'redis', url: `redis://:s3cret-redis-pass@127.0.0.1:${closedPort}/2`, connectTimeoutMs: 300 },
    });
    const r = await doctor(dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(
        `^✗ state +.*Redis at redis://127\\.0\\.0\\.1:${closedPort}\\) is unavailable: connect ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}.*\\n.*fix: start Redis at redis://127\\.0\\.0\\.1:${closedPort} or fix state\\.url`,
        'm',
      ),
    );
    expect(r.stdout + r.stderr).not.toContain('s3cret-redis-pass');
  });
});

describe('init --with-key', () => {
  it(
    'creates the local user’s key, doctor accepts it, and install puts it in the client entry that then works',
    { timeout: 120_000 },
    async () => {
      const h = makeClientHome();
      const run = (...args: string[]) => {
        const r = spawnSync(process.execPath, [BIN, ...args], { env: h.env, cwd: h.project, encoding: 'utf8' });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      const gw = h.env.SMG_HOME!;
      const init = run('init', '--yes', '--with-key', 'Me@Example.com');
      expect(init.code, init.stderr).toBe(0);
      const made =
        /^create +gateway key ([0-9a-f]{16}) for me@example\.com in project default, kept in (.*gateway-key) \(0600\)$/m.exec(
          init.stdout,
        );
      expect(made, init.stdout).not.toBeNull();
      const [, id, keyFile] = made!;
      expect(init.stdout).toMatch(/^add +memberships\.default\.Me@Example\.com = owner$/m);
      expect(fs.statSync(keyFile!).mode & 0o777).toBe(0o600);
      const key = fs.readFileSync(keyFile!, 'utf8').trim();
      expect(key).toMatch(new RegExp(`^smg_${id}_`));
      expect(init.stdout).not.toContain(key);
      const config = JSON.parse(fs.readFileSync(path.join(gw, 'config.json'), 'utf8')) as {
        servers: Record<string, unknown>;
        projects: Record<string, { servers: string[] }>;
        users: Record<string, unknown>;
      };
      expect(Object.keys(config.users)).toEqual(['Me@Example.com']);
      expect(config.projects.default!.servers.sort()).toEqual(Object.keys(config.servers).sort());
      expect(config.projects.default!.servers).toContain('memory');

      // Again: the key still authenticates, so it is kept.
      const again = run('init', '--yes', '--with-key', 'me@example.com');
      expect(again.stdout).toMatch(new RegExp(`^keep +gateway key ${id} `, 'm'));

      const d = await doctor(gw, { HOME: h.home });
      expect(d.stdout).toMatch(/^✓ identity +gateway identities: 1 user, 1 project/m);
      expect(d.stdout).toMatch(
        new RegExp(
          `^✓ gateway key +key ${id}: me@example\\.com in project default as owner, never expires \\(.*gateway-key\\)$`,
          'm',
        ),
      );

      const dry = run('install', '--client', 'claude-desktop', '--dry-run');
      expect(dry.stdout).toContain(`"SMG_GATEWAY_KEY": "smg_${id}_…"`);
      expect(dry.stdout).not.toContain(key);
      const inst = run('install', '--client', 'claude-desktop');
      expect(inst.code, inst.stderr).toBe(0);
      expect(gatewayEntry(h).env.SMG_GATEWAY_KEY).toBe(key);
      await asClaudeDesktop(h, async (client) => {
        const names = (await client.listTools()).tools.map((t) => t.name);
        expect(names).toContain('memory__read_graph');
        const r = await client.callTool({ name: 'github__echo', arguments: { message: 'as me' } });
        expect(textOf(r)).toContain('as me');
      });
      // The same entry with the key revoked: the gateway refuses to serve, and says why.
      expect(cli(gw, 'keys', 'revoke', id!).code).toBe(0);
      const refused = await doctor(gw, { HOME: h.home });
      expect(refused.stdout).toMatch(
        new RegExp(`^✗ gateway key +the local key is refused: gateway key ${id} was revoked`, 'm'),
      );
      expect(refused.stdout).toMatch(
        /fix: secure-mcp-gateway init --with-key EMAIL makes a new local key, then install again/,
      );
      const renewed = run('init', '--yes', '--with-key', 'me@example.com');
      expect(renewed.stdout).toMatch(/it replaces the one there, which is refused: gateway key \w+ was revoked/);
      const fresh = /^✓ gateway key +key ([0-9a-f]{16}): me@example\.com in project default as owner/m.exec(
        (await doctor(gw, { HOME: h.home })).stdout,
      );
      expect(fresh?.[1]).toMatch(/^[0-9a-f]{16}$/);
      expect(fresh![1]).not.toBe(id);
    },
  );
});

describe('doctor and scan agree (issue 17, items 7 and 9e, 9f)', () => {
  /** The built command with this environment, as a user runs it. */
  function smg(env: Record<string, string>, ...args: string[]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * A home whose gateway config runs `npx -y @modelcontextprotocol/server-memory` (no version), a Cursor file that
   * runs the same package on its own and another unpinned one, a stand-in npx on PATH that fails at once (no
   * network), and an npm cache where npx last installed server-memory 2025.9.25.
   */
  function unpinned() {
    const dir = home({
      servers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } },
    });
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'npx'), '#!/bin/sh\necho "npx: offline" >&2\nexit 1\n', { mode: 0o755 });
    const cache = path.join(dir, 'npm-cache');
    const pkg = path.join(cache, '_npx', '0123abcd', 'node_modules', '@modelcontextprotocol', 'server-memory');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'x', version: '2025.9.25' }));
    fs.mkdirSync(path.join(dir, '.cursor'));
    fs.writeFileSync(
      path.join(dir, '.cursor', 'mcp.json'),
      JSON.stringify({
        mcpServers: {
          memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
          fetch: { command: 'uvx', args: ['mcp-server-fetch'] },
        },
      }),
    );
    const env = {
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      HOME: dir,
      SMG_HOME: dir,
      npm_config_cache: cache,
    };
    return { dir, env };
  }

  it(
    'report an unpinned npx of the gateway config and of a client config in the same words',
    { timeout: 60_000 },
    async () => {
      const h = unpinned();
      const [scanText, scanJson, clientsText, clientsJson] = [
        smg(h.env, 'scan'),
        smg(h.env, 'scan', '--json'),
        smg(h.env, 'scan', '--clients'),
        smg(h.env, 'scan', '--clients', '--json'),
      ];
      const [text, json] = await Promise.all([doctor(h.dir, h.env), doctor(h.dir, h.env, '--json')]);

      // The gateway's own server: the fix is an edit of the gateway config, at the version npx last installed.
      const message =
        'npx runs @modelcontextprotocol/server-memory without a version: whatever the registry serves at start-up runs, unreviewed';
      const fix =
        'pin it in the gateway config: servers.memory.args[1]: "@modelcontextprotocol/server-memory@2025.9.25" (the version npx last installed here)';
      expect(scanText.code).toBe(1); // the stand-in npx cannot start, so the scan is incomplete
      expect(scanText.stdout).toMatch(/^medium +memory +- +launcher\.unpinned +args\[1\]$/m);
      expect(scanText.stdout).toContain(`\n          ${message}\n          fix: ${fix}\n`);
      expect(text.stdout).toContain(`⚠ launcher memory ${' '.repeat(13)}${message}\n  ${' '.repeat(28)} fix: ${fix}\n`);
      type Finding = { ruleId: string; server?: string; client?: string; message: string; remediation: string };
      const scanned = (JSON.parse(scanJson.stdout) as { findings: Finding[] }).findings;
      const checks = (
        JSON.parse(json.stdout) as { checks: { check: string; subject: string; detail: string; fix?: string }[] }
      ).checks;
      const doctorSays = checks.filter((c) => c.check === 'launchers');
      expect(doctorSays.find((c) => c.subject === 'launcher memory')).toMatchObject({ detail: message, fix });
      expect(scanned.filter((f) => f.ruleId.startsWith('launcher.'))).toEqual([
        expect.objectContaining({ server: 'memory', message, remediation: fix }),
      ]);

      // The client's copy of a package the gateway also runs: pin it in the gateway config, not "route it through".
      const clients = (JSON.parse(clientsJson.stdout) as { findings: Finding[] }).findings.filter((f) =>
        f.ruleId.startsWith('launcher.'),
      );
      expect(clients.map((f) => [f.server, f.remediation])).toEqual([
        [
          'fetch',
          'Pin an exact version: mcp-server-fetch==<version>; or route it through the gateway: secure-mcp-gateway install --client cursor',
        ],
        [
          'memory',
          `${fix}; then secure-mcp-gateway install --client cursor, so that Cursor stops running its own copy`,
        ],
      ]);
      for (const f of clients) {
        expect(clientsText.stdout).toContain(`fix: ${f.remediation}\n`);
        const said = doctorSays.find((c) => c.subject === `launcher cursor/${f.server}`);
        expect(said?.fix).toBe(f.remediation);
        expect(said?.detail.startsWith(f.message)).toBe(true);
      }
      expect(doctorSays.filter((c) => c.subject.startsWith('launcher '))).toHaveLength(3);
      expect(text.stdout).toMatch(/^⚠ launcher cursor\/memory +npx runs @modelcontextprotocol\/server-memory without/m);
      // Two servers of Cursor bypass the gateway; the plural agrees.
      expect(text.stdout).toMatch(/^⚠ client cursor +.*mcp\.json: 2 servers bypass the gateway \(memory, fetch\)$/m);
    },
  );

  it(
    'counts the backups install takes apart from secret files, and says "1 server bypasses"',
    { timeout: 60_000 },
    async () => {
      const dir = home({ servers: {} });
      const memory = { command: process.execPath, args: [npmServer('memory')] };
      fs.mkdirSync(path.join(dir, '.cursor'));
      fs.writeFileSync(path.join(dir, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { memory } }));
      const desktop = path.join(dir, '.config', 'Claude', 'claude_desktop_config.json');
      fs.mkdirSync(path.dirname(desktop), { recursive: true });
      fs.writeFileSync(desktop, JSON.stringify({ mcpServers: { notes: memory } }));
      const env = { PATH: process.env.PATH ?? '', HOME: dir, SMG_HOME: dir };
      const install = smg(env, 'install', '--client', 'cursor');
      expect(install.code, install.stderr).toBe(0);
      expect(fs.readdirSync(path.join(dir, 'backups'))).toHaveLength(1);
      // clients.json (what install removed, keys included) is the one secret file; the backup is counted apart.

      const r = await doctor(dir);
      expect(r.stdout).toMatch(
        /^✓ permissions +.*, the config, 1 secret file and 1 client config backup are private$/m,
      );
      expect(r.stdout).toMatch(/^⚠ client claude-desktop +.*: 1 server bypasses the gateway \(notes\)$/m);
      expect(r.stdout).toMatch(/^✓ client cursor +.*: routes through the gateway$/m);

      // A backup others can read is a failure, named as a backup.
      const [bak] = fs.readdirSync(path.join(dir, 'backups'));
      fs.chmodSync(path.join(dir, 'backups', bak!), 0o644);
      const open = await doctor(dir);
      expect(open.code).toBe(2);
      expect(open.stdout).toMatch(
        /^✗ permissions +.*\/backups\/cursor-mcp\.json-.*\.bak is world-readable \(mode 644\) and is a client config backup, which can hold keys$/m,
      );
    },
  );
});
