/**
 * The two failures of the Secure AI Proxy's provider side. LlmFormatError: a request or answer that does not have
 * the wire shape (or uses something the proxy cannot check, such as audio parts), named by its JSON path; the
 * endpoint answers a client's with a 400 in the client's format. LlmProviderError: a provider call that failed, with
 * the HTTP status when there is one and whether a fallback may be tried. Neither message ever holds an API key.
 */

export class LlmFormatError extends Error {
  override readonly name = 'LlmFormatError';

  constructor(
    /** JSON path from the body's root, such as ["messages", 2, "content", 0, "type"]. */
    readonly path: readonly (string | number)[],
    readonly problem: string,
  ) {
    super(`${path.length === 0 ? 'body' : formatPath(path)}: ${problem}`);
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * auth: 401/403 (the key is wrong or lacks access); rejected: another 4xx (the request is bad); rate-limited: 429;
 * unavailable: 5xx; timeout: no headers, or a pause in a stream, longer than the provider's timeoutMs; connection:
 * refused, reset or DNS; bad-response: an answer that is not the API's shape; aborted: the caller gave up.
 */
export type LlmProviderErrorKind =
  'auth' | 'rejected' | 'rate-limited' | 'unavailable' | 'timeout' | 'connection' | 'bad-response' | 'aborted';

const RETRYABLE: ReadonlySet<LlmProviderErrorKind> = new Set(['rate-limited', 'unavailable', 'timeout', 'connection']);

export class LlmProviderError extends Error {
  override readonly name = 'LlmProviderError';
  readonly retryable: boolean;

  constructor(
    readonly provider: string,
    readonly kind: LlmProviderErrorKind,
    message: string,
    options?: {
      status?: number | undefined;
      /** The provider's own error type (`rate_limit_error`, `invalid_request_error`), when it sent one. */
      providerType?: string | undefined;
      /** From Retry-After, when the provider sent one. */
      retryAfterMs?: number | undefined;
      cause?: unknown;
    },
  ) {
    super(`provider ${provider}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
    this.providerType = options?.providerType;
    this.retryAfterMs = options?.retryAfterMs;
    this.retryable = RETRYABLE.has(kind);
  }

  readonly status: number | undefined;
  readonly providerType: string | undefined;
  readonly retryAfterMs: number | undefined;
}

export function isLlmProviderError(error: unknown): error is LlmProviderError {
  return error instanceof LlmProviderError;
}

/** The kind of a failed HTTP status. */
export function kindOfStatus(status: number): LlmProviderErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'unavailable';
  return 'rejected';
}
