import { describe, expect, it } from 'vitest';
import { createRedactor } from './redact.js';

const GH = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const args = {
  query: `mail jane.doe@example.com key ${GH}`,
  nested: { password: 'hunter2', list: ['+1 415 555 0100 call'] },
  n: 3,
};

describe('audit redaction', () => {
  it('replaces secrets and PII with typed placeholders and credential keys whole', () => {
    const r = createRedactor('redacted');
    for (let i = 0; i < 2; i++) {
      const out = JSON.stringify(r.arguments(args));
      expect(out).not.toContain('jane.doe');
      expect(out).not.toContain(GH);
      expect(out).not.toContain('hunter2');
      expect(out).toContain('[EMAIL]');
      expect(out).toMatch(/\[SECRET:secrets\.[a-z-]+\]/);
      expect(out).toContain('"password":"[REDACTED]"');
      expect(out).toContain('"n":3');
    }
  });

  it('hashes every string in hashed mode, keyed when there is a key', () => {
    const plain = createRedactor('hashed').arguments({ a: 'x', b: 1 });
    const keyed = createRedactor('hashed', 'k').arguments({ a: 'x', b: 1 });
    expect(plain).toEqual({
      arguments: { a: 'sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', b: 1 },
    });
    expect((keyed.arguments as { a: string }).a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(keyed).not.toEqual(plain);
  });

  it('keeps only the argument names in omitted mode', () => {
    expect(createRedactor('omitted').arguments(args)).toEqual({ argumentNames: ['query', 'nested', 'n'] });
  });

  it('redacts free text such as an upstream stderr line', () => {
    const r = createRedactor();
    expect(r.text(`token=${GH} for jane.doe@example.com`)).not.toMatch(/ghp_|jane/);
    expect(r.text('plain words')).toBe('plain words');
  });
});
