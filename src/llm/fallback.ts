/**
 * Runs one request on a deployment, retrying it and then its fallbacks on retryable failures (429, 5xx, timeout,
 * connection), within a bounded budget of provider calls, and says which deployment answered. Fallbacks expand
 * depth-first (a fallback's own fallbacks follow it), each deployment once. A non-retryable failure (401, 403, 400,
 * a malformed answer) stops at once: another provider would not fix the request, and a bad key must be seen.
 *
 * Streams: a stream is committed once its first event has arrived. Until then (a failing status, a connection
 * refused, an Anthropic `overloaded_error` as the first event) the next attempt runs; after it, a failure is the
 * stream's own, because the client has already received part of the answer. Failure mode: the last attempt's
 * LlmProviderError is thrown; the budget running out throws the last retryable error.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { LlmFormatError, LlmProviderError } from './errors.js';
import type { LlmProvider } from './providers.js';
import type { LlmChatRequest, LlmChatResponse, LlmStreamEvent } from './types.js';

export interface FallbackDeployment {
  provider: string;
  model: string;
  fallbacks: readonly string[];
  maxRetries: number;
}

export interface LlmAttempt {
  deployment: string;
  provider: string;
  model: string;
  ms: number;
  /** Undefined when this attempt answered. */
  error?: LlmProviderError;
}

export interface FallbackOptions {
  deployments: Readonly<Record<string, FallbackDeployment>>;
  /** The provider client by name (built once per provider, shared by requests). */
  provider: (name: string) => LlmProvider;
  /** Provider calls for one request, across retries and fallbacks. Default 4. */
  maxAttempts?: number;
  /** Wait before retrying the same deployment: backoffMs × 2^retry, or a shorter Retry-After. Default 250. */
  backoffMs?: number;
  /** The longest wait before a retry; a longer Retry-After moves on to the next deployment instead. Default 2000. */
  maxBackoffMs?: number;
  signal?: AbortSignal;
  /** Every attempt, as it ends, for the audit and metrics. */
  onAttempt?: (attempt: LlmAttempt) => void;
}

export interface FallbackResult<T> {
  /** The deployment that answered, and its provider and model (what cost and the audit count). */
  deployment: string;
  provider: string;
  model: string;
  attempts: LlmAttempt[];
  result: T;
}

/** The deployments to try for `alias`, in order: itself, then its fallbacks depth-first, each once. */
export function deploymentChain(alias: string, deployments: Readonly<Record<string, FallbackDeployment>>): string[] {
  const chain: string[] = [];
  const visit = (name: string): void => {
    if (chain.includes(name) || !(name in deployments)) return;
    chain.push(name);
    for (const f of deployments[name]!.fallbacks) visit(f);
  };
  visit(alias);
  return chain;
}

/** Anthropic reports overload as an error event on a 200 stream; before any output that is as retryable as a 529. */
const RETRYABLE_STREAM_ERRORS = new Set(['overloaded_error', 'rate_limit_error', 'api_error']);

export async function chatWithFallback(
  alias: string,
  req: LlmChatRequest,
  opts: FallbackOptions,
): Promise<FallbackResult<LlmChatResponse>> {
  return run(alias, opts, (provider, routed) => provider.chat(routed, opts.signal ? { signal: opts.signal } : {}), req);
}

export async function streamWithFallback(
  alias: string,
  req: LlmChatRequest,
  opts: FallbackOptions,
): Promise<FallbackResult<AsyncIterable<LlmStreamEvent>>> {
  return run(
    alias,
    opts,
    async (provider, routed) => {
      const events = await provider.stream(routed, opts.signal ? { signal: opts.signal } : {});
      const it = events[Symbol.asyncIterator]();
      const first = await it.next();
      if (!first.done && first.value.type === 'error' && RETRYABLE_STREAM_ERRORS.has(first.value.errorType ?? '')) {
        await it.return?.();
        throw new LlmProviderError(provider.name, 'unavailable', first.value.message, {
          providerType: first.value.errorType,
        });
      }
      return (async function* committed(): AsyncGenerator<LlmStreamEvent> {
        try {
          if (first.done) return;
          yield first.value;
          for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
        } finally {
          await it.return?.();
        }
      })();
    },
    { ...req, stream: true },
  );
}

async function run<T>(
  alias: string,
  opts: FallbackOptions,
  call: (provider: LlmProvider, routed: LlmChatRequest) => Promise<T>,
  req: LlmChatRequest,
): Promise<FallbackResult<T>> {
  if (!(alias in opts.deployments)) throw new LlmFormatError(['model'], `no deployment named "${alias}"`);
  const budget = Math.max(1, opts.maxAttempts ?? 4);
  const backoff = opts.backoffMs ?? 250;
  const maxBackoff = opts.maxBackoffMs ?? 2_000;
  const attempts: LlmAttempt[] = [];
  let last: LlmProviderError | undefined;
  for (const name of deploymentChain(alias, opts.deployments)) {
    const d = opts.deployments[name]!;
    for (let retry = 0; retry <= d.maxRetries; retry++) {
      if (attempts.length >= budget) throw last!;
      opts.signal?.throwIfAborted();
      if (retry > 0) {
        const wait = last?.retryAfterMs ?? backoff * 2 ** (retry - 1);
        if (wait > maxBackoff) break; // the provider asks for longer than we wait: the next deployment instead
        if (wait > 0)
          // An abort rejects the wait with a generic AbortError; the caller's own reason says more.
          await delay(wait, undefined, opts.signal ? { signal: opts.signal } : {}).catch((error: unknown) => {
            opts.signal?.throwIfAborted();
            throw error;
          });
      }
      const provider = opts.provider(d.provider);
      const started = performance.now();
      try {
        const result = await call(provider, { ...req, model: d.model });
        const attempt = { deployment: name, provider: d.provider, model: d.model, ms: performance.now() - started };
        attempts.push(attempt);
        opts.onAttempt?.(attempt);
        return { deployment: name, provider: d.provider, model: d.model, attempts, result };
      } catch (error) {
        if (!(error instanceof LlmProviderError)) throw error;
        const attempt = {
          deployment: name,
          provider: d.provider,
          model: d.model,
          ms: performance.now() - started,
          error,
        };
        attempts.push(attempt);
        opts.onAttempt?.(attempt);
        if (!error.retryable) throw error;
        last = error;
      }
    }
  }
  throw last!;
}
