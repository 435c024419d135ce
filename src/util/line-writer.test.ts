import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineWriter } from './line-writer.js';

/** A sink that records each write call it gets: one entry per _write, all chunks of a _writev in one entry. */
function sink() {
  const calls: string[][] = [];
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string, _enc, cb) {
      calls.push([chunk]);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => c.chunk as string));
      cb();
    },
  });
  return { stream, calls };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('LineWriter', () => {
  it('writes a lone message at once, in the same turn', () => {
    const s = sink();
    new LineWriter(s.stream).write('a\n');
    expect(s.calls).toEqual([['a\n']]);
  });

  it.each([2, 3, 10])('groups the %i messages of one turn into the first write and one more', async (n) => {
    const s = sink();
    const w = new LineWriter(s.stream);
    for (let i = 0; i < n; i++) w.write(`${i}\n`);
    expect(s.calls).toEqual([['0\n']]);
    await turn();
    expect(s.calls).toEqual([['0\n'], Array.from({ length: n - 1 }, (_, i) => `${i + 1}\n`)]);
  });

  it('groups messages written from promise continuations of the same turn, in order', async () => {
    const s = sink();
    const w = new LineWriter(s.stream);
    await Promise.all(
      [1, 2, 3].map(async (i) => {
        await Promise.resolve();
        for (let k = 0; k < i; k++) await Promise.resolve();
        w.write(`${i}\n`);
      }),
    );
    await turn();
    expect(s.calls.flat()).toEqual(['1\n', '2\n', '3\n']);
    expect(s.calls.length).toBeLessThan(3);
  });

  it('writes messages of separate turns separately, the same way twice', async () => {
    const s = sink();
    const w = new LineWriter(s.stream);
    for (const m of ['a\n', 'b\n', 'a\n', 'b\n']) {
      w.write(m);
      await turn();
    }
    expect(s.calls).toEqual([['a\n'], ['b\n'], ['a\n'], ['b\n']]);
  });

  it('calls each write callback, grouped or not, and reports a stream error through it', async () => {
    const s = sink();
    const w = new LineWriter(s.stream);
    const done: string[] = [];
    w.write('a\n', () => done.push('a'));
    w.write('b\n', () => done.push('b'));
    await turn();
    expect(done).toEqual(['a', 'b']);
    const failing = new Writable({ write: (_c, _e, cb) => cb(new Error('EPIPE')) });
    failing.on('error', () => undefined);
    const errors: unknown[] = [];
    new LineWriter(failing).write('x\n', (e) => errors.push(e));
    await turn();
    expect(errors).toEqual([expect.objectContaining({ message: 'EPIPE' })]);
  });

  it('says when to wait for drain, as the stream does', async () => {
    const s = sink();
    const slow = new Writable({ highWaterMark: 4, write: (_c, _e, cb) => setImmediate(cb) });
    const w = new LineWriter(slow);
    expect(w.write('0123456789\n')).toBe(false);
    await new Promise((r) => slow.once('drain', r));
    expect(new LineWriter(s.stream).write('a\n')).toBe(true);
  });
});
