import { neutralToAnthropicRequest } from './anthropic-format.js';
import { describe, expect, it } from 'vitest';
import { LlmFormatError } from './errors.js';
import {
  createOpenAiStreamDecoder,
  createOpenAiStreamEncoder,
  neutralToOpenAiRequest,
  neutralToOpenAiResponse,
  openAiRequestToNeutral,
  openAiResponseToNeutral,
} from './openai-format.js';
import { createSseParser } from './sse.js';
import { collectStream, type LlmChatResponse, type LlmStreamEvent } from './types.js';

const REQUEST = {
  model: 'fast',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in /tmp/a?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"/tmp/a"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'hello' },
  ],
  tools: [
    {
      type: 'function',
      function: {
        name: 'read_file',
        description: 'Reads',
        parameters: { type: 'object', properties: { path: { type: 'string' } } },
      },
    },
  ],
  tool_choice: { type: 'function', function: { name: 'read_file' } },
  max_completion_tokens: 100,
  temperature: 0.2,
  stop: 'END',
  stream: true,
  stream_options: { include_usage: true },
  user: 'alice',
  seed: 7,
};

describe('openAiRequestToNeutral', () => {
  it('reads system, developer, user parts, images, tool calls, tool results, tools and options', () => {
    for (let i = 0; i < 2; i++)
      expect(openAiRequestToNeutral(REQUEST)).toEqual({
        model: 'fast',
        system: 'Be brief.\n\nUse tools.',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in /tmp/a?' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
              { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } },
            ],
          },
          {
            role: 'assistant',
            content: [],
            toolCalls: [{ id: 'call_1', name: 'read_file', arguments: '{"path":"/tmp/a"}' }],
          },
          { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'hello' }] },
        ],
        tools: [
          {
            name: 'read_file',
            description: 'Reads',
            parameters: { type: 'object', properties: { path: { type: 'string' } } },
          },
        ],
        toolChoice: { name: 'read_file' },
        maxTokens: 100,
        temperature: 0.2,
        stop: ['END'],
        stream: true,
        user: 'alice',
        options: { format: 'openai', values: { seed: 7 } },
      });
  });

  it.each([
    ['logprobs', { logprobs: true }, 'logprobs: the AI proxy does not support "logprobs"'],
    ['an unknown field', { frobnicate: 1 }, 'frobnicate: the AI proxy does not support "frobnicate"'],
    ['n above 1', { n: 3 }, 'n: the AI proxy answers one choice per request'],
  ])('refuses %s by name rather than dropping it', (_what, extra, message) => {
    for (let i = 0; i < 2; i++)
      expect(() => openAiRequestToNeutral({ model: 'm', messages: [], ...extra })).toThrow(message);
  });

  it('sends its own options on to an OpenAI provider and refuses them for an Anthropic one', () => {
    const req = openAiRequestToNeutral({ model: 'm', messages: [], response_format: { type: 'json_object' }, seed: 3 });
    expect(neutralToOpenAiRequest(req)).toMatchObject({ response_format: { type: 'json_object' }, seed: 3 });
    expect(() => neutralToAnthropicRequest(req)).toThrow('"response_format" cannot be sent to an Anthropic provider');
  });

  it.each([
    ['no messages', { model: 'm' }, 'messages: expected an array, got nothing'],
    ['no model', { messages: [] }, 'model: expected a string'],
    [
      'a legacy function message',
      { model: 'm', messages: [{ role: 'function', content: 'x' }] },
      'messages[0].role: unsupported role "function"',
    ],
    [
      'an audio part',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] },
      'messages[0].content[0].type: unsupported content part "input_audio"',
    ],
    [
      'an image in a tool result',
      {
        model: 'm',
        messages: [{ role: 'tool', tool_call_id: 'c', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
      },
      'messages[0].content[0].type: unsupported content part "image_url"',
    ],
    [
      'a number as text',
      { model: 'm', messages: [{ role: 'user', content: 5 }] },
      'messages[0].content: expected an array, got a number',
    ],
    [
      'arguments as an object',
      {
        model: 'm',
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] },
        ],
      },
      'messages[0].tool_calls[0].function.arguments: expected a string',
    ],
    ['a non-function tool', { model: 'm', messages: [], tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    ['a bad temperature', { model: 'm', messages: [], temperature: 'hot' }, 'temperature: expected a number'],
  ])('refuses %s with its path', (_name, body, message) => {
    expect(() => openAiRequestToNeutral(body)).toThrow(LlmFormatError);
    expect(() => openAiRequestToNeutral(body)).toThrow(message);
  });
});

describe('neutralToOpenAiRequest', () => {
  it('writes the system first, a single text part as a string, and asks for usage when streaming', () => {
    const body = neutralToOpenAiRequest(openAiRequestToNeutral(REQUEST));
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.\n\nUse tools.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in /tmp/a?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"/tmp/a"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'hello' },
    ]);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'read_file' } });
    expect(body.max_tokens).toBe(100);
    expect(body.seed).toBe(7);
  });
});

const RESPONSE = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Reading it.',
        refusal: null,
        tool_calls: [
          { id: 'call_9', type: 'function', function: { name: 'read_file', arguments: '{"path":"/etc/passwd"}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
};

const NEUTRAL_RESPONSE: LlmChatResponse = {
  id: 'chatcmpl-1',
  model: 'gpt-4o-mini',
  content: [{ type: 'text', text: 'Reading it.' }],
  toolCalls: [{ id: 'call_9', name: 'read_file', arguments: '{"path":"/etc/passwd"}' }],
  stopReason: 'tool_calls',
  usage: { inputTokens: 12, outputTokens: 5 },
};

describe('OpenAI responses', () => {
  it('reads text, tool calls, finish reason and usage', () => {
    expect(openAiResponseToNeutral(RESPONSE)).toEqual(NEUTRAL_RESPONSE);
    expect(openAiResponseToNeutral(RESPONSE)).toEqual(NEUTRAL_RESPONSE);
  });

  it('writes back the same response', () => {
    expect(neutralToOpenAiResponse(NEUTRAL_RESPONSE, 1)).toEqual(RESPONSE);
  });

  it.each([
    ['stop', 'end'],
    ['length', 'max_tokens'],
    ['content_filter', 'content_filter'],
    ['something_new', 'other'],
  ])('maps finish_reason %s to %s', (finish, reason) => {
    const body = structuredClone(RESPONSE);
    body.choices[0]!.finish_reason = finish;
    expect(openAiResponseToNeutral(body).stopReason).toBe(reason);
  });

  it('refuses a response without choices', () => {
    expect(() => openAiResponseToNeutral({ id: 'x', model: 'm' })).toThrow('choices: expected an array');
  });
});

const CHUNKS = [
  {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
  },
  {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: { content: 'Hi ' }, finish_reason: null }],
  },
  {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'ls', arguments: '' } }] },
        finish_reason: null,
      },
    ],
  },
  {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }, finish_reason: null },
    ],
  },
  {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
  },
  {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  },
];

const EVENTS: LlmStreamEvent[] = [
  { type: 'start', id: 'c1', model: 'gpt-4o-mini' },
  { type: 'text', text: 'Hi ' },
  { type: 'tool-call', index: 0, id: 'call_1', name: 'ls', argumentsDelta: '' },
  { type: 'tool-call', index: 0, argumentsDelta: '{"a":1}' },
  { type: 'stop', reason: 'tool_calls' },
  { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
];

describe('OpenAI streams', () => {
  it('decodes chunks into neutral events and stops at [DONE]', () => {
    for (let i = 0; i < 2; i++) {
      const decoder = createOpenAiStreamDecoder();
      const events = CHUNKS.flatMap((c) => decoder.push(JSON.stringify(c)));
      expect(events).toEqual(EVENTS);
      expect(decoder.done).toBe(false);
      expect(decoder.push('[DONE]')).toEqual([]);
      expect(decoder.done).toBe(true);
    }
  });

  it('starts after Azure’s prompt-filter chunk, which has no id, model or choices', () => {
    const decoder = createOpenAiStreamDecoder();
    const azure = {
      choices: [],
      created: 0,
      id: '',
      model: '',
      object: '',
      prompt_filter_results: [{ prompt_index: 0 }],
    };
    expect(decoder.push(JSON.stringify(azure))).toEqual([]);
    expect(CHUNKS.flatMap((c) => decoder.push(JSON.stringify(c)))).toEqual(EVENTS);
  });

  it('turns an error chunk into an error event', () => {
    const decoder = createOpenAiStreamDecoder();
    expect(decoder.push('{"error":{"message":"overloaded","type":"server_error"}}')).toEqual([
      { type: 'error', message: 'overloaded', errorType: 'server_error' },
    ]);
  });

  it('refuses a chunk that is not JSON', () => {
    expect(() => createOpenAiStreamDecoder().push('{nope')).toThrow(LlmFormatError);
  });

  it.each([true, false])(
    'encodes events back into chunks a decoder reads the same (include_usage %s)',
    (includeUsage) => {
      const encoder = createOpenAiStreamEncoder({ includeUsage, created: 1 });
      const wire = EVENTS.map((e) => encoder.encode(e)).join('') + encoder.end();
      expect(wire.endsWith('data: [DONE]\n\n')).toBe(true);
      const decoder = createOpenAiStreamDecoder();
      const back = createSseParser()
        .push(wire)
        .flatMap((e) => decoder.push(e.data));
      expect(decoder.done).toBe(true);
      const expected = collectStream(EVENTS);
      if (!includeUsage) expected.usage = { inputTokens: 0, outputTokens: 0 };
      expect(collectStream(back)).toEqual(expected);
    },
  );

  it('encodes an error event as an error chunk', () => {
    const encoder = createOpenAiStreamEncoder({ includeUsage: false });
    expect(
      encoder.encode({ type: 'error', message: 'blocked by output guardrail secrets.aws', errorType: 'guardrail' }),
    ).toBe('data: {"error":{"message":"blocked by output guardrail secrets.aws","type":"guardrail"}}\n\n');
  });
});
