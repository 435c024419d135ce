/**
 * Pagination of the lists the gateway answers (tools, prompts, resources, resource templates): a merged list longer
 * than the page size goes out in pages, each with an opaque `nextCursor` (MCP 2025-06-18, utilities/pagination).
 * The cursor names its list and an offset; it is base64url so that clients treat it as opaque, and a cursor that is
 * not one of ours, or belongs to another list, is refused with -32602 as the spec asks. The list may change between
 * pages (list_changed says so); a cursor past the end gives an empty last page.
 */
import { GatewayError } from '../errors.js';

export type PagedList = 'tools' | 'prompts' | 'resources' | 'templates';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

const PREFIX = 'smg1:';

export function encodeCursor(list: PagedList, offset: number): string {
  return Buffer.from(`${PREFIX}${list}:${offset}`, 'utf8').toString('base64url');
}

/** The offset a cursor points at; throws INVALID_CURSOR for anything this gateway did not issue for `list`. */
export function decodeCursor(list: PagedList, cursor: string): number {
  const text = /^[A-Za-z0-9_-]*$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^smg1:([a-z]+):(\d{1,9})$/.exec(text);
  if (!match) throw new GatewayError('INVALID_CURSOR', `Invalid cursor: ${JSON.stringify(cursor.slice(0, 64))}`);
  if (match[1] !== list)
    throw new GatewayError('INVALID_CURSOR', `Invalid cursor: it belongs to ${match[1]}/list, not ${list}/list`);
  return Number(match[2]);
}

/** One page of `items`, starting where `cursor` points (the first page without one). */
export function pageOf<T>(list: PagedList, items: readonly T[], cursor: string | undefined, size: number): Page<T> {
  const start = cursor === undefined ? 0 : decodeCursor(list, cursor);
  const end = start + size;
  const page: Page<T> = { items: items.slice(start, end) };
  if (end < items.length) page.nextCursor = encodeCursor(list, end);
  return page;
}
