/**
 * What the injection detector costs (`npx tsx bench/injection-speed.ts`): CPU ms per 1 MB tool result of five kinds
 * (prose, README markdown, JSON, text with large base64 blobs, minified JavaScript) and µs per small call (the
 * strings of one echo call, arguments and result), for the rules alone, the learned model alone (scoreText) and the
 * whole detector. The texts are real benign text from node_modules and the BIPIA contexts, built once per run; nothing
 * is written. `--ab=<dir>`: also time the detector at <dir>/src (another checkout) in the same process, alternating,
 * so that a before/after comparison shares the machine's load. `--rounds=N` (default 9, the first two warm-up).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as InjectionModule from '../src/guardrails/injection.js';
import type * as ModelModule from '../src/guardrails/model/model.js';
import type { Detector, Where } from '../src/guardrails/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODULES = fs.realpathSync(path.join(ROOT, 'node_modules'));
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ROUNDS = Math.max(3, Number(arg('rounds') ?? 9));
const MB = 1 << 20;
/** $SMG_DATASETS, or ../shared/datasets beside the checkout (two levels up from a git worktree under wt/). */
export const DATA =
  process.env.SMG_DATASETS ??
  [path.join(ROOT, '..', 'shared', 'datasets'), path.join(ROOT, '..', '..', 'shared', 'datasets')].find((d) =>
    fs.existsSync(d),
  ) ??
  path.join(ROOT, '..', 'shared', 'datasets');

/** Repeats pieces, in order, until the text reaches 1 MiB, and cuts it there at a line break. */
function fill(pieces: string[], sep = '\n\n'): string {
  let out = '';
  for (let i = 0; out.length < MB; i++) out += pieces[i % pieces.length]! + sep;
  const cut = out.lastIndexOf('\n', MB);
  return out.slice(0, cut > MB / 2 ? cut : MB);
}

function readmes(): string[] {
  const out: string[] = [];
  for (const dir of fs.readdirSync(MODULES).sort()) {
    const full = path.join(MODULES, dir);
    const pkgs = dir.startsWith('@') ? fs.readdirSync(full).map((d) => path.join(full, d)) : [full];
    for (const pkg of pkgs) {
      for (const name of ['README.md', 'readme.md', 'Readme.md']) {
        const f = path.join(pkg, name);
        if (fs.existsSync(f)) {
          out.push(fs.readFileSync(f, 'utf8'));
          break;
        }
      }
    }
  }
  return out;
}

/** A deterministic byte stream (xorshift), so that base64 blobs are the same in every run. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function corpus(): Record<string, string> {
  const prose = (['email'] as const).flatMap((task) =>
    fs
      .readFileSync(path.join(DATA, `bipia/benchmark/${task}/train.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const row = JSON.parse(l) as { context: unknown };
        return Array.isArray(row.context) ? row.context.join('\n') : String(row.context);
      }),
  );
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  const rows = Object.entries(lock.packages).map(([k, v]) => ({ path: k, ...(v as object) }));
  const json = JSON.stringify({ rows: [...rows, ...rows, ...rows, ...rows, ...rows, ...rows] }, null, 2);
  const paragraphs = prose.flatMap((p) => p.split(/\n\s*\n/)).filter((p) => p.length > 80);
  const blobs: string[] = [];
  for (let i = 0; i < 40; i++) {
    blobs.push(paragraphs[i % paragraphs.length]!);
    blobs.push(`attachment-${i}.bin:\n` + bytes(12_000 + i * 300, i + 7).toString('base64'));
  }
  const minified = ['libphonenumber-js/bundle/libphonenumber-js.min.js', 'eslint/node_modules/ajv/dist/ajv.min.js'].map(
    (f) => fs.readFileSync(path.join(MODULES, f), 'utf8'),
  );
  return {
    prose: fill(prose),
    readme: fill(readmes()),
    json: json.slice(0, json.lastIndexOf('\n', MB)),
    base64: fill(blobs),
    minified: fill(minified, '\n'),
  };
}

/** The strings that one echo call puts through the detector: argument key and value, result keys and text. */
export const SMALL_CALL: [string, Where][] = [
  ['message', 'input'],
  ['hello world 1234', 'input'],
  ['content', 'output'],
  ['type', 'output'],
  ['text', 'output'],
  ['Echo: hello world 1234', 'output'],
];

interface Impl {
  name: string;
  rules: Detector;
  whole: Detector;
  model: (text: string, where: Where) => unknown;
}

async function load(src: string, name: string): Promise<Impl> {
  const inj = (await import(path.join(src, 'guardrails/injection.ts'))) as typeof InjectionModule;
  const mod = (await import(path.join(src, 'guardrails/model/model.ts'))) as typeof ModelModule;
  const learned = mod.sharedModel(path.join(ROOT, 'models/injection.bin'));
  return {
    name,
    rules: inj.createInjectionDetector({ model: { enabled: false } }),
    whole: inj.createInjectionDetector({ model: { enabled: true, path: path.join(ROOT, 'models/injection.bin') } }),
    model: (text, where) => mod.scoreText(learned, text, where, learned.header.thresholds[where]),
  };
}

function cpuMs(f: () => void, reps = 1): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000 / reps;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function main(): Promise<void> {
  const impls = [await load(path.join(ROOT, 'src'), 'this')];
  const ab = arg('ab');
  if (ab) impls.unshift(await load(path.join(path.resolve(ab), 'src'), 'ab'));
  const texts = corpus();
  const parts = ['rules', 'model', 'whole'] as const;
  const run = (impl: Impl, part: (typeof parts)[number], text: string, where: Where): void => {
    if (part === 'model') impl.model(text, where);
    else impl[part].scan(text, where);
  };
  const rows: string[] = [];
  const times = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [kind, text] of Object.entries(texts)) {
      for (const part of parts) {
        for (const impl of impls) {
          const ms = cpuMs(() => run(impl, part, text, 'output'));
          if (r >= 2)
            times.set(`${impl.name} ${kind} ${part}`, [...(times.get(`${impl.name} ${kind} ${part}`) ?? []), ms]);
        }
      }
    }
    for (const part of parts) {
      for (const impl of impls) {
        const us =
          1000 *
          cpuMs(() => {
            for (const [t, w] of SMALL_CALL) run(impl, part, t, w);
          }, 2000);
        if (r >= 2) times.set(`${impl.name} small ${part}`, [...(times.get(`${impl.name} small ${part}`) ?? []), us]);
      }
    }
  }
  const kinds = [...Object.keys(texts), 'small'];
  rows.push(
    `# injection detector CPU (median of ${ROUNDS - 2}; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  rows.push(`| impl | part | ${kinds.map((k) => (k === 'small' ? 'small call µs' : `${k} ms/MB`)).join(' | ')} |`);
  rows.push(`| --- | --- | ${kinds.map(() => '---:').join(' | ')} |`);
  for (const part of parts) {
    for (const impl of impls) {
      rows.push(
        `| ${impl.name} | ${part} | ${kinds.map((k) => median(times.get(`${impl.name} ${k} ${part}`)!).toFixed(k === 'small' ? 1 : 2)).join(' | ')} |`,
      );
    }
  }
  process.stderr.write(rows.join('\n') + '\n');
}

if (process.argv[1]?.endsWith('injection-speed.ts')) await main();
