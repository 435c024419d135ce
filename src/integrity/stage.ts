/**
 * The integrity gate as a request stage, first of every call's parameter checks: a call to a tool that the gate
 * blocked (poisoned, shadowing, changed since it was pinned, new and unapproved, revoked) is denied with the gate's
 * own rule, before any guardrail reads its arguments. A block that a person can lift with `tools approve` is checked
 * once more against the live list first, so an approval made since (in the lockfile or the shared pins) takes effect
 * on the next call. A call that arrives while its server's live list is still being checked (the first call after a
 * warm start: the list it was routed by came from the discovery cache) waits for that check: the live definition,
 * not a cached one, decides. Failure mode: closed (a gate that throws denies).
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RequestStage } from '../pipeline/types.js';
import type { IntegrityBlock } from './gate.js';

/** What the stage asks of the pool that holds the gate's verdicts. */
export interface IntegrityVerdicts {
  /** Why a call to this live definition is refused, if it is. */
  refusal(server: string, tool: Tool): IntegrityBlock | undefined;
  /** Checks the server's live list again now (after an approval) and waits for the verdict. */
  recheck(server: string): Promise<void>;
  /**
   * The check of the server's live list while it is in flight (its verdict is still the cached list's), else
   * undefined: nothing to wait for, which is every call after the first.
   */
  pending?(server: string): Promise<void> | undefined;
}

/** Integrity blocks that a person can lift with `tools approve`. */
const REVIEWABLE = new Set(['integrity.changed', 'integrity.revoked', 'integrity.unapproved']);

export function createIntegrityStage(verdicts: IntegrityVerdicts): RequestStage {
  return {
    name: 'integrity',
    slot: 'parameter-check',
    async check(_call, ctx) {
      const pending = verdicts.pending?.(ctx.server);
      if (pending) await pending;
      let refusal = verdicts.refusal(ctx.server, ctx.tool);
      if (refusal && REVIEWABLE.has(refusal.ruleId)) {
        await verdicts.recheck(ctx.server);
        refusal = verdicts.refusal(ctx.server, ctx.tool);
      }
      return refusal ? { action: 'deny', ruleId: refusal.ruleId, reason: refusal.reason } : { action: 'allow' };
    },
  };
}
