/**
 * Runs stages in order. The first enforced deny stops the run; a modify feeds its value to the next stage; a stage
 * that throws denies (rule `<stage>.failed`) unless its failure mode is `open`; a stage that ran out of its budget
 * denies with `guard.budget-exceeded` in every mode; a shadow stage's deny is recorded and ignored. Every stage
 * leaves one StageRecord.
 */
import { messageOf } from '../errors.js';
import { BudgetExceededError } from '../util/json-strings.js';
import type { CallContext, DenyVerdict, Stage, StageRecord, Verdict } from './types.js';

export interface RunResult<T> {
  value: T;
  denied?: DenyVerdict & { stage: Stage<T> };
  trail: StageRecord[];
}

export async function runStages<T>(stages: readonly Stage<T>[], input: T, ctx: CallContext): Promise<RunResult<T>> {
  const trail: StageRecord[] = [];
  let value = input;
  for (const stage of stages) {
    const started = performance.now();
    let verdict: Verdict<T>;
    try {
      // Most stages answer synchronously: awaiting only a promise saves a microtask hop per stage per call.
      const v = stage.check(value, ctx);
      verdict = v instanceof Promise ? await v : v;
    } catch (error) {
      // A guard that ran out of its budget could not read all of the message: that is a deny of its own, whatever
      // the stage's failure mode, because an attacker chooses how deep and how large a message is.
      const budget = error instanceof BudgetExceededError;
      verdict = budget
        ? {
            action: 'deny',
            ruleId: error.ruleId,
            reason: `${stage.name}: ${error.message}; the guard could not finish`,
          }
        : { action: 'deny', ruleId: `${stage.name}.failed`, reason: `stage ${stage.name} failed: ${messageOf(error)}` };
      if (stage.failureMode === 'open' && !budget) {
        trail.push(record(stage, verdict, started, 'error', false));
        continue;
      }
      trail.push(record(stage, verdict, started, 'error', true));
      return { value, denied: { ...verdict, stage }, trail };
    }
    const enforced = verdict.action !== 'deny' || stage.mode !== 'shadow';
    trail.push(record(stage, verdict, started, verdict.action, enforced));
    if (verdict.action === 'modify') value = verdict.value;
    else if (verdict.action === 'deny' && enforced) return { value, denied: { ...verdict, stage }, trail };
  }
  return { value, trail };
}

function record<T>(stage: Stage<T>, v: Verdict<T>, started: number, action: StageRecord['action'], enforced: boolean) {
  const out: StageRecord = { stage: stage.name, slot: stage.slot, action, enforced, ms: performance.now() - started };
  if (v.action === 'deny') {
    out.ruleId = v.ruleId;
    out.reason = v.reason;
  } else if (v.action === 'modify') out.reason = v.reason;
  if (v.detections?.length) out.detections = v.detections;
  return out;
}
