import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntegrityVerdict } from '../integrity/gate.js';
import { silentLogger } from '../log.js';
import { LOCAL_PRINCIPAL, type StageRecord } from '../pipeline/types.js';
import type { CallOutcome } from '../pipeline/call-tool.js';
import { createChain } from './chain.js';
import { createPrometheusMetrics } from './prometheus.js';
import { createRedactor } from './redact.js';
import { AuditSink, type AuditObserver } from './sink.js';
import { verifyLog } from './verify.js';
import { AuditWriter } from './writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(
  over: { required?: boolean; fsync?: 'batched' | 'always'; observers?: AuditObserver[]; file?: string } = {},
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-sink-'));
  dirs.push(dir);
  const file = over.file ?? path.join(dir, 'audit.jsonl');
  const writer = new AuditWriter({
    file,
    chain: createChain(),
    fsync: over.fsync ?? 'always',
    fsyncIntervalMs: 5,
    maxFileBytes: 1 << 20,
    log: silentLogger(),
  });
  const sink = new AuditSink({
    writer,
    required: over.required ?? false,
    fsync: over.fsync ?? 'always',
    redactor: createRedactor(),
    argumentsMode: 'redacted',
    observers: over.observers ?? [],
    log: silentLogger(),
  });
  const read = () =>
    fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { sink, file, read, dir };
}

const start = { exposed: 'fs__read', arguments: { path: '/x' }, sessionId: 's1', principal: LOCAL_PRINCIPAL };
const trail: StageRecord[] = [
  { stage: 'guardrails', slot: 'input-guardrail', action: 'allow', enforced: true, ms: 0.2 },
  {
    stage: 'schema',
    slot: 'parameter-check',
    action: 'deny',
    enforced: true,
    ruleId: 'schema.invalid',
    reason: 'bad',
    ms: 0.1,
  },
];
const unaudited = () => ({ isError: true, content: [{ type: 'text' as const, text: 'unaudited' }] });

const allowed = (t: StageRecord[]): CallOutcome => ({
  kind: 'allowed',
  result: { content: [] },
  trail: t,
  upstream: { start: Date.now(), ms: 1, failed: false },
});
const blockedBy = (t: StageRecord[]): CallOutcome => ({
  kind: 'blocked',
  phase: 'request',
  verdict: {
    action: 'deny',
    ruleId: 'schema.invalid',
    reason: 'bad',
    stage: { name: 'schema', slot: 'parameter-check', check: () => ({ action: 'allow' as const }) },
  },
  trail: t,
});

describe('audit sink', () => {
  it('records the typed events: key used and refused, config reloaded, approvals, upstream, integrity diffs', async () => {
    const { sink, read, file } = setup();
    sink.key({ event: 'used', keyId: 'k1', user: 'alice@example.com', project: 'backend' });
    sink.key({ event: 'refused', reason: 'unknown key' });
    sink.configReloaded({ file: '/c.json', ok: true, changed: ['servers.fs'] });
    sink.approval({ event: 'asked', callId: 'c', server: 'fs', tool: 'write' });
    sink.upstream({ event: 'crashed', server: 'fs', restarts: 1, reason: 'exited with code 1' });
    const v1: IntegrityVerdict = {
      catalog: { tools: [] } as unknown as IntegrityVerdict['catalog'],
      accepted: new Map([['read', 'h1']]),
      blocked: new Map(),
    };
    const v2: IntegrityVerdict = {
      ...v1,
      accepted: new Map([['read', 'h1']]),
      blocked: new Map([['write', { ruleId: 'integrity.changed', reason: 'changed' }]]),
    };
    sink.integrity('fs', v1, undefined);
    sink.integrity('fs', v1, v1); // nothing changed: nothing written
    sink.integrity('fs', v2, v1);
    await sink.close();
    expect(read().map((r) => [r.kind, r.event, r.seq])).toEqual([
      ['key', 'used', 1],
      ['key', 'refused', 2],
      ['config', 'reloaded', 3],
      ['approval', 'asked', 4],
      ['upstream', 'crashed', 5],
      ['tool', 'pinned', 6],
      ['tool', 'changed', 7],
    ]);
    expect(verifyLog(file).ok).toBe(true);
  });

  it('records a relay decision in the chain, its reason redacted', async () => {
    const { sink, read, file } = setup();
    const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    sink.relay({ server: 'up', method: 'sampling/createMessage', decision: 'allowed', sessionId: 's1', user: 'local' });
    sink.relay({
      server: 'up',
      method: 'elicitation/create',
      decision: 'denied',
      ruleId: 'secrets.github-pat',
      reason: `the answer carries ${token}`,
      phase: 'answer',
    });
    await sink.close();
    const records = read();
    expect(records.map((r) => [r.kind, r.method, r.decision, r.seq])).toEqual([
      ['relay', 'sampling/createMessage', 'allowed', 1],
      ['relay', 'elicitation/create', 'denied', 2],
    ]);
    expect(records[1]).toMatchObject({ ruleId: 'secrets.github-pat', phase: 'answer' });
    expect(JSON.stringify(records)).not.toContain(token);
    expect(verifyLog(file).ok).toBe(true);
  });

  it('records a blocked call with its trail and an upstream failure as upstream-error', async () => {
    const { sink, read } = setup();
    const a = sink.beginCall(start);
    a.routed('fs', 'read');
    a.observe(blockedBy(trail));
    await a.settle(Promise.resolve({ isError: true, content: [] }), unaudited);
    const b = sink.beginCall(start);
    b.routed('fs', 'read');
    const error = new Error('exited with code 1');
    b.observe({
      kind: 'failed',
      error,
      trail: trail.slice(0, 1),
      upstream: { start: Date.now(), ms: 2, failed: true },
    });
    await expect(b.settle(Promise.reject(error), unaudited)).rejects.toThrow('exited');
    const c = sink.beginCall(start);
    await expect(c.settle(Promise.reject(new Error('boom')), unaudited)).rejects.toThrow('boom');
    await sink.close();
    const [blocked, failed, errored] = read();
    expect(blocked).toMatchObject({ outcome: 'blocked', ruleId: 'schema.invalid', phase: 'request', server: 'fs' });
    expect((blocked!.stages as unknown[]).length).toBe(2);
    expect(failed).toMatchObject({
      outcome: 'upstream-error',
      error: 'exited with code 1',
      stages: [{ stage: 'guardrails' }],
    });
    expect(typeof failed!.upstreamMs).toBe('number');
    expect(errored).toMatchObject({ outcome: 'errored', error: 'boom' });
  });

  it.each([
    ['a call that waited for its upstream to start', 1234.5678, 1234.568],
    ['a call to an upstream that was already up', undefined, undefined],
  ])('records the start-up wait of %s apart from its latency', async (_, wait, recorded) => {
    const { sink, read, file } = setup();
    const a = sink.beginCall(start);
    a.observe(wait === undefined ? allowed([]) : { ...allowed([]), upstreamWaitMs: wait });
    await a.settle(Promise.resolve({ content: [] }), unaudited);
    await sink.close();
    const [r] = read();
    expect(r!.upstreamWaitMs).toBe(recorded);
    expect('upstreamWaitMs' in r!).toBe(wait !== undefined);
    expect(verifyLog(file).ok).toBe(true);
  });

  it('with audit.required, refuses calls while the log cannot be written, and answers unaudited', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-sink-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'f'), '');
    const { sink } = setup({ required: true, file: path.join(dir, 'f', 'audit.jsonl') });
    expect(sink.refusal()).toMatchObject({
      ruleId: 'audit.unavailable',
      reason: expect.stringMatching(/cannot write the audit log .*(ENOTDIR|EEXIST)/) as string,
    });
    const a = sink.beginCall(start);
    a.observe(allowed([]));
    const r = await a.settle(Promise.resolve({ content: [{ type: 'text', text: 'x' }] }), unaudited);
    expect(r).toEqual(unaudited());
    const { sink: fine } = setup({ required: true });
    expect(fine.refusal()).toBeUndefined();
    await fine.close();
  });

  it.each([['batched'], ['batched, no log']] as const)(
    'in %s mode answers first and records the call after the answer, in order, none lost at close',
    async (mode) => {
      const seen: string[] = [];
      const { sink, read, file } = setup({
        fsync: 'batched',
        observers: [{ onCall: (r) => seen.push(r.outcome), onEvent: (e) => seen.push(e.kind) }],
      });
      const quiet = mode === 'batched' ? sink : new AuditSink({ ...sink.settings, writer: undefined });
      for (const outcome of [allowed([]), blockedBy(trail)]) {
        const a = quiet.beginCall(start);
        a.observe(outcome);
        await a.settle(Promise.resolve({ content: [] }), unaudited);
      }
      // The answers are back; their records are not built yet (they wait for the next turn of the event loop).
      expect(seen).toEqual([]);
      // An event after the calls is sealed after their records: the chain keeps the order things happened in.
      quiet.key({ event: 'used', keyId: 'k1' });
      expect(seen).toEqual(['allowed', 'call', 'blocked', 'call', 'key']);
      const a = quiet.beginCall(start);
      a.observe(allowed([]));
      await a.settle(Promise.resolve({ content: [] }), unaudited);
      // Closing (stdin EOF) drains what is still waiting before the log is closed.
      await quiet.close();
      await sink.close();
      expect(seen).toEqual(['allowed', 'call', 'blocked', 'call', 'key', 'allowed', 'call']);
      if (mode === 'batched') {
        expect(read().map((r) => [r.kind, r.outcome ?? r.event, r.seq])).toEqual([
          ['call', 'allowed', 1],
          ['call', 'blocked', 2],
          ['key', 'used', 3],
          ['call', 'allowed', 4],
        ]);
        expect(verifyLog(file).ok).toBe(true);
      }
    },
  );

  it('in batched mode builds the record on the next turn even when nothing else is written', async () => {
    const calls: string[] = [];
    const { sink } = setup({ fsync: 'batched', observers: [{ onCall: (r) => calls.push(r.outcome) }] });
    const a = sink.beginCall(start);
    a.observe(allowed([]));
    await a.settle(Promise.resolve({ content: [] }), unaudited);
    expect(calls).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['allowed']);
    await sink.close();
  });

  it('keeps going when an observer throws', async () => {
    const { sink, read } = setup({
      observers: [
        {
          onCall: () => {
            throw new Error('metrics down');
          },
        },
      ],
    });
    const a = sink.beginCall(start);
    a.observe(allowed([]));
    await a.settle(Promise.resolve({ content: [] }), unaudited);
    await sink.close();
    expect(read()[0]).toMatchObject({ outcome: 'allowed', resultBytes: 14 });
  });
});

describe('prometheus metrics', () => {
  it('serves the same metrics as OpenTelemetry at GET /metrics in the text format', async () => {
    const prom = createPrometheusMetrics();
    const { sink } = setup({ observers: [prom.observer] });
    for (let i = 0; i < 3; i++) {
      const a = sink.beginCall(start);
      a.routed('fs', 'read');
      if (i === 0) a.observe(blockedBy(trail));
      else a.observe(allowed(trail.slice(0, 1)));
      await a.settle(Promise.resolve({ content: [] }), unaudited);
    }
    sink.cache('discovery', true);
    sink.cache('discovery', false);
    sink.upstream({ event: 'restarted', server: 'fs', restarts: 1 });
    await sink.close();
    const server = http.createServer((req, res) => prom.handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toContain('smg_calls_total{server="fs",tool="read",outcome="allowed"} 2');
      expect(text).toContain('smg_calls_total{server="fs",tool="read",outcome="blocked"} 1');
      expect(text).toContain('smg_blocks_total{rule="schema.invalid",server="fs"} 1');
      expect(text).toContain('smg_cache_lookups_total{cache="discovery",result="hit"} 1');
      expect(text).toContain('smg_upstream_restarts_total{server="fs"} 1');
      expect(text).toMatch(/smg_stage_duration_seconds_count\{stage="guardrails",slot="input-guardrail"\} 3/);
      expect(text).toMatch(/smg_call_duration_seconds_bucket\{le="\+Inf",server="fs",tool="read"\} 3/);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    } finally {
      server.close();
    }
  });

  it('counts sandbox events by server, event and rule', async () => {
    const prom = createPrometheusMetrics();
    const { sink, read } = setup({ observers: [prom.observer] });
    const denial = { host: 'evil.example', port: 443, ruleId: 'sandbox.egress.not-allowed', reason: 'not listed' };
    sink.sandbox({ event: 'egress-denied', server: 'gh', ...denial });
    sink.sandbox({ event: 'egress-denied', server: 'gh', ...denial });
    sink.sandbox({
      event: 'egress-denied',
      server: 'gh',
      host: 'metadata',
      port: 80,
      ruleId: 'sandbox.egress.private-address',
      reason: '169.254.169.254 is link-local',
    });
    sink.sandbox({ event: 'stopped', server: 'gh', reason: '3 denials in 60s', denials: 3 });
    sink.sandbox({ event: 'refused', server: 'fs', reason: 'bwrap missing' });
    sink.sandbox({ event: 'unconfined', server: 'web', reason: 'sandbox: false' });
    await sink.close();
    expect(read().map((r) => r.kind)).toEqual(Array(6).fill('sandbox'));
    const text = await prom.registry.metrics();
    expect(text).toContain(
      'smg_sandbox_events_total{server="gh",event="egress-denied",rule="sandbox.egress.not-allowed"} 2',
    );
    expect(text).toContain(
      'smg_sandbox_events_total{server="gh",event="egress-denied",rule="sandbox.egress.private-address"} 1',
    );
    expect(text).toContain('smg_sandbox_events_total{server="gh",event="stopped",rule="sandbox.stopped"} 1');
    expect(text).toContain('smg_sandbox_events_total{server="fs",event="refused",rule="sandbox.unavailable"} 1');
    expect(text).toContain('smg_sandbox_events_total{server="web",event="unconfined",rule="(none)"} 1');
  });
});
