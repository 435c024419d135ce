/**
 * The one provider-neutral shape of the Secure AI Proxy (issue 20): a chat request, its answer, and the events of a
 * streamed answer. openai-format.ts and anthropic-format.ts translate each wire format to and from these types, so
 * the guardrails, the argument rules, the audit and the cost see one shape whatever the client or provider speaks.
 * Pure types and two tiny helpers; no I/O.
 *
 * Choices that matter downstream:
 * - The system prompt is separate from the messages (Anthropic's model). OpenAI `system`/`developer` messages are
 *   folded into it in order, which is what Anthropic can express.
 * - A tool call's arguments stay JSON *text*: OpenAI sends text (possibly streamed in pieces), and a guard that needs
 *   the object parses it once (invalid JSON is a deny there, not here).
 * - A tool result is its own message (OpenAI's `tool` role); Anthropic's `tool_result` blocks inside a user turn are
 *   split out into such messages, in order.
 */

export type LlmImageSource = { kind: 'url'; url: string } | { kind: 'base64'; mediaType: string; data: string };

export type LlmPart = { type: 'text'; text: string } | { type: 'image'; source: LlmImageSource };

export interface LlmToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments object, exactly as the model produced it. */
  arguments: string;
}

export type LlmMessage =
  | { role: 'user'; content: LlmPart[] }
  | { role: 'assistant'; content: LlmPart[]; toolCalls?: LlmToolCall[] }
  | { role: 'tool'; toolCallId: string; content: LlmPart[]; isError?: boolean };

export interface LlmToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type LlmToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface LlmChatRequest {
  /** The model as the client named it (a deployment alias at the endpoint; the provider's model once routed). */
  model: string;
  system?: string;
  messages: LlmMessage[];
  tools?: LlmToolDefinition[];
  toolChoice?: LlmToolChoice;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  stream?: boolean;
  /** The end user, as the client passed it (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  /**
   * Settings of the client's own format that the neutral shape does not model (OpenAI `response_format`, `seed`;
   * Anthropic `top_k`…): sent as they are to a provider of the same format, refused (by name) by one of the other.
   */
  options?: { format: 'openai' | 'anthropic'; values: Record<string, unknown> };
}

export type LlmStopReason = 'end' | 'max_tokens' | 'tool_calls' | 'stop_sequence' | 'content_filter' | 'other';

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmChatResponse {
  id: string;
  model: string;
  /** The answer's text parts in order (usually one). */
  content: LlmPart[];
  toolCalls: LlmToolCall[];
  stopReason: LlmStopReason;
  usage: LlmUsage;
}

/**
 * One event of a streamed answer. `tool-call` deltas carry `index`, the position of the call among this answer's
 * tool calls (not Anthropic's content-block index); `id` and `name` come with the first delta of a call.
 */
export type LlmStreamEvent =
  | { type: 'start'; id: string; model: string }
  | { type: 'text'; text: string }
  | { type: 'tool-call'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'usage'; usage: Partial<LlmUsage> }
  | { type: 'stop'; reason: LlmStopReason }
  | { type: 'error'; message: string; errorType?: string };

/** Writes neutral events in a client's wire format (openai-format.ts, anthropic-format.ts). */
export interface StreamEncoder {
  /** SSE text for one neutral event (possibly empty). */
  encode(event: LlmStreamEvent): string;
  /** SSE text that ends the stream (after the last event, or after an error). */
  end(): string;
}

/** The concatenated text of some parts (images are left out). */
export function partsText(parts: readonly LlmPart[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/**
 * Folds a finished stream of events into the answer it describes, so that a streamed and a non-streamed answer
 * can be compared, audited and costed alike. An `error` event throws: a stream that failed has no answer.
 */
export function collectStream(events: readonly LlmStreamEvent[]): LlmChatResponse {
  const res: LlmChatResponse = {
    id: '',
    model: '',
    content: [],
    toolCalls: [],
    stopReason: 'other',
    usage: { inputTokens: 0, outputTokens: 0 },
  };
  let text = '';
  for (const ev of events) {
    switch (ev.type) {
      case 'start':
        res.id = ev.id;
        res.model = ev.model;
        break;
      case 'text':
        text += ev.text;
        break;
      case 'tool-call': {
        const call = (res.toolCalls[ev.index] ??= { id: '', name: '', arguments: '' });
        if (ev.id !== undefined) call.id = ev.id;
        if (ev.name !== undefined) call.name = ev.name;
        call.arguments += ev.argumentsDelta;
        break;
      }
      case 'usage':
        res.usage = { ...res.usage, ...ev.usage };
        break;
      case 'stop':
        res.stopReason = ev.reason;
        break;
      case 'error':
        throw new Error(`the stream ended with an error: ${ev.message}`);
    }
  }
  if (text !== '') res.content = [{ type: 'text', text }];
  return res;
}
