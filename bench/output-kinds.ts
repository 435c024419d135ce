/**
 * The output guardrails over 1 MiB of each kind of tool result (issue 21): prose, README text, JSON, base64-heavy
 * text and minified code, each as one text part and as structuredContent (the JSON parsed; the other kinds as rows of
 * short strings, the shape a database or a file-listing tool returns), plus the big-result fixture's rows. Every
 * kind is benign and built from what is on disk (the datasets, node_modules), deterministically; `seeded()` plants
 * secrets and PII in each (an encoded secret in the base64 kind) for the equality tests.
 *
 * `npx tsx bench/output-kinds.ts [--only=pii,secrets] [--rounds=N]`: median ms (wall and CPU) of the whole response
 * side of the default policy, per kind, and per detector with only that one on. Run it with
 * `node --cpu-prof --import tsx` to profile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { rows } from '../test/fixtures/big-result-rows.js';

// BENCH_ROOT: the checkout, when this file runs bundled from elsewhere.
const ROOT = process.env.BENCH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// A git worktree sits one level deeper than the checkout.
const DATA =
  process.env.SMG_DATASETS ??
  [path.join(ROOT, '..', 'shared', 'datasets'), path.join(ROOT, '..', '..', 'shared', 'datasets')].find((p) =>
    fs.existsSync(p),
  )!;
const NM = path.join(ROOT, 'node_modules');
const MIB = 1024 * 1024;

/** `pieces` joined with `sep`, repeated in order until `bytes` characters, then cut at a piece boundary. */
function fill(pieces: string[], sep: string, bytes = MIB): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const p = pieces[i % pieces.length]!;
    out.push(p);
    size += p.length + sep.length;
  }
  return out.join(sep).slice(0, bytes);
}

function readJsonl(rel: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(DATA, rel), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function prose(): string {
  const emails = readJsonl('bipia/benchmark/email/train.jsonl').map((r) =>
    Array.isArray(r.context) ? r.context.join('\n') : String(r.context),
  );
  return fill(emails, '\n\n');
}

function readmes(): string {
  const names = fs.readdirSync(NM).sort();
  const texts = names
    .map((n) => path.join(NM, n, 'README.md'))
    .filter((p) => fs.existsSync(p))
    .map((p) => fs.readFileSync(p, 'utf8'));
  return fill(texts, '\n\n');
}

/** package.json manifests of node_modules as one JSON array: nested objects, URLs, versions, many short strings. */
function jsonValue(): unknown[] {
  const out: unknown[] = [];
  let size = 0;
  const names = fs.readdirSync(NM).sort();
  for (let round = 0; size < MIB; round++) {
    for (const n of names) {
      const p = path.join(NM, n, 'package.json');
      if (!fs.existsSync(p)) continue;
      const v = JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;
      out.push({ ...v, round });
      size += JSON.stringify(v).length;
      if (size >= MIB) break;
    }
  }
  return out;
}

/** Files as base64, as a tool that returns attachments inline would: binary (wasm, images, gzip) and some text. */
function base64Heavy(): string {
  const files = [
    ...['node_modules/typescript/lib/lib.dom.d.ts', 'node_modules/zod/package.json'],
    ...findFiles(NM, /\.(png|wasm|gz|woff2?|ico|jpg)$/, 40),
  ];
  const pieces = files
    .filter((f) => fs.existsSync(path.resolve(ROOT, f)))
    .map((f) => {
      const bytes = fs.readFileSync(path.resolve(ROOT, f)).subarray(0, 48 * 1024);
      return `attachment ${path.basename(f)} (${bytes.length} bytes):\n${bytes.toString('base64')}`;
    });
  return fill(pieces, '\n\n');
}

function findFiles(dir: string, re: RegExp, max: number, out: string[] = [], depth = 0): string[] {
  if (out.length >= max || depth > 6) return out;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return out;
  }
  for (const e of entries) {
    if (out.length >= max) break;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findFiles(p, re, max, out, depth + 1);
    else if (re.test(e.name)) out.push(path.relative(ROOT, p));
  }
  return out;
}

function minified(): string {
  const files = [
    'libphonenumber-js/bundle/libphonenumber-js.min.js',
    'jszip/dist/jszip.min.js',
    'pako/dist/pako.min.js',
    'esquery/dist/esquery.min.js',
    'glob/dist/esm/index.min.js',
  ].map((f) => path.join(NM, f));
  return fill(
    files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8')),
    '\n',
  );
}

/** The big-result fixture's rows (test/fixtures/big-result-server.ts). */
const fixtureRows = (): Record<string, unknown>[] => rows(MIB / 1024);

/**
 * A text as rows of short strings: its lines, short ones joined up to 80 characters and long ones cut at 160, with an
 * id and a file name each.
 */
function asRows(text: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const push = (t: string) => rows.push({ id: rows.length, file: `part-${rows.length % 13}.txt`, text: t });
  let pending = '';
  for (const line of text.split('\n')) {
    for (let at = 0; at < Math.max(1, line.length); at += 160) {
      pending = pending === '' ? line.slice(at, at + 160) : `${pending}\n${line.slice(at, at + 160)}`;
      if (pending.length >= 80) {
        push(pending);
        pending = '';
      }
    }
  }
  if (pending !== '') push(pending);
  return rows;
}

export interface Kind {
  name: string;
  text: CallToolResult;
  structured: CallToolResult;
}

const textResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }] });
const structuredResult = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: 'rows attached' }],
  structuredContent: { rows: value },
});

export function kinds(): Kind[] {
  const json = jsonValue();
  const out: Kind[] = [
    { name: 'prose', text: prose() },
    { name: 'readme', text: readmes() },
    { name: 'json', text: JSON.stringify(json, null, 1).slice(0, MIB), value: json },
    { name: 'base64', text: base64Heavy() },
    { name: 'minified', text: minified() },
  ].map((k) => ({
    name: k.name,
    text: textResult(k.text),
    structured: structuredResult('value' in k ? k.value : asRows(k.text)),
  }));
  out.push({
    name: 'fixture-rows',
    text: textResult(
      fixtureRows()
        .map((r) => JSON.stringify(r))
        .join('\n'),
    ),
    structured: structuredResult(fixtureRows()),
  });
  return out;
}

/** Secrets and PII to plant: each must be found wherever it is planted. Fake values of the real formats. */
export const SEEDS = [
  'AKIAZ7QX3MBV5KD2PLWU',
  'ghp_' + 'R8q2Lm4Xv7Nc1Tb9Kp3Wz6Hs5Jd0Fa2Yg8Qe',
  'xoxb-' + '2718281828-3141592653589-Zq7Rm2Lx9Vc4Nb8Tk1Wp5Hs3',
  'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dcTq',
  'postgres://admin:Vq8#mZ2xL9pR@db.internal.example.com:5432/app',
  'jane.doe.1987@example-mail.com',
  '4111 1111 1111 1111',
  'GB82 WEST 1234 5698 7654 32',
  'SSN 536-90-4399',
  '+1 (415) 555-2671',
  'server at 203.0.113.77 and 2001:db8:85a3::8a2e:370:7334',
];

/** `text` with every seed planted at a few spread positions, and one secret base64-encoded inside a blob. */
export function seededText(text: string, salt = 0): string {
  const parts: string[] = [];
  const step = Math.floor(text.length / (SEEDS.length + 2));
  let at = 0;
  SEEDS.forEach((seed, i) => {
    // At a line break near the step, so a seed does not glue onto a word (the detectors rightly refuse that).
    let cut = text.indexOf('\n', (i + 1) * step + salt);
    if (cut < 0) cut = Math.min(text.length, (i + 1) * step);
    parts.push(text.slice(at, cut), `\ncontact: ${seed}\n`);
    at = cut;
  });
  const encoded = Buffer.from(`aws_access_key_id = ${SEEDS[0]}\n`).toString('base64');
  parts.push(text.slice(at), `\nblob: ${encoded}\n`);
  return parts.join('');
}

export function seeded(k: Kind): Kind {
  const t = (k.text.content[0] as { text: string }).text;
  const rows = asRows(seededText(t.slice(0, 200_000), 7));
  return {
    name: `${k.name}+seeds`,
    text: textResult(seededText(t)),
    structured: { ...k.structured, structuredContent: { rows: k.structured.structuredContent?.rows, seeded: rows } },
  };
}

async function main(): Promise<void> {
  const { DEFAULT_POLICY } = await import('../src/config/schema.js');
  const { assemblePipeline } = await import('../src/pipeline/assemble.js');
  const { runStages } = await import('../src/pipeline/run.js');
  const { testContext } = await import('../test/support/test-context.js');
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const rounds = Math.max(3, Number(arg('rounds') ?? 7));
  const only = arg('only')?.split(',');
  const which = arg('kinds')?.split(',');
  const ids = ['injection', 'pii', 'secrets', 'keywords', 'toxicity'] as const;
  const variants: [string, typeof DEFAULT_POLICY][] = [['all (default policy)', DEFAULT_POLICY]];
  for (const id of only ?? ['injection', 'pii', 'secrets']) {
    const output = Object.fromEntries(ids.map((d) => [d, d === id ? DEFAULT_POLICY.output[d] : 'off']));
    variants.push([`${id} only`, { ...DEFAULT_POLICY, output: output as typeof DEFAULT_POLICY.output }]);
  }
  if (only) variants.shift();
  if (process.argv.includes('--all-only')) variants.splice(1);
  // The detectors but injection (another piece of work owns it), for a profile of the rest.
  if (process.argv.includes('--no-injection'))
    variants.splice(0, variants.length, [
      'all but injection',
      { ...DEFAULT_POLICY, output: { ...DEFAULT_POLICY.output, injection: 'off' } },
    ]);
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const all = kinds().filter((k) => !which || which.includes(k.name));
  console.log(`# output guardrails, 1 MiB per kind, median of ${rounds - 2} (load ${load})`);
  console.log('| variant | kind | text ms (cpu) | structured ms (cpu) | verdicts |');
  console.log('| --- | --- | ---: | ---: | --- |');
  for (const [label, policy] of variants) {
    const response = (await assemblePipeline(policy)).response;
    for (const k of all) {
      const cells: string[] = [];
      const verdicts: string[] = [];
      const shape = arg('shape');
      for (const r of [k.text, k.structured]) {
        if ((shape === 'text' && r === k.structured) || (shape === 'structured' && r === k.text)) {
          cells.push('—');
          continue;
        }
        const wall: number[] = [];
        const cpu: number[] = [];
        let verdict = '';
        for (let i = 0; i < rounds; i++) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const run = await runStages(response, r, testContext());
          wall.push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          cpu.push((c.user + c.system) / 1000);
          verdict = run.denied ? `deny ${run.denied.ruleId}` : run.trail.map((t) => t.action).join('/');
        }
        const med = (xs: number[]) => xs.slice(2).sort((a, b) => a - b)[(xs.length - 2) >> 1]!;
        cells.push(`${med(wall).toFixed(1)} (${med(cpu).toFixed(1)})`);
        verdicts.push(verdict);
      }
      console.log(`| ${label} | ${k.name} | ${cells[0]} | ${cells[1]} | ${verdicts.join(' ; ')} |`);
    }
  }
}

// Bundled (BENCH_ROOT), import.meta.url is the bundle's: BENCH_KINDS_MAIN says to run.
if (
  process.env.BENCH_ROOT
    ? process.env.BENCH_KINDS_MAIN
    : process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  main().catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
}
