import { describe, expect, it } from 'vitest';
import { createToxicityDetector } from './toxicity.js';
import type { Detection, Detector } from './types.js';

/** Scans twice (a stateful /g regex would differ the second time) and returns the first result. */
function scanTwice(det: Detector, text: string): Detection[] {
  const first = det.scan(text, 'output');
  expect(det.scan(text, 'input')).toEqual(first);
  return first;
}

const toxicity = createToxicityDetector();

describe('toxicity detector', () => {
  it.each([
    ['you are a fucking idiot', ['fuck']],
    ['what a b1tch', ['b1tch']],
    ['ｆｕｃｋ this', ['ｆｕｃｋ']],
    ['f\u200bu\u200bc\u200bk off', ['f\u200bu\u200bc\u200bk']],
    ['fuc𝐤 and shit', ['fuc𝐤', 'shit']],
    ['total bastard', ['bastard']],
  ])('finds profanity in %j with exact offsets', (text, words) => {
    const found = scanTwice(toxicity, text);
    expect(found.map((d) => text.slice(d.start, d.end))).toEqual(words);
    for (const d of found) {
      expect(d).toMatchObject({ detector: 'toxicity', rule: 'toxicity.profanity' });
      expect(d.excerpt).not.toContain(text.slice(d.start, d.end));
    }
  });

  it.each([
    'Scunthorpe is a town',
    'a class assessment of the analyst',
    'Hancock and Dickens wrote cocktail recipes',
    'Lorem ipsum dolor sit amet, consectetur adipiscing elit.',
    'x',
    '',
  ])('finds nothing in %j', (text) => {
    expect(scanTwice(toxicity, text)).toEqual([]);
  });

  it('reports one detection per span when several patterns match a word', () => {
    const found = scanTwice(toxicity, 'shit');
    expect(found).toHaveLength(1);
  });
});
