import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // onnxruntime-node is no devDependency (its install script fetches CUDA from NuGet on Linux x64): the local-model
    // tests get it themselves, once per run, for the unit and e2e projects alike (test/support/onnx-runtime.ts).
    globalSetup: ['test/support/onnx-runtime.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'test/support/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
    // STYLE.md: the pipeline, guardrails and policy stay at 90% coverage or more (`npm run coverage`).
    coverage: {
      provider: 'v8',
      include: ['src/pipeline/**', 'src/guardrails/**', 'src/policy/**', 'src/integrity/**', 'src/state/**'],
      exclude: ['**/*.test.ts', '**/types.ts'],
      thresholds: { lines: 90, statements: 90, functions: 90, branches: 90 },
    },
  },
});
