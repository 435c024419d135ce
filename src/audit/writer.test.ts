import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { createChain } from './chain.js';
import { logFiles } from './files.js';
import { verifyLog } from './verify.js';
import { AuditWriter, type AuditWriterOptions } from './writer.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-audit-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function writer(file: string, over: Partial<AuditWriterOptions> = {}): AuditWriter {
  return new AuditWriter({
    file,
    chain: createChain(),
    fsync: 'batched',
    fsyncIntervalMs: 5,
    maxFileBytes: 64 * 1024 * 1024,
    log: silentLogger(),
    ...over,
  });
}

async function fill(file: string, n: number, over: Partial<AuditWriterOptions> = {}): Promise<void> {
  const w = writer(file, over);
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) all.push(w.append({ kind: 'call', i, server: 's', tool: `t${i % 7}` }));
  await Promise.all(all);
  await w.close();
}

function readLines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
}
function writeLines(file: string, lines: string[]): void {
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

describe('audit chain over 10,000 records', () => {
  const file = () => path.join(tmp(), 'audit.jsonl');

  it('verifies an untouched log', async () => {
    const f = file();
    await fill(f, 10_000);
    const r = verifyLog(f);
    expect(r).toMatchObject({ ok: true, records: 10_000, lastSeq: 10_000, alg: 'sha256', warnings: [] });
  });

  it.each([
    ['a flipped byte in line 5000', 5000, (l: string[]) => void (l[4999] = l[4999]!.replace('"t', '"u')), /altered/],
    ['a deleted line 5000', 5000, (l: string[]) => void l.splice(4999, 1), /1 record\(s\) missing/],
    [
      'lines 5000 and 5001 swapped',
      5000,
      (l: string[]) => void ([l[4999], l[5000]] = [l[5000]!, l[4999]!]),
      /reordered|missing/,
    ],
    ['line 1 deleted', 1, (l: string[]) => void l.splice(0, 1), /starts at seq 2/],
  ])('fails on %s, at that line', async (_name, line, edit, problem) => {
    const f = file();
    await fill(f, 10_000);
    const lines = readLines(f);
    edit(lines);
    writeLines(f, lines);
    // The same tampered file verified twice gives the same answer: verify only reads.
    for (let i = 0; i < 2; i++) {
      const r = verifyLog(f);
      expect(r.ok).toBe(false);
      expect(r.broken).toMatchObject({ file: 'audit.jsonl', line });
      expect(r.broken!.problem).toMatch(problem);
    }
  });

  it('catches a record rewritten with a recomputed unkeyed hash by the next link', async () => {
    const f = file();
    await fill(f, 100);
    const lines = readLines(f);
    const { createHash } = await import('node:crypto');
    const head = lines[49]!.replace('"t', '"u').replace(/,"hash":"[0-9a-f]{64}"\}$/, '');
    lines[49] = `${head},"hash":"${createHash('sha256').update(head).digest('hex')}"}`;
    writeLines(f, lines);
    expect(verifyLog(f).broken).toMatchObject({ line: 51, problem: expect.stringMatching(/replaced/) as string });
  });

  it('catches records cut from the end with the checkpoint', async () => {
    const f = file();
    await fill(f, 100);
    writeLines(f, readLines(f).slice(0, 90));
    expect(verifyLog(f).broken?.problem).toMatch(/ends at seq 90 but the checkpoint says seq 100/);
  });
});

describe('audit writer', () => {
  it('rotates by size and carries the chain across files', async () => {
    const f = path.join(tmp(), 'audit.jsonl');
    await fill(f, 500, { maxFileBytes: 8192 });
    const files = logFiles(f).all();
    expect(files.length).toBeGreaterThan(5);
    expect(path.basename(files[0]!)).toBe('audit.000000000001.jsonl');
    for (const x of files) expect(fs.statSync(x).size).toBeLessThanOrEqual(8192);
    expect(verifyLog(f)).toMatchObject({ ok: true, records: 500 });
    // A whole rotated file removed from the middle is a gap at the first line of the next file.
    fs.rmSync(files[2]!);
    expect(verifyLog(f).broken).toMatchObject({ file: path.basename(files[3]!), line: 1 });
  });

  it('continues the chain after a restart', async () => {
    const f = path.join(tmp(), 'audit.jsonl');
    await fill(f, 10);
    await fill(f, 10);
    expect(verifyLog(f)).toMatchObject({ ok: true, records: 20, lastSeq: 20 });
  });

  it('skips a torn last line after a crash, records that, and keeps the chain whole', async () => {
    const f = path.join(tmp(), 'audit.jsonl');
    await fill(f, 10);
    const whole = fs.readFileSync(f, 'utf8');
    fs.appendFileSync(f, '{"v":1,"seq":11,"ts":"2026-01-01T00:00:00.000Z","kind":"call","serv');
    const before = verifyLog(f);
    expect(before.ok).toBe(true);
    expect(before.warnings.join()).toMatch(/audit.jsonl:11: the log ends in a torn record/);
    const w = writer(f);
    await w.append({ kind: 'call', after: true });
    await w.close();
    const lines = readLines(f);
    expect(lines.slice(0, 10).join('\n') + '\n').toBe(whole);
    expect(JSON.parse(lines[11]!)).toMatchObject({ kind: 'audit.recovered', seq: 11, torn: { line: 11 } });
    expect(JSON.parse(lines[12]!)).toMatchObject({ kind: 'call', seq: 12, after: true });
    const r = verifyLog(f);
    expect(r).toMatchObject({ ok: true, records: 12 });
    expect(r.warnings.join()).toMatch(/audit.jsonl:11: a torn record/);
    // A garbage line that no recovery record names is a break, not a torn write.
    lines.splice(3, 0, 'garbage');
    writeLines(f, lines);
    expect(verifyLog(f).broken).toMatchObject({ line: 4, problem: expect.stringMatching(/unreadable/) as string });
  });

  it('keys the chain with HMAC: verify needs the key, and a wrong key fails', async () => {
    const f = path.join(tmp(), 'audit.jsonl');
    await fill(f, 20, { chain: createChain('k3y-material') });
    expect(verifyLog(f, { key: 'k3y-material' })).toMatchObject({ ok: true, alg: 'hmac-sha256' });
    expect(verifyLog(f).broken?.problem).toMatch(/keyed/);
    expect(verifyLog(f, { key: 'other' }).broken).toMatchObject({
      line: 1,
      problem: expect.stringMatching(/altered/) as string,
    });
  });

  it('in always mode, resolves each append only once its record is on disk', async () => {
    const f = path.join(tmp(), 'audit.jsonl');
    const w = writer(f, { fsync: 'always' });
    for (let i = 1; i <= 3; i++) {
      await w.append({ kind: 'call', i });
      expect(readLines(f)).toHaveLength(i);
    }
    await w.close();
  });

  it('reports an unwritable path, rejects appends, and recovers with an audit.lost record', async () => {
    const dir = tmp();
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const w = writer(path.join(blocker, 'audit.jsonl'));
    expect(w.healthy).toBe(false);
    expect(w.problem).toMatch(/cannot write the audit log .*not-a-dir\/audit.jsonl: .*(ENOTDIR|EEXIST)/);
    await expect(w.append({ kind: 'call' })).rejects.toThrow(/cannot write the audit log/);
    await w.close();

    // A file that becomes writable again: the next append (after the retry delay) reopens and counts the loss.
    const ok = path.join(dir, 'audit.jsonl');
    fs.mkdirSync(ok);
    const w2 = writer(ok);
    expect(w2.healthy).toBe(false);
    await expect(w2.append({ kind: 'call' })).rejects.toThrow(/EISDIR/);
    fs.rmdirSync(ok);
    await new Promise((r) => setTimeout(r, 1100));
    await w2.append({ kind: 'call', n: 2 });
    await w2.close();
    expect(readLines(ok).map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['audit.lost', 'call']);
    expect(JSON.parse(readLines(ok)[0]!)).toMatchObject({ count: 1 });
    expect(verifyLog(ok).ok).toBe(true);
  });

  it.runIf(fs.existsSync('/dev/full'))('reports a full disk (ENOSPC, from /dev/full) loudly and once', async () => {
    const errors: string[] = [];
    const log = silentLogger();
    log.error = ((_obj: unknown, msg: string) => void errors.push(msg)) as typeof log.error;
    const w = writer('/dev/full', { fsync: 'always', log });
    expect(w.healthy).toBe(true);
    await expect(w.append({ kind: 'call' })).rejects.toThrow(/cannot write the audit log \/dev\/full: ENOSPC/);
    expect(w.healthy).toBe(false);
    await expect(w.append({ kind: 'call' })).rejects.toThrow(/ENOSPC/);
    expect(errors).toEqual(['cannot write the audit log /dev/full: ENOSPC: no space left on device, write']);
    await w.close();
  });
});
