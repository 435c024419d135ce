/**
 * The `audit` and `telemetry` config keys. The audit log is on by default (a compliance record must not depend on
 * someone remembering to enable it); telemetry is off unless an OTLP endpoint is given, and then nothing of
 * OpenTelemetry is even loaded until start-up sees it (see otel.ts).
 */
import { z } from 'zod';

export const AUDIT_FSYNC_MODES = ['batched', 'always'] as const;
export const AUDIT_ARGUMENT_MODES = ['redacted', 'hashed', 'omitted'] as const;

export const AuditSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Write the audit log. Default true.'),
    path: z
      .string()
      .optional()
      .describe(
        'The audit log file (JSON Lines), relative to the config file; "~" is the home folder. Default <home>/audit.jsonl. Rotated files sit beside it as <name>.<first seq>.jsonl, the chain head in <name>.head.json.',
      ),
    required: z
      .boolean()
      .default(false)
      .describe(
        'true: a call that cannot be audited (the log cannot be opened or written) is blocked with rule audit.unavailable, instead of running unaudited. Fail closed.',
      ),
    fsync: z
      .enum(AUDIT_FSYNC_MODES)
      .default('batched')
      .describe(
        'batched: records are written and fsynced together at most fsyncIntervalMs apart (a crash loses at most that window); always: every call waits until its record is on disk before its answer goes out.',
      ),
    fsyncIntervalMs: z
      .number()
      .int()
      .min(1)
      .max(60_000)
      .default(200)
      .describe('batched mode: the longest time a record waits in memory before it is written and fsynced.'),
    maxFileBytes: z
      .number()
      .int()
      .min(4096)
      .default(64 * 1024 * 1024)
      .describe('Rotate the log when the current file would grow past this size; the hash chain carries on.'),
    arguments: z
      .enum(AUDIT_ARGUMENT_MODES)
      .default('redacted')
      .describe(
        'How call arguments are kept: redacted (secrets and PII replaced by typed placeholders), hashed (every string value replaced by its SHA-256, keyed with hmacKey when set), omitted (only the argument names).',
      ),
    hmacKey: z
      .string()
      .optional()
      .describe(
        'A ${file:PATH} or ${env:NAME} reference to a secret: the chain is then keyed (HMAC-SHA256), so that nobody without the key can rewrite the log and recompute the chain. `audit verify` needs the same key.',
      ),
  })
  .strict()
  .superRefine((audit, ctx) => {
    if (audit.hmacKey !== undefined && !/^\s*\$\{(env|file):[^}]+\}\s*$/.test(audit.hmacKey))
      ctx.addIssue({
        code: 'custom',
        path: ['hmacKey'],
        message: 'a ${file:PATH} or ${env:NAME} reference (a key written into the config would sit beside the log)',
      });
  });

export const TelemetrySchema = z
  .object({
    otlp: z
      .object({
        endpoint: z
          .string()
          .url()
          .describe(
            'The OTLP/HTTP base URL of the collector, e.g. http://127.0.0.1:4318; traces, metrics and logs go to /v1/traces, /v1/metrics and /v1/logs under it.',
          ),
        headers: z
          .record(z.string().min(1), z.string())
          .optional()
          .describe('HTTP headers for the collector (e.g. an API key). May contain ${env:…}/${file:…} references.'),
        serviceName: z.string().default('secure-mcp-gateway').describe('The service.name resource attribute.'),
        exportIntervalMs: z
          .number()
          .int()
          .min(100)
          .default(10_000)
          .describe('How often metrics are exported, and the longest time a span or log waits in its batch.'),
      })
      .strict()
      .optional()
      .describe(
        'Export traces (a span per call, child spans per stage and upstream), metrics and logs over OTLP/HTTP.',
      ),
  })
  .strict();

export type AuditConfig = z.output<typeof AuditSchema>;
export type TelemetryConfig = z.output<typeof TelemetrySchema>;
