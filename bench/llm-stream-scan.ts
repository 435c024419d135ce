/**
 * The cost of scanning a streamed completion (src/llm/stream-scan.ts) against scanning the whole text once, with
 * the default policy's local output detectors: a clean 200 KB answer pushed in 5-character deltas, then end().
 * Prints the medians, the ratio (the target: well under 2× the whole-text scan) and how much text the windows read.
 * `tsx bench/llm-stream-scan.ts` runs it alone; BENCH_STREAM_KB and BENCH_STREAM_DELTA change the sizes.
 */
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DEFAULT_POLICY } from '../src/config/schema.js';
import { createWindowScan } from '../src/llm/chat-guard.js';
import { createStreamScanner, type StreamScanOptions } from '../src/llm/stream-scan.js';
import { intEnv } from './env.js';

const SENTENCES = [
  'The cache keeps the last thousand entries in memory and writes them to disk every minute.',
  'Run npm test, then open src/index.ts at line 42 and set the retry timeout to three seconds.',
  'Version 2.4.1 changed the default port to 8080; the changelog at https://example.com/docs/changelog lists the rest.',
  'If the build fails, delete the dist folder and run the compiler again with the verbose flag.',
  'Each request carries a trace id, so the logs of one call can be read together.',
  '```ts\nconst total = items.reduce((sum, item) => sum + item.price, 0);\n```',
  'The table below compares the median latency of both versions under the same load.',
];

/** A clean answer of `bytes` characters: sentences of prose and code in a seeded order. */
export function cleanAnswer(bytes: number, seed = 7): string {
  let x = seed;
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const sentence = SENTENCES[x % SENTENCES.length]!;
    parts.push(sentence, x % 5 === 0 ? '\n\n' : ' ');
    n += sentence.length + 1;
  }
  return parts.join('').slice(0, bytes);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export interface StreamScanFigures {
  label: string;
  bytes: number;
  delta: number;
  wholeMs: number;
  wholeMinMs: number;
  streamMs: number;
  streamMinMs: number;
  /** median stream / median whole */
  ratio: number;
  scans: number;
  scannedChars: number;
  /** Characters received before the first text was released. */
  firstReleaseAt: number;
}

/**
 * One configuration: the whole text scanned once and the stream pushed through, alternating for `rounds` rounds
 * (so that a busy machine slows both alike), medians and minimums of each.
 */
export function benchStreamScan(
  opts: { label?: string; kb?: number; delta?: number; rounds?: number; stream?: Partial<StreamScanOptions> } = {},
): StreamScanFigures {
  const bytes = (opts.kb ?? 200) * 1024;
  const delta = opts.delta ?? 5;
  const rounds = opts.rounds ?? 11;
  const text = cleanAnswer(bytes);
  const scan = createWindowScan(DEFAULT_POLICY);
  // Load the detectors (word lists, the model) and warm the JIT outside the timing.
  for (let i = 0; i < 2; i++) scan(text);
  const whole: number[] = [];
  const streamed: number[] = [];
  let last: ReturnType<typeof createStreamScanner> | undefined;
  let firstReleaseAt = -1;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    const found = scan(text);
    whole.push(performance.now() - t);
    if (found.some((f) => f.mode === 'enforce' && f.action !== 'warn'))
      throw new Error(`the bench text is not clean: ${found.map((f) => f.rule).join(', ')}`);
    const s = createStreamScanner({ ...opts.stream, scan });
    let out = '';
    firstReleaseAt = -1;
    t = performance.now();
    for (let i = 0; i < text.length; i += delta) {
      out += s.push(text.slice(i, i + delta));
      if (firstReleaseAt < 0 && out.length > 0) firstReleaseAt = i + delta;
    }
    out += s.end();
    streamed.push(performance.now() - t);
    if (out !== text) throw new Error(`the stream scanner changed a clean text (${s.blocked?.ruleId ?? 'redacted'})`);
    last = s;
  }
  return {
    label: opts.label ?? 'default',
    bytes,
    delta,
    wholeMs: median(whole),
    wholeMinMs: Math.min(...whole),
    streamMs: median(streamed),
    streamMinMs: Math.min(...streamed),
    ratio: median(streamed) / median(whole),
    scans: last!.stats.scans,
    scannedChars: last!.stats.scannedChars,
    firstReleaseAt,
  };
}

export function formatStreamScan(f: StreamScanFigures): string {
  return [
    `stream scan (${f.label}): ${f.bytes / 1024} KB in ${f.delta}-char deltas`,
    `  whole-text scan p50 ${f.wholeMs.toFixed(1)} ms (min ${f.wholeMinMs.toFixed(1)}); streamed p50 ${f.streamMs.toFixed(1)} ms (min ${f.streamMinMs.toFixed(1)}); ratio ${f.ratio.toFixed(2)}× (target < 2×) ${f.ratio < 2 ? 'PASS' : 'FAIL'}`,
    `  ${f.scans} window scans read ${f.scannedChars} chars (${(f.scannedChars / f.bytes).toFixed(2)}× the text); first text released after ${f.firstReleaseAt} chars`,
  ].join('\n');
}

/** The default scanner (time-gated windows), and the worst case of a scan at every 4 KB and every 128 chars. */
export function benchStreamScans(kb = 200, delta = 5): string {
  return [
    benchStreamScan({ kb, delta, label: 'defaults: lookBack 512, context 256, minBatch 128, intervalMs 20' }),
    benchStreamScan({ kb, delta, label: 'intervalMs 0, minBatch 4096', stream: { intervalMs: 0, minBatch: 4096 } }),
    benchStreamScan({ kb, delta, rounds: 3, label: 'intervalMs 0, minBatch 128', stream: { intervalMs: 0 } }),
  ]
    .map(formatStreamScan)
    .join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${benchStreamScans(intEnv('BENCH_STREAM_KB', 200), intEnv('BENCH_STREAM_DELTA', 5))}\n`);
}
