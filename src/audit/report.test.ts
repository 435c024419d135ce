import { describe, expect, it } from 'vitest';
import type { AnyRecord } from './query.js';
import { groupEvents, renderReport } from './report.js';
import { computeStats, formatStats } from './stats.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
let seq = 0;
function rec(body: Record<string, unknown>, minute = seq): AnyRecord {
  seq++;
  return { seq, ts: new Date(T0 + minute * 60_000).toISOString(), kind: 'call', ...body };
}
const call = (over: Record<string, unknown> = {}) =>
  rec({
    kind: 'call',
    callId: `c${seq}`,
    sessionId: 's',
    user: 'alice@example.com',
    project: 'backend',
    exposed: 'fs__read',
    server: 'fs',
    tool: 'read',
    stages: [],
    outcome: 'allowed',
    latencyMs: 5,
    ...over,
  });
const blocked = (ruleId: string, reason = `blocked by ${ruleId}`) =>
  call({ outcome: 'blocked', phase: 'request', ruleId, reason });

/** Where each section starts in the page. */
const order = (html: string) =>
  [
    'sec-blocked',
    'sec-refusals',
    'sec-sandbox',
    'sec-llm',
    'sec-summary',
    'sec-integrity',
    'sec-upstreams',
    'sec-approvals',
  ].map((id) => html.indexOf(`id="${id}"`));

describe('audit report', () => {
  const records = [
    ...Array.from({ length: 30 }, (_, i) => rec({ kind: 'tool', event: 'pinned', server: 'fs', tool: `tool_${i}` })),
    rec({ kind: 'tool', event: 'pinned', server: 'web', tool: 'fetch' }),
    call({ latencyMs: 1505, upstreamWaitMs: 1500 }),
    call(),
    blocked('injection.ignore-previous'),
    blocked('secrets.github-pat'),
    rec({ kind: 'key', event: 'refused', keyId: 'k_7f3a', reason: 'the key was revoked' }),
    rec({ kind: 'key', event: 'used', keyId: 'k_1', user: 'alice@example.com', project: 'backend' }),
    rec({ kind: 'upstream', event: 'crashed', server: 'web', reason: 'exited with code 1' }),
    rec({ kind: 'upstream', event: 'crashed', server: 'web', reason: 'exited with code 2' }),
    rec({ kind: 'tool', event: 'changed', server: 'web', tool: 'fetch', ruleId: 'integrity.changed' }),
    rec({ kind: 'approval', event: 'asked', callId: 'c9', server: 'fs', tool: 'write' }),
  ];
  const html = renderReport({ records, file: 'audit.jsonl', generatedAt: new Date(T0) });

  it('puts blocked calls first, then key refusals, the summary and the grouped rest', () => {
    const at = order(html);
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('lists blocked calls newest first with who, rule and reason', () => {
    const table = html.slice(html.indexOf('id="recent-blocked"'), html.indexOf('id="sec-refusals"'));
    expect(table.indexOf('secrets.github-pat')).toBeLessThan(table.indexOf('injection.ignore-previous'));
    expect(table).toContain(
      '<td class="who" title="alice@example.com / backend">alice@example.com<span class="muted"> / backend</span></td>',
    );
    expect(table).toContain('title="blocked by secrets.github-pat"');
    expect(html).toContain('Blocked calls (2)');
  });

  it.each([
    [1, '1 more — use <code>secure-mcp-gateway audit query --blocked</code>'],
    [2, undefined],
  ])('caps the blocked table at %i row(s) and points to audit query for the rest', (recent, line) => {
    const page = renderReport({ records, file: 'x', recent });
    if (line) expect(page).toContain(line);
    else expect(page).not.toContain('id="blocked-more"');
    expect(page.slice(page.indexOf('id="recent-blocked"'), page.indexOf('</table>')).match(/<tr>/g)).toHaveLength(
      recent + 1,
    );
  });

  it('files key refusals under keys, never under integrity events', () => {
    const keys = html.slice(html.indexOf('id="sec-refusals"'), html.indexOf('id="sec-summary"'));
    expect(keys).toContain('k_7f3a');
    expect(keys).toContain('the key was revoked');
    expect(keys).toContain('Accepted: 1 authentication(s) with 1 key(s).');
    const integrity = html.slice(html.indexOf('id="sec-integrity"'), html.indexOf('id="sec-upstreams"'));
    expect(integrity).not.toMatch(/k_7f3a|refused|revoked|crashed/);
  });

  it('puts refused SSO tokens beside refused keys, by subject and issuer, and counts accepted SSO sessions', () => {
    const issuer = 'https://idp.example.com';
    const sso = [
      rec({ kind: 'key', event: 'refused', keyId: 'k_old', reason: 'the key was revoked' }, 1),
      rec({ kind: 'sso', event: 'refused', subject: 'u-42', issuer, reason: 'the token expired' }, 2),
      rec({ kind: 'sso', event: 'refused', reason: 'not a JWT' }, 3),
      rec({ kind: 'sso', event: 'accepted', user: 'bob@example.com', project: 'backend', subject: 'u-7', issuer }, 4),
      rec({ kind: 'sso', event: 'accepted', user: 'bob@example.com', project: 'backend', subject: 'u-7', issuer }, 5),
    ];
    const page = renderReport({ records: sso, file: 'audit.jsonl', generatedAt: new Date(T0) });
    const section = page.slice(page.indexOf('id="sec-refusals"'), page.indexOf('id="sec-summary"'));
    expect(section).toContain('Refused gateway keys and SSO tokens (3)');
    // Newest first, keys and tokens in one table.
    const rows = [...section.matchAll(/<tr><td class="time">.*?<\/tr>/g)].map((m) => m[0]);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('SSO (no subject)');
    expect(rows[1]).toContain(`SSO u-42 at ${issuer}`);
    expect(rows[1]).toContain('the token expired');
    expect(rows[2]).toContain('k_old');
    expect(section).toContain(`Accepted SSO: 2 session(s) of 1 user(s) from ${issuer}.`);
    // Kept out of the grouped "other events".
    expect(page.slice(page.indexOf('id="sec-integrity"'))).not.toContain('u-42');
    // Without SSO events the section keeps its old title.
    expect(html).toContain('Refused gateway keys (1)');
  });

  it('groups integrity events by kind and server, changes before pins, tool names folded', () => {
    expect(groupEvents(records).map((g) => [g.what, g.server, g.count])).toEqual([
      ['tool changed', 'web', 1],
      ['tool pinned', 'web', 1],
      ['tool pinned', 'fs', 30],
    ]);
    expect(html).toContain('<details><summary>30 tools</summary>');
    expect(html).toContain('<code>fetch (integrity.changed)</code>');
  });

  it('groups upstream crashes by server with the last reason', () => {
    const up = html.slice(html.indexOf('id="upstreams"'), html.indexOf('id="sec-approvals"'));
    expect(up).toMatch(/web<\/td><td class="text">crashed<\/td><td class="num">2<\/td>/);
    expect(up).toContain('exited with code 2');
  });

  it('leaves upstream start-up out of latency and counts it apart', () => {
    const s = computeStats(records);
    expect(s.byTool[0]).toMatchObject({ server: 'fs', tool: 'read', calls: 4, p99: 5, waits: 1, maxWaitMs: 1500 });
    expect(html).toContain('1 (longest 1.5 s)');
    expect(formatStats(s)).toContain('1 call(s) waited for their server to start, the longest 1500 ms');
    expect(formatStats(computeStats([call()]))).not.toContain('start-up');
  });

  it('escapes every string from the log, in cells and titles', () => {
    const page = renderReport({ records: [blocked('r', '<img src=x onerror=alert(1)> "q"')], file: 'x' });
    expect(page).not.toContain('<img');
    expect(page).toContain('title="&lt;img src=x onerror=alert(1)&gt; &quot;q&quot;"');
  });

  it('says so when there is nothing to show', () => {
    const page = renderReport({ records: [], file: 'x' });
    for (const t of [
      'No calls were blocked.',
      'No gateway key was refused.',
      'No integrity events.',
      'No calls in this period.',
    ])
      expect(page).toContain(t);
  });
});
