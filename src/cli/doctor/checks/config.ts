/**
 * doctor: the config loads exactly as `start` loads it (JSON, schema, references, policies), each problem with its
 * JSON path in the words of `config validate` (config/load.ts formatProblem). A server left out because a reference
 * in its settings cannot be resolved is a warning with its fix: the other servers serve (issue 17).
 */
import {
  describeUnavailable,
  formatProblem,
  loadConfig,
  problemsOf,
  referenceFix,
  type LoadedConfig,
} from '../../../config/load.js';
import { GatewayError, messageOf } from '../../../errors.js';
import type { CheckResult, DoctorCheck } from '../types.js';

export const configCheck: DoctorCheck = {
  id: 'config',
  title: 'config file',
  run(ctx) {
    const file = ctx.paths.config;
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(file, ctx.env);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'CONFIG_MISSING')
        return [{ status: 'fail', subject: 'config', detail: `no config at ${file}`, fix: 'secure-mcp-gateway init' }];
      const problems = problemsOf(error);
      if (problems === undefined)
        return [
          {
            status: 'fail',
            subject: 'config',
            detail: messageOf(error),
            fix: /not valid JSON/.test(messageOf(error))
              ? `fix the JSON syntax in ${file}`
              : `check the permissions of ${file}`,
          },
        ];
      return problems.map((p) => ({
        status: 'fail' as const,
        subject: 'config',
        detail: `${file}: ${formatProblem(p)}`,
        fix: `edit ${p.path} (docs/config.md lists every field)`,
      }));
    }
    const n = Object.keys(loaded.config.servers).length;
    const out: CheckResult[] = [
      { status: 'ok', subject: 'config', detail: `${file}: valid, ${n} server${n === 1 ? '' : 's'}` },
    ];
    for (const u of loaded.unavailable)
      out.push({
        status: 'warn',
        subject: 'config',
        detail: describeUnavailable(u),
        ...(u.problems[0] ? { fix: referenceFix(u.problems[0]) } : {}),
      });
    return out;
  },
};
