/** Escapes a literal string for use inside a regular expression (the `/` too, for sources shown in messages). */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
