/**
 * The cost of reading every string of a large result (issue 15): the same SDK Client calls a fixture server for a
 * 1 MiB result, directly and through the built gateway with the default policy, alternating, and the table shows the
 * p50 of each and the difference. In-process rows time the traversal alone (every string, keys included) and the
 * whole output-guardrail stage over the same results, and the input-guardrail stage over a small call's arguments.
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

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** BENCH_GATEWAY_BIN runs another build of the gateway, for an A/B comparison. */
const BIN = path.resolve(process.env.BENCH_GATEWAY_BIN ?? path.join(ROOT, 'bin/secure-mcp-gateway.js'));
const FIXTURE = path.join(ROOT, 'test/fixtures/big-result-server.ts');
const CALLS = intEnv('BENCH_LARGE_CALLS', 15);
const KB = 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

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

async function time(client: Client, name: string): Promise<number> {
  const t0 = performance.now();
  const r = (await client.callTool({ name, arguments: { kb: KB } })) as CallToolResult;
  const ms = performance.now() - t0;
  if (r.isError) throw new Error(`${name} was refused: ${JSON.stringify(r.content).slice(0, 300)}`);
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

export async function benchLargeResult(): Promise<string> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-large-'));
  const direct = await connect(true, home);
  const gateway = await connect(false, home);
  const rows: string[][] = [];
  try {
    for (const [label, tool] of [
      ['1 MiB text result', 'big'],
      ['1 MiB structuredContent (rows)', 'rows'],
    ] as const) {
      const d: number[] = [];
      const g: number[] = [];
      await time(direct, tool);
      await time(gateway, `big__${tool}`);
      for (let i = 0; i < CALLS; i++) {
        d.push(await time(direct, tool));
        g.push(await time(gateway, `big__${tool}`));
      }
      const [md, mg] = [median(d), median(g)];
      rows.push([label, `${md.toFixed(1)} ms`, `${mg.toFixed(1)} ms`, `+${(mg - md).toFixed(1)} ms`]);
    }
    // The same results in-process: the traversal alone, then the whole output-guardrail side of the default policy.
    const text = (await direct.callTool({ name: 'big', arguments: { kb: KB } })) as CallToolResult;
    const structured = (await direct.callTool({ name: 'rows', arguments: { kb: KB } })) as CallToolResult;
    const pipeline = await assemblePipeline(DEFAULT_POLICY);
    const response = pipeline.response;
    const input = pipeline.request.filter((s) => s.slot === 'input-guardrail');
    const stageMs = async (r: CallToolResult) => {
      const samples: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        await runStages(response, r, testContext());
        samples.push(performance.now() - t0);
      }
      return median(samples.slice(2));
    };
    const small = testCall({ path: '/home/alice/project/README.md', head: 20, note: 'read the intro' });
    const perCall: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await runStages(input, small, testContext());
      if (i >= 200) perCall.push(performance.now() - t0);
    }
    const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);
    rows.push([
      'traversal alone (collect every string), 1 MiB text',
      '',
      fmt(inProcess(() => stringLeaves(text, ''), 15)),
      '',
    ]);
    rows.push([
      'traversal alone (collect every string), 1 MiB rows',
      '',
      fmt(inProcess(() => stringLeaves(structured, ''), 15)),
      '',
    ]);
    rows.push(['output guardrails, 1 MiB text', '', fmt(await stageMs(text)), '']);
    rows.push(['output guardrails, 1 MiB rows', '', fmt(await stageMs(structured)), '']);
    rows.push(['input guardrails, one small call (p50)', '', fmt(median(perCall)), '']);
  } finally {
    await direct.close().catch(() => undefined);
    await gateway.close().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  }
  const head = ['large results (default policy)', 'direct p50', 'gateway p50', 'added'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  benchLargeResult().then(
    (t) => process.stdout.write(`${t}\n`),
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exit(1);
    },
  );
}
