/**
 * Tool-description scanning measured on real tool definitions (issue 16, item 5). For each set of
 * ../shared/datasets (read, never copied): how many poisoned tools the gate would hide, how many real tools it would
 * hide by mistake, and the median scan time per tool. Also the attack corpus of test/attack/descriptions.ts, its
 * development list and its held-out list side by side.
 *
 * It runs the scanner the gateway runs (createPoisoningScanner), one server at a time with every other server of the
 * same set as its neighbours (as the gate does with the rest of a configuration), and counts a tool as flagged when
 * the gate, with the default policy (integrity.poisoning from the config schema's defaults), would hide it: an
 * unscannable definition always, otherwise a finding at or above minSeverity when the action is block.
 *
 * `tsx bench/eval-descriptions.ts [--misses]` prints the table alone; bench/eval.ts calls evalDescriptions().
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ToolLike } from '../src/integrity/hash.js';
import { createPoisoningScanner, type OtherServer } from '../src/integrity/poisoning.js';
import {
  BENIGN,
  CANDIDATE,
  HELD_OUT_BENIGN,
  HELD_OUT_POISONED,
  hiddenByDefault,
  OTHER_SERVERS,
  POISONED,
  type DescriptionCase,
} from '../test/attack/descriptions.js';

export interface DescriptionRow {
  set: string;
  positives: number;
  /** Positives the gate would hide. */
  found: number;
  negatives: number;
  /** Negatives the gate would hide. */
  flagged: number;
  /** Median time to scan one tool, in microseconds (the context of its server prepared beforehand). */
  medianMicros: number;
  /** With --misses: what was missed and what was flagged, one line each. */
  misses?: string[];
}

interface Entry {
  server: string;
  tool: ToolLike;
  poisoned: boolean;
  /** The candidate server's own tools, when not the rest of its set (the corpus). */
  own?: string[];
  others?: readonly OtherServer[];
}

function readJsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The fields of a definition the gateway relays; the datasets' bookkeeping (labels, file, category) is not. */
function toTool(r: Record<string, unknown>): ToolLike {
  const t: Record<string, unknown> = { name: r.name, inputSchema: r.inputSchema ?? { type: 'object' } };
  for (const k of ['title', 'description', 'outputSchema', 'annotations', '_meta'])
    if (r[k] !== undefined && r[k] !== null) t[k] = r[k];
  return t as unknown as ToolLike;
}

function scanEntries(set: string, entries: Entry[], showMisses: boolean): DescriptionRow {
  const scanner = createPoisoningScanner();
  const byServer = new Map<string, string[]>();
  for (const e of entries) byServer.set(e.server, [...(byServer.get(e.server) ?? []), e.tool.name]);
  const allServers: OtherServer[] = [...byServer].map(([server, tools]) => ({ server, tools }));
  // One context object per server, as scanTools makes: what is prepared from it is prepared once.
  const contexts = new Map<string, { server: string; others: readonly OtherServer[]; own: string[] }>();
  const row: DescriptionRow = { set, positives: 0, found: 0, negatives: 0, flagged: 0, medianMicros: 0 };
  const times: number[] = [];
  const misses: string[] = [];
  for (const e of entries) {
    const key = e.own === undefined && e.others === undefined ? e.server : `${e.server}\u0000${e.tool.name}`;
    let ctx = contexts.get(key);
    if (ctx === undefined) {
      ctx = {
        server: e.server,
        others: e.others ?? allServers.filter((o) => o.server !== e.server),
        own: e.own ?? byServer.get(e.server) ?? [],
      };
      contexts.set(key, ctx);
      // What a context gives every tool (the other servers' names, matchers) is built once per tool list; built here,
      // outside the timing, so that the figure is the time per tool.
      scanner.scanTool({ name: '', inputSchema: { type: 'object' } }, ctx);
    }
    const start = performance.now();
    const findings = scanner.scanTool(e.tool, ctx);
    times.push((performance.now() - start) * 1000);
    const hidden = findings.filter(hiddenByDefault);
    if (e.poisoned) {
      row.positives++;
      if (hidden.length > 0) row.found++;
      else if (showMisses) misses.push(`MISSED  ${e.server}/${e.tool.name}: ${e.tool.description?.slice(0, 160)}`);
    } else {
      row.negatives++;
      if (hidden.length > 0) {
        row.flagged++;
        if (showMisses)
          misses.push(
            `FLAGGED ${e.server}/${e.tool.name}: ${hidden.map((f) => `${f.severity} ${f.ruleId}@${f.where} ${f.excerpt ?? f.message}`).join(' | ')}`,
          );
      }
    }
  }
  times.sort((a, b) => a - b);
  row.medianMicros = Math.round(times[Math.floor(times.length / 2)] ?? 0);
  if (showMisses) row.misses = misses;
  return row;
}

function corpusEntries(poisoned: DescriptionCase[], benign: DescriptionCase[]): Entry[] {
  return [...poisoned.map((c) => ({ c, poisoned: true })), ...benign.map((c) => ({ c, poisoned: false }))].map(
    ({ c, poisoned }) => ({ server: CANDIDATE, tool: c.tool, poisoned, own: c.own ?? [], others: OTHER_SERVERS }),
  );
}

export async function evalDescriptions(dataDir: string, opts: { misses?: boolean } = {}): Promise<DescriptionRow[]> {
  const show = opts.misses ?? false;
  const sets: [string, Entry[]][] = [];
  const load = (folder: string) => readJsonl(path.join(dataDir, folder, 'tools.jsonl'));
  sets.push([
    'mcp-tools-livemcpbench',
    load('mcp-tools-livemcpbench').map((r) => ({ server: String(r.server), tool: toTool(r), poisoned: false })),
  ]);
  sets.push([
    'github-mcp-server',
    load('github-mcp-server').map((r) => ({ server: 'github', tool: toTool(r), poisoned: false })),
  ]);
  sets.push([
    'enkrypt-bad-mcps',
    load('enkrypt-bad-mcps').map((r) => ({
      server: String(r.server),
      tool: toTool(r),
      poisoned: r.description_label === 1,
    })),
  ]);
  sets.push([
    'mcp-scanner-evals',
    load('mcp-scanner-evals').map((r) => ({
      // A server per file; named as a configuration would name it, not by its path.
      server: path.basename(String(r.file), '.py'),
      tool: toTool(r),
      poisoned: r.description_label === 1,
    })),
  ]);
  sets.push(['attack corpus (dev)', corpusEntries(POISONED, BENIGN)]);
  sets.push(['attack corpus (held-out)', corpusEntries(HELD_OUT_POISONED, HELD_OUT_BENIGN)]);
  await Promise.resolve();
  return sets.map(([name, entries]) => scanEntries(name, entries, show));
}

const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);

export function formatDescriptionRows(rows: readonly DescriptionRow[]): string {
  const lines = [
    '| set | poisoned found | real tools flagged | median µs/tool |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.set} | ${r.positives === 0 ? '-' : `${r.found}/${r.positives} (${pct(r.found, r.positives)})`} | ${r.negatives === 0 ? '-' : `${r.flagged}/${r.negatives} (${pct(r.flagged, r.negatives)})`} | ${r.medianMicros} |`,
    ),
  ];
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dataDir = process.env.DATASETS ?? path.join(root, '..', 'shared', 'datasets');
  const rows = await evalDescriptions(dataDir, { misses: process.argv.includes('--misses') });
  console.log(formatDescriptionRows(rows));
  // The held-out corpus is counted, never listed: its misses are not read while tuning.
  for (const r of rows) if (!r.set.includes('held-out')) for (const m of r.misses ?? []) console.log(`[${r.set}] ${m}`);
}
