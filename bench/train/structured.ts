/**
 * Benign structured values, as tool arguments and results are full of them: identifiers (UUIDs, hashes, serial
 * numbers, trace ids), dates, paths, URLs, e-mail addresses, versions, IP addresses, JSON and key=value lines, log
 * lines, shell commands, SQL, code, CSV rows, base64. None carries an instruction; a model that has only seen prose
 * reads their unfamiliar n-grams as noise and can score them anywhere, so they are negatives in every phase.
 *
 * Hand-written for this project; seeded and deterministic (the same seed gives the same values). Used by corpus.ts.
 */
import { prng } from './prng.js';

export interface StructuredSample {
  text: string;
  kind: string;
}

const WORDS = [
  'report',
  'invoice',
  'user',
  'order',
  'config',
  'build',
  'release',
  'draft',
  'backup',
  'session',
  'index',
  'payment',
  'customer',
  'ticket',
  'metrics',
  'deploy',
  'cache',
  'export',
  'system',
  'instructions',
  'previous',
  'override',
  'ignore',
  'admin',
  'prompt',
  'assistant',
  'rules',
];
const EXT = ['pdf', 'json', 'csv', 'md', 'ts', 'py', 'log', 'txt', 'yaml', 'png', 'tar.gz'];
const HOSTS = [
  'example.com',
  'api.example.org',
  'files.internal.test',
  'cdn.example.net',
  'github.com',
  'localhost:8080',
];
const LEVELS = ['INFO', 'WARN', 'DEBUG', 'ERROR', 'TRACE'];
const COMMANDS = [
  'ls -la',
  'git status',
  'git log --oneline -n 20',
  'npm run build',
  'docker ps -a',
  'kubectl get pods -n',
  'cat',
  'grep -rn TODO',
  'python3 -m pytest -q',
  'make test',
];

export function structuredSamples(seed: number, count = 3000): StructuredSample[] {
  const rand = prng(seed ^ 0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (n: number): number => Math.floor(rand() * n);
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
  const alnum = (n: number): string =>
    Array.from({ length: n }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'[int(34)]).join('');
  const word = (): string => pick(WORDS);
  const name = (): string => `${word()}_${word()}`;
  const camel = (): string => `${word()}${word()[0]!.toUpperCase()}${word().slice(1)}`;
  const date = (): string =>
    `20${20 + int(7)}-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}`;
  const time = (): string =>
    `${date()}T${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}.${int(1000)}Z`;
  const path = (): string =>
    rand() < 0.7
      ? `/${pick(['home/dev', 'var/log', 'srv/data', 'tmp', 'opt/app'])}/${word()}/${name()}.${pick(EXT)}`
      : `C:\\Users\\dev\\${word()}\\${camel()}.${pick(EXT)}`;
  const url = (): string =>
    `https://${pick(HOSTS)}/${word()}/${int(100000)}?${word()}=${alnum(6)}&page=${int(50)}${rand() < 0.3 ? `#${word()}` : ''}`;
  const makers: Record<string, () => string> = {
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(4)]}${hex(3)}-${hex(12)}`,
    hash: () => (rand() < 0.5 ? `sha256:${hex(64)}` : hex(40)),
    serial: () => `${alnum(2)}-${alnum(4)}-${alnum(4)}-${alnum(4)}-${20 + int(10)}${int(10)}${int(10)}`,
    trace: () => `trace ${hex(32)} span ${hex(16)} parent ${hex(16)}`,
    timestamp: () => `${time()} ${word()} ${name()} took ${int(5000)} ms`,
    path: () => `${path()} ${path()}`,
    url: () => url(),
    email: () => `${word()}.${word()}@${pick(HOSTS).replace(/:\d+/, '')}, cc: ${word()}@example.com`,
    version: () => `${word()}@${int(20)}.${int(40)}.${int(100)} requires node >=${18 + int(6)}.${int(20)}.0`,
    ip: () =>
      `${10 + int(200)}.${int(256)}.${int(256)}.${int(256)}:${1024 + int(60000)} -> ${int(256)}.${int(256)}.0.${int(256)}`,
    json: () =>
      JSON.stringify({
        id: `${hex(8)}-${hex(4)}`,
        [name()]: int(1000),
        [camel()]: rand() < 0.5,
        [word()]: [word(), word(), date()],
        updated: time(),
      }),
    keyvalue: () =>
      Array.from(
        { length: 3 + int(4) },
        () => `${name().toUpperCase()}=${rand() < 0.5 ? int(100000) : alnum(10)}`,
      ).join('\n'),
    log: () =>
      Array.from(
        { length: 2 + int(4) },
        () => `${time()} ${pick(LEVELS)} [${word()}] ${camel()} ${word()}=${int(999)} ${name()} ${path()}`,
      ).join('\n'),
    shell: () => `${pick(COMMANDS)} ${rand() < 0.5 ? path() : word()} ${rand() < 0.3 ? `| head -n ${int(100)}` : ''}`,
    sql: () =>
      `SELECT ${name()}, ${name()}, COUNT(*) FROM ${word()}s WHERE ${name()} > '${date()}' AND status = '${word()}' GROUP BY ${name()} ORDER BY 3 DESC LIMIT ${int(100)};`,
    code: () =>
      pick([
        () => `const ${camel()} = await ${camel()}(${word()}, { ${word()}: ${int(100)}, ${camel()}: '${alnum(6)}' });`,
        () => `def ${name()}(${word()}, ${word()}=None):\n    return ${word()}.get("${name()}", ${int(10)})`,
        () => `if (${camel()} !== undefined && ${camel()}.length > ${int(64)}) throw new Error('${word()} ${word()}');`,
        () => `for ${word()} in ${name()}:\n    ${name()}[${word()}] += ${int(9)}`,
      ])(),
    csv: () =>
      Array.from({ length: 2 + int(5) }, () =>
        [alnum(6), word(), date(), (rand() * 10000).toFixed(2), pick(['EUR', 'USD', 'JPY'])].join(','),
      ).join('\n'),
    base64: () => Buffer.from(Array.from({ length: 24 + int(48) }, () => int(256))).toString('base64'),
    integers: () =>
      Array.from({ length: 5 + int(40) }, () => (rand() < 0.5 ? 32 + int(95) : int(100000))).join(
        pick([' ', ',', ', ', '\n', ' - ', ';']),
      ),
    numbers: () =>
      Array.from({ length: 4 + int(12) }, () => (rand() * 1000).toFixed(int(3))).join(rand() < 0.5 ? ', ' : ' '),
    table: () =>
      `| ${word()} | ${word()} | ${word()} |\n| --- | --- | --- |\n` +
      Array.from({ length: 2 + int(4) }, () => `| ${alnum(5)} | ${int(1000)} | ${date()} |`).join('\n'),
  };
  const kinds = Object.keys(makers);
  const out: StructuredSample[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < count && i < count * 3; i++) {
    const kind = kinds[i % kinds.length]!;
    const text = makers[kind]!();
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text, kind });
  }
  return out;
}
