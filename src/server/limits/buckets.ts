// Leaky buckets of cost points, one per key (a credential), as Shopify's GraphQL rate limit:
// a bucket holds up to `capacity` points, a request takes its cost out, and points flow back at
// `restorePerSecond`. A request that does not fit takes nothing. Kept in this process
// (LeakyBuckets), or in Redis when several instances share the limits (RedisBuckets).

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export type Take =
  | { granted: true; status: ThrottleStatus }
  | { granted: false; status: ThrottleStatus; retryAfterSeconds: number };

export type MaybePromise<T> = T | Promise<T>;

/** Where the buckets are kept. The in-memory store answers synchronously, Redis with a promise. */
export interface RateLimiter {
  readonly capacity: number;
  readonly restorePerSecond: number;
  /** The bucket as it is now, without taking anything; null when the store cannot be reached. */
  peek(key: string): MaybePromise<ThrottleStatus | null>;
  /**
   * Takes `cost` points if the bucket holds them; otherwise takes nothing and says when it will.
   * Null when the store cannot be reached: the request goes through unmetered.
   */
  take(key: string, cost: number): MaybePromise<Take | null>;
}

/** A bucket's level as clients see it. */
export function throttleStatus(limiter: RateLimiter, available: number): ThrottleStatus {
  return {
    maximumAvailable: limiter.capacity,
    currentlyAvailable: Math.floor(available),
    restoreRate: limiter.restorePerSecond,
  };
}

/**
 * The answer to a take: `available` is the level after taking when granted, the level that was
 * too low otherwise.
 */
export function takeOutcome(limiter: RateLimiter, granted: boolean, cost: number, available: number): Take {
  const status = throttleStatus(limiter, available);
  if (granted) return { granted, status };
  return { granted, status, retryAfterSeconds: Math.max(1, Math.ceil((cost - available) / limiter.restorePerSecond)) };
}

interface Bucket {
  available: number;
  at: number;
}

export class LeakyBuckets implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly capacity: number,
    readonly restorePerSecond: number,
    /** Milliseconds; injectable so that tests need no waiting. */
    private readonly clock: () => number = Date.now,
    /** Past this many keys, full buckets (which hold no state worth keeping) are dropped. */
    private readonly maxKeys = 10_000,
  ) {}

  private level(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.capacity;
    return Math.min(this.capacity, bucket.available + ((now - bucket.at) / 1000) * this.restorePerSecond);
  }

  peek(key: string): ThrottleStatus {
    return throttleStatus(this, this.level(key, this.clock()));
  }

  take(key: string, cost: number): Take {
    const now = this.clock();
    const available = this.level(key, now);
    if (cost > available) return takeOutcome(this, false, cost, available);
    if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) this.dropFull(now);
    this.buckets.set(key, { available: available - cost, at: now });
    return takeOutcome(this, true, cost, available - cost);
  }

  private dropFull(now: number): void {
    for (const key of this.buckets.keys()) {
      if (this.level(key, now) >= this.capacity) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
