import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../config/schema.js';
import { assemblePipeline } from './assemble.js';

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
    ]);
    expect(p.response.map((s) => `${s.slot}:${s.name}`)).toEqual([
      'output-guardrail:size',
      'output-guardrail:guardrails',
      'output-guardrail:restore',
    ]);
  });

  it('leaves out stages whose mode is off and passes shadow through', async () => {
    const p = await assemblePipeline(
      PolicySchema.parse({
        limits: { mode: 'off' },
        schema: { mode: 'shadow' },
        arguments: { mode: 'shadow' },
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
      PolicySchema.parse({ limits: { mode: 'off' }, schema: { mode: 'off' }, arguments: { mode: 'off' }, ...ALL_OFF }),
    );
    expect([...p.request, ...p.response]).toEqual([]);
  });

  it('restores placeholders only when the input side redacts', async () => {
    const p = await assemblePipeline(PolicySchema.parse({ input: { pii: 'block' } }));
    expect(p.response.map((s) => s.name)).toEqual(['size', 'guardrails']);
  });
});
