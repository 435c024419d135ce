/**
 * The one writer of the audit log. Records are sealed into the hash chain in the order they are appended (so the
 * order is decided synchronously, on the event loop), then written in batches:
 * - `batched`: a batch is written and fdatasync'ed at most `fsyncIntervalMs` after its first record (or as soon as
 *   1 MiB is waiting); a crash loses at most that window.
 * - `always`: group commit. A record is written and fdatasync'ed at once, together with whatever arrived while the
 *   previous fsync ran, and its promise resolves only then: a caller that awaits it knows the record is on disk.
 * After every batch the chain head is checkpointed (audit.head.json, two slots overwritten in turn: files.ts). Before a batch would push the file past
 * `maxFileBytes` the file is rotated; the chain simply carries on into the new file.
 *
 * Start-up recovers the chain from the last record on disk. Bytes after the last newline are a torn write (a crash
 * in the middle of a record): they are closed with a newline and followed by an `audit.recovered` record that names
 * their line and SHA-256, so verify can skip exactly that line and nothing else, and the chain never breaks.
 *
 * Failure mode: a write, fsync or open that fails (full disk, unwritable path) marks the writer unhealthy, is
 * logged at error level with the reason, and rejects the waiting records. The gateway then blocks calls when
 * `audit.required` is true, and otherwise goes on unaudited. The writer retries (at most once a second) on the
 * next append; when it is back it first writes an `audit.lost` record that counts what was lost.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { GENESIS, seal, unseal, type Chain } from './chain.js';
import { CheckpointFile, countLines, logFiles, readFirstLine, readTail, type LogFiles } from './files.js';

export interface AuditWriterOptions {
  file: string;
  chain: Chain;
  fsync: 'batched' | 'always';
  fsyncIntervalMs: number;
  maxFileBytes: number;
  log: Logger;
}

interface Pending {
  seq: number;
  line: string;
  /** The line's UTF-8 length, its hash and its ts: what the batch and the checkpoint need, computed once. */
  bytes: number;
  hash: string;
  ts: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

const MAX_BATCH_BYTES = 1024 * 1024;
const RETRY_MS = 1000;

export class AuditWriter {
  private readonly files: LogFiles;
  private readonly checkpoint: CheckpointFile;
  private fd = -1;
  private size = 0;
  /** Seq of the first record of the current file: the name it gets when it is rotated. */
  private firstSeq = 0;
  private seq = 0;
  private prev = GENESIS;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failure: string | undefined;
  private lastAttempt = 0;
  private lost = 0;
  private closed = false;

  constructor(private readonly opts: AuditWriterOptions) {
    this.files = logFiles(opts.file);
    this.checkpoint = new CheckpointFile(this.files.head, (error) =>
      opts.log.warn({ err: error.message }, `cannot write the audit checkpoint ${this.files.head}`),
    );
    this.reopen();
  }

  /** False while the log cannot be written; `problem` says why. */
  get healthy(): boolean {
    return this.failure === undefined;
  }

  get problem(): string | undefined {
    return this.failure;
  }

  /** After a failure: tries to reopen the log now (at most once a second); true when it is writable. */
  probe(): boolean {
    return this.failure === undefined || this.retry();
  }

  /** The seq and hash of the last record sealed (not necessarily on disk yet). */
  get head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.prev };
  }

  /**
   * Seals `body` (kind plus the event's fields) into the chain and queues it. The promise resolves when the record
   * is written (and, in `always` mode, fsynced), and rejects when it cannot be.
   */
  append(body: { kind: string } & Record<string, unknown>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the audit log is closed'));
    if (this.failure !== undefined && !this.retry()) {
      this.lost++;
      return Promise.reject(new Error(this.failure));
    }
    return this.enqueue(body);
  }

  private enqueue(body: { kind: string } & Record<string, unknown>): Promise<void> {
    const ts = new Date().toISOString();
    const { line, hash } = seal(this.opts.chain, body, this.prev, { v: 1, seq: this.seq + 1, ts });
    this.seq++;
    this.prev = hash;
    const bytes = Buffer.byteLength(line) + 1;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ seq: this.seq, line, bytes, hash, ts, resolve, reject });
      this.queuedBytes += bytes;
      if (this.opts.fsync === 'always' || this.queuedBytes >= MAX_BATCH_BYTES) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.opts.fsyncIntervalMs);
    });
  }

  /** Writes and fsyncs everything queued so far; resolves when it is on disk (or has failed). */
  async flush(): Promise<void> {
    while (this.flushing || this.queue.length) {
      if (!this.flushing) this.kick();
      await this.flushing;
    }
  }

  /** Starts writing the queue as one batch, unless a batch is being written (it starts the next one when done). */
  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.flushing = this.writeBatch(batch).finally(() => {
      this.flushing = undefined;
      // Records that arrived during this batch go out now in `always` mode (group commit).
      if (this.queue.length && (this.opts.fsync === 'always' || this.queuedBytes >= MAX_BATCH_BYTES)) this.kick();
      else if (this.queue.length) this.timer ??= setTimeout(() => this.kick(), this.opts.fsyncIntervalMs);
    });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    try {
      if (this.fd < 0) throw new Error(this.failure ?? 'the audit log is not open');
      // Split the batch where the file would pass maxFileBytes, so every file stays within it.
      let parts: string[] = [];
      let bytes = 0;
      for (const p of batch) {
        const len = p.bytes;
        if (this.size + bytes + len > this.opts.maxFileBytes && this.size + bytes > 0) {
          if (bytes > 0) await this.writeOut(parts.join(''));
          this.rotate(p.seq);
          parts = [];
          bytes = 0;
        }
        parts.push(`${p.line}\n`);
        bytes += len;
      }
      await this.writeOut(parts.join(''));
      await datasync(this.fd);
    } catch (error) {
      this.fail(error, batch.length);
      for (const p of batch) p.reject(new Error(this.failure));
      return;
    }
    for (const p of batch) p.resolve();
    // The records are on disk; a checkpoint that cannot be written only weakens the end-of-log check.
    const last = batch[batch.length - 1]!;
    this.checkpoint.write({ seq: last.seq, hash: last.hash, file: path.basename(this.files.current), ts: last.ts });
  }

  private async writeOut(text: string): Promise<void> {
    const data = Buffer.from(text);
    await write(this.fd, data);
    this.size += data.length;
  }

  /** The current file becomes `<stem>.<its first seq>.jsonl`; the batch starting at `nextSeq` opens a new one. */
  private rotate(nextSeq: number): void {
    // What is written so far must be on disk before the file is renamed away from the fd that will sync it.
    fs.fdatasyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    fs.renameSync(this.files.current, this.files.rotatedName(this.firstSeq));
    this.fd = fs.openSync(this.files.current, 'a', 0o600);
    this.size = 0;
    this.firstSeq = nextSeq;
  }

  private fail(error: unknown, lostNow: number): void {
    const reason = `cannot write the audit log ${this.files.current}: ${(error as Error).message}`;
    if (this.failure === undefined) this.opts.log.error({ err: (error as Error).message }, reason);
    this.failure = reason;
    this.lost += lostNow;
    this.lastAttempt = Date.now();
    if (this.fd >= 0) fs.close(this.fd, () => undefined);
    this.fd = -1;
  }

  /** After a failure: at most once a second, reopen and resynchronise the chain from disk. */
  private retry(): boolean {
    if (Date.now() - this.lastAttempt < RETRY_MS || this.flushing) return false;
    this.reopen();
    return this.failure === undefined;
  }

  /** Opens the current file and recovers the chain head from what is on disk; a torn tail is closed off. */
  private reopen(): void {
    this.lastAttempt = Date.now();
    try {
      fs.mkdirSync(path.dirname(this.files.current), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(this.files.current, 'a+', 0o600);
      const size = fs.fstatSync(fd).size;
      const { last, torn } = readTail(fd, size);
      let head = last ? this.headOf(last) : undefined;
      if (!head) {
        // The current file is empty (just rotated, or new): the chain goes on from the newest rotated file.
        const older = this.files.all().filter((f) => f !== this.files.current);
        const newest = older[older.length - 1];
        if (newest) {
          const ofd = fs.openSync(newest, 'r');
          try {
            const t = readTail(ofd, fs.fstatSync(ofd).size);
            head = t.last ? this.headOf(t.last) : undefined;
          } finally {
            fs.closeSync(ofd);
          }
        }
      }
      this.seq = head?.seq ?? 0;
      this.prev = head?.hash ?? GENESIS;
      const first = size > 0 ? readFirstLine(fd, size) : undefined;
      const firstSeq = first ? this.headOf(first)?.seq : undefined;
      this.firstSeq = firstSeq ?? this.seq + 1;
      this.fd = fd;
      this.size = size;
      const wasFailing = this.failure;
      this.failure = undefined;
      if (torn) this.closeTornLine(fd, size, torn);
      if (wasFailing !== undefined) this.opts.log.warn({ lost: this.lost }, 'the audit log is writable again');
      if (this.lost > 0) {
        void this.enqueue({ kind: 'audit.lost', count: this.lost, reason: wasFailing ?? 'unknown' }).catch(
          () => undefined,
        );
        this.lost = 0;
      }
    } catch (error) {
      this.fail(error, 0);
    }
  }

  private headOf(line: string): { seq: number; hash: string } | undefined {
    const u = unseal(this.opts.chain, line);
    return u.ok ? { seq: u.record.seq, hash: u.hash } : undefined;
  }

  /** A crash tore the last record: end that line, and say so in the chain (verify skips exactly that line). */
  private closeTornLine(fd: number, size: number, torn: Buffer): void {
    const line = countLines(fd, size) + 1;
    const sha256 = crypto.createHash('sha256').update(torn).digest('hex');
    fs.writeSync(fd, '\n');
    this.size += 1;
    this.opts.log.warn(
      { file: this.files.current, line, bytes: torn.length },
      'the audit log ends in a torn record (a crash while writing); it is skipped and the chain goes on',
    );
    void this.enqueue({
      kind: 'audit.recovered',
      torn: { file: path.basename(this.files.current), line, bytes: torn.length, sha256 },
    }).catch(() => undefined);
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.checkpoint.close();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

function write(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const next = () =>
      fs.write(fd, data, off, data.length - off, null, (error, n) => {
        if (error) return reject(error);
        off += n;
        if (off < data.length) next();
        else resolve();
      });
    next();
  });
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}
