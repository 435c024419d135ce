/**
 * Parameter check: token-bucket rate limits per gateway identity (issue 4). Two buckets may apply to a call:
 * - the tool's policy `rateLimit`: one bucket per identity, server and tool, keyed `rl:<identity>:<server>:<tool>`;
 * - the server's `rateLimit`: one bucket per identity and server, all its tools together, keyed
 *   `rl:<identity>:<server>`.
 * A call takes one token from each bucket that applies; an exceeded limit is a deny (a tool error) that names the
 * rule (`rate-limit.tool` or `rate-limit.server`) and says when to retry.
 *
 * A denied call spends nothing. The tool bucket is asked first, so a call it denies never touches the server
 * bucket; when the server bucket then denies, the tool token is given back. (With Redis the give-back is a second
 * round trip, so for that moment a concurrent call may see one token fewer: the race errs towards denying, never
 * towards letting more through.) A call that a later stage denies, or that the upstream fails, has spent its
 * tokens: the limit counts calls that passed the checks, and asking the user for approval is one of those.
 *
 * The stage keeps no state of its own; the buckets live in the state store, so the Redis back end shares them
 * across instances. With no limit on the call it returns at once and allocates nothing. Failure mode: closed. A
 * store that throws (the shared Redis store is down or too slow) denies the call with its own rule,
 * `rate-limit.unavailable`, and a reason that names the store, so that nobody mistakes it for an exceeded limit.
 */
import { messageOf } from '../errors.js';
import type { RateLimit } from './config-schema.js';
import type { CallContext, DenyVerdict, RequestStage, ToolCall, Verdict } from '../pipeline/types.js';
import type { StateStore, TokenBucket } from '../state/store.js';

export interface RateLimitStageOptions {
  store: StateStore;
  /** The policy's `rateLimit`: per identity, server and tool, for every tool that uses the policy. */
  policyLimit?: RateLimit;
}

const ALLOW: Verdict<ToolCall> = Object.freeze({ action: 'allow' });

/** The bucket of a configured limit: burst defaults to perMinute rounded up, refilled continuously. */
export function bucketOf(limit: RateLimit): TokenBucket {
  return { capacity: limit.burst ?? Math.ceil(limit.perMinute), refillPerMs: limit.perMinute / 60_000 };
}

/**
 * An identity goes first in the key. Server names cannot hold ":" (config/schema.ts), and so a tool key never
 * reads as another identity's server key, an identity that holds ":" or "%" is percent-encoded.
 */
function keyPart(identity: string): string {
  return identity.includes(':') || identity.includes('%') ? encodeURIComponent(identity) : identity;
}

export function createRateLimitStage(opts: RateLimitStageOptions): RequestStage {
  const { store } = opts;
  const perTool = opts.policyLimit && { limit: opts.policyLimit, bucket: bucketOf(opts.policyLimit) };
  // Server limits arrive with each call's context (one object per server, kept for the process's life).
  const serverBuckets = new WeakMap<RateLimit, TokenBucket>();
  const serverBucket = (limit: RateLimit) => {
    let bucket = serverBuckets.get(limit);
    if (!bucket) serverBuckets.set(limit, (bucket = bucketOf(limit)));
    return bucket;
  };

  async function take(call: ToolCall, ctx: CallContext): Promise<Verdict<ToolCall>> {
    const serverKey = `rl:${keyPart(ctx.identity)}:${call.server}`;
    const toolKey = perTool && `${serverKey}:${call.tool}`;
    if (perTool && toolKey) {
      const taken = await store.takeToken(toolKey, perTool.bucket);
      if (!taken.allowed)
        return deny('rate-limit.tool', perTool.limit, `${call.server} tool ${call.tool}`, taken.retryAfterMs);
    }
    const serverLimit = ctx.serverPolicy.rateLimit;
    if (serverLimit) {
      const taken = await store.takeToken(serverKey, serverBucket(serverLimit));
      if (!taken.allowed) {
        if (perTool && toolKey) await store.returnToken(toolKey, perTool.bucket);
        return deny('rate-limit.server', serverLimit, `server ${call.server}`, taken.retryAfterMs);
      }
    }
    return ALLOW;
  }

  async function takeOrDeny(call: ToolCall, ctx: CallContext): Promise<Verdict<ToolCall>> {
    try {
      return await take(call, ctx);
    } catch (error) {
      return {
        action: 'deny',
        ruleId: 'rate-limit.unavailable',
        reason: `the rate limit of ${call.server} tool ${call.tool} cannot be checked, so the call is denied: ${messageOf(error)}`,
      };
    }
  }

  return {
    name: 'rate-limit',
    slot: 'parameter-check',
    check(call, ctx) {
      return perTool || ctx.serverPolicy.rateLimit ? takeOrDeny(call, ctx) : ALLOW;
    },
  };
}

function deny(ruleId: string, limit: RateLimit, what: string, retryAfterMs: number): DenyVerdict {
  return {
    action: 'deny',
    ruleId,
    reason: `rate limit of ${limit.perMinute} calls per minute for ${what} exceeded; retry in ${retryIn(retryAfterMs)}`,
  };
}

/** Seconds, rounded up so that a retry then succeeds; tenths below ten seconds ("retry in 0.2 s"). */
function retryIn(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${Math.ceil(s * 10) / 10} s` : `${Math.ceil(s)} s`;
}
