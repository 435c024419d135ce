/**
 * The one error class of the gateway. Every local failure is a GatewayError with a code from this union;
 * src/server/to-wire.ts is the only place that turns one into a JSON-RPC error or an isError result, and
 * src/cli/main.ts is the only place that turns one into an exit code.
 */
export type GatewayErrorCode =
  | 'CONFIG_MISSING' // no config file where we looked
  | 'CONFIG_INVALID' // unreadable, not JSON, or not the schema; the message names file and JSON path
  | 'UNKNOWN_TOOL' // not exposed to this client (never says "forbidden": it is simply not there)
  | 'UNKNOWN_PROMPT'
  | 'UNKNOWN_RESOURCE'
  | 'AMBIGUOUS_RESOURCE'
  | 'UNSUPPORTED' // the request is valid, but the server that owns its target does not offer it (e.g. subscribe)
  | 'INVALID_CURSOR' // a list cursor this gateway did not issue, or for another list
  | 'UPSTREAM_UNAVAILABLE' // not connected within the bound, or disabled after repeated failures
  | 'UPSTREAM_CRASHED' // the child exited or the connection dropped while the request was in flight
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_ERROR' // the upstream answered with a JSON-RPC error; its code is kept in `upstreamCode`
  | 'SIGN_IN_REQUIRED' // an OAuth upstream needs `auth login` (no token, or its refresh was refused)
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown; upstreamCode?: number; data?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.upstreamCode = options?.upstreamCode;
    this.data = options?.data;
  }

  readonly upstreamCode: number | undefined;
  readonly data: unknown;
}

export function isGatewayError(error: unknown, code?: GatewayErrorCode): error is GatewayError {
  return error instanceof GatewayError && (code === undefined || error.code === code);
}

/** A readable one-line message for any thrown value. */
/** The text of an error without the SDK's "MCP error <code>: " prefix (any code, fractional ones too). */
export function plainMessage(error: unknown): string {
  return messageOf(error).replace(/^MCP error [^:\s]+: /, '');
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
