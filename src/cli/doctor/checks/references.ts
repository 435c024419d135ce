/**
 * doctor: every ${env:} and ${file:} reference in the config resolves, each failure with its JSON path in the words
 * of `config validate`. One in a server's settings costs that server only (issue 17), one in an AI provider's costs
 * that provider's deployments (issue 20): a warning; elsewhere the gateway refuses the whole config: a failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatPath, formatProblem, referenceFix } from '../../../config/load.js';
import { RefError, hasRef, resolveRefs } from '../../../config/refs.js';
import type { CheckResult, DoctorCheck } from '../types.js';

function walk(value: unknown, at: (string | number)[], visit: (s: string, at: (string | number)[]) => void): void {
  if (typeof value === 'string') visit(value, at);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, i], visit));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) walk(v, [...at, k], visit);
}

export const referencesCheck: DoctorCheck = {
  id: 'references',
  title: 'secret references',
  run(ctx) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(ctx.paths.config, 'utf8'));
    } catch {
      return [{ status: 'skip', subject: 'references', detail: 'the config cannot be read (see above)' }];
    }
    const out: CheckResult[] = [];
    let count = 0;
    const servers = (raw as { servers?: Record<string, { enabled?: boolean }> }).servers ?? {};
    walk(raw, [], (s, at) => {
      if (!hasRef(s)) return;
      // A disabled server is never started, so its references need not resolve (init imports such servers).
      if (at[0] === 'servers' && servers[at[1] as string]?.enabled === false) return;
      count++;
      try {
        resolveRefs(s, { env: ctx.env, baseDir: path.dirname(ctx.paths.config) });
      } catch (error) {
        if (!(error instanceof RefError)) throw error;
        const problem = { path: formatPath(at), message: error.message };
        out.push({
          // An AI provider's reference costs that provider only (llm/resolve.ts), as a server's costs that server.
          status: at[0] === 'servers' || (at[0] === 'llm' && at[1] === 'providers') ? 'warn' : 'fail',
          subject: 'references',
          detail: formatProblem(problem),
          fix: referenceFix(problem),
        });
      }
    });
    if (out.length === 0)
      out.push({
        status: 'ok',
        subject: 'references',
        detail: `${count} reference${count === 1 ? ' resolves' : 's resolve'}`,
      });
    return out;
  },
};
