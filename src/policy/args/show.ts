/**
 * How the argument checkers quote a value in a reason: shortened, with control characters escaped, so that a block
 * message never carries a whole secret-looking value or a terminal escape.
 */

const MAX_SHOWN = 40;

/** `"abc"`, or `"abcdefgh…" (120 chars)` for a long value; JSON escaping makes NUL, newlines and ESC visible. */
export function show(value: string, max = MAX_SHOWN): string {
  const chars = [...value];
  if (chars.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(chars.slice(0, max).join('') + '…')} (${chars.length} chars)`;
}

/** The start of a value, unquoted, for text that is not the argument itself (a resolved path). */
export function clip(value: string, max = 60): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max).join('')}…`;
}

/** A type name for "must be a string, got …" messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** `U+FF0E` */
export function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
