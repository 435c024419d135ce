import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { PolicySchema } from '../config/schema.js';
import { testCall, testContext } from '../../test/support/test-context.js';
import type { ApprovalAnswer, ApprovalRequest, CallContext } from '../pipeline/types.js';
import { allowsEverything, createApprovalStage, type AnnotationsPolicy } from './approval.js';

const DESTRUCTIVE: Tool['annotations'] = { readOnlyHint: false, destructiveHint: true, openWorldHint: false };
const OPEN: Tool['annotations'] = { readOnlyHint: true, openWorldHint: true };
const READ: Tool['annotations'] = { readOnlyHint: true, openWorldHint: false };

function policy(p: Partial<AnnotationsPolicy>): AnnotationsPolicy {
  return PolicySchema.parse({ annotations: p }).annotations;
}

/** A context whose log lines are kept, with an optional approve. */
function ctxFor(
  annotations: Tool['annotations'] | undefined,
  approve?: (r: ApprovalRequest) => Promise<ApprovalAnswer>,
  overrides: CallContext['serverPolicy']['annotations'] = {},
) {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  const base = testContext(annotations ? { annotations } : {}, { id: 7 });
  const ctx: CallContext = {
    ...base,
    serverPolicy: { ...base.serverPolicy, annotations: overrides },
    log,
    ...(approve ? { approve } : {}),
  };
  return { ctx, lines };
}

const call = testCall({ id: 7 });

describe('approval stage: what the policy says about each class', () => {
  it.each<[string, Partial<AnnotationsPolicy>, Tool['annotations'] | undefined, string | undefined]>([
    ['allows everything by default', {}, DESTRUCTIVE, undefined],
    ['denies a destructive tool', { destructive: 'deny' }, DESTRUCTIVE, 'annotations.destructive'],
    ['denies an open-world tool', { openWorld: 'deny' }, OPEN, 'annotations.open-world'],
    ['denies every other tool', { other: 'deny' }, READ, 'annotations.other'],
    ['leaves a read-only tool alone when destructive is denied', { destructive: 'deny' }, READ, undefined],
    ['treats a tool without annotations as destructive', { destructive: 'deny' }, undefined, 'annotations.destructive'],
    ['treats a tool without annotations as open-world', { openWorld: 'deny' }, undefined, 'annotations.open-world'],
    [
      'takes the stricter of two classes',
      { destructive: 'approve', openWorld: 'deny' },
      undefined,
      'annotations.open-world',
    ],
  ])('%s', async (_name, p, annotations, ruleId) => {
    const { ctx } = ctxFor(annotations);
    const v = await createApprovalStage({ annotations: policy(p) }).check(call, ctx);
    if (ruleId === undefined) expect(v).toEqual({ action: 'allow' });
    else expect(v).toMatchObject({ action: 'deny', ruleId });
  });

  it('names the tool, its class, where that came from and the config keys that allow it', async () => {
    const { ctx } = ctxFor(DESTRUCTIVE);
    const v = await createApprovalStage({ annotations: policy({ destructive: 'deny' }), policy: 'strict' }).check(
      call,
      ctx,
    );
    expect(v).toMatchObject({
      reason:
        'srv tool tool is destructive (per the server’s annotations), and policies.strict.annotations.destructive is "deny". To allow it, set policies.strict.annotations.destructive to "approve" or "allow", or, if the tool is not what the classification says, override it under servers.srv.annotations, e.g. {"tool": {"destructive": false}}.',
    });
  });

  it('follows the server’s overrides, not the hints', async () => {
    const { ctx } = ctxFor(READ, undefined, { 'to*': { destructive: true } });
    const v = await createApprovalStage({ annotations: policy({ destructive: 'deny' }) }).check(call, ctx);
    expect(v).toMatchObject({ action: 'deny', reason: expect.stringContaining('per servers.srv.annotations["to*"]') });
  });

  it('is left out of a pipeline only when every class is allowed', () => {
    expect(allowsEverything(policy({}))).toBe(true);
    expect(allowsEverything(policy({ other: 'approve' }))).toBe(false);
  });
});

describe('approval stage: asking the user', () => {
  const approvePolicy = policy({ destructive: 'approve' });

  it('lets the call through when the user allows it once, and asks again next time', async () => {
    const approve = vi.fn((_r: ApprovalRequest) => Promise.resolve<ApprovalAnswer>('once'));
    const { ctx, lines } = ctxFor(DESTRUCTIVE, approve);
    const stage = createApprovalStage({ annotations: approvePolicy });
    const v = await stage.check(call, ctx);
    expect(v).toMatchObject({ action: 'allow', detections: [{ detector: 'approval', rule: 'approval.once' }] });
    expect(await stage.check(call, ctx)).toMatchObject({ action: 'allow' });
    expect(approve).toHaveBeenCalledTimes(2);
    expect(approve.mock.calls[0]![0]).toEqual({
      key: 'srv/tool',
      message: expect.stringMatching(
        /^Allow this tool call\? srv tool tool is destructive[\s\S]*Arguments: \{"id":7\}$/,
      ),
    });
    expect(ctx.session.approved.size).toBe(0);
    expect(lines.map((l) => l.approval)).toEqual([
      { rule: 'annotations.destructive', answer: 'once', tool: 'srv/tool' },
      { rule: 'annotations.destructive', answer: 'once', tool: 'srv/tool' },
    ]);
  });

  it('remembers "allow for this session", so the second call does not ask', async () => {
    const approve = vi.fn(() => Promise.resolve<ApprovalAnswer>('session'));
    const { ctx, lines } = ctxFor(DESTRUCTIVE, approve);
    const stage = createApprovalStage({ annotations: approvePolicy });
    expect(await stage.check(call, ctx)).toMatchObject({
      action: 'allow',
      detections: [{ rule: 'approval.session' }],
    });
    expect(await stage.check(call, ctx)).toMatchObject({
      action: 'allow',
      detections: [{ rule: 'approval.remembered' }],
    });
    expect(approve).toHaveBeenCalledTimes(1);
    expect([...ctx.session.approved]).toEqual(['srv/tool']);
    expect(lines).toHaveLength(1);
  });

  it('denies when the user denies', async () => {
    const { ctx, lines } = ctxFor(DESTRUCTIVE, () => Promise.resolve('deny'));
    const v = await createApprovalStage({ annotations: approvePolicy }).check(call, ctx);
    expect(v).toMatchObject({
      action: 'deny',
      ruleId: 'approval.denied',
      detections: [{ rule: 'approval.denied' }],
    });
    expect(lines[0]!.approval).toEqual({ rule: 'annotations.destructive', answer: 'deny', tool: 'srv/tool' });
    expect(ctx.session.approved.size).toBe(0);
  });

  it('fails closed when asking throws (timeout, cancel, a bad answer)', async () => {
    const { ctx, lines } = ctxFor(DESTRUCTIVE, () => Promise.reject(new Error('Request timed out')));
    const v = await createApprovalStage({ annotations: approvePolicy }).check(call, ctx);
    expect(v).toMatchObject({
      action: 'deny',
      ruleId: 'approval.failed',
      reason: expect.stringContaining('Request timed out'),
    });
    expect(lines[0]!.approval).toMatchObject({ answer: 'failed', error: 'Request timed out' });
  });

  it('denies with guidance when the client cannot be asked', async () => {
    const { ctx } = ctxFor(undefined);
    const v = await createApprovalStage({
      annotations: policy({ destructive: 'approve', openWorld: 'approve' }),
      policy: 'careful',
    }).check(call, ctx);
    expect(v).toMatchObject({ action: 'deny', ruleId: 'approval.unsupported' });
    const reason = (v as { reason: string }).reason;
    expect(reason).toContain('this client does not support MCP elicitation');
    expect(reason).toContain(
      'set policies.careful.annotations.destructive and policies.careful.annotations.openWorld to "allow"',
    );
    expect(reason).toContain('servers.srv.annotations, e.g. {"tool": {"destructive": false, "openWorld": false}}');
  });

  it('shows the user a long argument list cut short', async () => {
    const approve = vi.fn((_r: ApprovalRequest) => Promise.resolve<ApprovalAnswer>('once'));
    const { ctx } = ctxFor(DESTRUCTIVE, approve);
    await createApprovalStage({ annotations: approvePolicy }).check(testCall({ text: 'x'.repeat(5000) }), ctx);
    expect(approve.mock.calls[0]![0].message).toMatch(/… \(5011 characters\)$/);
  });

  it('names only the policy key when the "other" class needs approval', async () => {
    const { ctx } = ctxFor(READ);
    const v = await createApprovalStage({ annotations: policy({ other: 'approve' }) }).check(call, ctx);
    expect(v).toMatchObject({
      ruleId: 'approval.unsupported',
      reason: expect.stringMatching(/set policies\.<name>\.annotations\.other to "allow"\.$/),
    });
  });
});
