import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.js';
import { createPiiDetector, ibanValid, luhn, ssnValid, type PiiOptions } from './pii.js';
import type { Detection, Detector } from './types.js';

/** Scans twice (a stateful /g regex would differ the second time) and returns the first result. */
function scanTwice(det: Detector, text: string): Detection[] {
  const first = det.scan(text, 'input');
  expect(det.scan(text, 'output')).toEqual(first);
  return first;
}

const pii = createPiiDetector();

describe('pii detector', () => {
  it.each([
    ['EMAIL', 'Contact alice.smith+tag@mail.example.co.uk today', 'alice.smith+tag@mail.example.co.uk'],
    ['EMAIL', 'mail:bob@corp.io.', 'bob@corp.io'],
    ['EMAIL', 'e-mail:\nSzaszJanka@cuvox.de', 'SzaszJanka@cuvox.de'],
    ['EMAIL', 'write to ｂｏｂ＠ｃｏｒｐ．ｉｏ please', 'ｂｏｂ＠ｃｏｒｐ．ｉｏ'],
    ['EMAIL', 'mailto:pki@example.com', 'pki@example.com'],
    ['PHONE', 'Call +1 (415) 555-2671 now', '+1 (415) 555-2671'],
    ['PHONE', 'my number is 415-555-2671.', '415-555-2671'],
    ['PHONE', 'dial (415) 555-2671 x204 for sales', '(415) 555-2671 x204'],
    ['PHONE', 'London office +44 20 7946 0958', '+44 20 7946 0958'],
    ['PHONE', 'from abroad 001-415-555-2671', '001-415-555-2671'],
    ['PHONE', 'Phone: 0490 75 40 81', '0490 75 40 81'],
    ['PHONE', 'Mobile: 03.93.92.16.85\n', '03.93.92.16.85'],
    ['PHONE', '28-64-66-98 office', '28-64-66-98'],
    ['CARD', 'card 4111 1111 1111 1111 expires', '4111 1111 1111 1111'],
    ['CARD', 'card 4111-1111-1111-1111.', '4111-1111-1111-1111'],
    ['CARD', 'amex 378282246310005', '378282246310005'],
    ['CARD', 'amex 3782 822463 10005', '3782 822463 10005'],
    ['CARD', 'mc 5555555555554444', '5555555555554444'],
    ['CARD', 'mc 2223003122003222', '2223003122003222'],
    ['CARD', 'discover 6011111111111117', '6011111111111117'],
    ['CARD', 'jcb 3530111333300000', '3530111333300000'],
    ['CARD', 'diners 30569309025904', '30569309025904'],
    ['CARD', 'visa13 4222222222222', '4222222222222'],
    ['CARD', 'maestro 6759649826438453', '6759649826438453'],
    ['CARD', 'maestro, 12 digits: 501864667909?', '501864667909'],
    ['CARD', 'unionpay 6200000000000005', '6200000000000005'],
    ['CARD', 'mir 2200000000000004', '2200000000000004'],
    ['CARD', 'card 4111111111111111 123 (cvv)', '4111111111111111'],
    ['CARD', 'fullwidth ４１１１ １１１１ １１１１ １１１１', '４１１１ １１１１ １１１１ １１１１'],
    ['CARD', 'hidden 4111 1111 1111 111\u200b1 here', '4111 1111 1111 111\u200b1'],
    ['IBAN', 'IBAN GB82 WEST 1234 5698 7654 32 please', 'GB82 WEST 1234 5698 7654 32'],
    ['IBAN', 'to DE89370400440532013000.', 'DE89370400440532013000'],
    ['IBAN', 'my iban is gb82west12345698765432', 'gb82west12345698765432'],
    ['IBAN', 'NL91 ABNA 0417 1643 00 and more text', 'NL91 ABNA 0417 1643 00'],
    ['SSN', "Here's my SSN: 536-22-1234", '536-22-1234'],
    ['SSN', 'SSN: 536 22 1234', '536 22 1234'],
    ['SSN', 'social security number is 536221234', '536221234'],
    ['IP', 'client_ip = ?%//!%20\\|106.31.73.20|%20/', '106.31.73.20'],
    ['IP', 'from 8.8.8.8, then', '8.8.8.8'],
    ['IP', 'lan 192.168.1.20', '192.168.1.20'],
    ['IP', 'v6 2001:db8::1 ok', '2001:db8::1'],
    ['IP', 'at [2606:4700::1111]:443', '2606:4700::1111'],
    ['IP', 'addr 6e40:4041:c617:e898:c11:40d2:c669:2eb4', '6e40:4041:c617:e898:c11:40d2:c669:2eb4'],
    ['IP', 'mapped ::ffff:192.168.0.1 once', '::ffff:192.168.0.1'],
  ])('finds %s in %j with exact offsets and a masked excerpt', (entity, text, value) => {
    const found = scanTwice(pii, text);
    expect(found).toHaveLength(1);
    const d = found[0]!;
    expect(d).toMatchObject({ detector: 'pii', entity, rule: `pii.${entity.toLowerCase()}` });
    expect(text.slice(d.start, d.end)).toBe(value);
    expect(d.excerpt).not.toContain(value);
    expect(d.score).toBeGreaterThan(0);
    expect(d.score).toBeLessThanOrEqual(1);
  });

  it.each([
    // version numbers, code and hashes
    'version 1.2.3.4 released',
    'see v1.2.3.4 and lib-1.2.3.4',
    'semver 1.2.3 and 1.2.3.4.5',
    'OID 1.3.101.110',
    'listen on 0.0.0.0 and 127.0.0.1 and ::1',
    'broadcast 255.255.255.255',
    'std::vector<int> and dead::beef',
    'at 12:30:45 and MAC 00:1a:2b:3c:4d:5e',
    'const x = 0.1234567890;',
    // numbers that are not phones
    'setTimeout limit 2147483647 ms',
    '{"duration":8882.825687,"failed":false}',
    'order number 40123456 shipped',
    'invoice 2024-01-15 total 1234.56',
    'due 15.01.2024, paid 01/15/2024, rate 12.3456789',
    'Prints: <Buffer ab 90 78 56 34 12>',
    'a 1 2 4 4 0 j 0 d 4 v 9 2 0 3 0 2 11 2',
    'Phone: +1-984-182-0190 (no such exchange)',
    // cards that fail a check
    'card 4111 1111 1111 1112',
    'card 9111111111111111 (no issuer)',
    'card 4111 1111-1111 1111 (mixed)',
    'timestamp 1700000000000',
    'id 4444444444444444444',
    // IBANs that fail a check
    'GB82WEST12345698765433',
    'Gb82West12345698765432',
    'XX82WEST12345698765432',
    // SSNs outside the SSA ranges, examples, or without a cue
    '000-12-3456 666-12-3456 912-12-3456',
    '123-00-4567 123-45-0000',
    '078-05-1120 and 123-45-6789 and 111-11-1111',
    'part 536 22 1234 in stock',
    // emails that are not addresses
    'icon@2x.png and logo@3x.webp',
    'git clone git@github.com:org/repo.git',
    'https://user:hunter2@db.internal/x',
    'npm i lodash@4.17.21 @types/node',
    'ssh root@localhost',
    // prose
    'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.',
  ])('finds nothing in %j', (text) => {
    expect(scanTwice(pii, text)).toEqual([]);
  });

  it('finds every entity in one text, in order and without overlaps', () => {
    const text =
      'Name: Ann\nEmail: ann@corp.io\nPhone: +1 415-555-2671\nCard: 4111 1111 1111 1111\n' +
      'IBAN: DE89 3704 0044 0532 0130 00\nSSN: 536-22-1234\nIP: 203.0.113.9';
    const found = scanTwice(pii, text);
    expect(found.map((d) => d.entity)).toEqual(['EMAIL', 'PHONE', 'CARD', 'IBAN', 'SSN', 'IP']);
    for (let i = 1; i < found.length; i++) expect(found[i]!.start!).toBeGreaterThanOrEqual(found[i - 1]!.end!);
  });

  it('reports private and reserved addresses with a lower score than public ones', () => {
    const [pub] = scanTwice(pii, 'x 8.8.8.8');
    const [priv] = scanTwice(pii, 'x 10.1.2.3');
    expect(priv!.score).toBeLessThan(pub!.score);
  });

  it('keeps the stronger of two overlapping findings', () => {
    const det = createPiiDetector({ custom: [{ name: 'TAX_ID', pattern: String.raw`\d{3}-\d{2}-\d{4}` }] });
    const found = scanTwice(det, 'id 536-22-1234');
    expect(found).toHaveLength(1);
    expect(found[0]!.entity).toBe('SSN');
  });

  it('uses the default region for national numbers', () => {
    const text = 'ring 020 7946 0958 today';
    expect(scanTwice(pii, text)).toEqual([]);
    const gb = scanTwice(createPiiDetector({ defaultRegion: 'gb' }), text);
    expect(gb.map((d) => text.slice(d.start, d.end))).toEqual(['020 7946 0958']);
  });

  it('looks only for the entities it is given', () => {
    const det = createPiiDetector({ entities: ['EMAIL'] });
    expect(scanTwice(det, 'a@b.io 4111 1111 1111 1111 8.8.8.8').map((d) => d.entity)).toEqual(['EMAIL']);
    expect(scanTwice(createPiiDetector({ entities: [] }), 'a@b.io')).toEqual([]);
  });

  it.each<[string, PiiOptions['custom'], string, string[]]>([
    [
      'a plain pattern',
      [{ name: 'EMPLOYEE_ID', pattern: String.raw`\bEMP-\d{6}\b` }],
      'ids EMP-123456, EMP-12',
      ['EMP-123456'],
    ],
    ['flags', [{ name: 'CODE', pattern: 'project-[a-z]+', flags: 'i' }], 'PROJECT-Titan', ['PROJECT-Titan']],
    [
      'a Luhn validator',
      [{ name: 'ACCT', pattern: String.raw`\b\d{10}\b`, validator: 'luhn' }],
      '1234567897 1234567890',
      ['1234567897'],
    ],
    [
      'an IBAN validator',
      [{ name: 'ACCT', pattern: '[A-Z]{2}\\d{2}[A-Z0-9]{14}', validator: 'iban', flags: 'g' }],
      'NL91ABNA0417164300 NL91ABNA0417164301',
      ['NL91ABNA0417164300'],
    ],
    ['no validator', [{ name: 'TICKET', pattern: 'T-\\d+', validator: 'none' }], 'T-1 T-22', ['T-1', 'T-22']],
    ['a pattern that can match nothing', [{ name: 'EMPTY', pattern: 'x*' }], 'abc xx', ['xx']],
  ])('finds custom entities: %s', (_name, custom, text, values) => {
    const det = createPiiDetector({ entities: [], custom });
    const found = scanTwice(det, text);
    expect(found.map((d) => text.slice(d.start, d.end))).toEqual(values);
    expect(
      found.every((d) => d.entity === custom![0]!.name && d.rule === `pii.${custom![0]!.name.toLowerCase()}`),
    ).toBe(true);
  });

  it.each<[string, PiiOptions]>([
    ['an unknown entity', { entities: ['EMAIL', 'PASSPORT'] }],
    ['an unknown region', { defaultRegion: 'XX' }],
    ['an invalid custom pattern', { custom: [{ name: 'BAD', pattern: '(' }] }],
    ['a custom name that is not a word', { custom: [{ name: 'a b', pattern: 'x' }] }],
    ['a custom name of a built-in entity', { custom: [{ name: 'email', pattern: 'x' }] }],
  ])('rejects %s as invalid config', (_name, opts) => {
    let error: unknown;
    try {
      createPiiDetector(opts);
    } catch (e) {
      error = e;
    }
    expect(isGatewayError(error, 'CONFIG_INVALID')).toBe(true);
  });

  it('checks Luhn, IBAN and SSN rules', () => {
    expect([luhn('4111111111111111'), luhn('4111111111111112'), luhn(''), luhn('41a1')]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect([ibanValid('GB82 WEST 1234 5698 7654 32'), ibanValid('GB82WEST1234569876543'), ibanValid('ZZ00')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([ssnValid('536', '22', '1234'), ssnValid('666', '22', '1234'), ssnValid('999', '99', '9999')]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('finds nothing in ordinary project files', () => {
    for (const path of ['../../package-lock.json', './normalize.ts', '../errors.ts']) {
      const text = readFileSync(new URL(path, import.meta.url), 'utf8');
      expect(scanTwice(pii, text), path).toEqual([]);
    }
  });

  it('finishes on digit-dense and adversarial text (no catastrophic backtracking)', () => {
    const inputs = [
      '1 '.repeat(50_000),
      '1.'.repeat(50_000),
      '1:'.repeat(50_000),
      'a'.repeat(100_000) + '@',
      'phone: ' + '12 '.repeat(30_000),
    ];
    // No wall-clock assertion (unit tests never time themselves): catastrophic backtracking on these inputs runs
    // for minutes, so the test's own timeout catches it; the bench measures the real speed.
    for (const text of inputs) expect(pii.scan(text, 'output').length).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
