/**
 * doctor: each configured judge endpoint answers GET <baseUrl>/models with its credentials and lists its model
 * (guardrails/judge/client.ts `probeJudges`, all at once, each with the probe's short timeout). A judge that fails
 * here blocks every call its policy judges (judges fail closed unless the policy says otherwise), so it is ✗.
 * A judge no policy uses is still probed: a policy may be pointed at it by the next edit.
 */
import { probeJudges } from '../../../guardrails/judge/client.js';
import type { CheckResult, DoctorCheck } from '../types.js';

export const judgesCheck: DoctorCheck = {
  id: 'judges',
  title: 'judge endpoints',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l))
      return [{ status: 'skip', subject: 'judges', detail: 'the config does not load (see above)' }];
    const judges = l.loaded.judges;
    if (Object.keys(judges).length === 0)
      return [{ status: 'ok', subject: 'judges', detail: 'none configured (no policy asks a model)' }];
    const t0 = performance.now();
    const results = await probeJudges(judges);
    const ms = Math.round(performance.now() - t0);
    return results.map((r): CheckResult =>
      r.ok
        ? { status: 'ok', subject: `judge ${r.name}`, detail: r.detail, ms }
        : {
            status: 'fail',
            subject: `judge ${r.name}`,
            detail: r.detail,
            fix: /refused the credentials/.test(r.detail)
              ? `check judges.${r.name}.apiKey`
              : /does not list the model/.test(r.detail)
                ? `set judges.${r.name}.model to a listed model, or pull it on the server`
                : `start the model server or fix judges.${r.name}.baseUrl; until it answers, the calls it judges are blocked`,
            ms,
          },
    );
  },
};
