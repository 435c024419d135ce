/**
 * The config contract of the parameter checks and execution controls (issue 4): argument rules, automatic argument
 * kinds, tool annotations as policy input, approvals, rate limits and the data-flow guard. Pure zod, imported by
 * config/schema.ts; the checks themselves live beside this file.
 */
import { z } from 'zod';

const POLICY_MODES = ['enforce', 'shadow', 'off'] as const;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Checks that apply to any argument, with or without a kind. */
const genericFields = {
  pattern: z.string().min(1).optional().describe('A JavaScript regex the (string) value must match.'),
  notPattern: z.string().min(1).optional().describe('A JavaScript regex the (string) value must not match.'),
  enum: z.array(scalar).min(1).optional().describe('The only values allowed.'),
  min: z.number().optional().describe('Smallest number allowed.'),
  max: z.number().optional().describe('Largest number allowed.'),
  maxLength: z.number().int().nonnegative().optional().describe('Longest string allowed, in characters.'),
  maxItems: z.number().int().nonnegative().optional().describe('Most array items allowed.'),
};

const PathRuleSchema = z
  .object({
    kind: z.literal('path'),
    within: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Directories the path must stay inside (after resolving it against the server’s cwd and following symlinks). Relative entries are relative to the config file; "~" is the home folder. Default: the server’s "roots".',
      ),
    ...genericFields,
  })
  .strict()
  .describe('A file-system path: no ".." escapes, NUL bytes, device names or "~" tricks; inside "within".');

const UrlRuleSchema = z
  .object({
    kind: z.literal('url'),
    schemes: z.array(z.string().min(1)).optional().describe('Allowed URL schemes. Default ["http", "https"].'),
    hosts: z.array(z.string().min(1)).optional().describe('Host globs the URL must match ("*.example.com").'),
    blockPrivate: z
      .boolean()
      .optional()
      .describe('Reject loopback, private, link-local and cloud-metadata addresses, in every spelling. Default true.'),
    resolve: z
      .boolean()
      .optional()
      .describe('Also resolve the host name with DNS and reject it when any address is private. Default false.'),
    ...genericFields,
  })
  .strict()
  .describe('A URL: scheme and host allowlists, and no requests to private or metadata addresses (SSRF).');

const CommandRuleSchema = z
  .object({
    kind: z.literal('command'),
    allow: z.array(z.string().min(1)).min(1).describe('Programs that may run (name or full path), e.g. ["git", "ls"].'),
    denyArgs: z
      .array(z.string().min(1))
      .optional()
      .describe('Extra argument globs to reject, on top of the built-in dangerous flags of common programs.'),
    ...genericFields,
  })
  .strict()
  .describe('A shell command line: one allowed program, no metacharacters, substitution, pipes or chaining.');

const SqlRuleSchema = z
  .object({
    kind: z.literal('sql'),
    readOnly: z.boolean().optional().describe('Allow a single SELECT or WITH statement only. Default true.'),
    ...genericFields,
  })
  .strict()
  .describe('An SQL statement: with readOnly, one SELECT or WITH, nothing stacked or hidden in comments.');

const ValueRuleSchema = z
  .object({ kind: z.literal('value'), ...genericFields })
  .strict()
  .describe('Only the generic checks (pattern, enum, min/max, maxLength, maxItems); "kind" may be left out.');

export const ArgumentRuleSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'value' } : v),
  z.discriminatedUnion('kind', [PathRuleSchema, UrlRuleSchema, CommandRuleSchema, SqlRuleSchema, ValueRuleSchema]),
);
export type ArgumentRule = z.output<typeof ArgumentRuleSchema>;

/** "<tool glob>.<argument path>": `read_text_file.path`, `*.url`, `query.filters[*].value`. */
export const ARGUMENT_KEY = /^[^.[\]]+(?:\.[A-Za-z0-9_$*-]+|\[(?:\*|\d+)\])+$/;

export const ArgumentRulesSchema = z
  .record(
    z.string().regex(ARGUMENT_KEY, '"<tool glob>.<argument path>", e.g. "read_text_file.path"'),
    ArgumentRuleSchema,
  )
  .describe(
    'Argument rules: "<tool glob>.<argument path>" → rule. The path walks objects with "." and arrays with "[*]" or "[n]".',
  );

export const CredentialPathsSchema = z
  .union([
    z.enum(['deny', 'allow']),
    z
      .array(z.string().min(1))
      .min(1)
      .describe('Files or directories (relative to the config file; "~" is the home folder) this server may reach.'),
  ])
  .describe(
    'Credential locations (SSH keys, cloud credentials, .env files, .netrc/.npmrc/.pypirc, GnuPG, browser profiles, keychains, /proc/<pid>/environ, /etc/shadow, private key files) in path arguments and file: resource URIs: "deny" (default) refuses them with args.path.credential even inside the roots; "allow" lets this server reach them; a list allows only those files and directories (the roots still apply).',
  );
export type CredentialPathsSetting = z.output<typeof CredentialPathsSchema>;

export const RateLimitSchema = z
  .object({
    perMinute: z.number().positive().describe('Sustained rate: calls per minute (the bucket refills continuously).'),
    burst: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Calls allowed at once from a full bucket. Default: perMinute, rounded up.'),
  })
  .strict()
  .describe('A token bucket. An exceeded limit is a tool error that says when to retry.');
export type RateLimit = z.output<typeof RateLimitSchema>;

export const ToolAnnotationOverridesSchema = z
  .record(
    z.string().min(1),
    z
      .object({
        readOnly: z
          .boolean()
          .optional()
          .describe('The tool only reads (replaces readOnlyHint). A read-only tool is never destructive.'),
        destructive: z
          .boolean()
          .optional()
          .describe('The tool may delete or overwrite (replaces destructiveHint). true also means not read-only.'),
        openWorld: z
          .boolean()
          .optional()
          .describe('The tool reaches outside systems: the web, email, other people (replaces openWorldHint).'),
      })
      .strict(),
  )
  .describe(
    'Tool glob → what the tool really is, overriding the hints the server declares (annotations come from an untrusted server). The first matching glob wins; a field it leaves out keeps the server’s hint. A hint the server leaves out takes MCP’s default: not read-only, destructive, open-world.',
  );

export const APPROVAL_ACTIONS = ['allow', 'approve', 'deny'] as const;

export const ArgumentsPolicySchema = z
  .object({
    mode: z.enum(POLICY_MODES).default('enforce').describe('enforce blocks; shadow only records; off skips.'),
    infer: z
      .boolean()
      .default(true)
      .describe(
        'Give arguments without a rule the checks their name, description or format implies (path, url, command, sql).',
      ),
  })
  .strict()
  .default({ mode: 'enforce', infer: true })
  .describe('Parameter check: argument rules and automatic argument kinds.');

export const AnnotationsPolicySchema = z
  .object({
    destructive: z
      .enum(APPROVAL_ACTIONS)
      .default('allow')
      .describe(
        'Calls to destructive tools (and to tools without annotations, which MCP’s defaults make destructive): allow, approve (ask the user through MCP elicitation; a client without it is denied) or deny.',
      ),
    openWorld: z
      .enum(APPROVAL_ACTIONS)
      .default('allow')
      .describe(
        'Calls to open-world tools (and to tools without annotations, which MCP’s defaults make open-world): allow, approve or deny.',
      ),
    other: z
      .enum(APPROVAL_ACTIONS)
      .default('allow')
      .describe(
        'Calls to every other tool: neither destructive nor open-world (read-only or additive, in a closed world): allow, approve or deny.',
      ),
  })
  .strict()
  .default({ destructive: 'allow', openWorld: 'allow', other: 'allow' })
  .describe(
    'What happens to a call depending on what the tool is (its annotations, with servers.<name>.annotations overrides). A tool both destructive and open-world gets the stricter action (deny > approve > allow).',
  );

export const DataFlowPolicySchema = z
  .object({
    action: z
      .enum(['deny', 'approve', 'warn', 'off'])
      .default('deny')
      .describe(
        'When a call to an open-world or destructive tool would send out a secret or PII value that an earlier result in the session carried: deny, approve (ask), warn (record) or off.',
      ),
  })
  .strict()
  .default({ action: 'deny' })
  .describe('Data-flow guard: values read in one call may not leave through the next.');
