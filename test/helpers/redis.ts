/**
 * A real redis-server for tests: installed from Debian when missing (ensureSystemCommand), started on a free
 * loopback port with no persistence, ready once it answers PING. `kill()` stops it abruptly (SIGKILL, as a crash
 * would) and `start()` brings it back on the same port, so a test can take Redis away mid-run and return it;
 * `pause()` freezes it (SIGSTOP) with its connections open, as a hung server would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ensureSystemCommand } from './system-packages.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts (or restarts) the server on its port and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that hangs with its connections open. */
  pause(): void;
  resume(): void;
  /** Runs redis-cli against it and returns stdout (trimmed). */
  cli(...args: string[]): string;
  /** Stops it for good. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPing(cli: string, port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = spawnSync(cli, ['-h', '127.0.0.1', '-p', String(port), 'PING'], { encoding: 'utf8' });
    if (r.stdout?.trim() === 'PONG') return;
    if (Date.now() > end) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startRedis(): Promise<RedisServer> {
  const bin = ensureSystemCommand({ command: 'redis-server', debianPackage: 'redis-server' });
  // redis-cli ships in redis-tools, a dependency of the redis-server package.
  const cli = ensureSystemCommand({ command: path.join(path.dirname(bin), 'redis-cli'), debianPackage: 'redis-tools' });
  const port = await freePort();
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (proc) return;
      const child = spawn(
        bin,
        ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      proc = child;
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      void exited.then(() => {
        if (proc === child) proc = undefined;
      });
      try {
        await waitForPing(cli, port, 10_000);
      } catch (error) {
        throw new Error(`${(error as Error).message}; its stderr: ${stderr.trim() || '(empty)'}`, { cause: error });
      }
    },
    async kill() {
      const child = proc;
      if (!child) return;
      child.kill('SIGKILL');
      await exited;
    },
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
    cli(...args) {
      const r = spawnSync(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    async stop() {
      await server.kill();
    },
  };
  await server.start();
  return server;
}
