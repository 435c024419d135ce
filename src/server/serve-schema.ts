/**
 * The `serve` config section (issue 6): where the Streamable HTTP gateway listens, which Host and Origin headers
 * it accepts (DNS-rebinding defence), and its limits. Command-line flags override each field.
 * Session quotas (issue 15, class 13): 32 per key is far above what one person's clients open (an IDE window, an
 * agent or two, each one session, plus reconnects) and still lets 8 keys share the default 256; 128 per project
 * keeps any one project to half of the gateway, so two busy projects cannot starve a third. Idle sessions of the
 * requester, then of the biggest holder, are evicted (after 60 s without a request) before anyone is refused.
 */
import { z } from 'zod';

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  path: '/mcp',
  allowedHosts: [] as string[],
  allowedOrigins: [] as string[],
  maxSessions: 256,
  maxSessionsPerKey: 32,
  maxSessionsPerProject: 128,
  evictIdleAfterMs: 60_000,
  maxBodyBytes: 4 * 1024 * 1024,
  idleTimeoutMs: 30 * 60_000,
};

export const ServeSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .default(SERVE_DEFAULTS.host)
      .describe('The address to bind. Default 127.0.0.1: only this machine. --host overrides it.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(SERVE_DEFAULTS.port)
      .describe('The TCP port. --port overrides it.'),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]*$/, 'an absolute URL path')
      .default(SERVE_DEFAULTS.path)
      .describe('The MCP endpoint path.'),
    allowedHosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Host header values (name, or name:port) accepted besides the loopback names (localhost, 127.0.0.1, [::1]). A request for any other Host is refused (DNS rebinding).',
      ),
    allowedOrigins: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Origin header values (scheme://host[:port]) accepted besides loopback origins. A browser request from any other Origin is refused.',
      ),
    maxSessions: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxSessions)
      .describe(
        'Most MCP sessions open at once. A new one beyond it first evicts an idle session of the key holding the most sessions (if it holds more than the requester), else gets 503.',
      ),
    maxSessionsPerKey: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxSessionsPerKey)
      .describe(
        "Most sessions one gateway key may hold, so one key cannot take the whole gateway. A new one beyond it evicts the key's own least recently used idle session, else gets 429.",
      ),
    maxSessionsPerProject: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxSessionsPerProject)
      .describe(
        "Most sessions the keys of one project may hold together, so one project cannot take the whole gateway. A new one beyond it evicts an idle session of the same key, else of the project's key holding the most sessions (if it holds more than the requester), else gets 429.",
      ),
    evictIdleAfterMs: z
      .number()
      .int()
      .nonnegative()
      .default(SERVE_DEFAULTS.evictIdleAfterMs)
      .describe(
        'A session may be evicted to make room under a session quota only after this long without a request (and with none in flight). Its next request gets 404.',
      ),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.maxBodyBytes)
      .describe('Largest request body in bytes; a larger one gets 413.'),
    idleTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(SERVE_DEFAULTS.idleTimeoutMs)
      .describe('A session with no request for this long is closed.'),
  })
  .strict()
  .default({ ...SERVE_DEFAULTS })
  .describe('`secure-mcp-gateway serve`: the gateway over Streamable HTTP, for teams.');

export type ServeConfig = z.output<typeof ServeSchema>;
