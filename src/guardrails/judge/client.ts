/**
 * A client for one OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp, vLLM, or a cloud API): POST
 * <baseUrl>/chat/completions over an undici keep-alive Pool whose connection count is the endpoint's
 * `maxConcurrent` (further requests wait in the pool, inside their deadline), temperature 0, and
 * `response_format: {"type": "json_object"}` where the config allows it. It returns the answer's content parsed
 * as JSON; the caller validates the verdict's shape.
 *
 * Failure mode: every failure (deadline passed, network error, non-2xx, a body that is not a chat completion, an
 * answer that is not one JSON object) throws a JudgeFailure; the judge stage applies the policy's failure mode
 * (closed by default: the call is blocked). An unparsable answer is never a pass. Messages never carry the API
 * key, the prompt or the model's answer.
 */
import { Pool, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { messageOf } from '../../errors.js';
import { readBodyText } from '../../util/http-body.js';
import { VERSION } from '../../version.js';
import type { JudgeEndpoint } from './config-schema.js';

/** A verdict is a few hundred bytes; anything this large is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const PROBE_TIMEOUT_MS = 3000;

export type JudgeFailureKind = 'timeout' | 'network' | 'http-status' | 'bad-response' | 'budget' | 'documents';

/** The judge could not give a verdict; the stage turns it into a block (fail closed) or a recorded error. */
export class JudgeFailure extends Error {
  override readonly name = 'JudgeFailure';
  constructor(
    readonly kind: JudgeFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface JudgeAnswer {
  json: unknown;
  /** Time from sending the request to the parsed answer, queueing in the pool included. */
  latencyMs: number;
}

export interface JudgeClient {
  /** The judge's name under "judges". */
  readonly name: string;
  readonly model: string;
  readonly endpoint: JudgeEndpoint;
  complete(messages: readonly ChatMessage[], signal: AbortSignal): Promise<JudgeAnswer>;
  close(): Promise<void>;
}

const CompletionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullable().optional() }).passthrough() }).passthrough())
    .min(1),
});

/** Splits a base URL into the pool's origin and the path prefix of the API (`/v1`). */
export function apiUrl(baseUrl: string, path: string): { origin: string; path: string } {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new JudgeFailure('network', 'the baseUrl is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new JudgeFailure('network', 'the baseUrl is not an http or https URL');
  return { origin: u.origin, path: `${u.pathname.replace(/\/+$/, '')}${path}${u.search}` };
}

function headersOf(endpoint: JudgeEndpoint, json: boolean): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `secure-mcp-gateway/${VERSION}` };
  if (json) headers['content-type'] = 'application/json';
  for (const [k, v] of Object.entries(endpoint.headers ?? {})) headers[k.toLowerCase()] = v;
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  return headers;
}

function readBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  return readBodyText(
    body,
    MAX_RESPONSE_BYTES,
    () => new JudgeFailure('bad-response', `the response is larger than ${MAX_RESPONSE_BYTES} bytes`),
  );
}

/**
 * The model's answer as one JSON object. A single Markdown code fence around it is accepted (small local models
 * add one even in JSON mode); prose around the JSON, or anything else, is a bad answer.
 */
export function parseAnswer(content: string): unknown {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(content);
  const text = fenced ? fenced[1]! : content;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new JudgeFailure('bad-response', 'the model’s answer is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new JudgeFailure('bad-response', 'the model’s answer is not a JSON object');
  return json;
}

export function createJudgeClient(name: string, endpoint: JudgeEndpoint): JudgeClient {
  const url = apiUrl(endpoint.baseUrl, '/chat/completions');
  // One keep-alive connection per allowed concurrent request: the pool queues the rest, so maxConcurrent holds.
  const pool = new Pool(url.origin, {
    connections: endpoint.maxConcurrent,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 10 * 60_000,
  });
  const headers = headersOf(endpoint, true);
  const redact = (message: string) =>
    endpoint.apiKey && endpoint.apiKey.length >= 4 ? message.split(endpoint.apiKey).join('[redacted]') : message;

  return {
    name,
    model: endpoint.model,
    endpoint,
    async complete(messages, signal) {
      signal.throwIfAborted();
      const deadline = AbortSignal.timeout(endpoint.timeoutMs);
      const both = AbortSignal.any([signal, deadline]);
      const body = JSON.stringify({
        model: endpoint.model,
        messages,
        temperature: 0,
        stream: false,
        ...(endpoint.jsonMode ? { response_format: { type: 'json_object' } } : {}),
      });
      const started = performance.now();
      let content: string;
      try {
        const res = await pool.request({ path: url.path, method: 'POST', headers, body, signal: both });
        if (res.statusCode < 200 || res.statusCode >= 300) {
          await res.body.dump().catch(() => undefined);
          throw new JudgeFailure('http-status', `answered HTTP ${res.statusCode}`);
        }
        const raw = await readBody(res.body);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw new JudgeFailure('bad-response', 'the response is not JSON');
        }
        const completion = CompletionSchema.safeParse(parsed);
        if (!completion.success)
          throw new JudgeFailure('bad-response', 'the response is not a chat completion (no choices[0].message)');
        const text = completion.data.choices[0]!.message.content;
        if (typeof text !== 'string' || text.trim() === '')
          throw new JudgeFailure('bad-response', 'the model’s answer is empty');
        content = text;
      } catch (error) {
        signal.throwIfAborted();
        if (deadline.aborted) throw new JudgeFailure('timeout', `timed out after ${endpoint.timeoutMs} ms`);
        if (error instanceof JudgeFailure) throw error;
        throw new JudgeFailure('network', redact(`request failed: ${messageOf(error)}`));
      }
      return { json: parseAnswer(content), latencyMs: performance.now() - started };
    },
    close: () => pool.close().catch(() => undefined),
  };
}

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/**
 * For `doctor`: does the endpoint answer GET <baseUrl>/models, and does it list the configured model? Short
 * timeout; never throws. The detail says what to fix.
 */
export async function probeJudge(endpoint: JudgeEndpoint, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  let url: { origin: string; path: string };
  try {
    url = apiUrl(endpoint.baseUrl, '/models');
  } catch (error) {
    return { ok: false, detail: messageOf(error) };
  }
  const where = `${url.origin}${url.path}`;
  try {
    const res = await request(where, {
      method: 'GET',
      headers: headersOf(endpoint, false),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const raw = await readBody(res.body);
    if (res.statusCode === 401 || res.statusCode === 403)
      return { ok: false, detail: `${where} refused the credentials (HTTP ${res.statusCode}): check apiKey` };
    if (res.statusCode < 200 || res.statusCode >= 300)
      return { ok: false, detail: `${where} answered HTTP ${res.statusCode}` };
    const list = z
      .object({ data: z.array(z.object({ id: z.string() }).passthrough()) })
      .passthrough()
      .safeParse(jsonOrUndefined(raw));
    if (!list.success) return { ok: false, detail: `${where} did not answer with a model list ({"data": [...]})` };
    const ids = list.data.data.map((m) => m.id);
    // Ollama lists "llama3.2:latest" for a model asked for as "llama3.2".
    const found = ids.some((id) => id === endpoint.model || id === `${endpoint.model}:latest`);
    return found
      ? { ok: true, detail: `${where} answers and lists ${endpoint.model}` }
      : {
          ok: false,
          detail: `${where} answers, but does not list the model "${endpoint.model}" (it has: ${ids.slice(0, 10).join(', ') || 'none'})`,
        };
  } catch (error) {
    const timeout = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return {
      ok: false,
      detail: timeout
        ? `${where} did not answer within ${timeoutMs} ms`
        : `${where} is unreachable: ${messageOf(error)}`,
    };
  }
}

/** `probeJudge` for every configured judge, concurrently, in config order. */
export async function probeJudges(
  judges: Record<string, JudgeEndpoint>,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<(ProbeResult & { name: string })[]> {
  return Promise.all(
    Object.entries(judges).map(async ([name, endpoint]) => ({ name, ...(await probeJudge(endpoint, timeoutMs)) })),
  );
}

function jsonOrUndefined(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
