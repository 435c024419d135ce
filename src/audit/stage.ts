/**
 * `audit.required` as a request stage, the first of every call: when the audit log cannot be written, no call runs
 * unaudited; it is denied with `audit.unavailable` and the reason (disk full, log disabled). A log that failed is
 * probed again on the spot (at most once a second), so a freed disk lets calls through. Without `audit.required`
 * the stage always allows. Failure mode: closed.
 */
import type { RequestStage } from '../pipeline/types.js';
import type { AuditSink } from './sink.js';

export function createAuditRequiredStage(sink: Pick<AuditSink, 'refusal'>): RequestStage {
  return {
    name: 'audit',
    slot: 'parameter-check',
    check() {
      return sink.refusal() ?? { action: 'allow' };
    },
  };
}
