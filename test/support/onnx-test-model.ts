/**
 * Test support: tiny ONNX classifiers written byte by byte, so the local model provider is tested against the real
 * onnxruntime-node with nothing downloaded and no model file in the repository. A minimal protobuf writer covers
 * the few ModelProto fields these graphs need (field numbers from onnx/onnx.proto, IR version 8, opset 13).
 *
 * - `wordPieceModel`: Gather(embedding, input_ids) → ReduceMax over the tokens → logits [batch, 2]. Every token
 *   scores [1, 0] except the `unsafe` words, which score [0, 6], so one such word anywhere flags the text.
 * - `hashingModel`: MatMul(features, W) + b → logits [batch, 2], with W set so the `unsafe` columns flag a text.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// --- protobuf wire format -------------------------------------------------------------------------------------

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

type Field = number[];

const tag = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number | bigint): Field => [...tag(field, 0), ...varint(value)];
const bytes = (field: number, data: ArrayLike<number>): Field => [
  ...tag(field, 2),
  ...varint(data.length),
  ...Array.from(data),
];
const str = (field: number, s: string): Field => bytes(field, Buffer.from(s, 'utf8'));
const msg = (field: number, ...fields: Field[]): Field => bytes(field, fields.flat());

// --- ONNX messages --------------------------------------------------------------------------------------------

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;

/** A dimension: a number, or a symbolic name such as "batch". */
type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]): Field {
  const shape = dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return [...str(1, name), ...msg(2, msg(1, int(1, elemType), msg(2, ...shape)))];
}

function floatTensor(name: string, dims: number[], values: number[]): Field {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...str(8, name), ...bytes(9, raw)];
}

interface Attribute {
  name: string;
  ints?: number[];
  int?: number;
}

function node(op: string, inputs: string[], outputs: string[], attrs: Attribute[] = []): Field {
  return [
    ...inputs.flatMap((i) => str(1, i)),
    ...outputs.flatMap((o) => str(2, o)),
    ...str(3, `${op}_${outputs[0]}`),
    ...str(4, op),
    ...attrs.flatMap((a) =>
      msg(
        5,
        str(1, a.name),
        a.ints ? int(20, 7) : int(20, 2), // AttributeProto.type: INTS = 7, INT = 2
        a.ints ? a.ints.flatMap((v) => int(8, v)) : int(3, a.int ?? 0),
      ),
    ),
  ];
}

interface Graph {
  nodes: Field[];
  initializers: Field[];
  inputs: Field[];
  outputs: Field[];
}

function model(g: Graph): Buffer {
  const graph = [
    ...g.nodes.flatMap((n) => msg(1, n)),
    ...str(2, 'tiny'),
    ...g.initializers.flatMap((t) => msg(5, t)),
    ...g.inputs.flatMap((i) => msg(11, i)),
    ...g.outputs.flatMap((o) => msg(12, o)),
  ];
  return Buffer.from([
    ...int(1, 8), // ir_version
    ...str(2, 'secure-mcp-gateway tests'),
    ...msg(7, graph),
    ...msg(8, str(1, ''), int(2, 13)), // opset_import: the default domain, opset 13
  ]);
}

// --- the test models ------------------------------------------------------------------------------------------

export interface WordPieceModelOptions {
  /** The vocab, in id order; the special tokens must be in it. */
  vocab: string[];
  /** Tokens (as in the vocab, "##" pieces included) that make a text unsafe. */
  unsafe: string[];
  /** Input names; the mask and type ids are declared but unused, like a model that accepts them. */
  ids?: string;
  mask?: string | false;
  typeIds?: string | false;
  output?: string;
  /** A fixed sequence length instead of a symbolic one. */
  seqLength?: number;
  /** The element type of the token inputs; default int64, as optimum exports them. */
  idType?: 'int64' | 'int32';
  /** The element type of the mask and type ids, when it differs from idType. */
  maskType?: 'int64' | 'int32' | 'float';
}

export function wordPieceModel(opts: WordPieceModelOptions): Buffer {
  const ids = opts.ids ?? 'input_ids';
  const output = opts.output ?? 'logits';
  const seq: Dim = opts.seqLength ?? 'sequence';
  const embedding = opts.vocab.flatMap((token) => (opts.unsafe.includes(token) ? [0, 6] : [1, 0]));
  const types = { int64: INT64, int32: INT32, float: FLOAT };
  const idType = types[opts.idType ?? 'int64'];
  const maskType = types[opts.maskType ?? opts.idType ?? 'int64'];
  const inputs = [valueInfo(ids, idType, ['batch', seq])];
  if (opts.mask !== false) inputs.push(valueInfo(opts.mask ?? 'attention_mask', maskType, ['batch', seq]));
  if (opts.typeIds !== undefined && opts.typeIds !== false)
    inputs.push(valueInfo(opts.typeIds, maskType, ['batch', seq]));
  return model({
    nodes: [
      node('Gather', ['embedding', ids], ['embedded']),
      node(
        'ReduceMax',
        ['embedded'],
        [output],
        [
          { name: 'axes', ints: [1] },
          { name: 'keepdims', int: 0 },
        ],
      ),
    ],
    initializers: [floatTensor('embedding', [opts.vocab.length, 2], embedding)],
    inputs,
    outputs: [valueInfo(output, FLOAT, ['batch', 2])],
  });
}

export interface HashingModelOptions {
  features: number;
  /** Columns (with the sign their word hashes to) whose weight pushes a text to unsafe. */
  unsafeColumns: { column: number; sign: number }[];
  input?: string;
  output?: string;
  /** One output column (a single logit) instead of two. */
  singleLogit?: boolean;
  /** Also output the product before the bias under this name, to make a model with two outputs. */
  alsoOutput?: string;
  /** Declare the input's width as a symbol instead of the number, as some exporters do. */
  symbolicWidth?: boolean;
  /** The bias b; default [1, 0], or [-2] for a single logit. */
  bias?: number[];
}

/** logits = features · W + b. A text without unsafe words scores [1, 0] (safe); an unsafe column adds 30 × its share of the vector. */
export function hashingModel(opts: HashingModelOptions): Buffer {
  const input = opts.input ?? 'features';
  const output = opts.output ?? 'logits';
  const width = opts.singleLogit ? 1 : 2;
  const weights: number[] = [];
  for (let row = 0; row < opts.features; row++) {
    // Weights apply to an l2-normalised vector, hence the large unsafe weight.
    const hit = 30 * (opts.unsafeColumns.find((c) => c.column === row)?.sign ?? 0);
    weights.push(...(opts.singleLogit ? [hit] : [0, hit]));
  }
  return model({
    nodes: [
      node('MatMul', [input, 'W'], [opts.alsoOutput ?? 'scaled']),
      node('Add', [opts.alsoOutput ?? 'scaled', 'b'], [output]),
    ],
    initializers: [
      floatTensor('W', [opts.features, width], weights),
      floatTensor('b', [width], opts.bias ?? (opts.singleLogit ? [-2] : [1, 0])),
    ],
    inputs: [valueInfo(input, FLOAT, ['batch', opts.symbolicWidth ? 'width' : opts.features])],
    outputs: [
      valueInfo(output, FLOAT, ['batch', width]),
      ...(opts.alsoOutput ? [valueInfo(opts.alsoOutput, FLOAT, ['batch', width])] : []),
    ],
  });
}

/** A fresh folder under the OS temp dir, for a model and its vocab. */
export function tempModelDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'smg-onnx-'));
}

// --- tiny tokenizer.json files --------------------------------------------------------------------------------

/** A tokenizer.json and tokenizer_config.json as transformers writes them, and the vocab by id for the test model. */
export interface TinyTokenizer {
  json: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Token strings by id, so `tokenModel` can give each id its score. */
  vocab: string[];
}

const special = (content: string, id: number) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

const LETTERS = [...'abcdefghijklmnopqrstuvwxyz.,!?'];

/**
 * A SentencePiece/Unigram tokenizer shaped like DeBERTa-v3's export (the tokenizer of Prompt Guard 2 and ProtectAI's
 * model): Replace/NFKC normalizer, Metaspace pre-tokenizer, [CLS] $A [SEP] TemplateProcessing, Unigram pieces
 * "▁word" for each word (cheap) and single letters (dear), so a known word is one piece and anything else is spelt.
 */
export function unigramTokenizer(words: string[]): TinyTokenizer {
  const specials = ['[PAD]', '[CLS]', '[SEP]', '[UNK]', '[MASK]'];
  const pieces: [string, number][] = [
    ...specials.map((s): [string, number] => [s, 0]),
    ['▁', -3],
    ...LETTERS.map((l): [string, number] => [l, -8]),
    ...words.map((w): [string, number] => [`▁${w}`, -1]),
  ];
  const tokenOf = (id: string, n: number) => ({ id, ids: [n], tokens: [id] });
  return {
    vocab: pieces.map(([p]) => p),
    config: {
      model_max_length: 1000000000000000019884624838656,
      pad_token: '[PAD]',
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      unk_token: '[UNK]',
      do_lower_case: false,
      tokenizer_class: 'DebertaV2Tokenizer',
    },
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: specials.map(special),
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Replace', pattern: { String: '``' }, content: '"' },
          { type: 'NFKC' },
          { type: 'Lowercase' },
          { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
        ],
      },
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: '[SEP]', type_id: 1 } },
        ],
        special_tokens: { '[CLS]': tokenOf('[CLS]', 1), '[SEP]': tokenOf('[SEP]', 2) },
      },
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      model: { type: 'Unigram', unk_id: 3, vocab: pieces, byte_fallback: false },
    },
  };
}

/**
 * A byte-level BPE tokenizer shaped like RoBERTa's export: ByteLevel pre-tokenizer and decoder, <s> $A </s> by
 * RobertaProcessing, and merges that build "Ġword" (a word after a space) letter by letter for each word.
 */
export function bpeTokenizer(words: string[]): TinyTokenizer {
  const vocab = ['<s>', '<pad>', '</s>', '<unk>', 'Ġ', ...LETTERS];
  const merges: [string, string][] = [];
  for (const w of words) {
    let left = 'Ġ';
    for (const ch of w) {
      const next = left + ch;
      if (!vocab.includes(next)) {
        vocab.push(next);
        merges.push([left, ch]);
      }
      left = next;
    }
  }
  return {
    vocab,
    config: { model_max_length: 512, pad_token: '<pad>', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: ['<s>', '<pad>', '</s>', '<unk>'].map(special),
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: {
        type: 'RobertaProcessing',
        sep: ['</s>', 2],
        cls: ['<s>', 0],
        trim_offsets: true,
        add_prefix_space: false,
      },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
        merges,
      },
    },
  };
}

/** Writes an export folder: model.onnx, tokenizer.json, tokenizer_config.json and, with labels, config.json. */
export function writeExport(dir: string, tok: TinyTokenizer, onnx: Buffer, labels?: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), onnx);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tok.json));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tok.config));
  if (labels)
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])) }),
    );
  return dir;
}

/** The token-id classifier of `wordPieceModel`, for any vocab: one unsafe token anywhere flags the text. */
export const tokenModel = wordPieceModel;
