/**
 * The config contract of the guardrail providers (remote APIs, and local ONNX models): a zod union on `type`,
 * embedded by the config module as `"providers": { "<name>": {...} }`. It imports nothing that does I/O, so loading
 * the config never loads undici or onnxruntime-node.
 */
import { z } from 'zod';
import { JSON_PATH_PATTERN } from './json.js';

export const ENKRYPT_DETECT_URL = 'https://api.enkryptai.com/guardrails/detect';
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const OPENAI_MODERATION_MODEL = 'omni-moderation-latest';

/** http: or https:, and parsable. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A provider's name prefixes its rule ids (`<name>.<rule>`), so it stays short and plain. */
export const PROVIDER_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const REFS = 'May contain ${env:NAME} and ${file:PATH} references, resolved at start-up.';

const url = (what: string) =>
  z
    .string()
    .refine((v) => v.includes('${') || isHttpUrl(v), 'an http or https URL')
    .describe(`${what}. ${REFS}`);

const apiKey = (env: string) =>
  z
    .string()
    .min(1)
    .describe(
      `The API key. Write a reference such as \${env:${env}} rather than the key itself. ${REFS} Never logged.`,
    );

const jsonPath = (what: string) =>
  z
    .string()
    .regex(JSON_PATH_PATTERN, 'a dotted path such as result.flagged or data.0.score')
    .describe(`${what}: a dotted path into the JSON answer; numeric segments index arrays (data.0.score).`);

/** Shared by every provider type. */
const remoteCall = {
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .optional()
    .describe('Deadline for one scan in milliseconds, retries included. Default 3000.'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(5)
    .optional()
    .describe('Extra attempts after a network error, 429 or 5xx, with short backoff, within timeoutMs. Default 2.'),
  failOpen: z
    .boolean()
    .optional()
    .describe(
      'When the provider fails (timeout, non-2xx, unexpected answer): false (default) blocks the call; true lets it through with no detections and reports the failure.',
    ),
  cacheSize: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .describe(
      'Verdicts remembered (LRU, by a SHA-256 of provider, phase and text) for 10 minutes; 0 turns the cache off. Default 1000.',
    ),
};

export const HttpProviderSchema = z
  .object({
    type: z.literal('http').describe('A generic JSON-over-HTTP guardrail API.'),
    url: url('The endpoint that receives a POST of JSON'),
    headers: z
      .record(z.string().min(1), z.string().describe(`Header value. ${REFS}`))
      .optional()
      .describe('HTTP headers sent with every request, e.g. Authorization. Their values never appear in errors.'),
    request: z
      .object({
        textField: z
          .string()
          .min(1)
          .optional()
          .describe('Name of the JSON field that carries the text. Default "text".'),
        extra: z
          .record(z.string(), z.unknown())
          .optional()
          .describe(
            'Fields merged into every request body. They may not replace the text field; "where" (input, output or description) is sent unless extra sets it.',
          ),
      })
      .strict()
      .optional()
      .describe('The request body: { where, ...extra, [textField]: text }.'),
    response: z
      .object({
        flaggedPath: jsonPath('Where the verdict is: a boolean, or a number where non-zero means flagged'),
        scorePath: jsonPath(
          'Where a 0..1 score is (a number or numeric string). Default: a flagged text scores 1',
        ).optional(),
        labelsPath: jsonPath(
          'Where the labels are: an array of strings, or an object of label → boolean. Each label becomes rule <name>.<label>; without labels the rule is <name>.flagged',
        ).optional(),
        threshold: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('With scorePath: flagged when score >= threshold, instead of the API’s own verdict.'),
      })
      .strict()
      .refine((r) => r.threshold === undefined || r.scorePath !== undefined, {
        message: 'threshold needs scorePath',
        path: ['threshold'],
      })
      .describe('How to read the verdict out of the JSON answer. A missing path or a wrong type fails the scan.'),
    ...remoteCall,
  })
  .strict()
  .refine((p) => p.request?.extra === undefined || !Object.hasOwn(p.request.extra, p.request.textField ?? 'text'), {
    message: 'request.extra may not set the text field',
    path: ['request', 'extra'],
  })
  .describe('A generic HTTP guardrail provider.');

const enabled = (what: string) => z.boolean().describe(`Run the ${what} detector.`);

export const EnkryptDetectorsSchema = z
  .object({
    injection_attack: z
      .object({ enabled: enabled('prompt-injection') })
      .strict()
      .optional()
      .describe('Prompt injection. Default on.'),
    pii: z
      .object({
        enabled: enabled('PII'),
        entities: z
          .array(z.string().min(1))
          .optional()
          .describe('Which kinds, e.g. "pii", "secrets", "ip_address", "url". Default ["pii", "secrets"].'),
      })
      .strict()
      .optional()
      .describe('Personal data and secrets. Default on.'),
    toxicity: z
      .object({ enabled: enabled('toxicity') })
      .strict()
      .optional()
      .describe('Toxic language. Default on.'),
    nsfw: z
      .object({ enabled: enabled('NSFW') })
      .strict()
      .optional()
      .describe('Not-safe-for-work content. Default on.'),
    keyword_detector: z
      .object({
        enabled: enabled('keyword'),
        banned_keywords: z.array(z.string().min(1)).optional().describe('Words and phrases to flag.'),
      })
      .strict()
      .refine((k) => !k.enabled || (k.banned_keywords?.length ?? 0) > 0, {
        message: 'an enabled keyword_detector needs banned_keywords',
        path: ['banned_keywords'],
      })
      .optional()
      .describe('Banned keywords. Default off.'),
    policy_violation: z
      .object({
        enabled: enabled('policy-violation'),
        policy_text: z.string().optional().describe('The policy, in plain language.'),
        need_explanation: z.boolean().optional().describe('Ask Enkrypt for an explanation (slower). Default false.'),
      })
      .strict()
      .optional()
      .describe('A written policy. Default off.'),
  })
  .strict()
  .describe('Enkrypt detectors, as in the API’s "detectors" object; each is { "enabled": true|false, ...options }.');

export const EnkryptProviderSchema = z
  .object({
    type: z.literal('enkrypt').describe('Enkrypt AI Guardrails (POST /guardrails/detect).'),
    apiKey: apiKey('ENKRYPTAI_API_KEY'),
    url: url(`The detect endpoint. Default ${ENKRYPT_DETECT_URL}`).optional(),
    detectors: EnkryptDetectorsSchema.optional(),
    ...remoteCall,
  })
  .strict()
  .describe('Enkrypt AI Guardrails provider; rules are <name>.<detector>, e.g. enkrypt.injection_attack.');

export const OpenAIModerationProviderSchema = z
  .object({
    type: z.literal('openai-moderation').describe('OpenAI’s moderation endpoint.'),
    apiKey: apiKey('OPENAI_API_KEY'),
    baseUrl: url(`The API base URL; the endpoint is <baseUrl>/moderations. Default ${OPENAI_BASE_URL}`).optional(),
    model: z.string().min(1).optional().describe(`The moderation model. Default ${OPENAI_MODERATION_MODEL}.`),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Flag a category when its score >= threshold, instead of OpenAI’s own per-category flag.'),
    ...remoteCall,
  })
  .strict()
  .describe('OpenAI moderation provider; rules are <name>.<category>, e.g. openai-moderation.harassment.');

const localPath = (what: string) =>
  z
    .string()
    .min(1)
    .describe(`${what}: a local file; ~ and paths relative to the config file are resolved. ${REFS} Never downloaded.`);

const tensorName = (what: string) => z.string().min(1).describe(what);

export const WordPieceTokenizerSchema = z
  .object({
    type: z
      .literal('wordpiece')
      .describe('BERT-style WordPiece (BERT, DistilBERT, MiniLM...): int64 input_ids and attention_mask.'),
    vocab: localPath('The vocab.txt, one token per line. Default: vocab.txt beside the model').optional(),
    lowercase: z
      .boolean()
      .optional()
      .describe(
        'Lower-case and strip accents before splitting, as "uncased" models expect. Default true; false for cased models.',
      ),
  })
  .strict()
  .describe('A WordPiece tokenizer read from a local vocab.txt; [CLS] text [SEP], with [UNK] for unknown words.');

export const HashingTokenizerSchema = z
  .object({
    type: z
      .literal('hashing')
      .describe(
        'A hashed bag of words: one float vector per text, as scikit-learn’s HashingVectorizer makes it (MurmurHash3 of each word).',
      ),
    features: z
      .number()
      .int()
      .min(2)
      .max(1 << 22)
      .optional()
      .describe('The vector’s length (n_features). Default: the width of the model’s input.'),
    ngrams: z
      .number()
      .int()
      .min(1)
      .max(3)
      .optional()
      .describe('Count word n-grams up to this length too (ngram_range (1, n)). Default 1.'),
    lowercase: z.boolean().optional().describe('Lower-case first. Default true.'),
    alternateSign: z
      .boolean()
      .optional()
      .describe('A negative hash subtracts instead of adding (HashingVectorizer’s alternate_sign). Default true.'),
    norm: z.enum(['l2', 'l1', 'none']).optional().describe('How the vector is normalised. Default l2.'),
  })
  .strict()
  .describe('A hashed bag-of-words featurizer, for small linear models.');

export const HuggingFaceTokenizerSchema = z
  .object({
    type: z
      .literal('huggingface')
      .describe(
        'A Hugging Face tokenizer.json (SentencePiece/Unigram, BPE or WordPiece), read with @huggingface/tokenizers: int64 input_ids and attention_mask (token_type_ids when the model has them), with the special tokens its post-processor adds.',
      ),
    path: localPath('The tokenizer.json. Default: tokenizer.json beside the model').optional(),
    config: localPath(
      'The tokenizer_config.json (model_max_length, pad_token). Default: the one beside tokenizer.json, when there is one',
    ).optional(),
  })
  .strict()
  .describe('A tokenizer.json as optimum or transformers export it (Prompt Guard 2, DeBERTa-v3, RoBERTa, BERT...).');

export const OnnxProviderSchema = z
  .object({
    type: z
      .literal('onnx')
      .describe(
        'A local text classifier in ONNX format, run with onnxruntime-node (an optional dependency you install). Nothing leaves the machine.',
      ),
    model: localPath(
      'The .onnx file, or the folder of an export that holds model.onnx (with tokenizer.json and config.json beside it)',
    ),
    tokenizer: z
      .discriminatedUnion('type', [HuggingFaceTokenizerSchema, WordPieceTokenizerSchema, HashingTokenizerSchema])
      .optional()
      .describe('How text becomes the model’s input tensors. Default: the tokenizer.json beside the model.'),
    inputs: z
      .object({
        ids: tensorName('huggingface and wordpiece: the token-ids input. Default "input_ids".').optional(),
        mask: tensorName(
          'huggingface and wordpiece: the attention-mask input. Default "attention_mask", fed when the model has it.',
        ).optional(),
        typeIds: tensorName(
          'huggingface and wordpiece: the token-type-ids input (as the post-processor sets them; zeros for wordpiece). Default "token_type_ids", fed when the model has it.',
        ).optional(),
        features: tensorName('hashing: the float input. Default: the model’s only input.').optional(),
      })
      .strict()
      .optional()
      .describe('Names of the model’s input tensors. A configured name the model does not have is an error.'),
    output: tensorName(
      'The output tensor with the scores, shape [batch, labels] or [batch, 1]. Default "logits", else the model’s only output.',
    ).optional(),
    activation: z
      .enum(['auto', 'softmax', 'sigmoid', 'none'])
      .optional()
      .describe(
        'How outputs become 0..1 scores: auto (default) is softmax over several labels and sigmoid for one logit; none when the model outputs probabilities.',
      ),
    unsafeLabel: z
      .union([z.number().int().min(0), z.string().min(1)])
      .optional()
      .describe(
        'The label that means unsafe: its index, or its name (from labels, else id2label in the config.json beside the model). Default 1, or 0 for a one-logit model.',
      ),
    labels: z
      .array(z.string().min(1))
      .optional()
      .describe('The label names by index, when unsafeLabel is a name and the model has no config.json.'),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Flag a text when the unsafe label scores >= threshold. Default 0.5.'),
    rule: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." or "-"')
      .optional()
      .describe('The rule id is <name>.<rule>. Default: the unsafe label’s name, else "flagged".'),
    maxLength: z
      .number()
      .int()
      .min(8)
      .max(8192)
      .optional()
      .describe(
        'Tokens per chunk (special tokens such as [CLS] and [SEP] included; words for hashing). Longer texts are cut into overlapping chunks and the highest score counts. Default 512, capped by a fixed model input length and by tokenizer_config.json’s model_max_length.',
      ),
    overlap: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Tokens that consecutive chunks share, so a phrase on a boundary is seen whole. Default 64, at most a quarter of a chunk.',
      ),
    maxChunks: z.number().int().min(1).max(1024).optional().describe('Most chunks scanned per text. Default 16.'),
    overflow: z
      .enum(['fail', 'truncate'])
      .optional()
      .describe(
        'A text that needs more than maxChunks chunks: fail (default) fails the scan, which blocks unless failOpen; truncate scans the first maxChunks chunks only.',
      ),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .optional()
      .describe(
        'Deadline for one scan in milliseconds, checked between chunks; loading the model is not counted. Default 5000.',
      ),
    failOpen: z
      .boolean()
      .optional()
      .describe(
        'When the scan fails (onnxruntime-node missing, model unreadable, wrong tensor names, timeout, too long): false (default) blocks the call; true lets it through and reports the failure.',
      ),
    cacheSize: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .optional()
      .describe('Verdicts remembered (LRU, by a SHA-256 of the text); 0 turns the cache off. Default 1000.'),
  })
  .strict()
  .refine((p) => (p.overlap ?? 0) < (p.maxLength ?? 512) - 2, {
    message: 'overlap must be smaller than maxLength - 2',
    path: ['overlap'],
  })
  .refine(
    (p) =>
      p.tokenizer?.type === 'hashing'
        ? p.inputs?.ids === undefined && p.inputs?.mask === undefined && p.inputs?.typeIds === undefined
        : p.inputs?.features === undefined,
    {
      message:
        'inputs.ids, mask and typeIds go with a huggingface or wordpiece tokenizer, inputs.features with hashing',
      path: ['inputs'],
    },
  )
  .describe(
    'A local ONNX text classifier (e.g. Llama Prompt Guard 2, ProtectAI’s DeBERTa-v3 prompt-injection model, a DistilBERT one); rules are <name>.<rule>. Needs onnxruntime-node.',
  );

export const ProviderSchema = z
  .discriminatedUnion('type', [
    HttpProviderSchema,
    EnkryptProviderSchema,
    OpenAIModerationProviderSchema,
    OnnxProviderSchema,
  ])
  .describe(
    'A guardrail provider: a remote API over HTTP, or a local ONNX model. It judges whole texts; by default a failure blocks the call.',
  );

export const ProvidersSchema = z
  .record(
    z.string().regex(PROVIDER_NAME_PATTERN, 'a lower-case name such as "enkrypt" or "moderation"'),
    ProviderSchema,
  )
  .describe(
    'Guardrail providers (remote APIs or local ONNX models) by name. The name is the detector id and prefixes its rule ids.',
  );

export type ProviderConfig = z.infer<typeof ProviderSchema>;
export type OnnxProviderConfig = z.infer<typeof OnnxProviderSchema>;
