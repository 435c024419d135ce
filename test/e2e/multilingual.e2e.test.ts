/**
 * Injection in many languages through the built gateway with the default policy (issue 16): a tool result with an
 * instruction planted in it is blocked in Spanish, French, German, Chinese, Japanese and Russian, and the same
 * documents without it come through unchanged; a direct injection in a tool argument is blocked in Portuguese,
 * Italian, Korean, Arabic and Spanish, and ordinary notes in those languages pass. The texts were written after the
 * detector was trained (test/fixtures/multilingual-texts.ts). A damaged weights file denies every guarded call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BENIGN_ARGUMENTS,
  BENIGN_RESULTS,
  INJECTED_ARGUMENTS,
  INJECTED_RESULTS,
} from '../fixtures/multilingual-texts.js';
import { fixtureServer, startGateway, tempDir, textOf, type SpawnedGateway } from '../helpers/gateway.js';

let gw: SpawnedGateway;

beforeAll(async () => {
  gw = await startGateway({ servers: { docs: fixtureServer('multilingual-server.ts') } });
});

afterAll(async () => {
  for (const line of gw.stdoutLines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  expect((await gw.closeStdin()).code).toBe(0);
});

const call = (args: Record<string, string>) => gw.client.callTool({ name: 'docs__fetch_document', arguments: args });

describe('injection in many languages, end to end', () => {
  it.each(Object.keys(INJECTED_RESULTS))('blocks an injected tool result in %s, twice', async (lang) => {
    for (let i = 0; i < 2; i++) {
      const r = await call({ lang, kind: 'injected' });
      expect(r.isError, textOf(r)).toBe(true);
      expect(textOf(r)).toMatch(/^blocked by output guardrail injection\.[a-z-]+: /);
    }
  });

  it.each(Object.keys(BENIGN_RESULTS))('passes the benign document in %s unchanged', async (lang) => {
    const r = await call({ lang, kind: 'benign' });
    expect(r.isError ?? false, textOf(r)).toBe(false);
    expect(textOf(r)).toBe(BENIGN_RESULTS[lang]);
  });

  it.each(Object.keys(INJECTED_ARGUMENTS))('blocks a direct injection in an argument in %s', async (lang) => {
    const r = await call({ lang: 'es', kind: 'benign', note: INJECTED_ARGUMENTS[lang]! });
    expect(r.isError, textOf(r)).toBe(true);
    expect(textOf(r)).toMatch(/^blocked by input guardrail injection\.[a-z-]+: /);
  });

  it.each(Object.keys(BENIGN_ARGUMENTS))('passes an ordinary note in %s', async (lang) => {
    const r = await call({ lang: 'es', kind: 'benign', note: BENIGN_ARGUMENTS[lang]! });
    expect(r.isError ?? false, textOf(r)).toBe(false);
  });
});

describe('the learned detector fails closed', () => {
  it('denies every guarded call, naming the file, when the weights are damaged', async () => {
    const home = tempDir('smg-model-');
    fs.writeFileSync(path.join(home, 'damaged.bin'), 'not a model');
    const broken = await startGateway(
      {
        servers: { docs: fixtureServer('multilingual-server.ts') },
        policies: { default: { detectors: { injection: { model: { path: 'damaged.bin' } } } } },
      },
      { home },
    );
    for (let i = 0; i < 2; i++) {
      const r = await broken.client.callTool({
        name: 'docs__fetch_document',
        arguments: { lang: 'es', kind: 'benign' },
      });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(
        /^blocked by input guardrail guardrails\.failed: .*damaged\.bin is not usable: not a model file/,
      );
    }
    expect((await broken.closeStdin()).code).toBe(0);
  });
});
