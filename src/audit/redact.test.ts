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

describe('log redaction paths', () => {
  it('censors secret-bearing fields before a log line reaches its file', async () => {
    const { createLogger, flushLogger } = await import('../log.js');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-log-'));
    const file = path.join(dir, 'gateway.log');
    const log = createLogger({ level: 'info', file });
    log.info(
      {
        audit: { hmacKey: 'k-0123456789abcdef' },
        req: { cookie: 'session=abc123secret', arguments: { q: GH } },
        result: { content: [{ type: 'text', text: GH }], structuredContent: { token: GH } },
      },
      'x',
    );
    await flushLogger(log);
    // The destination writes asynchronously; wait (bounded) for the line.
    for (let i = 0; i < 100 && fs.readFileSync(file, 'utf8') === ''; i++) await new Promise((r) => setTimeout(r, 20));
    const text = fs.readFileSync(file, 'utf8');
    for (const secret of ['k-0123456789abcdef', 'abc123secret', GH]) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('audit redaction of what a scan could miss (issue 15)', () => {
  it('never records a value nested deeper than it reads, and redacts secrets in keys', () => {
    const r = createRedactor();
    let deep: unknown = 'ghp_9fK2LmQ8xR4tZ7vB1nW5cY3hJ6dP0sAeGu2q';
    for (let i = 0; i < 100; i++) deep = { n: deep };
    for (let i = 0; i < 2; i++) {
      const out = JSON.stringify(r.arguments({ deep, map: { ghp_9fK2LmQ8xR4tZ7vB1nW5cY3hJ6dP0sAeGu2q: 1 } }));
      expect(out).not.toContain('ghp_9fK2LmQ8xR4tZ7vB1nW5cY3hJ6dP0sAeGu2q');
      expect(out).toContain('[NOT RECORDED: nested too deep]');
    }
  });
});
