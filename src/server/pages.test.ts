import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.js';
import { decodeCursor, encodeCursor, pageOf } from './pages.js';

const items = Array.from({ length: 450 }, (_, i) => i);

describe('list pages', () => {
  it('answers a short list in one page without a cursor', () => {
    expect(pageOf('tools', [1, 2, 3], undefined, 200)).toEqual({ items: [1, 2, 3] });
  });

  it('walks a long list in pages, every entry once, in order', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = pageOf('tools', items, cursor, 200);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(items);
  });

  it('gives no cursor when the list ends exactly at a page boundary', () => {
    expect(pageOf('prompts', items.slice(0, 400), encodeCursor('prompts', 200), 200).nextCursor).toBeUndefined();
  });

  it('gives an empty last page for a cursor past the end (the list shrank)', () => {
    expect(pageOf('tools', [1], encodeCursor('tools', 200), 200)).toEqual({ items: [] });
  });

  it('issues opaque cursors', () => {
    expect(encodeCursor('resources', 200)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('resources', encodeCursor('resources', 200))).toBe(200);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['base64 of something else', Buffer.from('hello').toString('base64url')],
    ['a negative offset', Buffer.from('smg1:tools:-5').toString('base64url')],
    ['another list', encodeCursor('prompts', 200)],
    ['empty', ''],
  ])('refuses a cursor that is %s as INVALID_CURSOR', (_, cursor) => {
    let error: unknown;
    try {
      pageOf('tools', items, cursor, 200);
    } catch (e) {
      error = e;
    }
    expect(isGatewayError(error, 'INVALID_CURSOR')).toBe(true);
  });
});
