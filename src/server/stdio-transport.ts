/**
 * The server side of stdio, facing the MCP client. Written for the gateway because the SDK's StdioServerTransport
 * does not notice the end of stdin and silently drops malformed input. This one:
 * - answers a line that is not JSON with -32700 and a message that is not JSON-RPC with -32600 (id kept when it
 *   has one), and keeps reading;
 * - answers a line over the size limit with -32600, to the request's own id when the line's first bytes show it
 *   (a bounded scan of the top-level object: util/jsonrpc.ts recoverRequestId), else to id null;
 * - answers a JSON-RPC batch (an array; MCP 2025-06-18 removed batching) with one -32600 per request in it, each
 *   with its own id, one line each (a current MCP client reads one message per line and would reject an array);
 *   notifications and responses in it are dropped and reported; junk elements share one -32600 with id null;
 * - reports the end of stdin through `oninputend` (not `onclose`), so the gateway can drain in-flight calls and
 *   still write their answers before it closes;
 * - writes nothing but JSON-RPC lines to stdout, and treats EPIPE as the client going away; answers that are ready
 *   in the same turn go out in one write (util/line-writer.ts), the first of them at once.
 * Duplicate ids and requests before initialize are the protocol guard's (protocol-guard.ts), which sees every
 * message this transport delivers; frames refused here are reported to it through `onrefused`.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ID_SCAN_BYTES, isJsonRpcMessage, recoverRequestId, refuseBatch } from '../util/jsonrpc.js';
import { LineSplitter } from '../util/line-splitter.js';
import { LineWriter } from '../util/line-writer.js';

export interface StdioServerOptions {
  stdin?: Readable;
  stdout?: Writable;
  maxMessageBytes?: number;
}

export class GatewayStdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** stdin ended: no more requests will come, but answers may still be written. */
  oninputend?: () => void;
  /** A frame refused before it became a JSON-RPC message (a batch, an oversized line), for the log. */
  onrefused?: (what: string, fields: Record<string, unknown>) => void;

  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly splitter: LineSplitter;
  /** Answers finished in the same turn go out in one write (line-writer.ts). */
  private readonly out: LineWriter;
  private started = false;
  private closed = false;
  private inputEnded = false;

  constructor(opts: StdioServerOptions = {}) {
    this.stdin = opts.stdin ?? process.stdin;
    this.stdout = opts.stdout ?? process.stdout;
    this.out = new LineWriter(this.stdout);
    const maxMessageBytes = opts.maxMessageBytes ?? 16 * 1024 * 1024;
    this.splitter = new LineSplitter({
      maxLineBytes: maxMessageBytes,
      onLine: (line) => this.handleLine(line),
      keepHeadBytes: Math.min(ID_SCAN_BYTES, maxMessageBytes),
      onOverflow: (bytes, head) => {
        const id = recoverRequestId(head.toString('utf8'));
        this.onrefused?.('oversized message refused', { reason: 'oversized', bytes, id: id ?? null });
        this.reply(
          id ?? null,
          ErrorCode.InvalidRequest,
          `Invalid Request: message of ${bytes} bytes exceeds the limit of ${maxMessageBytes}`,
        );
      },
    });
  }

  private readonly onData = (chunk: Buffer) => this.splitter.push(chunk);
  private readonly onEnd = () => {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (this.oninputend) this.oninputend();
    else void this.close();
  };
  private readonly onStdinError = (error: Error) => {
    this.onerror?.(error);
    this.onEnd();
  };
  private readonly onStdoutError = (error: Error) => {
    // EPIPE: the client is gone. Nothing more can be written, so close.
    this.onerror?.(error);
    void this.close();
  };

  start(): Promise<void> {
    if (this.started) throw new Error('GatewayStdioServerTransport already started');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('end', this.onEnd);
    this.stdin.on('close', this.onEnd);
    this.stdin.on('error', this.onStdinError);
    this.stdout.on('error', this.onStdoutError);
    return Promise.resolve();
  }

  private handleLine(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      this.reply(null, ErrorCode.ParseError, `Parse error: ${(error as Error).message}`);
      return;
    }
    if (Array.isArray(parsed)) return this.refuseBatch(parsed);
    if (!isJsonRpcMessage(parsed)) {
      // A malformed notification (a method and no id at all) gets no answer, as JSON-RPC says; anything else does.
      const notification = isObject(parsed) && !Array.isArray(parsed) && !('id' in parsed) && 'method' in parsed;
      if (!notification)
        this.reply(idOf(parsed) ?? null, ErrorCode.InvalidRequest, `Invalid Request: ${describeInvalid(parsed)}`);
      return;
    }
    this.onmessage?.(parsed);
  }

  private refuseBatch(batch: unknown[]): void {
    const r = refuseBatch(batch);
    this.onrefused?.('JSON-RPC batch refused', {
      reason: 'batch',
      elements: batch.length,
      answered: r.answers.length,
      droppedNotifications: r.notifications,
      droppedResponses: r.responses,
    });
    for (const a of r.answers) this.reply(a.id, a.error.code, a.error.message);
  }

  private reply(id: string | number | null, code: number, message: string): void {
    // JSON-RPC requires id null when the request's id could not be read; the SDK's types do not allow it, so
    // this one message is written directly.
    this.write(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }) + '\n').catch(() => undefined);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(JSON.stringify(message) + '\n');
  }

  private write(line: string): Promise<void> {
    if (this.closed || this.stdout.destroyed) return Promise.reject(new Error('stdout is closed'));
    if (this.out.write(line)) return Promise.resolve();
    return new Promise((resolve) => this.stdout.once('drain', resolve));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.off('close', this.onEnd);
    this.stdin.off('error', this.onStdinError);
    this.stdout.off('error', this.onStdoutError);
    this.stdin.pause();
    this.onclose?.();
    return Promise.resolve();
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function idOf(v: unknown): string | number | undefined {
  if (!isObject(v) || Array.isArray(v)) return undefined;
  const id = v.id;
  // An id the answer can carry: a string or an integer (MCP's RequestId). A fractional id echoed back would make
  // the client reject the answer itself, so such a request is answered with id null, as an unreadable one is.
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : undefined;
}

function describeInvalid(v: unknown): string {
  if (!isObject(v)) return 'expected a JSON object';
  if (v.jsonrpc !== '2.0') return 'missing "jsonrpc": "2.0"';
  if ('id' in v && idOf(v) === undefined) return 'id must be a string or a number';
  if ('method' in v && typeof v.method !== 'string') return 'method must be a string';
  return 'not a JSON-RPC request, notification or response';
}
