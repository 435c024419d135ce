/**
 * In-process figures for the parameter checks (issue 4), printed by `npm run bench` after the end-to-end ones:
 * the median time the argument stage adds to a call (typical calls: a file read with a path, a fetch with a URL, a
 * call with no checkable argument), and how the attack corpus in test/support/arg-corpus.ts fares: attacks blocked
 * with the expected rule, benign look-alikes passed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../src/log.js';
import { RedactionVault } from '../src/pipeline/vault.js';
import { createSession } from '../src/pipeline/session.js';
import { LOCAL_PRINCIPAL, type CallContext, type ToolCall } from '../src/pipeline/types.js';
import { createArgumentsStage } from '../src/policy/arguments.js';
import { evaluateCorpus } from '../test/support/arg-corpus.js';

interface Case {
  name: string;
  tool: Tool;
  args: Record<string, unknown>;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export async function benchParameterChecks(): Promise<string> {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smg-bench-args-')));
  fs.writeFileSync(path.join(root, 'notes.txt'), 'x');
  const schema = (props: Record<string, object>) => ({ type: 'object' as const, properties: props });
  const cases: Case[] = [
    {
      name: 'read_text_file {path} (inferred path, inside the roots)',
      tool: { name: 'read_text_file', inputSchema: schema({ path: { type: 'string' } }) },
      args: { path: path.join(root, 'notes.txt') },
    },
    {
      name: 'fetch {url} (inferred URL, public host)',
      tool: { name: 'fetch', inputSchema: schema({ url: { type: 'string', format: 'uri' } }) },
      args: { url: 'https://example.com/docs?page=2' },
    },
    {
      name: 'echo {text} (nothing to check)',
      tool: { name: 'echo', inputSchema: schema({ text: { type: 'string' } }) },
      args: { text: 'hello world' },
    },
  ];
  const stage = createArgumentsStage({ mode: 'enforce', infer: true });
  const rows: string[] = [];
  try {
    for (const c of cases) {
      const ctx: CallContext = {
        callId: 'bench',
        server: 'bench',
        identity: 'local',
        principal: LOCAL_PRINCIPAL,
        session: createSession('bench'),
        serverPolicy: { roots: [root], cwd: root, arguments: {}, annotations: {} },
        tool: c.tool,
        arguments: c.args,
        signal: new AbortController().signal,
        log: silentLogger(),
        vault: new RedactionVault(),
        notes: new Map(),
      };
      const call: ToolCall = {
        exposedName: `bench__${c.tool.name}`,
        server: 'bench',
        tool: c.tool.name,
        arguments: c.args,
      };
      for (let i = 0; i < 2000; i++) await stage.check(call, ctx);
      const samples: number[] = [];
      for (let round = 0; round < 50; round++) {
        const t0 = performance.now();
        for (let i = 0; i < 200; i++) await stage.check(call, ctx);
        samples.push(((performance.now() - t0) * 1000) / 200);
      }
      rows.push(`| ${c.name} | ${median(samples).toFixed(1)} µs |`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const tally = await evaluateCorpus();
  const corpus = tally.map(
    (t) =>
      `| ${t.kind} | ${t.blocked}/${t.attacks} | ${t.passed}/${t.benign} |${t.misses.length ? ` ${t.misses.join('; ')}` : ''}`,
  );
  const sum = (f: (t: (typeof tally)[number]) => number) => tally.reduce((a, t) => a + f(t), 0);
  return [
    '## Parameter checks (in process)',
    '',
    '| call | argument stage, median per call |',
    '| --- | ---: |',
    ...rows,
    '',
    '| kind | attacks blocked (expected rule) | benign look-alikes passed |',
    '| --- | ---: | ---: |',
    ...corpus,
    `| all | ${sum((t) => t.blocked)}/${sum((t) => t.attacks)} | ${sum((t) => t.passed)}/${sum((t) => t.benign)} |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchParameterChecks());
