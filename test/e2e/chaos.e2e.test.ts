/**
 * Chaos, bounded (issue 9, item 4): the driver of `npm run bench:chaos` (test/helpers/chaos.ts) with 1,500 calls at
 * concurrency 20 through the built gateway, over a steady upstream, one that crashes every 300 calls it receives and
 * one that never answers every 150th. Every request gets exactly one answer, each one ok, a crash or a timeout;
 * the audit log has one call record per call and verifies; the gateway exits 0 and leaves no process behind. RSS
 * and speed are the benchmark's business, not this test's.
 */
import { describe, expect, it } from 'vitest';
import { expectedTimeouts, invariants, runChaos } from '../helpers/chaos.js';

const CALLS = 1500;

describe('chaos', () => {
  it(
    'answers every call exactly once while upstreams crash and hang, audits each and leaves no child',
    { timeout: 180_000 },
    async () => {
      const r = await runChaos({
        calls: CALLS,
        concurrency: 20,
        warmupCalls: 150,
        crashEvery: 300,
        hangEvery: 150,
        // Long enough that no answered call times out on a loaded machine: only the hung ones may.
        hangTimeoutMs: 3000,
      });
      const context = `other answers: ${r.otherSamples.join(' | ')}\n${r.stderr.slice(-3000)}`;
      expect([...r.answersPerRequest.entries()], context).toEqual([[1, CALLS]]);
      expect(r.strayAnswers).toBe(0);
      expect(r.sent).toEqual({ steady: 500, crashy: 500, hangy: 500 });
      expect(r.outcomesByServer.steady).toEqual({ ok: 500, crashed: 0, timeout: 0, other: 0 });
      expect(r.outcomes.other, context).toBe(0);
      // hangy is never restarted (a timeout is not a crash), so it hangs on exactly every 150th of its 500 calls.
      expect(expectedTimeouts(r)).toBe(3);
      expect(r.outcomesByServer.hangy).toEqual({ ok: 497, crashed: 0, timeout: 3, other: 0 });
      // crashy's 300th call kills it once at least; every call it had in flight fails as a crash, none as a timeout.
      expect(r.audit.crashed).toBeGreaterThanOrEqual(1);
      expect(r.audit.restarted).toBe(r.audit.crashed);
      expect(r.outcomesByServer.crashy.crashed).toBeGreaterThanOrEqual(r.audit.crashed);
      expect(r.outcomesByServer.crashy.timeout).toBe(0);
      expect(r.exit).toEqual({ code: 0, signal: null });
      expect(r.childrenSeen).toBeGreaterThanOrEqual(3 + r.audit.restarted);
      expect(r.leftoverChildren).toEqual([]);
      expect(r.audit.callRecords).toBe(CALLS);
      expect(r.audit.verifyOk, r.audit.verifyText).toBe(true);
      expect(invariants(r)).toEqual([]);
    },
  );
});
