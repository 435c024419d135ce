import { describe, expect, it } from 'vitest';
import {
  anthropicRequestToNeutral,
  anthropicResponseToNeutral,
  createAnthropicStreamDecoder,
  createAnthropicStreamEncoder,
  DEFAULT_MAX_TOKENS,
  neutralToAnthropicRequest,
  neutralToAnthropicResponse,
} from './anthropic-format.js';
import { LlmFormatError } from './errors.js';
import { createSseParser } from './sse.js';
import { collectStream, type LlmChatRequest, type LlmStreamEvent } from './types.js';

const REQUEST = {
  model: 'claude',
  max_tokens: 512,
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Look:' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Reading.' },
        { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: '/tmp/a' } },
        { type: 'tool_use', id: 'toolu_2', name: 'read_file', input: { path: '/tmp/b' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'A' },
        {
          type: 'tool_result',
          tool_use_id: 'toolu_2',
          content: [{ type: 'text', text: 'no such file' }],
          is_error: true,
        },
        { type: 'text', text: 'Thanks' },
      ],
    },
  ],
  tools: [
    {
      name: 'read_file',
      description: 'Reads',
      input_schema: { type: 'object', properties: { path: { type: 'string' } } },
    },
  ],
  tool_choice: { type: 'any' },
  stop_sequences: ['END'],
  stream: false,
  metadata: { user_id: 'alice' },
};

const NEUTRAL: LlmChatRequest = {
  model: 'claude',
  system: 'Be brief.',
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Look:' },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
      ],
    },
    {
      role: 'assistant',
      content: [{ type: 'text', text: 'Reading.' }],
      toolCalls: [
        { id: 'toolu_1', name: 'read_file', arguments: '{"path":"/tmp/a"}' },
        { id: 'toolu_2', name: 'read_file', arguments: '{"path":"/tmp/b"}' },
      ],
    },
    { role: 'tool', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'A' }] },
    { role: 'tool', toolCallId: 'toolu_2', content: [{ type: 'text', text: 'no such file' }], isError: true },
    { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
  ],
  tools: [
    {
      name: 'read_file',
      description: 'Reads',
      parameters: { type: 'object', properties: { path: { type: 'string' } } },
    },
  ],
  toolChoice: 'required',
  maxTokens: 512,
  stop: ['END'],
  stream: false,
  user: 'alice',
};

describe('anthropicRequestToNeutral', () => {
  it.each([
    ['mcp_servers', { mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] }],
    ['thinking', { thinking: { type: 'enabled', budget_tokens: 1024 } }],
  ])(
    'refuses %s by name (the provider would reach past the gateway, or answer in a shape it drops)',
    (field, extra) => {
      for (let i = 0; i < 2; i++)
        expect(() => anthropicRequestToNeutral({ model: 'm', max_tokens: 10, messages: [], ...extra })).toThrow(
          `${field}: the AI proxy does not support "${field}"`,
        );
    },
  );

  it('keeps top_k for an Anthropic provider', () => {
    const req = anthropicRequestToNeutral({ model: 'm', max_tokens: 10, messages: [], top_k: 5 });
    expect(neutralToAnthropicRequest(req)).toMatchObject({ top_k: 5 });
  });

  it('reads system blocks, images, tool_use, tool_result (split into tool messages) and options', () => {
    expect(anthropicRequestToNeutral(REQUEST)).toEqual(NEUTRAL);
    expect(anthropicRequestToNeutral(REQUEST)).toEqual(NEUTRAL);
  });

  it.each([
    ['a system role', { model: 'm', messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    [
      'a document block',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] },
      'messages[0].content[0].type: unsupported content block "document"',
    ],
    [
      'a thinking block',
      { model: 'm', messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: '' }] }] },
      'messages[0].content[0].type: unsupported assistant block "thinking"',
    ],
    [
      'a server tool',
      { model: 'm', messages: [], tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      'tools[0].type',
    ],
    [
      'tool_use input that is not an object',
      {
        model: 'm',
        messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: 'x' }] }],
      },
      'messages[0].content[0].input: expected an object',
    ],
    ['a bad tool_choice', { model: 'm', messages: [], tool_choice: { type: 'some' } }, 'tool_choice.type'],
  ])('refuses %s with its path', (_name, body, message) => {
    expect(() => anthropicRequestToNeutral(body)).toThrow(LlmFormatError);
    expect(() => anthropicRequestToNeutral(body)).toThrow(message);
  });
});

describe('neutralToAnthropicRequest', () => {
  it('writes back the same request, with tool results and the next user text merged into one user turn', () => {
    expect(neutralToAnthropicRequest(NEUTRAL)).toEqual({
      ...REQUEST,
      system: 'Be brief.',
      messages: [
        REQUEST.messages[0],
        REQUEST.messages[1],
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'A' }] },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              content: [{ type: 'text', text: 'no such file' }],
              is_error: true,
            },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    });
  });

  it('fills in max_tokens, which Anthropic requires', () => {
    expect(neutralToAnthropicRequest({ model: 'm', messages: [] }).max_tokens).toBe(DEFAULT_MAX_TOKENS);
  });

  it('refuses tool call arguments that are not a JSON object', () => {
    const req: LlmChatRequest = {
      model: 'm',
      messages: [{ role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: '{"a":' }] }],
    };
    expect(() => neutralToAnthropicRequest(req)).toThrow(
      'messages[0].toolCalls[0].arguments: the tool call arguments are not JSON',
    );
  });
});

const RESPONSE = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [
    { type: 'text', text: 'Reading.' },
    { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: '/etc/passwd' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 6 },
};

describe('Anthropic responses', () => {
  it('reads and writes back text, tool_use, stop reason and usage', () => {
    const neutral = anthropicResponseToNeutral(RESPONSE);
    expect(neutral).toEqual({
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Reading.' }],
      toolCalls: [{ id: 'toolu_1', name: 'read_file', arguments: '{"path":"/etc/passwd"}' }],
      stopReason: 'tool_calls',
      usage: { inputTokens: 10, outputTokens: 6 },
    });
    expect(neutralToAnthropicResponse(neutral)).toEqual(RESPONSE);
  });

  it('counts cached prompt tokens as input tokens', () => {
    const body = {
      ...RESPONSE,
      usage: { input_tokens: 10, cache_read_input_tokens: 90, cache_creation_input_tokens: 5, output_tokens: 6 },
    };
    expect(anthropicResponseToNeutral(body).usage).toEqual({ inputTokens: 105, outputTokens: 6 });
  });

  it.each([
    ['end_turn', 'end'],
    ['max_tokens', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'other'],
  ])('maps stop_reason %s to %s', (stop, reason) => {
    expect(anthropicResponseToNeutral({ ...RESPONSE, stop_reason: stop }).stopReason).toBe(reason);
  });
});

const WIRE_EVENTS = [
  {
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [],
      usage: { input_tokens: 9, output_tokens: 1 },
    },
  },
  { type: 'ping' },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi ' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'ls', input: {} } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a"' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: ':1}' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } },
  { type: 'message_stop' },
];

const EVENTS: LlmStreamEvent[] = [
  { type: 'start', id: 'msg_1', model: 'claude' },
  { type: 'usage', usage: { inputTokens: 9, outputTokens: 1 } },
  { type: 'text', text: 'Hi ' },
  { type: 'tool-call', index: 0, id: 'toolu_1', name: 'ls', argumentsDelta: '' },
  { type: 'tool-call', index: 0, argumentsDelta: '{"a"' },
  { type: 'tool-call', index: 0, argumentsDelta: ':1}' },
  { type: 'stop', reason: 'tool_calls' },
  { type: 'usage', usage: { outputTokens: 7 } },
];

describe('Anthropic streams', () => {
  it('decodes events into neutral events, tool calls numbered among tool calls, and stops at message_stop', () => {
    for (let i = 0; i < 2; i++) {
      const decoder = createAnthropicStreamDecoder();
      expect(WIRE_EVENTS.flatMap((e) => decoder.push(JSON.stringify(e)))).toEqual(EVENTS);
      expect(decoder.done).toBe(true);
    }
  });

  it('turns an error event into an error event and ends', () => {
    const decoder = createAnthropicStreamDecoder();
    expect(decoder.push('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')).toEqual([
      { type: 'error', message: 'Overloaded', errorType: 'overloaded_error' },
    ]);
    expect(decoder.done).toBe(true);
  });

  it.each([
    ['a thinking block', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }],
    ['a thinking delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'x' } }],
  ])('reports %s it cannot scan as an error event', (_name, ev) => {
    expect(createAnthropicStreamDecoder().push(JSON.stringify(ev))[0]).toMatchObject({
      type: 'error',
      errorType: 'unsupported',
    });
  });

  it.each([
    ['an unknown event', { type: 'surprise' }],
    [
      'json for a text block',
      { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{' } },
    ],
  ])('refuses %s', (_name, ev) => {
    expect(() => createAnthropicStreamDecoder().push(JSON.stringify(ev))).toThrow(LlmFormatError);
  });

  it('encodes events into an Anthropic stream that a decoder reads the same', () => {
    const encoder = createAnthropicStreamEncoder();
    const wire = EVENTS.map((e) => encoder.encode(e)).join('') + encoder.end();
    const parsed = createSseParser().push(wire);
    expect(parsed.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const decoder = createAnthropicStreamDecoder();
    const back = parsed.flatMap((e) => decoder.push(e.data));
    expect(decoder.done).toBe(true);
    expect(collectStream(back)).toEqual(collectStream(EVENTS));
  });

  it('encodes an error event as an Anthropic error event', () => {
    const encoder = createAnthropicStreamEncoder();
    expect(encoder.encode({ type: 'error', message: 'blocked', errorType: 'guardrail' })).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"guardrail","message":"blocked"}}\n\n',
    );
    expect(encoder.end()).toBe('');
  });
});
