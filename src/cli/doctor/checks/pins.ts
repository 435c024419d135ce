/** doctor: the live tools against the pin lockfile: new, changed, revoked and removed tools per server. */
import { createPinStore } from '../../../integrity/lockfile.js';
import { compareCatalog } from '../../../integrity/lockfile.js';
import { agree, plural } from '../../../util/plural.js';
import type { CheckResult, DoctorCheck } from '../types.js';

export const pinsCheck: DoctorCheck = {
  id: 'pins',
  title: 'tool pins',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l)) return [{ status: 'skip', subject: 'pins', detail: 'the config does not load (see above)' }];
    const lock = await createPinStore({ file: l.loaded.lockfile ?? ctx.paths.lockfile }).read();
    const out: CheckResult[] = [];
    for (const { listed } of await ctx.catalogs()) {
      if (!listed.catalog) continue;
      const s = listed.server;
      const check = compareCatalog(lock, s.name, listed.catalog.tools, s.integrity.mode);
      const by = (st: string) => check.tools.filter((t) => t.status === st).map((t) => t.tool);
      const [fresh, changed, revoked, removed] = [by('new'), by('changed'), by('revoked'), by('removed')];
      const subject = `pins ${s.name}`;
      const list = (names: string[]) =>
        names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
      if (changed.length)
        out.push({
          status: 'fail',
          subject,
          detail: `changed since pinned (blocked): ${list(changed)}`,
          fix: `secure-mcp-gateway tools diff ${s.name}, then tools approve ${s.name}/TOOL if the change is expected`,
        });
      if (fresh.length)
        out.push(
          s.integrity.mode === 'require-approval'
            ? {
                status: 'warn',
                subject,
                detail: `new, hidden until approved: ${list(fresh)}`,
                fix: `secure-mcp-gateway tools approve ${s.name}`,
              }
            : { status: 'ok', subject, detail: `new, pinned on first use: ${list(fresh)}` },
        );
      if (revoked.length) out.push({ status: 'ok', subject, detail: `revoked (blocked): ${list(revoked)}` });
      if (removed.length) out.push({ status: 'ok', subject, detail: `pinned but no longer listed: ${list(removed)}` });
      if (!changed.length && !fresh.length && !revoked.length && !removed.length)
        out.push({
          status: 'ok',
          subject,
          detail: `${plural(check.tools.length, 'tool')} ${agree(check.tools.length, 'matches its pin', 'match their pins')}`,
        });
    }
    return out.length ? out : [{ status: 'skip', subject: 'pins', detail: 'no upstream could be listed' }];
  },
};
