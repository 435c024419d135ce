import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointFile, readCheckpoint, writeCheckpoint, type Checkpoint } from './files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function headFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-files-'));
  dirs.push(dir);
  return path.join(dir, 'audit.head.json');
}
const cp = (seq: number): Checkpoint => ({
  seq,
  hash: String(seq % 10).repeat(64),
  file: 'audit.jsonl',
  ts: `t${seq}`,
});

describe('audit checkpoint', () => {
  it('overwrites two slots in turn in one file, and reads back the newest', async () => {
    const file = headFile();
    const errors: Error[] = [];
    const c = new CheckpointFile(file, (e) => errors.push(e));
    for (const seq of [1, 2, 3, 4, 5]) {
      c.write(cp(seq));
      await c.settle();
      expect(readCheckpoint(file)).toEqual(cp(seq));
      expect(readCheckpoint(file)).toEqual(cp(seq));
    }
    await c.close();
    expect(fs.statSync(file).size).toBe(512);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['audit.head.json']);
    expect(errors).toEqual([]);
  });

  it('writes only the newest of checkpoints that arrive while one is being written', async () => {
    const file = headFile();
    const c = new CheckpointFile(file, () => undefined);
    for (let seq = 1; seq <= 50; seq++) c.write(cp(seq));
    await c.close();
    expect(readCheckpoint(file)).toEqual(cp(50));
  });

  it.each([
    ['bytes changed in the newest slot', (b: Buffer, at: number) => b.write('9', at + 8)],
    ['the newest slot cut in half', (b: Buffer, at: number) => b.fill(0, at + 100, at + 256)],
  ])('falls back to the slot before when a crash tore the newest (%s)', async (_, tear) => {
    const file = headFile();
    const c = new CheckpointFile(file, () => undefined);
    for (const seq of [7, 8]) {
      c.write(cp(seq));
      await c.settle();
    }
    await c.close();
    const buf = fs.readFileSync(file);
    tear(buf, 256); // seq 7 went to slot 0, seq 8 to slot 1
    fs.writeFileSync(file, buf);
    expect(readCheckpoint(file)).toEqual(cp(7));
  });

  it('reads the one-line format, and a new writer keeps it until its own checkpoint is newer', async () => {
    const file = headFile();
    writeCheckpoint(file, cp(41));
    expect(readCheckpoint(file)).toEqual(cp(41));
    const c = new CheckpointFile(file, () => undefined);
    c.write(cp(42));
    await c.settle();
    expect(readCheckpoint(file)).toEqual(cp(42));
    c.write(cp(43));
    await c.close();
    expect(readCheckpoint(file)).toEqual(cp(43));
    // A writer that opens the file again goes on from the slot that does not hold the newest checkpoint.
    const again = new CheckpointFile(file, () => undefined);
    again.write(cp(44));
    await again.close();
    expect(readCheckpoint(file)).toEqual(cp(44));
    expect(fs.statSync(file).size).toBe(512);
  });

  it('reports a checkpoint it cannot write and reads nothing from a missing file', async () => {
    const file = path.join(headFile(), 'not-a-dir', 'audit.head.json');
    const errors: Error[] = [];
    const c = new CheckpointFile(file, (e) => errors.push(e));
    c.write(cp(1));
    await c.close();
    expect(errors).toHaveLength(1);
    expect(readCheckpoint(file)).toBeUndefined();
  });
});
