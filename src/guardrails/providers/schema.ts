/**
 * The config contract of the remote guardrail providers: a zod union on `type`, embedded by the config module as
 * `"providers": { "<name>": {...} }`. It imports nothing that does I/O, so loading the config never loads undici.
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

export const ProviderSchema = z
  .discriminatedUnion('type', [HttpProviderSchema, EnkryptProviderSchema, OpenAIModerationProviderSchema])
  .describe('A remote guardrail provider. It judges whole texts over HTTP; by default a failure blocks the call.');

export const ProvidersSchema = z
  .record(
    z.string().regex(PROVIDER_NAME_PATTERN, 'a lower-case name such as "enkrypt" or "moderation"'),
    ProviderSchema,
  )
  .describe('Remote guardrail providers by name. The name is the detector id and prefixes its rule ids.');

export type ProviderConfig = z.infer<typeof ProviderSchema>;
