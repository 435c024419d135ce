/**
 * End-to-end helpers: spawn the *built* gateway (bin/secure-mcp-gateway.js) as a real child process with a config
 * written to a temporary SMG_HOME, connect a real SDK Client to it over stdio, and record every stdout line so a
 * test can assert that nothing but JSON-RPC was written. `processTree` and `alive` let a test prove that no child
 * process outlives the gateway.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type ClientCapabilities, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { buildSync } from 'esbuild';
import { keepProgressOrder } from '../../src/upstream/progress-order.js';
import { LineSplitter } from '../../src/util/line-splitter.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/secure-mcp-gateway.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

/** The entry script of an npm MCP server installed as a devDependency. */
export function npmServer(name: 'everything' | 'filesystem' | 'memory'): string {
  return path.join(ROOT, 'node_modules/@modelcontextprotocol', `server-${name}`, 'dist/index.js');
}

/**
 * A fixture server, run by plain node from its compiled bundle, so fixtures stay plain TypeScript. Not through tsx:
 * its loader costs about 0.8 s of CPU per start on a 2-core machine (1.4 s against 0.55 s for a fixture that answers
 * initialize), and the suite starts fixtures hundreds of times.
 */
export function fixtureServer(file: string, ...args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [compiledFixture(file), ...args] };
}

/** Bundles already written by this process, by fixture file name. */
const compiled = new Map<string, string>();

/**
 * The fixture bundled by esbuild (its own imports inlined, packages left as imports), written once under
 * node_modules/.cache/smg-fixtures/<hash of the bundle>/: the hash names the code, so a changed fixture or a changed
 * module it imports gets a new file, and two workers (or worktrees) that write the same bundle write the same bytes
 * (through a rename, so nobody runs half a file). It lives in node_modules so that the bundle's package imports
 * resolve from there, and so that a sandboxed fixture, whose launcher mounts the outermost node_modules of its
 * script, sees them. Fails loudly: a fixture that does not compile is a broken test, not a skipped one.
 */
export function compiledFixture(file: string): string {
  const done = compiled.get(file);
  if (done) return done;
  const result = buildSync({
    entryPoints: [path.join(FIXTURES, file)],
    absWorkingDir: ROOT,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = path.join(ROOT, 'node_modules/.cache/smg-fixtures', hash);
  const out = path.join(dir, file.replace(/\.ts$/, '.mjs'));
  if (!fs.existsSync(out)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, out);
  }
  compiled.set(file, out);
  return out;
}

export function tempDir(prefix = 'smg-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Speaks MCP over a child's stdin/stdout and keeps every line it read. */
class RecordingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly lines: string[] = [];
  constructor(private readonly proc: ChildProcessWithoutNullStreams) {}
  start(): Promise<void> {
    const splitter = new LineSplitter({
      maxLineBytes: 256 * 1024 * 1024,
      onLine: (line) => {
        this.lines.push(line);
        try {
          this.onmessage?.(JSONRPCMessageSchema.parse(JSON.parse(line)));
        } catch (error) {
          this.onerror?.(error as Error);
        }
      },
      onOverflow: () => {},
    });
    this.proc.stdout.on('data', (c: Buffer) => splitter.push(c));
    this.proc.on('close', () => this.onclose?.());
    return Promise.resolve();
  }
  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) =>
      this.proc.stdin.write(JSON.stringify(message) + '\n', (e) => (e ? reject(e) : resolve())),
    );
  }
  /** Writes raw bytes, for malformed-input tests. */
  sendRaw(text: string): void {
    this.proc.stdin.write(text);
  }
  close(): Promise<void> {
    this.proc.stdin.end();
    return Promise.resolve();
  }
}

export interface StartOptions {
  home?: string;
  env?: Record<string, string>;
  capabilities?: ClientCapabilities;
  /** Extra CLI arguments after `start`. */
  args?: string[];
  /** Do not connect a client (for tests that drive stdin by hand). */
  noClient?: boolean;
}

export interface SpawnedGateway {
  proc: ChildProcessWithoutNullStreams;
  client: Client;
  transport: RecordingTransport;
  home: string;
  configPath: string;
  stdoutLines: string[];
  stderr: () => string;
  /** Ends stdin and waits for exit; returns the exit code and the time it took. */
  closeStdin(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startGateway(config: unknown, opts: StartOptions = {}): Promise<SpawnedGateway> {
  const home = opts.home ?? tempDir();
  const configPath = path.join(home, 'config.json');
  fs.writeFileSync(configPath, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  const proc = spawn(process.execPath, [BIN, 'start', '--config', configPath, ...(opts.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_LOG_LEVEL: 'debug', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const transport = new RecordingTransport(proc);
  const client = new Client({ name: 'e2e-client', version: '1.0.0' }, { capabilities: opts.capabilities ?? {} });
  if (!opts.noClient) {
    await client.connect(transport);
    // The SDK client loses a progress notification read in the same chunk as its response; real clients share
    // that flaw, and the gateway spaces them out, but a loaded test machine can still merge the two reads.
    keepProgressOrder(transport);
  } else await transport.start();
  return {
    proc,
    client,
    transport,
    home,
    configPath,
    stdoutLines: transport.lines,
    stderr: () => stderr,
    exited,
    async closeStdin() {
      const t0 = Date.now();
      proc.stdin.end();
      const r = await exited;
      return { ...r, ms: Date.now() - t0 };
    },
  };
}

/** Every descendant pid of `pid`, read from /proc. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // raced with an exit
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** True while the pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Asserts-by-throwing that every stdout line is one JSON-RPC message. */
export function nonJsonRpcLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    try {
      return !JSONRPCMessageSchema.safeParse(JSON.parse(line)).success && !isNullIdError(line);
    } catch {
      return true;
    }
  });
}

function isNullIdError(line: string): boolean {
  const v = JSON.parse(line) as { jsonrpc?: string; id?: unknown; error?: { code?: unknown } };
  return v.jsonrpc === '2.0' && v.id === null && typeof v.error?.code === 'number';
}

/** The gateway's pino log lines (JSON on stderr). */
export function logLines(gw: SpawnedGateway): { msg?: string; server?: string; [k: string]: unknown }[] {
  return gw
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; server?: string });
}

/** The text parts of a tool result, other parts as <type>. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => (c.type === 'text' ? c.text : `<${c.type}>`)).join('');
}

/** The calls a recording fixture saw (RECORD_FILE: one JSON line per call), in order. */
export function recorded(file: string): { tool: string; args: Record<string, unknown> }[] {
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { tool: string; args: Record<string, unknown> })
    : [];
}
