/**
 * "Did you mean" for names a user types (client ids, role names, server names): the one known name close enough to be
 * a typo, else undefined. Close is at most two edits (three for names longer than eight characters), case ignored,
 * with only one nearest name (a tie suggests nothing rather than a guess); a prefix of exactly one known name
 * (`claude-d`, `dev`) suggests it too. Shared by the CLI's usage errors so every command guesses the same way.
 */
import { editDistance } from './edit-distance.js';

export function closestName<T extends string>(name: string, known: Iterable<T>): T | undefined {
  const typed = name.trim().toLowerCase();
  if (typed === '') return undefined;
  const max = typed.length > 8 ? 3 : 2;
  const names = [...known];
  let best: { name: T; d: number; tie: boolean } | undefined;
  for (const k of names) {
    const d = editDistance(typed, k.toLowerCase(), max);
    if (d > max) continue;
    if (best === undefined || d < best.d) best = { name: k, d, tie: false };
    else if (d === best.d) best.tie = true;
  }
  if (best !== undefined) return best.tie ? undefined : best.name;
  const prefixed = names.filter((k) => k.toLowerCase().startsWith(typed));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
