/**
 * Reading a remote provider's verdict out of parsed JSON. Every reader either returns a well-typed value or throws
 * BadResponseError, which the client turns into a provider failure (fail closed). Messages name the JSON path and
 * the type found, never the value: a provider may echo the scanned text, and that text may hold a secret.
 */

/** The provider answered 2xx, but not with the shape we read. */
export class BadResponseError extends Error {
  override readonly name = 'BadResponseError';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typeOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Segments are object keys or array indices: `result.flagged`, `data.0.score`. */
export const JSON_PATH_PATTERN = /^[^.]+(?:\.[^.]+)*$/;

/**
 * Follows a dotted path. Only own properties count, so a path can never reach `__proto__` or `constructor`.
 * Returns undefined when any segment is missing.
 */
export function getPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (isRecord(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** A 0..1 score; providers send numbers, or numeric strings (Enkrypt's injection scores are "0.999354"). */
export function toScore(value: unknown, where: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new BadResponseError(`expected a score at ${where}, got ${typeOf(value)}`);
  }
  if (n < 0 || n > 1) throw new BadResponseError(`the score at ${where} is outside 0..1`);
  return n;
}

/** Provider labels become part of a rule id, which block messages show: keep them short and plain. */
export function ruleSegment(label: string): string {
  const clean = label
    .replace(/[^A-Za-z0-9_./-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return clean === '' ? 'unnamed' : clean;
}
