/**
 * A local guardrail provider: a text classifier in ONNX format (Llama Prompt Guard 2, ProtectAI's DeBERTa-v3
 * prompt-injection model, a DistilBERT one... exported with Hugging Face optimum), run in-process with
 * onnxruntime-node. It judges the whole text like the remote providers do, in the input and output phases alike:
 * rule `<name>.<rule>`, flagged when the unsafe label's score reaches the threshold. Nothing is downloaded, ever: the
 * model, its tokenizer.json (read by @huggingface/tokenizers, tokenizer.ts) or vocab.txt, and its config.json are
 * local files; `model` may name the export's folder.
 *
 * onnxruntime-node is an optional peer dependency. It is imported, with the model session created, on the first
 * scan (or by `config validate`), once per provider; concurrent scans share the session (onnxruntime-node runs one
 * inference at a time on the JS thread, so they take turns chunk by chunk). A long text is cut into overlapping
 * chunks of `maxLength` tokens and the highest chunk score counts; past `maxChunks` the scan fails (or, with
 * `overflow: "truncate"`, reads only the first chunks).
 *
 * Failure mode: CLOSED by default, as for the remote providers (client.ts). A missing onnxruntime-node, an
 * unreadable or corrupt model, tokenizer.json or vocab, a text the tokenizer cannot map to ids, tensor names the model does not have, a timeout (checked between chunks), a text that
 * needs too many chunks or a failed inference make `scan` throw a GatewayError naming the provider; the stage turns
 * that into a deny. With `failOpen: true` they return [] and go to `hooks.onFailure`. An abort always rejects.
 * A failed set-up is tried again on the next scan, so fixing the file does not need a restart.
 */
import { cachedScan } from './cached-scan.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
// Types from onnxruntime-common (what onnxruntime-node re-exports; no install script): the checkout does not install
// onnxruntime-node, and type-checking must not need it.
import type * as Ort from 'onnxruntime-common';
import { GatewayError, messageOf, type GatewayErrorCode } from '../../errors.js';
import { maskExcerpt, type AsyncDetector, type Detection } from '../types.js';
import type { ProviderHooks } from './client.js';
import { hashingVector, hashingWords, type HashingOptions } from './hashing.js';
import { ruleSegment } from './json.js';
import type { OnnxProviderConfig, ProviderConfig } from './schema.js';
import { loadTokenizer, TokenizerFileError, type LoadedTokenizer } from './tokenizer.js';
import { encodeWordPiece, parseVocab, type WordPieceVocab } from './wordpiece.js';

export type OrtModule = typeof Ort;

type TokenizerConfig = NonNullable<OnnxProviderConfig['tokenizer']>;
type WordPieceTokenizerConfig = Extract<TokenizerConfig, { type: 'wordpiece' }>;
type HuggingFaceTokenizerConfig = Extract<TokenizerConfig, { type: 'huggingface' }>;

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_LENGTH = 512;
const DEFAULT_OVERLAP = 64;
const DEFAULT_MAX_CHUNKS = 16;
const DEFAULT_THRESHOLD = 0.5;
const DEFAULT_CACHE_SIZE = 1000;

// The variable stops its install script from fetching the CUDA provider from NuGet (unused here) on Linux x64.
const INSTALL_HINT =
  'ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node; with a global gateway: ONNXRUNTIME_NODE_INSTALL=skip npm install -g onnxruntime-node';
/** The user's own install, resolved at run time (build.mjs keeps it external); a variable, so tsc does not look for its types. */
const RUNTIME_PACKAGE = 'onnxruntime-node';

export interface OnnxDeps {
  /** How onnxruntime-node is loaded; tests replace it to play a machine where it is not installed. */
  loadRuntime?: () => Promise<OrtModule>;
}

export interface OnnxDetector extends AsyncDetector {
  /** Loads the runtime, the model and the tokenizer; resolves to a one-line summary, or throws the set-up failure. */
  ready(): Promise<string>;
}

type FailureKind = 'runtime-missing' | 'setup' | 'timeout' | 'too-long' | 'inference';

class OnnxFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

const CODES: Record<FailureKind, GatewayErrorCode> = {
  'runtime-missing': 'CONFIG_INVALID',
  setup: 'CONFIG_INVALID',
  timeout: 'UPSTREAM_TIMEOUT',
  'too-long': 'INTERNAL',
  inference: 'INTERNAL',
};

/** What one chunk becomes: the feeds of one run. */
type Featurize = (chunk: readonly number[] | readonly string[]) => Record<string, Ort.Tensor>;

/** Everything a scan needs, built once. */
interface Loaded {
  session: Ort.InferenceSession;
  /** The tokens (word-piece ids, or words for hashing) of a text, at most `limit`. */
  tokenize(text: string, limit: number): number[] | string[];
  featurize: Featurize;
  /** Tokens per chunk, and how many consecutive chunks share. */
  body: number;
  overlap: number;
  output: string;
  unsafeIndex: number;
  rule: string;
  summary: string;
}

export function createOnnxProvider(
  cfg: OnnxProviderConfig & { name: string },
  hooks: ProviderHooks = {},
  deps: OnnxDeps = {},
): OnnxDetector {
  const name = cfg.name;
  const loadRuntime = deps.loadRuntime ?? (() => import(RUNTIME_PACKAGE) as Promise<OrtModule>);
  const timeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const threshold = cfg.threshold ?? DEFAULT_THRESHOLD;
  const maxChunks = cfg.maxChunks ?? DEFAULT_MAX_CHUNKS;
  const cacheSize = cfg.cacheSize ?? DEFAULT_CACHE_SIZE;
  // A local model gives the same answer for the same text: no TTL.
  const cache = cacheSize > 0 ? new LRUCache<string, readonly Detection[]>({ max: cacheSize }) : undefined;
  let loading: Promise<Loaded> | undefined;

  function load(): Promise<Loaded> {
    loading ??= setUp(cfg, loadRuntime).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  }

  function fail(failure: OnnxFailure): GatewayError {
    return new GatewayError(CODES[failure.kind], `guardrail provider "${name}" failed: ${failure.message}`, {
      data: { provider: name, failure: failure.kind },
    });
  }

  async function score(model: Loaded, text: string, signal: AbortSignal): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const stride = model.body - model.overlap;
    // The most tokens maxChunks chunks can cover; one more tells that the text is longer.
    const cap = model.body + (maxChunks - 1) * stride;
    let tokens: number[] | string[];
    try {
      tokens = model.tokenize(text, cap + 1);
    } catch (error) {
      throw new OnnxFailure('inference', `cannot tokenize the text: ${messageOf(error)}`);
    }
    if (tokens.length > cap) {
      if (cfg.overflow !== 'truncate')
        throw new OnnxFailure(
          'too-long',
          `the text needs more than maxChunks (${maxChunks}) chunks of ${model.body} tokens; raise maxChunks or set overflow: "truncate"`,
        );
      tokens = tokens.slice(0, cap);
    }
    const chunks = Math.max(1, Math.ceil((tokens.length - model.overlap) / stride));
    let best = 0;
    for (let i = 0; i < chunks; i++) {
      signal.throwIfAborted();
      if (Date.now() > deadline)
        throw new OnnxFailure('timeout', `timed out after ${timeoutMs} ms (at chunk ${i + 1} of ${chunks})`);
      const chunk = tokens.slice(i * stride, i * stride + model.body);
      let out: Ort.InferenceSession.ReturnType;
      try {
        out = await model.session.run(model.featurize(chunk), [model.output]);
      } catch (error) {
        throw new OnnxFailure('inference', `inference failed: ${messageOf(error)}`);
      }
      best = Math.max(best, probability(out[model.output], model.unsafeIndex, cfg.activation ?? 'auto'));
    }
    return best;
  }

  return {
    id: name,
    async ready() {
      try {
        return (await load()).summary;
      } catch (error) {
        if (error instanceof OnnxFailure) throw fail(error);
        throw error;
      }
    },
    scan(text, _where, signal) {
      const options = {
        cache,
        key: () => createHash('sha256').update(text).digest('hex'),
        failOpen: cfg.failOpen === true,
        isFailure: (e: unknown): e is OnnxFailure => e instanceof OnnxFailure,
        fail,
        ...(hooks.onFailure ? { onFailure: hooks.onFailure } : {}),
      };
      return cachedScan(signal, options, async () => {
        const model = await untilAborted(load(), signal);
        const s = await score(model, text, signal);
        return s >= threshold
          ? [{ detector: name, rule: `${name}.${model.rule}`, score: s, excerpt: maskExcerpt(text) }]
          : [];
      });
    },
  };
}

/**
 * For `config validate`: sets up every local model provider now (runtime, model, vocab, tensor names, labels), so
 * a missing piece shows up there and not as blocked calls. Resolves to a summary per provider; throws one
 * CONFIG_INVALID error that names the file and every provider that cannot start.
 */
export async function checkOnnxProviders(
  file: string,
  providers: Record<string, ProviderConfig>,
  deps: OnnxDeps = {},
): Promise<Map<string, string>> {
  const summaries = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, cfg] of Object.entries(providers)) {
    if (cfg.type !== 'onnx') continue;
    try {
      summaries.set(name, await createOnnxProvider({ ...cfg, name }, {}, deps).ready());
    } catch (error) {
      problems.push(`  at providers.${name}: ${messageOf(error)}`);
    }
  }
  if (problems.length > 0) throw new GatewayError('CONFIG_INVALID', `${file}: invalid config:\n${problems.join('\n')}`);
  return summaries;
}

/** Loads the runtime, checks the files, creates the session and matches the config against the model. */
async function setUp(cfg: OnnxProviderConfig & { name: string }, loadRuntime: () => Promise<OrtModule>) {
  const ort = await importRuntime(cfg.name, loadRuntime);
  const modelPath = modelFile(path.resolve(cfg.model));
  await readable(modelPath, 'the model');
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      // Errors only: onnxruntime's warnings about unused initializers are noise in the gateway's stderr.
      logSeverityLevel: 3,
    });
  } catch (error) {
    throw new OnnxFailure('setup', `cannot load the model ${modelPath}: ${messageOf(error)}`);
  }
  const inputs = session.inputNames;
  const meta = (tensor: string) => tensorMeta(session.inputMetadata, tensor);
  const listed = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
  const need = (tensor: string, what: string) => {
    if (!inputs.includes(tensor))
      throw new OnnxFailure('setup', `the model has no input "${tensor}" (${what}); its inputs are ${listed(inputs)}`);
    return tensor;
  };

  const output = pickOutput(cfg.output, session.outputNames, listed);
  const maxLength = cfg.maxLength ?? DEFAULT_MAX_LENGTH;
  // Unset, the overlap is at most a quarter of a chunk, so a short maxLength (or fixed length) still moves on.
  const overlapFor = (body: number) => cfg.overlap ?? Math.min(DEFAULT_OVERLAP, Math.floor(body / 4));
  let tokenize: Loaded['tokenize'];
  let featurize: Featurize;
  let body: number;
  let fed: string[];
  let tokenizerSummary: string;

  const tokenizerCfg = cfg.tokenizer ?? { type: 'huggingface' as const };
  if (tokenizerCfg.type !== 'hashing') {
    const ids = need(cfg.inputs?.ids ?? 'input_ids', 'inputs.ids');
    const optional = (configured: string | undefined, fallback: string, what: string) =>
      configured !== undefined ? need(configured, what) : inputs.includes(fallback) ? fallback : undefined;
    const mask = optional(cfg.inputs?.mask, 'attention_mask', 'inputs.mask');
    const typeIds = optional(cfg.inputs?.typeIds, 'token_type_ids', 'inputs.typeIds');
    fed = [ids, mask, typeIds].filter((t): t is string => t !== undefined);
    const tensorOf = integerTensor(ort, fed, meta, tokenizerCfg.type);
    const words =
      tokenizerCfg.type === 'wordpiece'
        ? wordPieceIds(tokenizerCfg, modelPath)
        : huggingFaceIds(tokenizerCfg, modelPath, cfg.tokenizer === undefined);
    // A model exported with a fixed sequence length gets every chunk padded to it.
    const fixed = fixedDim(meta(ids)?.shape[1]);
    const length = Math.min(maxLength, fixed ?? maxLength, words.modelMaxLength ?? maxLength);
    const specials = words.specials;
    if (length - specials < 1 || overlapFor(length - specials) >= length - specials)
      throw new OnnxFailure(
        'setup',
        `overlap (${cfg.overlap ?? 0}) must be smaller than the model's length ${length} - ${specials}`,
      );
    body = length - specials;
    tokenize = (text, limit) => words.encode(text, limit);
    tokenizerSummary = words.summary;
    featurize = (chunk) => {
      const real = words.wrap(chunk as number[]);
      const size = fixed ?? real.ids.length;
      const idValues = Array.from({ length: size }, (_, i) => real.ids[i] ?? words.pad);
      const feeds: Record<string, Ort.Tensor> = { [ids]: tensorOf(ids, idValues) };
      if (mask)
        feeds[mask] = tensorOf(
          mask,
          idValues.map((_, i) => (i < real.ids.length ? 1 : 0)),
        );
      if (typeIds)
        feeds[typeIds] = tensorOf(
          typeIds,
          idValues.map((_, i) => real.typeIds[i] ?? 0),
        );
      return feeds;
    };
  } else {
    const configured = cfg.inputs?.features;
    if (configured === undefined && inputs.length !== 1)
      throw new OnnxFailure('setup', `the model has several inputs (${listed(inputs)}): set inputs.features`);
    const input = need(configured ?? inputs[0]!, 'inputs.features');
    fed = [input];
    const type = meta(input)?.type ?? 'float32';
    if (type !== 'float32')
      throw new OnnxFailure('setup', `the model's input "${input}" is ${type}; a hashing tokenizer feeds float32`);
    const width = fixedDim(meta(input)?.shape.at(-1));
    const features = tokenizerCfg.features ?? width;
    if (features === undefined)
      throw new OnnxFailure('setup', `the width of input "${input}" is not fixed: set tokenizer.features`);
    if (width !== undefined && width !== features)
      throw new OnnxFailure('setup', `tokenizer.features is ${features} but input "${input}" is ${width} wide`);
    const opts: HashingOptions = { ...tokenizerCfg, features };
    tokenizerSummary = 'hashing';
    body = maxLength;
    tokenize = (text, limit) => hashingWords(text, opts.lowercase ?? true, limit);
    featurize = (chunk) => ({
      [input]: new ort.Tensor('float32', hashingVector(chunk as string[], opts), [1, features]),
    });
  }
  const unfed = inputs.filter((i) => !fed.includes(i));
  if (unfed.length > 0)
    throw new OnnxFailure('setup', `the model also needs ${listed(unfed)}, which this tokenizer does not make`);

  const labels = cfg.labels ?? readLabels(modelPath, typeof cfg.unsafeLabel === 'string');
  const outWidth = fixedDim(tensorMeta(session.outputMetadata, output)?.shape.at(-1));
  const unsafeIndex = unsafeIndexOf(cfg.unsafeLabel, labels, outWidth);
  if (outWidth !== undefined && unsafeIndex >= outWidth)
    throw new OnnxFailure('setup', `unsafeLabel ${unsafeIndex} is out of range: "${output}" has ${outWidth} values`);
  const label = labels?.[unsafeIndex];
  const rule = cfg.rule ?? (label !== undefined ? ruleSegment(label.toLowerCase()) : 'flagged');
  const summary =
    `${path.basename(modelPath)}: ${tokenizerSummary}, inputs ${listed(fed)} → "${output}", ` +
    `unsafe label ${unsafeIndex}${label !== undefined ? ` (${label})` : ''}, rule ${cfg.name}.${rule}`;
  const overlap = overlapFor(body);
  return { session, tokenize, featurize, body, overlap, output, unsafeIndex, rule, summary } satisfies Loaded;
}

/** A folder is an export (optimum's layout): its model.onnx, with tokenizer.json and config.json beside it. */
function modelFile(given: string): string {
  try {
    if (fs.statSync(given).isDirectory()) return path.join(given, 'model.onnx');
  } catch {
    // A path that cannot be read is reported as the model (readable names it).
  }
  return given;
}

/** What the token-id inputs need from a tokenizer: the ids of a text, and one chunk wrapped as the model reads it. */
type TokenIds = LoadedTokenizer;

/** The hand-written BERT WordPiece over a vocab.txt: [CLS] chunk [SEP], type ids all 0. */
function wordPieceIds(tokenizer: WordPieceTokenizerConfig, modelPath: string): TokenIds {
  const vocabPath = path.resolve(tokenizer.vocab ?? path.join(path.dirname(modelPath), 'vocab.txt'));
  try {
    fs.accessSync(vocabPath, fs.constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new OnnxFailure('setup', `cannot read the vocab ${vocabPath} (${code})`);
  }
  let vocab: WordPieceVocab;
  try {
    vocab = parseVocab(fs.readFileSync(vocabPath, 'utf8'));
  } catch (error) {
    throw new OnnxFailure('setup', `${vocabPath}: ${messageOf(error)}`);
  }
  const lowercase = tokenizer.lowercase ?? true;
  return {
    encode: (text, limit) => encodeWordPiece(text, vocab, lowercase, limit),
    wrap: (chunk) => ({ ids: [vocab.cls, ...chunk, vocab.sep], typeIds: new Array<number>(chunk.length + 2).fill(0) }),
    specials: 2,
    pad: vocab.pad,
    summary: 'wordpiece',
  };
}

/** A tokenizer.json through @huggingface/tokenizers (tokenizer.ts). */
function huggingFaceIds(tokenizer: HuggingFaceTokenizerConfig, modelPath: string, byDefault: boolean): TokenIds {
  const file = path.resolve(tokenizer.path ?? path.join(path.dirname(modelPath), 'tokenizer.json'));
  const configFile =
    tokenizer.config !== undefined
      ? { path: path.resolve(tokenizer.config), required: true }
      : { path: path.join(path.dirname(file), 'tokenizer_config.json'), required: false };
  try {
    const loaded = loadTokenizer(file, configFile);
    return { ...loaded, summary: `${path.basename(file)} (${loaded.summary})` };
  } catch (error) {
    if (!(error instanceof TokenizerFileError)) throw error;
    const hint =
      byDefault && !fs.existsSync(file)
        ? '; put the tokenizer.json of the export beside the model, or set tokenizer (huggingface with a path, wordpiece, hashing)'
        : '';
    throw new OnnxFailure('setup', `${error.message}${hint}`);
  }
}

async function importRuntime(name: string, loadRuntime: () => Promise<OrtModule>): Promise<OrtModule> {
  try {
    return await loadRuntime();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new OnnxFailure(
        'runtime-missing',
        `onnxruntime-node is not installed: install onnxruntime-node (${INSTALL_HINT}) or remove provider "${name}"`,
      );
    throw new OnnxFailure('runtime-missing', `cannot load onnxruntime-node: ${messageOf(error)}`);
  }
}

async function readable(file: string, what: string): Promise<void> {
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new OnnxFailure('setup', `cannot read ${what} ${file} (${code})`);
  }
}

function pickOutput(
  configured: string | undefined,
  outputs: readonly string[],
  listed: (n: readonly string[]) => string,
) {
  if (configured !== undefined) {
    if (!outputs.includes(configured))
      throw new OnnxFailure('setup', `the model has no output "${configured}"; its outputs are ${listed(outputs)}`);
    return configured;
  }
  if (outputs.includes('logits')) return 'logits';
  if (outputs.length === 1) return outputs[0]!;
  throw new OnnxFailure('setup', `the model has several outputs (${listed(outputs)}): set output`);
}

type TensorMeta = Ort.InferenceSession.TensorValueMetadata;

/** A tensor's declared type and shape; older onnxruntime-node versions do not declare them. */
function tensorMeta(all: readonly Ort.InferenceSession.ValueMetadata[] | undefined, name: string) {
  return all?.find((m): m is TensorMeta => m.name === name && m.isTensor);
}

/** A dimension that is a number (not symbolic like "batch" or "sequence"). */
function fixedDim(dim: number | string | undefined): number | undefined {
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

/** Token tensors in the type the model declares: int64 (what optimum exports) or int32. */
function integerTensor(
  ort: OrtModule,
  names: string[],
  meta: (name: string) => TensorMeta | undefined,
  tokenizer: string,
): (name: string, values: number[]) => Ort.Tensor {
  const types = new Map<string, 'int64' | 'int32'>();
  for (const n of names) {
    const type = meta(n)?.type ?? 'int64';
    if (type !== 'int64' && type !== 'int32')
      throw new OnnxFailure(
        'setup',
        `the model's input "${n}" is ${type}; a ${tokenizer} tokenizer feeds int64 or int32`,
      );
    types.set(n, type);
  }
  return (n, values) =>
    types.get(n) === 'int32'
      ? new ort.Tensor('int32', Int32Array.from(values), [1, values.length])
      : new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
}

/** Label names by index: from the config.json that optimum writes beside the model (id2label), when there is one. */
function readLabels(modelPath: string, required: boolean): string[] | undefined {
  const file = path.join(path.dirname(modelPath), 'config.json');
  let id2label: unknown;
  try {
    id2label = (JSON.parse(fs.readFileSync(file, 'utf8')) as { id2label?: unknown }).id2label;
  } catch (error) {
    if (!required) return undefined;
    throw new OnnxFailure(
      'setup',
      `unsafeLabel is a name, but ${file} cannot be read (${messageOf(error)}): set labels`,
    );
  }
  if (typeof id2label !== 'object' || id2label === null) {
    if (!required) return undefined;
    throw new OnnxFailure('setup', `unsafeLabel is a name, but ${file} has no id2label: set labels`);
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(id2label)) if (/^\d+$/.test(k) && typeof v === 'string') out[Number(k)] = v;
  return out;
}

function unsafeIndexOf(
  unsafe: number | string | undefined,
  labels: string[] | undefined,
  outWidth: number | undefined,
): number {
  if (typeof unsafe === 'number') return unsafe;
  if (unsafe === undefined) return outWidth === 1 ? 0 : 1;
  const i = labels?.findIndex((l) => l.toLowerCase() === unsafe.toLowerCase()) ?? -1;
  if (i < 0) throw new OnnxFailure('setup', `no label named "${unsafe}" (labels: ${(labels ?? []).join(', ')})`);
  return i;
}

/** The unsafe label's 0..1 score from one output row. */
function probability(tensor: Ort.Tensor | undefined, index: number, activation: string): number {
  const data = tensor?.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array) || data.length === 0)
    throw new OnnxFailure('inference', `the output is ${tensor?.type ?? 'missing'}; expected float scores`);
  // One text per run: the first row is the batch.
  const row = Array.from(data.subarray(0, tensor!.dims.length > 1 ? data.length / tensor!.dims[0]! : data.length));
  if (index >= row.length)
    throw new OnnxFailure('inference', `unsafeLabel ${index} is out of range: the output has ${row.length} values`);
  let p: number;
  const mode = activation === 'auto' ? (row.length === 1 ? 'sigmoid' : 'softmax') : activation;
  if (mode === 'sigmoid') p = 1 / (1 + Math.exp(-row[index]!));
  else if (mode === 'softmax') {
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    p = exps[index]! / exps.reduce((a, b) => a + b, 0);
  } else p = row[index]!;
  if (!(p >= 0 && p <= 1))
    throw new OnnxFailure('inference', `the score ${p} is not a probability: set activation to softmax or sigmoid`);
  return p;
}

/** Rejects as soon as the signal aborts, without waiting for a model that is still loading. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
