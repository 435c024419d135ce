/**
 * Where the audit log lives on disk: the current file (`audit.jsonl`), the rotated files beside it
 * (`audit.<seq>.jsonl`, named by the seq of their first record, so that a name sort is the chain order) and the
 * checkpoint of the chain head (`audit.head.json`). Also the low-level reads the writer and the verifier share:
 * the first and the last line of a file without reading all of it.
 */
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

export function readCheckpoint(file: string): Checkpoint | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Checkpoint>;
    if (typeof v.seq === 'number' && typeof v.hash === 'string' && typeof v.file === 'string')
      return { seq: v.seq, hash: v.hash, file: v.file, ts: String(v.ts ?? '') };
  } catch {
    // missing or unreadable: verify reports it as absent
  }
  return undefined;
}

/** Written with a rename, so a crash leaves the old checkpoint or the new one, never half of one. */
export function writeCheckpoint(file: string, cp: Checkpoint): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(cp)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
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
