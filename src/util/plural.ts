/**
 * Counted nouns in CLI output (issue 17, 9e: "1 server bypass the gateway"): `plural(1, 'server')` is "1 server",
 * `plural(2, 'entry', 'entries')` is "2 entries". The verb that follows a count agrees through `agree`. Pure.
 */

/** `n word`, with the plural form when n is not 1 (`word + "s"` unless given). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** The verb form that agrees with a count: `agree(1, 'bypasses', 'bypass')` is "bypasses". */
export function agree(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
