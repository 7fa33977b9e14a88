// Idempotency-Key on mutation requests. The first response is kept for 24 h and replayed (same
// status and body, plus `Idempotent-Replayed: true`) to a retry with the same key and the same
// request; the same key with another request runs nothing and answers IDEMPOTENCY_CONFLICT in
// each mutation's userErrors. Keys belong to the caller's credential.
//
// Decisions:
// - Queries (and anything but a mutation) ignore the header, as Stripe's GETs do: they change
//   nothing, so a retry is already safe, storing them would replay stale data, and client
//   libraries often put the header on every request.
// - A duplicate arriving while the first request still runs waits for it (up to 10 s), then
//   replays its response; past that it gets IDEMPOTENCY_KEY_IN_USE (HTTP 409, Retry-After).
// - The response is stored only when the mutation may have changed something. When it provably
//   did not (the first root field failed, e.g. with an unexpected error, so its transaction rolled
//   back; bad variables; another plugin answered) the claim is released and a retry runs afresh;
//   see mayHaveTakenEffect.
// - Batched requests with the header are refused: one key names one request.
// - A request that dies between claiming and storing (process crash) leaves its claim until it
//   expires: retries get IDEMPOTENCY_KEY_IN_USE rather than risking a second run.
// - Records are kept in the database, or in Redis when REDIS_URL is set (several instances). When
//   the store cannot be reached, the mutation is refused (503 IDEMPOTENCY_UNAVAILABLE,
//   Retry-After) without running: running it unguarded could run it twice.
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from "@apollo/server";
import { GraphQLError } from "graphql";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { Context } from "../resolvers/context";
import type { AppDeps } from "./context";
import { isValidKey, mayHaveTakenEffect, requestHash, scopedKey } from "./idempotency/request";
import { RedisIdempotencyStore } from "./idempotency/redis-store";
import { IdempotencyStore, IDEMPOTENCY_TTL_MS, type IdempotencyKeyStore, type KeyState, type StoredResponse } from "./idempotency/store";
import { redisOf } from "./redis";

export { IdempotencyStore, IDEMPOTENCY_TTL_MS, type IdempotencyKeyStore } from "./idempotency/store";
export { RedisIdempotencyStore } from "./idempotency/redis-store";
export { requestHash, scopedKey } from "./idempotency/request";

const KEY_HEADER = "idempotency-key";
const REPLAYED_HEADER = "idempotent-replayed";

export interface IdempotencyOptions {
  /** How long a response is replayed. */
  ttlMs?: number;
  /** How long a duplicate waits for the request holding its key. */
  waitTimeoutMs?: number;
  /** How often a waiting duplicate looks again. */
  pollIntervalMs?: number;
}

/**
 * Deletes expired idempotency records from the database; for the periodic expiry sweep (records
 * in Redis expire by themselves). Returns how many.
 */
export function sweepExpiredIdempotencyRecords(db: Database): Promise<number> {
  return new IdempotencyStore(db).sweepExpired();
}

/** The server's store: Redis's when it has a connection (REDIS_URL), else the database's. */
function storeFor(deps: { db: Database; config?: Config }, ttlMs: number): IdempotencyKeyStore {
  const shared = deps.config && redisOf(deps.config);
  return shared ? new RedisIdempotencyStore(shared.redis, ttlMs) : new IdempotencyStore(deps.db, ttlMs);
}

export function idempotencyPlugin(
  deps: Pick<AppDeps, "db" | "logger"> & Partial<Pick<AppDeps, "config">>,
  options: IdempotencyOptions = {},
): ApolloServerPlugin<Context> {
  const { logger } = deps;
  const store = storeFor(deps, options.ttlMs ?? IDEMPOTENCY_TTL_MS);
  const waitTimeoutMs = options.waitTimeoutMs ?? 10_000;
  const pollIntervalMs = options.pollIntervalMs ?? 25;

  /** Claims the key, or waits while the same request runs elsewhere, until the deadline. */
  async function settle(key: string, hash: string): Promise<KeyState> {
    const deadline = performance.now() + waitTimeoutMs;
    for (;;) {
      const claim = await store.claim(key, hash);
      if (claim.kind !== "inProgress") return claim;
      // Watch the committed state; contend for the writer again only once the holder let go.
      let seen: KeyState | undefined = claim;
      while (seen?.kind === "inProgress") {
        if (performance.now() >= deadline) return seen;
        await sleep(pollIntervalMs);
        seen = await store.peek(key, hash);
      }
      if (seen) return seen;
    }
  }

  return {
    async requestDidStart() {
      // Set when this request is a mutation with a valid key.
      let record: { key: string; hash: string } | undefined;
      let claimed = false;
      let executed = false;

      return {
        async didResolveOperation({ request, operation, source, contextValue, requestIsBatched }) {
          if (operation?.operation !== "mutation") return;
          const key = request.http?.headers.get(KEY_HEADER);
          if (key === undefined) return;
          if (requestIsBatched) {
            throw requestError("BAD_REQUEST", "Idempotency-Key cannot be used with a batched request: send each mutation on its own.");
          }
          if (!isValidKey(key)) {
            throw requestError("BAD_USER_INPUT", "Idempotency-Key must be 1 to 255 printable ASCII characters.");
          }
          record = {
            key: scopedKey(contextValue.principal.id, key),
            hash: requestHash(source, request.operationName, request.variables),
          };
        },

        async responseForOperation({ contextValue }) {
          if (!record) return null;
          let state: KeyState;
          try {
            state = await settle(record.key, record.hash);
          } catch (err) {
            logger.error({ err }, "idempotency: the store cannot be reached; the mutation is refused");
            return unavailable();
          }
          switch (state.kind) {
            case "claimed":
              claimed = true;
              return null;
            case "conflict":
              // Execution goes on; every mutation answers IDEMPOTENCY_CONFLICT without running.
              contextValue.idempotencyConflict = true;
              return null;
            case "replay":
              return replay(state.response);
            case "inProgress":
              return keyInUse();
          }
        },

        async executionDidStart() {
          executed = true;
        },

        async willSendResponse({ response, document, operation }) {
          if (!claimed || !record) return;
          const { key, hash } = record;
          if (response.body.kind !== "single") {
            // graphql 16 only answers single results; keep the claim rather than guess.
            logger.warn("idempotency: incremental response not stored; the key stays claimed until it expires");
            return;
          }
          // Extensions describe the request being answered (its cost, its statements): a replay
          // gets its own from the plugins that add them, so only data and errors are kept.
          const { extensions: _perRequest, ...result } = response.body.singleResult;
          const final = executed && document !== undefined && operation !== undefined && mayHaveTakenEffect(document, operation, result);
          const stored: StoredResponse | null = final ? { httpStatus: response.http.status ?? 200, body: JSON.stringify(result) } : null;
          try {
            if (stored) await store.complete(key, hash, stored);
            else await store.release(key, hash);
          } catch (err) {
            // The client still gets its response; the claim stays, so a retry cannot run twice.
            logger.error({ err }, "idempotency: could not store the response");
          }
        },
      };
    },
  };
}

function replay(response: StoredResponse): GraphQLResponse {
  return {
    http: { status: response.httpStatus, headers: new HeaderMap([[REPLAYED_HEADER, "true"]]) },
    body: { kind: "single", singleResult: JSON.parse(response.body) },
  };
}

function keyInUse(): GraphQLResponse {
  return retryShortly(409, "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still running; retry shortly to get its response.");
}

function unavailable(): GraphQLResponse {
  return retryShortly(503, "IDEMPOTENCY_UNAVAILABLE", "Idempotency-Key cannot be honoured right now; nothing ran. Retry shortly.");
}

/** A refusal that nothing ran for, with Retry-After: 1. */
function retryShortly(status: number, code: string, message: string): GraphQLResponse {
  return {
    http: { status, headers: new HeaderMap([["retry-after", "1"]]) },
    body: { kind: "single", singleResult: { errors: [{ message, extensions: { code } }] } },
  };
}

function requestError(code: "BAD_REQUEST" | "BAD_USER_INPUT", message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}
