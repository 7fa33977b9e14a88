// The server's one Redis connection when REDIS_URL is set: rate-limit buckets and idempotency
// records live there, so that every instance behind a load balancer sees the same ones.
//
// An outage must not hold requests: commands are not queued while the connection is down
// (enableOfflineQueue: false) and time out after COMMAND_TIMEOUT_MS, so each caller learns at once
// and decides what the outage means for it (rate limits let requests through; idempotent
// mutations are refused). ioredis keeps reconnecting in the background.
import { Redis } from "ioredis";
import type { Config } from "../config";
import { logOutages, type Logger } from "../lib/logger";

const COMMAND_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 5000;

/** A server's connection, with the logger its users report outages to. */
export interface RedisConnection {
  redis: Redis;
  logger: Logger;
}

// The connection of each running server, by its Config (each start loads its own), for the
// pieces that are built from the config alone (the limits' guards).
const connections = new WeakMap<Config, RedisConnection>();

/**
 * Opens the connection REDIS_URL names, or null when it is unset. A Redis that cannot be reached
 * does not stop the start: the error is logged and the connection retried.
 */
export async function connectRedis(config: Config, logger: Logger): Promise<Redis | null> {
  if (!config.REDIS_URL) return null;
  const redis = new Redis(config.REDIS_URL, {
    keyPrefix: config.REDIS_KEY_PREFIX,
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
  });
  logOutages(redis, logger, "redis", "rate limits are not enforced and mutations with Idempotency-Key are refused until it is back");
  try {
    await redis.connect();
  } catch {
    // Logged by the error listener; ioredis keeps trying.
  }
  connections.set(config, { redis, logger });
  return redis;
}

/** The connection connectRedis opened for this server, if any. */
export function redisOf(config: Config): RedisConnection | undefined {
  return connections.get(config);
}

/** Waits for replies still due, then closes; a connection that is down is just dropped. */
export async function closeRedis(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
