import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../config/schema.js';
import { assemblePipeline } from './assemble.js';

describe('assemblePipeline', () => {
  it('orders request stages input guardrails first, then parameter checks', () => {
    const p = assemblePipeline(PolicySchema.parse({}));
    expect(p.request.map((s) => `${s.slot}:${s.name}`)).toEqual(['input-guardrail:size', 'parameter-check:schema']);
    expect(p.response.map((s) => `${s.slot}:${s.name}`)).toEqual(['output-guardrail:size']);
  });

  it('leaves out stages whose mode is off and passes shadow through', () => {
    const p = assemblePipeline(PolicySchema.parse({ limits: { mode: 'off' }, schema: { mode: 'shadow' } }));
    expect(p.request.map((s) => [s.name, s.mode])).toEqual([['schema', 'shadow']]);
    expect(p.response).toEqual([]);
  });

  it('builds no request stage when every rule is off', () => {
    const p = assemblePipeline(PolicySchema.parse({ limits: { mode: 'off' }, schema: { mode: 'off' } }));
    expect([...p.request, ...p.response]).toEqual([]);
  });
});
