// Idempotency records in Redis, shared by every instance: one string key per (caller, key) holding
// the record as JSON, with the record's lifetime as the key's expiry. A claim is one
// SET NX GET (Redis 7): it creates the IN_PROGRESS record, or answers the record already there,
// atomically. Completing and releasing change the record only while it is still this request's
// claim (compare-and-set in a script), as the database store's conditional update does.
import type { Redis } from "ioredis";
import type { IdempotencyKeyStore, KeyState, StoredResponse } from "./store";
import { IDEMPOTENCY_TTL_MS } from "./store";

type RedisRecord =
  | { requestHash: string; status: "IN_PROGRESS" }
  | { requestHash: string; status: "DONE"; response: StoredResponse };

// KEYS[1] the record; ARGV: the value it must hold, then the new value and its lifetime in ms.
const COMPARE_AND_SET_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
`;
// KEYS[1] the record; ARGV[1] the value it must hold to be deleted.
const COMPARE_AND_DELETE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
`;

type WithRecordCommands = Redis & {
  compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<null>;
  compareAndDelete(key: string, expected: string): Promise<null>;
};

export class RedisIdempotencyStore implements IdempotencyKeyStore {
  private readonly redis: WithRecordCommands;

  constructor(
    redis: Redis,
    private readonly ttlMs: number = IDEMPOTENCY_TTL_MS,
  ) {
    if (!("compareAndSet" in redis)) redis.defineCommand("compareAndSet", { numberOfKeys: 1, lua: COMPARE_AND_SET_LUA });
    if (!("compareAndDelete" in redis)) redis.defineCommand("compareAndDelete", { numberOfKeys: 1, lua: COMPARE_AND_DELETE_LUA });
    // defineCommand adds the methods at run time; these are their signatures.
    this.redis = redis as WithRecordCommands;
  }

  async claim(key: string, requestHash: string): Promise<KeyState> {
    const existing = await this.redis.set(recordKey(key), claimOf(requestHash), "PX", this.ttlMs, "NX", "GET");
    return stateOf(existing, requestHash) ?? { kind: "claimed" };
  }

  async peek(key: string, requestHash: string): Promise<KeyState | undefined> {
    return stateOf(await this.redis.get(recordKey(key)), requestHash);
  }

  async complete(key: string, requestHash: string, response: StoredResponse): Promise<void> {
    const done: RedisRecord = { requestHash, status: "DONE", response };
    await this.redis.compareAndSet(recordKey(key), claimOf(requestHash), JSON.stringify(done), this.ttlMs);
  }

  async release(key: string, requestHash: string): Promise<void> {
    await this.redis.compareAndDelete(recordKey(key), claimOf(requestHash));
  }

  /** Nothing to do: Redis expires each record by itself. */
  async sweepExpired(): Promise<number> {
    return 0;
  }
}

/** The record key: the scoped key (caller and client key) under the server's key prefix. */
function recordKey(key: string): string {
  return `idempotency:${key}`;
}

/** An IN_PROGRESS record's value, the same text every time, so that a script can compare it. */
function claimOf(requestHash: string): string {
  const claim: RedisRecord = { requestHash, status: "IN_PROGRESS" };
  return JSON.stringify(claim);
}

function stateOf(value: string | null, requestHash: string): KeyState | undefined {
  if (value === null) return undefined;
  const record = JSON.parse(value) as RedisRecord;
  if (record.requestHash !== requestHash) return { kind: "conflict" };
  if (record.status === "DONE") return { kind: "replay", response: record.response };
  return { kind: "inProgress" };
}
