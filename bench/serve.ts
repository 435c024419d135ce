/**
 * `npm run bench:serve` (issue 6): the built gateway's `serve` under load. 50 concurrent MCP sessions (real SDK
 * clients over Streamable HTTP, each with the bearer key) make a fixed number of tools/call each against
 * server-everything's `echo`, through the whole pipeline. Reports throughput (calls/s), latency p50/p90/p99/max,
 * and the answers: every request must get one (a result or an error), or the run fails (exit 1). A bounded
 * benchmark, not a timed test: the figures depend on the machine.
 *
 * Env: BENCH_SESSIONS (50), BENCH_CALLS_PER_SESSION (40), BENCH_WARMUP (2 per session).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { KeyStore } from '../src/identity/keys.js';
import { intEnv } from './env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/secure-mcp-gateway.js');

const SESSIONS = intEnv('BENCH_SESSIONS', 50);
const CALLS = intEnv('BENCH_CALLS_PER_SESSION', 40);
const WARMUP = intEnv('BENCH_WARMUP', 2);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<number> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-serve-'));
  const configPath = path.join(home, 'config.json');
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      servers: {
        everything: {
          command: process.execPath,
          args: [path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js')],
        },
      },
      projects: { bench: { servers: ['everything'] } },
      users: { 'bench@example.com': {} },
      roles: { developer: { servers: { '*': {} } } },
      memberships: { bench: { 'bench@example.com': 'developer' } },
      serve: { maxSessions: Math.max(256, SESSIONS) },
      log: { level: 'warn', file: false },
    }),
  );
  const { key } = new KeyStore({ file: path.join(home, 'keys.json') }).create({
    project: 'bench',
    user: 'bench@example.com',
  });
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', configPath, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });

  const clients = await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      const transport = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      });
      const client = new Client({ name: 'bench-serve', version: '1.0.0' });
      await client.connect(transport);
      return { client, transport };
    }),
  );
  for (const { client } of clients)
    for (let i = 0; i < WARMUP; i++)
      await client.callTool({ name: 'everything__echo', arguments: { message: 'warm' } });

  const latencies: number[] = [];
  let results = 0;
  let toolErrors = 0;
  let failures = 0;
  const failureSamples: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    clients.map(async ({ client }, s) => {
      for (let i = 0; i < CALLS; i++) {
        const start = performance.now();
        try {
          const r = await client.callTool({
            name: 'everything__echo',
            arguments: { message: `session ${s} call ${i}` },
          });
          results++;
          if (r.isError) toolErrors++;
        } catch (error) {
          failures++;
          if (failureSamples.length < 3) failureSamples.push(String(error));
        }
        latencies.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.allSettled(clients.map(({ transport }) => transport.terminateSession()));
  proc.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  fs.rmSync(home, { recursive: true, force: true });

  const total = SESSIONS * CALLS;
  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const rows: [string, string][] = [
    ['sessions (concurrent)', String(SESSIONS)],
    ['calls', `${total} (${CALLS} per session, after ${WARMUP} warm-up each)`],
    [
      'answered',
      `${results + failures} of ${total} (results ${results}, tool errors ${toolErrors}, JSON-RPC/HTTP errors ${failures})`,
    ],
    ['wall time', `${seconds.toFixed(2)} s`],
    ['throughput', `${(total / seconds).toFixed(0)} calls/s`],
    ['latency p50', ms(percentile(sorted, 50))],
    ['latency p90', ms(percentile(sorted, 90))],
    ['latency p99', ms(percentile(sorted, 99))],
    ['latency max', ms(sorted[sorted.length - 1] ?? NaN)],
    ['serve exit code', String(code)],
  ];
  process.stdout.write(`bench:serve (${os.cpus().length} CPUs, Node ${process.version})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(22)} ${v}\n`);
  for (const f of failureSamples) process.stdout.write(`  failure: ${f}\n`);
  const ok = results + failures === total && failures === 0 && toolErrors === 0 && code === 0;
  process.stdout.write(ok ? 'PASS: every request answered with a result\n' : 'FAIL: see above\n');
  return ok ? 0 : 1;
}

process.exitCode = await main();
