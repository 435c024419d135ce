/**
 * doctor: where shared state lives. The memory back end needs nothing. With `state.backend: "redis"` doctor opens
 * the real RedisStore (state/redis.ts, the store `start` and `serve` use, with the config's timeouts) and sends one
 * PING: ✓ with the round trip, or ✗ naming scheme://host:port (never the password or database) and what an outage
 * means for calls (state/create.ts OUTAGE_EFFECTS, shortened). The deadline is the connect timeout plus the command timeout, so the check never hangs.
 */
import { messageOf } from '../../../errors.js';
import { RedisStore, redisWhere } from '../../../state/redis.js';
import type { DoctorCheck } from '../types.js';

export const stateCheck: DoctorCheck = {
  id: 'state',
  title: 'shared state store',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l)) return [{ status: 'skip', subject: 'state', detail: 'the config does not load (see above)' }];
    const state = l.loaded.state;
    if (state.backend === 'memory')
      return [{ status: 'ok', subject: 'state', detail: 'memory (one process): rate limits and pins are per process' }];
    const where = redisWhere(state.url!);
    const t0 = performance.now();
    // ioredis rejects a queued command with "Reached the max retries per request limit"; the connection's own
    // error (ECONNREFUSED, ETIMEDOUT, WRONGPASS …) is what the user can act on.
    let downReason: string | undefined;
    const store = new RedisStore({
      onStatus: (status, reason) => {
        if (status === 'down' && reason !== undefined) downReason = reason;
      },
      url: state.url!,
      keyPrefix: state.keyPrefix,
      connectTimeoutMs: state.connectTimeoutMs,
      commandTimeoutMs: state.commandTimeoutMs,
    });
    const deadlineMs = state.connectTimeoutMs + state.commandTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const rtt = await Promise.race([
        store.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
        }),
      ]);
      return [
        {
          status: 'ok',
          subject: 'state',
          detail: `redis at ${where} connects and answers PING in ${rtt.toFixed(1)} ms (prefix ${state.keyPrefix})`,
          ms: Math.round(performance.now() - t0),
        },
      ];
    } catch (error) {
      // The store's own message already names where; a timeout of ours does not.
      let msg = messageOf(error);
      if (downReason !== undefined && /max retries per request/.test(msg))
        msg = msg.replace(/unavailable: .*$/s, `unavailable: ${downReason}`);
      return [
        {
          status: 'fail',
          subject: 'state',
          detail: msg.includes(where) ? msg : `redis at ${where} is unreachable: ${msg}`,
          fix: `start Redis at ${where} or fix state.url; while it is down, rate-limited calls are denied and pinned tools blocked`,
          ms: Math.round(performance.now() - t0),
        },
      ];
    } finally {
      clearTimeout(timer);
      await store.close();
    }
  },
};
