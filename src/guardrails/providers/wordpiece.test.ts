import { describe, expect, it } from 'vitest';
import { basicTokens, encodeWordPiece, parseVocab, wordPieces } from './wordpiece.js';

// The examples of google-research/bert's tokenization_test.py.
const vocab = parseVocab(
  ['[UNK]', '[CLS]', '[SEP]', '[PAD]', 'want', '##want', '##ed', 'wa', 'un', 'runn', '##ing', ',', 'low', 'lowest', '']
    .slice(0, -1)
    .join('\r\n') + '\r\n',
);
const tokensOf = (ids: number[]) => ids.map((id) => [...vocab.ids].find(([, v]) => v === id)![0]);

describe('parseVocab', () => {
  it('numbers the tokens by line and finds the special tokens, CRLF or not', () => {
    expect(vocab.ids.get('want')).toBe(4);
    expect([vocab.unk, vocab.cls, vocab.sep, vocab.pad]).toEqual([0, 1, 2, 3]);
    expect(parseVocab('[PAD]\n[UNK]\n[CLS]\n[SEP]').sep).toBe(3);
  });

  it('keeps the first id of a duplicated token', () => {
    expect(parseVocab('[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\nx\n').ids.get('x')).toBe(4);
  });

  it.each(['[CLS]', '[SEP]', '[UNK]', '[PAD]'])('names a missing %s', (token) => {
    const text = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].filter((t) => t !== token).join('\n');
    expect(() => parseVocab(text)).toThrow(`the vocab has no ${token} token`);
  });
});

describe('basicTokens', () => {
  it.each([
    [' \tHeLLo!how  \n Are yoU?  ', true, ['hello', '!', 'how', 'are', 'you', '?']],
    [' \tHeLLo!how  \n Are yoU?  ', false, ['HeLLo', '!', 'how', 'Are', 'yoU', '?']],
    ['H\u00E9llo Ça', true, ['hello', 'ca']],
    ['H\u00E9llo', false, ['H\u00E9llo']],
    ['ah\u535A\u63A8zz', true, ['ah', '\u535A', '\u63A8', 'zz']],
    ['a\u0000b\uFFFDc\u200Bd e', true, ['abcd', 'e']],
    ['$5^x`y~', true, ['$', '5', '^', 'x', '`', 'y', '~']],
    ['«quoted»—dash', true, ['«', 'quoted', '»', '—', 'dash']],
    // As in BERT, NFD splits Hangul syllables into jamo, which are letters and stay.
    ['한국어 テスト', true, ['한국어'.normalize('NFD'), 'テスト']],
  ])('splits %j (lowercase %s)', (text, lowercase, expected) => {
    expect([...basicTokens(text, lowercase)]).toEqual(expected);
    expect([...basicTokens(text, lowercase)]).toEqual(expected);
  });
});

describe('CJK ideographs', () => {
  it.each(['\u4e00', '\u3400', '\u{20000}', '\u{2a700}', '\u{2b740}', '\u{2b820}', '\uf900', '\u{2f800}'])(
    'stand alone: %s',
    (ch) => {
      expect([...basicTokens(`a${ch}${ch}b`, true)]).toEqual(['a', ch, ch, 'b']);
    },
  );
});

describe('wordPieces', () => {
  it.each([
    ['unwanted', ['un', '##want', '##ed']],
    ['running', ['runn', '##ing']],
    ['unwantedx', ['[UNK]']],
    ['lowest', ['lowest']],
    ['x'.repeat(101), ['[UNK]']],
  ])('splits %j greedily, longest match first', (word, expected) => {
    expect(tokensOf(wordPieces(word, vocab))).toEqual(expected);
  });
});

describe('encodeWordPiece', () => {
  it('tokenises a text without [CLS] and [SEP]', () => {
    expect(tokensOf(encodeWordPiece('UNwant\u00E9d,running', vocab, true))).toEqual([
      'un',
      '##want',
      '##ed',
      ',',
      'runn',
      '##ing',
    ]);
  });

  it('stops at the limit', () => {
    expect(encodeWordPiece('unwanted running', vocab, true, 4)).toHaveLength(4);
    expect(encodeWordPiece('', vocab, true)).toEqual([]);
  });
});
