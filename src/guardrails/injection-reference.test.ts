/**
 * The injection detector gives the verdicts it gave before issue 21's speed work, to the bit: every text of
 * ../shared/datasets in every phase, through the whole detector, the rules alone at threshold 0 and the model's best
 * window, against digests recorded from the implementation before the change (bench/injection-reference.ts, main at
 * e59439d). It reads every dataset (minutes of CPU), so it runs on its own with `npm run test:reference` (before a
 * change to the injection detector lands) and is skipped elsewhere, and where the datasets are not present. A
 * deliberate change of a verdict re-records the fixture.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DATA,
  digest,
  digestOwn,
  EVAL_PRESENT,
  evalCorpus,
  FIXTURE,
  loadImpl,
  referenceCorpus,
  type Reference,
} from '../../bench/injection-reference.js';

const present = process.env.SMG_REFERENCE === '1' && fs.existsSync(DATA) && fs.existsSync(FIXTURE);

describe.runIf(present)('injection detector against its recorded reference', () => {
  it('finds the same rules, spans and scores, and the model the same best window, on every dataset text', async () => {
    const reference = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Reference;
    const impl = await loadImpl(path.resolve(import.meta.dirname, '..'));
    const corpus = referenceCorpus();
    expect([...corpus.keys()].sort()).toEqual(
      Object.keys(reference)
        .filter((k) => !k.startsWith('eval/'))
        .sort(),
    );
    const mismatched: string[] = [];
    for (const [name, texts] of corpus) {
      const want = reference[name]!;
      expect(texts.length, name).toBe(want.texts);
      const got = digest(impl, texts);
      for (const where of ['input', 'output', 'description'] as const) {
        if (got[where] !== want.digest[where]) mismatched.push(`${name} (${where})`);
      }
    }
    expect(mismatched).toEqual([]);
  }, 600_000);

  it.runIf(EVAL_PRESENT)(
    'gives the same verdicts on every document of npm run eval',
    async () => {
      const reference = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Reference;
      const impl = await loadImpl(path.resolve(import.meta.dirname, '..'));
      const docs = await evalCorpus();
      expect([...docs.keys()].sort()).toEqual(
        Object.keys(reference)
          .filter((k) => k.startsWith('eval/'))
          .sort(),
      );
      const mismatched: string[] = [];
      for (const [name, list] of docs) {
        expect(list.length, name).toBe(reference[name]!.texts);
        if (digestOwn(impl, list) !== reference[name]!.digest.own) mismatched.push(name);
      }
      expect(mismatched).toEqual([]);
    },
    600_000,
  );
});
