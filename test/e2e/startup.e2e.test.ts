/**
 * The start-up import graph of the built command (issue 21): `--version`, `--help` and a usage error load commander
 * and the command line alone, and `start` loads the stdio gateway without the modules only other commands or other
 * configs use (HTTP serving, the AI proxy, OpenTelemetry, Redis, PDF parsing, doctor, scan). Each run records the
 * files Node loads through a loader hook (`node --import`, written below).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from '../helpers/gateway.js';

/**
 * `node --import <HOOK>`: appends "<bytes>\t<url>" for every module the process loads to $SMG_RECORD_LOADS. The
 * hooks run on Node's loader thread; the process under test is otherwise unchanged.
 */
const HOOK = (() => {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'hooks.mjs'),
    [
      "import fs from 'node:fs';",
      'export async function load(url, context, next) {',
      '  const r = await next(url, context);',
      '  fs.appendFileSync(process.env.SMG_RECORD_LOADS, `${r.source?.length ?? 0}\\t${url}\\n`);',
      '  return r;',
      '}',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'record.mjs'),
    "import { register } from 'node:module';\nregister(new URL('./hooks.mjs', import.meta.url));\n",
  );
  return path.join(dir, 'record.mjs');
})();

/** Runs the built command; returns its exit code and each dist/ file it loaded, with its size. */
function loads(args: string[], config?: object): { code: number | null; files: Map<string, number>; total: number } {
  const home = tempDir();
  const record = path.join(home, 'loads.tsv');
  if (config) fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home, SMG_RECORD_LOADS: record },
    input: '',
    encoding: 'utf8',
    timeout: 30_000,
  });
  const files = new Map<string, number>();
  for (const line of fs.readFileSync(record, 'utf8').trim().split('\n')) {
    const [bytes, url] = line.split('\t') as [string, string];
    const file = url.startsWith('file:') ? path.relative(ROOT, new URL(url).pathname) : url;
    if (file.startsWith('dist/')) files.set(file, Number(bytes));
  }
  return { code: r.status, files, total: [...files.values()].reduce((a, b) => a + b, 0) };
}

/** The text of every dist/ file a run loaded. */
function loadedText(files: Map<string, number>): string {
  return [...files.keys()].map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
}

describe('the start-up import graph', () => {
  // Before issue 21 each of these loaded 1.49 MB of bundle (zod, ajv, the SDK, every guardrail): now ~76 kB.
  it.each([
    [['--version'], 0],
    [['--help'], 0],
    [['start', '--help'], 0],
    [['serve', '--help'], 0],
    [['no-such-command', 'x'], 2],
    [['start', '--log-level', 'loud'], 2],
  ])('%j loads the command line alone (≤ 120 kB of bundle)', (args, code) => {
    for (let i = 0; i < 2; i++) {
      const r = loads(args);
      expect(r.code).toBe(code);
      expect(r.files.has('dist/cli.js')).toBe(true);
      expect(r.total).toBeLessThan(120_000);
    }
  });

  it('start loads the stdio gateway without the modules of other commands and configs', () => {
    const r = loads(['start'], { servers: {}, log: { level: 'warn', file: false } });
    expect(r.code).toBe(0);
    const text = loadedText(r.files);
    // The gateway itself is there (a sanity check of the recording)...
    expect(text).toContain('notifications/tools/list_changed');
    // ...and these are not: each is a string that only its module holds, and the bundle does hold it.
    const all = fs
      .readdirSync(path.join(ROOT, 'dist/chunks'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => fs.readFileSync(path.join(ROOT, 'dist/chunks', f), 'utf8'))
      .join('\n');
    for (const marker of [
      'OTEL_EXPORTER_OTLP', // OpenTelemetry (audit/otel.ts)
      'Invalid PDF structure', // pdfjs (guardrails/judge/documents.ts)
      'text/event-stream', // Streamable HTTP: serving, remote upstreams
      '/v1/messages', // the AI proxy's endpoints (llm/)
    ]) {
      expect(all.includes(marker), marker).toBe(true);
      expect(text.includes(marker), marker).toBe(false);
    }
  });
});

describe('the bundle', () => {
  it("keeps zod's English error messages only (build.mjs: englishZod)", () => {
    const chunks = fs.readdirSync(path.join(ROOT, 'dist/chunks')).filter((f) => f.endsWith('.js'));
    const holding = (s: string) =>
      chunks.filter((f) => fs.readFileSync(path.join(ROOT, 'dist/chunks', f), 'utf8').includes(s));
    expect(holding('Invalid input').length).toBeGreaterThan(0); // en
    expect(holding('Eingabe')).toEqual([]); // de
  });
});
