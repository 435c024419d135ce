/**
 * Property tests (fast-check, seeded and bounded; issue 9): config files. Whatever a config file holds (bytes that
 * are not JSON, JSON of any shape, or a valid config with one value replaced or removed anywhere), loading it
 * either succeeds or throws GatewayError('CONFIG_INVALID') whose message names the file. It never throws anything
 * else (a TypeError from a field the code assumed was there would crash `start` with a stack trace instead of
 * telling the user which field is wrong). FUZZ_SEED and FUZZ_RUNS reproduce or widen a run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { parseConfig } from './load.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const FILE = path.join(os.tmpdir(), 'smg-fuzz', 'config.json');
const ENV = { HOME: os.tmpdir(), SMG_WORKSPACE: os.tmpdir(), TOKEN: 't0ken' };

/** A config that uses most of the schema, so that mutations reach deep fields. */
const RICH = {
  servers: {
    fs: {
      command: 'node',
      args: ['server.js', '${env:SMG_WORKSPACE}'],
      env: { TOKEN: '${env:TOKEN}' },
      cwd: '.',
      roots: ['.'],
      tools: { allow: ['read_*'], deny: ['write_file'] },
      policy: 'strict',
      toolPolicies: { 'read_*': 'default' },
      arguments: { 'read_file.path': { kind: 'path', within: ['.'] }, 'fetch.url': { kind: 'url' } },
      annotations: { write_file: { destructive: true } },
      rateLimit: { perMinute: 60, burst: 5 },
      timeoutMs: 1000,
      integrity: { mode: 'require-approval' },
    },
    remote: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${env:TOKEN}' } },
  },
  policies: {
    strict: {
      input: { injection: 'block', pii: 'redact', secrets: 'block' },
      output: { injection: 'block', secrets: 'redact' },
      limits: { maxArgumentBytes: 1000, mode: 'enforce' },
      arguments: { mode: 'enforce', infer: true },
      annotations: { destructive: 'approve', openWorld: 'allow' },
      rateLimit: { perMinute: 10 },
      providers: { input: ['mod'], output: [] },
    },
  },
  providers: {
    mod: { type: 'http', url: 'https://guard.example.com/scan', timeoutMs: 500, response: { flaggedPath: 'flagged' } },
  },
  integrity: { mode: 'pin-on-first-use', poisoning: { action: 'warn', minSeverity: 'medium' } },
  cache: { enabled: false },
  log: { level: 'warn', file: false },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path in a JSON value, the root excluded. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

/** A copy of `value` with the value at `at` replaced (or removed when `to` is undefined). */
function mutate(value: Json, at: (string | number)[], to: Json | undefined): Json {
  const copy = structuredClone(value);
  let parent: Json = copy;
  for (const key of at.slice(0, -1)) parent = (parent as Record<string, Json>)[key]!;
  const last = at[at.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') {
    if (to === undefined) parent.splice(last, 1);
    else parent[last] = to;
  } else if (to === undefined) delete (parent as Record<string, Json>)[last];
  else (parent as Record<string, Json>)[last] = to;
  return copy;
}

function load(text: string): void {
  try {
    parseConfig(text, FILE, ENV);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message.startsWith(FILE)).toBe(true);
  }
}

const PATHS = pathsOf(RICH);
/** The paths of objects (the root included), where a key can be added. */
const OBJECT_PATHS = [[], ...PATHS].filter((at) => {
  let v: Json = RICH;
  for (const key of at) v = (v as Record<string, Json>)[key]!;
  return typeof v === 'object' && v !== null && !Array.isArray(v);
});
const SPECIAL: Json[] = [
  null,
  '',
  -1,
  0,
  1e308,
  'x'.repeat(300),
  '${env:MISSING}',
  '${file:/nonexistent}',
  '${nope}',
  '((a+)+)$',
  '[',
  '../../etc',
  {},
  [],
  { kind: 'path' },
  { '': '' },
  '__proto__',
];

describe('fuzzing config files', () => {
  it('accepts the rich base config (so that mutations start from something valid)', () => {
    expect(() => parseConfig(JSON.stringify(RICH), FILE, ENV)).not.toThrow();
  });

  it('a valid config with any one value replaced or removed loads, or fails with CONFIG_INVALID naming the file', () => {
    fs.mkdirSync(path.dirname(FILE), { recursive: true });
    const replacement = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(...SPECIAL),
      fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
    );
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), replacement, (at, to) =>
        load(JSON.stringify(mutate(RICH as Json, at, to))),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, 60_000);

  it('a config with several keys added anywhere loads, or fails with CONFIG_INVALID naming the file', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom(...OBJECT_PATHS), fc.constantFrom('__proto__', 'constructor', 'x', 'enabled')),
          {
            maxLength: 3,
          },
        ),
        (adds) => {
          let config = RICH as Json;
          for (const [at, key] of adds) config = mutate(config, [...at, key], true);
          load(JSON.stringify(config));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, 60_000);

  it('any text, JSON or not, loads or fails with CONFIG_INVALID naming the file', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ servers: { a: v } })),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ servers: {}, policies: { p: v } })),
        ),
        load,
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, 60_000);
});
