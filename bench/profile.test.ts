import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SourceMapGenerator } from 'source-map-js';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSummary, shortSource, sourceMapResolver, summarize, type CpuProfile, type Resolve } from './profile.js';

const frame = (functionName: string, url = '', lineNumber = 0, columnNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber,
});

/** 1: idle, 2: GC, 3: a bundle frame the resolver maps, 4: one it does not, 5: a RegExp named by a long source. */
const PROFILE: CpuProfile = {
  startTime: 1_000,
  nodes: [
    { id: 1, callFrame: frame('(idle)') },
    { id: 2, callFrame: frame('(garbage collector)') },
    { id: 3, callFrame: frame('a', 'file:///app/dist/cli.js', 0, 10) },
    { id: 4, callFrame: frame('b', 'file:///app/dist/cli.js', 4, 2) },
    { id: 5, callFrame: frame(`RegExp: ${'x|'.repeat(200)}`) },
  ],
  samples: [1, 3, 3, 2, 4, 5, 3],
  timeDeltas: [100, 1_000, 1_000, 500, 250, 250, 1_000],
};

const resolve: Resolve = (url, line) =>
  url.endsWith('cli.js') && line === 1 ? { source: '../src/pipeline/run.ts', line: 17, name: 'runStages' } : undefined;

describe('summarize', () => {
  it.each([1, 2])('ranks self time by function and file, source-mapped, idle apart (pass %i)', () => {
    const s = summarize(PROFILE, resolve);
    expect(s.idleMs).toBeCloseTo(0.1);
    expect(s.busyMs).toBeCloseTo(4);
    expect(s.functions.map((f) => [f.name, f.ms])).toEqual([
      ['runStages src/pipeline/run.ts:17', 3],
      ['(garbage collector)', 0.5],
      ['b /app/dist/cli.js:5', 0.25],
      [`${`RegExp: ${'x|'.repeat(200)}`.slice(0, 99)}…`, 0.25],
    ]);
    expect(s.functions[0]!.share).toBeCloseTo(0.75);
    expect(s.files.map((f) => f.name).slice(0, 2)).toEqual(['src/pipeline/run.ts', '(garbage collector)']);
  });

  it('leaves out the samples taken before the warm-up ended', () => {
    // Sample times: 1100, 2100, 3100, 3600, 3850, 4100, 5100.
    const s = summarize(PROFILE, resolve, 25, 3_600);
    expect(s.busyMs).toBeCloseTo(2);
    expect(s.functions.map((f) => f.name)[0]).toBe('runStages src/pipeline/run.ts:17');
  });

  it('keeps the first `top` functions', () => {
    expect(summarize(PROFILE, resolve, 2).functions).toHaveLength(2);
  });

  it.each([
    ['file:///work/x/src/guardrails/pii.ts', 'src/guardrails/pii.ts'],
    ['../src/audit/chain.ts', 'src/audit/chain.ts'],
    ['../node_modules/zod/v4/core/core.js', 'node_modules/zod/v4/core/core.js'],
    ['node:internal/streams/writable', 'node:internal/streams/writable'],
  ])('shortens %s to %s', (source, short) => {
    expect(shortSource(source)).toBe(short);
  });

  it('formats the summary with the file path and both tables', () => {
    const text = formatSummary('echo', '/tmp/p.cpuprofile', summarize(PROFILE, resolve));
    expect(text).toContain('echo: /tmp/p.cpuprofile');
    expect(text).toContain('busy 4 ms, idle 0 ms');
    expect(text).toMatch(/runStages src\/pipeline\/run\.ts:17\s+75\.0%/);
  });
});

describe('a profile that node --cpu-prof wrote', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-profile-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the busy function through the source map beside the script', () => {
    // A "bundle" whose first line is a hot function, and a map that says it came from src/spin.ts:10.
    const script = path.join(dir, 'bundle.js');
    fs.writeFileSync(
      script,
      'function s(){let x=0;for(let i=0;i<5e5;i++)x+=Math.sqrt(i);return x}\n' +
        'const end=Date.now()+300;let t=0;while(Date.now()<end)t+=s();\n' +
        '//# sourceMappingURL=bundle.js.map\n',
    );
    const map = new SourceMapGenerator({ file: 'bundle.js' });
    map.addMapping({
      generated: { line: 1, column: 0 },
      original: { line: 10, column: 0 },
      source: '../src/spin.ts',
      name: 'spinOriginal',
    });
    fs.writeFileSync(`${script}.map`, map.toString());
    // No inlining: the hot function keeps frames of its own, whatever the tier.
    execFileSync(process.execPath, ['--no-turbo-inlining', '--cpu-prof', '--cpu-prof-dir', dir, script]);
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const s = summarize(profile, sourceMapResolver(), 5);
    expect(s.functions[0]!.name).toBe('spinOriginal src/spin.ts:10');
    expect(s.functions[0]!.share).toBeGreaterThan(0.5);
  });
});
