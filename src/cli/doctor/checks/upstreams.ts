/**
 * doctor: each enabled upstream starts (or connects) and lists its tools, with the time it took. A server left out
 * of the config (an unresolvable reference) is not started: a warning that says why, as `config validate` does.
 */
import { formatProblem, referenceFix } from '../../../config/load.js';
import type { CheckResult, DoctorCheck } from '../types.js';
import { plural } from '../../../util/plural.js';

export const upstreamsCheck: DoctorCheck = {
  id: 'upstreams',
  title: 'upstream servers',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l))
      return [{ status: 'skip', subject: 'upstreams', detail: 'the config does not load (see above)' }];
    const listed = await ctx.catalogs();
    const unavailable = l.loaded.unavailable.map((u): CheckResult => ({
      status: 'warn',
      subject: `upstream ${u.name}`,
      detail: `not started: ${u.problems.map(formatProblem).join('; ')}`,
      ...(u.problems[0] ? { fix: referenceFix(u.problems[0]) } : {}),
    }));
    if (listed.length === 0 && unavailable.length > 0) return unavailable;
    if (listed.length === 0)
      return [
        {
          status: 'warn',
          subject: 'upstreams',
          detail: 'no enabled servers',
          fix: 'secure-mcp-gateway init imports your clients’ servers',
        },
      ];
    const started = listed.map(({ listed: x, ms }): CheckResult => {
      const s = x.server;
      // As written in the config, references unresolved: the fix line must not print a secret.
      const how = s.kind === 'stdio' ? [s.config.command, ...(s.config.args ?? [])].join(' ') : (s.config.url ?? '');
      return x.catalog
        ? { status: 'ok' as const, subject: `upstream ${s.name}`, detail: plural(x.catalog.tools.length, 'tool'), ms }
        : {
            status: 'fail' as const,
            subject: `upstream ${s.name}`,
            detail: x.error,
            fix:
              s.kind === 'stdio'
                ? `run it by hand to see why: ${how}`
                : `check that ${how} is up and the headers are right`,
            ms,
          };
    });
    return [...started, ...unavailable];
  },
};
