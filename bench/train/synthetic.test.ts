import { describe, expect, it } from 'vitest';
import { SYNTHETIC_LANGS, syntheticSamples } from './synthetic.js';

// Generated once per seed: the generator is deterministic, and two calls are what the determinism test compares.
const SEED = 16;
const samples = syntheticSamples(SEED);

describe('syntheticSamples', () => {
  it('gives the same samples, in the same order, for the same seed', () => {
    expect(syntheticSamples(SEED)).toEqual(samples);
  });

  it('gives different samples for a different seed', () => {
    const other = syntheticSamples(SEED + 1);
    const texts = new Set(samples.map((s) => s.text));
    const shared = other.filter((s) => texts.has(s.text)).length;
    expect(shared / other.length).toBeLessThan(0.5);
  });

  it('has between 3,000 and 6,000 positives and exactly as many negatives', () => {
    const pos = samples.filter((s) => s.label === 1).length;
    const neg = samples.filter((s) => s.label === 0).length;
    expect(pos).toBeGreaterThanOrEqual(3000);
    expect(pos).toBeLessThanOrEqual(6000);
    expect(neg).toBe(pos);
  });

  it('never repeats a text', () => {
    expect(new Set(samples.map((s) => s.text)).size).toBe(samples.length);
  });

  it.each(SYNTHETIC_LANGS.flatMap((lang) => [0, 1].map((label) => [lang, label] as const)))(
    'gives language %s a fair share of label %d',
    (lang, label) => {
      const ofLabel = samples.filter((s) => s.label === label);
      const share = ofLabel.filter((s) => s.lang === lang).length / ofLabel.length;
      expect(share).toBeGreaterThan(0.8 / SYNTHETIC_LANGS.length);
      expect(share).toBeLessThan(1.2 / SYNTHETIC_LANGS.length);
    },
  );

  it('keeps each family to one label and covers every language in it, so whole families can be held out', () => {
    const families = new Map<string, { labels: Set<number>; langs: Set<string> }>();
    for (const s of samples) {
      const f = families.get(s.family) ?? { labels: new Set(), langs: new Set() };
      f.labels.add(s.label);
      f.langs.add(s.lang);
      families.set(s.family, f);
    }
    for (const [name, f] of families) {
      expect([...f.labels], name).toHaveLength(1);
      expect(f.langs.size, name).toBe(SYNTHETIC_LANGS.length);
      expect(name.startsWith(f.labels.has(1) ? 'direct-' : 'benign-') || name.startsWith('indirect-'), name).toBe(true);
    }
    const positives = [...families].filter(([, f]) => f.labels.has(1)).length;
    const negatives = families.size - positives;
    expect(positives).toBeGreaterThanOrEqual(12);
    expect(negatives).toBeGreaterThanOrEqual(10);
  });

  it('puts direct injections in the input and indirect ones in tool output', () => {
    for (const s of samples) {
      if (s.family.startsWith('direct-')) expect(s.where).toBe('input');
      if (s.family.startsWith('indirect-')) expect(s.where).toBe('output');
    }
    // Both places hold benign text too, so `where` alone does not give the label away.
    for (const where of ['input', 'output'] as const) {
      expect(samples.some((s) => s.label === 0 && s.where === where)).toBe(true);
    }
  });

  it('leaves no unfilled slot and no empty text', () => {
    for (const s of samples) {
      expect(s.text.trim().length).toBeGreaterThan(4);
      expect(s.text).not.toMatch(/\{[a-zA-Z0-9]+\}|«Q»/);
    }
  });

  it.each([
    // Script checks: a sample labelled with a language is written in it (catches a table wired to the wrong key).
    ['zh', /[\u4e00-\u9fff]/],
    ['ja', /[\u3040-\u30ff]/],
    ['ko', /[\uac00-\ud7af]/],
    ['ru', /[\u0400-\u04ff]/],
    ['ar', /[\u0600-\u06ff]/],
  ])('writes every %s sample in its own script', (lang, script) => {
    for (const s of samples.filter((x) => x.lang === lang)) expect(s.text).toMatch(script);
  });

  // Prompts only: a tool result flattened to one line by the surface noise legitimately has spaces.
  it.each(['zh', 'ja'])('joins %s sentences in a prompt without a space between two CJK characters', (lang) => {
    for (const s of samples.filter((x) => x.lang === lang && x.where === 'input'))
      expect(s.text).not.toMatch(/[\u3000-\u9fff\uff00-\uffef] +[\u3000-\u9fff]/);
  });

  it('uses the benign words of injections in its negatives (ignore, instructions, system, previous, override)', () => {
    const en = samples.filter((s) => s.lang === 'en' && s.label === 0).map((s) => s.text.toLowerCase());
    for (const word of ['ignore', 'instructions', 'system', 'previous', 'override', 'forget', 'disregard']) {
      expect(en.filter((t) => t.includes(word)).length, word).toBeGreaterThan(20);
    }
  });
});
