/**
 * OpenAI Chat Completions ↔ the neutral shape (types.ts): requests, responses, and stream chunks (`data: {...}`
 * SSE ending in `data: [DONE]`, with the usage chunk of `stream_options.include_usage`). Reading is strict where it
 * matters to the guardrails: a content part the proxy cannot scan (audio, files) or a legacy `function` message is a
 * LlmFormatError naming its path, never silently dropped. Settings the neutral shape does not carry go in `options`:
 * a known safe few (response_format, seed, penalties…) are sent on to an OpenAI-format provider and refused by name
 * for an Anthropic one; any other field (logprobs, n > 1, audio…) is refused by name.
 */
import { LlmFormatError } from './errors.js';
import type {
  LlmChatRequest,
  LlmChatResponse,
  LlmMessage,
  LlmPart,
  LlmStopReason,
  LlmStreamEvent,
  LlmToolCall,
  LlmToolChoice,
  LlmToolDefinition,
  LlmUsage,
  StreamEncoder,
} from './types.js';
import { partsText } from './types.js';
import {
  arr,
  compact,
  obj,
  optBool,
  optNum,
  optStr,
  parseDataUrl,
  str,
  tokens,
  type Obj,
  type Path,
  optionsFor,
  requestOptions,
} from './wire-read.js';

// ---------------------------------------------------------------------------------------------------------------
// Requests

export function openAiRequestToNeutral(body: unknown): LlmChatRequest {
  const b = obj(body, []);
  const systems: string[] = [];
  const messages: LlmMessage[] = [];
  arr(b.messages, ['messages']).forEach((m, i) => {
    const path = ['messages', i];
    const msg = obj(m, path);
    const role = str(msg.role, [...path, 'role']);
    switch (role) {
      case 'system':
      case 'developer':
        systems.push(partsText(readParts(msg.content, [...path, 'content'], 'text')));
        break;
      case 'user':
        messages.push({ role: 'user', content: readParts(msg.content, [...path, 'content'], 'user') });
        break;
      case 'assistant': {
        const content =
          msg.content === null || msg.content === undefined
            ? []
            : readParts(msg.content, [...path, 'content'], 'assistant');
        const toolCalls =
          msg.tool_calls === undefined || msg.tool_calls === null
            ? []
            : arr(msg.tool_calls, [...path, 'tool_calls']).map((c, j) => readToolCall(c, [...path, 'tool_calls', j]));
        messages.push(
          toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content },
        );
        break;
      }
      case 'tool':
        messages.push({
          role: 'tool',
          toolCallId: str(msg.tool_call_id, [...path, 'tool_call_id']),
          content: readParts(msg.content, [...path, 'content'], 'text'),
        });
        break;
      default:
        throw new LlmFormatError(
          [...path, 'role'],
          `unsupported role "${role}" (system, developer, user, assistant, tool)`,
        );
    }
  });
  const stop =
    b.stop === undefined || b.stop === null
      ? undefined
      : typeof b.stop === 'string'
        ? [b.stop]
        : arr(b.stop, ['stop']).map((s, i) => str(s, ['stop', i]));
  const n = optNum(b, 'n', []);
  if (n !== undefined && n !== 1)
    throw new LlmFormatError(['n'], 'the AI proxy answers one choice per request ("n" must be 1)');
  return compact({
    model: str(b.model, ['model']),
    system: systems.length > 0 ? systems.join('\n\n') : undefined,
    messages,
    tools:
      b.tools === undefined || b.tools === null
        ? undefined
        : arr(b.tools, ['tools']).map((t, i) => readToolDef(t, ['tools', i])),
    toolChoice: readToolChoice(b.tool_choice),
    maxTokens: optNum(b, 'max_completion_tokens', []) ?? optNum(b, 'max_tokens', []),
    temperature: optNum(b, 'temperature', []),
    topP: optNum(b, 'top_p', []),
    stop,
    stream: optBool(b, 'stream', []),
    user: optStr(b, 'user', []),
    options: requestOptions(b, OPENAI_KNOWN, OPENAI_PASS_THROUGH, 'openai'),
  });
}

/** What openAiRequestToNeutral reads itself. */
const OPENAI_KNOWN = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'stream',
  'stream_options',
  'user',
  'n',
]);

/**
 * Settings sent on as they are to an OpenAI-format provider: they shape the answer without carrying text the
 * guardrails should read, or anything the answer's shape here would lose. Others (logprobs, audio, prediction,
 * legacy functions, web search) are refused by name.
 */
const OPENAI_PASS_THROUGH = new Set([
  'response_format',
  'seed',
  'parallel_tool_calls',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'reasoning_effort',
  'service_tier',
  'metadata',
  'store',
  'verbosity',
]);

function readParts(content: unknown, path: Path, allow: 'user' | 'assistant' | 'text'): LlmPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return arr(content, path).map((p, i): LlmPart => {
    const part = obj(p, [...path, i]);
    const type = str(part.type, [...path, i, 'type']);
    if (type === 'text') return { type: 'text', text: str(part.text, [...path, i, 'text']) };
    // A refusal is the assistant's text saying no; it is text to the guardrails and to the other format.
    if (type === 'refusal' && allow === 'assistant')
      return { type: 'text', text: str(part.refusal, [...path, i, 'refusal']) };
    if (type === 'image_url' && allow === 'user') {
      const url = str(obj(part.image_url, [...path, i, 'image_url']).url, [...path, i, 'image_url', 'url']);
      const data = parseDataUrl(url);
      return { type: 'image', source: data ? { kind: 'base64', ...data } : { kind: 'url', url } };
    }
    throw new LlmFormatError([...path, i, 'type'], `unsupported content part "${type}" here`);
  });
}

function readToolCall(c: unknown, path: Path): LlmToolCall {
  const call = obj(c, path);
  if (call.type !== undefined && call.type !== 'function')
    throw new LlmFormatError([...path, 'type'], `unsupported tool call type ${JSON.stringify(call.type)}`);
  const fn = obj(call.function, [...path, 'function']);
  return {
    id: str(call.id, [...path, 'id']),
    name: str(fn.name, [...path, 'function', 'name']),
    arguments: str(fn.arguments, [...path, 'function', 'arguments']),
  };
}

function readToolDef(t: unknown, path: Path): LlmToolDefinition {
  const tool = obj(t, path);
  if (tool.type !== 'function') throw new LlmFormatError([...path, 'type'], 'expected "function"');
  const fn = obj(tool.function, [...path, 'function']);
  return compact({
    name: str(fn.name, [...path, 'function', 'name']),
    description: optStr(fn, 'description', [...path, 'function']),
    parameters:
      fn.parameters === undefined
        ? { type: 'object', properties: {} }
        : obj(fn.parameters, [...path, 'function', 'parameters']),
  });
}

function readToolChoice(v: unknown): LlmToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  const o = obj(v, ['tool_choice']);
  if (o.type !== 'function')
    throw new LlmFormatError(['tool_choice'], 'expected "auto", "none", "required" or a function');
  return { name: str(obj(o.function, ['tool_choice', 'function']).name, ['tool_choice', 'function', 'name']) };
}

export function neutralToOpenAiRequest(req: LlmChatRequest, opts: { includeUsage?: boolean } = {}): Obj {
  const messages: Obj[] = [];
  if (req.system !== undefined) messages.push({ role: 'system', content: req.system });
  for (const m of req.messages) {
    if (m.role === 'user') messages.push({ role: 'user', content: writeParts(m.content) });
    else if (m.role === 'assistant')
      messages.push(
        compact({
          role: 'assistant',
          content: m.content.length === 0 ? null : partsText(m.content),
          tool_calls: m.toolCalls?.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          })),
        }),
      );
    // OpenAI has no error flag on a tool result; the text is what the model sees either way.
    else messages.push({ role: 'tool', tool_call_id: m.toolCallId, content: partsText(m.content) });
  }
  const stream = req.stream === true;
  return compact({
    model: req.model,
    messages,
    tools: req.tools?.map((t) => ({
      type: 'function',
      function: compact({ name: t.name, description: t.description, parameters: t.parameters }),
    })),
    tool_choice:
      req.toolChoice === undefined || typeof req.toolChoice === 'string'
        ? req.toolChoice
        : { type: 'function', function: { name: req.toolChoice.name } },
    max_tokens: req.maxTokens,
    temperature: req.temperature,
    top_p: req.topP,
    stop: req.stop,
    stream: req.stream,
    stream_options: stream && opts.includeUsage !== false ? { include_usage: true } : undefined,
    user: req.user,
    ...optionsFor(req, 'openai', 'an OpenAI-format provider'),
  });
}

/** A single text part is written as a plain string, which every OpenAI-compatible server accepts. */
function writeParts(parts: LlmPart[]): string | Obj[] {
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  return parts.map((p) =>
    p.type === 'text'
      ? { type: 'text', text: p.text }
      : {
          type: 'image_url',
          image_url: {
            url: p.source.kind === 'url' ? p.source.url : `data:${p.source.mediaType};base64,${p.source.data}`,
          },
        },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

const FINISH_IN: Record<string, LlmStopReason> = {
  stop: 'end',
  length: 'max_tokens',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};
const FINISH_OUT: Record<LlmStopReason, string> = {
  end: 'stop',
  max_tokens: 'length',
  tool_calls: 'tool_calls',
  stop_sequence: 'stop',
  content_filter: 'content_filter',
  other: 'stop',
};

export function openAiResponseToNeutral(body: unknown): LlmChatResponse {
  const b = obj(body, []);
  const choice = obj(arr(b.choices, ['choices'])[0], ['choices', 0]);
  const msg = obj(choice.message, ['choices', 0, 'message']);
  const path = ['choices', 0, 'message'];
  const text = optStr(msg, 'content', path) ?? optStr(msg, 'refusal', path);
  const toolCalls =
    msg.tool_calls === undefined || msg.tool_calls === null
      ? []
      : arr(msg.tool_calls, [...path, 'tool_calls']).map((c, j) => readToolCall(c, [...path, 'tool_calls', j]));
  const finish = optStr(choice, 'finish_reason', ['choices', 0]);
  return {
    id: str(b.id, ['id']),
    model: str(b.model, ['model']),
    content: text === undefined || text === '' ? [] : [{ type: 'text', text }],
    toolCalls,
    stopReason: finish === undefined ? 'other' : (FINISH_IN[finish] ?? 'other'),
    usage: readUsage(b.usage),
  };
}

function readUsage(v: unknown): LlmUsage {
  if (v === undefined || v === null) return { inputTokens: 0, outputTokens: 0 };
  const u = obj(v, ['usage']);
  return {
    inputTokens: tokens(u, 'prompt_tokens', ['usage']),
    outputTokens: tokens(u, 'completion_tokens', ['usage']),
  };
}

export function neutralToOpenAiResponse(res: LlmChatResponse, created = Math.floor(Date.now() / 1000)): Obj {
  return {
    id: res.id,
    object: 'chat.completion',
    created,
    model: res.model,
    choices: [
      {
        index: 0,
        message: compact({
          role: 'assistant',
          content: res.content.length === 0 && res.toolCalls.length > 0 ? null : partsText(res.content),
          refusal: null,
          tool_calls:
            res.toolCalls.length === 0
              ? undefined
              : res.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function',
                  function: { name: c.name, arguments: c.arguments },
                })),
        }),
        logprobs: null,
        finish_reason: FINISH_OUT[res.stopReason],
      },
    ],
    usage: usageOut(res.usage),
  };
}

function usageOut(u: Partial<LlmUsage>): Obj {
  const input = u.inputTokens ?? 0;
  const output = u.outputTokens ?? 0;
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
}

// ---------------------------------------------------------------------------------------------------------------
// Streams

export interface OpenAiStreamDecoder {
  /** The events of one SSE `data:` payload; `[DONE]` yields none and sets `done`. */
  push(data: string): LlmStreamEvent[];
  readonly done: boolean;
}

export function createOpenAiStreamDecoder(): OpenAiStreamDecoder {
  let started = false;
  let done = false;
  return {
    get done() {
      return done;
    },
    push(data) {
      if (data.trim() === '[DONE]') {
        done = true;
        return [];
      }
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new LlmFormatError([], `a stream chunk is not JSON: ${data.slice(0, 80)}`);
      }
      const chunk = obj(json, []);
      if (chunk.error !== undefined) {
        const e = obj(chunk.error, ['error']);
        return [
          compact({
            type: 'error',
            message: optStr(e, 'message', ['error']) ?? 'error',
            errorType: optStr(e, 'type', ['error']),
          }),
        ];
      }
      const events: LlmStreamEvent[] = [];
      const choices = chunk.choices === undefined || chunk.choices === null ? [] : arr(chunk.choices, ['choices']);
      const id = optStr(chunk, 'id', []) ?? '';
      // Azure opens with a prompt-filter chunk that has no id, model or choices: the answer starts after it.
      if (!started && (id !== '' || choices.length > 0)) {
        started = true;
        events.push({ type: 'start', id, model: optStr(chunk, 'model', []) ?? '' });
      }
      choices.forEach((c, i) => {
        const choice = obj(c, ['choices', i]);
        if (choice.index !== undefined && choice.index !== 0) return; // n > 1 is not forwarded, so only choice 0
        const delta =
          choice.delta === undefined || choice.delta === null ? {} : obj(choice.delta, ['choices', i, 'delta']);
        const text =
          optStr(delta, 'content', ['choices', i, 'delta']) ?? optStr(delta, 'refusal', ['choices', i, 'delta']);
        if (text !== undefined && text !== '') events.push({ type: 'text', text });
        if (delta.tool_calls !== undefined && delta.tool_calls !== null)
          arr(delta.tool_calls, ['choices', i, 'delta', 'tool_calls']).forEach((t, j) => {
            const path = ['choices', i, 'delta', 'tool_calls', j];
            const tc = obj(t, path);
            const fn = tc.function === undefined ? {} : obj(tc.function, [...path, 'function']);
            const index = optNum(tc, 'index', path) ?? j;
            events.push(
              compact({
                type: 'tool-call',
                index,
                id: optStr(tc, 'id', path),
                name: optStr(fn, 'name', [...path, 'function']),
                argumentsDelta: optStr(fn, 'arguments', [...path, 'function']) ?? '',
              }),
            );
          });
        const finish = optStr(choice, 'finish_reason', ['choices', i]);
        if (finish !== undefined) events.push({ type: 'stop', reason: FINISH_IN[finish] ?? 'other' });
      });
      if (chunk.usage !== undefined && chunk.usage !== null)
        events.push({ type: 'usage', usage: readUsage(chunk.usage) });
      return events;
    },
  };
}

/**
 * Neutral events → OpenAI chunks. The usage chunk (`choices: []`) is sent at the end only when the client asked for
 * it (`stream_options.include_usage`), as OpenAI does; an error event becomes a `data: {"error": …}` chunk.
 */
export function createOpenAiStreamEncoder(opts: {
  includeUsage: boolean;
  created?: number;
  id?: string;
  model?: string;
}): StreamEncoder {
  const created = opts.created ?? Math.floor(Date.now() / 1000);
  let id = opts.id ?? 'chatcmpl-gateway';
  let model = opts.model ?? '';
  let usage: Partial<LlmUsage> = {};
  let ended = false;
  const chunk = (delta: Obj, finish: string | null = null): string =>
    sse({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  return {
    encode(ev) {
      switch (ev.type) {
        case 'start':
          id = ev.id;
          model = ev.model;
          return chunk({ role: 'assistant', content: '', refusal: null });
        case 'text':
          return chunk({ content: ev.text });
        case 'tool-call':
          return chunk({
            tool_calls: [
              compact({
                index: ev.index,
                id: ev.id,
                type: ev.id === undefined ? undefined : 'function',
                function: compact({ name: ev.name, arguments: ev.argumentsDelta }),
              }),
            ],
          });
        case 'usage':
          usage = { ...usage, ...ev.usage };
          return '';
        case 'stop':
          return chunk({}, FINISH_OUT[ev.reason]);
        case 'error':
          return sse({ error: compact({ message: ev.message, type: ev.errorType ?? 'server_error' }) });
      }
    },
    end() {
      if (ended) return '';
      ended = true;
      const tail = opts.includeUsage
        ? sse({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOut(usage) })
        : '';
      return `${tail}data: [DONE]\n\n`;
    },
  };
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}
