/**
 * A 1 MiB tool result per content kind (issues 15 and 21): the same SDK Client calls the fixture server
 * (test/fixtures/big-result-server.ts) directly and through the built gateway with the default policy, alternating,
 * and each row shows the p50 of both, the added time (target: ≤ 20 ms, issue 21) and the in-process output pipeline
 * (every response stage of the default policy) over the same result. A result the gateway or the pipeline blocks is a
 * false positive on benign text: the bench fails with the rule, rather than timing a refusal. In-process rows after
 * the kinds time the traversal alone and the input guardrails on one small call.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_POLICY } from '../src/config/schema.js';
import { assemblePipeline } from '../src/pipeline/assemble.js';
import { runStages } from '../src/pipeline/run.js';
import { testCall, testContext } from '../test/support/test-context.js';
import { stringLeaves } from '../src/util/json-strings.js';
import { intEnv } from './env.js';
import { fmtMsShort, median, table, target, type Target } from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** BENCH_GATEWAY_BIN runs another build of the gateway, for an A/B comparison. */
const BIN = path.resolve(process.env.BENCH_GATEWAY_BIN ?? path.join(ROOT, 'bin/secure-mcp-gateway.js'));
const FIXTURE = path.join(ROOT, 'test/fixtures/big-result-server.ts');
const CALLS = intEnv('BENCH_LARGE_CALLS', 15);
const KB = 1024;
/** Issue 21: the whole output pipeline adds at most this much to a 1 MB result, per kind. */
const ADDED_MS = 20;

/** The fixture's tools, one per content kind, in the order of the table. */
export const LARGE_KINDS = [
  ['prose', 'big'],
  ['README (markdown)', 'readme'],
  ['JSON as text', 'json'],
  ['JSON as structuredContent', 'json-structured'],
  ['base64-heavy', 'base64'],
  ['minified code', 'minified'],
  ['structuredContent rows', 'rows'],
] as const;

async function connect(direct: boolean, home: string): Promise<Client> {
  const server = { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), FIXTURE] };
  const config = path.join(home, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ servers: { big: server }, log: { level: 'warn', file: false } }));
  const transport = new StdioClientTransport(
    direct
      ? { ...server, stderr: 'ignore' }
      : {
          command: process.execPath,
          args: [BIN, 'start', '--config', config],
          env: { ...getDefaultEnvironment(), HOME: home, SMG_HOME: home },
          stderr: 'ignore',
        },
  );
  const client = new Client({ name: 'smg-bench-large', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** A result the gateway refused: the bench records it as a FAIL with its rule and goes on with the other kinds. */
class Refused extends Error {}

async function time(client: Client, name: string): Promise<number> {
  const t0 = performance.now();
  const r = (await client.callTool({ name, arguments: { kb: KB } })) as CallToolResult;
  const ms = performance.now() - t0;
  if (r.isError) throw new Refused(`${name} was refused: ${JSON.stringify(r.content).slice(0, 300)}`);
  return ms;
}

function inProcess(fn: () => unknown, n: number): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);

export interface LargeResultReport {
  report: string;
  /** One target per kind: added p50 ≤ 20 ms. */
  targets: Target[];
}

export async function benchLargeResult(): Promise<LargeResultReport> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-large-'));
  const rows: string[][] = [];
  const targets: Target[] = [];
  const refusals: string[] = [];
  let direct: Client | undefined;
  let gateway: Client | undefined;
  try {
    direct = await connect(true, home);
    gateway = await connect(false, home);
    const { response, request } = await assemblePipeline(DEFAULT_POLICY);
    const stageMs = async (r: CallToolResult) => {
      const samples: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const run = await runStages(response, r, testContext());
        samples.push(performance.now() - t0);
        if (run.denied) return `refused (${run.denied.ruleId})`;
      }
      return fmt(median(samples.slice(2)));
    };
    const results = new Map<string, CallToolResult>();
    for (const [label, tool] of LARGE_KINDS) {
      const d: number[] = [];
      const g: number[] = [];
      const result = (await direct.callTool({ name: tool, arguments: { kb: KB } })) as CallToolResult;
      results.set(tool, result);
      const size = `1 MiB ${label} (${(JSON.stringify(result).length / 1024).toFixed(0)} KiB JSON)`;
      const pipelineMs = await stageMs(result);
      try {
        await time(gateway, `big__${tool}`);
        for (let i = 0; i < CALLS; i++) {
          d.push(await time(direct, tool));
          g.push(await time(gateway, `big__${tool}`));
        }
      } catch (error) {
        // A benign result refused is a false positive (or a budget that ran out): a finding, shown and failed.
        if (!(error instanceof Refused)) throw error;
        refusals.push(error.message);
        rows.push([size, '', '', 'refused', pipelineMs]);
        targets.push({ name: `1 MiB ${label}: added p50`, measured: 'refused', limit: `≤ ${ADDED_MS} ms`, ok: false });
        continue;
      }
      const [md, mg] = [median(d), median(g)];
      rows.push([size, fmtMsShort(md), fmtMsShort(mg), `+${(mg - md).toFixed(1)} ms`, pipelineMs]);
      targets.push(target(`1 MiB ${label}: added p50`, mg - md, '<=', ADDED_MS, fmtMsShort));
    }
    const input = request.filter((s) => s.slot === 'input-guardrail');
    const small = testCall({ path: '/home/alice/project/README.md', head: 20, note: 'read the intro' });
    const perCall: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await runStages(input, small, testContext());
      if (i >= 200) perCall.push(performance.now() - t0);
    }
    // The traversal is the structured kinds' own cost: a text part is one string, whose read is the detectors'.
    for (const [label, tool] of LARGE_KINDS) {
      const r = results.get(tool)!;
      if (r.structuredContent === undefined) continue;
      rows.push([
        `traversal alone (every string), 1 MiB ${label}`,
        '',
        '',
        '',
        fmt(inProcess(() => stringLeaves(r, ''), 15)),
      ]);
    }
    rows.push(['input guardrails, one small call (p50)', '', '', '', fmt(median(perCall))]);
  } finally {
    await direct?.close().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  }
  const report = table(
    ['1 MiB results (default policy)', 'direct p50', 'gateway p50', 'added', 'output pipeline in-process'],
    rows,
  );
  return { report: [report, ...refusals.map((r) => `REFUSED: ${r}`)].join('\n'), targets };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  benchLargeResult().then(
    (r) => process.stdout.write(`${r.report}\n`),
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exit(1);
    },
  );
}
