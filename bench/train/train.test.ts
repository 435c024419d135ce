import { describe, expect, it } from 'vitest';
import { scoreText } from '../../src/guardrails/model/model.js';
import type { Doc, Where } from './corpus.js';
import { rowSplit } from './corpus.js';
import { structuredSamples } from './structured.js';
import { syntheticSamples } from './synthetic.js';
import { DEFAULT_TRAIN, train, type TrainOptions } from './train.js';

// A small corpus that needs no datasets: the hand-written generators only.
function corpus(): Doc[] {
  const docs: Doc[] = syntheticSamples(3)
    .filter((_, i) => i % 4 === 0)
    .map((s, i) => ({
      id: `syn/${i}`,
      text: s.text,
      label: s.label,
      source: `synthetic-${s.where}`,
      category: s.family,
      lang: s.lang,
      where: s.where,
      split: rowSplit(`syn/${i}`),
    }));
  structuredSamples(3, 300).forEach((s, i) =>
    docs.push({
      id: `st/${i}`,
      text: s.text,
      label: 0,
      source: 'structured',
      category: s.kind,
      lang: 'en',
      where: (['input', 'output', 'description'] as Where[])[i % 3]!,
      split: rowSplit(`st/${i}`),
    }),
  );
  return docs;
}

const SMALL: TrainOptions = { ...DEFAULT_TRAIN, bits: 16, epochs: 3 };
const docs = corpus();

describe('train', () => {
  const first = train(docs, SMALL);

  it('is reproducible: the same data and seed give the same bytes', () => {
    expect(train(docs, SMALL).bytes.equals(first.bytes)).toBe(true);
    expect(train(docs, { ...SMALL, seed: SMALL.seed + 1 }).bytes.equals(first.bytes)).toBe(false);
  });

  it('calibrates each phase on the benign calibration split, never below the floor', () => {
    const t = first.model.header.thresholds;
    for (const where of ['input', 'output', 'description'] as const) {
      expect(t[where]).toBeGreaterThanOrEqual(SMALL.thresholdFloor[where]);
      expect(t[where]).toBeLessThan(1);
    }
    // The budget: at most 1% (rounded) of each benign source's calibration documents reach the threshold.
    for (const source of ['synthetic-input', 'synthetic-output']) {
      const benign = docs.filter((d) => d.source === source && d.split === 'calib' && d.label === 0);
      const where = benign[0]!.where;
      const flagged = benign.filter((d) => scoreText(first.model, d.text, where, t[where]).hits.length > 0).length;
      expect(flagged).toBeLessThanOrEqual(Math.round(benign.length * SMALL.calibrationFpr[where]));
    }
  });

  it('learns: held-out positives score above held-out benign texts on average', () => {
    const test = docs.filter((d) => d.split === 'test' && d.where === 'input');
    const mean = (label: 0 | 1): number => {
      const xs = test.filter((d) => d.label === label).map((d) => scoreText(first.model, d.text, d.where, 0.5).best);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean(1)).toBeGreaterThan(mean(0) + 0.3);
  });

  it('records what it was trained on', () => {
    expect(first.model.header.trained).toMatchObject({ seed: SMALL.seed, epochs: 3 });
    expect((first.model.header.trained as { sources: string[] }).sources).toContain('structured');
  });
});
