/**
 * doctor: launchers that run unreviewed code (issue 17, item 7). An `npx pkg` / `uvx pkg` / `docker run image`
 * without an exact version runs whatever the registry serves at start-up. This check reports exactly what `scan`
 * reports for the gateway's own servers (scan.ts configuredLauncherFindings) and what `scan --clients` reports for
 * client configs (scan-clients.ts scanClients), through those same functions, each as ⚠ with the same message and
 * the same one-line fix: a second implementation would drift, and doctor and scan disagreed before.
 *
 * Failure mode: reads files only (the config, client configs, npm's local cache); a config that does not load skips
 * the gateway's part (the config check says why), and the client part still runs.
 */
import { scanClients } from '../../scan-clients.js';
import { configuredLauncherFindings } from '../../scan.js';
import type { PinLookup } from '../../../integrity/launcher.js';
import type { CheckResult, DoctorCheck } from '../types.js';

export const launchersCheck: DoctorCheck = {
  id: 'launchers',
  title: 'launcher pins',
  async run(ctx) {
    const cache = ctx.env.npm_config_cache;
    const lookup: PinLookup = cache === undefined || cache === '' ? {} : { npmCacheDir: cache };
    const out: CheckResult[] = [];
    const l = ctx.loaded();
    if ('loaded' in l)
      for (const f of await configuredLauncherFindings(l.loaded.servers, lookup))
        out.push({ status: 'warn', subject: `launcher ${f.server ?? ''}`, detail: f.message, fix: f.remediation });
    else
      out.push({
        status: 'skip',
        subject: 'launchers',
        detail: 'the config does not load (see above): the launchers of its servers are not checked',
      });
    const clients = await scanClients(ctx.catalog, 'high', { gatewayConfig: ctx.paths.config, lookup });
    for (const f of clients.findings)
      if (f.ruleId.startsWith('launcher.'))
        out.push({
          status: 'warn',
          subject: `launcher ${f.client}/${f.server ?? ''}`,
          detail: `${f.message} (${f.file} at ${f.where})`,
          fix: f.remediation,
        });
    if (!out.some((r) => r.status === 'warn'))
      out.push({
        status: 'ok',
        subject: 'launchers',
        detail: `no unpinned npx, uvx or docker launcher in ${'loaded' in l ? 'the gateway config or ' : ''}the client configs`,
      });
    return out;
  },
};
