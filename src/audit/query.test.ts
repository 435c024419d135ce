import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createChain, GENESIS, seal } from './chain.js';
import { CSV_COLUMNS, toCsv, toJsonl } from './export.js';
import { formatRecord, parseSince, query, type AnyRecord } from './query.js';
import { renderReport, timeline } from './report.js';
import { computeStats, formatStats, percentile } from './stats.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-query-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
function call(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'call',
    ts: new Date(T0 + i * 60_000).toISOString(),
    callId: `c${i}`,
    sessionId: 's',
    user: i % 2 ? 'alice@example.com' : 'bob@example.com',
    project: 'p',
    exposed: `fs__read`,
    server: 'fs',
    tool: 'read',
    argumentsMode: 'redacted',
    arguments: { path: `/x/${i}` },
    stages: [],
    outcome: 'allowed',
    latencyMs: i + 1,
    ...over,
  };
}

function writeLog(name: string, bodies: Record<string, unknown>[]): string {
  const file = path.join(dir, name);
  const chain = createChain();
  let prev = GENESIS;
  const lines = bodies.map((b, i) => {
    const s = seal(chain, { v: 1, seq: i + 1, ...b }, prev);
    prev = s.hash;
    return `${s.line}\n`;
  });
  fs.writeFileSync(file, lines.join('') + '{"torn');
  return file;
}

const bodies = [
  ...Array.from({ length: 10 }, (_, i) => call(i)),
  call(10, {
    outcome: 'blocked',
    ruleId: 'secrets.github-pat',
    reason: 'a token',
    server: 'web',
    tool: 'fetch',
    exposed: 'web__fetch',
  }),
  call(11, { outcome: 'blocked', ruleId: '=cmd|calc', reason: 'x, "y"' }),
  { kind: 'tool', event: 'pinned', server: 'fs', tool: 'read', ts: new Date(T0).toISOString() },
];

describe('audit query, stats, export and report', () => {
  const file = writeLog('audit.jsonl', bodies);

  it('parses durations and dates for --since', () => {
    expect(parseSince('1h', T0)).toBe(T0 - 3_600_000);
    expect(parseSince('30m', T0)).toBe(T0 - 1_800_000);
    expect(parseSince('2026-11-20T10:05:00Z')).toBe(T0 + 300_000);
    expect(parseSince('soon')).toBeUndefined();
  });

  it('filters by time, outcome, server, tool, user and kind, skipping a torn line', () => {
    expect(query(file)).toHaveLength(13);
    expect(query(file, { blocked: true }).map((r) => r.ruleId)).toEqual(['secrets.github-pat', '=cmd|calc']);
    expect(query(file, { server: 'web' })).toHaveLength(1);
    expect(query(file, { tool: 'web__fetch' })).toHaveLength(1);
    expect(query(file, { user: 'alice@example.com', kind: 'call' })).toHaveLength(6);
    expect(query(file, { since: T0 + 5 * 60_000, until: T0 + 7 * 60_000 })).toHaveLength(3);
    expect(query(file, { kind: 'tool' })).toHaveLength(1);
  });

  it('formats records for people', () => {
    const [first] = query(file, { blocked: true });
    expect(formatRecord(first!)).toMatch(
      /#11 +call blocked +web\/fetch +user=bob@example.com .* secrets\.github-pat: a token/,
    );
    expect(formatRecord(query(file, { kind: 'tool' })[0]!)).toMatch(/tool pinned +server=fs tool=read/);
  });

  it('computes calls, blocks by rule and nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([], 50)).toBe(0);
    const s = computeStats(query(file));
    expect(s).toMatchObject({ calls: 12, outcomes: { allowed: 10, blocked: 2 } });
    expect(s.byTool[0]).toMatchObject({ server: 'fs', tool: 'read', calls: 11, blocked: 1, p50: 6, p99: 12 });
    expect(formatStats(s)).toMatch(/secrets\.github-pat +1/);
  });

  it('exports CSV that quotes fields and defuses formulas, and JSON Lines', () => {
    const records = query(file);
    const csv = toCsv(records).split('\r\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(records.length + 2);
    const row = csv.find((l) => l.includes('calc'))!;
    expect(row).toContain(`'=cmd|calc`);
    expect(row).toContain('"x, ""y"""');
    expect(
      toJsonl(records)
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as AnyRecord).seq),
    ).toEqual(records.map((r) => r.seq));
  });

  it('renders a report whose strings are escaped, with one bar per bucket', () => {
    const records = query(file);
    const t = timeline(records);
    expect(t.size).toBe(60_000);
    expect(t.buckets).toHaveLength(12);
    const html = renderReport({ records, file: '<log>', generatedAt: new Date(T0) });
    expect(html).toContain('&lt;log&gt;');
    expect(html).not.toContain('<log>');
    expect(html.match(/<rect class="blocked"/g)).toHaveLength(2);
    expect(html).toContain('id="recent-blocked"');
    expect(renderReport({ records: [], file: 'x' })).toContain('No calls in this period.');
  });
});
