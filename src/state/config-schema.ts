/**
 * The config contract of the state store (issue 6, item 5): `"state": {"backend": "memory"}` (the default, one
 * process) or `"state": {"backend": "redis", "url": "redis://…"}`, shared by every gateway instance that points at
 * the same Redis. Pure zod, imported by config/schema.ts; the store itself is built by state/create.ts.
 */
import { z } from 'zod';

export const STATE_BACKENDS = ['memory', 'redis'] as const;

export const StateConfigSchema = z
  .object({
    backend: z
      .enum(STATE_BACKENDS)
      .default('memory')
      .describe(
        'memory: rate-limit buckets, pins and the discovery cache belong to this process (and the pin lockfile). redis: they live in Redis and every gateway pointing at it shares them.',
      ),
    url: z
      .string()
      .optional()
      .describe(
        'redis: the server, as redis://[user:password@]host:port[/db] or rediss:// for TLS. May contain ${env:NAME} and ${file:PATH} references, resolved at start-up; a password in it is never logged.',
      ),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'expected 1-64 letters, digits, ":", "_", "." or "-"')
      .default('smg:')
      .describe(
        'redis: prefix of every key the gateway writes, so that several deployments can share one Redis. Instances that must agree use the same prefix.',
      ),
    connectTimeoutMs: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(2_000)
      .describe('redis: how long one connection attempt may take before it counts as failed.'),
    commandTimeoutMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(500)
      .describe(
        'redis: how long one command may take. A call whose rate limit cannot be checked in time is denied (fail closed); it never waits longer.',
      ),
  })
  .strict()
  .superRefine((state, ctx) => {
    if (state.backend === 'redis' && state.url === undefined)
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'the redis backend needs a "url" (redis://host:port)' });
    if (state.backend === 'memory' && state.url !== undefined)
      ctx.addIssue({ code: 'custom', path: ['url'], message: '"url" only applies to the redis backend' });
  })
  .describe(
    'Where rate-limit buckets, tool pins and the discovery cache are kept: in this process, or in Redis shared by several gateway instances.',
  );

export type StateConfig = z.infer<typeof StateConfigSchema>;

export const DEFAULT_STATE_CONFIG: StateConfig = {
  backend: 'memory',
  keyPrefix: 'smg:',
  connectTimeoutMs: 2_000,
  commandTimeoutMs: 500,
};
