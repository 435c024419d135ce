/**
 * Figures for the judge guardrails (issue 10), printed by `npm run bench`: what a judge adds to a call, against a
 * fake OpenAI-compatible endpoint on 127.0.0.1 that answers after a fixed delay (BENCH_JUDGE_DELAY_MS, default 50).
 * - End to end, through the built gateway and server-everything's echo: p50/p95 of a call with no judge, with one
 *   check (relevancy), and with the policy check on both sides plus relevancy and adherence (two round trips: the
 *   arguments before the upstream, then the three result checks concurrently), the verdict cache off so every call
 *   asks the model; and with the cache on, a repeated call.
 * - In process: the judge stage's own time minus the model's answer time, i.e. the gateway's overhead around the
 *   judge (prompt building, hashing, JSON, zod, undici).
 * Iterations: BENCH_JUDGE_CALLS (default 200).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { PolicyJudgeSchema } from '../src/guardrails/judge/config-schema.js';
import { startFakeEndpoint, type FakeEndpoint } from '../test/support/judge-fake-endpoint.js';
import { createJudgeRuntime } from '../src/guardrails/judge/runtime.js';
import { createJudgeStages, type JudgeDetection } from '../src/guardrails/judge/stage.js';
import { testContext } from '../test/support/test-context.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/secure-mcp-gateway.js');
const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

function intEnv(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

const CALLS = intEnv('BENCH_JUDGE_CALLS', 200);
const DELAY = intEnv('BENCH_JUDGE_DELAY_MS', 50);

function pct(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const ms = (x: number) => `${x.toFixed(2)} ms`;

const VERDICTS: Record<string, object> = {
  policy: { violation: false, rule: null, confidence: 0.02, reason: 'no rule applies' },
  relevancy: { score: 0.9, reason: 'answers the call' },
  adherence: { score: 0.9, reason: 'does what the tool says' },
};

async function gatewayRun(
  fake: FakeEndpoint,
  home: string,
  judge: object | undefined,
  cacheSize: number,
  sameText: boolean,
): Promise<number[]> {
  const rules = path.join(home, 'rules.md');
  fs.writeFileSync(rules, '- Never reveal customer account numbers.\n- Do not mention project Falcon.\n');
  const config = {
    servers: { everything: { command: process.execPath, args: [EVERYTHING], policy: 'p' } },
    judges: { local: { baseUrl: fake.baseUrl, model: 'judge-model', cacheSize, maxConcurrent: 8 } },
    policyDocuments: [rules],
    // The bench outruns the default budget of 120 judge requests per minute on purpose.
    policies: { p: judge ? { judge: { callsPerMinute: 100_000, ...judge } } : {} },
    log: { level: 'warn', file: false },
  };
  const file = path.join(home, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'start', '--config', file],
    env: { ...getDefaultEnvironment(), HOME: home, SMG_HOME: home },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'smg-bench-judges', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  try {
    const call = async (i: number) => {
      const r = await client.callTool({
        name: 'everything__echo',
        arguments: { message: sameText ? 'the same message' : `message ${i}` },
      });
      if (r.isError) throw new Error(`the call was blocked: ${JSON.stringify(r.content)}`);
    };
    for (let i = 0; i < 20; i++) await call(-i - 1);
    const samples: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await call(i);
      samples.push(performance.now() - t);
    }
    return samples;
  } finally {
    await client.close();
  }
}

async function inProcessOverhead(fake: FakeEndpoint): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-judge-'));
  const rules = path.join(dir, 'rules.md');
  fs.writeFileSync(rules, '- Never reveal customer account numbers.\n- Do not mention project Falcon.\n');
  const runtime = createJudgeRuntime({
    judges: {
      local: {
        baseUrl: fake.baseUrl,
        model: 'judge-model',
        timeoutMs: 4000,
        maxConcurrent: 4,
        jsonMode: true,
        maxPromptChars: 12_000,
        cacheSize: 0,
      },
    },
    documents: [rules],
    watch: false,
  });
  const { output } = createJudgeStages({
    runtime,
    config: PolicyJudgeSchema.parse({ relevancy: {} }),
    judge: 'local',
    injectionThreshold: 0.5,
  });
  const overhead: number[] = [];
  try {
    for (let i = 0; i < CALLS + 20; i++) {
      const ctx = testContext({ name: 'echo', description: 'Echoes back the input.' }, { message: `m ${i}` });
      const t = performance.now();
      const v = await output!.check({ content: [{ type: 'text', text: `Echo: m ${i}` }] }, ctx);
      const total = performance.now() - t;
      const model = (v.detections?.[0] as JudgeDetection | undefined)?.judge.latencyMs ?? 0;
      if (i >= 20) overhead.push(total - model);
    }
  } finally {
    await runtime.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return overhead;
}

export async function benchJudges(): Promise<string> {
  const fake = await startFakeEndpoint({
    script: (r) => ({ verdict: VERDICTS[r.check] ?? VERDICTS.relevancy!, delayMs: DELAY }),
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-judges-'));
  const home = (n: string) => {
    const dir = path.join(tmp, n);
    fs.mkdirSync(dir);
    return dir;
  };
  try {
    const none = await gatewayRun(fake, home('none'), undefined, 0, false);
    const one = await gatewayRun(fake, home('one'), { relevancy: {} }, 0, false);
    const three = await gatewayRun(fake, home('three'), { policy: {}, relevancy: {}, adherence: {} }, 0, false);
    fake.reset();
    const cached = await gatewayRun(fake, home('cached'), { relevancy: {} }, 1000, true);
    const cachedRequests = fake.requests.length;
    const overhead = await inProcessOverhead(fake);
    const base = pct(none, 50);
    const rows: [string, number[], string][] = [
      ['no judge', none, '—'],
      ['relevancy (1 check)', one, ms(pct(one, 50) - base)],
      [
        'policy on arguments, then policy + relevancy + adherence on the result (concurrent)',
        three,
        ms(pct(three, 50) - base),
      ],
      ['relevancy, repeated text (cache hits)', cached, ms(pct(cached, 50) - base)],
    ];
    const lines = [
      `judge guardrails: echo through the built gateway, fake OpenAI-compatible judge answering after ${DELAY} ms, ${CALLS} calls each`,
      '| configuration | p50 | p95 | added at p50 |',
      '| --- | --- | --- | --- |',
      ...rows.map(([name, xs, added]) => `| ${name} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} | ${added} |`),
      '',
      `cache: ${cachedRequests} judge request(s) for ${CALLS + 20} calls with the same text`,
      `gateway overhead around one judge request (stage time − model answer time, in process): p50 ${ms(pct(overhead, 50))}, p95 ${ms(pct(overhead, 95))}`,
      `added latency beyond the model's ${DELAY} ms, one check at p50: ${ms(pct(one, 50) - base - DELAY)}`,
    ];
    return lines.join('\n');
  } finally {
    await fake.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await benchJudges());
}
