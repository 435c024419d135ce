import { describe, expect, it } from 'vitest';
import { createSseParser, SseLineTooLongError, type SseEvent } from './sse.js';

const WIRE =
  ': comment\r\n' +
  'event: message_start\r\n' +
  'data: {"type":"message_start","text":"héllo ✓ 🙂"}\r\n' +
  '\r\n' +
  'data: line one\n' +
  'data:line two\n' +
  'id: 7\n' +
  'retry: 100\n' +
  '\n' +
  'data: [DONE]\r' +
  '\r' +
  'event: lonely\n' +
  '\n';

const EXPECTED: SseEvent[] = [
  { event: 'message_start', data: '{"type":"message_start","text":"héllo ✓ 🙂"}' },
  { data: 'line one\nline two' },
  { data: '[DONE]' },
];

function feed(pieces: Uint8Array[]): SseEvent[] {
  const parser = createSseParser();
  return pieces.flatMap((p) => parser.push(p));
}

describe('createSseParser', () => {
  it('parses a whole wire at once', () => {
    expect(feed([Buffer.from(WIRE)])).toEqual(EXPECTED);
  });

  it('gives the same events however the bytes are split in two (inside characters, CRLF, field names)', () => {
    const bytes = Buffer.from(WIRE);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(feed([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(EXPECTED);
    }
  });

  it.each([1, 2, 3, 5, 7])('gives the same events fed %i bytes at a time', (size) => {
    const bytes = Buffer.from(WIRE);
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
    expect(feed(pieces)).toEqual(EXPECTED);
    expect(feed(pieces)).toEqual(EXPECTED);
  });

  it('drops an event that never got its blank line', () => {
    expect(feed([Buffer.from('data: partial\n')])).toEqual([]);
  });

  it('refuses a line longer than its bound', () => {
    const parser = createSseParser({ maxLineBytes: 16 });
    expect(() => parser.push('data: ' + 'x'.repeat(32))).toThrow(SseLineTooLongError);
  });
});
