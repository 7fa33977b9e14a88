// Idempotency records in Redis, shared by every instance: one string key per (caller, key) holding
// the record as JSON, with the record's lifetime as the key's expiry. A claim is one
// SET NX GET (Redis 7): it creates the IN_PROGRESS record, or answers the record already there,
// atomically. Completing and releasing change the record only while it is still this request's
// claim (compare-and-set in a script), as the database store's conditional update does: each claim
// carries a random token, so that "this request's claim" is exact.
//
// A claim whose reply is lost (Redis slower than the command timeout) may still have been made.
// The request is refused as having run nothing, so that claim is taken back in the background —
// only that claim, by its token — or a retry would be told "in progress" until the record expired.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { IdempotencyKeyStore, KeyState, StoredResponse } from "./store";
import { IDEMPOTENCY_TTL_MS } from "./store";

type RedisRecord =
  | { requestHash: string; status: "IN_PROGRESS"; token: string }
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

/** Attempts to take back a claim whose reply was lost, and the pause before each. */
const UNCLAIM_PAUSES_MS = [0, 1_000, 2_000, 4_000, 8_000, 16_000];

export class RedisIdempotencyStore implements IdempotencyKeyStore {
  private readonly redis: WithRecordCommands;
  /** The claims this process holds, by record key: what complete and release compare with. */
  private readonly claims = new Map<string, string>();

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
    const claim = claimOf(requestHash);
    let existing: string | null;
    try {
      existing = await this.redis.set(recordKey(key), claim, "PX", this.ttlMs, "NX", "GET");
    } catch (error) {
      void this.takeBack(key, claim);
      throw error;
    }
    const state = stateOf(existing, requestHash);
    if (state) return state;
    this.claims.set(key, claim);
    return { kind: "claimed" };
  }

  /** Deletes `claim` if it was made after all, retrying while Redis does not answer. */
  private async takeBack(key: string, claim: string): Promise<void> {
    for (const pause of UNCLAIM_PAUSES_MS) {
      await sleep(pause);
      try {
        await this.redis.compareAndDelete(recordKey(key), claim);
        return;
      } catch {
        // Still unreachable: try again later; the record expires in the end regardless.
      }
    }
  }

  async peek(key: string, requestHash: string): Promise<KeyState | undefined> {
    return stateOf(await this.redis.get(recordKey(key)), requestHash);
  }

  async complete(key: string, requestHash: string, response: StoredResponse): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim) return;
    this.claims.delete(key);
    const done: RedisRecord = { requestHash, status: "DONE", response };
    await this.redis.compareAndSet(recordKey(key), claim, JSON.stringify(done), this.ttlMs);
  }

  async release(key: string, requestHash: string): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim) return;
    this.claims.delete(key);
    await this.redis.compareAndDelete(recordKey(key), claim);
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

/** A new IN_PROGRESS record's value: unique to this claim, so that a script can compare with it exactly. */
function claimOf(requestHash: string): string {
  const claim: RedisRecord = { requestHash, status: "IN_PROGRESS", token: randomUUID() };
  return JSON.stringify(claim);
}

function stateOf(value: string | null, requestHash: string): KeyState | undefined {
  if (value === null) return undefined;
  const record = JSON.parse(value) as RedisRecord;
  if (record.requestHash !== requestHash) return { kind: "conflict" };
  if (record.status === "DONE") return { kind: "replay", response: record.response };
  return { kind: "inProgress" };
}
