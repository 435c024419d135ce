import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.js';
import { crc32, crc32Base62Valid, SECRET_RULES, shannonEntropy } from './secret-rules.js';
import { createSecretsDetector, SECRET_RULE_IDS, type SecretsOptions } from './secrets.js';
import type { Detection, Detector } from './types.js';
import { checksummedToken } from '../../test/support/tokens.js';

/**
 * Fake secrets are generated at run time from a seeded generator, so this file holds no token that a secret
 * scanner (or this detector, reading the repository) would flag, and every run sees the same values.
 */
let seed = 0x5eed;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
function pick(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = UPPER + UPPER.toLowerCase() + DIGITS;
const B64 = ALNUM + '+/';
const b64url = (s: string) => Buffer.from(s).toString('base64url');

/** Scans twice (a stateful /g regex would differ the second time) and returns the first result. */
function scanTwice(det: Detector, text: string): Detection[] {
  const first = det.scan(text, 'output');
  expect(det.scan(text, 'input')).toEqual(first);
  return first;
}

const secrets = createSecretsDetector();

const aws = 'AKIA' + pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16);
const awsSecret = pick(B64, 40);
const gcp = 'AIza' + pick(ALNUM + '_-', 35);
const ghp = 'ghp_' + pick(ALNUM, 36);
const ghFine = 'github_pat_' + pick(ALNUM + '_', 82);
const glpat = 'glpat-' + pick(ALNUM, 20);
const slackBot = `xoxb-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick(ALNUM, 24)}`;
const slackHook = `https://hooks.slack.com/services/T${pick(UPPER, 8)}/B${pick(UPPER, 8)}/${pick(ALNUM, 24)}`;
const stripe = 'sk_live_' + pick(ALNUM, 24);
const openai = `sk-proj-${pick(ALNUM, 74)}T3BlbkFJ${pick(ALNUM, 74)}`;
const anthropic = `sk-ant-api03-${pick(ALNUM + '_-', 93)}AA`;
const npmToken = 'npm_' + pick(ALNUM, 36);
const pypi = 'pypi-AgEIcHlwaS5vcmc' + pick(ALNUM, 70);
const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${pick(ALNUM, 12)}","iat":1700000000}`)}.${pick(ALNUM + '_-', 43)}`;
const pemBody = Array.from({ length: 6 }, () => pick(B64, 64)).join('\n');
const pem = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`;
const ssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody}\n-----END OPENSSH PRIVATE KEY-----`;
const jsonKey = `-----BEGIN PRIVATE KEY-----\\n${pemBody.replace(/\n/g, '\\n')}\\n-----END PRIVATE KEY-----`;
const truncatedKey = `-----BEGIN EC PRIVATE KEY-----\n${pick(B64, 64)}\n${pick(B64, 30)}`;
const azureKey = pick(B64, 86) + '==';
const dbPassword = pick(ALNUM, 18);
const apiKeyValue = pick(ALNUM, 32);
const twilio = 'SK' + pick(HEX, 32);

describe('secrets detector', () => {
  it.each([
    ['aws-access-token', `export AWS_ACCESS_KEY_ID=${aws}`, aws],
    ['aws-secret-access-key', `aws_secret_access_key = ${awsSecret}`, awsSecret],
    ['gcp-api-key', `"apiKey": "${gcp}",`, gcp],
    ['github-pat', `token ${ghp} here`, ghp],
    ['github-fine-grained-pat', `GH_TOKEN=${ghFine}`, ghFine],
    ['gitlab-pat', `(${glpat})`, glpat],
    ['slack-bot-token', `SLACK_BOT_TOKEN: ${slackBot}`, slackBot],
    ['slack-webhook-url', `post to ${slackHook}`, slackHook],
    ['stripe-access-token', `stripe key ${stripe}.`, stripe],
    ['openai-api-key', `OPENAI_API_KEY=${openai}`, openai],
    ['anthropic-api-key', `{"key":"${anthropic}"}`, anthropic],
    ['npm-access-token', `//registry.npmjs.org/:_authToken=${npmToken}`, npmToken],
    ['pypi-upload-token', `password = ${pypi}`, pypi],
    ['twilio-api-key', `twilio ${twilio}`, twilio],
    ['jwt', `Authorization: Bearer ${jwt}`, jwt],
    ['jwt', `the session was ${jwt}.`, jwt],
    ['private-key', `key.pem:\n${pem}\n`, pem],
    ['private-key', `id_ed25519:\n${ssh}`, ssh],
    ['private-key', `{"type": "service_account", "private_key": "${jsonKey}\\n", "client_email": "x"}`, jsonKey],
    ['private-key', `cat key.pem | head\n${truncatedKey}`, truncatedKey],
    ['url-credentials', `DATABASE_URL=postgres://app:${dbPassword}@db.internal:5432/prod`, dbPassword],
    ['url-credentials', `mongodb+srv://admin:${dbPassword}%21@cluster0.mongodb.net/test`, `${dbPassword}%21`],
    ['url-credentials', `redis://:${dbPassword}@cache:6379/0`, dbPassword],
    [
      'azure-storage-account-key',
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${azureKey};EndpointSuffix=core.windows.net`,
      azureKey,
    ],
    ['generic-api-key', `api_key = "${apiKeyValue}"`, apiKeyValue],
    ['generic-api-key', `SECRET=${apiKeyValue}`, apiKeyValue],
    ['generic-api-key', `client_secret: ${apiKeyValue}\n`, apiKeyValue],
    ['generic-password', 'password: Tr0ub4dor&3xQ', 'Tr0ub4dor&3xQ'],
    ['generic-password', 'DB_PASSWORD="c0rrect h0rse battery"', 'c0rrect h0rse battery'],
    ['generic-password', `"userPassword": "${dbPassword}!"`, `${dbPassword}!`],
    [
      'authorization-header',
      `curl -H "Authorization: Basic ${Buffer.from(`alice:${dbPassword}`).toString('base64')}"`,
      Buffer.from(`alice:${dbPassword}`).toString('base64'),
    ],
    [
      'github-pat',
      `zero\u200bwidth ${ghp.slice(0, 10)}\u200b${ghp.slice(10)} inside`,
      `${ghp.slice(0, 10)}\u200b${ghp.slice(10)}`,
    ],
    [
      'github-pat',
      `fullwidth ${[...ghp].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('')}`,
      [...ghp].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join(''),
    ],
  ])('finds %s with exact offsets and a masked excerpt', (id, text, value) => {
    const found = scanTwice(secrets, text);
    expect(found.map((d) => d.rule)).toEqual([`secrets.${id}`]);
    const d = found[0]!;
    expect(d).toMatchObject({ detector: 'secrets', entity: 'SECRET' });
    expect(text.slice(d.start, d.end)).toBe(value);
    expect(d.excerpt).not.toContain(value);
  });

  const png = (() => {
    const raw = Buffer.alloc(64 * 64 * 3 + 64);
    for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(random() * 256);
    return `data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJ${deflateSync(raw).toString('base64')}`;
  })();

  it.each([
    ['a placeholder password', 'password: changeme'],
    ['a password that names itself', 'password: "password123"'],
    ['an env reference', 'token: ${env:GITHUB_TOKEN}'],
    ['a file reference', '"Authorization": "Bearer ${file:~/.secure-mcp-gateway/remote.token}"'],
    ['an angle-bracket placeholder', 'api_key: <your-key-here>'],
    ['x placeholders', 'secret = "xxxxxxxxxxxxxxxx"\nAWS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
    ['a template', 'password: "{{ vault_db_password }}"\ntoken: ${{ secrets.GITHUB_TOKEN }}'],
    ['a default URL login', 'amqp://guest:guest@localhost:5672 and postgres://user:password@localhost/db'],
    ['a documentation URL', 'new URL("https://abc:xyz@example.com/")'],
    ['a host and port', 'http://localhost:8080/path@v2'],
    ['the AWS documentation key', 'AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['a git SHA', `commit ${pick(HEX, 40)}\nMerge: ${pick(HEX, 7)} ${pick(HEX, 7)}`],
    [
      'a UUID',
      `"id": "123e4567-e89b-12d3-a456-426614174000", "requestKey": "${'9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f'}"`,
    ],
    ['an integrity hash', `"integrity": "sha512-${pick(B64, 86)}=="`],
    ['a public key pin', `public key pin-sha256: ${pick(B64, 43)}=`],
    ['a base64 image', png],
    [
      'lorem ipsum',
      'Lorem ipsum dolor sit amet, consectetur adipiscing elit. Access key points: secret garden, token ring.',
    ],
    [
      'ordinary source code',
      [
        'const token = await getToken(req.headers.authorization);',
        'apiKey: process.env.OPENAI_API_KEY,',
        'const secretName = config.secrets.name;',
        'password: string;',
        'function hash(password: BinaryLike, salt: string) {}',
        'pwd = os.getcwd()',
        'PWD: "/Users/maciej"',
        'visitorKeys: visitor_keys_1.visitorKeys };',
        '"password": {"type": "string", "minLength": 8}',
        'if (key === "Enter") handleKeyPress(event);',
        'import { createToken } from "./auth";',
        'const API_VERSION = "2024-06-01";',
      ].join('\n'),
    ],
    [
      'a JSON list of messages',
      '["Remove_unreachable_code", "inaccessible",\n  "Remove_unused_declaration_for_Colon_0_90004"]',
    ],
    [
      'the jwt.io example token',
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    ],
    ['a private key header alone', 'Paste the -----BEGIN PRIVATE KEY----- block here.'],
    ['a host and port before @', 'proxy http://proxy.internal:3128@upstream'],
    [
      'token prefixes inside a base64 run',
      `${pick(B64, 40)}/EAAA${pick(ALNUM, 30)}/${pick(B64, 40)} ${pick(B64, 40)}+SK${pick(HEX, 32)}+${pick(B64, 20)}`,
    ],
    ['short text', 'ghp_'],
  ])('finds nothing in %s', (_name, text) => {
    expect(scanTwice(secrets, text)).toEqual([]);
  });

  it('finds a token prefix that only looks embedded: short runs around it are not base64 blobs', () => {
    const square = 'EAAA' + pick(ALNUM, 30);
    const text = `see https://x.io/${square} and ab+${twilio}`;
    expect(scanTwice(secrets, text).map((d) => text.slice(d.start, d.end))).toEqual([square, twilio]);
  });

  it('falls back to the key body when the END line is not a private key END', () => {
    const text = `-----BEGIN PRIVATE KEY-----\n${pemBody}\n-----END CERTIFICATE-----`;
    const [d] = scanTwice(secrets, text);
    expect(d!.rule).toBe('secrets.private-key');
    expect(d!.start).toBe(0);
    expect(d!.end).toBeGreaterThan(text.indexOf('-----END'));
  });

  it('finds nothing in package-lock.json or the gateway source', () => {
    for (const path of ['../../package-lock.json', './normalize.ts', './pii.ts', './keywords.ts', '../errors.ts']) {
      const text = readFileSync(new URL(path, import.meta.url), 'utf8');
      expect(scanTwice(secrets, text), path).toEqual([]);
    }
  });

  it('finds several secrets in one text, in order, without overlaps', () => {
    const text = `AWS=${aws}\nGITHUB=${ghp}\nDB=postgres://app:${dbPassword}@db/x\n${pem}\napi_token: ${apiKeyValue}`;
    const found = scanTwice(secrets, text);
    expect(found.map((d) => d.rule)).toEqual([
      'secrets.aws-access-token',
      'secrets.github-pat',
      'secrets.url-credentials',
      'secrets.private-key',
      'secrets.generic-api-key',
    ]);
    for (let i = 1; i < found.length; i++) expect(found[i]!.start!).toBeGreaterThanOrEqual(found[i - 1]!.end!);
  });

  it('lets a specific rule win over a generic one on the same value', () => {
    const found = scanTwice(secrets, `GITHUB_TOKEN="${ghp}"`);
    expect(found.map((d) => d.rule)).toEqual(['secrets.github-pat']);
    expect(found[0]!.score).toBeGreaterThan(0.9);
  });

  it('skips disabled rules, with or without the prefix', () => {
    const det = createSecretsDetector({ disable: ['github-pat', 'secrets.generic-api-key'] });
    expect(scanTwice(det, `token ${ghp}`)).toEqual([]);
    expect(scanTwice(det, `api_key = "${apiKeyValue}"`)).toEqual([]);
    expect(scanTwice(det, `AWS=${aws}`)).toHaveLength(1);
  });

  it('never reports what an allow pattern matches', () => {
    const det = createSecretsDetector({ allow: ['^sk_live_', 'AKIA[A-Z2-7]{16}'] });
    expect(scanTwice(det, `stripe ${stripe} aws ${aws}`)).toEqual([]);
    expect(scanTwice(det, `token ${ghp}`)).toHaveLength(1);
  });

  it.each<[string, SecretsOptions]>([
    ['an unknown rule id', { disable: ['github-pta'] }],
    ['an invalid allow pattern', { allow: ['('] }],
  ])('rejects %s as invalid config', (_name, opts) => {
    let error: unknown;
    try {
      createSecretsDetector(opts);
    } catch (e) {
      error = e;
    }
    expect(isGatewayError(error, 'CONFIG_INVALID')).toBe(true);
  });

  it('keeps gitleaks rule ids unique and credits their source', () => {
    expect(new Set(SECRET_RULE_IDS).size).toBe(SECRET_RULE_IDS.length);
    expect(SECRET_RULES.every((r) => (r.pattern === undefined) !== (r.find === undefined))).toBe(true);
    expect(SECRET_RULES.filter((r) => r.source === 'gitleaks').length).toBeGreaterThan(50);
  });

  it('measures Shannon entropy in bits per character', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });

  it('finishes on adversarial text (no catastrophic backtracking)', () => {
    const n = 200_000;
    const inputs = [
      '-----BEGIN PRIVATE KEY-----'.repeat(n / 27),
      'key='.repeat(n / 4),
      'password: password '.repeat(n / 19),
      'postgres://u:'.repeat(n / 13),
      ('eyJ' + 'a'.repeat(20) + '.').repeat(n / 24),
      'secret_token_value = ' + 'x1'.repeat(n / 2),
    ];
    // No wall-clock assertion (unit tests never time themselves): catastrophic backtracking on these inputs runs
    // for minutes, so the test's own timeout catches it; the bench measures the real speed.
    for (const text of inputs) expect(secrets.scan(text, 'output').length).toBeGreaterThanOrEqual(0);
  }, 60_000);
});

const every = (s: string, n: number, sep: string) => s.match(new RegExp(`[^]{1,${n}}`, 'g'))!.join(sep);
const bytesOf = (s: string) => [...Buffer.from(s)];
const hex = (s: string) => Buffer.from(s).toString('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const rev = (s: string) => [...s].reverse().join('');

describe('secrets detector: encoded spellings (issue 15)', () => {
  const tok = 'ghp_' + pick(ALNUM, 36);
  // The classes this detector was tuned on.
  const tuned: [string, string][] = [
    ['hex', hex(tok)],
    ['upper-case hex', hex(tok).toUpperCase()],
    [
      'hex bytes with spaces',
      bytesOf(tok)
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(' '),
    ],
    ['base64', b64(tok)],
    ['base64url', Buffer.from(`t=${tok}?`).toString('base64url')],
    ['base64 twice', b64(b64(tok))],
    [
      'every byte percent-encoded',
      bytesOf(tok)
        .map((b) => `%${b.toString(16).padStart(2, '0')}`)
        .join(''),
    ],
    ['only the underscore percent-encoded', tok.replace('_', '%5F')],
    ['reversed', rev(tok)],
    ['a dash every 4 characters', every(tok, 4, '-')],
    ['a space every 3 characters', every(tok, 3, ' ')],
    ['a line break every 4 characters', every(tok, 4, '\n')],
    ['a dot after every character', every(tok, 1, '.')],
    ['an underscore every 6 characters after key=', `key=${every(tok, 6, '_')}`],
    ['decimal character codes', bytesOf(tok).join(',')],
    [
      '\\x escapes',
      bytesOf(tok)
        .map((b) => `\\x${b.toString(16)}`)
        .join(''),
    ],
    [
      '\\u escapes',
      bytesOf(tok)
        .map((b) => `\\u00${b.toString(16)}`)
        .join(''),
    ],
  ];
  // Held out: written after the detector, never used to tune it.
  const slack = `xoxb-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick(ALNUM, 24)}`;
  const stripeKey = 'sk_live_' + pick(ALNUM, 24);
  const heldOut: [string, string, string][] = [
    ['slack token in base64url', 'slack-bot-token', Buffer.from(slack).toString('base64url')],
    ['stripe key reversed', 'stripe-access-token', rev(stripeKey)],
    ['GitHub token with a pipe every 7', 'github-pat', every(tok, 7, '|')],
    [
      '0x byte list',
      'github-pat',
      bytesOf(tok)
        .map((b) => `0x${b.toString(16)}`)
        .join(', '),
    ],
    [
      'percent-encoded base64 (two layers)',
      'github-pat',
      encodeURIComponent(b64(`token: ${tok}`)).replace(/[A-Za-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`),
    ],
    ['hex of base64 (two layers)', 'github-pat', hex(b64(tok))],
    [
      'HTML entities',
      'github-pat',
      bytesOf(tok)
        .map((b) => `&#${b};`)
        .join(''),
    ],
    [
      'hex with colons',
      'stripe-access-token',
      bytesOf(stripeKey)
        .map((b) => b.toString(16))
        .join(':'),
    ],
    ['space-separated character codes', 'github-pat', bytesOf(tok).join(' ')],
  ];

  it.each(tuned)('finds a GitHub token spelled as %s, with the span of the encoded text', (_name, encoded) => {
    const text = `please send ${encoded} to the service`;
    const found = scanTwice(secrets, text);
    expect(found.map((d) => d.rule)).toEqual(['secrets.github-pat']);
    const d = found[0]!;
    const span = text.slice(d.start, d.end);
    // The span covers the encoded token (for a partial encoding, at least the token part), never the prose around.
    expect(encoded.includes(span) || span.includes(encoded)).toBe(true);
    expect(span.length).toBeGreaterThanOrEqual(tok.length);
    expect(span).not.toMatch(/please|service/);
    expect(d.excerpt).toMatch(/\[encoded: [a-z0-9>-]+\]$/);
    expect(d.excerpt).not.toContain(encoded);
  });

  it.each(heldOut)('finds a held-out spelling: %s', (_name, rule, encoded) => {
    const text = `x ${encoded} y`;
    const found = scanTwice(secrets, text);
    expect(found.map((d) => d.rule)).toContain(`secrets.${rule}`);
    const d = found.find((f) => f.rule === `secrets.${rule}`)!;
    expect(encoded).toContain(text.slice(d.start, d.end).slice(0, 8));
  });

  it('finds a token at the boundary of two values joined without a separator', () => {
    const text = `first value${tok.slice(0, 15)}${tok.slice(15)}second value`;
    const found = scanTwice(secrets, text);
    expect(found.map((d) => d.rule)).toEqual(['secrets.github-pat']);
    expect(text.slice(found[0]!.start, found[0]!.end)).toBe(tok);
  });

  it('finds a low-entropy GitHub or npm token whose checksum is valid, not one whose checksum is wrong', () => {
    const plain = checksummedToken('ghp', 'a'.repeat(15) + 'b'.repeat(15));
    const npm = checksummedToken('npm', '0'.repeat(30));
    expect(scanTwice(secrets, `token ${plain}`).map((d) => d.rule)).toEqual(['secrets.github-pat']);
    expect(scanTwice(secrets, `//registry/:_authToken=${npm}`).map((d) => d.rule)).toEqual([
      'secrets.npm-access-token',
    ]);
    const broken = plain.slice(0, -1) + (plain.endsWith('0') ? '1' : '0');
    expect(scanTwice(secrets, `token ${broken}`)).toEqual([]);
  });

  it('computes CRC-32 as zlib does and checks GitHub checksums', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32Base62Valid(checksummedToken('ghp', pick(ALNUM, 30)))).toBe(true);
    expect(crc32Base62Valid('ghp_' + pick(ALNUM, 36))).toBe(false);
    expect(crc32Base62Valid('ghp_short')).toBe(false);
  });

  const awsKey = 'Ab1' + pick(B64, 37);
  it.each([
    ['a region', `region = eu-west-2\n${awsKey}`],
    ['AWS wording', `here is the AWS secret: ${awsKey}`],
    ['an access key id', `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)} ${awsKey}`],
  ])('finds a bare AWS secret access key next to %s', (_name, text) => {
    const found = scanTwice(secrets, text);
    expect(found.map((d) => d.rule)).toContain('secrets.aws-secret-access-key');
    const d = found.find((f) => f.rule === 'secrets.aws-secret-access-key')!;
    expect(text.slice(d.start, d.end)).toBe(awsKey);
  });

  it('finds one line of a PEM private key body without its header', () => {
    const line = 'MIIEv' + pick(B64, 59);
    for (const text of [line, `key part:\n${line}\nmore`, `{"k": "head\\n${line}\\n${pick(B64, 20)}"}`]) {
      const found = scanTwice(secrets, text);
      expect(found.map((d) => d.rule)).toContain('secrets.private-key-line');
      const d = found.find((f) => f.rule === 'secrets.private-key-line')!;
      expect(text.slice(d.start, d.end)).toHaveLength(64);
    }
  });

  it.each([
    ['English text with dashes', 'A state-of-the-art, well-known, up-to-date and ready-to-use tool-chain.'],
    ['English with three-letter words', 'the cat sat big dog ran far off now and the end was not far off yet'],
    ['a git SHA near AWS words', `deployed to us-east-1 at commit ${pick(HEX, 40)} by aws codebuild`],
    ['a path near AWS words', 'aws s3 cp src/components/HeaderTwo/IndexPage2.tsx s3://bucket/x'],
    ['a UUID list', Array.from({ length: 6 }, () => crypto.randomUUID()).join(', ')],
    ['long hex ids', `sha256:${pick(HEX, 64)}\nid ${pick(HEX, 32)} ${pick(HEX, 48)}`],
    ['a 64-hex line', `${pick(HEX, 64)}\n${pick(HEX, 64)}`],
    ['base64 of ordinary text', b64('Hello there, this is an ordinary message about the weather today.')],
    ['a percent-encoded URL', 'https://example.com/search?q=hello%20world%20and%20more%21&lang=en'],
    ['JSON unicode escapes', '{"name": "Caf\\u00e9 M\\u00fcnchen \\u2013 Stra\\u00dfe"}'],
    ['a list of numbers', 'scores: 45, 67, 89, 34, 56, 78, 90, 12, 99, 101, 65, 66'],
    ['a MAC address', 'ether 00:1a:2b:3c:4d:5e brd ff:ff:ff:ff:ff:ff'],
    ['an SRI hash', `<script integrity="sha384-${pick(B64, 64)}" src="x.js">`],
    [
      'a public certificate',
      `-----BEGIN CERTIFICATE-----\n${Array.from({ length: 4 }, () => pick(B64, 64)).join('\n')}\n-----END CERTIFICATE-----`,
    ],
    ['a phone-like number with dashes', 'call 555-123-4567 or 1-800-555-0199 or 12-34-56-78-90-12'],
    ['a dashed serial', 'serial ABCD-EFGH-IJKL-MNOP-QRST'],
    ['a wrong-checksum regular token', `ghp_${'x'.repeat(36)}`],
  ])('finds nothing encoded in %s', (_name, text) => {
    expect(scanTwice(secrets, text)).toEqual([]);
  });

  it('reports what it could not decode to the end, so the stage denies it', () => {
    const triple = b64(b64(b64(`token ${tok}`)));
    const found = scanTwice(secrets, `x ${triple} y`);
    expect(found.map((d) => d.rule)).toEqual(['secrets.decode-budget-exceeded']);
    expect(found[0]!.excerpt).toMatch(/\[depth budget\]$/);
    const tight = createSecretsDetector({ budget: { maxCandidates: 1 } });
    const two = `${b64('first harmless sentence here')} and ${b64('second harmless sentence here')}`;
    expect(scanTwice(tight, two).map((d) => d.rule)).toEqual(['secrets.decode-budget-exceeded']);
    const small = createSecretsDetector({ budget: { maxInput: 20 } });
    const d = scanTwice(small, 'a text longer than twenty characters');
    expect(d).toMatchObject([{ rule: 'secrets.decode-budget-exceeded', start: 0, end: 36 }]);
  });

  it('reads only the text as it is when decoding is off', () => {
    const off = createSecretsDetector({ decode: false });
    expect(scanTwice(off, hex(tok))).toEqual([]);
    expect(scanTwice(off, tok)).toHaveLength(1);
  });

  it('maps an encoded finding in non-ASCII text back to the original', () => {
    const encoded = b64(tok);
    const text = `café ü ${encoded} ende`;
    const [d] = scanTwice(secrets, text);
    // The token's 40 bytes are 54 base64 characters; the padding after them spells no byte of it.
    expect(text.slice(d!.start, d!.end)).toBe(encoded.slice(0, 54));
  });
});

describe('secrets detector: prefilters never hide a secret in a long text (issue 16 speed)', () => {
  // The prefilters sample long texts every few characters (runs of 12 to 32) and visit only some separators, so a
  // secret is placed at every offset of one period, after prose that has short runs, periodic words and keywords.
  const prose =
    'Notes: the cat and dog ran; a b c, see api docs at https://example.com/a/b. Key points: ask them. ' +
    'aaaa bbbb cccc ddd | e | f | g. Tokens expire. 2024-01-02 12:00:00, 45, 67, 89. ';
  const filler = prose.repeat(40);
  const tok = 'ghp_' + pick(ALNUM, 36);
  const slack = `xoxb-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick(ALNUM, 24)}`;
  const awsKey = 'Ab1' + pick(B64, 37);
  const pemLine = 'MIIEv' + pick(B64, 59);
  const spellings: [string, string, string][] = [
    ['plain', 'github-pat', tok],
    ['base64', 'github-pat', b64(tok)],
    ['base64 twice', 'github-pat', b64(b64(tok))],
    ['hex', 'github-pat', hex(tok)],
    [
      'hex bytes with colons',
      'github-pat',
      bytesOf(tok)
        .map((b) => b.toString(16))
        .join(':'),
    ],
    [
      'percent-encoded',
      'github-pat',
      bytesOf(tok)
        .map((b) => `%${b.toString(16)}`)
        .join(''),
    ],
    ['character codes', 'github-pat', bytesOf(tok).join(', ')],
    ['reversed', 'github-pat', rev(tok)],
    ['a space every 4', 'github-pat', every(tok, 4, ' ')],
    ['a dash every 5', 'github-pat', every(tok, 5, '-')],
    ['a pipe every 3', 'github-pat', every(tok, 3, '|')],
    // Held out: not used while writing the prefilters.
    ['slack token split by semicolons every 6', 'slack-bot-token', every(slack, 6, ';')],
    ['slack token reversed in base64', 'slack-bot-token', b64(rev(slack))],
    ['bare AWS key next to a region', 'aws-secret-access-key', `us-east-1 ${awsKey}`],
    ['PEM line on its own line', 'private-key-line', `\n${pemLine}\n`],
    ['PEM line in a JSON string', 'private-key-line', `"x\\n${pemLine}\\ny"`],
  ];
  const offsets = [0, 1, 7, 11, 12, 13, 16, 17, 20, 23, 24, 31, 32, 33];
  it.each(spellings)('finds a token spelled %s at every offset of a long text', (_name, rule, spelled) => {
    for (const offset of offsets) {
      const text = `${filler.slice(0, 2000 + offset)} "${spelled}" ${filler.slice(0, 1000)}`;
      const found = scanTwice(secrets, text);
      const d = found.find((f) => f.rule === `secrets.${rule}`);
      expect(d, `offset ${offset}`).toBeDefined();
      expect(text.slice(d!.start, d!.end)).not.toMatch(/Notes|cat and dog/);
    }
  });

  it('finds nothing in the long text alone', () => {
    expect(scanTwice(secrets, filler)).toEqual([]);
  });
});
