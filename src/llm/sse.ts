/**
 * An incremental Server-Sent Events parser (WHATWG HTML §9.2.6) for provider streams: bytes in, events out, with
 * chunk boundaries anywhere — inside a multi-byte character, between the CR and LF of a line ending, inside a field
 * name. Comments (`: ping`) and `id`/`retry` fields are skipped; an event is dispatched on its blank line, and a
 * trailing event without one is dropped, as the spec says (a provider that stops mid-event has not finished it).
 * Failure mode: a line longer than `maxLineBytes` throws, so a provider cannot make the gateway buffer without end.
 */

export interface SseEvent {
  /** The `event:` field, when the event had one (Anthropic names every event; OpenAI names none). */
  event?: string;
  data: string;
}

export class SseLineTooLongError extends Error {
  override readonly name = 'SseLineTooLongError';
}

export interface SseParser {
  /** Events completed by this chunk. */
  push(chunk: Uint8Array | string): SseEvent[];
}

export function createSseParser(opts: { maxLineBytes?: number } = {}): SseParser {
  const maxLine = opts.maxLineBytes ?? 8 * 1024 * 1024;
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let skipLf = false; // the previous chunk ended in CR: a LF that starts the next one belongs to it
  let event: string | undefined;
  let data: string[] = [];
  let hasData = false;

  const line = (text: string, out: SseEvent[]): void => {
    if (text === '') {
      if (hasData) out.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
      event = undefined;
      data = [];
      hasData = false;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      data.push(value);
      hasData = true;
    } else if (field === 'event') event = value;
  };

  return {
    push(chunk) {
      let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (text === '') return []; // a piece of a multi-byte character: nothing to read yet (and keep skipLf)
      if (skipLf && text.startsWith('\n')) text = text.slice(1);
      skipLf = false;
      buffer += text;
      const out: SseEvent[] = [];
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(buffer.slice(start, i), out);
        if (c === 13) {
          if (i + 1 < buffer.length) {
            if (buffer.charCodeAt(i + 1) === 10) i++;
          } else skipLf = true;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      if (buffer.length > maxLine) throw new SseLineTooLongError(`an SSE line is longer than ${maxLine} characters`);
      return out;
    },
  };
}
