/**
 * The config contract of the judge guardrails (issue 10): the top-level `judges` (OpenAI-compatible chat-completions
 * endpoints by name) and `policyDocuments` (organisational rules in .txt, .md or .pdf), and the per-policy `judge`
 * section that chooses the checks, what each one sees, its threshold and its action, the failure mode and the
 * per-identity budget. The config module embeds these; nothing here does I/O.
 */
import { z } from 'zod';

const refString = (what: string) =>
  z.string().describe(`${what}. May contain \${env:NAME} and \${file:PATH} references, resolved at start-up.`);

export const JudgeEndpointSchema = z
  .object({
    baseUrl: refString(
      'The OpenAI-compatible API base, ending before /chat/completions: http://127.0.0.1:11434/v1 (Ollama), http://127.0.0.1:8080/v1 (llama.cpp), https://api.openai.com/v1',
    ),
    model: z.string().min(1).describe('The model to ask, as the endpoint names it (GET <baseUrl>/models).'),
    apiKey: refString('Sent as "Authorization: Bearer <apiKey>"; use ${env:NAME} or ${file:PATH}').optional(),
    headers: z
      .record(z.string().min(1), refString('header value'))
      .optional()
      .describe('Extra HTTP headers sent with every request.'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(4000)
      .describe('Deadline for one judge verdict, waiting for a free connection included. Default 4000.'),
    maxConcurrent: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(4)
      .describe('Most requests in flight to this endpoint at once; the rest wait (within their deadline). Default 4.'),
    jsonMode: z
      .boolean()
      .default(true)
      .describe(
        'Send response_format {"type": "json_object"}. Turn off for a server that rejects it; the answer must be JSON either way.',
      ),
    maxPromptChars: z
      .number()
      .int()
      .min(2000)
      .max(1_000_000)
      .default(12_000)
      .describe(
        'Largest prompt sent in one request, in characters. A longer text is judged in chunks, and the worst chunk decides.',
      ),
    cacheSize: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe('Verdicts kept in memory, keyed by a hash of (check, policy version, prompt); 0 turns it off.'),
  })
  .strict()
  .describe('One OpenAI-compatible chat-completions endpoint and model that judges calls and results.');

export type JudgeEndpoint = z.output<typeof JudgeEndpointSchema>;

export const JudgesSchema = z
  .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a judge name'), JudgeEndpointSchema)
  .default({})
  .describe('Judge model endpoints by name; a policy’s "judge" section refers to one.');

export const PolicyDocumentsSchema = z
  .array(z.string().min(1))
  .default([])
  .describe(
    'Organisational policy documents (.txt, .md or .pdf), relative to the config file; "~" is the home folder. Read at start-up and again when a file changes. Each list item or paragraph is one numbered rule (<file stem>.<n>), which a verdict names.',
  );

const Globs = z
  .array(z.string().min(1))
  .default(['*'])
  .describe('Exposed tool names (<server>__<tool>, globs) this check sees. Default every tool ("*").');

const ActionSchema = z
  .enum(['block', 'warn'])
  .default('block')
  .describe('block: deny the call or result; warn: let it pass and record the verdict.');

const threshold = (what: string, dflt: number) => z.number().min(0).max(1).default(dflt).describe(what);

export const PolicyCheckSchema = z
  .object({
    action: ActionSchema,
    input: z.boolean().default(true).describe('Judge the arguments of calls (before the upstream).'),
    output: z.boolean().default(true).describe('Judge tool results (after the upstream).'),
    tools: Globs,
    threshold: threshold('A violation counts when the judge’s confidence is at least this. Default 0.5.', 0.5),
  })
  .strict()
  .describe('Does the call or result break a rule of the policy documents? The verdict names the rule.');

const scoreCheck = (what: string, lowIs: string) =>
  z
    .object({
      action: ActionSchema,
      tools: Globs,
      threshold: threshold(`The check fails when the score (0..1) is below this. Default 0.5. ${lowIs}`, 0.5),
    })
    .strict()
    .describe(what);

export const RelevancyCheckSchema = scoreCheck(
  'Output: does the result answer the call that was made?',
  'A low score is an irrelevant result.',
);
export const AdherenceCheckSchema = scoreCheck(
  'Output: does the result follow the tool’s description and output schema, with no extra instructions or unrelated content?',
  'A low score is a result that strays.',
);

export const GroundingCheckSchema = z
  .object({
    action: ActionSchema,
    tools: Globs,
    threshold: threshold(
      'The check fails when the grounding score (0..1) is below this. Default 0.5. A low score is a result with unsupported claims.',
      0.5,
    ),
    contextArguments: z
      .array(z.string().min(1))
      .default(['context', 'contexts', 'document', 'documents', 'source', 'sources', 'reference', 'references'])
      .describe(
        'Top-level argument names whose values are the context the result must be grounded in. Embedded resources in the result count as context too. A call with no context is not judged.',
      ),
  })
  .strict()
  .describe('Output: does the result make claims that the context the call carried does not support?');

export const InjectionSecondOpinionSchema = z
  .object({
    from: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Lower edge of the grey band: a local injection score at least this asks the judge. Default 0.2.'),
    to: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Upper edge (exclusive): above it the local detector decides alone. Default the policy’s injection threshold (0.5).',
      ),
    input: z.boolean().default(true).describe('Ask about arguments.'),
    output: z.boolean().default(true).describe('Ask about tool results.'),
    action: ActionSchema,
    threshold: threshold(
      'The judge’s confidence that the text is an injection must be at least this. Default 0.5.',
      0.5,
    ),
    tools: Globs,
  })
  .strict()
  .describe(
    'A second opinion for the local injection detector: the judge is asked only when the local score falls in the grey band [from, to), so the common path stays local.',
  );

export const PolicyJudgeSchema = z
  .object({
    judge: z
      .string()
      .optional()
      .describe('The endpoint under "judges" to ask. May be left out when exactly one is configured.'),
    failureMode: z
      .enum(['closed', 'open'])
      .default('closed')
      .describe(
        'closed (default): a judge that times out, fails, answers something unparsable or is over budget blocks; open: the call passes and the error is recorded.',
      ),
    callsPerMinute: z
      .number()
      .int()
      .min(1)
      .default(120)
      .describe('Judge requests per gateway identity per minute (cache hits are free); over it is a judge failure.'),
    policy: PolicyCheckSchema.optional(),
    relevancy: RelevancyCheckSchema.optional(),
    adherence: AdherenceCheckSchema.optional(),
    grounding: GroundingCheckSchema.optional(),
    injection: InjectionSecondOpinionSchema.optional(),
  })
  .strict()
  .describe(
    'Judge guardrails: a language model checks calls against the policy documents, and results for relevancy, adherence and grounding. A check that is absent is off.',
  );

export type PolicyJudge = z.output<typeof PolicyJudgeSchema>;

/** Cross-field checks, called from the config schema's superRefine: every judge a policy names exists. */
export function checkJudgeRefs(
  config: {
    judges: Record<string, unknown>;
    policyDocuments: string[];
    policies: Record<string, { judge?: PolicyJudge | undefined }>;
  },
  addIssue: (path: (string | number)[], message: string) => void,
): void {
  const names = Object.keys(config.judges);
  for (const [pname, policy] of Object.entries(config.policies)) {
    const j = policy.judge;
    if (!j) continue;
    const at = ['policies', pname, 'judge'];
    if (j.judge !== undefined && !names.includes(j.judge))
      addIssue([...at, 'judge'], `no judge named "${j.judge}" under "judges" (known: ${names.join(', ') || 'none'})`);
    else if (j.judge === undefined && names.length !== 1)
      addIssue(
        [...at, 'judge'],
        names.length === 0
          ? 'no endpoint under "judges": configure one to use judge checks'
          : `name the judge to use (one of ${names.join(', ')})`,
      );
    if (j.policy && config.policyDocuments.length === 0)
      addIssue([...at, 'policy'], 'the policy check needs at least one file under "policyDocuments"');
    if (j.injection?.to !== undefined && j.injection.to <= j.injection.from)
      addIssue([...at, 'injection', 'to'], '"to" must be above "from"');
  }
}
