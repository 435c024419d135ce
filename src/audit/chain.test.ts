import { describe, expect, it } from 'vitest';
import { GENESIS, createChain, seal, unseal } from './chain.js';

/** The serialisation seal() had before it built the text from parts: one copy of the whole record. */
function reference(body: Record<string, unknown>, prev: string, lead: Record<string, unknown> = {}, alg = 'sha256') {
  return JSON.stringify({ ...lead, ...body, alg, prev }).slice(0, -1);
}

const LEAD = { v: 1, seq: 7, ts: '2026-12-07T20:00:00.000Z' };
const BODIES: [string, Record<string, unknown>][] = [
  [
    'a call record',
    { kind: 'call', callId: 'c1', stages: [{ stage: 'size', ms: 0.012 }], arguments: { a: 'é"\n\u2028' } },
  ],
  ['undefined fields', { kind: 'call', server: undefined, n: 1 }],
  ['a body that repeats alg', { kind: 'x', alg: 'md5', z: 1 }],
  ['a body that repeats prev', { kind: 'x', prev: 'p' }],
  ['a body that repeats a lead key', { kind: 'x', seq: 99, ts: 'then' }],
  ['an empty body', {}],
  ['a body with only undefined', { kind: undefined }],
];

describe('seal', () => {
  it.each(BODIES)('writes the same bytes as one stringify of the whole record: %s', (_, body) => {
    for (const chain of [createChain(), createChain('k'.repeat(32))])
      for (const lead of [LEAD, undefined]) {
        const { line, hash } = seal(chain, body, GENESIS, lead);
        const head = reference(body, GENESIS, lead, chain.alg);
        expect(line).toBe(`${head},"hash":"${chain.digest(head)}"}`);
        expect(hash).toBe(chain.digest(head));
        // Fed twice, the same record seals the same way.
        expect(seal(chain, body, GENESIS, lead)).toEqual({ line, hash });
      }
  });

  it('seals a record that unseal reads back with its hash', () => {
    const chain = createChain();
    const { line, hash } = seal(chain, { kind: 'call', n: 1 }, GENESIS, LEAD);
    const u = unseal(chain, line);
    expect(u).toMatchObject({ ok: true, hash, computed: hash, prev: GENESIS, record: { seq: 7, kind: 'call' } });
  });

  it('hashes with SHA-256, or HMAC-SHA256 with a key', () => {
    expect(createChain().digest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(createChain('key').digest('abc')).not.toBe(createChain().digest('abc'));
  });
});
