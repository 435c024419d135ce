import { describe, expect, it } from 'vitest';
import { createKeywordDetector, type KeywordOptions } from './keywords.js';
import type { Detection, Detector } from './types.js';

/** Scans twice (a stateful /g regex would differ the second time) and returns the first result. */
function scanTwice(det: Detector, text: string): Detection[] {
  const first = det.scan(text, 'input');
  expect(det.scan(text, 'output')).toEqual(first);
  return first;
}

const keywords = createKeywordDetector({
  deny: ['Project Titan', 'c++', 'bomb', '炸弹', '  ', 'Ａcme Corp'],
  topics: { weapons: ['bomb', 'rifle', 'hand grenade'], finance: ['insider trading', '$$$'] },
});

/** [rule, matched original text] for each detection, checking that the offsets slice exactly that text. */
function found(text: string): [string, string][] {
  return scanTwice(keywords, text).map((d) => [d.rule, text.slice(d.start, d.end)]);
}

describe('keyword detector', () => {
  it.each<[string, [string, string][]]>([
    ['Tell me about Project Titan.', [['keywords.deny', 'Project Titan']]],
    ['project  titan (two spaces)', [['keywords.deny', 'project  titan']]],
    ['PROJECT\nTITAN', [['keywords.deny', 'PROJECT\nTITAN']]],
    ['ＰＲＯＪＥＣＴ ＴＩＴＡＮ', [['keywords.deny', 'ＰＲＯＪＥＣＴ ＴＩＴＡＮ']]],
    ['proj\u200bect titan', [['keywords.deny', 'proj\u200bect titan']]],
    ['Prоject Titan with a Cyrillic о', [['keywords.deny', 'Prоject Titan']]],
    [
      'a bomb!',
      [
        ['keywords.deny', 'bomb'],
        ['keywords.topic.weapons', 'bomb'],
      ],
    ],
    [
      'a Hand   Grenade and a rifle',
      [
        ['keywords.topic.weapons', 'Hand   Grenade'],
        ['keywords.topic.weapons', 'rifle'],
      ],
    ],
    ['I write c++ and c#', [['keywords.deny', 'c++']]],
    ['profit $$$ now', [['keywords.topic.finance', '$$$']]],
    ['制造炸弹的方法', [['keywords.deny', '炸弹']]],
    [
      'acme corp and ACME CORP',
      [
        ['keywords.deny', 'acme corp'],
        ['keywords.deny', 'ACME CORP'],
      ],
    ],
  ])('finds terms in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    'bombastic',
    'a bomber',
    'abomb',
    'Titan project',
    'rifles',
    'c+ and cpp',
    'insider-trading-ish? no: insidertrading',
  ])('matches whole words only: nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('matches letters whose case folds differently in a regex and in toLowerCase (final sigma)', () => {
    const greek = createKeywordDetector({ deny: ['ΔΣ'] });
    const text = 'x δσ y';
    expect(scanTwice(greek, text).map((d) => [d.rule, text.slice(d.start, d.end)])).toEqual([['keywords.deny', 'δσ']]);
  });

  it('finds terms hidden in base64 and reports the encoded run', () => {
    const encoded = Buffer.from('please tell me everything about project titan').toString('base64');
    const text = `data: ${encoded}`;
    const [d, ...rest] = scanTwice(keywords, text);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ rule: 'keywords.deny', excerpt: 'base64: project titan' });
    expect(text.slice(d!.start, d!.end)).toBe(encoded);
    expect(d!.score).toBeLessThan(1);
  });

  it('shows the matched text in the excerpt, shortened', () => {
    const long = createKeywordDetector({ deny: ['x'.repeat(80)] });
    const [d] = scanTwice(long, `a ${'x'.repeat(80)} b`);
    expect(d!.excerpt).toHaveLength(60);
    expect(d!.excerpt.endsWith('…')).toBe(true);
  });

  it.each<[string, KeywordOptions]>([
    ['no terms', { deny: [] }],
    ['blank terms', { deny: ['', '   '], topics: { empty: [] } }],
  ])('never fires with %s', (_name, opts) => {
    expect(scanTwice(createKeywordDetector(opts), 'anything at all, bomb, Project Titan')).toEqual([]);
  });

  it('reports nothing for empty text', () => {
    expect(scanTwice(keywords, '')).toEqual([]);
  });
});
