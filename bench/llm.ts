/**
 * `npm run bench:llm` (issue 20, "Benchmarks"): what the Secure AI Proxy adds to an LLM request, measured in one run
 * against the fake provider (test/fixtures/fake-llm-provider.ts) called directly and through the BUILT gateway's
 * `serve` (dist, a child process; the default policy, so every local guardrail is on: injection rules and the
 * learned model, PII, secrets, keywords, in and out; the audit on). Printed against the targets:
 * - non-streamed chat: latency p50/p99 direct and through the gateway, added p50 ≤ 2 ms, and the gateway's CPU per
 *   request (from /proc, where the time goes on a busy machine);
 * - streamed chat, the provider at full speed (a 2,000-delta answer, as fast as the fake writes it): time to the
 *   first token (the first non-empty text delta) added ≤ 5 ms, streamed throughput (answer characters per second,
 *   request to end) ≥ 0.9× direct, and the gateway's CPU per stream;
 * - the same time to first token with the provider paced like a model (one delta per ms): the stream scanner holds
 *   back a look-back window (512 characters by default) before it releases text, so at a model's pace the first
 *   token waits for that window to arrive; this row shows what a user feels.
 * Direct and gateway requests alternate in rounds (who goes first alternates too), so that a busy machine slows both
 * alike. The fake provider runs in a CHILD process (this file, `--fake-provider`, driven over IPC), not in this one:
 * a provider is another machine, and in-process its socket writes (2,000 per stream) would share the client's event
 * loop and slow the very reads being timed, more for the direct path, which has no other process in between.
 * Env: BENCH_LLM_REQUESTS (300 per side), BENCH_LLM_WARMUP (50), BENCH_LLM_ROUNDS (10), BENCH_LLM_STREAMS (15 per
 * side), BENCH_LLM_DELTAS (2000), BENCH_LLM_PACED_STREAMS (5), BENCH_LLM_PACED_DELTAS (400); BENCH_LLM_CPU_PROF=<dir>
 * writes the gateway's V8 CPU profile there.
 * Exit 1 when a request fails or an answer differs from the provider's (figures that miss a target are reported,
 * not failed: they depend on the machine).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KeyStore } from '../src/identity/keys.js';
import { startFakeLlmProvider, type FakeScript } from '../test/fixtures/fake-llm-provider.js';
import { intEnv } from './env.js';
import { cleanAnswer } from './llm-stream-scan.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/secure-mcp-gateway.js');
const PROVIDER_KEY = 'sk-bench-provider';

const N = {
  requests: intEnv('BENCH_LLM_REQUESTS', 300),
  warmup: intEnv('BENCH_LLM_WARMUP', 50),
  rounds: intEnv('BENCH_LLM_ROUNDS', 10),
  streams: intEnv('BENCH_LLM_STREAMS', 15),
  deltas: intEnv('BENCH_LLM_DELTAS', 2000),
  pacedStreams: intEnv('BENCH_LLM_PACED_STREAMS', 5),
  pacedDeltas: intEnv('BENCH_LLM_PACED_DELTAS', 400),
};

const TARGETS = { addedP50Ms: 2, addedTtftMs: 5, throughputRatio: 0.9 };

// ---------------------------------------------------------------------------------------------------------------
// The fake provider's child process: starts the provider, reports its URL, then sets its default script on demand.

type ToChild = { script: FakeScript };
type FromChild = { url: string } | { ok: true };

async function runFakeProvider(): Promise<void> {
  const fake = await startFakeLlmProvider({ apiKey: PROVIDER_KEY });
  process.on('message', (m: ToChild) => {
    fake.setDefault(m.script);
    process.send?.({ ok: true } satisfies FromChild);
  });
  process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
  process.send?.({ url: fake.url } satisfies FromChild);
}

interface ProviderProcess {
  url: string;
  pid: number;
  script(s: FakeScript): Promise<void>;
  stop(): void;
}

async function startProvider(): Promise<ProviderProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--fake-provider'], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<FromChild>((resolve, reject) => {
      child.once('message', (m: FromChild) => resolve(m));
      child.once('exit', (code) => reject(new Error(`the fake provider exited with ${code}`)));
    });
  const first = await next();
  if (!('url' in first)) throw new Error('the fake provider did not report its URL');
  return {
    url: first.url,
    pid: child.pid!,
    async script(s) {
      const ack = next();
      child.send({ script: s } satisfies ToChild);
      await ack;
    },
    stop: () => child.disconnect(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The gateway

interface Gateway {
  url: string;
  key: string;
  proc: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
}

async function startGateway(home: string, providerUrl: string): Promise<Gateway> {
  const configPath = path.join(home, 'config.json');
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      servers: {},
      users: { 'bench@example.com': {} },
      projects: { bench: { servers: [] } },
      roles: { dev: { deployments: ['*'] } },
      memberships: { bench: { 'bench@example.com': 'dev' } },
      llm: {
        providers: { fake: { kind: 'openai-compatible', baseUrl: `${providerUrl}/v1`, apiKey: '${env:FAKE_KEY}' } },
        deployments: { bench: { provider: 'fake', model: 'gpt-4o-mini' } },
        prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
      },
      log: { level: 'warn', file: false },
    }),
  );
  const { key } = new KeyStore({ file: path.join(home, 'keys.json') }).create({
    project: 'bench',
    user: 'bench@example.com',
  });
  // BENCH_LLM_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it exits (open it in DevTools).
  const prof = process.env.BENCH_LLM_CPU_PROF;
  const profile = prof ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`] : [];
  const proc = spawn(process.execPath, [...profile, BIN, 'serve', '--config', configPath, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_LOG_LEVEL: 'warn', FAKE_KEY: PROVIDER_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(new URL(m[1]!).origin);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
  return {
    url,
    key,
    proc,
    stderr: () => stderr,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The client: plain fetch (undici, keep-alive), the same code for both targets.

interface Target {
  name: 'direct' | 'gateway';
  /** The OpenAI base URL. */
  base: string;
  key: string;
  model: string;
}

const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant for the operations team. Answer in plain English.' },
  {
    role: 'user',
    content:
      'Summarise today’s deployment notes in three bullet points: the release moves the cache to the new cluster, ' +
      'raises the retry timeout to three seconds and changes the default port to 8080.',
  },
];

async function chat(t: Target): Promise<string> {
  const res = await fetch(`${t.base}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: t.model, messages: MESSAGES }),
  });
  const body = (await res.json()) as { choices?: { message?: { content?: string } }[] };
  if (res.status !== 200) throw new Error(`${t.name}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.choices?.[0]?.message?.content ?? '';
}

interface StreamTiming {
  ttftMs: number;
  totalMs: number;
  text: string;
}

/** One streamed chat: the time to the first non-empty text delta, to the end, and the text. */
async function streamChat(t: Target): Promise<StreamTiming> {
  const t0 = performance.now();
  const res = await fetch(`${t.base}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: t.model, messages: MESSAGES, stream: true }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`${t.name}: HTTP ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  let ttft = -1;
  let done = false;
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const parsed = JSON.parse(data) as { error?: unknown; choices?: { delta?: { content?: string } }[] };
        if (parsed.error) throw new Error(`${t.name}: stream error ${JSON.stringify(parsed.error)}`);
        const piece = parsed.choices?.[0]?.delta?.content ?? '';
        if (piece !== '' && ttft < 0) ttft = performance.now() - t0;
        text += piece;
      }
    }
  }
  if (!done) throw new Error(`${t.name}: the stream ended without [DONE]`);
  return { ttftMs: ttft, totalMs: performance.now() - t0, text };
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

function pct(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((q / 100) * sorted.length))) - 1] ?? NaN;
}

/** utime + stime of a process in ms (Linux), for the gateway's CPU per request. */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Runs `fn` on both targets in alternating order, `rounds` times, `per` calls each time. */
async function alternate<T>(
  targets: [Target, Target],
  rounds: number,
  per: number,
  fn: (t: Target) => Promise<T>,
): Promise<[T[], T[]]> {
  const out: [T[], T[]] = [[], []];
  for (let r = 0; r < rounds; r++)
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0])
      for (let k = 0; k < per; k++) out[i as 0 | 1].push(await fn(targets[i as 0 | 1]));
  return out;
}

async function main(): Promise<number> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-llm-'));
  const provider = await startProvider();
  let gateway: Gateway | undefined;
  try {
    gateway = await startGateway(home, provider.url);
    const direct: Target = { name: 'direct', base: `${provider.url}/v1`, key: PROVIDER_KEY, model: 'gpt-4o-mini' };
    const through: Target = { name: 'gateway', base: `${gateway.url}/v1`, key: gateway.key, model: 'bench' };
    const both: [Target, Target] = [direct, through];

    // Non-streamed: a 400-character answer, so the output guardrails read a real text.
    const answer = cleanAnswer(400, 3);
    await provider.script({ text: answer });
    for (const t of both) for (let i = 0; i < N.warmup; i++) await chat(t);
    const per = Math.max(1, Math.ceil(N.requests / N.rounds));
    const cpu0 = cpuMs(gateway.proc.pid!);
    const latencies = await alternate(both, N.rounds, per, async (t) => {
      const t0 = performance.now();
      const text = await chat(t);
      if (text !== answer) throw new Error(`${t.name}: the answer differs from the provider's`);
      return performance.now() - t0;
    });
    const gatewayCpuPerRequest = (cpuMs(gateway.proc.pid!) - cpu0) / latencies[1].length;

    // Streamed at full speed: N.deltas deltas of about 5 characters.
    const long = cleanAnswer(N.deltas * 5, 11);
    const pieces = (text: string, n: number) =>
      Array.from({ length: n }, (_, i) => text.slice((i * text.length) / n, ((i + 1) * text.length) / n));
    await provider.script({ chunks: pieces(long, N.deltas) });
    for (const t of both) await streamChat(t);
    const cpu1 = cpuMs(gateway.proc.pid!);
    const streams = await alternate(both, N.streams, 1, async (t) => {
      const s = await streamChat(t);
      if (s.text !== long) throw new Error(`${t.name}: the streamed answer differs from the provider's`);
      return s;
    });

    const gatewayCpuPerStream = (cpuMs(gateway.proc.pid!) - cpu1) / streams[1].length;

    // Streamed at a model's pace: one delta per millisecond (faster than most models).
    const paced = cleanAnswer(N.pacedDeltas * 5, 13);
    await provider.script({ chunks: pieces(paced, N.pacedDeltas), chunkDelayMs: 1 });
    const pacedStreams = await alternate(both, N.pacedStreams, 1, async (t) => {
      const s = await streamChat(t);
      if (s.text !== paced) throw new Error(`${t.name}: the paced answer differs from the provider's`);
      return s;
    });

    const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : 'n/a');
    const signed = (v: number) => (v >= 0 ? `+${ms(v)}` : `-${ms(-v)}`);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
    const ttft = (s: StreamTiming[][], i: 0 | 1) =>
      pct(
        s[i]!.map((x) => x.ttftMs),
        50,
      );
    const rate = (s: StreamTiming[]) =>
      pct(
        s.map((x) => (x.text.length / x.totalMs) * 1000),
        50,
      );

    const addedP50 = pct(latencies[1], 50) - pct(latencies[0], 50);
    const addedP99 = pct(latencies[1], 99) - pct(latencies[0], 99);
    const addedTtft = ttft(streams, 1) - ttft(streams, 0);
    const ratio = rate(streams[1]) / rate(streams[0]);
    const addedPacedTtft = ttft(pacedStreams, 1) - ttft(pacedStreams, 0);
    const kchars = (v: number) => `${(v / 1000).toFixed(0)} k chars/s`;

    const rows = [
      [
        `non-streamed p50 (${latencies[0].length}+${latencies[1].length})`,
        ms(pct(latencies[0], 50)),
        ms(pct(latencies[1], 50)),
        signed(addedP50),
        `≤ ${TARGETS.addedP50Ms} ms`,
        verdict(addedP50 <= TARGETS.addedP50Ms),
      ],
      ['non-streamed p99', ms(pct(latencies[0], 99)), ms(pct(latencies[1], 99)), signed(addedP99), '', ''],
      ['gateway CPU per request', '', ms(gatewayCpuPerRequest), '', '', ''],
      [
        `stream TTFT p50, full speed (${N.deltas} deltas)`,
        ms(ttft(streams, 0)),
        ms(ttft(streams, 1)),
        signed(addedTtft),
        `≤ ${TARGETS.addedTtftMs} ms`,
        verdict(addedTtft <= TARGETS.addedTtftMs),
      ],
      [
        'stream throughput p50, full speed',
        kchars(rate(streams[0])),
        kchars(rate(streams[1])),
        `${ratio.toFixed(2)}×`,
        `≥ ${TARGETS.throughputRatio}×`,
        verdict(ratio >= TARGETS.throughputRatio),
      ],
      ['gateway CPU per stream, full speed', '', ms(gatewayCpuPerStream), '', '', ''],
      [
        `stream TTFT p50, 1 delta/ms (${N.pacedDeltas} deltas)`,
        ms(ttft(pacedStreams, 0)),
        ms(ttft(pacedStreams, 1)),
        signed(addedPacedTtft),
        `≤ ${TARGETS.addedTtftMs} ms`,
        verdict(addedPacedTtft <= TARGETS.addedTtftMs),
      ],
    ];
    process.stdout.write(
      `bench:llm (${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}); ` +
        'fake provider in a child process; gateway = built serve, default policy\n' +
        `${table(['', 'direct', 'gateway', 'added', 'target', ''], rows)}\n`,
    );
    return 0;
  } catch (error) {
    process.stdout.write(`bench:llm FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    if (gateway) process.stdout.write(`gateway stderr (last 2 KB):\n${gateway.stderr().slice(-2048)}\n`);
    return 1;
  } finally {
    const code = await gateway?.stop();
    if (gateway && code !== 0) process.stdout.write(`serve exited with ${code}\n`);
    provider.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv.includes('--fake-provider')) await runFakeProvider();
else process.exitCode = await main();
