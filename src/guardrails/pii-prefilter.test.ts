import { describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import { countDigits, createPiiDetector, IPV6_MIN_COLONS_UNCOMPRESSED, MIN_DIGITS, mayBeIpv6 } from './pii.js';
import type { Detection, Detector } from './types.js';

/** Scans twice (a stateful /g regex would differ the second time) and returns the first result. */
function scanTwice(det: Detector, text: string): Detection[] {
  const first = det.scan(text, 'output');
  expect(det.scan(text, 'input')).toEqual(first);
  return first;
}

const pii = createPiiDetector();

describe('pii digit prefilter', () => {
  it.each([
    ['', 5, 0],
    ['abc', 5, 0],
    ['a1b2c3', 5, 3],
    ['1234567890', 4, 4],
    ['１２３', 5, 0], // fullwidth digits are not \d: scan counts them after normalisation
  ])('counts ASCII digits in %j up to %i', (text, cap, n) => {
    expect(countDigits(text, cap)).toBe(n);
    expect(countDigits(text, cap)).toBe(n);
  });

  // Each text holds exactly the entity's digit bound, so a bound one too high would lose it.
  it.each([
    ['CARD', 'card 500000000009 ok', '500000000009'],
    ['IBAN', 'pay LC84ABCDEFGHIJKLMNOPQRSTUVWXYZAB now', 'LC84ABCDEFGHIJKLMNOPQRSTUVWXYZAB'],
    ['SSN', 'id 536-90-4399', '536-90-4399'],
    ['IP', 'host 8.8.8.8 up', '8.8.8.8'],
    ['IP', 'addr abc::1 up', 'abc::1'],
    ['PHONE', 'Phone: 6 123 456', '6 123 456'],
  ])('finds a %s in %j, which has exactly the digits it needs', (entity, text, value) => {
    const bound =
      entity === 'IP' ? (text.includes('::') ? MIN_DIGITS.IPV6 : MIN_DIGITS.IPV4) : MIN_DIGITS[entity as 'CARD'];
    expect(countDigits(text, 99)).toBe(bound);
    const found = scanTwice(pii, text);
    expect(found.map((d) => [d.entity, text.slice(d.start, d.end)])).toEqual([[entity, value]]);
  });

  it('derives each bound from the numbers its patterns are built from', () => {
    expect(MIN_DIGITS).toEqual({ CARD: 12, IBAN: 2, SSN: 9, IPV4: 4, IPV6: 1, PHONE: 7 });
  });

  it('counts digits after normalisation (fullwidth digits still make an SSN and a phone number)', () => {
    expect(scanTwice(pii, 'id ５３６-９０-４３９９').map((d) => [d.entity, d.start, d.end])).toEqual([['SSN', 3, 14]]);
    expect(scanTwice(pii, 'phone: ６ １２３ ４５６').map((d) => [d.entity, d.start, d.end])).toEqual([
      ['PHONE', 7, 16],
    ]);
  });

  it('still runs custom entities and e-mail on text without digits', () => {
    const det = createPiiDetector({ custom: [{ name: 'CODENAME', pattern: 'project-[a-z]+' }] });
    const found = scanTwice(det, 'ask bob@example.org about project-falcon');
    expect(found.map((d) => d.entity)).toEqual(['EMAIL', 'CODENAME']);
  });

  // Every shape of an uncompressed candidate (hex groups, optionally a dotted tail), one colon short of the bound and
  // at it: below the bound ipaddr.js rejects all of them, so skipping them changes nothing.
  it.each(Array.from({ length: IPV6_MIN_COLONS_UNCOMPRESSED + 3 }, (_, colons) => colons))(
    'agrees with ipaddr.js on uncompressed candidates with %i colons',
    (colons) => {
      const groups = Array.from({ length: colons + 1 }, (_, i) => (i % 3 === 0 ? '1' : 'ab' + i));
      for (const v of [groups.join(':'), groups.slice(0, -1).join(':') + ':1.2.3.4', groups.join(':') + ':']) {
        if (!mayBeIpv6(v)) expect(ipaddr.IPv6.isValid(v)).toBe(false);
        expect(mayBeIpv6(v)).toBe(mayBeIpv6(v));
      }
      if (colons === IPV6_MIN_COLONS_UNCOMPRESSED) {
        expect(ipaddr.IPv6.isValid(groups.slice(0, -1).join(':') + ':1.2.3.4')).toBe(true);
        expect(scanTwice(pii, 'at 1:2:3:4:5:6:1.2.3.4 now').map((d) => d.entity)).toEqual(['IP']);
      }
    },
  );

  it('finds compressed and full IPv6 addresses but not times of day', () => {
    expect(scanTwice(pii, 'at 03:33:27 and 2001:db8::7334 and 2001:db8:1:2:3:4:5:6').map((d) => d.start)).toEqual([
      16, 35,
    ]);
  });
});
