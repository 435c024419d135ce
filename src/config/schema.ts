/**
 * The configuration contract. This zod schema is the single source of truth: `npm run schema` exports it to
 * config/schema.json (the build fails when that file is stale), and every field carries a description that the
 * JSON Schema and the docs repeat. Unknown fields are errors, because a misspelt security setting must not be
 * silently ignored.
 */
import { z } from 'zod';
import { ProvidersSchema } from '../guardrails/providers/schema.js';
import {
  checkJudgeRefs,
  JudgesSchema,
  PolicyDocumentsSchema,
  PolicyJudgeSchema,
} from '../guardrails/judge/config-schema.js';
import {
  AnnotationsPolicySchema,
  ArgumentRulesSchema,
  ArgumentsPolicySchema,
  CredentialPathsSchema,
  DataFlowPolicySchema,
  RateLimitSchema,
  ToolAnnotationOverridesSchema,
} from '../policy/config-schema.js';
import { AuditSchema, TelemetrySchema } from '../audit/config-schema.js';
import { DEFAULT_STATE_CONFIG, StateConfigSchema } from '../state/config-schema.js';
import { SandboxConfigSchema, ServerSandboxSchema } from '../sandbox/config-schema.js';
import { IdentityConfigShape, checkIdentityRefs } from '../identity/config-schema.js';
import { ServeSchema, checkSsoRefs } from '../server/serve-schema.js';
import { LlmConfigSchema, llmPolicyReferenceIssues } from '../llm/config-schema.js';

/** `${env:NAME}` and `${file:PATH}` may appear in these strings; see config/refs.ts. */
const refString = (what: string) =>
  z.string().describe(`${what}. May contain \${env:NAME} and \${file:PATH} references, resolved at start-up.`);

/**
 * Server names become tool-name prefixes (`<server>__<tool>`), so they must be safe in every client's tool-name
 * alphabet, and must not contain `__` or end in `_`, so that the first `__` of an exposed name always splits it.
 */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?=[A-Za-z0-9-])){0,31}$/;

export const ToolFilterSchema = z
  .object({
    allow: z
      .array(z.string().min(1))
      .default(['*'])
      .describe('Glob patterns of upstream tool names to expose. Default: every tool ("*").'),
    deny: z
      .array(z.string().min(1))
      .default([])
      .describe('Glob patterns of upstream tool names never to expose. Deny wins over allow.'),
  })
  .strict()
  .describe('Which of the upstream server’s tools the client may see and call. A tool not allowed is unknown.');

export const TRANSPORTS = ['streamable-http', 'sse', 'auto'] as const;

export const RELAY_MODES = ['allow', 'approve', 'deny'] as const;

/** A request an upstream makes of the client (sampling, elicitation): relayed, relayed once the user agrees, or refused. */
const RelayModeSchema = z.enum(RELAY_MODES).default('deny');

/** OAuth grants the gateway can use with a remote upstream (docs/auth.md). */
export const OAUTH_GRANTS = ['authorization_code', 'client_credentials'] as const;

/** The JWS algorithms an `oauth.privateKey` may sign its client assertion with (RFC 7518 §3.1, RFC 8037 EdDSA). */
export const CLIENT_KEY_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const;

/** The subject token types the gateway can present (RFC 8693 §3): the IdP access token that `serve` verified. */
export const SUBJECT_TOKEN_TYPES = [
  'urn:ietf:params:oauth:token-type:access_token',
  'urn:ietf:params:oauth:token-type:jwt',
] as const;

const ScopeSchema = z
  .string()
  .min(1)
  .regex(/^[^\s"\\]+$/, 'one scope, without spaces');

/**
 * RFC 8693 token exchange in `serve` (issue 18): the SSO session's IdP access token is exchanged at the upstream's
 * authorization server for a token of that person for the upstream, with no `auth login`.
 */
const TokenExchangeSchema = z
  .union([
    z.boolean(),
    z
      .object({
        audience: z
          .string()
          .min(1)
          .optional()
          .describe('The RFC 8693 "audience" parameter (a logical name of the upstream), when its server wants one.'),
        scopes: z
          .array(ScopeSchema)
          .optional()
          .describe("Scopes to ask for. Default: oauth.scopes, else the scopes the server's resource metadata lists."),
        subjectTokenType: z
          .enum(SUBJECT_TOKEN_TYPES)
          .default('urn:ietf:params:oauth:token-type:access_token')
          .describe(
            'The subject_token_type sent with the IdP token. Default urn:ietf:params:oauth:token-type:access_token.',
          ),
      })
      .strict(),
  ])
  .describe(
    "serve with serve.sso only: exchange the user's IdP access token (RFC 8693) for a token of this server, instead of a per-user `auth login`. Needs clientId (and clientSecret for a confidential client). true: every default.",
  );

/**
 * OAuth 2.1 to one remote upstream (issue 18): everything is discovered (RFC 9728, RFC 8414 / OIDC) and the client
 * registers itself (RFC 7591) unless a client is configured here. `false` turns OAuth off for the server.
 */
export const OAuthSchema = z
  .union([
    z.literal(false),
    z
      .object({
        clientId: refString('A pre-registered client id (default: dynamic client registration)').optional(),
        clientSecret: refString(
          'The secret of the pre-registered client; keep it in a reference such as ${env:NAME}',
        ).optional(),
        privateKey: refString(
          'private_key_jwt (RFC 7523): the private key the client signs its token requests with instead of a secret, a PEM PKCS#8 key or a private JWK (JSON); keep it in a reference such as ${keychain:NAME} or ${file:PATH}. Needs clientId; not with clientSecret',
        ).optional(),
        privateKeyAlg: z
          .enum(CLIENT_KEY_ALGS)
          .optional()
          .describe(
            'The algorithm of the client assertion. Default from privateKey: ES256 for a P-256 key (ES384, ES512 for P-384, P-521), RS256 for RSA, EdDSA for Ed25519.',
          ),
        scopes: z
          .array(
            z
              .string()
              .min(1)
              .regex(/^[^\s"\\]+$/, 'one scope, without spaces'),
          )
          .optional()
          .describe('Scopes to ask for when neither the server’s 401 challenge nor its resource metadata names any.'),
        grant: z
          .enum(OAUTH_GRANTS)
          .default('authorization_code')
          .describe(
            '"authorization_code": a person signs in with `auth login` (browser, PKCE). "client_credentials": a machine client (clientId and clientSecret or privateKey required); the gateway fetches its own tokens. Default authorization_code.',
          ),
        clientMetadataUrl: z
          .string()
          .url()
          .optional()
          .describe(
            'An https URL of a client ID metadata document, used as the client id where the authorization server supports it (instead of registering).',
          ),
        redirectPort: z
          .number()
          .int()
          .min(0)
          .max(65_535)
          .optional()
          .describe(
            '`auth login`: the loopback port of the redirect http://127.0.0.1:<port>/callback. Default 0: any free port (the port of the last sign-in first).',
          ),
        clientName: z
          .string()
          .min(1)
          .max(100)
          .optional()
          .describe('The client_name registered with the authorization server. Default "secure-mcp-gateway".'),
        tokenExchange: TokenExchangeSchema.optional(),
      })
      .strict()
      .superRefine((o, ctx) => {
        if (o.tokenExchange !== undefined && o.tokenExchange !== false) {
          // The exchange authenticates the gateway as a client (RFC 8693 §2.1) and acts for a person.
          if (o.clientId === undefined)
            ctx.addIssue({ code: 'custom', path: ['tokenExchange'], message: '"tokenExchange" needs "clientId"' });
          if (o.grant === 'client_credentials')
            ctx.addIssue({
              code: 'custom',
              path: ['tokenExchange'],
              message: '"tokenExchange" acts for each person and cannot be used with "grant": "client_credentials"',
            });
        }
        if (
          o.grant === 'client_credentials' &&
          (o.clientId === undefined || (o.clientSecret === undefined && o.privateKey === undefined))
        )
          ctx.addIssue({
            code: 'custom',
            path: ['grant'],
            message: '"client_credentials" needs "clientId" and "clientSecret" (or "privateKey")',
          });
        if (o.privateKeyAlg !== undefined && o.privateKey === undefined)
          ctx.addIssue({ code: 'custom', path: ['privateKeyAlg'], message: '"privateKeyAlg" needs "privateKey"' });
        if (o.clientSecret !== undefined && o.clientId === undefined)
          ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: '"clientSecret" needs "clientId"' });
      }),
  ])
  .describe(
    'remote: OAuth 2.1 sign-in to this server (docs/auth.md). Default: OAuth when the server answers 401 with a Bearer challenge and no Authorization header is configured. false turns it off.',
  );

export type OAuthConfig = Exclude<z.output<typeof OAuthSchema>, false>;
export type TokenExchangeConfig = Exclude<NonNullable<OAuthConfig['tokenExchange']>, boolean>;

export const ServerSchema = z
  .object({
    command: refString('stdio: the program to spawn').optional(),
    args: z.array(refString('stdio: one argument')).optional().describe('stdio: arguments passed to the command.'),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), refString('value'))
      .optional()
      .describe(
        'stdio: environment for the child, on top of a minimal safe set (PATH, HOME, ...). The gateway’s own environment is never passed through.',
      ),
    cwd: refString('stdio: working directory of the child (relative to the config file)').optional(),
    url: refString('remote: the MCP endpoint URL (http or https)').optional(),
    headers: z
      .record(z.string().min(1), refString('header value'))
      .optional()
      .describe('remote: HTTP headers sent with every request, e.g. Authorization.'),
    oauth: OAuthSchema.optional(),
    transport: z
      .enum(TRANSPORTS)
      .optional()
      .describe('remote: "streamable-http", "sse", or "auto" (Streamable HTTP, falling back to SSE). Default auto.'),
    enabled: z.boolean().default(true).describe('A disabled server does not exist for the client.'),
    perUser: z
      .boolean()
      .default(false)
      .describe('`serve`: spawn this stdio server once per user of a project, instead of once per project.'),
    description: z.string().optional().describe('Free text for humans; not sent anywhere.'),
    tools: ToolFilterSchema.default({ allow: ['*'], deny: [] }),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(60_000)
      .describe('Per-request timeout for this server in milliseconds. Progress notifications reset it.'),
    maxTotalMs: z
      .number()
      .int()
      .min(100)
      .max(24 * 3_600_000)
      .optional()
      .describe(
        'Longest a tools/call may last in all, even while the server keeps sending progress (which resets timeoutMs): a server that drips progress forever is cut off here. Default 10 × timeoutMs.',
      ),
    policy: z.string().optional().describe('Name of the policy (under "policies") for this server’s calls.'),
    toolPolicies: z
      .record(z.string().min(1), z.string())
      .optional()
      .describe('Per-tool policy overrides: tool-name glob → policy name. The first matching glob wins over "policy".'),
    roots: z
      .array(refString('a directory'))
      .optional()
      .describe(
        'Directories this server works in. Path arguments (by rule, inferred, or shaped like a path) and file: resource URIs must stay inside them. Relative to the config file; "~" is the home folder. A relative path argument is resolved against the server’s cwd, else its first root; a stdio server without a cwd is started in its first root (when that folder exists). Default: the server’s cwd when it is set, else none (path checks then still reject ".." escapes, NUL bytes, device names, "~" tricks and credential locations, but not other absolute paths).',
      ),
    sandbox: ServerSandboxSchema.optional(),
    sampling: RelayModeSchema.describe(
      'What the gateway does when this server asks the client for a model completion (`sampling/createMessage`): "allow" relays it (after the output guardrails, with the server named in `_meta`), "approve" asks the user first through the gateway’s own form (denied when the client cannot show one), "deny" refuses it. Default "deny": a server declares that it needs sampling by an explicit value here. The client’s answer passes the input guardrails before the server sees it. `serve` never relays it.',
    ),
    elicitation: RelayModeSchema.describe(
      'What the gateway does when this server asks the user a question (`elicitation/create`): "allow" relays it (after the output guardrails, the message prefixed with the server’s name), "approve" asks the user first, "deny" refuses it. Default "deny": a server declares that it needs elicitation by an explicit value here. The answer passes the input guardrails before the server sees it. `serve` never relays it.',
    ),
    arguments: ArgumentRulesSchema.optional(),
    credentialPaths: CredentialPathsSchema.optional(),
    annotations: ToolAnnotationOverridesSchema.optional(),
    rateLimit: RateLimitSchema.optional().describe(
      'A token bucket per gateway identity for all of this server’s tools together.',
    ),
    integrity: z
      .object({
        mode: z
          .enum(['pin-on-first-use', 'require-approval', 'off'])
          .optional()
          .describe('Pinning for this server, instead of the top-level integrity.mode.'),
        publicKey: refString(
          'An Ed25519 public key (PEM, or ${file:key.pub.pem}): the live tools must match a manifest signed with its private key',
        ).optional(),
        manifest: z
          .string()
          .optional()
          .describe(
            'The signed manifest file (from `tools sign`), relative to the config file. Default <home>/manifests/<server>.json.',
          ),
      })
      .strict()
      .optional()
      .describe('Tool integrity for this server: its pinning mode, and a signed manifest its tools must match.'),
  })
  .strict()
  .superRefine((server, ctx) => {
    const stdio = server.command !== undefined;
    const remote = server.url !== undefined;
    if (stdio === remote) {
      ctx.addIssue({
        code: 'custom',
        message: stdio
          ? 'give either "command" (a stdio server) or "url" (a remote server), not both'
          : 'expected "command" (a stdio server) or "url" (a remote server)',
      });
      return;
    }
    const wrong = stdio ? (['headers', 'transport', 'oauth'] as const) : (['args', 'env', 'cwd', 'sandbox'] as const);
    for (const key of wrong)
      if (server[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}" only applies to ${stdio ? 'remote' : 'stdio'} servers`,
        });
  })
  .describe('One upstream MCP server: a stdio child ("command") or a remote endpoint ("url").');

export const POLICY_MODES = ['enforce', 'shadow', 'off'] as const;

export const GUARDRAIL_ACTIONS = ['block', 'redact', 'warn', 'off'] as const;

const ActionSchema = z
  .union([
    z.enum(GUARDRAIL_ACTIONS),
    z
      .object({
        action: z.enum(GUARDRAIL_ACTIONS).describe('What a detection does.'),
        mode: z
          .enum(['enforce', 'shadow'])
          .default('enforce')
          .describe('shadow: record what it would do, never do it.'),
      })
      .strict(),
  ])
  .describe('block | redact | warn | off, or {"action": ..., "mode": "shadow"} to only record it.');

export type GuardrailActionConfig = z.output<typeof ActionSchema>;

const DETECTOR_IDS = ['injection', 'pii', 'secrets', 'keywords', 'toxicity'] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

function actionsSchema(defaults: Record<DetectorId, (typeof GUARDRAIL_ACTIONS)[number]>, where: string) {
  return z
    .object(
      Object.fromEntries(
        DETECTOR_IDS.map((id) => [
          id,
          ActionSchema.default(defaults[id]).describe(`${id} in ${where}. Default ${defaults[id]}.`),
        ]),
      ) as Record<DetectorId, z.ZodDefault<typeof ActionSchema>>,
    )
    .strict()
    .default(defaults);
}

// toxicity is opt-in: it can only warn by nature, and it costs more per string than every other detector together.
export const INPUT_DEFAULTS = {
  injection: 'block',
  pii: 'redact',
  secrets: 'block',
  keywords: 'block',
  toxicity: 'off',
} as const;
export const OUTPUT_DEFAULTS = {
  injection: 'block',
  pii: 'redact',
  secrets: 'redact',
  keywords: 'block',
  toxicity: 'off',
} as const;

export const DetectorSettingsSchema = z
  .object({
    injection: z
      .object({
        threshold: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('Report injection evidence scoring at least this (0..1).'),
        model: z
          .object({
            enabled: z
              .boolean()
              .default(true)
              .describe(
                'Run the learned local detector (rule injection.model) beside the rules. It ships with the package and runs offline.',
              ),
            threshold: z
              .number()
              .gt(0)
              .lt(1)
              .optional()
              .describe(
                'Report a window whose probability reaches this; absent: the calibrated threshold of each phase, stored with the weights.',
              ),
            path: z
              .string()
              .min(1)
              .optional()
              .describe('Weights to use instead of the shipped ones (a file written by npm run train).'),
          })
          .strict()
          .default({ enabled: true })
          .describe('The learned injection detector (docs/detection.md).'),
      })
      .strict()
      .default({ model: { enabled: true } }),
    pii: z
      .object({
        entities: z
          .array(z.enum(['EMAIL', 'PHONE', 'CARD', 'IBAN', 'SSN', 'IP']))
          .optional()
          .describe('Built-in PII entities to detect; all when absent.'),
        custom: z
          .array(
            z
              .object({
                name: z
                  .string()
                  .regex(/^[A-Z][A-Z0-9_]*$/, 'an UPPER_SNAKE entity name')
                  .describe('Entity name, used in placeholders.'),
                pattern: z.string().min(1).describe('A JavaScript regular expression.'),
                flags: z
                  .string()
                  .regex(/^[imsu]*$/)
                  .optional()
                  .describe('Regex flags (i, m, s, u).'),
                validator: z.enum(['luhn', 'iban', 'none']).optional().describe('A checksum a match must pass.'),
              })
              .strict(),
          )
          .optional()
          .describe('Organisation-specific PII: employee ids, account numbers.'),
        defaultRegion: z
          .string()
          .length(2)
          .optional()
          .describe('Region for phone numbers without a country code. Default US.'),
      })
      .strict()
      .default({}),
    secrets: z
      .object({
        allow: z.array(z.string()).optional().describe('Regexes whose matches are never reported as secrets.'),
        disable: z.array(z.string()).optional().describe('Secret rule ids to skip.'),
      })
      .strict()
      .default({}),
    keywords: z
      .object({
        deny: z.array(z.string().min(1)).default([]).describe('Words and phrases that must not pass.'),
        topics: z
          .record(z.string(), z.array(z.string().min(1)))
          .default({})
          .describe('Named lists of terms per topic.'),
      })
      .strict()
      .default({ deny: [], topics: {} }),
  })
  .strict()
  .default({ injection: { model: { enabled: true } }, pii: {}, secrets: {}, keywords: { deny: [], topics: {} } })
  .describe('Settings of the local detectors.');

const ProviderRefsSchema = z
  .object({
    input: z.array(z.string()).default([]).describe('Providers (by name, under "providers") that scan arguments.'),
    output: z.array(z.string()).default([]).describe('Providers that scan tool results.'),
    mode: z.enum(['enforce', 'shadow']).default('enforce').describe('shadow: record provider verdicts only.'),
  })
  .strict()
  .default({ input: [], output: [], mode: 'enforce' });

export const PolicySchema = z
  .object({
    limits: z
      .object({
        maxArgumentBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024)
          .describe('Input guardrail: largest JSON size of a call’s arguments, in bytes.'),
        maxResultBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024)
          .describe('Output guardrail: largest JSON size of a tool result, in bytes.'),
        mode: z
          .enum(POLICY_MODES)
          .default('enforce')
          .describe('The two size limits above: enforce blocks; shadow only records; off skips.'),
        maxDepth: z
          .number()
          .int()
          .min(8)
          .max(1_000)
          .default(64)
          .describe(
            'The guardrails read every string of a message up to this nesting depth; a deeper message is refused ' +
              '(guard.budget-exceeded), never passed unread. Always enforced.',
          ),
        maxStrings: z
          .number()
          .int()
          .positive()
          .default(100_000)
          .describe(
            'Most strings (values, object keys, decoded text payloads) the guardrails read in one message; more is ' +
              'refused (guard.budget-exceeded). Always enforced.',
          ),
        maxScanMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe(
            'Time the local guardrails may spend reading one message (each direction); past it the message is ' +
              'refused (guard.budget-exceeded). Always enforced.',
          ),
      })
      .strict()
      .default({
        maxArgumentBytes: 256 * 1024,
        maxResultBytes: 4 * 1024 * 1024,
        mode: 'enforce',
        maxDepth: 64,
        maxStrings: 100_000,
        maxScanMs: 5_000,
      })
      .describe(
        'Size guardrails (the input slot checks arguments, the output slot checks results) and the budgets of the ' +
          'guardrails’ reading of a message.',
      ),
    schema: z
      .object({
        mode: z
          .enum(POLICY_MODES)
          .default('enforce')
          .describe('Validate arguments against the tool’s own inputSchema: enforce, shadow or off.'),
        uncompilable: z
          .enum(['deny', 'allow'])
          .default('deny')
          .describe('What to do when a tool’s inputSchema cannot be compiled: deny (default) or allow the call.'),
        undeclared: z
          .enum(['deny', 'allow'])
          .default('deny')
          .describe(
            'Arguments the tool’s inputSchema does not list under properties, where the schema does not say it takes others: deny (default; schema.undeclared-argument) or allow.',
          ),
      })
      .strict()
      .default({ mode: 'enforce', uncompilable: 'deny', undeclared: 'deny' })
      .describe('Parameter check: arguments against the tool’s own JSON Schema (ajv, with formats).'),
    input: actionsSchema(INPUT_DEFAULTS, 'arguments').describe(
      'Input guardrails: what each detector does to arguments.',
    ),
    output: actionsSchema(OUTPUT_DEFAULTS, 'tool results').describe(
      'Output guardrails: what each detector does to tool results.',
    ),
    detectors: DetectorSettingsSchema,
    providers: ProviderRefsSchema.describe('Guardrail providers (remote APIs or local models) this policy uses.'),
    arguments: ArgumentsPolicySchema,
    annotations: AnnotationsPolicySchema,
    rateLimit: RateLimitSchema.optional().describe(
      'A token bucket per gateway identity, server and tool, for every tool that uses this policy.',
    ),
    dataFlow: DataFlowPolicySchema,
    judge: PolicyJudgeSchema.optional(),
  })
  .strict()
  .describe('A named, reusable set of pipeline rules.');

export const LogSchema = z
  .object({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Log level for stderr and the log file. SMG_LOG_LEVEL overrides it.'),
    file: z
      .union([z.boolean(), z.string()])
      .default(true)
      .describe('true: <home>/gateway.log; false: stderr only; a string: that file.'),
  })
  .strict();

export const ConfigSchema = z
  .object({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by the gateway.'),
    servers: z
      .record(
        z
          .string()
          .regex(
            SERVER_NAME_PATTERN,
            'a server name: 1-32 letters, digits, "-" or single "_", starting with a letter or digit, not ending in "_"',
          ),
        ServerSchema,
      )
      .describe('The upstream servers the organisation allows, by name. Only these exist for the client.'),
    policies: z
      .record(z.string().min(1), PolicySchema)
      .default({})
      .describe('Named policies. "default" is built in and may be overridden here.'),
    defaultPolicy: z.string().default('default').describe('The policy for servers that do not name one.'),
    providers: ProvidersSchema.default({}).describe(
      'Guardrail providers by name (remote APIs, or local ONNX models); policies refer to them.',
    ),
    judges: JudgesSchema,
    policyDocuments: PolicyDocumentsSchema,
    naming: z
      .object({
        maxLength: z
          .number()
          .int()
          .min(24)
          .max(128)
          .default(64)
          .describe(
            'Longest exposed tool or prompt name. Longer names are shortened with a hash suffix. Lower it if your client adds its own prefix.',
          ),
      })
      .strict()
      .default({ maxLength: 64 })
      .describe('How upstream names are exposed: <server>__<name>.'),
    cache: z
      .object({
        enabled: z.boolean().default(true).describe('Keep a discovery cache in memory and under <home>/cache/.'),
        ttlMs: z
          .number()
          .int()
          .positive()
          .default(4 * 60 * 60 * 1000)
          .describe('How long a cached tool list may answer tools/list while the upstream connects.'),
      })
      .strict()
      .default({ enabled: true, ttlMs: 4 * 60 * 60 * 1000 })
      .describe('The discovery cache of each upstream’s tools, resources and prompts.'),
    upstreams: z
      .object({
        connectTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe('How long one connection attempt (spawn + initialize + discovery) may take.'),
        listWaitMs: z
          .number()
          .int()
          .nonnegative()
          .default(10_000)
          .describe('How long a list request waits for an upstream that has no cached list yet.'),
        listPageSize: z
          .number()
          .int()
          .positive()
          .default(200)
          .describe(
            'Most entries in one page of tools/list, prompts/list, resources/list or resources/templates/list to the client; a longer merged list is answered in pages with an opaque nextCursor.',
          ),
        restartInitialDelayMs: z.number().int().positive().default(250).describe('First restart back-off.'),
        restartMaxDelayMs: z.number().int().positive().default(30_000).describe('Longest restart back-off.'),
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024)
          .describe('Largest single JSON-RPC message accepted from a stdio upstream.'),
      })
      .strict()
      .default({
        connectTimeoutMs: 30_000,
        listWaitMs: 10_000,
        listPageSize: 200,
        restartInitialDelayMs: 250,
        restartMaxDelayMs: 30_000,
        maxMessageBytes: 64 * 1024 * 1024,
      })
      .describe('Connection, restart and framing limits for all upstreams.'),
    shutdown: z
      .object({
        drainTimeoutMs: z
          .number()
          .int()
          .nonnegative()
          .default(2_000)
          .describe('On stdin EOF or a signal, how long in-flight calls may finish before upstreams are closed.'),
      })
      .strict()
      .default({ drainTimeoutMs: 2_000 })
      .describe('How the gateway stops.'),
    log: LogSchema.default({ level: 'info', file: true }).describe('Logs go to stderr and a file, never stdout.'),
    integrity: z
      .object({
        mode: z
          .enum(['pin-on-first-use', 'require-approval', 'off'])
          .default('pin-on-first-use')
          .describe(
            'pin-on-first-use: a server’s tools are pinned the first time the server is listed; a later change (integrity.changed), or a tool the server adds afterwards (integrity.unapproved), is hidden and blocked until approved; require-approval: every new tool stays hidden until `tools approve`; off: nothing is pinned.',
          ),
        lockfile: z
          .string()
          .optional()
          .describe('The pin lockfile, relative to the config file. Default <home>/tools.lock.json.'),
        poisoning: z
          .object({
            action: z
              .enum(['block', 'warn', 'off'])
              .default('block')
              .describe('block: a tool with a finding at or above minSeverity is not exposed; warn: logged only.'),
            minSeverity: z
              .enum(['low', 'medium', 'high', 'critical'])
              .default('high')
              .describe('The lowest severity of a poisoning finding that the action applies to.'),
          })
          .strict()
          .default({ action: 'block', minSeverity: 'high' })
          .describe('The description and schema poisoning scan of every listed tool.'),
      })
      .strict()
      .default({ mode: 'pin-on-first-use', poisoning: { action: 'block', minSeverity: 'high' } })
      .describe('Tool integrity: pins against rug pulls, and the poisoning scan.'),
    audit: AuditSchema.prefault({}).describe('The tamper-evident audit log: one hash-chained record per event.'),
    telemetry: TelemetrySchema.prefault({}).describe('OpenTelemetry export (off unless telemetry.otlp is set).'),
    state: StateConfigSchema.default(DEFAULT_STATE_CONFIG),
    sandbox: SandboxConfigSchema.prefault({}),
    ...IdentityConfigShape,
    serve: ServeSchema,
    llm: LlmConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const known = new Set(['default', ...Object.keys(config.policies)]);
    checkIdentityRefs(config, known, ctx);
    checkSsoRefs(config, ctx);
    if (!known.has(config.defaultPolicy))
      ctx.addIssue({ code: 'custom', path: ['defaultPolicy'], message: `no policy named "${config.defaultPolicy}"` });
    for (const [name, server] of Object.entries(config.servers))
      if (server.policy !== undefined && !known.has(server.policy))
        ctx.addIssue({
          code: 'custom',
          path: ['servers', name, 'policy'],
          message: `no policy named "${server.policy}" (known: ${[...known].join(', ')})`,
        });
    for (const [name, server] of Object.entries(config.servers))
      for (const [glob, policy] of Object.entries(server.toolPolicies ?? {}))
        if (!known.has(policy))
          ctx.addIssue({
            code: 'custom',
            path: ['servers', name, 'toolPolicies', glob],
            message: `no policy named "${policy}" (known: ${[...known].join(', ')})`,
          });
    for (const [pname, policy] of Object.entries(config.policies))
      for (const where of ['input', 'output'] as const)
        policy.providers[where].forEach((ref, i) => {
          if (!(ref in config.providers))
            ctx.addIssue({
              code: 'custom',
              path: ['policies', pname, 'providers', where, i],
              message: `no provider named "${ref}" under "providers"`,
            });
        });
    checkJudgeRefs(config, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
    for (const issue of llmPolicyReferenceIssues(config.llm, known)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .describe('secure-mcp-gateway configuration');

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type ServerConfig = z.output<typeof ServerSchema>;
export type Policy = z.output<typeof PolicySchema>;

export const DEFAULT_POLICY: Policy = PolicySchema.parse({});
