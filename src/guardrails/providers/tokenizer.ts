/**
 * A Hugging Face `tokenizer.json` (with its optional `tokenizer_config.json`) for the local model provider
 * (onnx.ts), read by the maintained pure-JS library @huggingface/tokenizers, so standard open classifiers work as
 * exported: SentencePiece/Unigram (DeBERTa-v3, mDeBERTa: Llama Prompt Guard 2, ProtectAI's prompt-injection
 * model), byte-level BPE (RoBERTa) and WordPiece (BERT). The files are read from disk at set-up; nothing is fetched.
 *
 * It gives onnx.ts two things: the ids of a text WITHOUT special tokens (so a long text can be cut into chunks),
 * and a `wrap` that adds around one chunk the special tokens (and token type ids) the tokenizer's own
 * post-processor adds ([CLS] … [SEP] for BERT and DeBERTa, <s> … </s> for RoBERTa, none for plain byte-level).
 * The wrapping is learned once by encoding a probe text with and without special tokens, so it is whatever the
 * library's post-processor does, not a guess from the tokenizer's type.
 *
 * A huge text is encoded in segments cut before a space (or hard, when a segment has none) and the encoding stops
 * once it has more ids than asked for, so a 10 MB tool result costs only the chunks that are scanned. A word on a
 * segment boundary can come out one token different from a whole-text encoding; segments are thousands of
 * characters, so that is at most one token per segment.
 *
 * Failure mode: `loadTokenizer` throws a TokenizerFileError naming the file, the JSON path and what was expected
 * (a missing file, bad JSON, a vocab of the wrong shape, a component the library does not know, a post-processor
 * that is not a fixed prefix and suffix). onnx.ts turns that into a set-up failure: the stage denies.
 */
import fs from 'node:fs';
import * as tokenizers from '@huggingface/tokenizers';
import { z } from 'zod';
import { messageOf } from '../../errors.js';

/** Characters per encoding segment; a chunk of 512 tokens is rarely more than 3000 characters. */
export const SEGMENT_CHARS = 4096;

export class TokenizerFileError extends Error {}

/**
 * The part of the library's Tokenizer used here. Its published .d.ts files import each other without file
 * extensions, which NodeNext resolution cannot follow, so the type is written out once here instead.
 */
export interface LibraryTokenizer {
  encode(
    text: string,
    options?: { add_special_tokens?: boolean; return_token_type_ids?: boolean },
  ): { ids: number[]; tokens: string[]; token_type_ids?: number[] };
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}

/** The library's tokenizer from a parsed tokenizer.json and tokenizer_config.json; throws what the library throws. */
export function libraryTokenizer(json: object, config: object): LibraryTokenizer {
  const { Tokenizer } = tokenizers as unknown as { Tokenizer: new (json: object, config: object) => LibraryTokenizer };
  return new Tokenizer(json, config);
}

export interface LoadedTokenizer {
  /** Ids of the text without special tokens; stops once it has more than `limit` (so at most a segment more). */
  encode(text: string, limit: number): number[];
  /** One chunk as the model reads it: the post-processor's special tokens around it, and its token type ids. */
  wrap(chunk: readonly number[]): { ids: number[]; typeIds: number[] };
  /** How many special tokens `wrap` adds. */
  specials: number;
  /** The id that pads a fixed-length input. */
  pad: number;
  /** tokenizer_config.json's model_max_length, when it is a real length (not the "very large" placeholder). */
  modelMaxLength?: number;
  /** e.g. "Unigram, 128000 tokens, [CLS] … [SEP]". */
  summary: string;
}

const componentSchema = z
  .object({ type: z.string({ error: 'expected a string naming the component type' }) })
  .loose()
  .nullable()
  .optional();

const idSchema = z.number().int().min(0);

const modelSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('Unigram'),
        unk_id: idSchema.nullable().optional(),
        vocab: z.array(z.tuple([z.string(), z.number()]), {
          error: 'expected an array of [piece, score] pairs',
        }),
      })
      .loose(),
    z
      .object({
        type: z.literal('BPE'),
        vocab: z.record(z.string(), idSchema, { error: 'expected an object of token → id' }),
        merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])]), {
          error: 'expected an array of merges ("a b" or ["a", "b"])',
        }),
      })
      .loose(),
    z
      .object({
        type: z.literal('WordPiece'),
        vocab: z.record(z.string(), idSchema, { error: 'expected an object of token → id' }),
      })
      .loose(),
  ],
  { error: 'expected a model of type "Unigram", "BPE" or "WordPiece"' },
);

const tokenizerJsonSchema = z
  .object({
    model: modelSchema,
    added_tokens: z
      .array(z.object({ id: idSchema, content: z.string() }).loose())
      .optional()
      .default([]),
    normalizer: componentSchema,
    pre_tokenizer: componentSchema,
    post_processor: componentSchema,
    decoder: componentSchema,
  })
  .loose();

const tokenizerConfigSchema = z
  .object({
    model_max_length: z.number().optional(),
    pad_token: z.union([z.string(), z.object({ content: z.string() }).loose(), z.null()]).optional(),
  })
  .loose();

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? messageOf(error);
    throw new TokenizerFileError(`cannot read ${what} ${file} (${code})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerFileError(`${file}: not JSON: ${messageOf(error)}`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const at = issue.path.length > 0 ? issue.path.join('.') : '(the top level)';
  throw new TokenizerFileError(`${file}: at ${at}: ${issue.message}`);
}

/**
 * Reads tokenizer.json (and tokenizer_config.json when `configFile` is given and exists, or is required) and
 * builds the library's tokenizer. Synchronous: it runs once per provider, at set-up.
 */
export function loadTokenizer(file: string, configFile?: { path: string; required: boolean }): LoadedTokenizer {
  const json = parse(tokenizerJsonSchema, readJson(file, 'the tokenizer'), file);
  let config: z.infer<typeof tokenizerConfigSchema> = {};
  if (configFile && (configFile.required || fs.existsSync(configFile.path)))
    config = parse(tokenizerConfigSchema, readJson(configFile.path, 'the tokenizer config'), configFile.path);
  let tokenizer: LibraryTokenizer;
  try {
    tokenizer = libraryTokenizer(json, config);
  } catch (error) {
    throw new TokenizerFileError(`${file}: the tokenizer cannot be built: ${messageOf(error)}`);
  }

  const encodeBody = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids;
  const { prefix, suffix } = template(tokenizer, file);
  const vocabSize = tokenizer.get_vocab(true).size;
  const padToken = typeof config.pad_token === 'string' ? config.pad_token : config.pad_token?.content;
  const pad =
    [padToken, '<pad>', '[PAD]'].map((t) => (t === undefined ? undefined : tokenizer.token_to_id(t))).find(isId) ?? 0;
  // transformers writes int(1e30) when a model has no limit.
  const max = config.model_max_length;
  const modelMaxLength = max !== undefined && Number.isInteger(max) && max > 0 && max <= 1_000_000 ? max : undefined;
  const shown = (ids: readonly Slot[]) => ids.map((s) => tokenizer.id_to_token(s.id) ?? `#${s.id}`).join(' ');
  const around = prefix.length + suffix.length > 0 ? `${shown(prefix)} … ${shown(suffix)}`.trim() : 'no special tokens';

  return {
    encode(text, limit) {
      const ids: number[] = [];
      for (const segment of segments(text, SEGMENT_CHARS)) {
        for (const id of encodeBody(segment)) {
          // A piece with no id (a Unigram model without unk_id) would reach the model as garbage.
          if (!Number.isInteger(id)) throw new Error(`${file} has no id for a piece of the text and no unknown token`);
          ids.push(id);
        }
        if (ids.length > limit) break;
      }
      return ids;
    },
    wrap(chunk) {
      return {
        ids: [...prefix.map((s) => s.id), ...chunk, ...suffix.map((s) => s.id)],
        typeIds: [...prefix.map((s) => s.type), ...chunk.map(() => bodyType(prefix)), ...suffix.map((s) => s.type)],
      };
    },
    specials: prefix.length + suffix.length,
    pad,
    ...(modelMaxLength !== undefined ? { modelMaxLength } : {}),
    summary: `${json.model.type}, ${vocabSize} tokens, ${around}`,
  };
}

interface Slot {
  id: number;
  type: number;
}

const isId = (v: number | undefined): v is number => v !== undefined;

/** The type id of the text itself: the one after the prefix's, 0 for every single-sequence template in use. */
function bodyType(prefix: readonly Slot[]): number {
  return prefix.at(-1)?.type ?? 0;
}

/**
 * What the post-processor adds around one sequence, found by encoding a probe with and without special tokens:
 * the plain ids must appear once, whole, in the processed ones; what comes before and after is the template.
 */
function template(tokenizer: LibraryTokenizer, file: string): { prefix: Slot[]; suffix: Slot[] } {
  const probe = 'probe text';
  const plain: number[] = tokenizer.encode(probe, { add_special_tokens: false }).ids;
  const full = tokenizer.encode(probe, { add_special_tokens: true, return_token_type_ids: true });
  const types = full.token_type_ids ?? full.ids.map(() => 0);
  const starts: number[] = [];
  for (let at = 0; at + plain.length <= full.ids.length; at++)
    if (plain.every((id, i) => full.ids[at + i] === id)) starts.push(at);
  if (plain.length === 0 || starts.length !== 1)
    throw new TokenizerFileError(
      `${file}: at post_processor: expected special tokens before and after the text, got ${JSON.stringify(full.tokens)} for ${JSON.stringify(probe)}`,
    );
  const at = starts[0]!;
  const slot = (i: number): Slot => ({ id: full.ids[i]!, type: types[i] ?? 0 });
  return {
    prefix: Array.from({ length: at }, (_, i) => slot(i)),
    suffix: Array.from({ length: full.ids.length - at - plain.length }, (_, i) => slot(at + plain.length + i)),
  };
}

/**
 * Consecutive pieces of `text` of about `size` characters, cut just before a whitespace character that is followed
 * by a non-whitespace one (so the next piece starts with " word", which every common pre-tokenizer reads as it
 * would mid-text), or at `size` when there is no such place; never inside a surrogate pair.
 */
export function* segments(text: string, size: number): Generator<string> {
  let start = 0;
  while (text.length - start > size) {
    let cut = -1;
    for (let i = start + size - 1; i > start; i--) {
      if (/\s/.test(text[i]!) && i + 1 < text.length && !/\s/.test(text[i + 1]!)) {
        cut = i;
        break;
      }
    }
    if (cut < 0) {
      cut = start + size;
      const code = text.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
    }
    yield text.slice(start, cut);
    start = cut;
  }
  // The rest: never empty after a cut (a cut leaves more than `size` behind), and '' for an empty text.
  yield text.slice(start);
}
