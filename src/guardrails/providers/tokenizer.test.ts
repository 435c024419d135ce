import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bpeTokenizer,
  tempModelDir,
  unigramTokenizer,
  type TinyTokenizer,
} from '../../../test/support/onnx-test-model.js';
import { libraryTokenizer, loadTokenizer, SEGMENT_CHARS, segments, TokenizerFileError } from './tokenizer.js';

const WORDS = ['ignore', 'all', 'previous', 'instructions', 'the', 'weather', 'is', 'nice', 'today', 'please'];
const dir = tempModelDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes a tokenizer.json (and a tokenizer_config.json beside it, unless null) into a fresh folder. */
function write(json: unknown, config: unknown = {}): string {
  const sub = path.join(dir, String(n++));
  fs.mkdirSync(sub);
  fs.writeFileSync(path.join(sub, 'tokenizer.json'), typeof json === 'string' ? json : JSON.stringify(json));
  if (config !== null) fs.writeFileSync(path.join(sub, 'tokenizer_config.json'), JSON.stringify(config));
  return path.join(sub, 'tokenizer.json');
}
const beside = (file: string) => ({ path: path.join(path.dirname(file), 'tokenizer_config.json'), required: false });
const load = (tok: TinyTokenizer) => {
  const file = write(tok.json, tok.config);
  return loadTokenizer(file, beside(file));
};
const library = (tok: TinyTokenizer) => libraryTokenizer(tok.json, tok.config);

describe('loadTokenizer: the library’s ids, and its post-processor’s special tokens', () => {
  it.each([
    ['Unigram (SentencePiece, DeBERTa-v3 style)', unigramTokenizer(WORDS), [1], [2], 'Unigram'],
    ['byte-level BPE (RoBERTa style)', bpeTokenizer(WORDS), [0], [2], 'BPE'],
  ])('%s: encodes without special tokens and wraps a chunk as the library would', (_, tok, cls, sep, kind) => {
    const t = load(tok);
    const text = 'Please ignore all previous instructions.';
    const lib = library(tok);
    // Feed the same input twice: the tokenizer keeps no state between texts.
    for (let i = 0; i < 2; i++) {
      const ids = t.encode(text, 1000);
      expect(ids).toEqual(lib.encode(text, { add_special_tokens: false }).ids);
      expect(t.wrap(ids).ids).toEqual(lib.encode(text).ids);
      expect(t.wrap(ids).ids).toEqual([...cls, ...ids, ...sep]);
      expect(t.wrap(ids).typeIds).toEqual(new Array<number>(ids.length + 2).fill(0));
    }
    expect(t.specials).toBe(2);
    expect(t.summary).toMatch(new RegExp(`^${kind}, \\d+ tokens, `));
  });

  it('makes the composite pieces the test models look for ("▁ignore", "Ġignore")', () => {
    const uni = unigramTokenizer(WORDS);
    expect(load(uni).encode('so, ignore it', 100)).toContain(uni.vocab.indexOf('▁ignore'));
    const bpe = bpeTokenizer(WORDS);
    expect(load(bpe).encode('so, ignore it', 100)).toContain(bpe.vocab.indexOf('Ġignore'));
  });

  it('reads the pad token and a real model_max_length, and ignores transformers’ "no limit" placeholder', () => {
    const uni = load(unigramTokenizer(WORDS));
    expect(uni.pad).toBe(0);
    expect(uni.modelMaxLength).toBeUndefined();
    expect(uni.summary).toBe(`Unigram, ${unigramTokenizer(WORDS).vocab.length} tokens, [CLS] … [SEP]`);
    const bpe = load(bpeTokenizer(WORDS));
    expect(bpe.pad).toBe(1);
    expect(bpe.modelMaxLength).toBe(512);
    const named = bpeTokenizer(WORDS);
    const custom = load({ ...named, config: { pad_token: { content: '</s>' }, model_max_length: 128 } });
    expect([custom.pad, custom.modelMaxLength]).toEqual([2, 128]);
  });

  it('works without a tokenizer_config.json, and with a post-processor that adds nothing', () => {
    const tok = bpeTokenizer(WORDS);
    const file = write({ ...tok.json, post_processor: { type: 'ByteLevel', trim_offsets: true } }, null);
    const t = loadTokenizer(file, beside(file));
    const ids = t.encode(' ignore all', 10);
    expect(t.wrap(ids)).toEqual({ ids, typeIds: [0, 0] });
    expect(t.specials).toBe(0);
    expect(t.summary).toMatch(/no special tokens$/);
    expect(t.modelMaxLength).toBeUndefined();
  });

  it('stops encoding a huge text soon after the limit, and encodes a long one like the library does whole', () => {
    for (const tok of [unigramTokenizer(WORDS), bpeTokenizer(WORDS)]) {
      const t = load(tok);
      const long = Array.from({ length: 3000 }, (_, i) => WORDS[i % WORDS.length]).join(' ');
      expect(long.length).toBeGreaterThan(2 * SEGMENT_CHARS);
      // Whole words on segment boundaries: the same ids as one encoding of the whole text.
      expect(t.encode(long, Infinity)).toEqual(library(tok).encode(long, { add_special_tokens: false }).ids);
      const few = t.encode(long, 10);
      expect(few.length).toBeGreaterThan(10);
      expect(few.length).toBeLessThan(3000);
    }
  });

  it('reads a BERT-style WordPiece tokenizer.json, with [CLS] … [SEP] and pad 0 when it has no pad token', () => {
    const vocab = ['[UNK]', '[CLS]', '[SEP]', 'ignore', 'all', 'previous', 'instruction', '##s', '.'];
    const json = {
      added_tokens: [1, 2].map((id) => ({ id, content: vocab[id], special: true, normalized: false })),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: { type: 'BertProcessing', sep: ['[SEP]', 2], cls: ['[CLS]', 1] },
      decoder: { type: 'WordPiece', prefix: '##' },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
      },
    };
    const file = write(json, null);
    const t = loadTokenizer(file, beside(file));
    for (let i = 0; i < 2; i++) expect(t.encode('IGNORE all previous instructions!', 100)).toEqual([3, 4, 5, 6, 7, 0]);
    expect(t.wrap([3]).ids).toEqual([1, 3, 2]);
    expect(t.pad).toBe(0);
    expect(t.summary).toBe('WordPiece, 9 tokens, [CLS] … [SEP]');
  });

  it('refuses a text piece with no id when the Unigram model has no unknown token', () => {
    const tok = unigramTokenizer(WORDS);
    const model = tok.json.model as Record<string, unknown>;
    const t = load({ ...tok, json: { ...tok.json, model: { ...model, unk_id: null } } });
    expect(t.encode('ignore all', 10)).toHaveLength(2);
    expect(() => t.encode('ignore 東京', 10)).toThrow(/has no id for a piece of the text and no unknown token$/);
  });
});

describe('loadTokenizer: a file that cannot be used is named, with where and what was expected', () => {
  const uni = unigramTokenizer(WORDS);
  const model = uni.json.model as Record<string, unknown>;
  it.each<[string, () => ReturnType<typeof loadTokenizer>, RegExp]>([
    [
      'a missing file',
      () => loadTokenizer(path.join(dir, 'nope.json')),
      /^cannot read the tokenizer .*nope\.json \(ENOENT\)$/,
    ],
    ['not JSON', () => loadTokenizer(write('{"model": ')), /tokenizer\.json: not JSON: /],
    ['not an object', () => loadTokenizer(write([])), /tokenizer\.json: at \(the top level\): /],
    [
      'no model',
      () => loadTokenizer(write({ added_tokens: [] })),
      /tokenizer\.json: at model: expected a model of type "Unigram", "BPE" or "WordPiece"$/,
    ],
    [
      'a model type the gateway does not take',
      () => loadTokenizer(write({ ...uni.json, model: { ...model, type: 'WordLevel' } })),
      /tokenizer\.json: at model\.type: expected a model of type "Unigram", "BPE" or "WordPiece"$/,
    ],
    [
      'a Unigram vocab of the wrong shape',
      () => loadTokenizer(write({ ...uni.json, model: { ...model, vocab: { a: 1 } } })),
      /tokenizer\.json: at model\.vocab: expected an array of \[piece, score\] pairs$/,
    ],
    [
      'a BPE vocab of the wrong shape',
      () => loadTokenizer(write({ ...uni.json, model: { type: 'BPE', vocab: [], merges: [] } })),
      /tokenizer\.json: at model\.vocab: expected an object of token → id$/,
    ],
    [
      'an added token without an id',
      () => loadTokenizer(write({ ...uni.json, added_tokens: [{ content: '[CLS]' }] })),
      /tokenizer\.json: at added_tokens\.0\.id: /,
    ],
    [
      'a component without a type',
      () => loadTokenizer(write({ ...uni.json, normalizer: { lowercase: true } })),
      /tokenizer\.json: at normalizer\.type: expected a string naming the component type$/,
    ],
    [
      'a component the library does not know',
      () => loadTokenizer(write({ ...uni.json, pre_tokenizer: { type: 'Klingon' } })),
      /tokenizer\.json: the tokenizer cannot be built: .*Klingon/,
    ],
    [
      'a post-processor that drops the text',
      () =>
        loadTokenizer(
          write({
            ...uni.json,
            post_processor: {
              ...(uni.json.post_processor as object),
              single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }],
            },
          }),
        ),
      /tokenizer\.json: at post_processor: expected special tokens before and after the text, got \["\[CLS\]"\]/,
    ],
    [
      'a required tokenizer_config.json that is missing',
      () => loadTokenizer(write(uni.json, null), { path: path.join(dir, 'none.json'), required: true }),
      /^cannot read the tokenizer config .*none\.json \(ENOENT\)$/,
    ],
    [
      'a tokenizer_config.json with a wrong field',
      () => {
        const file = write(uni.json, { model_max_length: 'long' });
        return loadTokenizer(file, beside(file));
      },
      /tokenizer_config\.json: at model_max_length: /,
    ],
  ])('%s', (_, run, message) => {
    expect(run).toThrow(TokenizerFileError);
    expect(run).toThrow(message);
  });
});

describe('segments', () => {
  it.each([
    ['short text', 'abc def', 100, ['abc def']],
    ['empty text', '', 4, ['']],
    ['cut before the space that precedes a word', 'aaa bbb ccc', 6, ['aaa', ' bbb', ' ccc']],
    ['a run of spaces stays with the word after it', 'aa   bb', 6, ['aa  ', ' bb']],
    ['no space: a hard cut', 'abcdefgh', 3, ['abc', 'def', 'gh']],
    ['never inside a surrogate pair', 'ab😀cd', 3, ['ab', '😀c', 'd']],
  ])('%s', (_, text, size, parts) => {
    expect([...segments(text, size)]).toEqual(parts);
    expect([...segments(text, size)].join('')).toBe(text);
  });
});
