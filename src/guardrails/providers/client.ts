/**
 * What every remote guardrail provider shares: one POST of JSON through a shared keep-alive undici Agent, a
 * per-scan deadline that covers every attempt (bounded retries on network errors, 429 and 5xx, with short jittered
 * backoff that never sleeps past the deadline), an LRU cache of verdicts keyed by SHA-256(name, where, text), and
 * the failure mode.
 *
 * Failure mode: CLOSED by default. A timeout, a non-2xx answer, or a body that is not JSON or not the expected
 * shape makes `scan` throw a GatewayError that names the provider and what went wrong; the stage runner turns that
 * throw into a deny. With `failOpen: true` the same failures return `[]` and are reported through
 * `hooks.onFailure`. An abort of the caller's signal always rejects, fail-open or not: the call is being cancelled,
 * and an empty verdict must not let it through.
 *
 * Error messages never carry header values (API keys), response bodies or the scanned text.
 */
import { cachedScan } from './cached-scan.js';
import { isHttpUrl } from './schema.js';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { Agent, request, type Dispatcher } from 'undici';
import { GatewayError, messageOf } from '../../errors.js';
import { readBodyText } from '../../util/http-body.js';
import { VERSION } from '../../version.js';
import { maskExcerpt, type AsyncDetector, type Detection, type Where } from '../types.js';
import { BadResponseError } from './json.js';

export const DEFAULT_TIMEOUT_MS = 3000;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_CACHE_SIZE = 1000;
/** A verdict is reused for this long; a provider's policy may change, so the cache does not keep it forever. */
const CACHE_TTL_MS = 10 * 60_000;
/** A verdict is a few hundred bytes; anything this large is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 500;

/** The knobs every provider config shares. */
export interface RemoteCallOptions {
  /** Deadline for one scan, retries included. Default 3000 ms. */
  timeoutMs?: number;
  /** Extra attempts after the first, on network errors, 429 and 5xx. Default 2. */
  retries?: number;
  /** On failure return [] (and call onFailure) instead of throwing. Default false: fail closed. */
  failOpen?: boolean;
  /** Verdicts kept in the LRU cache; 0 turns the cache off. Default 1000. */
  cacheSize?: number;
}

/** Passed in at creation by whoever assembles the stage. */
export interface ProviderHooks {
  /** Called with the failure message when a fail-open provider fails (the scan then returns []). */
  onFailure?: (message: string) => void;
}

export interface RemoteDetectorSpec {
  /** The provider's name: the detector id, the prefix of its rules, and the name in error messages. */
  name: string;
  url: string;
  headers: Record<string, string>;
  options: RemoteCallOptions;
  body(text: string, where: Where): unknown;
  /** Maps the parsed JSON to detections; throws BadResponseError when the shape is not what it expects. */
  parse(json: unknown, text: string): Detection[];
}

type FailureKind = 'timeout' | 'network' | 'http-status' | 'bad-response';

class ProviderFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

type Attempt = { json: unknown } | { failure: ProviderFailure; retry: boolean; retryAfterMs: number };

let sharedAgent: Agent | undefined;

/** One keep-alive pool for every guardrail provider, so consecutive scans reuse a TLS connection. */
function agent(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 10 * 60_000, connections: 32 });
  return sharedAgent;
}

/** Closes the shared pool (on shutdown, and after tests); the next scan opens a new one. */
export async function closeProviderPool(): Promise<void> {
  const pool = sharedAgent;
  sharedAgent = undefined;
  await pool?.close().catch(() => undefined);
}

/** A detection about the whole scanned text: no offsets, and a masked excerpt of the text. */
export function wholeTextDetection(
  detector: string,
  rule: string,
  score: number,
  text: string,
  entity?: string,
): Detection {
  const d: Detection = { detector, rule, score, excerpt: maskExcerpt(text) };
  if (entity !== undefined) d.entity = entity;
  return d;
}

export function createRemoteDetector(spec: RemoteDetectorSpec, hooks: ProviderHooks = {}): AsyncDetector {
  // The URL is not in the message: a query string may carry a key.
  if (!isHttpUrl(spec.url)) {
    throw new GatewayError('CONFIG_INVALID', `guardrail provider "${spec.name}": the URL is not an http or https URL`);
  }
  const timeoutMs = spec.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = spec.options.retries ?? DEFAULT_RETRIES;
  const cacheSize = spec.options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const cache =
    cacheSize > 0 ? new LRUCache<string, readonly Detection[]>({ max: cacheSize, ttl: CACHE_TTL_MS }) : undefined;
  const secrets = secretsOf(spec.headers);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': `secure-mcp-gateway/${VERSION}`,
  };
  // Lower-cased, so a configured `Content-Type` replaces ours instead of being sent twice.
  for (const [key, value] of Object.entries(spec.headers)) headers[key.toLowerCase()] = value;

  /** One attempt: the parsed JSON, or a failure and whether another attempt could help. */
  async function once(payload: string, signal: AbortSignal): Promise<Attempt> {
    try {
      const res = await request(spec.url, { method: 'POST', headers, body: payload, signal, dispatcher: agent() });
      if (res.statusCode >= 200 && res.statusCode < 300) return { json: parseJson(await readBody(res.body)) };
      await res.body.dump().catch(() => undefined);
      return {
        failure: new ProviderFailure('http-status', `answered HTTP ${res.statusCode}`, res.statusCode),
        retry: res.statusCode === 429 || res.statusCode >= 500,
        retryAfterMs: retryAfter(res.headers['retry-after']),
      };
    } catch (error) {
      if (error instanceof ProviderFailure) return { failure: error, retry: false, retryAfterMs: 0 };
      // A network error, or our own abort: the caller of once() tells them apart by the signals.
      return {
        failure: new ProviderFailure('network', `request failed: ${messageOf(error)}`),
        retry: true,
        retryAfterMs: 0,
      };
    }
  }

  async function post(payload: string, signal: AbortSignal): Promise<unknown> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    deadline.signal.addEventListener('abort', stop, { once: true });
    signal.addEventListener('abort', stop, { once: true });
    const started = Date.now();
    try {
      for (let attempts = 1; ; attempts++) {
        const outcome = await once(payload, attempt.signal);
        if ('json' in outcome) return outcome.json;
        signal.throwIfAborted();
        if (deadline.signal.aborted) throw timedOut(timeoutMs, attempts);
        const { failure } = outcome;
        if (!outcome.retry || attempts > retries) throw withAttempts(failure, attempts);
        const wait = Math.max(backoff(attempts), outcome.retryAfterMs);
        // Never sleep past the deadline: give up now with the real failure rather than a timeout later.
        if (Date.now() - started + wait >= timeoutMs) throw withAttempts(failure, attempts);
        await sleep(wait, undefined, { signal: attempt.signal }).catch(() => undefined);
        signal.throwIfAborted();
        if (deadline.signal.aborted) throw timedOut(timeoutMs, attempts);
      }
    } finally {
      clearTimeout(timer);
      deadline.signal.removeEventListener('abort', stop);
      signal.removeEventListener('abort', stop);
    }
  }

  function fail(failure: ProviderFailure): GatewayError {
    const message = redact(`guardrail provider "${spec.name}" failed: ${failure.message}`, secrets);
    return new GatewayError(failure.kind === 'timeout' ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE', message, {
      data: {
        provider: spec.name,
        failure: failure.kind,
        ...(failure.status === undefined ? {} : { status: failure.status }),
      },
    });
  }

  return {
    id: spec.name,
    scan(text, where, signal) {
      const options = {
        cache,
        key: () =>
          createHash('sha256')
            .update(JSON.stringify([spec.name, where, text]))
            .digest('hex'),
        failOpen: spec.options.failOpen === true,
        isFailure: (e: unknown): e is ProviderFailure => e instanceof ProviderFailure,
        fail,
        ...(hooks.onFailure ? { onFailure: hooks.onFailure } : {}),
      };
      return cachedScan(signal, options, async () => {
        const json = await post(JSON.stringify(spec.body(text, where)), signal);
        try {
          return spec.parse(json, text);
        } catch (error) {
          if (!(error instanceof BadResponseError)) throw error;
          throw new ProviderFailure('bad-response', `unexpected response: ${error.message}`);
        }
      });
    },
  };
}

function readBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  return readBodyText(
    body,
    MAX_RESPONSE_BYTES,
    () => new ProviderFailure('bad-response', `the response is larger than ${MAX_RESPONSE_BYTES} bytes`),
  );
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ProviderFailure('bad-response', 'the response is not JSON');
  }
}

function timedOut(timeoutMs: number, attempts: number): ProviderFailure {
  return new ProviderFailure(
    'timeout',
    `timed out after ${timeoutMs} ms${attempts > 1 ? ` (${attempts} attempts)` : ''}`,
  );
}

function withAttempts(failure: ProviderFailure, attempts: number): ProviderFailure {
  if (attempts === 1) return failure;
  return new ProviderFailure(failure.kind, `${failure.message} (${attempts} attempts)`, failure.status);
}

/** Full jitter: a retry storm from many gateway instances should not arrive in step. */
function backoff(attempt: number): number {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}

/** `Retry-After: <seconds>` (RFC 9110 §10.2.3); the date form is rare for APIs and ignored. */
function retryAfter(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d+$/.test(text.trim())) return 0;
  return Number(text.trim()) * 1000;
}

/** Every header value, and each word of it (the token of `Bearer <token>`), long enough to be a credential. */
function secretsOf(headers: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const value of Object.values(headers)) {
    for (const part of [value, ...value.split(/\s+/)]) if (part.length >= 8) out.add(part);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Belt and braces: our messages are built without header values, but a network error's text is not ours. */
function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

export { isHttpUrl };
