/**
 * The client side of stdio for upstream children, written for the gateway rather than taken from the SDK because
 * a security proxy needs four things the SDK transport does not give:
 * - the child runs in its own process group, and close() signals the whole group (npx → sh → node leaves no orphan);
 * - the child's environment is the SDK's minimal default set plus its configured env, never our environment;
 * - stderr is read line by line into our log under the server's name, with resolved secrets masked;
 * - stdout lines that are not JSON-RPC are dropped and logged, and an oversized line is discarded, so a noisy or
 *   hostile server cannot break the session.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import { isJsonRpcMessage } from '../util/jsonrpc.js';
import { LineSplitter } from '../util/line-splitter.js';
import { LineWriter } from '../util/line-writer.js';
import { adoptEarly, spawnOptions } from './early-spawn.js';

export interface StdioUpstreamOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  log: Logger;
  mask: (text: string) => string;
  maxMessageBytes: number;
  /** How long close() waits after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  /** Runs once the child has ended (a sandbox's egress proxy and cgroups are released here). */
  afterExit?: () => Promise<void>;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A message could not be written because the child is exiting or gone (EPIPE, or stdin already destroyed): the
 * request never reached it. Under load this is how a crash often shows first, before the child's 'close' event
 * (the chaos benchmark, issue 9), so upstream.ts reports it as the crash it is rather than as a bare "write EPIPE".
 */
export class UpstreamGoneError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.name = 'UpstreamGoneError';
  }
}

const EXCERPT = 200;
const GROUPS = process.platform !== 'win32';

export class StdioUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  /** The child's stdin; requests sent in the same turn go out in one write (line-writer.ts). */
  private stdin: LineWriter | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private closing = false;
  private exitInfo: ExitInfo | undefined;

  constructor(private readonly opts: StdioUpstreamOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the child ended, once it has. */
  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('StdioUpstreamTransport already started');
    const { command, args, env, cwd, log } = this.opts;
    const spec = { command, args, env: { ...getDefaultEnvironment(), ...env }, cwd };
    return new Promise((resolve, reject) => {
      // The child spawned as the gateway began (early-spawn.ts), when it is exactly this one; else our own.
      const early = adoptEarly(spec);
      const child = early?.child ?? spawn(command, args, spawnOptions(spec));
      this.child = child;
      this.stdin = new LineWriter(child.stdin!);
      this.exited = new Promise((done) =>
        child.once('close', (code, signal) => {
          this.exitInfo = { code, signal };
          const after = this.opts.afterExit?.() ?? Promise.resolve();
          void after.catch(() => undefined).then(() => done(this.exitInfo!));
        }),
      );

      const stdout = new LineSplitter({
        maxLineBytes: this.opts.maxMessageBytes,
        onLine: (line) => this.handleLine(line),
        onOverflow: (bytes) =>
          log.warn({ bytes, limit: this.opts.maxMessageBytes }, 'dropped an oversized stdout message from upstream'),
      });
      const stderr = new LineSplitter({
        maxLineBytes: 64 * 1024,
        onLine: (line) => log.info({ stream: 'stderr' }, this.opts.mask(line)),
        onOverflow: (bytes) => log.info({ stream: 'stderr', bytes }, '(an oversized stderr line was dropped)'),
      });
      for (const chunk of early?.stdout ?? []) stdout.push(chunk);
      for (const chunk of early?.stderr ?? []) stderr.push(chunk);
      child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
      // A child that dies mid-write would otherwise surface EPIPE as an unhandled 'error'.
      child.stdin!.on('error', (error) => this.onerror?.(error));

      child.once('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      if (early?.spawned) resolve();
      else child.once('spawn', () => resolve());
      child.once('close', () => {
        this.child = undefined;
        this.onclose?.();
      });
    });
  }

  private handleLine(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.dropLine(line, 'not JSON');
      return;
    }
    if (!isJsonRpcMessage(parsed)) {
      this.dropLine(line, 'not a JSON-RPC message');
      return;
    }
    this.onmessage?.(parsed);
  }

  private dropLine(line: string, why: string): void {
    const excerpt = this.opts.mask(line.length > EXCERPT ? `${line.slice(0, EXCERPT)}…` : line);
    this.opts.log.warn({ stream: 'stdout', excerpt }, `dropped a stdout line from upstream: ${why}`);
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    const writer = this.stdin;
    if (!stdin || !writer || stdin.destroyed) return Promise.reject(new UpstreamGoneError('its stdin is closed'));
    return new Promise((resolve, reject) => {
      const ok = writer.write(JSON.stringify(message) + '\n', (error) =>
        error ? reject(new UpstreamGoneError(`writing to it failed: ${error.message}`, { cause: error })) : undefined,
      );
      if (ok) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Ends stdin, then SIGTERM to the process group, then SIGKILL after the grace period. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.closing) {
      await this.exited;
      return;
    }
    this.closing = true;
    const grace = this.opts.killGraceMs ?? 1500;
    child.stdin?.end();
    const exited = this.exited!;
    const quick = await Promise.race([exited, delay(Math.min(300, grace)).then(() => undefined)]);
    if (quick === undefined) {
      signalGroup(child, 'SIGTERM');
      const termed = await Promise.race([exited, delay(grace).then(() => undefined)]);
      if (termed === undefined) signalGroup(child, 'SIGKILL');
    }
    await exited;
    // The leader may be gone while others in its group (npx's grandchildren) still run.
    signalGroup(child, 'SIGKILL');
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (GROUPS) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // ESRCH: already gone.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
