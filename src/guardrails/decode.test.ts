import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DECODE_BUDGET,
  decodeLayers,
  identityView,
  reversedView,
  separatedView,
  spanOf,
  type View,
} from './decode.js';

const secret = 'token=Qw3rTy-Uiop_Asdf9';
const bytes = [...Buffer.from(secret)];
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The span of the original that spells `needle` in the first view that holds it, or undefined. */
function locate(views: View[], needle: string): { kinds: readonly string[]; span: [number, number] } | undefined {
  for (const v of views) {
    const i = v.text.indexOf(needle);
    if (i >= 0) return { kinds: v.kinds, span: spanOf(v, i, i + needle.length) };
  }
  return undefined;
}

describe('decode: views of a string with their spans in the original', () => {
  it.each([
    ['hex', Buffer.from(secret).toString('hex'), ['hex']],
    ['hex bytes with colons', bytes.map((b) => b.toString(16).padStart(2, '0')).join(':'), ['hex']],
    ['\\x escapes', bytes.map((b) => `\\x${b.toString(16)}`).join(''), ['hex']],
    ['base64', b64(secret), ['base64']],
    ['base64 wrapped in lines', b64(secret.repeat(4)).replace(/(.{40})/g, '$1\n'), ['base64']],
    ['base64url', Buffer.from(secret + '??>>').toString('base64url'), ['base64']],
    ['percent-encoding', bytes.map((b) => `%${b.toString(16)}`).join(''), ['percent']],
    ['\\u escapes', bytes.map((b) => `\\u${b.toString(16).padStart(4, '0')}`).join(''), ['escapes']],
    ['\\u{} escapes', bytes.map((b) => `\\u{${b.toString(16)}}`).join(''), ['escapes']],
    ['HTML hex entities', bytes.map((b) => `&#x${b.toString(16)};`).join(''), ['escapes']],
    ['character codes', bytes.join(', '), ['char-codes']],
    ['base64 of base64', b64(b64(secret)), ['base64', 'base64']],
    ['base64 of UTF-8 text with an emoji', b64(`Grüße ☃ 😀 ${secret}`), ['base64']],
    ['percent-encoded base64', encodeURIComponent(b64(`${secret}??`)), ['percent']],
  ])('decodes %s and maps the secret back to the encoded text', (_name, encoded, kinds) => {
    const text = `a ${encoded} b`;
    for (let round = 0; round < 2; round++) {
      const { layers, exceeded } = decodeLayers(text);
      expect(exceeded).toEqual([]);
      const hit = locate(layers, secret);
      // A layer's kinds are those of all its candidates: the one that spelled the secret is among them.
      expect(hit?.kinds).toEqual(expect.arrayContaining(kinds));
      const [s, e] = hit!.span;
      expect(s).toBeGreaterThanOrEqual(2);
      expect(e).toBeLessThanOrEqual(2 + encoded.length);
      expect(e - s).toBeGreaterThanOrEqual(secret.length);
    }
  });

  it.each([
    [
      'binary base64 (an image, a hash)',
      Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97) % 256)).toString('base64'),
    ],
    ['a git SHA', 'c0ffee1234567890abcdef1234567890abcdef12'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['numbers outside printable ASCII', '1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 200, 300'],
    ['a percent sign in prose', 'I am 100% sure, and 50% of the time it works every time.'],
    ['identifiers', 'const someVeryLongIdentifierName = anotherLongIdentifierValue;'],
  ])('decodes nothing from %s', (_name, text) => {
    expect(decodeLayers(text)).toEqual({ layers: [], exceeded: [] });
  });

  it('reports a candidate one layer too deep, too many candidates, a long input and a spent time budget', () => {
    const triple = b64(b64(b64(secret)));
    const deep = decodeLayers(`x ${triple}`);
    expect(deep.exceeded).toMatchObject([{ start: 2, reason: 'depth' }]);
    expect(deep.exceeded[0]!.end).toBeGreaterThan(triple.length - 2);
    const two = `${b64('first plain sentence')} ${b64('second plain sentence')}`;
    const capped = decodeLayers(two, { ...DEFAULT_DECODE_BUDGET, maxCandidates: 1 });
    expect(capped.exceeded.map((e) => e.reason)).toEqual(['candidates']);
    expect(capped.layers).toHaveLength(1);
    expect(decodeLayers('x'.repeat(50), { ...DEFAULT_DECODE_BUDGET, maxInput: 10 }).exceeded).toEqual([
      { start: 0, end: 50, reason: 'input' },
    ]);
    let t = 0;
    const slow = decodeLayers(two, { ...DEFAULT_DECODE_BUDGET, timeMs: 5 }, () => (t += 10));
    expect(slow.exceeded.map((e) => e.reason)).toEqual(['time', 'time']);
  });

  it('reverses only the windows around a keyword and maps them back', () => {
    const text = `${'filler '.repeat(200)}${[...secret].reverse().join('')} end`;
    const v = reversedView(identityView(text), /=nekot/i, 40)!;
    expect(v.text.length).toBeLessThan(120);
    const hit = locate([v], secret)!;
    expect(text.slice(...hit.span)).toBe([...secret].reverse().join(''));
    expect(reversedView(identityView('nothing here'), /=nekot/i)).toBeUndefined();
    // A keyword backwards in prose ("iPad" is "dapi" backwards) has no token body glued in front of it.
    expect(reversedView(identityView('I read it on my iPad yesterday'), /ipad/i)).toBeUndefined();
  });

  it.each([
    ['a dash every 4', 'ABCD-efgh-IJKL-mnop-QRST-uv', 'ABCDefghIJKLmnopQRSTuv'],
    ['two spaces every 3', 'abc  DEF  ghi  JKL  mno  P', 'abcDEFghiJKLmnoP'],
    ['CRLF every 5', 'abcde\r\nFGHIJ\r\nklmno\r\nPQRST\r\nuvwxy\r\nz', 'abcdeFGHIJklmnoPQRSTuvwxyz'],
    ['the token keeps its own underscore', 'ab_c_defg_hijk_lmno_pqrs_t', 'ab_cdefghijklmnopqrst'],
    ['glued text in front', 'key=ab_cd-ef-gh-ij-kl-mn', 'key=ab_cdefghijklmn'],
  ])('rejoins a separator every few characters: %s', (_name, text, joined) => {
    const v = separatedView(identityView(text))!;
    expect(v.text).toBe(joined);
    expect(spanOf(v, 0, v.text.length)).toEqual([0, text.length]);
  });

  it.each([
    ['prose', 'The quick brown fox jumps over the lazy dog near a riverbank.'],
    ['a date', '2024-01-02'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['too short', 'a-b'],
    ['three pieces only', 'abcd-efgh-ijkl'],
  ])('leaves %s alone', (_name, text) => {
    expect(separatedView(identityView(text))).toBeUndefined();
  });
});
