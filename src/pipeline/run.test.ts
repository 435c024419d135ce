import { describe, expect, it, vi } from 'vitest';
import { callTool } from './call-tool.js';
import { runStages } from './run.js';
import { testCall, testContext } from '../../test/support/test-context.js';
import type { RequestStage, ResponseStage, ToolCall, Verdict } from './types.js';

function stage(name: string, verdict: (c: ToolCall) => Verdict<ToolCall>, extra: Partial<RequestStage> = {}) {
  const check = vi.fn(verdict);
  return { name, slot: 'input-guardrail' as const, ...extra, check };
}
const allow = () => ({ action: 'allow' }) as const;
const deny = (ruleId: string) => () => ({ action: 'deny', ruleId, reason: `no (${ruleId})` }) as const;

describe('runStages', () => {
  it('runs every stage in order when all allow', async () => {
    const order: string[] = [];
    const stages = ['a', 'b', 'c'].map((n) =>
      stage(n, () => {
        order.push(n);
        return { action: 'allow' };
      }),
    );
    const r = await runStages(stages, testCall(), testContext());
    expect(order).toEqual(['a', 'b', 'c']);
    expect(r.denied).toBeUndefined();
    expect(r.trail.map((t) => [t.stage, t.action])).toEqual([
      ['a', 'allow'],
      ['b', 'allow'],
      ['c', 'allow'],
    ]);
  });

  it('stops at the first deny; later stages never run', async () => {
    const later = stage('later', allow);
    const r = await runStages([stage('first', deny('x.rule')), later], testCall(), testContext());
    expect(r.denied).toMatchObject({ ruleId: 'x.rule', reason: 'no (x.rule)' });
    expect(r.denied?.stage.name).toBe('first');
    expect(later.check).not.toHaveBeenCalled();
  });

  it('feeds a modified value to the next stage', async () => {
    const redact = stage('redact', (c) => ({
      action: 'modify',
      value: { ...c, arguments: { q: '[REDACTED]' } },
      reason: 'redacted',
    }));
    const seen = stage('seen', allow);
    const r = await runStages([redact, seen], testCall({ q: 'secret' }), testContext());
    expect(seen.check.mock.calls[0]![0].arguments).toEqual({ q: '[REDACTED]' });
    expect(r.value.arguments).toEqual({ q: '[REDACTED]' });
    expect(r.trail[0]).toMatchObject({ action: 'modify', reason: 'redacted' });
  });

  it('fails closed: a stage that throws denies with <stage>.failed', async () => {
    const boom = stage('boom', () => {
      throw new Error('detector exploded');
    });
    const r = await runStages([boom, stage('after', allow)], testCall(), testContext());
    expect(r.denied).toMatchObject({ ruleId: 'boom.failed', reason: 'stage boom failed: detector exploded' });
    expect(r.trail).toHaveLength(1);
    expect(r.trail[0]).toMatchObject({ action: 'error', enforced: true });
  });

  it('fails closed on a rejected promise too', async () => {
    const s: RequestStage = { name: 'async', slot: 'parameter-check', check: () => Promise.reject(new Error('x')) };
    const r = await runStages([s], testCall(), testContext());
    expect(r.denied?.ruleId).toBe('async.failed');
  });

  it('records and skips a throwing stage whose failure mode is open', async () => {
    const boom = stage(
      'boom',
      () => {
        throw new Error('down');
      },
      { failureMode: 'open' },
    );
    const r = await runStages([boom, stage('after', allow)], testCall(), testContext());
    expect(r.denied).toBeUndefined();
    expect(r.trail.map((t) => [t.stage, t.action, t.enforced])).toEqual([
      ['boom', 'error', false],
      ['after', 'allow', true],
    ]);
  });

  it('records a shadow deny without enforcing it', async () => {
    const r = await runStages(
      [stage('shadowed', deny('s.rule'), { mode: 'shadow' }), stage('after', allow)],
      testCall(),
      testContext(),
    );
    expect(r.denied).toBeUndefined();
    expect(r.trail[0]).toMatchObject({ action: 'deny', enforced: false, ruleId: 's.rule' });
  });
});

describe('callTool', () => {
  const result = { content: [{ type: 'text' as const, text: 'ok' }] };

  it('never calls the upstream when a request stage denies', async () => {
    const upstream = vi.fn(() => Promise.resolve(result));
    const out = await callTool(
      { request: [stage('gate', deny('g.no'))], response: [] },
      testCall(),
      testContext(),
      upstream,
    );
    expect(out.kind).toBe('blocked');
    expect(out.kind === 'blocked' && out.phase).toBe('request');
    expect(upstream).not.toHaveBeenCalled();
  });

  it('passes the (modified) call to the upstream and the result through response stages', async () => {
    const upstream = vi.fn((c: ToolCall) =>
      Promise.resolve({ content: [{ type: 'text' as const, text: String(c.arguments.x) }] }),
    );
    const mod = stage('mod', (c) => ({ action: 'modify', value: { ...c, arguments: { x: 2 } }, reason: 'r' }));
    const out: ResponseStage = { name: 'out', slot: 'output-guardrail', check: () => ({ action: 'allow' }) };
    const r = await callTool({ request: [mod], response: [out] }, testCall({ x: 1 }), testContext(), upstream);
    expect(r).toMatchObject({ kind: 'allowed', result: { content: [{ text: '2' }] } });
    expect(r.trail.map((t) => t.stage)).toEqual(['mod', 'out']);
  });

  it('blocks a result that a response stage denies', async () => {
    const out: ResponseStage = {
      name: 'out',
      slot: 'output-guardrail',
      check: () => ({ action: 'deny', ruleId: 'o.bad', reason: 'bad output' }),
    };
    const r = await callTool({ request: [], response: [out] }, testCall(), testContext(), () =>
      Promise.resolve(result),
    );
    expect(r).toMatchObject({ kind: 'blocked', phase: 'response', verdict: { ruleId: 'o.bad' } });
  });

  it('returns an upstream failure as a failed outcome with the request trail, not a verdict', async () => {
    const error = new Error('upstream down');
    const allow: RequestStage = { name: 'a', slot: 'parameter-check', check: () => ({ action: 'allow' }) };
    for (let i = 0; i < 2; i++) {
      const outcome = await callTool({ request: [allow], response: [] }, testCall(), testContext(), () =>
        Promise.reject(error),
      );
      expect(outcome).toMatchObject({ kind: 'failed', error, trail: [{ stage: 'a', action: 'allow' }] });
      expect(outcome.kind === 'failed' && outcome.upstream.failed).toBe(true);
    }
  });
});
