// Leaky buckets of cost points, one per key (a credential), as Shopify's GraphQL rate limit:
// a bucket holds up to `capacity` points, a request takes its cost out, and points flow back at
// `restorePerSecond`. A request that does not fit takes nothing.

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export type Take =
  | { granted: true; status: ThrottleStatus }
  | { granted: false; status: ThrottleStatus; retryAfterSeconds: number };

interface Bucket {
  available: number;
  at: number;
}

export class LeakyBuckets {
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

  private status(available: number): ThrottleStatus {
    return {
      maximumAvailable: this.capacity,
      currentlyAvailable: Math.floor(available),
      restoreRate: this.restorePerSecond,
    };
  }

  /** The bucket as it is now, without taking anything. */
  peek(key: string): ThrottleStatus {
    return this.status(this.level(key, this.clock()));
  }

  /** Takes `cost` points if the bucket holds them; otherwise takes nothing and says when it will. */
  take(key: string, cost: number): Take {
    const now = this.clock();
    const available = this.level(key, now);
    if (cost > available) {
      const retryAfterSeconds = Math.max(1, Math.ceil((cost - available) / this.restorePerSecond));
      return { granted: false, status: this.status(available), retryAfterSeconds };
    }
    if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) this.dropFull(now);
    this.buckets.set(key, { available: available - cost, at: now });
    return { granted: true, status: this.status(available - cost) };
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
