/**
 * Toxicity detector: English profanity and slurs, with obscenity's English dataset and its recommended
 * transformers (confusable and leet-speak folding, repeated letters, its whitelist of innocent words such as
 * "Scunthorpe"). Text that is not plain ASCII is normalised first, so zero-width characters inside a word do not
 * hide it, and spans are mapped back to the original. Rule: `toxicity.profanity`. It runs in every phase and only
 * reports; the stage decides.
 */
import { originalSpan } from './spans.js';
import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from 'obscenity';
import { normalize } from './normalize.js';
import { maskExcerpt, type Detection, type Detector } from './types.js';

const PLAIN_ASCII = /^[\x20-\x7e\t\n\r]*$/;

export function createToxicityDetector(): Detector {
  const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  return {
    id: 'toxicity',
    scan(text) {
      if (text.length < 2) return [];
      const norm = PLAIN_ASCII.test(text) ? undefined : normalize(text, { decode: false });
      const out: Detection[] = [];
      const seen = new Set<string>();
      // endIndex is inclusive (the last UTF-16 unit of the match).
      for (const m of matcher.getAllMatches(norm?.text ?? text, true)) {
        const [start, end] = norm ? originalSpan(norm, m.startIndex, m.endIndex + 1) : [m.startIndex, m.endIndex + 1];
        if (seen.has(`${start}:${end}`)) continue; // several patterns can match one word
        seen.add(`${start}:${end}`);
        out.push({
          detector: 'toxicity',
          rule: 'toxicity.profanity',
          score: 0.8,
          start,
          end,
          excerpt: maskExcerpt(text.slice(start, end), 1),
        });
      }
      return out;
    },
  };
}
