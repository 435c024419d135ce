/**
 * The `serve` config section (issue 6): where the Streamable HTTP gateway listens, which Host and Origin headers
 * it accepts (DNS-rebinding defence), and its limits. Command-line flags override each field.
 */
import { z } from 'zod';

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  path: '/mcp',
  allowedHosts: [] as string[],
  allowedOrigins: [] as string[],
  maxSessions: 256,
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
      .describe('Most MCP sessions open at once; a new one beyond it gets 503.'),
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
