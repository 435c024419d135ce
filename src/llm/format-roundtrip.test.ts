import { describe, expect, it } from 'vitest';
import {
  anthropicRequestToNeutral,
  anthropicResponseToNeutral,
  createAnthropicStreamDecoder,
  createAnthropicStreamEncoder,
  neutralToAnthropicRequest,
  neutralToAnthropicResponse,
} from './anthropic-format.js';
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

const tool = (name: string) => ({
  type: 'function',
  function: {
    name,
    description: `${name} tool`,
    parameters: { type: 'object', properties: { path: { type: 'string' } } },
  },
});
const call = (id: string, name: string, args: string) => ({
  id,
  type: 'function',
  function: { name, arguments: args },
});

/** OpenAI requests in the form neutralToOpenAiRequest writes (so that the round trip can compare them whole). */
const OPENAI_REQUESTS: [string, Record<string, unknown>][] = [
  ['a plain chat', { model: 'm', messages: [{ role: 'user', content: 'Hello' }] }],
  [
    'a system prompt and a multi-turn chat',
    {
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'Bye' },
      ],
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['END'],
      user: 'alice',
    },
  ],
  [
    'tools, a parallel tool call and its results',
    {
      model: 'm',
      messages: [
        { role: 'system', content: 'Use tools.' },
        { role: 'user', content: 'Read a and b' },
        {
          role: 'assistant',
          content: 'Reading.',
          tool_calls: [call('c1', 'read', '{"path":"a"}'), call('c2', 'read', '{"path":"b"}')],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'A' },
        { role: 'tool', tool_call_id: 'c2', content: 'B' },
        { role: 'user', content: 'And now?' },
      ],
      tools: [tool('read'), tool('write')],
      tool_choice: 'auto',
      max_tokens: 100,
    },
  ],
  [
    'a forced tool and a tool call without text',
    {
      model: 'm',
      messages: [
        { role: 'user', content: 'List' },
        { role: 'assistant', content: null, tool_calls: [call('c1', 'ls', '{}')] },
        { role: 'tool', tool_call_id: 'c1', content: 'x y' },
      ],
      tools: [tool('ls')],
      tool_choice: { type: 'function', function: { name: 'ls' } },
      max_tokens: 10,
    },
  ],
  [
    'images by URL and by data',
    {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
          ],
        },
      ],
      tool_choice: 'required',
      tools: [tool('ls')],
      max_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
    },
  ],
];

describe('format round trips', () => {
  it.each(OPENAI_REQUESTS)('OpenAI → neutral → Anthropic → neutral → OpenAI keeps %s', (_name, body) => {
    for (let i = 0; i < 2; i++) {
      const neutral = openAiRequestToNeutral(body);
      const anthropic = neutralToAnthropicRequest(neutral);
      const again = anthropicRequestToNeutral(JSON.parse(JSON.stringify(anthropic)));
      // Anthropic needs max_tokens; every table entry sets one except the plain chat, which gains the default.
      const expected = body.max_tokens === undefined ? { ...body, max_tokens: 4096 } : body;
      expect(neutralToOpenAiRequest(again)).toEqual(expected);
    }
  });

  it.each(OPENAI_REQUESTS)('Anthropic → neutral → OpenAI → neutral → Anthropic keeps %s', (_name, body) => {
    const anthropic = neutralToAnthropicRequest(openAiRequestToNeutral(body));
    const openai = neutralToOpenAiRequest(anthropicRequestToNeutral(anthropic));
    expect(neutralToAnthropicRequest(openAiRequestToNeutral(openai))).toEqual(anthropic);
  });

  const RESPONSES: [string, LlmChatResponse][] = [
    [
      'text',
      {
        id: 'r1',
        model: 'm',
        content: [{ type: 'text', text: 'Hi' }],
        toolCalls: [],
        stopReason: 'end',
        usage: { inputTokens: 3, outputTokens: 1 },
      },
    ],
    [
      'tool calls',
      {
        id: 'r2',
        model: 'm',
        content: [{ type: 'text', text: 'Reading' }],
        toolCalls: [
          { id: 'c1', name: 'read', arguments: '{"path":"a"}' },
          { id: 'c2', name: 'read', arguments: '{"path":"b"}' },
        ],
        stopReason: 'tool_calls',
        usage: { inputTokens: 30, outputTokens: 12 },
      },
    ],
    [
      'a cut answer',
      {
        id: 'r3',
        model: 'm',
        content: [{ type: 'text', text: 'Lo' }],
        toolCalls: [],
        stopReason: 'max_tokens',
        usage: { inputTokens: 1, outputTokens: 1 },
      },
    ],
  ];

  it.each(RESPONSES)('a response with %s survives OpenAI → Anthropic → OpenAI', (_name, res) => {
    const viaOpenAi = openAiResponseToNeutral(neutralToOpenAiResponse(res));
    expect(anthropicResponseToNeutral(neutralToAnthropicResponse(viaOpenAi))).toEqual(res);
  });

  it.each(RESPONSES)(
    'a streamed response with %s survives OpenAI chunks → Anthropic events → OpenAI chunks',
    (_name, res) => {
      const events: LlmStreamEvent[] = [
        { type: 'start', id: res.id, model: res.model },
        ...res.content.map((p) => ({ type: 'text' as const, text: p.type === 'text' ? p.text : '' })),
        ...res.toolCalls.flatMap((c, index): LlmStreamEvent[] => [
          { type: 'tool-call', index, id: c.id, name: c.name, argumentsDelta: '' },
          { type: 'tool-call', index, argumentsDelta: c.arguments.slice(0, 5) },
          { type: 'tool-call', index, argumentsDelta: c.arguments.slice(5) },
        ]),
        { type: 'stop', reason: res.stopReason },
        { type: 'usage', usage: res.usage },
      ];
      const pipe = (
        input: LlmStreamEvent[],
        encoder: { encode(e: LlmStreamEvent): string; end(): string },
        decoder: { push(d: string): LlmStreamEvent[] },
      ): LlmStreamEvent[] => {
        const wire = input.map((e) => encoder.encode(e)).join('') + encoder.end();
        // Fed one character at a time, as a slow network might.
        const parser = createSseParser();
        return [...wire].flatMap((c) => parser.push(c)).flatMap((e) => decoder.push(e.data));
      };
      const openai = pipe(events, createOpenAiStreamEncoder({ includeUsage: true }), createOpenAiStreamDecoder());
      const anthropic = pipe(openai, createAnthropicStreamEncoder(), createAnthropicStreamDecoder());
      const back = pipe(anthropic, createOpenAiStreamEncoder({ includeUsage: true }), createOpenAiStreamDecoder());
      expect(collectStream(openai)).toEqual(res);
      expect(collectStream(anthropic)).toEqual(res);
      expect(collectStream(back)).toEqual(res);
    },
  );
});
