/**
 * Where the audit log lives on disk: the current file (`audit.jsonl`), the rotated files beside it
 * (`audit.<seq>.jsonl`, named by the seq of their first record, so that a name sort is the chain order) and the
 * checkpoint of the chain head (`audit.head.json`). Also the low-level reads the writer and the verifier share:
 * the first and the last line of a file without reading all of it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LogFiles {
  /** The file being written. */
  current: string;
  /** Rotated files, oldest first, then the current file if it exists. */
  all(): string[];
  rotatedName(firstSeq: number): string;
  head: string;
}

export function logFiles(current: string): LogFiles {
  const dir = path.dirname(current);
  const base = path.basename(current);
  const stem = base.endsWith('.jsonl') ? base.slice(0, -'.jsonl'.length) : base;
  const rotated = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d{12})\\.jsonl$`);
  return {
    current,
    head: path.join(dir, `${stem}.head.json`),
    rotatedName: (firstSeq) => path.join(dir, `${stem}.${String(firstSeq).padStart(12, '0')}.jsonl`),
    all() {
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        return [];
      }
      const old = names.filter((n) => rotated.test(n)).sort();
      const out = old.map((n) => path.join(dir, n));
      if (names.includes(base)) out.push(current);
      return out;
    },
  };
}

/** The checkpoint: the last record known to be on disk. Verify fails when the log ends before it. */
export interface Checkpoint {
  seq: number;
  hash: string;
  file: string;
  ts: string;
}

/**
 * The checkpoint with the highest seq that reads whole. The file is either one JSON line (the format written with a
 * rename, by writeCheckpoint) or the two slots of a CheckpointFile, each a JSON line with a `sum` over its fields: a
 * slot torn by a crash fails its sum and the other slot (the checkpoint before) stands.
 */
export function readCheckpoint(file: string): Checkpoint | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // missing or unreadable: verify reports it as absent
  }
  let best: Checkpoint | undefined;
  for (const line of text.split('\n')) {
    const cp = parseSlot(line);
    if (cp && (!best || cp.seq > best.seq)) best = cp;
  }
  return best;
}

function parseSlot(line: string): Checkpoint | undefined {
  // A slot is padded with spaces; the bytes of a slot never written read as NULs.
  const text = line.replace(/^[\s\0]+|[\s\0]+$/g, '');
  if (text === '') return undefined;
  try {
    const v = JSON.parse(text) as Partial<Checkpoint> & { sum?: unknown };
    if (typeof v.seq !== 'number' || typeof v.hash !== 'string' || typeof v.file !== 'string') return undefined;
    const cp = { seq: v.seq, hash: v.hash, file: v.file, ts: String(v.ts ?? '') };
    if (v.sum !== undefined && v.sum !== slotSum(cp)) return undefined;
    return cp;
  } catch {
    return undefined;
  }
}

const slotSum = (cp: Checkpoint) =>
  crypto.hash('sha256', `${cp.seq}\n${cp.hash}\n${cp.file}\n${cp.ts}`, 'hex').slice(0, 16);

/** Written with a rename, so a crash leaves the old checkpoint or the new one, never half of one. */
export function writeCheckpoint(file: string, cp: Checkpoint): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(cp)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

const SLOT = 256;

/**
 * The writer's checkpoint, kept open: each checkpoint overwrites the older of two fixed slots with one positioned
 * write, off the event loop, instead of a new file and a rename per batch. A crash tears at most the slot being
 * written (its sum fails), so readCheckpoint still finds the one before. Writes never queue up: while one is in
 * flight only the newest checkpoint waits. Failure mode: a checkpoint that cannot be written is reported through
 * `onError` and weakens only the end-of-log check of verify, as before.
 */
export class CheckpointFile {
  private fd = -1;
  private next = 0;
  private writing: Promise<void> | undefined;
  private waiting: Checkpoint | undefined;

  constructor(
    private readonly file: string,
    private readonly onError: (error: Error) => void,
  ) {}

  write(cp: Checkpoint): void {
    this.waiting = cp;
    // Cleared in a later turn, never inside pump(): a pump that ends synchronously must not leave itself set.
    this.writing ??= this.pump().finally(() => (this.writing = undefined));
  }

  /** Resolves when the newest checkpoint asked for is written (or failed). */
  async settle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    await this.settle();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private async pump(): Promise<void> {
    while (this.waiting) {
      const cp = this.waiting;
      this.waiting = undefined;
      try {
        if (this.fd < 0) this.open();
        const line = JSON.stringify({ ...cp, sum: slotSum(cp) });
        if (Buffer.byteLength(line) >= SLOT) throw new Error('checkpoint longer than its slot');
        const data = Buffer.from(line.padEnd(SLOT - 1) + '\n');
        const at = this.next * SLOT;
        await new Promise<void>((resolve, reject) =>
          fs.write(this.fd, data, 0, SLOT, at, (error) => (error ? reject(error) : resolve())),
        );
        this.next = 1 - this.next;
      } catch (error) {
        this.onError(error as Error);
        if (this.fd >= 0) fs.close(this.fd, () => undefined);
        this.fd = -1;
      }
    }
  }

  /** Opens (or creates) the file and starts with the slot that does not hold the newest checkpoint. */
  private open(): void {
    this.fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    const buf = Buffer.alloc(2 * SLOT);
    const n = fs.readSync(this.fd, buf, 0, buf.length, 0);
    const slots = [0, 1].map((i) => parseSlot(buf.subarray(i * SLOT, Math.min(n, (i + 1) * SLOT)).toString('utf8')));
    // A file in the one-line format is longer than a slot only if something else wrote it: start over.
    if (fs.fstatSync(this.fd).size > 2 * SLOT) fs.ftruncateSync(this.fd, 0);
    this.next = slots[0] && (!slots[1] || slots[0].seq > slots[1].seq) ? 1 : 0;
  }
}

const CHUNK = 64 * 1024;

/** The tail of a file: its last complete line, and any bytes after the last newline (a torn write). */
export function readTail(fd: number, size: number): { last?: string; torn?: Buffer } {
  if (size === 0) return {};
  let pos = size;
  let buf = Buffer.alloc(0);
  let tornEnd = -1; // index in buf of the last '\n'
  for (;;) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const chunk = Buffer.alloc(len);
    fs.readSync(fd, chunk, 0, len, pos);
    buf = Buffer.concat([chunk, buf]);
    if (tornEnd < 0) tornEnd = buf.lastIndexOf(0x0a);
    else tornEnd += len;
    if (tornEnd >= 0) {
      const before = buf.lastIndexOf(0x0a, tornEnd - 1);
      if (before >= 0 || pos === 0) {
        const torn = buf.subarray(tornEnd + 1);
        const last = buf.subarray(before + 1, tornEnd).toString('utf8');
        return { ...(last ? { last } : {}), ...(torn.length ? { torn: Buffer.from(torn) } : {}) };
      }
    } else if (pos === 0) return { torn: buf };
  }
}

/** The first line of a file (without its newline), or undefined for an empty file. */
export function readFirstLine(fd: number, size: number): string | undefined {
  let pos = 0;
  const parts: Buffer[] = [];
  while (pos < size) {
    const chunk = Buffer.alloc(Math.min(CHUNK, size - pos));
    fs.readSync(fd, chunk, 0, chunk.length, pos);
    pos += chunk.length;
    const nl = chunk.indexOf(0x0a);
    if (nl >= 0) {
      parts.push(chunk.subarray(0, nl));
      return Buffer.concat(parts).toString('utf8');
    }
    parts.push(chunk);
  }
  return parts.length ? Buffer.concat(parts).toString('utf8') : undefined;
}

/** Counts the newlines of a file: the line number of a torn tail is this plus one. */
export function countLines(fd: number, size: number): number {
  let n = 0;
  const chunk = Buffer.alloc(CHUNK * 16);
  for (let pos = 0; pos < size;) {
    const got = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
    if (got === 0) break;
    for (let i = chunk.indexOf(0x0a); i >= 0 && i < got; i = chunk.indexOf(0x0a, i + 1)) n++;
    pos += got;
  }
  return n;
}
