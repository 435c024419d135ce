/**
 * Calls one LLM provider over undici, with its own connection pool (Agent), non-streamed or streamed. A streamed
 * answer is an async iterator of neutral events, parsed incrementally from the SSE body (sse.ts), so the first token
 * leaves as soon as it arrives. The request is translated from the neutral shape into the provider's format
 * (OpenAI Chat Completions for openai, azure-openai and openai-compatible; Anthropic Messages for anthropic).
 *
 * Failure mode: every failure is a LlmProviderError saying what happened (auth, rate-limited, unavailable, timeout,
 * connection, bad-response, rejected, aborted) and whether a fallback may be tried; its message names the provider
 * and carries the provider's own explanation with the API key scrubbed out. `timeoutMs` bounds the wait for headers
 * and every pause inside a body. A stream that ends without its end marker throws, so a truncated answer is never
 * taken for a whole one.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import {
  ANTHROPIC_VERSION,
  anthropicResponseToNeutral,
  createAnthropicStreamDecoder,
  neutralToAnthropicRequest,
} from './anthropic-format.js';
import type { LlmProviderConfig, LlmProviderKind } from './config-schema.js';
import { LlmFormatError, LlmProviderError, kindOfStatus } from './errors.js';
import { createOpenAiStreamDecoder, neutralToOpenAiRequest, openAiResponseToNeutral } from './openai-format.js';
import { createSseParser, SseLineTooLongError } from './sse.js';
import { arr, obj, tokens } from './wire-read.js';
import type { LlmChatRequest, LlmChatResponse, LlmStreamEvent } from './types.js';

export interface LlmCallOptions {
  signal?: AbortSignal;
}

export interface LlmProvider {
  readonly name: string;
  readonly kind: LlmProviderKind;
  /** One answer. `req.model` is the provider's model (for azure-openai, the Azure deployment name). */
  chat(req: LlmChatRequest, opts?: LlmCallOptions): Promise<LlmChatResponse>;
  /**
   * Resolves once the provider has answered 2xx with a stream, so that a failing status can still be retried
   * elsewhere; failures while iterating (a cut connection, a pause longer than the timeout) throw from the iterator.
   */
  stream(req: LlmChatRequest, opts?: LlmCallOptions): Promise<AsyncIterable<LlmStreamEvent>>;
  /** Embeddings (OpenAI kinds only: an anthropic provider throws a `rejected` LlmProviderError). */
  embed(req: LlmEmbeddingRequest, opts?: LlmCallOptions): Promise<LlmEmbeddingResponse>;
  close(): Promise<void>;
}

export interface LlmEmbeddingRequest {
  /** The provider's model (for azure-openai, the Azure deployment name). */
  model: string;
  input: string[];
  dimensions?: number;
  user?: string;
}

export interface LlmEmbeddingResponse {
  model: string;
  /** One vector per input, in input order. */
  vectors: number[][];
  usage: { inputTokens: number };
}

/** The provider's config with its references already resolved (apiKey and header values are the real strings). */
export type ResolvedLlmProvider = Omit<LlmProviderConfig, 'timeoutMs'> & { timeoutMs?: number };

const DEFAULT_BASE: Partial<Record<LlmProviderKind, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};
const MAX_ERROR_BODY = 64 * 1024;
const MAX_ANSWER_BODY = 32 * 1024 * 1024;

export function createLlmProvider(
  name: string,
  config: ResolvedLlmProvider,
  opts: { dispatcher?: Dispatcher } = {},
): LlmProvider {
  const timeoutMs = config.timeoutMs ?? 60_000;
  const base = (config.baseUrl ?? DEFAULT_BASE[config.kind] ?? '').replace(/\/+$/, '');
  if (base === '') throw new LlmProviderError(name, 'rejected', `a ${config.kind} provider needs a baseUrl`);
  const ownAgent = opts.dispatcher
    ? undefined
    : new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: Math.min(timeoutMs, 10_000) });
  const dispatcher = opts.dispatcher ?? ownAgent!;
  const anthropic = config.kind === 'anthropic';
  const key = config.apiKey;

  const url = (model: string, what: 'chat' | 'embeddings'): string => {
    if (config.kind === 'azure-openai')
      return `${base}/openai/deployments/${encodeURIComponent(model)}/${what === 'chat' ? 'chat/completions' : 'embeddings'}?api-version=${encodeURIComponent(config.apiVersion ?? '')}`;
    if (anthropic) return `${base}/v1/messages`;
    return `${base}/${what === 'chat' ? 'chat/completions' : 'embeddings'}`;
  };

  /** The provider's request body; a request the provider's format cannot express is the caller's LlmFormatError. */
  const wireBody = (req: LlmChatRequest, stream: boolean): string => {
    const wire = { ...req, stream };
    const body = anthropic ? neutralToAnthropicRequest(wire) : neutralToOpenAiRequest(wire);
    if (!stream) delete body.stream;
    return JSON.stringify(body);
  };

  const headers = (stream: boolean): Record<string, string> => {
    const h: Record<string, string> = {
      ...config.headers,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
    };
    if (anthropic) {
      h['anthropic-version'] = ANTHROPIC_VERSION;
      if (key !== undefined) h['x-api-key'] = key;
    } else if (config.kind === 'azure-openai') {
      if (key !== undefined) h['api-key'] = key;
    } else if (key !== undefined && key !== '') h.authorization = `Bearer ${key}`;
    return h;
  };

  const scrub = (text: string): string => scrubSecret(text, key);

  const fail = (error: unknown, signal: AbortSignal | undefined): LlmProviderError => {
    if (error instanceof LlmProviderError) return error;
    if (signal?.aborted) return new LlmProviderError(name, 'aborted', 'the request was cancelled', { cause: error });
    if (error instanceof LlmFormatError || error instanceof SseLineTooLongError)
      return new LlmProviderError(name, 'bad-response', `the answer is not the API's shape: ${scrub(error.message)}`);
    const code = (error as { code?: unknown } | null)?.code;
    if (
      error instanceof undiciErrors.HeadersTimeoutError ||
      error instanceof undiciErrors.BodyTimeoutError ||
      error instanceof undiciErrors.ConnectTimeoutError
    )
      return new LlmProviderError(name, 'timeout', `no answer within ${timeoutMs} ms`, { cause: error });
    return new LlmProviderError(
      name,
      'connection',
      `cannot reach the provider (${typeof code === 'string' ? code : 'connection failed'})`,
      { cause: error },
    );
  };

  const send = async (
    target: string,
    body: string,
    stream: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Dispatcher.ResponseData> => {
    // undici's own headersTimeout ticks coarsely (about a second): a timer of our own keeps `timeoutMs` exact for the
    // wait that matters most, the one for the answer to start.
    const late = new AbortController();
    const timer = setTimeout(() => late.abort(), timeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(target, {
        method: 'POST',
        headers: headers(stream),
        body,
        dispatcher,
        signal: signal ? AbortSignal.any([signal, late.signal]) : late.signal,
      });
    } catch (error) {
      if (late.signal.aborted && !signal?.aborted)
        throw new LlmProviderError(name, 'timeout', `no answer within ${timeoutMs} ms`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    const text = await readLimited(res.body, MAX_ERROR_BODY).catch(() => '');
    const { message, type } = errorOf(text);
    throw new LlmProviderError(
      name,
      kindOfStatus(res.statusCode),
      `HTTP ${res.statusCode}${message ? `: ${scrub(message)}` : ''}`,
      { status: res.statusCode, providerType: type, retryAfterMs: retryAfter(res.headers) },
    );
  };

  /** A whole (non-streamed) answer's JSON, read up to MAX_ANSWER_BODY. */
  const answerJson = async (res: Dispatcher.ResponseData): Promise<unknown> => {
    const text = await readLimited(res.body, MAX_ANSWER_BODY);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new LlmProviderError(name, 'bad-response', 'the answer is not JSON');
    }
  };

  return {
    name,
    kind: config.kind,
    async chat(req, callOpts = {}) {
      const { signal } = callOpts;
      const body = wireBody(req, false);
      try {
        const json = await answerJson(await send(url(req.model, 'chat'), body, false, signal));
        return anthropic ? anthropicResponseToNeutral(json) : openAiResponseToNeutral(json);
      } catch (error) {
        throw fail(error, signal);
      }
    },
    async stream(req, callOpts = {}) {
      const { signal } = callOpts;
      const wire = wireBody(req, true);
      let res: Dispatcher.ResponseData;
      try {
        res = await send(url(req.model, 'chat'), wire, true, signal);
      } catch (error) {
        throw fail(error, signal);
      }
      const type = String(res.headers['content-type'] ?? '');
      if (!type.startsWith('text/event-stream')) {
        discard(res.body);
        throw new LlmProviderError(
          name,
          'bad-response',
          `expected an event stream, got "${type || 'no content type'}"`,
        );
      }
      const body = res.body;
      return (async function* events(): AsyncGenerator<LlmStreamEvent> {
        const parser = createSseParser();
        const decoder = anthropic ? createAnthropicStreamDecoder() : createOpenAiStreamDecoder();
        try {
          for await (const chunk of body as AsyncIterable<Buffer>) {
            for (const sse of parser.push(chunk)) {
              for (const ev of decoder.push(sse.data)) {
                yield ev.type === 'error' ? { ...ev, message: scrub(ev.message) } : ev;
                if (ev.type === 'error') return;
              }
              if (decoder.done) return;
            }
          }
        } catch (error) {
          throw fail(error, signal);
        } finally {
          // A consumer that stops early (a guardrail cut the stream) must not leave the connection streaming.
          discard(body);
        }
        throw new LlmProviderError(name, 'connection', 'the stream ended before its end marker');
      })();
    },
    async embed(req, callOpts = {}) {
      if (anthropic) throw new LlmProviderError(name, 'rejected', 'an anthropic provider has no embeddings API');
      const { signal } = callOpts;
      const body = JSON.stringify({
        model: req.model,
        input: req.input,
        encoding_format: 'float',
        dimensions: req.dimensions,
        user: req.user,
      });
      try {
        const json = await answerJson(await send(url(req.model, 'embeddings'), body, false, signal));
        return readEmbeddings(json, req.input.length);
      } catch (error) {
        throw fail(error, signal);
      }
    },
    async close() {
      await ownAgent?.close();
    },
  };
}

function readEmbeddings(body: unknown, count: number): LlmEmbeddingResponse {
  const b = obj(body, []);
  const vectors: number[][] = new Array<number[]>(count);
  arr(b.data, ['data']).forEach((d, i) => {
    const item = obj(d, ['data', i]);
    const index = item.index ?? i;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count)
      throw new LlmFormatError(['data', i, 'index'], `expected an index below ${count}`);
    const v = arr(item.embedding, ['data', i, 'embedding']);
    if (!v.every((x) => typeof x === 'number')) throw new LlmFormatError(['data', i, 'embedding'], 'expected numbers');
    vectors[index] = v;
  });
  for (let i = 0; i < count; i++) if (!vectors[i]) throw new LlmFormatError(['data'], `no embedding for input ${i}`);
  const usage = b.usage === undefined || b.usage === null ? undefined : obj(b.usage, ['usage']);
  return {
    model: typeof b.model === 'string' ? b.model : '',
    vectors,
    usage: { inputTokens: tokens(usage, 'prompt_tokens', ['usage']) },
  };
}

/** Removes the key (and anything that looks like a provider key) from text that may reach a log or a client. */
export function scrubSecret(text: string, key: string | undefined): string {
  let out = key !== undefined && key.length >= 4 ? text.split(key).join('[redacted]') : text;
  out = out.replace(/\b(sk-[A-Za-z0-9_*-]{6,}|sk-ant-[A-Za-z0-9_*-]{6,})/g, '[redacted]');
  return out.length > 500 ? `${out.slice(0, 500)}…` : out;
}

/** Closes a body we will not read; destroying emits an abort error that nobody else is listening for. */
function discard(body: Dispatcher.ResponseData['body']): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}

async function readLimited(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      discard(body);
      throw new Error(`the body is larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The message and type of an OpenAI (`{error: {message, type}}`) or Anthropic (`{type: "error", error}`) error body. */
function errorOf(text: string): { message?: string; type?: string } {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown; type?: unknown } | string; message?: unknown };
    const e = json.error;
    if (typeof e === 'string') return { message: e };
    const message =
      typeof e?.message === 'string' ? e.message : typeof json.message === 'string' ? json.message : undefined;
    const type = typeof e?.type === 'string' ? e.type : undefined;
    return { ...(message === undefined ? {} : { message }), ...(type === undefined ? {} : { type }) };
  } catch {
    return text.trim() === '' ? {} : { message: text.trim().slice(0, 200) };
  }
}

function retryAfter(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const v = headers['retry-after'];
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
