/**
 * PII detector: finds personal data in a string and reports exact spans, so the policy can block the call or
 * replace each span with a typed placeholder (reversible redaction). It runs in every phase (input, output).
 *
 * Entities and how each is confirmed (a candidate regex alone never reports):
 * - EMAIL: found from each '@' outwards (linear; no regex runs over text without an '@');
 * - PHONE: libphonenumber-js with the default region (international +… numbers included), valid numbers only;
 *   a number that is valid only in another region counts when a phone cue is next to it ("Phone:", "call me at",
 *   "… fax");
 * - CARD: 12–19 digits, optionally grouped by one kind of separator, with a known IIN prefix and length, and Luhn;
 * - IBAN: ISO 13616 country length and the mod-97 check;
 * - SSN: US area/group/serial rules (no 000, 666 or 9xx area, no 00 group, no 0000 serial); dashed, or spaced or
 *   plain next to an "SSN" cue;
 * - IP: IPv4 and IPv6, validated with ipaddr.js;
 * - custom entities from config: a regex and an optional checksum validator.
 * Overlapping findings are resolved once (the stronger check wins), so redactions never overlap.
 *
 * Text that is not plain ASCII is scanned in its normalised form (fullwidth digits, zero-width characters inside
 * a number) and the spans are mapped back to the original. Failure mode: a detector only reports; the stage that
 * runs it decides (closed by default).
 */
import { keepStrongest, originalSpan } from './spans.js';
import ipaddr from 'ipaddr.js';
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { GatewayError } from '../errors.js';
import { normalize } from './normalize.js';
import { maskExcerpt, type Detection, type Detector } from './types.js';

export const PII_ENTITIES = ['EMAIL', 'PHONE', 'CARD', 'IBAN', 'SSN', 'IP'] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

export interface CustomPiiEntity {
  /** The entity name in detections (`entity`), and `pii.<lowercase name>` as the rule. */
  name: string;
  /** A JavaScript regex source. It runs over the whole text, so it should not backtrack heavily. */
  pattern: string;
  flags?: string;
  validator?: 'luhn' | 'iban' | 'none';
}

export interface PiiOptions {
  /** Built-in entities to look for; all of them when absent. Custom entities are always on. */
  entities?: string[];
  custom?: CustomPiiEntity[];
  /** The region for numbers written without a country code (ISO 3166 alpha-2). Default 'US'. */
  defaultRegion?: string;
}

interface Finding {
  entity: string;
  rule: string;
  start: number;
  end: number;
  score: number;
}

const SCORES = { CARD: 0.95, IBAN: 0.95, EMAIL: 0.9, SSN: 0.85, IP: 0.85, IP_SPECIAL: 0.6, PHONE: 0.8, PHONE_CUE: 0.6 };

const PLAIN_ASCII = /^[\x20-\x7e\t\n\r]*$/;

export function createPiiDetector(opts: PiiOptions = {}): Detector {
  const enabled = new Set<string>(opts.entities ?? PII_ENTITIES);
  for (const e of enabled) {
    if (!(PII_ENTITIES as readonly string[]).includes(e)) {
      throw new GatewayError('CONFIG_INVALID', `pii: unknown entity "${e}" (known: ${PII_ENTITIES.join(', ')})`);
    }
  }
  const region = (opts.defaultRegion ?? 'US').toUpperCase();
  if (!isSupportedCountry(region)) {
    throw new GatewayError('CONFIG_INVALID', `pii: unknown defaultRegion "${region}"`);
  }
  const custom = (opts.custom ?? []).map(compileCustom);
  // Each finder with the fewest ASCII digits a text must hold for it to find anything (see MIN_DIGITS); the order is
  // the order findings are pushed in, which overlap resolution sees on exact ties, so it stays as it was.
  const finders: { find: (text: string, out: Finding[]) => void; minDigits: number }[] = [];
  if (enabled.has('EMAIL')) finders.push({ find: findEmails, minDigits: 0 });
  if (enabled.has('CARD')) finders.push({ find: findCards, minDigits: MIN_DIGITS.CARD });
  if (enabled.has('IBAN')) finders.push({ find: findIbans, minDigits: MIN_DIGITS.IBAN });
  if (enabled.has('SSN')) finders.push({ find: findSsns, minDigits: MIN_DIGITS.SSN });
  if (enabled.has('IP')) {
    finders.push({ find: findIpv4s, minDigits: MIN_DIGITS.IPV4 });
    finders.push({ find: findIpv6s, minDigits: MIN_DIGITS.IPV6 });
  }
  if (enabled.has('PHONE'))
    finders.push({ find: (text, out) => findPhones(text, region, out), minDigits: MIN_DIGITS.PHONE });
  for (const c of custom) finders.push({ find: (text, out) => findCustom(c, text, out), minDigits: 0 });
  const digitsWanted = Math.max(0, ...finders.map((f) => f.minDigits));

  return {
    id: 'pii',
    scan(text) {
      if (text.length < 3) return [];
      const norm = PLAIN_ASCII.test(text) ? undefined : normalize(text, { decode: false });
      const view = norm?.text ?? text;
      const found: Finding[] = [];
      // Most strings of a structured result are short words and sentences: counting their digits once (up to the
      // most any finder needs) skips every finder that provably cannot match, instead of each scanning the string.
      const digits = countDigits(view, digitsWanted);
      for (const f of finders) if (digits >= f.minDigits) f.find(view, found);
      return resolveOverlaps(found).map((f) => {
        const [start, end] = norm ? originalSpan(norm, f.start, f.end) : [f.start, f.end];
        return {
          detector: 'pii',
          rule: f.rule,
          score: f.score,
          start,
          end,
          excerpt: maskExcerpt(text.slice(start, end)),
          entity: f.entity,
        } satisfies Detection;
      });
    },
  };
}

/** ASCII digits ('0'–'9', what `\d` matches without the `u` flag) in `text`, counting stops at `cap`. */
export function countDigits(text: string, cap: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n < cap; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Keeps the strongest finding of each overlapping group: higher score first, then the longer span. */
function resolveOverlaps(found: Finding[]): Finding[] {
  return keepStrongest(found, (a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
}

// ---------------------------------------------------------------------------------------------------------------
// EMAIL

const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const URL_USERINFO = /[A-Za-z][\w+.-]*:\/\/(?:[^\s/@:]*:)?$/;
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24})(?![A-Za-z0-9-])/;
/**
 * "icon@2x.png" and "logo@3x.webp" are asset names in ordinary source, not addresses: a "TLD" that is a common file
 * extension (and not a real TLD) is not an email.
 */
const FILE_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'ico', 'bmp', 'tif', 'tiff', 'css', 'scss', 'less', 'js', 'mjs',
  'cjs', 'jsx', 'ts', 'tsx', 'json', 'yaml', 'yml', 'lock', 'html', 'htm', 'map', 'txt', 'wasm', 'woff', 'woff2',
]); // prettier-ignore

function findEmails(text: string, out: Finding[]): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && at - s <= 64 && LOCAL_CHAR.test(text[s - 1]!)) s--;
    if (at - s > 64) continue; // part of a longer token, not a local part
    while (s < at && text[s] === '.') s++;
    if (s === at || text[at - 1] === '.') continue;
    if (at - s === 3 && text.startsWith('git', s)) continue; // git@host: the SSH user of every git forge, not a person
    if (URL_USERINFO.test(text.slice(Math.max(0, s - 80), s))) continue; // scheme://user:pass@host is a login
    const m = DOMAIN.exec(text.slice(at + 1, at + 256)); // a domain name is at most 253 characters
    if (!m || FILE_EXTENSIONS.has(m[1]!.toLowerCase())) continue;
    out.push({ entity: 'EMAIL', rule: 'pii.email', start: s, end: at + 1 + m[0].length, score: SCORES.EMAIL });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CARD

/** Digits with at most one space or dash between them; not glued to a word, a decimal or a longer dashed number. */
const CARD_DIGITS = { min: 12, max: 19 };
const CARD_CANDIDATE = new RegExp(
  String.raw`(?<![\w.,-])\d(?:[ -]?\d){${CARD_DIGITS.min - 1},${CARD_DIGITS.max - 1}}(?![\w]|[.,-]\d)`,
  'g',
);

function findCards(text: string, out: Finding[]): void {
  if (!/\d{4}/.test(text)) return;
  for (const m of text.matchAll(CARD_CANDIDATE)) {
    const span = bestCard(m[0]);
    if (span) out.push({ entity: 'CARD', rule: 'pii.card', start: m.index, end: m.index + span, score: SCORES.CARD });
  }
}

/** Length of the longest prefix (by whole groups) of the candidate that is a card number, or 0. */
function bestCard(candidate: string): number {
  const groups = candidate.split(/[ -]/);
  const seps = candidate.replace(/\d/g, '');
  if (seps.length > 0 && !/^(?: +|-+)$/.test(seps)) return 0; // mixed separators
  for (let k = groups.length; k >= 1; k--) {
    const parts = groups.slice(0, k);
    if (k > 1 && parts.some((g) => g.length < 3 || g.length > 6)) continue;
    const digits = parts.join('');
    if (isCardNumber(digits)) return parts.join(' ').length;
  }
  return 0;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Known IIN ranges and the lengths each scheme issues (ISO/IEC 7812; scheme rules as published). */
function cardLengthsFor(d: string): readonly number[] {
  const p2 = +d.slice(0, 2);
  const p3 = +d.slice(0, 3);
  const p4 = +d.slice(0, 4);
  const p6 = +d.slice(0, 6);
  if (d[0] === '4') return [13, 16, 19]; // Visa
  if (p2 === 34 || p2 === 37) return [15]; // American Express
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return [16]; // Mastercard
  if (p4 >= 2200 && p4 <= 2204) return [16, 17, 18, 19]; // Mir
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) {
    return [16, 17, 18, 19]; // Discover
  }
  if (p2 === 62 || p2 === 81) return [16, 17, 18, 19]; // UnionPay
  // JCB issues on 3528–3589, but the whole 35 block is JCB's and validators and co-brands (RuPay-JCB 353/356) use it.
  if (p2 === 35) return [16, 17, 18, 19]; // JCB
  if (p4 === 2131 || p4 === 1800) return [15]; // JCB (legacy 15-digit)
  if ((p3 >= 300 && p3 <= 305) || p3 === 309 || p2 === 36 || p2 === 38 || p2 === 39) return [14, 15, 16, 17, 18, 19];
  // Maestro issues 12 to 19 digits (so 12 is allowed here only), on 50 and 56–69; RuPay on 60 and 508.
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return [12, 13, 14, 15, 16, 17, 18, 19];
  if (p4 === 9792) return [16]; // Troy
  return [];
}

function isCardNumber(digits: string): boolean {
  return cardLengthsFor(digits).includes(digits.length) && luhn(digits) && !/^(\d)\1+$/.test(digits);
}

// ---------------------------------------------------------------------------------------------------------------
// IBAN

/** ISO 13616 registry: country code → IBAN length. */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
  RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
}; // prettier-ignore

/** Compact ("GB82WEST1234…") or printed in groups of four ("GB82 WEST 1234 …"); one case throughout. */
const IBAN_CANDIDATE =
  /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,3})?)(?![A-Za-z0-9])/g;

/** Every IBAN starts with a two-letter country code and two check digits; no candidate runs without them. */
const IBAN_CHECK_DIGITS = 2;
const IBAN_GATE = new RegExp(String.raw`[A-Za-z]{2}\d{${IBAN_CHECK_DIGITS}}`);

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/ /g, '').toUpperCase();
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    const v = c >= 65 ? c - 55 : c - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

function findIbans(text: string, out: Finding[]): void {
  if (!IBAN_GATE.test(text)) return;
  for (const m of text.matchAll(IBAN_CANDIDATE)) {
    const v = m[0];
    const letters = v.replace(/[^A-Za-z]/g, '');
    if (letters !== letters.toUpperCase() && letters !== letters.toLowerCase()) continue; // mixed case: an identifier
    const len = IBAN_LENGTHS[v.slice(0, 2).toUpperCase()];
    if (len === undefined) continue;
    // Take exactly the country's length; it must end at a group boundary (the candidate may run into the next word).
    let n = 0;
    let end = 0;
    while (end < v.length && n < len) if (v[end++] !== ' ') n++;
    if (n !== len || (end < v.length && v[end] !== ' ')) continue;
    if (ibanValid(v.slice(0, end))) {
      out.push({ entity: 'IBAN', rule: 'pii.iban', start: m.index, end: m.index + end, score: SCORES.IBAN });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SSN

/** Area, group and serial digits. */
const SSN_GROUPS = [3, 2, 4] as const;
const SSN_CANDIDATE = new RegExp(
  String.raw`(?<![\w-])(\d{${SSN_GROUPS[0]}})([- ]?)(\d{${SSN_GROUPS[1]}})\2(\d{${SSN_GROUPS[2]}})(?![\w]|[-.,]\d)`,
  'g',
);
const SSN_CUE = /\b(?:ssn|ss#|ss no|social security(?: number| no)?|social sec)\b[^\w\n]{0,6}(?:is\s)?[^\w\n]{0,3}$/i;
/** Published examples and advertising numbers that the SSA never issued, and one-digit repeats used as filler. */
const SSN_NEVER = new Set(['078051120', '219099999', '457555462', '123456789']);

export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9' || group === '00' || serial === '0000') return false;
  const all = area + group + serial;
  return !SSN_NEVER.has(all) && !/^(\d)\1{8}$/.test(all);
}

function findSsns(text: string, out: Finding[]): void {
  if (!/\d{2}/.test(text)) return;
  for (const m of text.matchAll(SSN_CANDIDATE)) {
    if (!ssnValid(m[1]!, m[3]!, m[4]!)) continue;
    // Dashed is the SSN's own format; spaced or plain nine digits are too common to count without a cue.
    if (m[2] !== '-' && !SSN_CUE.test(text.slice(Math.max(0, m.index - 40), m.index))) continue;
    out.push({ entity: 'SSN', rule: 'pii.ssn', start: m.index, end: m.index + m[0].length, score: SCORES.SSN });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IP

/**
 * Dotted quads that touch a word character or another dot are not addresses: "v1.2.3.4", "1.2.3.4.5",
 * and neither is "lib-1.2.3.4" (a name, a dash, a version). A quad right after "version"/"ver"/"build"/"release" or followed by a pre-release suffix
 * ("1.2.3.4-beta") is a four-part version number, which is common in manifests and logs, so it is not reported
 * either. An address written the same way after such a word is missed; that is rare, and a false PII hit on every
 * version string is what makes people turn a detector off.
 */
const IPV4_OCTETS = 4;
const IPV4_CANDIDATE = new RegExp(
  String.raw`(?<![\w.])(?:\d{1,3}\.){${IPV4_OCTETS - 1}}\d{1,3}(?![\w]|\.\d|-[A-Za-z])`,
  'g',
);
const VERSION_CUE = /\b(?:v|ver|version|build|release|rev|revision|oid)\s*[:=#]?\s*$|[A-Za-z]-$/i;
const IPV6_CANDIDATE =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:]|\.\d)/g;
/** Addresses that identify nobody: 0.0.0.0, loopback, the broadcast address. */
const NOT_PERSONAL = new Set(['unspecified', 'loopback', 'broadcast']);

function findIpv4s(text: string, out: Finding[]): void {
  if (text.includes('.')) {
    for (const m of text.matchAll(IPV4_CANDIDATE)) {
      if (!ipaddr.IPv4.isValidFourPartDecimal(m[0])) continue;
      if (VERSION_CUE.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
      pushIp(m[0], m.index, ipaddr.IPv4.parse(m[0]).range(), out);
    }
  }
}

/** An IPv6 finding must hold a digit (below): "::", "a::b" and "dead::beef" are not reported. */
const IPV6_DIGIT = /\d/;

function findIpv6s(text: string, out: Finding[]): void {
  // IPv6: the candidate regex can start at any hex letter, so it runs only on the tokens around each ':' that has
  // a hex digit or another ':' on both sides (a regex over the whole text would try every position of every word).
  let tokenEnd = -1;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) {
    if (at < tokenEnd || !isHexOrColon(text.charCodeAt(at - 1)) || !isHexOrColon(text.charCodeAt(at + 1))) continue;
    let s = at;
    let e = at + 1;
    while (s > 0 && at - s < 64 && isIpv6Char(text.charCodeAt(s - 1))) s--;
    while (e < text.length && e - at < 64 && isIpv6Char(text.charCodeAt(e))) e++;
    tokenEnd = e;
    const from = Math.max(0, s - 1);
    const token = text.slice(from, Math.min(text.length, e + 1));
    for (const m of token.matchAll(IPV6_CANDIDATE)) {
      // "::" alone, C++/Rust paths ("a::b") and hex words ("dead::beef") carry no digit: not worth a finding.
      if (!IPV6_DIGIT.test(m[0]) || !mayBeIpv6(m[0]) || !ipaddr.IPv6.isValid(m[0])) continue;
      pushIp(m[0], from + m.index, ipaddr.IPv6.parse(m[0]).range(), out);
    }
  }
}

/**
 * An IPv6 address has 8 groups; without "::" every group is written, and a dotted IPv4 tail stands for the last two,
 * so it needs at least IPV6_GROUPS - 2 colons. ipaddr.js validates by throwing, which is slow, and times of day
 * ("03:33:27") are common in text: those are ruled out here before it is asked (ipaddr.js rejects them too).
 */
const IPV6_GROUPS = 8;
export const IPV6_MIN_COLONS_UNCOMPRESSED = IPV6_GROUPS - 2;

export function mayBeIpv6(candidate: string): boolean {
  if (candidate.includes('::')) return true;
  let colons = 0;
  for (let i = candidate.indexOf(':'); i !== -1; i = candidate.indexOf(':', i + 1)) colons++;
  return colons >= IPV6_MIN_COLONS_UNCOMPRESSED;
}

function isHexOrColon(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Hex digits, ':' and '.' (an IPv4 tail): what an IPv6 address is written with. */
function isIpv6Char(c: number): boolean {
  return isHexOrColon(c) || c === 46;
}

function pushIp(value: string, start: number, range: string, out: Finding[]): void {
  if (NOT_PERSONAL.has(range)) return;
  const score = range === 'unicast' ? SCORES.IP : SCORES.IP_SPECIAL;
  out.push({ entity: 'IP', rule: 'pii.ip', start, end: start + value.length, score });
}

// ---------------------------------------------------------------------------------------------------------------
// PHONE

/** Regions tried for a number next to a phone cue that is not valid in the default region. */
const CUE_REGIONS: readonly CountryCode[] = [
  'US', 'GB', 'CA', 'AU', 'NZ', 'IE', 'IN', 'DE', 'FR', 'IT', 'ES', 'PT', 'NL', 'BE', 'CH', 'AT', 'SE', 'NO', 'DK',
  'FI', 'PL', 'CZ', 'HU', 'GR', 'CY', 'EE', 'BR', 'MX', 'AR', 'ZA', 'IL', 'JP', 'CN', 'SG', 'HK', 'TR', 'UA',
]; // prettier-ignore
/**
 * Phone-shaped runs: an optional international prefix, an optional "(0)" and area code in parentheses, then up to six
 * digit groups joined by one space, dot or dash, and an optional extension. Every group is bounded and groups need a
 * separator between them, so the regex cannot backtrack far; it is the only pass over the whole text.
 */
const PHONE_CANDIDATE =
  /(?<![\w+.])(?:\+\d{1,3}[ .-]?|00\d{1,3}[ .-]?|\d{1,3}[ .-]?(?=\())?(?:\(0\)[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,12}){0,5}(?:[ ]?(?:x|ext\.?)[ ]?\d{1,6})?(?!\w)/g;
const EXTENSION = /\s*(?:x|ext\.?)\s*\d+$/i;
const CUE_ANYWHERE =
  /phone|\btel\b|mobile|\bcell|fax|\bdesk\b|office|\bcall|\btext me|\bsms\b|whatsapp|messages? to|reach me|contact/i;
const CUE_BEFORE =
  /(?:phone|telephone|\btel|mobile|\bcell(?:phone)?|\bfax|whatsapp|\bsms|\b(?:desk|office|home|work|direct)\s*:|\bcall(?: me)?(?: on| at)?|\btext me(?: on| at)?|messages? to|reach me(?: on| at)?|contact(?: number| me)?(?: on| at)?)(?: number| no\.?)?[^\w\n]{0,4}\n?[^\S\n]*$/i;
const CUE_AFTER = /^[ \t]*-?[ \t]*\(?(?:phone|tel|mobile|cell|fax|desk|office|home|work)\b/i;

/**
 * libphonenumber-js validates each phone-shaped candidate rather than searching the whole text itself: its own
 * matcher is superlinear on digit-dense text (seconds for a 200 KB table), and a gateway scans whole tool results.
 * A number valid in the default region (or written internationally) counts when it is also written like a phone
 * number; one valid only elsewhere counts next to a phone cue.
 */
/**
 * Stretches of digits and phone punctuation long enough to hold seven digits. The candidate regex is only run
 * around these: run over the whole text it would stop at every number ("3", "2019") of a large result.
 */
const PHONE_CLUSTER = /\d[\d ().+-]{5,}\d/g;
const PHONE_AT = new RegExp(PHONE_CANDIDATE.source, 'y');
/** Digits of a phone number (E.164 allows 15); the gate wants the shortest, with at most three others between. */
const PHONE_DIGITS = { min: 7, max: 15 };
const PHONE_GATE = new RegExp(String.raw`\d(?:\D{0,3}\d){${PHONE_DIGITS.min - 1}}`);
/** Dates with a 19xx/20xx year and plain decimals: common in data, never phone numbers, and costly to parse. */
const NOT_A_PHONE = /^(?:(?:19|20)\d\d-\d\d-\d\d|\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d\d|\d+\.\d+)$/;

/** PHONE_CANDIDATE matches of seven characters or more, found only around PHONE_CLUSTER stretches. */
function* phoneCandidates(text: string): Generator<{ 0: string; index: number }> {
  let done = 0;
  for (const c of text.matchAll(PHONE_CLUSTER)) {
    // Room for a "+", "00", "(" before the digits and an extension ("x 123", "ext. 1234") after them, and one
    // character more on each side for the candidate's look-behind and look-ahead.
    const from = Math.max(done, c.index - 6);
    const to = Math.min(text.length, c.index + c[0].length + 14);
    for (let at = from; at < to;) {
      PHONE_AT.lastIndex = at;
      const m = PHONE_AT.exec(text);
      if (m === null || m[0].length === 0) {
        at++;
        continue;
      }
      if (m[0].length >= 7) yield { 0: m[0], index: m.index };
      at = m.index + m[0].length;
    }
    done = to;
  }
}

function findPhones(text: string, region: CountryCode, out: Finding[]): void {
  if (!PHONE_GATE.test(text)) return;
  const cues = CUE_ANYWHERE.test(text);
  for (const m of phoneCandidates(text)) {
    const v = m[0];
    if (NOT_A_PHONE.test(v)) continue;
    const digits = v.replace(EXTENSION, '').replace(/\D/g, '').length;
    if (digits < PHONE_DIGITS.min || digits > PHONE_DIGITS.max) continue;
    const start = m.index;
    const end = start + v.length;
    const local = parsePhone(v, region);
    if (local?.isValid() && writtenAsPhone(v, local.formatNational())) {
      out.push({ entity: 'PHONE', rule: 'pii.phone', start, end, score: SCORES.PHONE });
      continue;
    }
    if (!cues) continue;
    if (!CUE_BEFORE.test(text.slice(Math.max(0, start - 40), start)) && !CUE_AFTER.test(text.slice(end, end + 16))) {
      continue;
    }
    if (/^(?:\+|00)/.test(v) || !CUE_REGIONS.some((r) => r !== region && parsePhone(v, r)?.isValid() === true)) {
      continue;
    }
    out.push({ entity: 'PHONE', rule: 'pii.phone', start, end, score: SCORES.PHONE_CUE });
  }
}

/** "+44 (0)20 …" writes the trunk prefix in parentheses; "00 44 …" is the international prefix. */
function parsePhone(v: string, region: CountryCode) {
  if (/^(?:\+|00)/.test(v)) return parsePhoneNumberFromString(v.replace(/^00/, '+').replace('(0)', ''));
  return parsePhoneNumberFromString(v, region);
}

/**
 * Without a cue, a valid number must also be written the way phone numbers are written: in international format
 * ("+44 20 …"), or in the groups of the region's national format (each written group one or more whole groups of
 * "(415) 555-2671", after at most a three-digit prefix such as "1-" or "001-"). Plain digit runs, decimals and
 * other groupings ("2147483648", "8882.825687", "90 78 56 34 12" in the US) are counters, sizes and byte dumps in
 * ordinary files; with a cue next to them they are still found by the cue path.
 */
function writtenAsPhone(written: string, national: string): boolean {
  if (written.startsWith('+')) return true;
  const groups = written.replace(EXTENSION, '').match(/\d+/g) ?? [];
  if (groups.length < 2 || (written.match(/\./g)?.length ?? 0) === 1) return false;
  const want = national.replace(EXTENSION, '').match(/\d+/g) ?? [];
  let w = want.length - 1;
  let g = groups.length - 1;
  for (; g >= 0 && w >= 0; g--) {
    let group = groups[g]!;
    while (w >= 0 && group.length > 0 && group.endsWith(want[w]!)) group = group.slice(0, -want[w--]!.length);
    if (group.length > 0) return false;
  }
  return w < 0 && groups.slice(0, g + 1).join('').length <= 3;
}

// ---------------------------------------------------------------------------------------------------------------
// Custom entities

interface CompiledCustom {
  entity: string;
  rule: string;
  re: RegExp;
  validator: ((value: string) => boolean) | undefined;
}

function compileCustom(c: CustomPiiEntity): CompiledCustom {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(c.name)) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `pii: custom entity name "${c.name}" must be a word (letters, digits, _ -)`,
    );
  }
  if ((PII_ENTITIES as readonly string[]).includes(c.name.toUpperCase())) {
    throw new GatewayError('CONFIG_INVALID', `pii: custom entity "${c.name}" has the name of a built-in entity`);
  }
  let re: RegExp;
  try {
    re = new RegExp(c.pattern, (c.flags ?? '').replace(/[gy]/g, '') + 'g');
  } catch (cause) {
    throw new GatewayError('CONFIG_INVALID', `pii: custom entity "${c.name}" has an invalid pattern`, { cause });
  }
  const validator =
    c.validator === 'luhn'
      ? (v: string) => luhn(v.replace(/[ -]/g, ''))
      : c.validator === 'iban'
        ? ibanValid
        : undefined;
  return { entity: c.name, rule: `pii.${c.name.toLowerCase()}`, re, validator };
}

function findCustom(c: CompiledCustom, text: string, out: Finding[]): void {
  for (const m of text.matchAll(c.re)) {
    if (m[0].length === 0 || (c.validator && !c.validator(m[0]))) continue;
    const score = c.validator === undefined ? 0.8 : 0.9;
    out.push({ entity: c.entity, rule: c.rule, start: m.index, end: m.index + m[0].length, score });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Digit bounds

/**
 * The fewest ASCII digits a text must hold for each finder to report anything, read from the same numbers its
 * patterns are built from: a card candidate is CARD_DIGITS.min digits, an SSN its three groups, an IPv4 address one
 * digit per octet, a phone number passes PHONE_GATE only with PHONE_DIGITS.min digits, an IBAN its check digits,
 * an IPv6 finding one digit. `scan` skips a finder below its bound, which changes no finding.
 */
export const MIN_DIGITS = {
  CARD: CARD_DIGITS.min,
  IBAN: IBAN_CHECK_DIGITS,
  SSN: SSN_GROUPS[0] + SSN_GROUPS[1] + SSN_GROUPS[2],
  IPV4: IPV4_OCTETS,
  IPV6: 1,
  PHONE: PHONE_DIGITS.min,
} as const;
