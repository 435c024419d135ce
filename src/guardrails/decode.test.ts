import { describe, expect, it } from 'vitest';
import {
  charClass,
  DEFAULT_DECODE_BUDGET,
  decodeLayers,
  identityView,
  longRuns,
  reversedView,
  separatedView,
  spanOf,
  utf8Shaped,
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

/** A seeded generator, so that the property tables below see the same texts on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) & 0x7fffffff;
    return a / 0x7fffffff;
  };
}

describe('decode: the prefilters prove absence, they never skip a candidate', () => {
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  /** The maximal runs of at least minLen characters of `chars`, by a plain regex (the reference). */
  const naiveRuns = (text: string, chars: string, minLen: number): [number, number][] => {
    const cls = chars.replace(/[\\\][^-]/g, (c) => `\\${c}`);
    return [...text.matchAll(new RegExp(`[${cls}]{${minLen},}`, 'g'))].map((m) => [m.index, m.index + m[0].length]);
  };
  // Token classes (served from the one token-run scan) and classes with spaces (sampled on their own).
  it.each([
    ['base64', `${ALNUM}+/_-`, 24],
    ['base64 with padding', `${ALNUM}/+=_-`, 40],
    ['PEM line', `${ALNUM}+/`, 64],
    ['token', `${ALNUM}_+/=~.:-`, 17],
    ['hex and separators', '0123456789abcdefABCDEF :,.-', 24],
    ['digits and separators', '0123456789 \t,;', 23],
    ['one character', 'x', 1],
  ])('longRuns finds every %s run at any offset and length', (_name, chars, minLen) => {
    const rand = seeded(minLen * 7 + chars.length);
    const cls = charClass(chars);
    const filler = 'The cat, a dog: ok! ';
    for (let trial = 0; trial < 300; trial++) {
      // Runs of lengths around minLen at every alignment, between pieces of prose and other runs.
      let text = '';
      while (text.length < 400) {
        const len = Math.max(1, minLen - 3 + Math.floor(rand() * 8));
        text += filler.slice(0, Math.floor(rand() * filler.length));
        for (let i = 0; i < len; i++) text += chars[Math.floor(rand() * chars.length)];
      }
      expect(longRuns(text, cls, minLen)).toEqual(naiveRuns(text, chars, minLen));
      expect(longRuns(text, cls, minLen)).toEqual(naiveRuns(text, chars, minLen));
    }
  });

  it('longRuns answers for the text it is given, not the previous one of the same length', () => {
    const cls = charClass(`${ALNUM}+/_-`);
    const a = `x ${'A'.repeat(30)} y`;
    const b = `x ${'A'.repeat(10)} ${'B'.repeat(18)}`;
    expect(longRuns(a, cls, 24)).toEqual([[2, 32]]);
    expect(longRuns(b, cls, 24)).toEqual([]);
    expect(longRuns(a, cls, 24)).toEqual([[2, 32]]);
  });

  const prose = 'Meeting notes: the team agreed to ship on Friday, pending review. ';
  it.each([
    ['base64', b64(secret), 'base64'],
    ['base64 wrapped in lines', b64(secret.repeat(3)).replace(/(.{28})/g, '$1\n'), 'base64'],
    ['hex', Buffer.from(secret).toString('hex'), 'hex'],
    ['hex bytes with dashes', bytes.map((b) => b.toString(16).padStart(2, '0')).join('-'), 'hex'],
    ['character codes', bytes.join('; '), 'char-codes'],
  ])('decodes a %s run at every offset of a long text', (_name, encoded, kind) => {
    for (let offset = 0; offset < 70; offset++) {
      // Quoted: hex glued to a word ending in hex letters ("Mee 746f…") pairs from the word, which is another matter.
      const text = `${prose.repeat(3).slice(0, offset)}${offset % 2 ? ' "' : '\n"'}${encoded}" ${prose}`;
      const first = decodeLayers(text);
      expect(decodeLayers(text).layers.map((l) => l.text)).toEqual(first.layers.map((l) => l.text));
      const hit = locate(first.layers, secret);
      expect(hit?.kinds).toEqual([kind]);
      expect(text.slice(...hit!.span)).toContain(encoded.slice(2, 12));
    }
  });

  it('decodes a base64 run that starts right after 23 base64 characters and a dot', () => {
    const text = `${'a'.repeat(23)}.${b64(secret)}`;
    expect(locate(decodeLayers(text).layers, secret)?.kinds).toEqual(['base64']);
  });

  it('reads the same windows with the token-run gate as with the whole-text gate', () => {
    const rand = seeded(99);
    const gate = /=nekot|ipad|_phg/i;
    const bodies = ['Qw3rTy-Uiop_Asdf9zz', 'abcdefghijklmnop', 'abcdefghijklmno', 'x'];
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      while (text.length < 600) {
        const r = rand();
        if (r < 0.3) text += `${bodies[Math.floor(rand() * bodies.length)]}=nekot`;
        else if (r < 0.4) text += `${bodies[Math.floor(rand() * bodies.length)]}_phgIPAD`;
        else text += ['word ', 'iPad ', 'a.b:c ', '~', '\n', 'é'][Math.floor(rand() * 6)];
      }
      const whole = reversedView(identityView(text), gate, 40);
      const runs = reversedView(identityView(text), gate, 40, true);
      expect(runs?.text).toEqual(whole?.text);
      if (whole) expect(spanOf(runs!, 0, runs!.text.length)).toEqual(spanOf(whole, 0, whole.text.length));
    }
  });

  it.each([
    ['after words of other lengths', 'and the seven words: ab cd ef gh ij kl', 'words:abcdefghijkl'],
    ['after three equal gaps that break', 'aa bb cc dddd ee ff gg hh ii', 'ddddeeffgghhii'],
    ['pipes every 3', 'id abc|def|ghi|jkl|mno|pq', 'abcdefghijklmnopq'],
    ['semicolons every 2 after a comma list', 'x, yy, zzz; ab;cd;ef;gh;ij;k', 'abcdefghijk'],
    ['single characters', 'a b c d e f', 'abcdef'],
    [
      'a dash every 8 (the longest period)',
      'x ABCDEFGH-IJKLMNOP-QRSTUVWX-YZabcdef-ghijklmn-op',
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop',
    ],
    [
      'dots every 8 with dots inside the pieces',
      'v=ab.defgh.ijk.mnop.qrstuvwx.yz.bcdef.ghijklmn.op',
      'v=ab.defghijk.mnopqrstuvwxyz.bcdefghijklmnop',
    ],
  ])('rejoins a run found by its equal gaps or its dense separators: %s', (_name, text, joined) => {
    expect(separatedView(identityView(text))?.text).toBe(joined);
    expect(separatedView(identityView(text))?.text).toBe(joined);
  });
});

describe('utf8Shaped (the shape check before the fatal UTF-8 decoder)', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const decodes = (b: Uint8Array): boolean => {
    try {
      fatal.decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['ascii', [0x67, 0x68, 0x70]],
    ['two-byte é', [0xc3, 0xa9]],
    ['three-byte €', [0xe2, 0x82, 0xac]],
    ['four-byte emoji', [0xf0, 0x9f, 0x98, 0x80]],
    ['BOM', [0xef, 0xbb, 0xbf, 0x41]],
    ['overlong E0 (shape only: the decoder decides)', [0xe0, 0x80, 0x80]],
    ['surrogate ED A0 (shape only)', [0xed, 0xa0, 0x80]],
    ['past U+10FFFF F4 90 (shape only)', [0xf4, 0x90, 0x80, 0x80]],
  ])('accepts the shape of %s', (_name, b) => {
    expect(utf8Shaped(Uint8Array.from(b))).toBe(true);
    expect(utf8Shaped(Uint8Array.from(b))).toBe(true);
  });

  it.each([
    ['a stray continuation', [0x41, 0x80]],
    ['C0 and C1 leads', [0xc0, 0x80]],
    ['C1 lead', [0xc1, 0xbf]],
    ['F5 lead', [0xf5, 0x80, 0x80, 0x80]],
    ['FF', [0xff]],
    ['a two-byte sequence cut short', [0x41, 0xc3]],
    ['a four-byte sequence cut short', [0xf0, 0x9f, 0x98]],
    ['a lead followed by ASCII', [0xe2, 0x41, 0x41]],
  ])('rejects %s, as the fatal decoder does', (_name, b) => {
    expect(utf8Shaped(Uint8Array.from(b))).toBe(false);
    expect(decodes(Uint8Array.from(b))).toBe(false);
  });

  it('never rejects what the fatal decoder reads (random and near-UTF-8 bytes)', () => {
    let seed = 21;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    const pieces = [[0x41], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x80], [0xc3], [0xed, 0xa0]];
    for (let n = 0; n < 20_000; n++) {
      const b: number[] = [];
      const len = 1 + (rand() % 24);
      for (let i = 0; i < len; i++) {
        if (n % 2 === 0) b.push(rand());
        else b.push(...pieces[rand() % pieces.length]!);
      }
      const bytes = Uint8Array.from(b);
      // Rejected by the shape check implies rejected by the decoder (the check is exact where it answers).
      if (!utf8Shaped(bytes)) expect(decodes(bytes), Buffer.from(bytes).toString('hex')).toBe(false);
    }
  });
});
