/**
 * Anthropic Messages ↔ the neutral shape (types.ts): requests, responses, and stream events (message_start,
 * content_block_start/delta/stop with text_delta and input_json_delta, message_delta, message_stop, ping, error).
 * `tool_result` blocks of a user turn become neutral tool messages and back; consecutive turns of one role are
 * merged on the way out, because the API requires alternating roles. A block the proxy cannot scan (documents,
 * thinking, server tools) is a LlmFormatError naming its path, never dropped silently.
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
import {
  arr,
  compact,
  obj,
  optBool,
  optNum,
  optStr,
  str,
  tokens,
  type Obj,
  type Path,
  optionsFor,
  requestOptions,
} from './wire-read.js';

/** Anthropic requires max_tokens; a request translated from OpenAI without one gets this. */
export const DEFAULT_MAX_TOKENS = 4096;
export const ANTHROPIC_VERSION = '2023-06-01';

// ---------------------------------------------------------------------------------------------------------------
// Requests

export function anthropicRequestToNeutral(body: unknown): LlmChatRequest {
  const b = obj(body, []);
  const messages: LlmMessage[] = [];
  arr(b.messages, ['messages']).forEach((m, i) => {
    const path = ['messages', i];
    const msg = obj(m, path);
    const role = str(msg.role, [...path, 'role']);
    if (role !== 'user' && role !== 'assistant')
      throw new LlmFormatError([...path, 'role'], `unsupported role "${role}" (user, assistant)`);
    const blocks =
      typeof msg.content === 'string' ? [{ type: 'text', text: msg.content }] : arr(msg.content, [...path, 'content']);
    if (role === 'user') {
      let parts: LlmPart[] = [];
      blocks.forEach((blk, j) => {
        const bpath = [...path, 'content', j];
        const block = obj(blk, bpath);
        if (block.type === 'tool_result') {
          if (parts.length > 0) messages.push({ role: 'user', content: parts });
          parts = [];
          const content =
            block.content === undefined
              ? []
              : typeof block.content === 'string'
                ? [{ type: 'text' as const, text: block.content }]
                : readBlocks(block.content, [...bpath, 'content']);
          const isError = optBool(block, 'is_error', bpath);
          messages.push(
            compact({
              role: 'tool' as const,
              toolCallId: str(block.tool_use_id, [...bpath, 'tool_use_id']),
              content,
              isError: isError === true ? true : undefined,
            }),
          );
        } else parts.push(readBlock(block, bpath));
      });
      if (parts.length > 0) messages.push({ role: 'user', content: parts });
    } else {
      const content: LlmPart[] = [];
      const toolCalls: LlmToolCall[] = [];
      blocks.forEach((blk, j) => {
        const bpath = [...path, 'content', j];
        const block = obj(blk, bpath);
        if (block.type === 'tool_use')
          toolCalls.push({
            id: str(block.id, [...bpath, 'id']),
            name: str(block.name, [...bpath, 'name']),
            arguments: JSON.stringify(obj(block.input, [...bpath, 'input'])),
          });
        else if (block.type === 'text') content.push({ type: 'text', text: str(block.text, [...bpath, 'text']) });
        else throw new LlmFormatError([...bpath, 'type'], `unsupported assistant block ${JSON.stringify(block.type)}`);
      });
      messages.push(toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content });
    }
  });
  const metadata = b.metadata === undefined || b.metadata === null ? undefined : obj(b.metadata, ['metadata']);
  return compact({
    model: str(b.model, ['model']),
    system: readSystem(b.system),
    messages,
    tools:
      b.tools === undefined || b.tools === null
        ? undefined
        : arr(b.tools, ['tools']).map((t, i) => readToolDef(t, ['tools', i])),
    toolChoice: readToolChoice(b.tool_choice),
    maxTokens: optNum(b, 'max_tokens', []),
    temperature: optNum(b, 'temperature', []),
    topP: optNum(b, 'top_p', []),
    stop:
      b.stop_sequences === undefined || b.stop_sequences === null
        ? undefined
        : arr(b.stop_sequences, ['stop_sequences']).map((s, i) => str(s, ['stop_sequences', i])),
    stream: optBool(b, 'stream', []),
    user: metadata === undefined ? undefined : optStr(metadata, 'user_id', ['metadata']),
    options: requestOptions(b, ANTHROPIC_KNOWN, ANTHROPIC_PASS_THROUGH, 'anthropic'),
  });
}

/** What anthropicRequestToNeutral reads itself. */
const ANTHROPIC_KNOWN = new Set([
  'model',
  'system',
  'messages',
  'tools',
  'tool_choice',
  'max_tokens',
  'temperature',
  'top_p',
  'stop_sequences',
  'stream',
  'metadata',
]);

/**
 * Sent on as they are to an Anthropic provider. Others are refused by name: `thinking` (its blocks have no place in
 * the answer here), and `mcp_servers` and `container` above all, which would have the provider reach tools itself,
 * past the gateway.
 */
const ANTHROPIC_PASS_THROUGH = new Set(['top_k', 'service_tier']);

function readSystem(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  return arr(v, ['system'])
    .map((blk, i) => {
      const block = obj(blk, ['system', i]);
      if (block.type !== 'text') throw new LlmFormatError(['system', i, 'type'], 'expected "text"');
      return str(block.text, ['system', i, 'text']);
    })
    .join('\n\n');
}

function readBlocks(v: unknown, path: Path): LlmPart[] {
  return arr(v, path).map((blk, i) => readBlock(obj(blk, [...path, i]), [...path, i]));
}

function readBlock(block: Obj, path: Path): LlmPart {
  if (block.type === 'text') return { type: 'text', text: str(block.text, [...path, 'text']) };
  if (block.type === 'image') {
    const src = obj(block.source, [...path, 'source']);
    if (src.type === 'base64')
      return {
        type: 'image',
        source: {
          kind: 'base64',
          mediaType: str(src.media_type, [...path, 'source', 'media_type']),
          data: str(src.data, [...path, 'source', 'data']),
        },
      };
    if (src.type === 'url')
      return { type: 'image', source: { kind: 'url', url: str(src.url, [...path, 'source', 'url']) } };
    throw new LlmFormatError([...path, 'source', 'type'], 'expected "base64" or "url"');
  }
  throw new LlmFormatError([...path, 'type'], `unsupported content block ${JSON.stringify(block.type)}`);
}

function readToolDef(t: unknown, path: Path): LlmToolDefinition {
  const tool = obj(t, path);
  // Server tools (web_search, bash, text_editor…) carry a "type" and no input_schema; the gateway cannot check them.
  if (tool.type !== undefined && tool.type !== 'custom')
    throw new LlmFormatError([...path, 'type'], `unsupported tool type ${JSON.stringify(tool.type)}`);
  return compact({
    name: str(tool.name, [...path, 'name']),
    description: optStr(tool, 'description', path),
    parameters: obj(tool.input_schema, [...path, 'input_schema']),
  });
}

function readToolChoice(v: unknown): LlmToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, ['tool_choice']);
  switch (o.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { name: str(o.name, ['tool_choice', 'name']) };
    default:
      throw new LlmFormatError(['tool_choice', 'type'], 'expected "auto", "any", "none" or "tool"');
  }
}

export function neutralToAnthropicRequest(req: LlmChatRequest): Obj {
  const out: { role: 'user' | 'assistant'; content: Obj[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Obj[]): void => {
    const last = out[out.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  req.messages.forEach((m, i) => {
    if (m.role === 'user') push('user', m.content.map(writePart));
    else if (m.role === 'tool')
      push('user', [
        compact({
          type: 'tool_result',
          tool_use_id: m.toolCallId,
          content: m.content.map(writePart),
          is_error: m.isError === true ? true : undefined,
        }),
      ]);
    else
      push('assistant', [
        ...m.content.filter((p) => p.type !== 'text' || p.text !== '').map(writePart),
        ...(m.toolCalls ?? []).map((c, j) => ({
          type: 'tool_use',
          id: c.id,
          name: c.name,
          input: parseArguments(c.arguments, ['messages', i, 'toolCalls', j, 'arguments']),
        })),
      ]);
  });
  return compact({
    model: req.model,
    max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
    system: req.system,
    messages: out,
    tools: req.tools?.map((t) => compact({ name: t.name, description: t.description, input_schema: t.parameters })),
    tool_choice:
      req.toolChoice === undefined
        ? undefined
        : req.toolChoice === 'required'
          ? { type: 'any' }
          : typeof req.toolChoice === 'string'
            ? { type: req.toolChoice }
            : { type: 'tool', name: req.toolChoice.name },
    temperature: req.temperature,
    top_p: req.topP,
    stop_sequences: req.stop,
    stream: req.stream,
    metadata: req.user === undefined ? undefined : { user_id: req.user },
    ...optionsFor(req, 'anthropic', 'an Anthropic provider'),
  });
}

function writePart(p: LlmPart): Obj {
  if (p.type === 'text') return { type: 'text', text: p.text };
  return {
    type: 'image',
    source:
      p.source.kind === 'url'
        ? { type: 'url', url: p.source.url }
        : { type: 'base64', media_type: p.source.mediaType, data: p.source.data },
  };
}

/** Anthropic wants the arguments as an object; text that is not a JSON object cannot be sent (nor checked). */
function parseArguments(text: string, path: Path): Obj {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new LlmFormatError(path, 'the tool call arguments are not JSON');
  }
  return obj(v, path);
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

const STOP_IN: Record<string, LlmStopReason> = {
  end_turn: 'end',
  max_tokens: 'max_tokens',
  tool_use: 'tool_calls',
  stop_sequence: 'stop_sequence',
  refusal: 'content_filter',
};
const STOP_OUT: Record<LlmStopReason, string> = {
  end: 'end_turn',
  max_tokens: 'max_tokens',
  tool_calls: 'tool_use',
  stop_sequence: 'stop_sequence',
  content_filter: 'refusal',
  other: 'end_turn',
};

export function anthropicResponseToNeutral(body: unknown): LlmChatResponse {
  const b = obj(body, []);
  let text = '';
  const toolCalls: LlmToolCall[] = [];
  arr(b.content, ['content']).forEach((blk, i) => {
    const block = obj(blk, ['content', i]);
    if (block.type === 'text') text += str(block.text, ['content', i, 'text']);
    else if (block.type === 'tool_use')
      toolCalls.push({
        id: str(block.id, ['content', i, 'id']),
        name: str(block.name, ['content', i, 'name']),
        arguments: JSON.stringify(obj(block.input, ['content', i, 'input'])),
      });
    else throw new LlmFormatError(['content', i, 'type'], `unsupported content block ${JSON.stringify(block.type)}`);
  });
  const stop = optStr(b, 'stop_reason', []);
  return {
    id: str(b.id, ['id']),
    model: str(b.model, ['model']),
    content: text === '' ? [] : [{ type: 'text', text }],
    toolCalls,
    stopReason: stop === undefined ? 'other' : (STOP_IN[stop] ?? 'other'),
    usage: readUsage(b.usage, ['usage']),
  };
}

function readUsage(v: unknown, path: Path): LlmUsage {
  if (v === undefined || v === null) return { inputTokens: 0, outputTokens: 0 };
  const u = obj(v, path);
  // Cached prompt tokens are prompt tokens too: they count for budgets and (at the input price) for cost.
  return {
    inputTokens:
      tokens(u, 'input_tokens', path) +
      tokens(u, 'cache_read_input_tokens', path) +
      tokens(u, 'cache_creation_input_tokens', path),
    outputTokens: tokens(u, 'output_tokens', path),
  };
}

export function neutralToAnthropicResponse(res: LlmChatResponse): Obj {
  return {
    id: res.id,
    type: 'message',
    role: 'assistant',
    model: res.model,
    content: [
      ...res.content.filter((p) => p.type !== 'text' || p.text !== '').map(writePart),
      ...res.toolCalls.map((c, j) => ({
        type: 'tool_use',
        id: c.id,
        name: c.name,
        input: parseArguments(c.arguments, ['toolCalls', j, 'arguments']),
      })),
    ],
    stop_reason: STOP_OUT[res.stopReason],
    stop_sequence: null,
    usage: { input_tokens: res.usage.inputTokens, output_tokens: res.usage.outputTokens },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Streams

export interface AnthropicStreamDecoder {
  /** The events of one SSE event (its `event:` name is not needed: the data carries its type). */
  push(data: string): LlmStreamEvent[];
  readonly done: boolean;
}

export function createAnthropicStreamDecoder(): AnthropicStreamDecoder {
  let done = false;
  /** content-block index → tool-call index, for the blocks that are tool_use. */
  const toolOf = new Map<number, number>();
  let tools = 0;
  return {
    get done() {
      return done;
    },
    push(data) {
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new LlmFormatError([], `a stream event is not JSON: ${data.slice(0, 80)}`);
      }
      const ev = obj(json, []);
      switch (ev.type) {
        case 'message_start': {
          const msg = obj(ev.message, ['message']);
          return [
            { type: 'start', id: str(msg.id, ['message', 'id']), model: str(msg.model, ['message', 'model']) },
            { type: 'usage', usage: readUsage(msg.usage, ['message', 'usage']) },
          ];
        }
        case 'content_block_start': {
          const index = blockIndex(ev);
          const block = obj(ev.content_block, ['content_block']);
          if (block.type === 'text') {
            const text = optStr(block, 'text', ['content_block']) ?? '';
            return text === '' ? [] : [{ type: 'text', text }];
          }
          if (block.type === 'tool_use') {
            toolOf.set(index, tools);
            return [
              {
                type: 'tool-call',
                index: tools++,
                id: str(block.id, ['content_block', 'id']),
                name: str(block.name, ['content_block', 'name']),
                argumentsDelta: '',
              },
            ];
          }
          return [
            {
              type: 'error',
              message: `unsupported content block ${JSON.stringify(block.type)}`,
              errorType: 'unsupported',
            },
          ];
        }
        case 'content_block_delta': {
          const index = blockIndex(ev);
          const delta = obj(ev.delta, ['delta']);
          if (delta.type === 'text_delta') return [{ type: 'text', text: str(delta.text, ['delta', 'text']) }];
          if (delta.type === 'input_json_delta') {
            const tool = toolOf.get(index);
            if (tool === undefined)
              throw new LlmFormatError(['index'], `input_json_delta for block ${index}, which is not a tool_use`);
            return [
              { type: 'tool-call', index: tool, argumentsDelta: str(delta.partial_json, ['delta', 'partial_json']) },
            ];
          }
          return [
            { type: 'error', message: `unsupported delta ${JSON.stringify(delta.type)}`, errorType: 'unsupported' },
          ];
        }
        case 'message_delta': {
          const delta = ev.delta === undefined ? {} : obj(ev.delta, ['delta']);
          const events: LlmStreamEvent[] = [];
          const stop = optStr(delta, 'stop_reason', ['delta']);
          if (stop !== undefined) events.push({ type: 'stop', reason: STOP_IN[stop] ?? 'other' });
          if (ev.usage !== undefined && ev.usage !== null) {
            // message_delta's usage is cumulative; input tokens appear there only in newer API versions.
            const u = obj(ev.usage, ['usage']);
            const usage: Partial<LlmUsage> = { outputTokens: tokens(u, 'output_tokens', ['usage']) };
            if (u.input_tokens !== undefined && u.input_tokens !== null)
              usage.inputTokens = readUsage(u, ['usage']).inputTokens;
            events.push({ type: 'usage', usage });
          }
          return events;
        }
        case 'message_stop':
          done = true;
          return [];
        case 'content_block_stop':
        case 'ping':
          return [];
        case 'error': {
          const e = obj(ev.error, ['error']);
          done = true;
          return [
            compact({
              type: 'error' as const,
              message: optStr(e, 'message', ['error']) ?? 'error',
              errorType: optStr(e, 'type', ['error']),
            }),
          ];
        }
        default:
          throw new LlmFormatError(['type'], `unknown stream event ${JSON.stringify(ev.type)}`);
      }
    },
  };
}

function blockIndex(ev: Obj): number {
  const i = optNum(ev, 'index', []);
  if (i === undefined || !Number.isInteger(i) || i < 0) throw new LlmFormatError(['index'], 'expected a block index');
  return i;
}

/**
 * Neutral events → Anthropic SSE events. message_start waits for the first event after `start` so that the input
 * tokens an Anthropic provider reports with it are included; message_delta (stop reason, usage) is sent at the end
 * because an OpenAI provider reports usage after its finish reason.
 */
export function createAnthropicStreamEncoder(opts: { id?: string; model?: string } = {}): StreamEncoder {
  let id = opts.id ?? 'msg_gateway';
  let model = opts.model ?? '';
  let started = false;
  let usage: Partial<LlmUsage> = {};
  let stop: LlmStopReason = 'other';
  let open: { index: number; tool?: number } | undefined;
  let next = 0;
  let ended = false;
  const messageStart = (): string => {
    if (started) return '';
    started = true;
    return event('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.inputTokens ?? 0, output_tokens: usage.outputTokens ?? 0 },
      },
    });
  };
  const close = (): string => {
    if (!open) return '';
    const text = event('content_block_stop', { type: 'content_block_stop', index: open.index });
    open = undefined;
    return text;
  };
  return {
    encode(ev) {
      switch (ev.type) {
        case 'start':
          id = ev.id;
          model = ev.model;
          return '';
        case 'usage':
          usage = { ...usage, ...ev.usage };
          return '';
        case 'text': {
          let out = messageStart();
          if (open?.tool !== undefined) out += close();
          if (!open) {
            open = { index: next++ };
            out += event('content_block_start', {
              type: 'content_block_start',
              index: open.index,
              content_block: { type: 'text', text: '' },
            });
          }
          return (
            out +
            event('content_block_delta', {
              type: 'content_block_delta',
              index: open.index,
              delta: { type: 'text_delta', text: ev.text },
            })
          );
        }
        case 'tool-call': {
          let out = messageStart();
          if (open?.tool !== ev.index) {
            out += close();
            open = { index: next++, tool: ev.index };
            out += event('content_block_start', {
              type: 'content_block_start',
              index: open.index,
              content_block: { type: 'tool_use', id: ev.id ?? `toolu_${ev.index}`, name: ev.name ?? '', input: {} },
            });
          }
          if (ev.argumentsDelta === '') return out;
          return (
            out +
            event('content_block_delta', {
              type: 'content_block_delta',
              index: open.index,
              delta: { type: 'input_json_delta', partial_json: ev.argumentsDelta },
            })
          );
        }
        case 'stop':
          stop = ev.reason;
          return messageStart() + close();
        case 'error':
          ended = true;
          return event('error', { type: 'error', error: { type: ev.errorType ?? 'api_error', message: ev.message } });
      }
    },
    end() {
      if (ended) return '';
      ended = true;
      return (
        messageStart() +
        close() +
        event('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: STOP_OUT[stop], stop_sequence: null },
          usage: { input_tokens: usage.inputTokens ?? 0, output_tokens: usage.outputTokens ?? 0 },
        }) +
        event('message_stop', { type: 'message_stop' })
      );
    },
  };
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
