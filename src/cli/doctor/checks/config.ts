/** doctor: the config file exists, is JSON and matches the schema; each problem with its JSON path. */
import fs from 'node:fs';
import { formatPath } from '../../../config/load.js';
import { ConfigSchema } from '../../../config/schema.js';
import type { DoctorCheck } from '../types.js';

export const configCheck: DoctorCheck = {
  id: 'config',
  title: 'config file',
  run(ctx) {
    const file = ctx.paths.config;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      return [
        {
          status: 'fail',
          subject: 'config',
          detail: missing ? `no config at ${file}` : `cannot read ${file}: ${(error as Error).message}`,
          fix: missing ? 'secure-mcp-gateway init' : `check the permissions of ${file}`,
        },
      ];
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return [
        {
          status: 'fail',
          subject: 'config',
          detail: `${file}: not valid JSON: ${(error as Error).message}`,
          fix: `fix the JSON syntax in ${file}`,
        },
      ];
    }
    const parsed = ConfigSchema.safeParse(raw);
    if (parsed.success) {
      const n = Object.keys(parsed.data.servers).length;
      return [{ status: 'ok', subject: 'config', detail: `${file}: valid, ${n} server${n === 1 ? '' : 's'}` }];
    }
    return parsed.error.issues.map((issue) => ({
      status: 'fail' as const,
      subject: 'config',
      detail: `${file} at ${formatPath(issue.path)}: ${issue.message}`,
      fix: `edit ${formatPath(issue.path)} (docs/config.md lists every field)`,
    }));
  },
};
