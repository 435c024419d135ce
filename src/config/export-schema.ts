/**
 * Writes config/schema.json from the zod schema, or with --check fails when the committed file is stale, so that
 * editors' completion and the runtime check can never disagree.
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

const target = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../config/schema.json');

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const fresh = configJsonSchema();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== fresh) {
      process.stderr.write('config/schema.json is out of date with src/config/schema.ts: run `npm run schema`.\n');
      process.exit(1);
    }
  } else {
    fs.writeFileSync(target, fresh);
    process.stderr.write(`wrote ${target}\n`);
  }
}
