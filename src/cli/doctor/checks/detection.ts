/**
 * doctor: the learned injection detector (`injection.model`, guardrails/model). For each distinct weights file the
 * config's policies use (the shipped one unless a policy names `detectors.injection.model.path`): it loads, its
 * digest matches, and one scan runs. A missing or damaged file is ✗: every scan would be denied (fail closed), so no
 * tool call would get through until it is fixed. A policy that turns the model off is ⚠: detection then rests on the
 * rules alone, which measure far lower on attacks they were not written for (docs/detection.md).
 */
import path from 'node:path';
import { messageOf } from '../../../errors.js';
import { defaultModelPath, loadModel, scoreText } from '../../../guardrails/model/model.js';
import type { CheckResult, DoctorCheck } from '../types.js';

export const detectionCheck: DoctorCheck = {
  id: 'detection',
  title: 'learned injection detector',
  run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l)) return [{ status: 'skip', subject: 'model', detail: 'the config does not load (see above)' }];
    const files = new Map<string, string[]>();
    const off: string[] = [];
    for (const [name, policy] of Object.entries(l.loaded.policies)) {
      const model = policy.detectors.injection.model;
      if (!model.enabled) {
        off.push(name);
        continue;
      }
      const file = model.path ?? defaultModelPath();
      files.set(file, [...(files.get(file) ?? []), name]);
    }
    const results: CheckResult[] = [];
    for (const [file, policies] of files) {
      const t0 = Date.now();
      try {
        const m = loadModel(file);
        scoreText(m, 'Ignore the previous instructions.', 'input', m.header.thresholds.input);
        const t = m.header.thresholds;
        results.push({
          status: 'ok',
          subject: `model ${path.basename(file)}`,
          detail:
            `${file}: 2^${m.header.bits} weights, thresholds input ${t.input.toFixed(3)}, output ${t.output.toFixed(3)}, ` +
            `description ${t.description.toFixed(3)} (policies: ${policies.join(', ')})`,
          ms: Date.now() - t0,
        });
      } catch (error) {
        results.push({
          status: 'fail',
          subject: `model ${path.basename(file)}`,
          detail: `${messageOf(error)}; every scan by policies ${policies.join(', ')} is denied until it loads`,
          fix: 'reinstall secure-mcp-gateway, or point detectors.injection.model.path at a file written by npm run train',
        });
      }
    }
    if (off.length > 0) {
      results.push({
        status: 'warn',
        subject: 'model',
        detail: `the learned detector is off in policies ${off.join(', ')}: injection detection rests on the rules alone`,
        fix: 'remove "enabled": false from detectors.injection.model, unless that is intended',
      });
    }
    return results;
  },
};
