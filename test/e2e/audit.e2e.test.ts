/**
 * The audit log end to end: a real SDK client → the built gateway → real fixture upstreams (one that leaks
 * secrets and PII in its results and on stderr, one that crashes). Every call the client made has one record whose
 * outcome, rule and result digest match what the client saw; upstream crashes and restarts and tool pins are
 * recorded; nothing planted reaches any log or audit file; and the `audit` commands read, check and export it.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { createChain } from '../../src/audit/chain.js';
import { AuditWriter } from '../../src/audit/writer.js';
import { silentLogger } from '../../src/log.js';
import { BIN, fixtureServer, startGateway, tempDir, textOf, waitFor } from '../helpers/gateway.js';

const TOKEN = `ghp_${crypto
  .randomBytes(27)
  .toString('base64')
  .replace(/[^A-Za-z0-9]/g, 'x')
  .slice(0, 36)}`;
const EMAIL = `jane.roe.${crypto.randomInt(1000, 9999)}@example.org`;
const CARD = '4111 1111 1111 1111';
const PLANTED = [TOKEN, EMAIL, CARD, CARD.replace(/ /g, '')];

interface Rec {
  seq: number;
  kind: string;
  event?: string;
  outcome?: string;
  ruleId?: string;
  server?: string;
  tool?: string;
  exposed?: string;
  stages?: { stage: string; action: string; ruleId?: string; enforced: boolean }[];
  resultSha256?: string;
  arguments?: Record<string, unknown>;
}

function records(file: string): Rec[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
}

function cli(args: string[], home: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .flatMap((e) => (e.isFile() ? [path.join(e.parentPath, e.name)] : []));
}

describe('audit log', () => {
  it(
    'records every call with the verdicts the client saw, leaks nothing, and verifies',
    { timeout: 120_000 },
    async () => {
      const gw = await startGateway({
        servers: {
          leaky: { ...fixtureServer('leaky-server.ts'), env: { PLANTED_TOKEN: TOKEN, PLANTED_EMAIL: EMAIL } },
          crashy: fixtureServer('crash-server.ts'),
        },
        audit: { fsync: 'always' },
      });
      // What went over the wire, by request id: the client's tools/call requests and the gateway's raw answers.
      const sent = new Map<string | number, unknown>();
      const send = gw.transport.send.bind(gw.transport);
      gw.transport.send = (m) => {
        if ('method' in m && m.method === 'tools/call' && 'id' in m) sent.set(m.id, m);
        return send(m);
      };
      const raw = () =>
        gw.stdoutLines
          .map((l) => JSON.parse(l) as { id?: string | number; result?: unknown })
          .filter((m) => m.id !== undefined && sent.has(m.id));

      const seen: { name: string; kind: 'allowed' | 'blocked' | 'error'; ruleId?: string; code?: number }[] = [];
      const call = async (name: string, args: Record<string, unknown> = {}) => {
        try {
          const r = await gw.client.callTool({ name, arguments: args });
          const meta = r._meta?.['secure-mcp-gateway/verdict'] as { ruleId?: string } | undefined;
          seen.push(r.isError && meta ? { name, kind: 'blocked', ruleId: meta.ruleId! } : { name, kind: 'allowed' });
          return r;
        } catch (error) {
          seen.push({ name, kind: 'error', code: (error as McpError).code });
          return undefined;
        }
      };
      await gw.client.listTools();
      // PII in the arguments is redacted on the way up and restored for the client on the way back.
      await call('leaky__echo', { text: `hello ${EMAIL}` });
      await call('leaky__echo', { text: `deploy with ${TOKEN}` });
      expect(textOf(await call('leaky__leak'))).not.toContain(TOKEN);
      await call('leaky__nope');
      await call('crashy__crash');
      await waitFor(() => gw.stderr().includes('upstream went away'));
      expect(textOf(await call('crashy__ok'))).toBe('ok');
      await call('leaky__echo', { text: `pay with ${CARD}` });
      expect(seen.map((s) => s.kind)).toEqual([
        'allowed',
        'blocked',
        'allowed',
        'error',
        'error',
        'allowed',
        'allowed',
      ]);
      const answers = raw();
      const { code } = await gw.closeStdin();
      expect(code).toBe(0);

      const file = path.join(gw.home, 'audit.jsonl');
      const all = records(file);
      const calls = all.filter((r) => r.kind === 'call');
      expect(calls).toHaveLength(seen.length);
      const expected = ['allowed', 'blocked', 'allowed', 'blocked', 'upstream-error', 'allowed', 'allowed'];
      expect(calls.map((c) => c.outcome)).toEqual(expected);
      calls.forEach((c, i) => {
        const s = seen[i]!;
        expect(c.exposed).toBe(s.name);
        if (s.kind === 'blocked') {
          // The rule the client was shown is the record's rule and the last, enforced, denying stage of its trail.
          expect(c.ruleId).toBe(s.ruleId);
          expect(c.stages!.at(-1)).toMatchObject({ action: 'deny', ruleId: s.ruleId, enforced: true });
        }
        if (c.outcome === 'allowed') {
          expect(c.stages!.every((t) => t.action === 'allow' || t.action === 'modify' || !t.enforced)).toBe(true);
          const answer = answers.filter(
            (a) => c.exposed === (sent.get(a.id!) as { params: { name: string } }).params.name,
          );
          expect(
            answer.map((a) => crypto.createHash('sha256').update(JSON.stringify(a.result)).digest('hex')),
          ).toContain(c.resultSha256);
        }
      });
      expect(calls[1]!.ruleId).toMatch(/^secrets\./);
      expect(calls[3]).toMatchObject({ ruleId: 'gateway.unknown-tool' });
      expect(calls[0]!.stages!.some((t) => t.action === 'modify')).toBe(true);
      expect(JSON.stringify(calls[0]!.arguments)).toContain('[EMAIL]');
      // Integrity and upstream events.
      expect(
        all
          .filter((r) => r.kind === 'tool' && r.event === 'pinned')
          .map((r) => `${r.server}/${r.tool}`)
          .sort(),
      ).toEqual(['crashy/crash', 'crashy/ok', 'leaky/count', 'leaky/echo', 'leaky/leak']);
      expect(all.filter((r) => r.kind === 'upstream').map((r) => `${r.server} ${r.event}`)).toEqual([
        'crashy crashed',
        'crashy restarted',
      ]);

      // Log hygiene: nothing planted reaches any file the gateway wrote, nor its stderr. (config.json is the input.)
      const written = filesUnder(gw.home).filter((f) => path.basename(f) !== 'config.json');
      expect(written.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['audit.jsonl', 'gateway.log']));
      expect(gw.stderr()).toContain('leaky-server: echo got');
      for (const f of [...written.map((w) => fs.readFileSync(w, 'utf8')), gw.stderr()])
        for (const p of PLANTED) expect(f.includes(p) ? `${p} found` : 'clean').toBe('clean');

      // The CLI reads the same log.
      const cfg = ['--config', gw.configPath];
      const ok = cli(['audit', 'verify', ...cfg], gw.home);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(new RegExp(`^ok: ${all.length} records in 1 file\\(s\\)`));
      const blocked = cli(['audit', 'query', '--blocked', '--json', ...cfg], gw.home);
      expect(
        blocked.out
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as Rec).exposed),
      ).toEqual(['leaky__echo', 'leaky__nope']);
      const byServer = cli(['audit', 'query', '--server', 'crashy', '--since', '1h', ...cfg], gw.home);
      expect(byServer.out).toMatch(/call upstream-error +crashy\/crash/);
      const stats = cli(['audit', 'stats', ...cfg], gw.home);
      expect(stats.out).toMatch(/calls: 7/);
      expect(stats.out).toMatch(/gateway\.unknown-tool +1/);
      expect(stats.out).toMatch(/leaky +echo +3 +1/);
      const csv = cli(['audit', 'export', '--format', 'csv', ...cfg], gw.home);
      expect(csv.out.split('\r\n')[0]).toMatch(/^seq,ts,kind,event,callId/);
      expect(csv.out.trim().split('\r\n')).toHaveLength(all.length + 1);

      // One flipped byte is found, at its line, with a distinct exit code.
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines[2] = lines[2]!.replace('"kind":"', '"kind":"x');
      fs.writeFileSync(file, lines.join('\n'));
      const bad = cli(['audit', 'verify', ...cfg], gw.home);
      expect(bad.code).toBe(7);
      expect(bad.out).toMatch(/^BROKEN: audit\.jsonl:3 \(seq 3\): the record was altered/);
    },
  );

  it('blocks calls with audit.unavailable when audit.required is set and the log cannot be written', async () => {
    // The log's folder is a file: the writer cannot open the log.
    const home = tempDir();
    fs.writeFileSync(path.join(home, 'blocker'), '');
    const gw = await startGateway(
      {
        servers: { crashy: fixtureServer('crash-server.ts') },
        audit: { required: true, path: 'blocker/audit.jsonl' },
        log: { file: false },
      },
      { home },
    );
    const r = await gw.client.callTool({ name: 'crashy__ok', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(
      /audit\.unavailable: audit\.required is set and the call cannot be audited: cannot write the audit log .*blocker\/audit\.jsonl/,
    );
    expect(gw.stderr()).toMatch(/every call will be blocked until it can/);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('tail -f prints the last records, then new ones as they are written, across a rotation', async () => {
    const home = tempDir();
    const file = path.join(home, 'audit.jsonl');
    const write = async (from: number, n: number) => {
      const w = new AuditWriter({
        file,
        chain: createChain(),
        fsync: 'always',
        fsyncIntervalMs: 5,
        maxFileBytes: 4096,
        log: silentLogger(),
      });
      for (let i = from; i < from + n; i++) await w.append({ kind: 'config', event: 'reloaded', file: `c${i}.json` });
      await w.close();
    };
    await write(0, 3);
    const tail = spawn(process.execPath, [BIN, 'audit', 'tail', '-f', '-n', '2', '--file', file], {
      env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    });
    let out = '';
    tail.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => out.split('\n').length > 2);
      expect(out).not.toContain('c0.json');
      expect(out).toMatch(/#2 +config reloaded +file=c1\.json/);
      // Enough records to rotate the 4 KiB file more than once.
      await write(3, 40);
      await waitFor(() => out.includes('c42.json'));
      const seqs = [...out.matchAll(/ #(\d+) /g)].map((m) => Number(m[1]));
      expect(seqs).toEqual(Array.from({ length: 42 }, (_, i) => i + 2));
      expect(fs.readdirSync(home).filter((f) => /^audit\.\d{12}\.jsonl$/.test(f)).length).toBeGreaterThan(1);
    } finally {
      tail.kill('SIGTERM');
    }
  });

  it('keys the chain with audit.hmacKey from a file; verify needs that key', async () => {
    const home = tempDir();
    fs.writeFileSync(path.join(home, 'audit.key'), `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const gw = await startGateway(
      {
        servers: { crashy: fixtureServer('crash-server.ts') },
        audit: { hmacKey: '${file:audit.key}', arguments: 'hashed' },
        log: { file: false },
      },
      { home },
    );
    expect(textOf(await gw.client.callTool({ name: 'crashy__ok', arguments: {} }))).toBe('ok');
    expect((await gw.closeStdin()).code).toBe(0);
    const recs = records(path.join(home, 'audit.jsonl'));
    // The default (batched) mode records a call after its answer: stdin EOF drains it into the log before exit.
    expect(recs.filter((r) => r.kind === 'call').map((r) => [r.exposed, r.outcome])).toEqual([
      ['crashy__ok', 'allowed'],
    ]);
    expect(recs.every((r) => (r as { alg?: string }).alg === 'hmac-sha256')).toBe(true);
    const cfg = ['--config', gw.configPath];
    expect(cli(['audit', 'verify', ...cfg], home)).toMatchObject({ code: 0 });
    // Without the config (so without the key), and with a wrong key, the chain does not verify.
    const bare = cli(['audit', 'verify', '--file', path.join(home, 'audit.jsonl')], tempDir());
    expect(bare.code).toBe(7);
    expect(bare.out).toMatch(/the chain is keyed \(hmac-sha256\)/);
    fs.writeFileSync(path.join(home, 'audit.key'), 'x'.repeat(32));
    const wrong = cli(['audit', 'verify', ...cfg], home);
    expect(wrong.code).toBe(7);
    expect(wrong.out).toMatch(/^BROKEN: audit\.jsonl:1 \(seq 1\): the record was altered/);
  });
});
