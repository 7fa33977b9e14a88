// The leaky buckets in Redis, shared by every instance: one hash per key, read, refilled and taken
// from by one Lua script, so that concurrent requests on several instances never both spend the
// same points. The script reads Redis's own clock (TIME), so instances whose clocks disagree
// still agree on a bucket's level. A bucket's key expires once it would be full again, which is
// the same as no key at all.
//
// Fail-open: when Redis cannot answer (down, or slower than the command timeout), the request
// goes through unmetered and an error is logged (at most every LOG_EVERY_MS): an outage of the
// rate limiter must not take the API down with it.
import type { Redis } from "ioredis";
import type { Logger } from "../../lib/logger";
import { takeOutcome, throttleStatus, type RateLimiter, type Take, type ThrottleStatus } from "./buckets";

// The same arithmetic as LeakyBuckets, in the same order, on the same doubles (levels are kept
// with 17 significant digits, which round-trip exactly), so both give the same answers.
// KEYS[1] the bucket; ARGV: capacity, restore per second, cost, "take" or "peek", and the time in
// milliseconds ("" for Redis's clock; tests pass their own).
// Answers { 1 granted or 0, the level after taking or the level that was too low }.
const LEAKY_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[5])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local available = capacity
local bucket = redis.call('HMGET', KEYS[1], 'available', 'at')
if bucket[1] then
  available = math.min(capacity, tonumber(bucket[1]) + (now - tonumber(bucket[2])) / 1000 * rate)
end
if ARGV[4] ~= 'take' or cost > available then
  return { 0, string.format('%.17g', available) }
end
available = available - cost
redis.call('HSET', KEYS[1], 'available', string.format('%.17g', available), 'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((capacity - available) * 1000 / rate)))
return { 1, string.format('%.17g', available) }
`;

type Reply = [granted: 0 | 1, available: string];
type WithBucketCommand = Redis & {
  leakyBucket(key: string, capacity: number, rate: number, cost: number, mode: "take" | "peek", now: string): Promise<Reply>;
};

const LOG_EVERY_MS = 10_000;

export class RedisBuckets implements RateLimiter {
  private readonly redis: WithBucketCommand;
  private lastLogged = -Infinity;
  private unmetered = 0;

  constructor(
    redis: Redis,
    readonly capacity: number,
    readonly restorePerSecond: number,
    private readonly logger: Logger,
    /** Milliseconds; tests replace Redis's clock with their own. */
    private readonly clock: (() => number) | null = null,
  ) {
    if (!("leakyBucket" in redis)) redis.defineCommand("leakyBucket", { numberOfKeys: 1, lua: LEAKY_BUCKET_LUA });
    // defineCommand adds the method at run time; this is its signature.
    this.redis = redis as WithBucketCommand;
  }

  async peek(key: string): Promise<ThrottleStatus | null> {
    const reply = await this.call(key, 0, "peek");
    return reply && throttleStatus(this, Number(reply[1]));
  }

  async take(key: string, cost: number): Promise<Take | null> {
    const reply = await this.call(key, cost, "take");
    return reply && takeOutcome(this, reply[0] === 1, cost, Number(reply[1]));
  }

  private async call(key: string, cost: number, mode: "take" | "peek"): Promise<Reply | null> {
    try {
      const now = this.clock ? String(this.clock()) : "";
      return await this.redis.leakyBucket(`ratelimit:${key}`, this.capacity, this.restorePerSecond, cost, mode, now);
    } catch (err) {
      this.unmetered += 1;
      const at = performance.now();
      if (at - this.lastLogged >= LOG_EVERY_MS) {
        this.logger.error({ err, unmetered: this.unmetered }, "rate limit store unreachable: requests go through unmetered");
        this.lastLogged = at;
        this.unmetered = 0;
      }
      return null;
    }
  }
}
