import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../config/schema.js';
import { MemoryStore } from '../state/memory.js';
import { createJudgeRuntime } from '../guardrails/judge/runtime.js';
import { assemblePipeline } from './assemble.js';
import { runStages } from './run.js';
import { testCall, testContext } from '../../test/support/test-context.js';

const off = { injection: 'off', pii: 'off', secrets: 'off', keywords: 'off', toxicity: 'off' } as const;
const ALL_OFF = { input: off, output: off };

describe('assemblePipeline', () => {
  it('orders request stages input guardrails first, then parameter checks', async () => {
    const p = await assemblePipeline(PolicySchema.parse({}));
    expect(p.request.map((s) => `${s.slot}:${s.name}`)).toEqual([
      'input-guardrail:size',
      'input-guardrail:guardrails',
      'parameter-check:schema',
      'parameter-check:arguments',
      'parameter-check:data-flow',
    ]);
    expect(p.response.map((s) => `${s.slot}:${s.name}`)).toEqual([
      'output-guardrail:size',
      'output-guardrail:guardrails',
      'output-guardrail:restore',
    ]);
  });

  it('puts the judge after the guardrails on both sides and before the restore of placeholders', async () => {
    const judges = createJudgeRuntime({
      judges: {
        local: {
          baseUrl: 'http://127.0.0.1:9/v1',
          model: 'm',
          timeoutMs: 1000,
          maxConcurrent: 1,
          jsonMode: true,
          maxPromptChars: 12000,
          cacheSize: 10,
        },
      },
      documents: [],
    });
    const policy = PolicySchema.parse({ judge: { injection: {}, relevancy: {} } });
    const p = await assemblePipeline(policy, undefined, { judges });
    expect(p.request.map((s) => `${s.slot}:${s.name}`)).toEqual([
      'input-guardrail:size',
      'input-guardrail:guardrails',
      'input-guardrail:judge',
      'parameter-check:schema',
      'parameter-check:arguments',
      'parameter-check:data-flow',
    ]);
    expect(p.response.map((s) => `${s.slot}:${s.name}`)).toEqual([
      'output-guardrail:size',
      'output-guardrail:guardrails',
      'output-guardrail:judge',
      'output-guardrail:restore',
    ]);
    await expect(assemblePipeline(policy)).rejects.toThrow(/judge runtime/);
    await judges.close();
  });

  it('leaves out stages whose mode is off and passes shadow through', async () => {
    const p = await assemblePipeline(
      PolicySchema.parse({
        limits: { mode: 'off' },
        schema: { mode: 'shadow' },
        arguments: { mode: 'shadow' },
        dataFlow: { action: 'off' },
        ...ALL_OFF,
      }),
    );
    expect(p.request.map((s) => [s.name, s.mode])).toEqual([
      ['schema', 'shadow'],
      ['arguments', 'shadow'],
    ]);
    expect(p.response).toEqual([]);
  });

  it('builds no request stage when every rule is off', async () => {
    const p = await assemblePipeline(
      PolicySchema.parse({
        limits: { mode: 'off' },
        schema: { mode: 'off' },
        arguments: { mode: 'off' },
        dataFlow: { action: 'off' },
        ...ALL_OFF,
      }),
    );
    expect([...p.request, ...p.response]).toEqual([]);
  });

  it('restores placeholders only when the input side redacts', async () => {
    const p = await assemblePipeline(PolicySchema.parse({ input: { pii: 'block' } }));
    expect(p.response.map((s) => s.name)).toEqual(['size', 'guardrails']);
  });

  it('adds the rate limit after schema and arguments when the policy has one or a shared store is given', async () => {
    const order = (p: { request: readonly { name: string }[] }) => {
      const names = p.request.map((s) => s.name);
      return names.includes('rate-limit') && names.indexOf('rate-limit') > names.indexOf('arguments');
    };
    expect(order(await assemblePipeline(PolicySchema.parse({ rateLimit: { perMinute: 5 } })))).toBe(true);
    expect(order(await assemblePipeline(PolicySchema.parse({}), undefined, { store: new MemoryStore() }))).toBe(true);
    expect(order(await assemblePipeline(PolicySchema.parse({})))).toBe(false);
  });

  it('lets the data-flow guard stop a tainted value only on outbound (open-world or destructive) tools', async () => {
    const pipeline = await assemblePipeline(PolicySchema.parse({ input: { pii: 'off' } }));
    const args = { note: 'call me at mallory@evil.example' };
    const run = async (annotations: Record<string, boolean>) => {
      const ctx = testContext({ annotations }, args);
      ctx.session.tainted.set('mallory@evil.example', { entity: 'EMAIL', from: 'srv__read' });
      return (await runStages(pipeline.request, testCall(args), ctx)).denied?.ruleId;
    };
    expect(await run({ readOnlyHint: true, openWorldHint: false })).toBeUndefined();
    expect(await run({ readOnlyHint: true, openWorldHint: true })).toBe('data-flow.outbound');
    expect(await run({ destructiveHint: true, openWorldHint: false })).toBe('data-flow.outbound');
  });

  it('puts approval last among the parameter checks, and leaves it out when every class is allowed', async () => {
    const p = await assemblePipeline(PolicySchema.parse({ annotations: { destructive: 'approve' } }), undefined, {
      store: new MemoryStore(),
    });
    expect(p.request.map((s) => `${s.slot}:${s.name}`)).toEqual([
      'input-guardrail:size',
      'input-guardrail:guardrails',
      'parameter-check:schema',
      'parameter-check:arguments',
      'parameter-check:data-flow',
      'parameter-check:rate-limit',
      'parameter-check:approval',
    ]);
    const allowAll = { annotations: { destructive: 'allow', openWorld: 'allow', other: 'allow' } };
    expect((await assemblePipeline(PolicySchema.parse(allowAll))).request.map((s) => s.name)).not.toContain('approval');
  });
});
