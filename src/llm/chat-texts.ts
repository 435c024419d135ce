/**
 * Which texts of a neutral chat request and answer the guardrails read, and how a guardrail's changes (redacted PII,
 * restored placeholders) are written back. Every text the provider will see is listed: the system prompt, every
 * message's text parts (user, assistant and tool results), and the arguments of tool calls already in the
 * conversation. Tool results are `data` (read as MCP tool results are, where a smuggled task is an injection);
 * everything else is a prompt. Images are not text: `imageCount` says how many there are, and the endpoint refuses
 * them unless the deployment allows them. Tool definitions (names, descriptions, schemas) are the client's own
 * declarations of its own functions and are not scanned: what the model does with them is (its tool calls).
 * Pure; mutates only the request it is handed back.
 */
import type { ChatText } from './chat-guard.js';
import type { LlmChatRequest, LlmChatResponse, LlmPart } from './types.js';

export interface GuardedText extends ChatText {
  /** Writes a changed text back where it came from. */
  set(text: string): void;
}

export function requestTexts(req: LlmChatRequest): { texts: GuardedText[]; imageCount: number } {
  const texts: GuardedText[] = [];
  let imageCount = 0;
  if (req.system !== undefined && req.system !== '')
    texts.push({ where: 'system', text: req.system, set: (t) => (req.system = t) });
  const parts = (content: LlmPart[], where: string, kind: ChatText['kind']) =>
    content.forEach((p, j) => {
      if (p.type === 'image') imageCount++;
      else if (p.text !== '')
        texts.push({
          where: `${where}.content[${j}]`,
          text: p.text,
          kind,
          set: (t) => (content[j] = { ...p, text: t }),
        });
    });
  req.messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    parts(m.content, where, m.role === 'tool' ? 'data' : 'prompt');
    if (m.role === 'assistant')
      m.toolCalls?.forEach((c, k) => {
        if (c.arguments !== '')
          texts.push({
            where: `${where}.tool_calls[${k}].arguments`,
            text: c.arguments,
            set: (t) => (c.arguments = t),
          });
      });
  });
  return { texts, imageCount };
}

/** The answer's texts and tool-call arguments, as the output guardrails read them, with write-back. */
export function responseTexts(res: LlmChatResponse): GuardedText[] {
  const texts: GuardedText[] = [];
  res.content.forEach((p, j) => {
    if (p.type === 'text' && p.text !== '')
      texts.push({ where: `content[${j}]`, text: p.text, set: (t) => (res.content[j] = { ...p, text: t }) });
  });
  res.toolCalls.forEach((c, k) => {
    if (c.arguments !== '')
      texts.push({ where: `tool_calls[${k}].arguments`, text: c.arguments, set: (t) => (c.arguments = t) });
  });
  return texts;
}

/** Writes a guardrail's changed texts back (same order as `texts`). */
export function writeBack(texts: readonly GuardedText[], changed: readonly ChatText[]): void {
  texts.forEach((t, i) => {
    const next = changed[i]?.text;
    if (next !== undefined && next !== t.text) t.set(next);
  });
}

/** A rough token count (4 characters a token) for a request or answer whose usage the provider never reported. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}
