// Idempotency records: one per (caller, key), in the database (IdempotencyStore) or, when several
// instances share them, in Redis (RedisIdempotencyStore). A request claims its key (an
// IN_PROGRESS record), then either completes it with the response (DONE) or releases it (deletes
// it) when nothing ran.
//
// In the database, claims go through the write transaction queue, so two requests can never both
// claim one key; waiting for a claim to finish reads the committed state only.
import { and, eq, lte } from "drizzle-orm";
import type { Database } from "../../db/client";
import { changedRows, first } from "../../db/query";
import { idempotencyRecords, type IdempotencyRecordRow } from "../../db/schema";
import { now } from "../../lib/clock";

/** How long a record is kept after its response: retries within this window are replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  httpStatus: number;
  /** The response body as JSON text. */
  body: string;
}

/** Where a request stands with its key. */
export type KeyState =
  /** This request holds the key now: run it, then complete or release. */
  | { kind: "claimed" }
  /** The same request finished before: answer its response again. */
  | { kind: "replay"; response: StoredResponse }
  /** The key belongs to another request (another query, operation name or variables). */
  | { kind: "conflict" }
  /** The same request is still running elsewhere. */
  | { kind: "inProgress" };

/** What the idempotency plugin needs of a store; both keep records for `ttlMs` after their claim or response. */
export interface IdempotencyKeyStore {
  /** Claims `key` for the request hashed `requestHash`, or says why it cannot. */
  claim(key: string, requestHash: string): Promise<KeyState>;
  /**
   * The current state of `key` for this request, without claiming it; undefined when there is
   * no live record (never claimed, released, or expired).
   */
  peek(key: string, requestHash: string): KeyState | undefined | Promise<KeyState | undefined>;
  complete(key: string, requestHash: string, response: StoredResponse): Promise<void>;
  release(key: string, requestHash: string): Promise<void>;
  /** Deletes every expired record; returns how many. */
  sweepExpired(): Promise<number>;
}

export class IdempotencyStore implements IdempotencyKeyStore {
  constructor(
    private readonly db: Database,
    private readonly ttlMs: number = IDEMPOTENCY_TTL_MS,
  ) {}

  claim(key: string, requestHash: string): Promise<KeyState> {
    return this.db.transaction(async (tx) => {
      const at = now();
      const row = await first(tx.select().from(idempotencyRecords).where(eq(idempotencyRecords.key, key)));
      const state = stateOf(row, requestHash, at);
      if (state) return state;
      // Lazy cleanup: an expired record no longer counts and makes way for the new claim.
      if (row) await tx.delete(idempotencyRecords).where(eq(idempotencyRecords.key, key));
      await tx.insert(idempotencyRecords).values({ key, requestHash, status: "IN_PROGRESS", createdAt: at, expiresAt: this.expiry(at) });
      return { kind: "claimed" } as const;
    });
  }

  /** The committed state (see IdempotencyKeyStore). */
  async peek(key: string, requestHash: string): Promise<KeyState | undefined> {
    const row = await first(this.db.read.select().from(idempotencyRecords).where(eq(idempotencyRecords.key, key)));
    return stateOf(row, requestHash, now());
  }

  complete(key: string, requestHash: string, response: StoredResponse): Promise<void> {
    return this.db.transaction(async (tx) => {
      const at = now();
      await tx
        .update(idempotencyRecords)
        .set({ status: "DONE", response: response.body, httpStatus: response.httpStatus, expiresAt: this.expiry(at) })
        .where(ownClaim(key, requestHash));
    });
  }

  release(key: string, requestHash: string): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.delete(idempotencyRecords).where(ownClaim(key, requestHash));
    });
  }

  sweepExpired(): Promise<number> {
    return this.db.transaction((tx) => changedRows(tx.delete(idempotencyRecords).where(lte(idempotencyRecords.expiresAt, now()))));
  }

  private expiry(at: string): string {
    return new Date(Date.parse(at) + this.ttlMs).toISOString();
  }
}

function stateOf(row: IdempotencyRecordRow | undefined, requestHash: string, at: string): KeyState | undefined {
  if (!row || row.expiresAt <= at) return undefined;
  if (row.requestHash !== requestHash) return { kind: "conflict" };
  if (row.status === "DONE" && row.response !== null) {
    return { kind: "replay", response: { httpStatus: row.httpStatus ?? 200, body: row.response } };
  }
  return { kind: "inProgress" };
}

function ownClaim(key: string, requestHash: string) {
  return and(
    eq(idempotencyRecords.key, key),
    eq(idempotencyRecords.requestHash, requestHash),
    eq(idempotencyRecords.status, "IN_PROGRESS"),
  );
}
