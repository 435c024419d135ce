/**
 * Writes newline-framed messages to a pipe with as few write calls as the protocol allows. The first message of an
 * event-loop turn is written at once (a lone answer is never held back), and any further message of the same turn
 * is corked and goes out with the others in one write (writev) when the turn's ticks run. Each pipe write wakes the
 * process on the other end, so several answers finished together (concurrent calls whose results arrived in one
 * read) cost the client one wake-up instead of several. Order is kept: writes are never reordered, only grouped.
 * Failure mode: the stream's own (a write to a closed pipe fails through its callback or its 'error' event).
 */
import type { Writable } from 'node:stream';

export class LineWriter {
  /** A write already went out in this turn: later ones in the same turn are grouped. */
  private busy = false;
  private corked = false;

  constructor(private readonly stream: Writable) {}

  /** Writes `text` (already framed); returns the stream's own answer (false: wait for 'drain'). */
  write(text: string, callback?: (error?: Error | null) => void): boolean {
    if (!this.busy) {
      this.busy = true;
      process.nextTick(this.endTurn);
    } else if (!this.corked) {
      this.corked = true;
      this.stream.cork();
    }
    return callback ? this.stream.write(text, callback) : this.stream.write(text);
  }

  private readonly endTurn = () => {
    this.busy = false;
    if (this.corked) {
      this.corked = false;
      this.stream.uncork();
    }
  };
}
