/**
 * Before/after equality of the guardrails (issue 21): the same detections, verdicts and redacted values from an
 * older checkout of the source and from this one, over the five 1 MiB kinds of bench/output-kinds.ts (text and
 * structuredContent, with and without seeded secrets and PII), every string of the datasets it can read quickly,
 * and the leaves (paths, values, kinds) of each. `BEFORE=/path/to/old/checkout npx tsx bench/detector-equality.ts`
 * (the old checkout needs its src/ and test/support/); exits 1 on the first difference, with where it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { kinds, seeded, seededText } from './output-kinds.js';
import type * as Schema from '../src/config/schema.js';
import type * as Assemble from '../src/pipeline/assemble.js';
import type * as Run from '../src/pipeline/run.js';
import type * as Ctx from '../test/support/test-context.js';
import type * as Json from '../src/util/json-strings.js';
import type * as Secrets from '../src/guardrails/secrets.js';
import type * as Pii from '../src/guardrails/pii.js';
import type * as Decode from '../src/guardrails/decode.js';

const BEFORE = process.env.BEFORE;
if (!BEFORE) {
  process.stderr.write('detector-equality: set BEFORE to the old checkout\n');
  process.exit(2);
}
const ROOT = path.resolve(import.meta.dirname, '..');
const DATA = [path.join(ROOT, '..', 'shared', 'datasets'), path.join(ROOT, '..', '..', 'shared', 'datasets')].find(
  (p) => fs.existsSync(p),
);

interface Mods {
  schema: typeof Schema;
  assemble: typeof Assemble;
  run: typeof Run;
  ctx: typeof Ctx;
  json: typeof Json;
  secrets: typeof Secrets;
  pii: typeof Pii;
  decode: typeof Decode;
}
async function load(root: string): Promise<Mods> {
  const at = <T>(p: string) => import(path.join(root, p)) as Promise<T>;
  return {
    schema: await at<typeof Schema>('src/config/schema.ts'),
    assemble: await at<typeof Assemble>('src/pipeline/assemble.ts'),
    run: await at<typeof Run>('src/pipeline/run.ts'),
    ctx: await at<typeof Ctx>('test/support/test-context.ts'),
    json: await at<typeof Json>('src/util/json-strings.ts'),
    secrets: await at<typeof Secrets>('src/guardrails/secrets.ts'),
    pii: await at<typeof Pii>('src/guardrails/pii.ts'),
    decode: await at<typeof Decode>('src/guardrails/decode.ts'),
  };
}

function fail(where: string, a: unknown, b: unknown): never {
  // The rules found first (a verdict's value is long), then the start of the whole.
  const rules = (v: unknown) =>
    JSON.stringify(v)
      .match(/"rule(?:Id)?":"[^"]*"/g)
      ?.slice(0, 40) ?? [];
  const show = (v: unknown) => `${rules(v).join(' ')}\n${JSON.stringify(v, null, 1)?.slice(0, 2000)}`;
  process.stderr.write(`DIFFERENT at ${where}\nbefore: ${show(a)}\nafter:  ${show(b)}\n`);
  process.exit(1);
}

/** Dataset strings: every string value of the JSON and JSONL files under the datasets (up to `max` characters). */
function datasetTexts(max = 4_000_000): string[] {
  if (!DATA) return [];
  const out: string[] = [];
  let size = 0;
  const walk = (v: unknown): void => {
    if (size > max) return;
    if (typeof v === 'string') {
      if (v.length >= 3) {
        out.push(v);
        size += v.length;
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  const files: string[] = [];
  const find = (dir: string, depth: number) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 4) find(p, depth + 1);
      else if (/\.jsonl?$/.test(e.name) && fs.statSync(p).size < 30_000_000) files.push(p);
    }
  };
  find(DATA, 0);
  for (const f of files) {
    const raw = fs.readFileSync(f, 'utf8');
    try {
      walk(
        f.endsWith('.jsonl')
          ? raw
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as unknown)
          : JSON.parse(raw),
      );
    } catch {
      // not JSON after all: skipped
    }
  }
  return out;
}

async function main(): Promise<void> {
  const before = await load(BEFORE!);
  const after = await load(ROOT);
  // The decode's wall-clock budget, like the scan's, would make the comparison depend on the machine's load.
  before.decode.DEFAULT_DECODE_BUDGET.timeMs = after.decode.DEFAULT_DECODE_BUDGET.timeMs = 600_000;
  let compared = 0;
  const policies = (m: Mods) => {
    // No time budget: on a busy machine one side could run out of time and the other not.
    // Injection is not compared here (another piece of work owns it), and its model would dominate the run.
    const base = m.schema.DEFAULT_POLICY;
    const d = {
      ...base,
      limits: { ...base.limits, maxScanMs: 600_000 },
      input: { ...base.input, injection: 'off' as const },
    };
    return [
      { ...d, output: { ...d.output, injection: 'off' as const } },
      { ...d, output: { ...d.output, injection: 'off' as const, pii: 'block' as const, secrets: 'warn' as const } },
    ];
  };
  const pb = await Promise.all(policies(before).map((p) => before.assemble.assemblePipeline(p)));
  const pa = await Promise.all(policies(after).map((p) => after.assemble.assemblePipeline(p)));
  const results: [string, CallToolResult][] = [];
  const only = process.env.KINDS?.split(',');
  for (const k of kinds().filter((x) => !only || only.includes(x.name))) {
    const s = seeded(k);
    results.push([`${k.name} text`, k.text], [`${k.name} structured`, k.structured]);
    results.push([`${s.name} text`, s.text], [`${s.name} structured`, s.structured]);
  }
  for (const [name, r] of results) {
    const lb = before.json.stringLeaves(r, '').map((l) => [l.path, l.value, l.kind]);
    const la = after.json.stringLeaves(r, '').map((l) => [l.path, l.value, l.kind]);
    if (!isDeepStrictEqual(lb, la)) fail(`${name}: leaves`, lb.slice(0, 5), la.slice(0, 5));
    for (let i = 0; i < pb.length; i++) {
      const vb = await before.run.runStages(pb[i]!.response, r, before.ctx.testContext());
      const va = await after.run.runStages(pa[i]!.response, r, after.ctx.testContext());
      const strip = (v: typeof vb) => ({
        value: v.value,
        denied: v.denied && { ...v.denied, stage: v.denied.stage.name },
        trail: v.trail.map((t) => ({ ...t, ms: 0 })),
      });
      if (!isDeepStrictEqual(strip(vb), strip(va)))
        fail(`${name}: response stages (policy ${i})`, strip(vb), strip(va));
      compared++;
    }
    process.stdout.write(`same: ${name}\n`);
  }
  // Every dataset string, alone and as the arguments of a call, through both detectors and the input stage.
  const texts = process.env.NO_DATASETS ? [] : datasetTexts();
  const sb = before.secrets.createSecretsDetector();
  const sa = after.secrets.createSecretsDetector();
  const qb = before.pii.createPiiDetector();
  const qa = after.pii.createPiiDetector();
  const inB = pb[0]!.request.filter((s) => s.slot === 'input-guardrail');
  const inA = pa[0]!.request.filter((s) => s.slot === 'input-guardrail');
  let i = 0;
  for (const t0 of texts) {
    const t = i % 7 === 0 ? seededText(t0, i) : t0;
    for (const [b, a, id] of [
      [sb, sa, 'secrets'],
      [qb, qa, 'pii'],
    ] as const) {
      const db = b.scan(t, 'output');
      const da = a.scan(t, 'output');
      if (!isDeepStrictEqual(db, da)) fail(`dataset text ${i} (${id}): ${JSON.stringify(t.slice(0, 200))}`, db, da);
    }
    if (i % 5 === 0) {
      const args = { q: t, note: texts[i + 1] ?? '', list: [t.slice(0, 40), t.slice(40)] };
      const vb = await before.run.runStages(inB, before.ctx.testCall(args), before.ctx.testContext());
      const va = await after.run.runStages(inA, after.ctx.testCall(args), after.ctx.testContext());
      const strip = (v: typeof vb) => ({
        value: v.value,
        denied: v.denied && { ...v.denied, stage: v.denied.stage.name },
        trail: v.trail.map((x) => ({ ...x, ms: 0 })),
      });
      if (!isDeepStrictEqual(strip(vb), strip(va))) fail(`dataset args ${i}`, strip(vb), strip(va));
    }
    i++;
  }
  process.stdout.write(`same: ${compared} result runs, ${texts.length} dataset strings (secrets, pii, input stage)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
