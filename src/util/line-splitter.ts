/**
 * Splits a byte stream into newline-terminated lines, the framing of MCP's stdio transport. A line longer than
 * `maxLineBytes` is discarded whole (up to its newline) and reported once, so one oversized message costs bounded
 * memory and never desynchronises the stream. With `keepHeadBytes`, the first bytes of a discarded line are kept
 * and reported with it, so that the reader can still find who sent it (the JSON-RPC id of an oversized request).
 */
export interface LineSplitterOptions {
  maxLineBytes: number;
  onLine: (line: string) => void;
  onOverflow: (bytes: number, head: Buffer) => void;
  /** How many bytes of an oversized line to keep for `onOverflow` (default 0: none). */
  keepHeadBytes?: number;
}

export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  private discarding = false;
  private discarded = 0;
  private head: Buffer = Buffer.alloc(0);

  constructor(private readonly opts: LineSplitterOptions) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl === -1) return;
      this.finishLine();
      start = nl + 1;
    }
  }

  /** Bytes held for an unfinished line (for tests and for a final flush on close). */
  get pending(): number {
    return this.size;
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.discarding) {
      this.discarded += part.length;
      return;
    }
    if (this.size + part.length > this.opts.maxLineBytes) {
      this.discarding = true;
      this.discarded = this.size + part.length;
      const keep = this.opts.keepHeadBytes ?? 0;
      if (keep > 0) this.head = firstBytes([...this.chunks, part], keep);
      this.chunks = [];
      this.size = 0;
      return;
    }
    this.chunks.push(part);
    this.size += part.length;
  }

  private finishLine(): void {
    if (this.discarding) {
      this.discarding = false;
      const head = this.head;
      this.head = Buffer.alloc(0);
      this.opts.onOverflow(this.discarded, head);
      this.discarded = 0;
      return;
    }
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    let line = buf.toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() !== '') this.opts.onLine(line);
  }
}

/** A copy of the first `n` bytes of `parts` (a copy, so the kept bytes do not pin the chunks they came from). */
function firstBytes(parts: readonly Buffer[], n: number): Buffer {
  const out: Buffer[] = [];
  let left = n;
  for (const p of parts) {
    if (left <= 0) break;
    out.push(p.subarray(0, left));
    left -= p.length;
  }
  return Buffer.from(Buffer.concat(out));
}
