/**
 * Rate limits and token and cost budgets of the Secure AI Proxy (issue 20, `llm.limits`). Three scopes may apply to
 * a request, narrowest first: its gateway key (an SSO user without a key: `sso:<user>`), its user (all their keys
 * and projects), its project (all its users). `users[email]` replaces `user` for that user and `projects[name]`
 * replaces `project` for that project. Each scope's Limit is a requests-per-minute token bucket and up to four
 * budgets: tokens and USD, per UTC day and per UTC month.
 *
 * `admit` runs before the provider is called. It reads every budget that applies first (so a request refused for a
 * spent budget spends no request from a bucket), refusing when one is spent (spent >= limit); when several are, it
 * names the one that renews last, since retrying before then is useless. Then it takes one request from each bucket
 * that applies, key first, and gives back what it took when a later bucket refuses, as policy/rate-limit.ts does
 * (with Redis the give-back is a second round trip: the race errs towards refusing). `charge` runs after the answer
 * and adds its tokens and cost to every day and month counter that applies at that moment.
 *
 * Overshoot is by design, and bounded: a budget is checked when a request starts and charged when it ends, so a
 * request admitted under the budget may end over it, and so may every request in flight when the budget ran out.
 * The excess is at most what those requests used (each bounded by its max tokens); the next request is refused.
 * Counting tokens before the answer exists would need a reservation protocol for little gain.
 *
 * State: the buckets (`llm:rl:<scope>:<id>`) and counters (`llm:<scope>:<id>:<tokens|cost>:<day or month id>`) live
 * in the StateStore, so the Redis back end shares them between instances. A counter expires a little after its
 * period ends (the period id is in its name, so it is never read after). `now` only chooses the day and month; the
 * buckets run on the store's clock. Ids holding ':' or '%' are percent-encoded, so no id reads as another's.
 *
 * Failure mode: closed. A store that throws (Redis down or too slow, a counter that is not a number) refuses the
 * request with `llm.limits.unavailable` (503), so that nobody mistakes it for a spent limit; a failed `charge`
 * rejects for the caller to log (the answer is already out). No reason ever holds a key's secret: keys are named
 * by their id.
 */
import { GatewayError, messageOf } from '../errors.js';
import type { StateStore, TokenBucket } from '../state/store.js';
import type { LlmLimit, LlmLimits } from './config-schema.js';

export interface LlmSubject {
  /** The gateway key's id (never its secret); absent for an SSO user, who is counted as `sso:<user>`. */
  keyId?: string;
  user: string;
  project: string;
}

export type LimitVerdict =
  { ok: true } | { ok: false; ruleId: string; reason: string; retryAfterMs: number; status: 429 | 503 };

export type LlmLimitScope = 'key' | 'user' | 'project';

/** One budget that applies to a subject: what is spent of it in the current period. */
export interface LlmBudgetUsage {
  scope: LlmLimitScope;
  /** The scope's id in the counters' names: the key id (or `sso:<user>`), the user's email, the project. */
  id: string;
  /** How reasons name the scope: `gateway key 0123abcd…`, `user ana@example.com`, `project web`. */
  subject: string;
  measure: 'tokens' | 'cost';
  period: 'day' | 'month';
  /** `2026-12-07` or `2026-12` (UTC). */
  periodId: string;
  spent: number;
  limit: number;
  /** limit − spent, never below 0. */
  left: number;
  /** ISO time (UTC) when the next period starts and the budget renews. */
  renewsAt: string;
}

export interface LlmLimiter {
  /**
   * Before the provider is called: refuses when any budget that applies is already spent, then takes one request
   * from each requestsPerMinute bucket that applies (giving back what it took when a later one refuses).
   */
  admit(subject: LlmSubject, now?: number): Promise<LimitVerdict>;
  /** After the answer: adds the request's tokens (input+output) and cost to every day/month counter that applies. */
  charge(subject: LlmSubject, usage: { tokens: number; costUsd: number }, now?: number): Promise<void>;
  /** What is spent and left of every budget that applies, in the current periods (for doctor, metrics, tests). */
  usage(subject: LlmSubject, now?: number): Promise<LlmBudgetUsage[]>;
}

const OK: LimitVerdict = Object.freeze({ ok: true });

/** What a 503 asks the client to wait: the store is usually back within a second or two (redis.ts probes). */
const UNAVAILABLE_RETRY_MS = 1_000;

/**
 * A counter outlives its period by this much, so that an instance whose clock is a little behind still finds the
 * counter of the period it believes is current, instead of a fresh one.
 */
const COUNTER_GRACE_MS = 10 * 60_000;

interface Budget {
  field: 'tokensPerDay' | 'tokensPerMonth' | 'costPerDayUsd' | 'costPerMonthUsd';
  measure: 'tokens' | 'cost';
  period: 'day' | 'month';
  ruleId: string;
}

const BUDGETS: readonly Budget[] = [
  { field: 'tokensPerDay', measure: 'tokens', period: 'day', ruleId: 'llm.budget.tokens' },
  { field: 'tokensPerMonth', measure: 'tokens', period: 'month', ruleId: 'llm.budget.tokens' },
  { field: 'costPerDayUsd', measure: 'cost', period: 'day', ruleId: 'llm.budget.cost' },
  { field: 'costPerMonthUsd', measure: 'cost', period: 'month', ruleId: 'llm.budget.cost' },
];

interface Scope {
  scope: LlmLimitScope;
  id: string;
  subject: string;
  limit: LlmLimit;
}

/** One budget of one scope in the current period: its counter's key, its limit, and when it renews. */
interface Counter {
  scope: Scope;
  budget: Budget;
  limit: number;
  key: string;
  periodId: string;
  renewsAt: number;
}

/** True when any limit is configured: without one, the proxy needs no limiter (and the store is never asked). */
export function hasLlmLimits(limits: LlmLimits): boolean {
  return (
    limits.key !== undefined ||
    limits.user !== undefined ||
    limits.project !== undefined ||
    Object.keys(limits.users).length > 0 ||
    Object.keys(limits.projects).length > 0
  );
}

export function createLlmLimiter(store: StateStore, limits: LlmLimits): LlmLimiter {
  // Users are matched without regard to case, as identity/authenticate.ts matches them (principals are lowercase).
  const perUser = new Map(Object.entries(limits.users).map(([email, limit]) => [email.toLowerCase(), limit]));
  const perProject = new Map(Object.entries(limits.projects));
  const buckets = new WeakMap<LlmLimit, TokenBucket>();
  const bucketOf = (limit: LlmLimit, perMinute: number): TokenBucket => {
    let bucket = buckets.get(limit);
    if (!bucket) buckets.set(limit, (bucket = { capacity: Math.ceil(perMinute), refillPerMs: perMinute / 60_000 }));
    return bucket;
  };

  function scopesOf(s: LlmSubject): Scope[] {
    const user = s.user.toLowerCase();
    const scopes: Scope[] = [];
    if (limits.key)
      scopes.push(
        s.keyId !== undefined
          ? { scope: 'key', id: s.keyId, subject: `gateway key ${s.keyId}`, limit: limits.key }
          : { scope: 'key', id: `sso:${user}`, subject: `user ${user} (signed in without a key)`, limit: limits.key },
      );
    const userLimit = perUser.get(user) ?? limits.user;
    if (userLimit) scopes.push({ scope: 'user', id: user, subject: `user ${user}`, limit: userLimit });
    const projectLimit = perProject.get(s.project) ?? limits.project;
    if (projectLimit)
      scopes.push({ scope: 'project', id: s.project, subject: `project ${s.project}`, limit: projectLimit });
    return scopes;
  }

  function countersOf(scopes: readonly Scope[], now: number): Counter[] {
    const periods = { day: periodOf('day', now), month: periodOf('month', now) };
    const counters: Counter[] = [];
    for (const scope of scopes)
      for (const budget of BUDGETS) {
        const limit = scope.limit[budget.field];
        if (limit === undefined) continue;
        const period = periods[budget.period];
        counters.push({
          scope,
          budget,
          limit,
          key: `llm:${scope.scope}:${keyPart(scope.id)}:${budget.measure}:${period.id}`,
          periodId: period.id,
          renewsAt: period.end,
        });
      }
    return counters;
  }

  async function spentOf(counters: readonly Counter[]): Promise<number[]> {
    return Promise.all(
      counters.map(async (c) => {
        const held = await store.get(c.key);
        if (held === undefined) return 0;
        const spent = Number(held);
        if (held.trim() === '' || !Number.isFinite(spent))
          throw new GatewayError('INTERNAL', `the counter ${c.key} holds ${JSON.stringify(held)}, not a number`);
        return spent;
      }),
    );
  }

  async function admitOrThrow(
    scopes: readonly Scope[],
    now: number,
    taken: [string, TokenBucket][],
  ): Promise<LimitVerdict> {
    const counters = countersOf(scopes, now);
    const spent = await spentOf(counters);
    let refusal: Counter | undefined;
    let refusalSpent = 0;
    counters.forEach((c, i) => {
      const s = spent[i]!;
      // The budget that renews last: a retry before then would be refused again.
      if (s >= c.limit && (refusal === undefined || c.renewsAt > refusal.renewsAt)) {
        refusal = c;
        refusalSpent = s;
      }
    });
    if (refusal) return budgetSpent(refusal, refusalSpent, now);
    for (const scope of scopes) {
      const perMinute = scope.limit.requestsPerMinute;
      if (perMinute === undefined) continue;
      const key = `llm:rl:${scope.scope}:${keyPart(scope.id)}`;
      const bucket = bucketOf(scope.limit, perMinute);
      const take = await store.takeToken(key, bucket);
      if (!take.allowed) {
        await giveBack(taken);
        return {
          ok: false,
          ruleId: 'llm.rate-limit',
          reason: `the rate limit of ${perMinute} requests per minute for ${scope.subject} is exceeded; retry in ${retryIn(take.retryAfterMs)}`,
          retryAfterMs: take.retryAfterMs,
          status: 429,
        };
      }
      taken.push([key, bucket]);
    }
    return OK;
  }

  /** Best effort: a token that cannot be given back is lost, which errs towards refusing. */
  async function giveBack(taken: readonly [string, TokenBucket][]): Promise<void> {
    await Promise.allSettled(taken.map(([key, bucket]) => store.returnToken(key, bucket)));
  }

  return {
    async admit(subject, now = Date.now()) {
      const scopes = scopesOf(subject);
      if (scopes.length === 0) return OK;
      const taken: [string, TokenBucket][] = [];
      try {
        return await admitOrThrow(scopes, now, taken);
      } catch (error) {
        await giveBack(taken);
        return {
          ok: false,
          ruleId: 'llm.limits.unavailable',
          reason: `the limits of ${scopes.map((s) => s.subject).join(', ')} cannot be checked, so the request is refused: ${messageOf(error)}`,
          retryAfterMs: UNAVAILABLE_RETRY_MS,
          status: 503,
        };
      }
    },

    async charge(subject, usage, now = Date.now()) {
      for (const [name, value] of [
        ['tokens', usage.tokens],
        ['costUsd', usage.costUsd],
      ] as const)
        if (!Number.isFinite(value) || value < 0)
          throw new RangeError(`usage.${name} must be a finite number >= 0, got ${value}`);
      const scopes = scopesOf(subject);
      const adds = countersOf(scopes, now).flatMap((c) => {
        const delta = c.budget.measure === 'tokens' ? usage.tokens : usage.costUsd;
        return delta > 0 ? [store.addCounter(c.key, delta, c.renewsAt - now + COUNTER_GRACE_MS)] : [];
      });
      // Every add is tried, so that one failing counter does not leave the others uncounted too.
      const failed = (await Promise.allSettled(adds)).find((r) => r.status === 'rejected');
      if (failed)
        throw new GatewayError(
          'INTERNAL',
          `the usage of ${scopes.map((s) => s.subject).join(', ')} could not all be counted: ${messageOf(failed.reason)}`,
          { cause: failed.reason },
        );
    },

    async usage(subject, now = Date.now()) {
      const counters = countersOf(scopesOf(subject), now);
      const spent = await spentOf(counters);
      return counters.map((c, i) => ({
        scope: c.scope.scope,
        id: c.scope.id,
        subject: c.scope.subject,
        measure: c.budget.measure,
        period: c.budget.period,
        periodId: c.periodId,
        spent: spent[i]!,
        limit: c.limit,
        left: Math.max(0, c.limit - spent[i]!),
        renewsAt: new Date(c.renewsAt).toISOString(),
      }));
    },
  };
}

function budgetSpent(c: Counter, spent: number, now: number): LimitVerdict {
  const { measure, period } = c.budget;
  const amount = (n: number) => (measure === 'tokens' ? `${n} tokens` : `$${Number(n.toFixed(4))}`);
  return {
    ok: false,
    ruleId: c.budget.ruleId,
    reason:
      `the ${measure === 'tokens' ? 'token' : 'cost'} budget of ${amount(c.limit)} per UTC ${period} for ` +
      `${c.scope.subject} is spent (${amount(spent)} used in ${c.periodId}); retry after ` +
      `${new Date(c.renewsAt).toISOString().replace('.000Z', 'Z')}`,
    retryAfterMs: c.renewsAt - now,
    status: 429,
  };
}

/** The UTC day or month that holds `now`: its id and the millisecond it ends (the next one's start). */
export function periodOf(period: 'day' | 'month', now: number): { id: string; end: number } {
  const d = new Date(now);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  // Date.UTC carries an overflowing day or month into the next month or year.
  return period === 'day'
    ? { id: d.toISOString().slice(0, 10), end: Date.UTC(y, m, day + 1) }
    : { id: d.toISOString().slice(0, 7), end: Date.UTC(y, m + 1, 1) };
}

/** As in policy/rate-limit.ts: an id that holds ':' or '%' is percent-encoded, so no key reads as another's. */
function keyPart(id: string): string {
  return id.includes(':') || id.includes('%') ? encodeURIComponent(id) : id;
}

/** Seconds, rounded up so that a retry then succeeds; tenths below ten seconds ("retry in 0.2 s"). */
function retryIn(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${Math.ceil(s * 10) / 10} s` : `${Math.ceil(s)} s`;
}
