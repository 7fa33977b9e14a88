// Several instances on one Redis (REDIS_URL; skipped without it): two servers over one database
// file share each credential's rate-limit bucket and the Idempotency-Key records, over HTTP and
// WebSocket; the Lua bucket gives the in-memory bucket's answers. Each run writes under its own
// REDIS_KEY_PREFIX and deletes its keys at the end. Without a reachable Redis, requests go
// through unmetered and idempotent mutations are refused (that part needs no Redis).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createClient } from "graphql-ws";
import { Redis } from "ioredis";
import pino from "pino";
import WebSocket from "ws";
import { LeakyBuckets } from "../src/server/limits/buckets";
import { RedisBuckets } from "../src/server/limits/redis-buckets";
import { RedisIdempotencyStore } from "../src/server/idempotency/redis-store";
import { createOrganization, personInput, startTestServer, tableCounts, type TestServer } from "./helpers";

const REDIS_URL = process.env.REDIS_URL;
const ADMIN = "admin-key-for-redis-tests-0123456789abcdef0";

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: Record<string, any> };
}

async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}

/** The response without extensions, which report each request's own cost and statements. */
const withoutExtensions = (reply: Reply) => JSON.stringify({ ...reply.json, extensions: undefined });

// Costs: 2 + n for `customers(first: n) { nodes { id } }`.
const page = (n: number) => ({ query: `{ customers(first: ${n}) { nodes { id } } }` });
const asAdmin = { authorization: `Bearer ${ADMIN}` };

const SMALL_CREATE = /* GraphQL */ `
  mutation ($input: CreateCustomerInput!) {
    createCustomer(input: $input) { customer { id displayName } userErrors { code field message } }
  }
`;
const createBody = (first: string, last: string) => ({ query: SMALL_CREATE, variables: { input: personInput(first, last) } });

describe("two instances on one Redis", { skip: REDIS_URL ? false : "REDIS_URL is not set" }, () => {
  const prefix = `customer-graph-test:${randomUUID()}:`;
  let a: TestServer;
  let b: TestServer;
  let redis: Redis;

  before(async () => {
    const env = { REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_BUCKET: "100", RATE_LIMIT_RESTORE_PER_SECOND: "1", ADMIN_API_KEY: ADMIN };
    a = await startTestServer(env);
    // The second instance opens the first one's database file.
    b = await startTestServer({ ...env, DATABASE_URL: a.databaseUrl });
    redis = new Redis(REDIS_URL!, { keyPrefix: prefix });
    await createOrganization(a, { name: "Shared Org" });
  });
  after(async () => {
    await b?.close();
    await a?.close();
    if (redis) {
      // The keyPrefix does not apply to the patterns of SCAN, nor to the keys it answers.
      const keys: string[] = [];
      for await (const found of redis.scanStream({ match: `${prefix}*` })) keys.push(...(found as string[]));
      if (keys.length) await redis.del(...keys.map((key) => key.slice(prefix.length)));
      await redis.quit();
    }
  });

  // The assertions hold however slowly the machine runs: 1 point per second is restored, and a
  // refusal below would need over 20 seconds between two requests to turn into a success.
  test("a bucket drained on A is refused on B (429 RATE_LIMITED, Retry-After), and the refusal takes nothing", async () => {
    const first = await post(a, page(60), asAdmin);
    assert.equal(first.status, 200);
    assert.deepEqual(first.json.extensions?.cost, {
      requestedQueryCost: 62,
      throttleStatus: { maximumAvailable: 100, currentlyAvailable: 38, restoreRate: 1 },
    });

    const refused = await post(b, page(60), asAdmin);
    assert.equal(refused.status, 429);
    assert.equal(refused.json.data, undefined);
    const error = refused.json.errors?.[0];
    assert.equal(error?.extensions?.code, "RATE_LIMITED");
    const retryAfter = error?.extensions?.retryAfter as number;
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 24, `retryAfter ${retryAfter}`);
    assert.equal(refused.headers.get("retry-after"), String(retryAfter));
    const status = refused.json.extensions?.cost.throttleStatus;
    assert.ok(status.currentlyAvailable >= 38 && status.currentlyAvailable < 62, JSON.stringify(status));

    // 38 (and what flowed back since) still covers 22, on either instance.
    const after = await post(b, page(20), asAdmin);
    assert.equal(after.status, 200, after.text);
    const left = after.json.extensions?.cost.throttleStatus.currentlyAvailable;
    assert.ok(left >= 16 && left < 38, String(left));
  });

  test("a subscription on B is charged from the bucket drained over HTTP", async () => {
    const client = createClient({ url: b.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: asAdmin });
    try {
      // `after: $none` names no event: a subscription that got past the limits would fail at once.
      const errors = await new Promise<readonly any[]>((resolve, reject) => {
        client.subscribe(
          { query: "subscription ($none: ID) { customerEvents(after: $none) { customer { documents(first: 80) { nodes { id } } } } }", variables: { none: "evt_none" } },
          { next: () => reject(new Error("got a result")), error: (e) => (Array.isArray(e) ? resolve(e) : reject(e)), complete: () => reject(new Error("completed")) },
        );
      });
      assert.equal(errors[0].extensions?.code, "RATE_LIMITED");
    } finally {
      await client.dispose();
    }
  });

  test("an Idempotency-Key used on A replays on B; another request with it on B is IDEMPOTENCY_CONFLICT", async () => {
    const body = createBody("Ada", "Lovelace");
    const first = await post(a, body, { "Idempotency-Key": "shared-1" });
    assert.equal(first.status, 200);
    assert.deepEqual(first.json.data?.createCustomer.userErrors, []);
    const counts = await tableCounts(a);
    // The record is in Redis, not in the database.
    assert.equal(counts.idempotency_records, 0);

    const replayed = await post(b, body, { "Idempotency-Key": "shared-1" });
    assert.equal(replayed.status, first.status);
    assert.equal(replayed.headers.get("idempotent-replayed"), "true");
    assert.equal(withoutExtensions(replayed), withoutExtensions(first));

    const other = await post(b, createBody("Ada", "Byron"), { "Idempotency-Key": "shared-1" });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("idempotent-replayed"), null);
    assert.equal(other.json.data?.createCustomer.customer, null);
    assert.deepEqual(other.json.data?.createCustomer.userErrors.map((e: { code: string }) => e.code), ["IDEMPOTENCY_CONFLICT"]);
    assert.deepEqual(await tableCounts(b), counts);

    // Keys belong to their credential: another caller's same key is its own.
    const admin = await post(b, createBody("Ada", "Byron"), { "Idempotency-Key": "shared-1", ...asAdmin });
    assert.equal(admin.headers.get("idempotent-replayed"), null);
    assert.deepEqual(admin.json.data?.createCustomer.userErrors, []);
  });

  test("concurrent identical requests on both instances run once", async () => {
    const before = (await tableCounts(a)).customers;
    const body = createBody("Both", "Instances");
    const replies = await Promise.all([a, b, a, b].map((server) => post(server, body, { "Idempotency-Key": "race-1" })));
    assert.equal((await tableCounts(a)).customers, before + 1);
    const ids = new Set(replies.map((r) => r.json.data?.createCustomer.customer.id));
    assert.equal(ids.size, 1);
    assert.equal(replies.filter((r) => r.headers.get("idempotent-replayed") === "true").length, 3);
  });

  test("the Lua bucket answers as the in-memory one for the same sequence", async () => {
    let now = 1_700_000_000_000;
    const logger = pino({ level: "silent" });
    // Deficits stay large, so that no key expires (in Redis's real time) during the sequence.
    const shared = new RedisBuckets(redis, 1000, 3, logger, () => now);
    const local = new LeakyBuckets(1000, 3, () => now);
    const key = `lua-${randomUUID()}`;
    // [milliseconds later, cost]: fits, refusals (taking nothing), exact fit, fractional refills, full again.
    const steps: [number, number][] = [
      [0, 400], [10, 500], [1, 101], [333, 99], [0, 1], [1000, 3], [2500, 8], [7, 0], [100, 50],
      [999, 1], [60_000, 0], [1_000_000, 990], [1, 11], [3_333, 20], [0, 1000],
    ];
    for (const [later, cost] of steps) {
      now += later;
      assert.deepEqual(await shared.take(key, cost), local.take(key, cost), `after ${later} ms, cost ${cost}`);
      assert.deepEqual(await shared.peek(key), local.peek(key));
    }
  });

  test("an idempotency claim whose reply was lost is taken back: the retry runs instead of waiting 24 h", async () => {
    // The claim reaches Redis, but its reply does not reach the instance (slower than the command
    // timeout): the request is refused as having run nothing, so the claim must not stay behind.
    let lose = true;
    const lossy = new Proxy(redis, {
      get(target, property) {
        if (property === "set") {
          return async (...args: Parameters<Redis["set"]>) => {
            const reply = await (target.set as (...a: unknown[]) => Promise<unknown>)(...args);
            if (!lose) return reply;
            lose = false;
            throw new Error("Command timed out");
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const store = new RedisIdempotencyStore(lossy);
    const key = `lost-${randomUUID()}`;
    await assert.rejects(store.claim(key, "hash"), /timed out/);
    for (let i = 0; i < 50 && (await redis.exists(`idempotency:${key}`)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await redis.exists(`idempotency:${key}`), 0, "the lost claim was deleted");
    assert.deepEqual(await store.claim(key, "hash"), { kind: "claimed" });
    // Another request's live claim is never taken back: only the exact claim that was lost.
    assert.deepEqual(await new RedisIdempotencyStore(redis).claim(key, "hash"), { kind: "inProgress" });
    await store.complete(key, "hash", { httpStatus: 200, body: "{}" });
    assert.deepEqual(await store.claim(key, "hash"), { kind: "replay", response: { httpStatus: 200, body: "{}" } });
  });

  test("with Redis's clock, a bucket's key expires once it would be full again", async () => {
    const shared = new RedisBuckets(redis, 100, 10, pino({ level: "silent" }));
    const key = `expiry-${randomUUID()}`;
    const taken = await shared.take(key, 40);
    assert.deepEqual(taken, { granted: true, status: { maximumAvailable: 100, currentlyAvailable: 60, restoreRate: 10 } });
    const ttl = await redis.pttl(`ratelimit:${key}`);
    assert.ok(ttl > 3000 && ttl <= 4000, `pttl ${ttl}`);
  });
});

describe("Redis unreachable", () => {
  let server: TestServer;

  before(async () => {
    // Nothing listens on port 1: every connection attempt is refused at once.
    server = await startTestServer({ REDIS_URL: "redis://127.0.0.1:1", RATE_LIMIT_BUCKET: "100", RATE_LIMIT_RESTORE_PER_SECOND: "1" });
  });
  after(() => server.close());

  test("requests go through unmetered (fail-open), and the outage is logged", async () => {
    for (let i = 0; i < 3; i++) {
      const reply = await post(server, page(60));
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json.extensions?.cost, { requestedQueryCost: 62 });
    }
    assert.ok(server.logs.some((line) => JSON.parse(line).msg.startsWith("redis unreachable")));
    assert.ok(server.logs.some((line) => JSON.parse(line).msg.startsWith("rate limit store unreachable")));
  });

  test("a mutation with Idempotency-Key is refused without running (503 IDEMPOTENCY_UNAVAILABLE)", async () => {
    await createOrganization(server, { name: "Unreachable Org" });
    const before = await tableCounts(server);
    const reply = await post(server, createBody("Not", "Run"), { "Idempotency-Key": "down-1" });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers.get("retry-after"), "1");
    assert.deepEqual(reply.json.errors?.map((e) => e.extensions?.code), ["IDEMPOTENCY_UNAVAILABLE"]);
    assert.deepEqual(await tableCounts(server), before);
    // Without the header, mutations run as usual.
    const plain = await post(server, createBody("Does", "Run"));
    assert.deepEqual(plain.json.data?.createCustomer.userErrors, []);
  });
});
