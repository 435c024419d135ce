/**
 * Writes config/schema.json and the field reference docs/config.md from the zod schema, or with --check fails
 * when either committed file is stale, so that editors' completion, the docs and the runtime check never disagree.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigSchema } from './schema.js';

export function configJsonSchema(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  const out = {
    $schema: schema.$schema,
    $id: 'https://github.com/secure-mcp-gateway/secure-mcp-gateway/config/schema.json',
    title: 'secure-mcp-gateway config',
    ...schema,
  };
  return JSON.stringify(out, null, 2) + '\n';
}

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  propertyNames?: JsonSchema;
};

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array' && s.items) return `${typeOf(s.items)}[]`;
  if (s.type === 'object' && typeof s.additionalProperties === 'object' && !s.properties)
    return `map of ${typeOf(s.additionalProperties)}`;
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function rows(s: JsonSchema, at: string, out: string[]): void {
  for (const [key, child] of Object.entries(s.properties ?? {})) {
    const p = at ? `${at}.${key}` : key;
    const def = child.default === undefined ? '' : `\`${JSON.stringify(child.default)}\``;
    const desc = (child.description ?? '').replace(/\|/g, '\\|');
    out.push(`| \`${p}\` | ${typeOf(child)} | ${def} | ${desc} |`);
    rows(child, p, out);
    if (typeof child.additionalProperties === 'object' && child.additionalProperties.properties)
      rows(child.additionalProperties, `${p}.<name>`, out);
  }
}

export function configDocs(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-7' }) as JsonSchema;
  const out: string[] = [];
  rows(schema, '', out);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run schema`; the build fails when it is stale. Do not edit. -->',
    '',
    'The config file is JSON (default `~/.secure-mcp-gateway/config.json`; `SMG_HOME`, `SMG_CONFIG` and `--config`',
    'move it). Unknown fields are errors. Strings marked as such may hold `${env:NAME}` and `${file:PATH}`',
    'references (`${file:PATH#KEY}` takes one `KEY=value` line of a .env file, as `init` wrote them before the vault),',
    'and `${keychain:NAME}` takes a secret from the credential vault (the OS keychain or the encrypted file; add one',
    'with `secure-mcp-gateway secrets set NAME`, see auth.md). Wherever `${env:…}`/`${file:…}` are allowed below, so is',
    '`${keychain:…}`. `$${` is a literal `${`. `<name>` stands for a key you choose (a server or policy name).',
    '',
    'A reference that cannot be resolved in a server’s own settings (`command`, `args`, `env`, `cwd`, `url`,',
    '`headers`, `roots`, `credentialPaths`, `integrity.publicKey`) makes that server unavailable and the others serve:',
    '`config validate` and `doctor` warn with its JSON path, `gateway.log` records it, and the client sees a log',
    'notification and the `_gateway_status` tool (protocol.md). A missing `integrity.publicKey` is fail-closed for its',
    'server: it never starts unverified. Anywhere else (providers, judges, state, audit, identities, policies) it',
    'refuses the whole config, as invalid JSON or a schema error does.',
    '',
    '| field | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...out,
    '',
  ].join('\n');
}

const here = path.dirname(fileURLToPath(import.meta.url));
const targets = [
  { file: path.join(here, '../../config/schema.json'), make: configJsonSchema },
  { file: path.join(here, '../../docs/config.md'), make: configDocs },
];

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  for (const { file, make } of targets) {
    const fresh = make();
    if (check) {
      const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (current !== fresh) {
        process.stderr.write(
          `${path.relative(process.cwd(), file)} is out of date with src/config/schema.ts: run \`npm run schema\`.\n`,
        );
        process.exit(1);
      }
    } else {
      fs.writeFileSync(file, fresh);
      process.stderr.write(`wrote ${file}\n`);
    }
  }
}
