import type { Redis } from 'ioredis';

/**
 * A global rate shared by every worker process through Redis: at most `max` takes per `durationMs`
 * window. Unlike BullMQ's limiter, which spends a token on every job it hands out, a token is taken
 * only for work that needs one (a text that will reach Twilio), so skipped texts cost no time.
 */
const TAKE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n <= tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return ttl`;

export interface RateLimiter {
  /** Resolves once a token was taken, waiting for the next window while the current one is spent. */
  take(): Promise<void>;
}

export function createRateLimiter(redis: Redis, key: string, max: number, durationMs: number): RateLimiter {
  return {
    async take() {
      for (;;) {
        const waitMs = Number(await redis.eval(TAKE, 1, key, max, durationMs));
        if (waitMs <= 0) return;
        // A little spread, so that the waiting jobs do not all ask again at the same instant.
        await new Promise((resolve) => setTimeout(resolve, waitMs + Math.random() * 20));
      }
    },
  };
}
