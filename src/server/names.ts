/**
 * Exposed names: `<server>__<tool>` (and the same for prompts). Clients accept only [A-Za-z0-9_-] and cap tool
 * names at 64 characters including their own prefixes, so a name that is too long or has other characters is
 * shortened deterministically: as much of the readable name as fits, then `_` and 8 hex digits of the SHA-256 of
 * the real (server, name) pair. Server names cannot contain `__` or end in `_` (see config/schema.ts), so the
 * first `__` always separates the server, and two different pairs can only collide through the hash, which
 * buildNameTable detects.
 */
import crypto from 'node:crypto';

export const SEPARATOR = '__';
const SAFE_NAME = /^[A-Za-z0-9_-]+$/;
const HASH_CHARS = 8;

export function exposedName(server: string, name: string, maxLength: number): string {
  const plain = `${server}${SEPARATOR}${name}`;
  if (plain.length <= maxLength && SAFE_NAME.test(name)) return plain;
  const hash = crypto.createHash('sha256').update(`${server}\u0000${name}`).digest('hex').slice(0, HASH_CHARS);
  const readable = `${server}${SEPARATOR}${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return `${readable.slice(0, maxLength - HASH_CHARS - 1)}_${hash}`;
}

export interface NameEntry<T> {
  server: string;
  name: string;
  item: T;
}

export interface NameTable<T> {
  byExposed: Map<string, NameEntry<T>>;
  /** Entries left out because their exposed name collided with an earlier one. */
  collisions: { exposed: string; kept: NameEntry<T>; dropped: NameEntry<T> }[];
}

/** Entries must come in a stable order (servers sorted by name) so that the same config gives the same names. */
export function buildNameTable<T>(entries: Iterable<NameEntry<T>>, maxLength: number): NameTable<T> {
  const byExposed = new Map<string, NameEntry<T>>();
  const collisions: NameTable<T>['collisions'] = [];
  for (const entry of entries) {
    const exposed = exposedName(entry.server, entry.name, maxLength);
    const kept = byExposed.get(exposed);
    if (kept) collisions.push({ exposed, kept, dropped: entry });
    else byExposed.set(exposed, entry);
  }
  return { byExposed, collisions };
}
