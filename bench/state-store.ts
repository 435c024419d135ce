/**
 * The cost of a rate-limit check on each state back end (issue 6, item 5), printed by `npm run bench` after the
 * other figures, or on its own with `npx tsx bench/state-store.ts`: the median and p99 of one `takeToken`, on the
 * in-process MemoryStore and on a RedisStore against a redis-server on loopback (started here, on a free port, and
 * stopped afterwards), one call at a time; and Redis throughput with 50 takes in flight, as 50 concurrent tool calls
 * would have. Iterations: BENCH_STATE_CALLS (default 5000).
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '../src/state/memory.js';
import { RedisStore } from '../src/state/redis.js';
import type { StateStore, TokenBucket } from '../src/state/store.js';
import { startRedis } from '../test/helpers/redis.js';

const CALLS = Number(process.env.BENCH_STATE_CALLS ?? 5000);
/** A bucket that never runs dry during the bench: every take is an allowed one, the common case. */
const BUCKET: TokenBucket = { capacity: 1e9, refillPerMs: 1e6 };

function quantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function sequential(store: StateStore, n: number): Promise<number[]> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await store.takeToken(`rl:bench:${i % 64}`, BUCKET);
    us.push((performance.now() - t0) * 1000);
  }
  return us;
}

async function concurrent(store: StateStore, n: number, inFlight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await store.takeToken(`rl:bench:${next++ % 64}`, BUCKET);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

export async function benchStateStore(): Promise<string> {
  const lines = [`state store: takeToken, ${CALLS} calls each (µs)`];
  const memory = new MemoryStore();
  await sequential(memory, 1000); // warm-up
  const m = await sequential(memory, CALLS);
  const row = (label: string, xs: number[]) =>
    `  ${label.padEnd(32)} median ${quantile(xs, 0.5).toFixed(1)}  p99 ${quantile(xs, 0.99).toFixed(1)}`;
  lines.push(row('memory', m));
  await memory.close();

  const redis = await startRedis();
  const store = new RedisStore({ url: redis.url, keyPrefix: 'bench:' });
  try {
    await sequential(store, 500); // warm-up: connect, load the script
    const r = await sequential(store, CALLS);
    lines.push(row('redis (loopback, 1 in flight)', r));
    const perSecond = await concurrent(store, CALLS * 4, 50);
    lines.push(`  ${'redis (loopback, 50 in flight)'.padEnd(32)} ${Math.round(perSecond)} takes/s`);
  } finally {
    await store.close();
    await redis.stop();
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${await benchStateStore()}\n`);
