/**
 * Durability of the audit log under kill -9: the built gateway (fsync: always) serves a stream of 2,000 calls
 * from a real client, eight in flight at a time, and is killed with SIGKILL halfway. Every call the client saw
 * answered must have its record on disk, `audit verify` must pass, and a restarted gateway must carry the chain on
 * (closing a torn last line, if the kill tore one).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, fixtureServer, processTree, startGateway, tempDir, textOf } from '../helpers/gateway.js';

const TOTAL = 2000;
const KILL_AFTER = 1000;
const IN_FLIGHT = 8;

function verify(home: string, configPath: string) {
  const r = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--json', '--config', configPath], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    encoding: 'utf8',
  });
  return { code: r.status, report: JSON.parse(r.stdout) as { ok: boolean; records: number; warnings: string[] } };
}

describe('audit log under kill -9', () => {
  it('keeps a record of every answered call and a chain that verifies', { timeout: 180_000 }, async () => {
    const home = tempDir();
    const config = {
      servers: { leaky: fixtureServer('leaky-server.ts') },
      audit: { fsync: 'always' },
      log: { level: 'warn', file: false },
    };
    const gw = await startGateway(config, { home, env: { SMG_LOG_LEVEL: 'warn' } });
    await gw.client.listTools();
    const answered = new Set<number>();
    let next = 0;
    let killed = false;
    const children = () => processTree(gw.proc.pid!);
    let orphans: number[] = [];
    const worker = async () => {
      while (!killed && next < TOTAL) {
        const n = next++;
        try {
          const r = await gw.client.callTool({ name: 'leaky__count', arguments: { n } });
          if (textOf(r) === String(n)) answered.add(n);
        } catch {
          return; // the gateway is gone
        }
        if (!killed && answered.size >= KILL_AFTER) {
          killed = true;
          orphans = children();
          gw.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await gw.exited;
    // The upstream child lost its parent; it is ours to reap.
    for (const pid of orphans)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    expect(killed).toBe(true);
    expect(answered.size).toBeGreaterThanOrEqual(KILL_AFTER);

    const file = path.join(home, 'audit.jsonl');
    const v1 = verify(home, gw.configPath);
    expect(v1.code).toBe(0);
    expect(v1.report.ok).toBe(true);
    const recorded = new Set<number>();
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      try {
        const r = JSON.parse(line) as { kind: string; outcome?: string; arguments?: { n?: number } };
        if (r.kind === 'call' && r.outcome === 'allowed' && typeof r.arguments?.n === 'number')
          recorded.add(r.arguments.n);
      } catch {
        // a torn last line
      }
    }
    const missing = [...answered].filter((n) => !recorded.has(n));
    expect(missing).toEqual([]);

    // A restart carries the chain on from what is on disk.
    const again = await startGateway(config, { home, env: { SMG_LOG_LEVEL: 'warn' } });
    expect(textOf(await again.client.callTool({ name: 'leaky__count', arguments: { n: -1 } }))).toBe('-1');
    expect((await again.closeStdin()).code).toBe(0);
    const v2 = verify(home, gw.configPath);
    expect(v2.code).toBe(0);
    expect(v2.report.records).toBeGreaterThan(v1.report.records);
    if (v1.report.warnings.some((w) => w.includes('torn')))
      expect(v2.report.warnings.join()).toMatch(/a torn record \(crash while writing\), skipped/);
  });
});
