/**
 * Is an upstream's tools/call result a CallToolResult? Answered exactly as the SDK's CallToolResultSchema answers it,
 * at a fraction of a zod parse's cost on the common shapes: a hand-written check recognises the results that are
 * certainly valid (text, image, audio and embedded-resource parts with plain fields), and everything else (an
 * invalid result, a resource link, annotations with a date, base64 with padding in the middle or whitespace) is left
 * to the zod schema itself. The fast check never says yes where zod would say no (a test holds it to the schema on a
 * table and on random mutations), so a malformed result is refused exactly as before. The base64 of an image is
 * checked with one regular expression instead of atob, which decodes (and allocates) the whole payload.
 * Pure; never throws.
 */
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

/** The SDK's verdict, with the fast path first; `error` is zod's message when it refuses. */
export function checkCallToolResult(result: unknown): { ok: true } | { ok: false; error: string } {
  if (surelyCallToolResult(result)) return { ok: true };
  const parsed = CallToolResultSchema.safeParse(result);
  return parsed.success ? { ok: true } : { ok: false, error: parsed.error.message };
}

type Obj = Record<string, unknown>;

/** zod's isPlainObject, as it reads values that came from JSON.parse (every non-array object). */
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Absent, or a record (`z.record(z.string(), z.unknown()).optional()`). */
function optRecord(v: unknown): boolean {
  return v === undefined || isObj(v);
}

function optString(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}

/**
 * True only when CallToolResultSchema certainly accepts `v`; false means "ask zod", not "invalid".
 * The result is a loose object: unknown members pass, `_meta` is a loose object whose progressToken and related-task
 * members have types (those are left to zod), `content` an array of content blocks or absent (zod defaults it),
 * `structuredContent` a record, `isError` a boolean.
 */
export function surelyCallToolResult(v: unknown): boolean {
  if (!isObj(v)) return false;
  const meta = v._meta;
  if (meta !== undefined) {
    if (!isObj(meta)) return false;
    for (const key in meta) if (key === 'progressToken' || key.startsWith('io.modelcontextprotocol/')) return false;
  }
  if (!optRecord(v.structuredContent)) return false;
  if (v.isError !== undefined && typeof v.isError !== 'boolean') return false;
  const content = v.content;
  if (content === undefined) return true;
  if (!Array.isArray(content)) return false;
  for (const block of content as unknown[]) if (!surelyBlock(block)) return false;
  return true;
}

/** A content block of the union: each `type` literal names the one member it can match. */
function surelyBlock(b: unknown): boolean {
  if (!isObj(b) || !optRecord(b._meta) || !surelyAnnotations(b.annotations)) return false;
  switch (b.type) {
    case 'text':
      return typeof b.text === 'string';
    case 'image':
    case 'audio':
      return typeof b.mimeType === 'string' && surelyBase64(b.data);
    case 'resource': {
      const r = b.resource;
      if (!isObj(r) || typeof r.uri !== 'string' || !optString(r.mimeType) || !optRecord(r._meta)) return false;
      return typeof r.text === 'string' || surelyBase64(r.blob);
    }
    default:
      return false; // resource_link (icons, sizes) and anything else: zod reads it
  }
}

/** AnnotationsSchema without `lastModified` (an ISO date-time: zod's own pattern decides that one). */
function surelyAnnotations(a: unknown): boolean {
  if (a === undefined) return true;
  if (!isObj(a) || a.lastModified !== undefined) return false;
  const audience = a.audience;
  if (audience !== undefined) {
    if (!Array.isArray(audience)) return false;
    for (const role of audience as unknown[]) if (role !== 'user' && role !== 'assistant') return false;
  }
  const p = a.priority;
  return p === undefined || (typeof p === 'number' && p >= 0 && p <= 1);
}

/** The base64 alphabet with no whitespace, and at most two `=` at the very end. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * True where Node's atob (the SDK's Base64Schema) certainly decodes `v`: only alphabet characters, and either no
 * padding and a length that is not 1 more than a multiple of 4, or one or two `=` closing a multiple of 4 (WHATWG
 * forgiving-base64). Whitespace and other forms atob also takes are left to zod.
 */
function surelyBase64(v: unknown): boolean {
  if (typeof v !== 'string' || !BASE64.test(v)) return false;
  return v.endsWith('=') ? v.length % 4 === 0 : v.length % 4 !== 1;
}
