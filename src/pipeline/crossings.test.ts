import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ClientNotificationSchema,
  ClientRequestSchema,
  ServerNotificationSchema,
  ServerRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CROSSINGS, guarded, methodOf, requireCrossing, type MethodSchema, type Party } from './crossings.js';

/** Every method literal of one of the SDK's unions of request or notification schemas. */
function methods(union: { options: readonly unknown[] }): string[] {
  return union.options.map((o) => methodOf(o as MethodSchema));
}

const SDK: [Party, 'request' | 'notification', string[]][] = [
  ['client', 'request', methods(ClientRequestSchema)],
  ['client', 'notification', methods(ClientNotificationSchema)],
  ['upstream', 'request', methods(ServerRequestSchema)],
  ['upstream', 'notification', methods(ServerNotificationSchema)],
];

describe('the table of crossings', () => {
  it('reads the SDK’s schemas (the test would pass vacuously if it read none)', () => {
    expect(SDK.map(([, , m]) => m.length).every((n) => n >= 4)).toBe(true);
    expect(methods(ClientRequestSchema)).toContain('tools/call');
    expect(methods(ServerRequestSchema)).toContain('sampling/createMessage');
  });

  it.each(SDK.flatMap(([from, kind, ms]) => ms.map((m) => [from, kind, m] as const)))(
    'has a guard or a written reason for the %s %s %s',
    (from, kind, method) => {
      const row = requireCrossing(from, kind, method);
      expect(row.guard.what.length).toBeGreaterThan(10);
      if (kind === 'request' && row.guard.by !== 'refused') expect(row.answer?.what.length).toBeGreaterThan(5);
    },
  );

  it('has rows for every definition the gateway re-exports', () => {
    for (const part of ['tools', 'prompts', 'resources', 'resourceTemplates'])
      expect(requireCrossing('upstream', 'definition', part).guard.by).toMatch(/integrity|pass/);
  });

  it('lists each crossing once, and only crossings the SDK knows or definitions', () => {
    const keys = CROSSINGS.map((c) => `${c.from} ${c.kind} ${c.method}`);
    expect(new Set(keys).size).toBe(keys.length);
    const known = new Set(SDK.flatMap(([from, kind, ms]) => ms.map((m) => `${from} ${kind} ${m}`)));
    for (const c of CROSSINGS) if (c.kind !== 'definition') expect(known).toContain(`${c.from} ${c.kind} ${c.method}`);
  });

  it('refuses, at start-up, a handler for a crossing without a row', () => {
    const schema = { shape: { method: { value: 'made/up' } } };
    expect(() => guarded('client', 'request', schema)).toThrow(/made\/up crosses the gateway without a guard/);
    expect(() => requireCrossing('upstream', 'request', 'tools/call')).toThrow(/without a guard/);
    const real = { shape: { method: { value: 'tools/call' } } };
    expect(guarded('client', 'request', real)).toBe(real);
  });
});

describe('docs/mediation.md', () => {
  it('names every crossing of the table', () => {
    const doc = fs.readFileSync(
      path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/mediation.md'),
      'utf8',
    );
    const cell = (t: string) => `\\|\\s*${t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s*`;
    for (const c of CROSSINGS)
      expect(doc, c.method).toMatch(new RegExp(cell(c.from) + cell(c.kind) + cell(`\`${c.method}\``) + '\\|'));
  });
});
