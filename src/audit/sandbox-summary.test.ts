import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import type { SandboxEvent } from '../sandbox/types.js';
import { createChain } from './chain.js';
import { formatRecord, query, type AnyRecord } from './query.js';
import { createRedactor } from './redact.js';
import { renderReport } from './report.js';
import { summarizeSandbox, targetOf } from './sandbox-summary.js';
import { AuditSink } from './sink.js';
import { computeStats, formatStats } from './stats.js';
import { AuditWriter } from './writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-sandbox-audit-'));
const file = path.join(dir, 'audit.jsonl');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const notAllowed = { ruleId: 'sandbox.egress.not-allowed', reason: 'evil.example is not in the allow list' };
const events: SandboxEvent[] = [
  { event: 'unconfined', server: 'web', reason: 'macOS has no sandbox for servers yet' },
  { event: 'egress-denied', server: 'gh', host: 'evil.example', port: 443, ...notAllowed },
  { event: 'egress-denied', server: 'gh', host: 'evil.example', port: 443, ...notAllowed },
  { event: 'egress-denied', server: 'gh', host: 'evil.example', port: 443, ...notAllowed },
  {
    event: 'egress-denied',
    server: 'gh',
    host: 'metadata.internal',
    port: 80,
    ruleId: 'sandbox.egress.private-address',
    reason: 'metadata.internal resolves to 169.254.169.254 (link-local)',
  },
  {
    event: 'egress-denied',
    server: 'fs',
    host: '::1',
    port: 8080,
    ruleId: 'sandbox.egress.private-address',
    reason: '::1 is loopback',
  },
  { event: 'stopped', server: 'gh', reason: '4 egress denials within 60 s (stopAfterDenials 4)', denials: 4 },
  { event: 'refused', server: 'vault', reason: 'bubblewrap (bwrap) is not installed or not on PATH' },
];

/** The records as the real writer wrote them (hash chain, redaction), read back the way the CLI reads them. */
let records: AnyRecord[] = [];
beforeAll(async () => {
  const writer = new AuditWriter({
    file,
    chain: createChain(),
    fsync: 'always',
    fsyncIntervalMs: 5,
    maxFileBytes: 1 << 20,
    log: silentLogger(),
  });
  const sink = new AuditSink({
    writer,
    required: false,
    fsync: 'always',
    redactor: createRedactor(),
    argumentsMode: 'redacted',
    observers: [],
    log: silentLogger(),
  });
  for (const e of events) sink.sandbox(e);
  await sink.close();
  records = query(file);
});

describe('sandbox records in the audit log', () => {
  it('are found by --kind sandbox and by --server', () => {
    expect(query(file, { kind: 'sandbox' })).toHaveLength(events.length);
    expect(query(file, { kind: 'sandbox', server: 'gh' }).map((r) => r.event)).toEqual([
      'egress-denied',
      'egress-denied',
      'egress-denied',
      'egress-denied',
      'stopped',
    ]);
    expect(query(file, { kind: 'call' })).toHaveLength(0);
  });

  it('print as one line each with host, port, rule and reason', () => {
    const line = formatRecord(records[1]!);
    expect(line).toMatch(/#2 {2}sandbox egress-denied {2}server=gh host=evil\.example port=443/);
    expect(line).toContain('ruleId=sandbox.egress.not-allowed');
  });

  it('group denials by server, host:port and rule, most frequent first', () => {
    const s = summarizeSandbox(records);
    expect(s.denials.map((d) => [d.server, d.target, d.ruleId, d.count])).toEqual([
      ['gh', 'evil.example:443', 'sandbox.egress.not-allowed', 3],
      ['fs', '[::1]:8080', 'sandbox.egress.private-address', 1],
      ['gh', 'metadata.internal:80', 'sandbox.egress.private-address', 1],
    ]);
    expect(s.stopped).toMatchObject([{ server: 'gh', count: 1, denials: 4 }]);
    expect(s.refused).toMatchObject([{ server: 'vault', reason: expect.stringContaining('bwrap') as string }]);
    expect(s.unconfined).toMatchObject([{ server: 'web', reason: 'macOS has no sandbox for servers yet' }]);
  });

  it('show in audit stats', () => {
    const text = formatStats(computeStats(records));
    expect(text).toMatch(/gh +evil\.example:443 +sandbox\.egress\.not-allowed +3/);
    expect(text).toContain('sandbox stopped: gh');
    expect(text).toContain('sandbox refused to start: vault');
    expect(text).toContain('ran unconfined: web (macOS has no sandbox for servers yet)');
    expect(formatStats(computeStats([]))).not.toContain('sandbox');
  });

  it('fill the report’s sandbox section, between the key refusals and the summary', () => {
    const html = renderReport({ records, file });
    const at = ['sec-refusals', 'sec-sandbox', 'sec-summary'].map((id) => html.indexOf(`id="${id}"`));
    expect(at[0]).toBeLessThan(at[1]!);
    expect(at[1]).toBeLessThan(at[2]!);
    const section = html.slice(at[1], at[2]);
    expect(section).toContain('Sandbox: egress denied 5 time(s)');
    expect(section).toMatch(
      /<td class="id">gh<\/td><td class="id">evil\.example:443<\/td><td class="id">sandbox\.egress\.not-allowed<\/td><td class="num">3<\/td>/,
    );
    const stopped = section.slice(section.indexOf('id="sandbox-stopped"'));
    expect(stopped).toMatch(/<td class="id">gh<\/td><td class="num">1<\/td><td class="num">4<\/td>/);
    const other = section.slice(section.indexOf('id="sandbox-unconfined"'));
    expect(other).toMatch(/vault<\/td><td class="text">refused<\/td>/);
    expect(other).toMatch(/web<\/td><td class="text">unconfined<\/td>/);
    expect(section).toContain('audit query --kind sandbox');
    expect(html).toMatch(/<b id="total-egress-denied">5<\/b>/);
    // Not repeated among the integrity events.
    expect(html.slice(html.indexOf('id="sec-integrity"'))).not.toContain('evil.example');
  });

  it('say so in one line when the log has none', () => {
    const html = renderReport({ records: [], file: 'x' });
    expect(html).toContain('id="sandbox-none"');
    expect(html).not.toContain('id="sandbox-denials"');
  });

  it.each([
    ['api.github.com', 443, 'api.github.com:443'],
    ['::1', 80, '[::1]:80'],
    [undefined, 443, '(unknown):443'],
    ['host', undefined, 'host'],
  ])('writes %s and port %s as %s', (host, port, want) => {
    expect(targetOf(host, port)).toBe(want);
  });
});
