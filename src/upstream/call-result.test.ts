import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { checkCallToolResult, surelyCallToolResult } from './call-result.js';

const png = Buffer.from('not really a png, but bytes').toString('base64');
const text = (t: unknown, extra: object = {}) => ({ type: 'text', text: t, ...extra });

/** [name, result]: each is checked against the SDK schema itself, so the table only has to be varied. */
const CASES: [string, unknown][] = [
  ['echo', { content: [text('Echo: hi')] }],
  ['no content (zod defaults it)', {}],
  ['empty content', { content: [] }],
  ['isError', { content: [text('boom')], isError: true }],
  ['isError not a boolean', { content: [], isError: 'yes' }],
  ['isError null', { content: [], isError: null }],
  ['unknown result members', { content: [], extra: 1, more: { x: [1] } }],
  ['structuredContent', { content: [text('{}')], structuredContent: { rows: [{ a: 1 }] } }],
  ['structuredContent an array', { content: [], structuredContent: [1, 2] }],
  ['structuredContent null', { content: [], structuredContent: null }],
  ['structuredContent a string', { content: [], structuredContent: 'x' }],
  ['content not an array', { content: 'not an array' }],
  ['content null', { content: null }],
  ['content an object', { content: { 0: text('a') } }],
  ['block of a bad type', { content: [{ type: 5 }] }],
  ['block without a type', { content: [{ text: 'a' }] }],
  ['block null', { content: [null] }],
  ['block an array', { content: [[text('a')]] }],
  ['text not a string', { content: [text(5)] }],
  ['text with _meta', { content: [text('a', { _meta: { k: 1 } })] }],
  ['text with _meta array', { content: [text('a', { _meta: [1] })] }],
  ['text with _meta null', { content: [text('a', { _meta: null })] }],
  ['text with annotations', { content: [text('a', { annotations: { audience: ['user'], priority: 0.5 } })] }],
  [
    'annotations priority 0 and 1',
    { content: [text('a', { annotations: { priority: 0 } }), text('b', { annotations: { priority: 1 } })] },
  ],
  ['annotations priority above 1', { content: [text('a', { annotations: { priority: 1.5 } })] }],
  ['annotations priority negative', { content: [text('a', { annotations: { priority: -0.1 } })] }],
  ['annotations priority a string', { content: [text('a', { annotations: { priority: '1' } })] }],
  ['annotations audience bad role', { content: [text('a', { annotations: { audience: ['system'] } })] }],
  ['annotations audience not an array', { content: [text('a', { annotations: { audience: 'user' } })] }],
  ['annotations null', { content: [text('a', { annotations: null })] }],
  ['annotations lastModified ok', { content: [text('a', { annotations: { lastModified: '2025-01-12T15:00:58Z' } })] }],
  ['annotations lastModified bad', { content: [text('a', { annotations: { lastModified: 'yesterday' } })] }],
  ['image', { content: [{ type: 'image', data: png, mimeType: 'image/png' }] }],
  ['image without mimeType', { content: [{ type: 'image', data: png }] }],
  ['image data not base64', { content: [{ type: 'image', data: 'not base64!', mimeType: 'image/png' }] }],
  ['image data with whitespace', { content: [{ type: 'image', data: 'QUJD RA==', mimeType: 'image/png' }] }],
  ['image data length 4n+1', { content: [{ type: 'image', data: 'QUJDR', mimeType: 'image/png' }] }],
  ['image data unpadded 4n+2', { content: [{ type: 'image', data: 'QUJDRA', mimeType: 'image/png' }] }],
  ['image data padded', { content: [{ type: 'image', data: 'QUJDRA==', mimeType: 'image/png' }] }],
  ['image data one pad', { content: [{ type: 'image', data: 'QUJDREU=', mimeType: 'image/png' }] }],
  ['image data bad padding length', { content: [{ type: 'image', data: 'QUJDRA=', mimeType: 'image/png' }] }],
  ['image data three pads', { content: [{ type: 'image', data: 'QUJ===', mimeType: 'image/png' }] }],
  ['image data pad in the middle', { content: [{ type: 'image', data: 'QU=DRA==', mimeType: 'image/png' }] }],
  ['image data empty', { content: [{ type: 'image', data: '', mimeType: 'image/png' }] }],
  ['image data url-safe alphabet', { content: [{ type: 'image', data: 'QU-_RA==', mimeType: 'image/png' }] }],
  ['image data not a string', { content: [{ type: 'image', data: 5, mimeType: 'image/png' }] }],
  ['audio', { content: [{ type: 'audio', data: png, mimeType: 'audio/wav' }] }],
  ['resource text', { content: [{ type: 'resource', resource: { uri: 'file:///a', text: 'hi' } }] }],
  ['resource blob', { content: [{ type: 'resource', resource: { uri: 'file:///a', blob: png, mimeType: 'x/y' } }] }],
  ['resource bad text, good blob', { content: [{ type: 'resource', resource: { uri: 'u', text: 5, blob: png } }] }],
  ['resource neither', { content: [{ type: 'resource', resource: { uri: 'u' } }] }],
  ['resource without uri', { content: [{ type: 'resource', resource: { text: 'hi' } }] }],
  ['resource mimeType a number', { content: [{ type: 'resource', resource: { uri: 'u', text: 'hi', mimeType: 1 } }] }],
  ['resource _meta array', { content: [{ type: 'resource', resource: { uri: 'u', text: 'hi', _meta: [] } }] }],
  ['resource null', { content: [{ type: 'resource', resource: null }] }],
  ['resource_link', { content: [{ type: 'resource_link', uri: 'file:///a', name: 'a' }] }],
  ['resource_link without name', { content: [{ type: 'resource_link', uri: 'file:///a' }] }],
  ['tool_use is not a result block', { content: [{ type: 'tool_use', id: '1', name: 'x', input: {} }] }],
  ['result _meta', { content: [], _meta: { 'example.com/x': 1 } }],
  ['result _meta a string', { content: [], _meta: 'x' }],
  ['result _meta progressToken ok', { content: [], _meta: { progressToken: 'p' } }],
  ['result _meta progressToken bad', { content: [], _meta: { progressToken: 1.5 } }],
  ['result _meta related task bad', { content: [], _meta: { 'io.modelcontextprotocol/related-task': 1 } }],
  [
    'JSON __proto__ keys',
    JSON.parse('{"content":[{"type":"text","text":"a","_meta":{"__proto__":{"x":1}}}],"__proto__":[]}'),
  ],
  ['many parts, one bad', { content: [text('a'), text('b'), { type: 'image', data: png }] }],
  ['a result that is an array', [text('a')]],
  ['a result that is null', null],
];

describe('checkCallToolResult', () => {
  it.each(CASES)('agrees with the SDK schema: %s', (_name, result) => {
    const zod = CallToolResultSchema.safeParse(result).success;
    // The fast path may only ever say yes where the schema does; the whole check says what the schema says.
    if (surelyCallToolResult(result)) expect(zod).toBe(true);
    expect(checkCallToolResult(result).ok).toBe(zod);
    expect(checkCallToolResult(result).ok).toBe(zod); // the same input twice
  });

  it('takes the common shapes on the fast path', () => {
    const fast = CASES.filter(([, r]) => surelyCallToolResult(r)).map(([n]) => n);
    expect(fast).toEqual(
      expect.arrayContaining([
        'echo',
        'isError',
        'structuredContent',
        'image',
        'resource blob',
        'text with annotations',
      ]),
    );
  });

  it('names the problem when it refuses', () => {
    const r = checkCallToolResult({ content: 'not an array' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/content/);
  });

  it('never says yes where the schema says no, over random mutations of valid results', () => {
    // A seeded generator: mutations replace, delete or add one member somewhere in a valid result.
    let seed = 21;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const values: unknown[] = [
      null,
      0,
      1,
      2,
      -1,
      0.5,
      1.5,
      '',
      'x',
      'user',
      'assistant',
      'text',
      'image',
      'resource',
      'QUJD',
      'QUJDRA==',
      'QUJDR',
      '=',
      true,
      false,
      [],
      ['user'],
      [1],
      {},
      { a: 1 },
      png,
    ];
    const keys = [
      'type',
      'text',
      'data',
      'mimeType',
      'annotations',
      '_meta',
      'resource',
      'uri',
      'blob',
      'audience',
      'priority',
      'content',
      'structuredContent',
      'isError',
      'progressToken',
      'lastModified',
    ];
    const bases = CASES.map(([, r]) => r).filter((r) => CallToolResultSchema.safeParse(r).success);
    const mutate = (v: unknown, depth: number): unknown => {
      if (Array.isArray(v)) {
        const items = v as unknown[];
        if (items.length === 0 || rand(4) === 0) return [...items, values[rand(values.length)]];
        const i = rand(items.length);
        return items.map((x, j) => (j === i ? mutate(x, depth + 1) : x));
      }
      if (typeof v === 'object' && v !== null) {
        const o = { ...(v as Record<string, unknown>) };
        const own = Object.keys(o);
        const r = rand(4);
        if (r === 0 || own.length === 0) o[keys[rand(keys.length)]!] = values[rand(values.length)];
        else if (r === 1) delete o[own[rand(own.length)]!];
        else {
          const k = own[rand(own.length)]!;
          o[k] = depth > 4 ? values[rand(values.length)] : mutate(o[k], depth + 1);
        }
        return o;
      }
      return values[rand(values.length)];
    };
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      let r = bases[rand(bases.length)];
      for (let m = 0, n = 1 + rand(3); m < n; m++) r = mutate(r, 0);
      const zod = CallToolResultSchema.safeParse(r).success;
      if (surelyCallToolResult(r)) {
        fast++;
        if (!zod) throw new Error(`fast path accepted what the schema refuses: ${JSON.stringify(r)}`);
      }
      expect(checkCallToolResult(r).ok).toBe(zod);
    }
    expect(fast).toBeGreaterThan(1000);
  });
});
