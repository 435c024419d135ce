/**
 * The config contract of the Secure AI Proxy (issue 20): the top-level `llm` section with its providers (where a
 * model is served and with which key), deployments (the model aliases clients ask for: a provider, a model, the
 * input and output policies, fallbacks) and prices (USD per million tokens, for cost per request). Pure zod; not yet
 * imported by config/schema.ts. A deployment that names a missing provider or fallback, or fallbacks that loop, is a
 * config error with its JSON path: a typo must not route traffic somewhere unexpected or retry forever.
 * Policy names are checked against the top-level `policies` by `llmPolicyReferenceIssues`, which the schema that
 * owns both sections calls.
 */
import { z } from 'zod';
import { ArgumentRulesSchema, CredentialPathsSchema } from '../policy/config-schema.js';

export const LLM_PROVIDER_KINDS = ['openai', 'azure-openai', 'anthropic', 'openai-compatible'] as const;
export type LlmProviderKind = (typeof LLM_PROVIDER_KINDS)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const NAME_MESSAGE = 'expected 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit';

const refString = (what: string) =>
  z.string().describe(`${what}. May contain \${env:NAME} and \${file:PATH} references, resolved at start-up.`);

/** A base URL must be http(s) without query or fragment; one that still holds a reference is checked once resolved. */
export function baseUrlProblem(value: string): string | undefined {
  if (value.includes('${')) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL (expected http(s)://host[:port][/path])`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${value}": expected http or https`;
  if (url.search !== '' || url.hash !== '') return `"${value}": a base URL has no query or fragment`;
  if (url.username !== '' || url.password !== '') return `"${value}": put credentials in "apiKey", not in the URL`;
  return undefined;
}

export const LlmProviderSchema = z
  .object({
    kind: z
      .enum(LLM_PROVIDER_KINDS)
      .describe(
        'Which API the provider speaks: openai (api.openai.com), azure-openai (a resource’s deployments, "api-key" header), anthropic (the Messages API), openai-compatible (any Chat Completions server: Ollama, vLLM, LM Studio…).',
      ),
    baseUrl: refString(
      'The API root: default https://api.openai.com/v1 (openai) or https://api.anthropic.com (anthropic); required for azure-openai (https://RESOURCE.openai.azure.com) and openai-compatible (for example http://127.0.0.1:11434/v1)',
    ).optional(),
    apiKey: refString(
      'The provider’s API key; keep it in a reference such as ${env:OPENAI_API_KEY}. Never logged. Optional only for openai-compatible servers that need none',
    ).optional(),
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'expected an API version such as 2024-10-21 or 2025-01-01-preview')
      .optional()
      .describe('azure-openai: the api-version query parameter (required there, refused elsewhere).'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name'), refString('header value'))
      .optional()
      .describe(
        'Extra headers sent with every request to this provider (an organisation or project id, a proxy token).',
      ),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(60_000)
      .describe(
        'How long the provider may take to answer headers, and the longest pause between two chunks of a streamed answer. A timeout is retryable: the deployment’s fallbacks are tried.',
      ),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.baseUrl !== undefined) {
      const problem = baseUrlProblem(p.baseUrl);
      if (problem) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: problem });
    }
    if ((p.kind === 'azure-openai' || p.kind === 'openai-compatible') && p.baseUrl === undefined)
      ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: `a ${p.kind} provider needs "baseUrl"` });
    if (p.kind === 'azure-openai' && p.apiVersion === undefined)
      ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: 'an azure-openai provider needs "apiVersion"' });
    if (p.kind !== 'azure-openai' && p.apiVersion !== undefined)
      ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: '"apiVersion" only applies to azure-openai' });
    if (p.kind !== 'openai-compatible' && p.apiKey === undefined)
      ctx.addIssue({ code: 'custom', path: ['apiKey'], message: `a ${p.kind} provider needs "apiKey"` });
    for (const name of Object.keys(p.headers ?? {})) {
      if (/^(authorization|api-key|x-api-key|content-length|host)$/i.test(name))
        ctx.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: `"${name}" is set by the gateway (the key goes in "apiKey")`,
        });
    }
  })
  .describe('One LLM provider: its API kind, where it is, and its key.');

export const LlmDeploymentSchema = z
  .object({
    provider: z.string().describe('The name of a provider in llm.providers.'),
    model: z
      .string()
      .min(1)
      .describe(
        'The provider’s model (gpt-4o-mini, claude-sonnet-4-5, llama3.1); for azure-openai, the Azure deployment name.',
      ),
    input: z
      .string()
      .optional()
      .describe(
        'The policy (in "policies") whose input guardrails scan the request’s messages. Default: the gateway’s default policy.',
      ),
    output: z
      .string()
      .optional()
      .describe(
        'The policy (in "policies") whose output guardrails scan the answer, streamed or not. Default: the gateway’s default policy.',
      ),
    fallbacks: z
      .array(z.string())
      .default([])
      .describe(
        'Deployments to try, in order, when this one fails with a retryable error (429, 5xx, timeout, connection): never on 400, 401 or 403.',
      ),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(0)
      .describe('Retries of this deployment itself on a retryable error, before its fallbacks.'),
    toolCalls: z
      .object({
        roots: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Directories the client’s tools work in (relative to the config file; "~" is the home folder): path arguments of the model’s tool calls must stay inside them. Default: none (paths are still refused for "..", credential locations and device names).',
          ),
        arguments: ArgumentRulesSchema.optional(),
        credentialPaths: CredentialPathsSchema.optional(),
      })
      .strict()
      .prefault({})
      .describe(
        'The argument rules for the tool calls the model returns, as servers.<name>.arguments are for MCP tools ("<tool glob>.<argument path>" → rule): a rule that blocks a command, a path or a URL blocks it whether it arrives through MCP or as a function call. Rules are also inferred from the tools’ parameter names and schemas.',
      ),
    stream: z
      .object({
        lookBack: z
          .number()
          .int()
          .min(32)
          .max(16_384)
          .default(512)
          .describe(
            'Characters of a streamed answer held back until the text after them has been scanned: a detection (a secret, an injection phrase) no longer than this is caught before any of it is sent. The first token waits for this many characters; lower it for a faster first token, at the price of long secrets being cut (the stream ends) rather than redacted.',
          ),
      })
      .strict()
      .prefault({})
      .describe('How a streamed answer is scanned as it arrives.'),
    images: z
      .enum(['block', 'allow'])
      .default('block')
      .describe(
        'Image parts in the messages. The guardrails read text only, so an image is refused (rule llm.unscanned-content) unless this is "allow".',
      ),
  })
  .strict()
  .describe('A model alias that clients ask for, and where and under which policies it runs.');

export const LlmPriceSchema = z
  .object({
    inputPerMTok: z.number().min(0).describe('USD per million input (prompt) tokens.'),
    outputPerMTok: z.number().min(0).describe('USD per million output (completion) tokens.'),
  })
  .strict()
  .describe('The price of a provider model.');

/** One set of limits; every field is optional and each one set is enforced on its own. Days and months are UTC. */
export const LlmLimitSchema = z
  .object({
    requestsPerMinute: z
      .number()
      .positive()
      .optional()
      .describe('Requests per minute (a token bucket: bursts up to this many, refilled continuously).'),
    tokensPerDay: z.number().int().positive().optional().describe('Input plus output tokens per UTC day.'),
    tokensPerMonth: z.number().int().positive().optional().describe('Input plus output tokens per UTC month.'),
    costPerDayUsd: z.number().positive().optional().describe('USD per UTC day, at the prices in llm.prices.'),
    costPerMonthUsd: z.number().positive().optional().describe('USD per UTC month, at the prices in llm.prices.'),
  })
  .strict()
  .describe('Limits of one key, user or project. A request over any of them is refused before the provider is called.');

export const LlmLimitsSchema = z
  .object({
    key: LlmLimitSchema.optional().describe('Each gateway key (an SSO user without a key: each user).'),
    user: LlmLimitSchema.optional().describe('Each user, all their keys and projects together.'),
    project: LlmLimitSchema.optional().describe('Each project, all its users together.'),
    users: z
      .record(z.string().min(3), LlmLimitSchema)
      .default({})
      .describe('Per user email: limits that replace "user" for that user.'),
    projects: z
      .record(z.string().min(1), LlmLimitSchema)
      .default({})
      .describe('Per project name: limits that replace "project" for that project.'),
  })
  .strict()
  .describe('Rate limits and token and cost budgets of the AI proxy, counted in the state store (shared on Redis).');

export const LlmConfigSchema = z
  .object({
    providers: z
      .record(z.string().regex(NAME, NAME_MESSAGE), LlmProviderSchema)
      .default({})
      .describe('LLM providers by name.'),
    deployments: z
      .record(z.string().regex(NAME, NAME_MESSAGE), LlmDeploymentSchema)
      .default({})
      .describe('Model aliases by name: what a client puts in "model".'),
    prices: z
      .record(z.string().min(1), LlmPriceSchema)
      .default({})
      .describe('Prices by provider model name, for the cost of each request. A model without a price costs 0.'),
    limits: LlmLimitsSchema.prefault({}),
  })
  .strict()
  .superRefine((llm, ctx) => {
    for (const [alias, d] of Object.entries(llm.deployments)) {
      if (!(d.provider in llm.providers))
        ctx.addIssue({
          code: 'custom',
          path: ['deployments', alias, 'provider'],
          message: `no provider named "${d.provider}" in llm.providers`,
        });
      d.fallbacks.forEach((f, i) => {
        if (!(f in llm.deployments))
          ctx.addIssue({
            code: 'custom',
            path: ['deployments', alias, 'fallbacks', i],
            message: `no deployment named "${f}" in llm.deployments`,
          });
        else if (f === alias)
          ctx.addIssue({
            code: 'custom',
            path: ['deployments', alias, 'fallbacks', i],
            message: `"${alias}" cannot fall back to itself (use "maxRetries")`,
          });
      });
    }
    for (const cycle of fallbackCycles(llm.deployments))
      ctx.addIssue({
        code: 'custom',
        path: ['deployments', cycle[0]!, 'fallbacks'],
        message: `fallbacks loop: ${[...cycle, cycle[0]].join(' → ')}`,
      });
  })
  .describe(
    'The Secure AI Proxy: OpenAI- and Anthropic-compatible endpoints in `serve`, routed to these providers under the same policies as MCP tools.',
  );

export type LlmConfig = z.infer<typeof LlmConfigSchema>;
export type LlmProviderConfig = z.infer<typeof LlmProviderSchema>;
export type LlmDeploymentConfig = z.infer<typeof LlmDeploymentSchema>;
export type LlmPrice = z.infer<typeof LlmPriceSchema>;
export type LlmLimit = z.infer<typeof LlmLimitSchema>;
export type LlmLimits = z.infer<typeof LlmLimitsSchema>;

/** Each loop of fallbacks longer than one (a self-reference is reported on its own), once, from its smallest name. */
export function fallbackCycles(deployments: Record<string, { fallbacks: string[] }>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const next of deployments[name]?.fallbacks ?? []) {
      if (next === name || !(next in deployments)) continue;
      const s = state.get(next);
      if (s === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(canonical.join('\0'), canonical);
      } else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(deployments).sort()) if (!state.has(name)) visit(name);
  return [...cycles.values()];
}

/** Issues for deployments whose input or output policy is not in `policies`, with paths from the config root. */
export function llmPolicyReferenceIssues(
  llm: Pick<LlmConfig, 'deployments'>,
  policyNames: ReadonlySet<string>,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [alias, d] of Object.entries(llm.deployments))
    for (const where of ['input', 'output'] as const) {
      const name = d[where];
      if (name !== undefined && !policyNames.has(name))
        issues.push({ path: ['llm', 'deployments', alias, where], message: `no policy named "${name}"` });
    }
  return issues;
}

/** The USD cost of one request's usage at the model's price; 0 when the model has no price. */
export function costUsd(
  prices: Record<string, LlmPrice>,
  model: string,
  usage: { inputTokens: number; outputTokens: number },
): number {
  const price = prices[model];
  if (!price) return 0;
  return (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000;
}
