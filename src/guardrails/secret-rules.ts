/**
 * The secret rules. Most are ported by hand from gitleaks' default configuration (config/gitleaks.toml, MIT,
 * Copyright (c) 2019 Zachary Rice; see NOTICE): each keeps its gitleaks id, keywords (a rule runs only when the
 * lower-cased text contains one), entropy threshold and allowlists. The porting changes, all deliberate:
 * - Go RE2 inline flags (`(?i)` mid-pattern, `(?-i:…)`) are spelled out as character classes, because Node 20 has
 *   no regex modifiers;
 * - the token end is "not followed by a token character" instead of gitleaks' quote/space/semicolon list: a gateway
 *   reads prose and JSON, where a token is also followed by `,` `)` `]` `.`;
 * - unbounded repeats are bounded, and the generic rule starts at its keyword (the key name is read back
 *   separately for the allowlist), so no rule can backtrack far in JavaScript's engine;
 * - rules that match any 40-hex string or any "s." word (sourcegraph's bare form, Vault's legacy token) are left
 *   out: they fire on git SHAs and ordinary code.
 * Rules with source 'smg' are this project's own, for what gitleaks does not cover the way a gateway needs
 * (AWS secret keys, Azure connection strings, credentials in URLs, passwords with punctuation, Authorization
 * headers).
 */

import { charClass, longRuns, stickyMatches } from './decode.js';

export interface SecretRule {
  id: string;
  source: 'gitleaks' | 'smg';
  /** Lower-case substrings; the rule runs only when the lower-cased text contains one of them. */
  keywords: readonly string[];
  /** Compiled by the detector with the g and d flags added. */
  pattern?: RegExp;
  /** Custom finder instead of a pattern: yields [start, end) spans of the secret. */
  find?: (text: string) => Iterable<[number, number]>;
  /** The capture group that holds the secret, or the first of several that matched (default: the whole match). */
  group?: number | readonly number[];
  /** Minimum Shannon entropy (bits per character) of the secret. */
  entropy?: number;
  /** The secret is not reported when one of these matches it. */
  allow?: readonly RegExp[];
  /** Generic rules: placeholders and stopwords are allowed, and a specific rule wins an overlap. */
  generic?: boolean;
  /** May legitimately sit right after '/' or '+' (URLs): skip the "inside a base64 blob" check. */
  embeddable?: boolean;
  /** Further checks on the secret, which is text[start, end) inside the rule's match text[matchStart, matchEnd). */
  check?: (secret: string, ctx: CheckContext) => boolean;
  /**
   * The vendor's own checksum (GitHub, npm): a secret it validates is reported whatever its entropy, because a
   * real token can look low-entropy, and a checksum does not match by chance.
   */
  checksum?: (secret: string) => boolean;
}

export interface CheckContext {
  text: string;
  start: number;
  end: number;
  matchStart: number;
  matchEnd: number;
}

/** Bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * The matches of a sticky regex tried at each run's start plus `offset` (and, for a negative offset, at the text's
 * start), skipping starts inside the previous match: what a global search finds when every match starts there.
 */
function stickyAt(text: string, sticky: RegExp, runs: [number, number][], offset: number): Iterable<RegExpExecArray> {
  const starts = runs.map((r) => Math.max(0, r[0] + offset));
  if (offset < 0 && starts[0] !== 0) starts.unshift(0);
  return stickyMatches(text, sticky, starts);
}

/** A token ends where no token character follows. */
const END = String.raw`(?![A-Za-z0-9_-])`;

function re(source: string, flags = ''): RegExp {
  return new RegExp(source, flags);
}

/** gitleaks' global allowlist (regexes and stopwords), applied to every secret. */
export const GLOBAL_ALLOW: readonly RegExp[] = [
  /^(?:true|false|null)$/i,
  /^([a-z*.])\1*$/i,
  /^\$(?:\d+|\{\d+\})$/,
  /^\$(?:[A-Z_]+|[a-z_]+)$/,
  /^\$\{(?:[A-Z_]+|[a-z_]+)\}$/,
  /^\{\{[ \t]*[\w ().|]+[ \t]*\}\}$/,
  /^\$\{\{[ \t]*(?:(?:env|github|secrets|vars)(?:\.[A-Za-z]\w+)+[\w "'&./=|]*)[ \t]*\}\}$/,
  /^%(?:[A-Z_]+|[a-z_]+)%$/,
  /^%[+\-# 0]?[bcdeEfFgGoOpqstTUvxX]$/,
  /^\{\d{0,2}\}$/,
  /^@(?:[A-Z_]+|[a-z_]+)@$/,
  /^\/Users\/[A-Za-z0-9]+\/[\w .\-/]+$/,
  /^\/(?:bin|etc|home|opt|tmp|usr|var)\/[\w ./-]+$/,
  /014df517-39d1-4453-b7b3-9930c563627c/,
  /abcdefghijklmnopqrstuvwxyz/i,
];

/**
 * Placeholders people write where a secret would go (this project's list): generic rules, URL passwords and
 * password assignments skip them, so `password: changeme`, `${env:X}`, `<your-key-here>` and `xxxxx` never fire.
 */
export const PLACEHOLDERS: readonly RegExp[] = [
  /^\$\{[^}]*\}$/, // ${env:X}, ${file:path}, ${VAR}
  /^\$\{\{.*\}\}$|^\{\{.*\}\}$|^\{%.*%\}$/, // templates
  /^<[^>]*>$|^\[[^\]]*\]$/, // <your-key-here>, [REDACTED]
  /^\$[A-Za-z_]\w*$|^%[A-Za-z_]\w*%$|^\$\(.*\)$/, // $VAR, %VAR%, $(cmd)
  /^(.)\1+$/, // xxxxxxxx, ********
  /x{4,}|\*{3,}|\.{3}|…/i,
  /\b(?:your|my|the)[-_ ]?(?:api[-_ ]?|access[-_ ]?|secret[-_ ]?)?(?:key|token|secret|password|pass|pwd)\b/i,
  /(?:^|[-_ ])(?:your|my)[-_]/i,
  /example|placeholder|changeme|change[-_]me|replace[-_]?me|dummy|redacted|sample|insert[-_]|fixme|todo|lorem/i,
  /^(?:pass(?:word)?|secret|token|none|null|nil|undefined|empty|string|str|test|testing|admin|root|default)\d{0,3}$/i,
  /process\.env|os\.environ|getenv|env\[|env\(|secrets\.|vault\(|keychain/i,
  /passw(?:or)?d|secret|token/i, // a value that names the concept is a label or a fixture, not the thing
];

/** gitleaks' generic-api-key stopwords (a curated subset): identifiers, not secrets. */
const GENERIC_STOPWORDS = `
000000 aaaaaa about abstract account action active activity adapter addon address admin agent alert algorithm
alpha amazon analytic android angular animation apache apple archive array asset async audio audit auth author
auto azure backend backup base based bash basic batch benchmark beta binary binding block blog board bookmark
boost bootstrap bower branch bridge browser buffer build builder bundle button cache calendar call camera
captcha capture card carousel case category center chain change changelog channel chart chat check checker
chrome class classic clean client clone closure cloud cluster code coding color combo command comment commit
common community compiler complete component composer computer concept conf config connect connector console
contact container content context control convert cookie copy core counter course crawler create creator
credential crud csv- current custom daemon dashboard data database date debug default define delete demo
deploy design desktop detector develop developer device diff digital directive directory discovery display
django docker document domain download draft driver dropbox dynamic easy editor element email embed emitter
emulator encoding endpoint engine entity entry error event example exchange export extension external extra
facebook factory fake feature feed field file filter finder firefox firmware flask folder font form format
forum framework frontend function gateway general generator generic getter github gitlab global gmail golang
google gradle graph group guide handler hash header hello helper history home hook host html http icon image
import index info inline input install instance interface internal issue java json kafka kernel keyboard label
lambda language laravel latest layout lazy library license light line link linux list loader local location
lock logger login lookup machine mail manager manifest mapper markdown master media memory menu message meta
method metric middleware migration mobile mock model module mongo monitor mysql name native navigation network
nginx node notebook notice notification number object offline online open option oracle order origin output
package page panel parser partial patch path pattern payment paypal people photo pipeline platform player
plugin policy popup port portal post preview primary print private process product profile program project
prompt protocol provider proxy public publish python query queue random react reader readme record redis
reference refresh region registry release remote render report repository request require resource response
rest result review robot role route router runner runtime sample sandbox scala schema scope screen script
search secure security select selector sender server service session setting setup shared shell shop sidebar
signal simple single site slack snapshot socket source space spec stack staging standard start state static
status storage store stream string style support swagger switch symbol sync system table target task template
terminal test text theme thread time timer title todo tool tracker transform tree trigger type unit update
upload user util validator value vendor version video view viewer virtual visual volume webhook website widget
window worker workflow wrapper writer yaml youtube
`
  .split(/\s+/)
  .filter((w) => w.length > 0);

/** gitleaks' generic-api-key match allowlist: key names that carry the keyword but hold no secret. */
const GENERIC_KEY_ALLOW =
  /access(?:ibility|or)|access[_.-]?id|random[_.-]?access|api[_.-]?(?:id|name|version)|rapid|capital|[a-z0-9-]*?api[a-z0-9-]*?:jar:|author|X-MS-Exchange-Organization-Auth|Authentication-Results|credentials?[_.-]?id|withCredentials|(?:bucket|foreign|hot|idx|natural|primary|pub(?:lic)?|schema|sequence)[_.-]?key|turkey|key[_.-]?(?:alias|board|code|frame|id|length|mesh|name|pair|press(?:ed)?|ring|selector|signature|size|stone|storetype|word|up|down|left|right)|key[_.-]?vault[_.-]?(?:id|name)|keyVaultToStoreSecrets|key(?:store|tab)[_.-]?(?:file|path)|issuerkeyhash|[DdMm]onkey|[DM]ONKEY|keying|secret[_.-]?(?:length|name|size)|UserSecretsId|csrf[_.-]?token|io\.jsonwebtoken[ \t]?:[ \t]?[\w-]+|(?:api|credentials|token)[_.-]?(?:endpoint|ur[il])|public[_.-]?token|(?:key|token)[_.-]?file|sha\d*|md5|hash|digest|checksum|fingerprint|integrity|[gp]pg[ _.-]?key/i; // the last group is ours: pins and hashes

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The part of a key name left of its keyword: up to 50 [\w.-] characters as gitleaks' rule prefix reads it, and
 * spaces too, so that prose keys ("Release GPG key:", "the public key:") meet the allowlist.
 */
function keyBefore(text: string, at: number): string {
  let s = at;
  while (s > 0 && at - s < 50 && /[\w. -]/.test(text[s - 1]!)) s--;
  return text.slice(s, at);
}

/**
 * generic-api-key's allowlists: no digit at all (`^[a-zA-Z_.-]+$`), a stopword inside, or a key name that only
 * carries the keyword (`keyId`, `public_key`, `csrf_token`). UUIDs are this project's addition: under a generic key
 * they are ids far more often than secrets (vendor rules with a keyword still catch UUID-shaped keys).
 */
function genericCheck(secret: string, ctx: CheckContext): boolean {
  if (/^[a-zA-Z_.-]+$/.test(secret) || UUID.test(secret) || MEMBER_CHAIN.test(secret)) return false;
  const lower = secret.toLowerCase();
  if (GENERIC_STOPWORDS.some((w) => lower.includes(w))) return false;
  return !GENERIC_KEY_ALLOW.test(keyBefore(ctx.text, ctx.matchStart) + ctx.text.slice(ctx.matchStart, ctx.matchEnd));
}

/** A password value that describes a password (key `password_policy`), or is code when unquoted, is not one. */
function passwordCheck(_secret: string, ctx: CheckContext): boolean {
  const head = ctx.text.slice(ctx.matchStart, ctx.start);
  const keyName = keyBefore(ctx.text, ctx.matchStart) + head.slice(0, head.search(/["']?[ \t]*(?:=|:)/));
  if (PASSWORD_KEY_ALLOW.test(keyName)) return false;
  const quoted = /["'\x60]/.test(ctx.text[ctx.start - 1] ?? '');
  const value = ctx.text.slice(ctx.start, ctx.end);
  return !MEMBER_CHAIN.test(value) && !PATH_LIKE.test(value) && (quoted || !CODE_LIKE.test(value));
}

/** RFC 2606 documentation hosts: `https://user:pass@example.com` is an example by definition. */
const EXAMPLE_HOST = /^(?:[\w-]+\.)*example\.(?:com|org|net)\b|^[\w.-]+\.(?:example|test|invalid)\b/i;

function urlPasswordCheck(secret: string, ctx: CheckContext): boolean {
  if (/^\d{1,5}$/.test(secret)) return false; // host:port, not user:password
  if (ctx.text.slice(ctx.start - secret.length - 1, ctx.start - 1) === secret) return false; // guest:guest, a default
  return !EXAMPLE_HOST.test(ctx.text.slice(ctx.matchEnd, ctx.matchEnd + 255));
}

/** Key names around a password that describe it rather than hold it. */
const PASSWORD_KEY_ALLOW =
  /(?:reset|policy|length|min|max|hint|label|placeholder|prompt|regex|pattern|strength|expir|rule|field|input|file|path|url|uri|endpoint|command|cmd|env|var|mode|type|validator|visib|toggle|changed|update|required|error|message|manager|store|less|count|attempt)/i;
/** `config.auth.token`, `visitor_keys_1.visitorKeys`: code reading a value, not the value. */
const MEMBER_CHAIN = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
/** Unquoted values that are code, a type name or a path (`BinaryLike`, `os.getcwd()`, `PWD: /Users/me`). */
const CODE_LIKE = /[()[\]{}]|^[A-Za-z_$][A-Za-z_$]*$|^(?:https?|file):\/\//;
const PATH_LIKE = /^(?:\/|~\/|\.{1,2}\/|[A-Za-z]:\\)\S*$/;

const PRIVATE_KEY_BEGIN = /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/gi;
const PRIVATE_KEY_END = /^-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/i;
/** A block without its END line (a truncated read) still leaks the key: the header plus a base64 body counts. */
const PRIVATE_KEY_BODY = /^[A-Za-z0-9+/=\s\\:,.-]{64,20000}/;

/** gitleaks' private-key rule, as a finder so that a block is bounded and a truncated block still counts. */
function* findPrivateKeys(text: string): Iterable<[number, number]> {
  let covered = 0; // a block's span swallows any header inside it
  let endAt = -2; // the next '-----END' at or after the current body (-1: none left); searched once per END
  for (const m of text.matchAll(PRIVATE_KEY_BEGIN)) {
    if (m.index < covered) continue;
    const bodyStart = m.index + m[0].length;
    if (endAt !== -1 && endAt < bodyStart) endAt = text.indexOf('-----END', bodyStart);
    let end = -1;
    if (endAt !== -1 && endAt - bodyStart >= 64 && endAt - bodyStart <= 20000) {
      const line = PRIVATE_KEY_END.exec(text.slice(endAt, endAt + 150));
      if (line) end = endAt + line[0].length;
    }
    if (end === -1) {
      const body = PRIVATE_KEY_BODY.exec(text.slice(bodyStart, bodyStart + 20000));
      if (body) end = bodyStart + body[0].length;
    }
    if (end !== -1) {
      covered = end;
      yield [m.index, end];
    }
  }
}

const GCP_PUBLIC_KEYS = [
  'AIzaSyabcdefghijklmnopqrstuvwxyz1234567',
  'AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs',
  'AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM',
  'AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU',
  'AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0',
  'AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A',
  'AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c',
  'AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4',
  'AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY',
  'AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM',
  'AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ',
  'AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g',
  'AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU',
  'AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw',
  'AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE',
  'AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY',
]; // public keys shipped in SDKs (gitleaks' per-rule allowlist)

/**
 * GitHub's token format (github.blog, 2021-04-05, "Behind GitHub's new authentication token formats"), also used by
 * npm's `npm_` tokens (github.blog, 2021-09-23): a prefix, 30 random base62 characters, then the CRC32 of those 30
 * characters in base62 (0-9A-Za-z), left-padded with '0' to 6 characters.
 */
export function crc32Base62Valid(token: string): boolean {
  const at = token.indexOf('_');
  const body = token.slice(at + 1);
  if (at < 0 || body.length !== 36) return false;
  let n = crc32(body.slice(0, 30));
  let sum = '';
  for (let i = 0; i < 6; i++) {
    sum = BASE62[n % 62]! + sum;
    n = Math.floor(n / 62);
  }
  return n === 0 && sum === body.slice(30);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE 802.3, as zlib) of an ASCII string. */
export function crc32(s: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Words that put a bare 40-character string in AWS context: the service, its key ids, its region names. */
const AWS_WORDS = ['aws', 'amazon', 'akia', 'asia', '-east-', '-west-', '-central-', '-north', '-south'];
const AWS_CONTEXT =
  /aws|amazon|\b(?:AKIA|ASIA)[A-Z2-7]{16}\b|\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:gov-)?(?:east|west|central|north|south|northeast|southeast|northwest|southwest)-\d\b/i;
const AWS_SECRET_ASSIGNED =
  /(?:aws)?[_.-]?secret[_.-]?(?:access)?[_.-]?key(?:[_.-]?id)?["']?[ \t]{0,3}(?:=|:|=>|:=)[ \t]{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi;
const BARE_40 = /(?<![A-Za-z0-9/+=_-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])/y;
const KEY_RUN_CLASS = charClass('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=_-');
/** Runs that read as words: a path or a CamelCase identifier, not 30 random bytes. */
const WORDISH = /[A-Z]?[a-z]{3,}/g;

/**
 * AWS secret access keys: 40 base64 characters. Assigned to a secret-key name (`aws_secret_access_key = …`), or
 * bare within 256 characters of AWS wording (the service, an access key id, a region), when it mixes upper case,
 * lower case and digits (a git SHA is hex) and does not read as words (a path, an identifier).
 */
function* findAwsSecretKeys(text: string): Iterable<[number, number]> {
  const seen = new Set<number>();
  for (const m of text.matchAll(AWS_SECRET_ASSIGNED)) {
    const span = m.indices![1]!;
    seen.add(span[0]);
    yield [span[0], span[1]];
  }
  if (!AWS_CONTEXT.test(text)) return;
  // BARE_40 matches exactly the maximal runs of [A-Za-z0-9/+=_-] that are 40 characters of [A-Za-z0-9/+]: only the
  // runs of 40 or more are tried, not every position of a long text.
  for (const m of stickyAt(text, BARE_40, longRuns(text, KEY_RUN_CLASS, 40), 0)) {
    const v = m[0];
    if (seen.has(m.index) || !/[A-Z]/.test(v) || !/[a-z]/.test(v) || !/\d/.test(v)) continue;
    let words = 0;
    for (const w of v.matchAll(WORDISH)) words += w[0].length;
    if (words >= v.length / 2) continue;
    const window = text.slice(Math.max(0, m.index - 256), m.index + v.length + 256);
    if (AWS_CONTEXT.test(window)) yield [m.index, m.index + v.length];
  }
}

/**
 * One line of a PEM private key body, seen without its BEGIN line: exactly 64 base64 characters on a line of its
 * own (PEM wraps at 64; a JSON string may spell the line breaks as `\n`).
 */
const PEM_LINE = /(?:^|\n|\\n)([A-Za-z0-9+/]{64})(?=\r?\n|\\[rn]|$)/dy;
const PEM_CLASS = charClass('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

function* findPrivateKeyLines(text: string): Iterable<[number, number]> {
  if (text.length < 64) return;
  // The 64 characters are a whole run of the class, or all of one but its first 'n' (after `\n`): a match starts
  // one character before a run of 64 or more, or at the start of the text.
  for (const m of stickyAt(text, PEM_LINE, longRuns(text, PEM_CLASS, 64), -1)) {
    const span = m.indices![1]!;
    yield [span[0], span[1]];
  }
}

/**
 * A key line is random bytes: upper case, lower case and digits, and base64 that does not decode to text. Lines
 * inside a block whose BEGIN line is not a private key's (a certificate, a public key, a PGP signature) are public.
 */
function privateKeyLineCheck(secret: string, ctx: CheckContext): boolean {
  if (!/[A-Z]/.test(secret) || !/[a-z]/.test(secret) || !/\d/.test(secret)) return false;
  const bytes = Buffer.from(secret, 'base64');
  let printable = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13) printable++;
  if (printable > bytes.length * 0.8) return false;
  const begin = ctx.text.lastIndexOf('-----BEGIN', ctx.start);
  if (begin < 0) return true;
  const end = ctx.text.lastIndexOf('-----END', ctx.start);
  if (end > begin) return true;
  return /PRIVATE KEY/i.test(ctx.text.slice(begin, begin + 100).split('\n', 1)[0]!);
}

/**
 * gitleaks' assignment operators. A comma counts only on the same line (`("token", "…")`): across a line break it is
 * the end of one JSON list item and the start of the next, which pairs unrelated strings.
 */
const ASSIGN = String.raw`[ \t\w.-]{0,20}(?:[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=)[\x60'"\s=]{0,5}|[ \t'"]{0,3},[ \t]{0,3}[\x60'"]?)`;

export const SECRET_RULES: readonly SecretRule[] = [
  // --- Private keys -------------------------------------------------------------------------------------------
  { id: 'private-key', source: 'gitleaks', keywords: ['-----begin'], find: findPrivateKeys, embeddable: true },
  {
    id: 'private-key-line',
    source: 'smg',
    keywords: [],
    find: findPrivateKeyLines,
    entropy: 4.5,
    check: privateKeyLineCheck,
  },

  // --- Cloud: AWS, GCP, Azure, others -------------------------------------------------------------------------
  {
    id: 'aws-access-token',
    source: 'gitleaks',
    keywords: ['a3t', 'akia', 'asia', 'abia', 'acca'],
    pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/,
    entropy: 3,
    allow: [/.+EXAMPLE$/],
  },
  {
    id: 'aws-secret-access-key',
    source: 'smg',
    keywords: ['secret', ...AWS_WORDS],
    find: findAwsSecretKeys,
    entropy: 4,
    allow: [/EXAMPLE/],
  },
  {
    id: 'gcp-api-key',
    source: 'gitleaks',
    keywords: ['aiza'],
    pattern: re(String.raw`\bAIza[\w-]{35}${END}`),
    entropy: 4,
    allow: GCP_PUBLIC_KEYS.map((k) => re(`^${k}$`)),
  },
  {
    id: 'azure-ad-client-secret',
    source: 'gitleaks',
    keywords: ['q~'],
    pattern: /(?:^|[\\'"\x60\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),])/,
    group: 1,
    entropy: 3,
  },
  {
    id: 'azure-storage-account-key',
    source: 'smg',
    keywords: ['accountkey='],
    pattern: /\bAccountKey=([A-Za-z0-9+/]{86}==)/i,
    group: 1,
    entropy: 4,
    embeddable: true,
  },
  {
    id: 'azure-shared-access-key',
    source: 'smg',
    keywords: ['sharedaccesskey='],
    pattern: /\bSharedAccessKey=([A-Za-z0-9+/]{42,43}=)/i,
    group: 1,
    entropy: 4,
    embeddable: true,
  },
  {
    id: 'azure-sas-token',
    source: 'smg',
    keywords: ['sig='],
    pattern: /\bsv=\d{4}-\d{2}-\d{2}&[^\s"'<>]{0,300}?\bsig=([A-Za-z0-9%+/]{40,120}(?:=|%3D){0,2})/i,
    group: 1,
    entropy: 3.5,
    embeddable: true,
  },
  {
    id: 'alibaba-access-key-id',
    source: 'gitleaks',
    keywords: ['ltai'],
    pattern: re(String.raw`\bLTAI[a-zA-Z0-9]{20}${END}`),
    entropy: 2,
  },
  {
    id: 'digitalocean-pat',
    source: 'gitleaks',
    keywords: ['dop_v1_'],
    pattern: re(String.raw`\bdop_v1_[a-f0-9]{64}${END}`),
    entropy: 3,
  },
  {
    id: 'digitalocean-access-token',
    source: 'gitleaks',
    keywords: ['doo_v1_'],
    pattern: re(String.raw`\bdoo_v1_[a-f0-9]{64}${END}`),
    entropy: 3,
  },
  {
    id: 'digitalocean-refresh-token',
    source: 'gitleaks',
    keywords: ['dor_v1_'],
    pattern: re(String.raw`\bdor_v1_[a-f0-9]{64}${END}`, 'i'),
  },
  {
    id: 'heroku-api-key-v2',
    source: 'gitleaks',
    keywords: ['hrku-aa'],
    pattern: re(String.raw`\bHRKU-AA[0-9a-zA-Z_-]{58}${END}`),
    entropy: 4,
  },
  {
    id: 'flyio-access-token',
    source: 'gitleaks',
    keywords: ['fo1_', 'fm1', 'fm2_'],
    pattern: re(
      String.raw`\b(?:fo1_[\w-]{43}|fm1[ar]_[a-zA-Z0-9+/]{100,2000}={0,3}|fm2_[a-zA-Z0-9+/]{100,2000}={0,3})${END}`,
    ),
    entropy: 4,
  },
  {
    id: 'cloudflare-origin-ca-key',
    source: 'gitleaks',
    keywords: ['v1.0-'],
    pattern: re(String.raw`\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}${END}`),
    entropy: 2,
  },
  {
    id: 'hashicorp-tf-api-token',
    source: 'gitleaks',
    keywords: ['atlasv1'],
    pattern: /[a-zA-Z0-9]{14}\.atlasv1\.[a-zA-Z0-9\-_=]{60,70}/,
    entropy: 3.5,
  },
  {
    id: 'vault-service-token',
    source: 'gitleaks',
    keywords: ['hvs.'],
    pattern: re(String.raw`\bhvs\.[\w-]{90,120}${END}`),
    entropy: 3.5,
  },
  {
    id: 'vault-batch-token',
    source: 'gitleaks',
    keywords: ['hvb.'],
    pattern: re(String.raw`\bhvb\.[\w-]{138,300}${END}`),
    entropy: 4,
  },
  {
    id: 'doppler-api-token',
    source: 'gitleaks',
    keywords: ['dp.pt.'],
    pattern: /dp\.pt\.[a-zA-Z0-9]{43}/,
    entropy: 2,
  },
  {
    id: 'pulumi-api-token',
    source: 'gitleaks',
    keywords: ['pul-'],
    pattern: re(String.raw`\bpul-[a-f0-9]{40}${END}`),
    entropy: 2,
  },
  {
    id: 'databricks-api-token',
    source: 'gitleaks',
    keywords: ['dapi'],
    pattern: re(String.raw`\bdapi[a-f0-9]{32}(?:-\d)?${END}`),
    entropy: 3,
  },
  {
    id: 'planetscale-password',
    source: 'gitleaks',
    keywords: ['pscale_pw_'],
    pattern: re(String.raw`\bpscale_pw_[\w=.-]{32,64}${END}`, 'i'),
    entropy: 3,
  },
  {
    id: 'planetscale-api-token',
    source: 'gitleaks',
    keywords: ['pscale_tkn_'],
    pattern: re(String.raw`\bpscale_tkn_[\w=.-]{32,64}${END}`, 'i'),
    entropy: 3,
  },

  // --- Source forges and CI -----------------------------------------------------------------------------------
  {
    id: 'github-pat',
    source: 'gitleaks',
    keywords: ['ghp_'],
    pattern: /ghp_[0-9a-zA-Z]{36}/,
    entropy: 3,
    checksum: crc32Base62Valid,
  },
  {
    id: 'github-fine-grained-pat',
    source: 'gitleaks',
    keywords: ['github_pat_'],
    pattern: /github_pat_\w{82}/,
    entropy: 3,
  },
  {
    id: 'github-oauth',
    source: 'gitleaks',
    keywords: ['gho_'],
    pattern: /gho_[0-9a-zA-Z]{36}/,
    entropy: 3,
    checksum: crc32Base62Valid,
  },
  {
    id: 'github-app-token',
    source: 'gitleaks',
    keywords: ['ghu_', 'ghs_'],
    pattern: /(?:ghu|ghs)_[0-9a-zA-Z]{36}/,
    entropy: 3,
    checksum: crc32Base62Valid,
  },
  {
    id: 'github-refresh-token',
    source: 'gitleaks',
    keywords: ['ghr_'],
    pattern: /ghr_[0-9a-zA-Z]{36}/,
    entropy: 3,
    checksum: crc32Base62Valid,
  },
  {
    id: 'gitlab-pat-routable',
    source: 'gitleaks',
    keywords: ['glpat-'],
    pattern: /\bglpat-[0-9a-zA-Z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}\b/,
    entropy: 4,
  },
  { id: 'gitlab-pat', source: 'gitleaks', keywords: ['glpat-'], pattern: /glpat-[\w-]{20}/, entropy: 3 },
  { id: 'gitlab-ptt', source: 'gitleaks', keywords: ['glptt-'], pattern: /glptt-[0-9a-f]{40}/, entropy: 3 },
  { id: 'gitlab-rrt', source: 'gitleaks', keywords: ['gr1348941'], pattern: /GR1348941[\w-]{20}/, entropy: 3 },
  {
    id: 'gitlab-runner-authentication-token',
    source: 'gitleaks',
    keywords: ['glrt-'],
    pattern: /glrt-[0-9a-zA-Z_-]{20}/,
    entropy: 3,
  },
  {
    id: 'gitlab-deploy-token',
    source: 'gitleaks',
    keywords: ['gldt-'],
    pattern: /gldt-[0-9a-zA-Z_-]{20}/,
    entropy: 3,
  },
  {
    id: 'gitlab-cicd-job-token',
    source: 'gitleaks',
    keywords: ['glcbt-'],
    pattern: /glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}/,
    entropy: 3,
  },
  { id: 'gitlab-feed-token', source: 'gitleaks', keywords: ['glft-'], pattern: /glft-[0-9a-zA-Z_-]{20}/, entropy: 3 },
  {
    id: 'gitlab-incoming-mail-token',
    source: 'gitleaks',
    keywords: ['glimt-'],
    pattern: /glimt-[0-9a-zA-Z_-]{25}/,
    entropy: 3,
  },
  {
    id: 'gitlab-kubernetes-agent-token',
    source: 'gitleaks',
    keywords: ['glagent-'],
    pattern: /glagent-[0-9a-zA-Z_-]{50}/,
    entropy: 3,
  },
  {
    id: 'gitlab-oauth-app-secret',
    source: 'gitleaks',
    keywords: ['gloas-'],
    pattern: /gloas-[0-9a-zA-Z_-]{64}/,
    entropy: 3,
  },
  {
    id: 'gitlab-scim-token',
    source: 'gitleaks',
    keywords: ['glsoat-'],
    pattern: /glsoat-[0-9a-zA-Z_-]{20}/,
    entropy: 3,
  },
  {
    id: 'gitlab-feature-flag-client-token',
    source: 'gitleaks',
    keywords: ['glffct-'],
    pattern: /glffct-[0-9a-zA-Z_-]{20}/,
    entropy: 3,
  },
  {
    id: 'gitlab-session-cookie',
    source: 'gitleaks',
    keywords: ['_gitlab_session='],
    pattern: /_gitlab_session=([0-9a-z]{32})/,
    group: 1,
    entropy: 3,
  },
  {
    id: 'sourcegraph-access-token',
    source: 'gitleaks',
    keywords: ['sgp_'],
    pattern: /\bsgp_(?:(?:[a-fA-F0-9]{16}|local)_)?[a-fA-F0-9]{40}\b/,
    entropy: 3,
  },

  // --- Chat and collaboration ---------------------------------------------------------------------------------
  {
    id: 'slack-bot-token',
    source: 'gitleaks',
    keywords: ['xoxb'],
    pattern: /xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]{0,100}/,
    entropy: 3,
  },
  {
    id: 'slack-user-token',
    source: 'gitleaks',
    keywords: ['xoxp-', 'xoxe-'],
    pattern: /xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}/,
    entropy: 2,
  },
  {
    id: 'slack-app-token',
    source: 'gitleaks',
    keywords: ['xapp'],
    pattern: /xapp-\d-[A-Z0-9]{1,20}-\d{1,20}-[a-z0-9]{1,100}/i,
    entropy: 2,
  },
  {
    id: 'slack-config-access-token',
    source: 'gitleaks',
    keywords: ['xoxe.xoxb-', 'xoxe.xoxp-'],
    pattern: /xoxe.xox[bp]-\d-[A-Z0-9]{163,166}/i,
    entropy: 2,
  },
  {
    id: 'slack-config-refresh-token',
    source: 'gitleaks',
    keywords: ['xoxe-'],
    pattern: /xoxe-\d-[A-Z0-9]{146}/i,
    entropy: 2,
  },
  {
    id: 'slack-legacy-bot-token',
    source: 'gitleaks',
    keywords: ['xoxb'],
    pattern: /xoxb-[0-9]{8,14}-[a-zA-Z0-9]{18,26}/,
    entropy: 2,
  },
  {
    id: 'slack-legacy-token',
    source: 'gitleaks',
    keywords: ['xoxo', 'xoxs'],
    pattern: /xox[os]-\d{1,20}-\d{1,20}-\d{1,20}-[a-fA-F\d]{1,100}/,
    entropy: 2,
  },
  {
    id: 'slack-legacy-workspace-token',
    source: 'gitleaks',
    keywords: ['xoxa', 'xoxr'],
    pattern: /xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}/,
    entropy: 2,
  },
  {
    id: 'slack-webhook-url',
    source: 'gitleaks',
    keywords: ['hooks.slack.com'],
    pattern: /(?:https?:\/\/)?hooks.slack.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/]{43,56}/,
    embeddable: true,
  },
  {
    id: 'microsoft-teams-webhook',
    source: 'gitleaks',
    keywords: ['webhook.office.com', 'webhookb2', 'incomingwebhook'],
    pattern:
      /https:\/\/[a-z0-9]+\.webhook\.office\.com\/webhookb2\/[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}@[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}\/IncomingWebhook\/[a-z0-9]{32}\/[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}/,
    embeddable: true,
  },
  {
    id: 'linear-api-key',
    source: 'gitleaks',
    keywords: ['lin_api_'],
    pattern: /lin_api_[a-zA-Z0-9]{40}/,
    entropy: 2,
  },
  {
    id: 'notion-api-token',
    source: 'gitleaks',
    keywords: ['ntn_'],
    pattern: re(String.raw`\bntn_[0-9]{11}[A-Za-z0-9]{35}${END}`),
    entropy: 4,
  },

  // --- Payments and commerce ----------------------------------------------------------------------------------
  {
    id: 'stripe-access-token',
    source: 'gitleaks',
    keywords: ['sk_test', 'sk_live', 'sk_prod', 'rk_test', 'rk_live', 'rk_prod'],
    pattern: re(String.raw`\b(?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99}${END}`),
    entropy: 2,
  },
  {
    id: 'square-access-token',
    source: 'gitleaks',
    keywords: ['sq0atp-', 'eaaa'],
    pattern: re(String.raw`\b(?:EAAA|sq0atp-)[\w-]{22,60}${END}`),
    entropy: 2,
  },
  {
    id: 'shopify-access-token',
    source: 'gitleaks',
    keywords: ['shpat_'],
    pattern: /shpat_[a-fA-F0-9]{32}/,
    entropy: 2,
  },
  {
    id: 'shopify-custom-access-token',
    source: 'gitleaks',
    keywords: ['shpca_'],
    pattern: /shpca_[a-fA-F0-9]{32}/,
    entropy: 2,
  },
  {
    id: 'shopify-private-app-access-token',
    source: 'gitleaks',
    keywords: ['shppa_'],
    pattern: /shppa_[a-fA-F0-9]{32}/,
    entropy: 2,
  },
  {
    id: 'shopify-shared-secret',
    source: 'gitleaks',
    keywords: ['shpss_'],
    pattern: /shpss_[a-fA-F0-9]{32}/,
    entropy: 2,
  },

  // --- AI providers ----------------------------------------------------------------------------------------------
  {
    id: 'openai-api-key',
    source: 'gitleaks',
    keywords: ['t3blbkfj'],
    pattern: re(
      String.raw`\b(?:sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20})${END}`,
    ),
    entropy: 3,
  },
  {
    id: 'anthropic-api-key',
    source: 'gitleaks',
    keywords: ['sk-ant-api03'],
    pattern: re(String.raw`\bsk-ant-api03-[a-zA-Z0-9_-]{93}AA${END}`),
  },
  {
    id: 'anthropic-admin-api-key',
    source: 'gitleaks',
    keywords: ['sk-ant-admin01'],
    pattern: re(String.raw`\bsk-ant-admin01-[a-zA-Z0-9_-]{93}AA${END}`),
  },
  {
    id: 'huggingface-access-token',
    source: 'gitleaks',
    keywords: ['hf_'],
    pattern: re(String.raw`\bhf_[a-zA-Z]{34}${END}`),
    entropy: 2,
  },
  {
    id: 'huggingface-organization-api-token',
    source: 'gitleaks',
    keywords: ['api_org_'],
    pattern: re(String.raw`\bapi_org_[a-zA-Z]{34}${END}`),
    entropy: 2,
  },
  {
    id: 'perplexity-api-key',
    source: 'gitleaks',
    keywords: ['pplx-'],
    pattern: re(String.raw`\bpplx-[a-zA-Z0-9]{48}${END}`),
    entropy: 4,
  },

  // --- Package registries -----------------------------------------------------------------------------------
  {
    id: 'npm-access-token',
    source: 'gitleaks',
    keywords: ['npm_'],
    pattern: re(String.raw`\bnpm_[a-zA-Z0-9]{36}${END}`),
    entropy: 2,
    checksum: crc32Base62Valid,
  },
  {
    id: 'pypi-upload-token',
    source: 'gitleaks',
    keywords: ['pypi-ageichlwas5vcmc'],
    pattern: /pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}/,
    entropy: 3,
  },
  {
    id: 'rubygems-api-token',
    source: 'gitleaks',
    keywords: ['rubygems_'],
    pattern: re(String.raw`\brubygems_[a-f0-9]{48}${END}`),
    entropy: 2,
  },
  {
    id: 'clojars-api-token',
    source: 'gitleaks',
    keywords: ['clojars_'],
    pattern: /CLOJARS_[a-zA-Z0-9]{60}/i,
    entropy: 2,
  },
  {
    id: 'artifactory-api-key',
    source: 'gitleaks',
    keywords: ['akcp'],
    pattern: /\bAKCp[A-Za-z0-9]{69}\b/,
    entropy: 4.5,
  },

  // --- Observability, email, developer services ---------------------------------------------------------------
  {
    id: 'sendgrid-api-token',
    source: 'gitleaks',
    keywords: ['sg.'],
    pattern: re(String.raw`\bSG\.[a-zA-Z0-9=_.-]{66}${END}`),
    entropy: 2,
  },
  {
    id: 'sendinblue-api-token',
    source: 'gitleaks',
    keywords: ['xkeysib-'],
    pattern: re(String.raw`\bxkeysib-[a-f0-9]{64}-[a-zA-Z0-9]{16}${END}`),
    entropy: 2,
  },
  {
    id: 'twilio-api-key',
    source: 'gitleaks',
    keywords: ['sk'],
    pattern: /\bSK[0-9a-fA-F]{32}\b/,
    entropy: 3,
  },
  {
    id: 'postman-api-token',
    source: 'gitleaks',
    keywords: ['pmak-'],
    pattern: re(String.raw`\bPMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}${END}`),
    entropy: 3,
  },
  {
    id: 'grafana-api-key',
    source: 'gitleaks',
    keywords: ['eyjrijoi'],
    pattern: re(String.raw`\beyJrIjoi[A-Za-z0-9]{70,400}={0,3}${END}`, 'i'),
    entropy: 3,
  },
  {
    id: 'grafana-cloud-api-token',
    source: 'gitleaks',
    keywords: ['glc_'],
    pattern: re(String.raw`\bglc_[A-Za-z0-9+/]{32,400}={0,3}${END}`, 'i'),
    entropy: 3,
  },
  {
    id: 'grafana-service-account-token',
    source: 'gitleaks',
    keywords: ['glsa_'],
    pattern: re(String.raw`\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}${END}`, 'i'),
    entropy: 3,
  },
  {
    id: 'sentry-user-token',
    source: 'gitleaks',
    keywords: ['sntryu_'],
    pattern: re(String.raw`\bsntryu_[a-f0-9]{64}${END}`),
    entropy: 3.5,
  },
  {
    id: 'dynatrace-api-token',
    source: 'gitleaks',
    keywords: ['dt0c01.'],
    pattern: /dt0c01\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{64}/,
    entropy: 4,
  },
  {
    id: 'age-secret-key',
    source: 'gitleaks',
    keywords: ['age-secret-key-1'],
    pattern: /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}/,
  },
  {
    id: '1password-service-account-token',
    source: 'gitleaks',
    keywords: ['ops_'],
    pattern: /ops_eyJ[a-zA-Z0-9+/]{250,5000}={0,3}/,
    entropy: 4,
  },
  {
    id: 'facebook-page-access-token',
    source: 'gitleaks',
    keywords: ['eaam', 'eaac'],
    pattern: re(String.raw`\bEAA[MC][a-zA-Z0-9]{100,1000}${END}`),
    entropy: 4,
  },

  // --- Tokens and credentials in any context ------------------------------------------------------------------
  {
    id: 'jwt',
    source: 'gitleaks',
    keywords: ['ey'],
    pattern: /\bey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/\\_-]{17,}\.(?:[a-zA-Z0-9/\\_-]{10,}={0,2})?(?![\w/\\=-])/,
    entropy: 3,
    allow: [/\.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ\./], // jwt.io's example
  },
  {
    id: 'url-credentials',
    source: 'smg',
    keywords: ['://'],
    pattern: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/?#@"'\x60<>[\]{}]{0,128}:([^\s/?#@"'\x60<>]{1,256})@(?=[\w[.-])/i,
    group: 1,
    generic: true,
    embeddable: true,
    check: urlPasswordCheck,
  },
  {
    id: 'authorization-header',
    source: 'smg',
    keywords: ['authorization'],
    pattern:
      /\bAuthorization["']?[ \t]{0,3}[:=][ \t]{0,3}["']?(?:Basic|Bearer|Token|Api-Token)[ \t]+([\w=~@.+/-]{8,2000})/i,
    group: 1,
    entropy: 2.75,
    generic: true,
  },
  {
    id: 'generic-password',
    source: 'smg',
    keywords: ['passw', 'pwd', 'passphrase'],
    pattern:
      /(?:passw(?:or)?d|(?<![a-z])pwd|passphrase)[\w.-]{0,20}["']?[ \t]{0,3}(?:=|:|=>|:=)[ \t]{0,3}(?:(["'\x60])([^\r\n"'\x60]{8,128})\1|([^\s"'\x60,;]{8,128}))/i,
    group: [2, 3], // quoted or bare
    entropy: 3,
    generic: true,
    check: passwordCheck,
  },
  {
    id: 'generic-api-key',
    source: 'gitleaks',
    keywords: ['access', 'api', 'auth', 'key', 'credential', 'creds', 'passwd', 'password', 'secret', 'token'],
    pattern: re(
      String.raw`(?:access|auth|api|credential|creds|key|passw(?:or)?d|secret|token)${ASSIGN}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,1000}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`,
      'i',
    ),
    group: 1,
    entropy: 3.5,
    generic: true,
    check: genericCheck,
  },
];
