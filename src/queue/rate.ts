import type { RedisClient } from './connection.js';

/**
 * A global rate shared by every worker process through Redis: `max` takes per `durationMs`, evenly
 * spaced, with a burst of a tenth of that (GCRA: the key holds when the next take is theoretically
 * due, on Redis's clock). Unlike BullMQ's limiter, which spends a token on every job it hands out, a
 * token is taken only for work that needs one (a text that will reach Twilio), so skipped texts cost
 * no time. A take that is refused learns exactly how long to wait.
 */
const TAKE = `
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local due = tonumber(redis.call('GET', KEYS[1]) or now)
if due < now then due = now end
local wait = due + interval - burst - now
if wait > 0 then return math.ceil(wait) end
redis.call('SET', KEYS[1], tostring(due + interval), 'PX', math.ceil(burst + interval) + 1000)
return 0`;

export interface RateLimiter {
  /** Resolves once a token was taken, waiting while the rate is spent. */
  take(): Promise<void>;
}

export function createRateLimiter(
  redis: RedisClient,
  key: string,
  max: number,
  durationMs: number,
): RateLimiter {
  const interval = durationMs / max;
  const burst = Math.max(interval, durationMs / 10);
  return {
    async take() {
      for (;;) {
        const waitMs = Number(await redis.eval(TAKE, 1, key, interval, burst));
        if (waitMs <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    },
  };
}
