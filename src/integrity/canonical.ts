/**
 * Canonical JSON: one byte string per JSON value, whatever order a server wrote its keys in and however it encoded
 * its accented letters, so that a hash over it changes only when the meaning changes (issue 5, "canonical tool
 * hash"). Pure; it throws a TypeError for values that JSON cannot carry (bigint, functions, symbols, cycles) and for
 * two keys of one object that are the same after normalisation.
 *
 * - Object keys are written sorted by UTF-16 code units at every depth (the order of JavaScript's default sort, as
 *   in RFC 8785); array elements keep their order, because order is meaning there (enum, required, prefixItems).
 * - Strings, keys included, are normalised to NFC. NFC only merges sequences that Unicode says are the same text
 *   (a precomposed "é" and "e" + U+0301), so a server that re-encodes its text is not a change. NFKC is NOT used:
 *   it folds compatibility forms ("ﬁ" → "fi", fullwidth "Ａ" → "A", superscripts) that look different and can hide
 *   text, and a switch from "file" to "ﬁle" is exactly the kind of change a pin must catch. Invisible characters
 *   (zero-width, bidi controls, tag characters) are kept for the same reason; the poisoning scanner, not the hash,
 *   folds and flags them.
 * - `undefined` members are dropped, as JSON.stringify drops them; `undefined` in an array becomes null, as there.
 * - Numbers are written as JSON.stringify writes them (shortest round-trip form, -0 as 0); non-finite numbers, which
 *   JSON cannot carry and which never arrive over the wire, become null, as there.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The value in canonical form: strings NFC, undefined dropped, a fresh copy (the input is not changed). Key order is
 * applied when it is written (canonicalJson).
 */
export function canonicalize(value: unknown): JsonValue {
  return walk(value, new Set(), '$');
}

/**
 * Canonical JSON text of a value. Without `indent` it is compact (what hashes and signatures cover); with one it is
 * the same document pretty-printed, one member a line (what a readable diff compares). Written by hand rather than
 * by JSON.stringify, because a JavaScript object lists integer-like keys ("2", "10") first whatever order they were
 * added in.
 */
export function canonicalJson(value: unknown, indent = 0): string {
  return write(canonicalize(value), indent > 0 ? ' '.repeat(indent) : '', '');
}

function write(value: JsonValue, step: string, pad: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = pad + step;
  const open = step === '' ? '' : `\n${inner}`;
  const sep = step === '' ? ',' : `,\n${inner}`;
  const close = step === '' ? '' : `\n${pad}`;
  const colon = step === '' ? ':' : ': ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${open}${value.map((v) => write(v, step, inner)).join(sep)}${close}]`;
  }
  const keys = Object.keys(value).sort(compareKeys);
  if (keys.length === 0) return '{}';
  return `{${open}${keys.map((k) => JSON.stringify(k) + colon + write(value[k]!, step, inner)).join(sep)}${close}}`;
}

/** UTF-16 code unit order, the order of Array.prototype.sort without a comparator (RFC 8785, section 3.2.3). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function walk(value: unknown, seen: Set<object>, path: string): JsonValue {
  switch (typeof value) {
    case 'string':
      return value.normalize('NFC');
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON: ${path} is a ${typeof value}, which JSON cannot carry`);
  }
  if (value === null) return null;
  if (seen.has(value)) throw new TypeError(`canonical JSON: ${path} refers back to itself`);
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item, i) => walk(item, seen, `${path}[${i}]`));
    const json = (value as { toJSON?: unknown }).toJSON;
    if (typeof json === 'function') return walk((json as () => unknown).call(value), seen, path);
    const out: Record<string, JsonValue> = {};
    const raw = new Map<string, string>();
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      const k = key.normalize('NFC');
      const before = raw.get(k);
      if (before !== undefined) {
        // Two distinct keys that read the same: which one a consumer sees is up to its parser. Refusing is the only
        // answer that cannot be exploited.
        throw new TypeError(
          `canonical JSON: ${path} has keys ${JSON.stringify(before)} and ${JSON.stringify(key)}, the same text in NFC`,
        );
      }
      raw.set(k, key);
      // defineProperty, so that a key named "__proto__" stays a key and does not set the prototype.
      Object.defineProperty(out, k, { value: walk(member, seen, `${path}.${key}`), enumerable: true, writable: true });
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
