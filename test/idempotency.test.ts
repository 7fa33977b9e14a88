// Idempotency-Key on mutations, over HTTP: replay, conflict, concurrency, credentials, queries,
// expiry, bad keys, batches, and what is stored after a failure. The wait bound (10 s over HTTP)
// is tested shorter through the same plugin in an in-process Apollo Server.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { ApolloServer, HeaderMap } from "@apollo/server";
import { parse, type FormattedExecutionResult, type OperationDefinitionNode } from "graphql";
import { SCOPES, UNRESTRICTED } from "../src/auth/principal";
import { createEventBus } from "../src/events/pubsub";
import { createLoaders } from "../src/loaders";
import type { Context } from "../src/resolvers/context";
import { buildCustomerSchema } from "../src/schema";
import { createErrorFormatter } from "../src/server/errors";
import {
  IdempotencyStore,
  idempotencyPlugin,
  requestHash,
  scopedKey,
  sweepExpiredIdempotencyRecords,
  type IdempotencyOptions,
} from "../src/server/idempotency";
import { mayHaveTakenEffect } from "../src/server/idempotency/request";
import { CREATE_CUSTOMER, createOrganization, parsedJson, personInput, sqlAll, sqlGet, sqlRun, startTestServer, tableCounts, type TestServer } from "./helpers";

interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: FormattedExecutionResult<any>;
}

async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}

/** The response without extensions, which report per-request diagnostics (sqlStatements). */
function withoutExtensions(result: FormattedExecutionResult) {
  const { extensions: _ignored, ...rest } = result;
  return rest;
}

const SMALL_CREATE = /* GraphQL */ `
  mutation ($input: CreateCustomerInput!) {
    createCustomer(input: $input) { customer { id displayName version createdAt } userErrors { code field message } }
  }
`;
const TWO_CREATES = /* GraphQL */ `
  mutation ($a: CreateCustomerInput!, $b: CreateCustomerInput!) {
    a: createCustomer(input: $a) { customer { id } userErrors { code } }
    b: createCustomer(input: $b) { customer { id } userErrors { code } }
  }
`;
const COUNT_CUSTOMERS = /* GraphQL */ `{ customers(first: 1) { totalCount } }`;

function createBody(first: string, last: string) {
  return { query: SMALL_CREATE, variables: { input: personInput(first, last) } };
}

/** Runs `hook` ahead of every customer creation (the n-th call gets n), until the undo is called. */
function beforeCreate(server: TestServer, hook: (call: number) => Promise<void>): () => void {
  const customers = server.app.services.customers;
  const original = customers.create;
  let calls = 0;
  customers.create = async function (this: typeof customers, ...args: Parameters<typeof original>) {
    await hook(++calls);
    return original.apply(this, args);
  };
  return () => {
    customers.create = original;
  };
}

/** Makes the `failOn`-th customer creation from now fail unexpectedly. */
const failCreate = (server: TestServer, failOn: number) =>
  beforeCreate(server, async (call) => {
    if (call === failOn) throw new Error("simulated outage");
  });

/** Makes every customer creation wait until `ready()` (or 5 s, so that a broken build fails, not hangs). */
const holdCreate = (server: TestServer, ready: () => boolean) =>
  beforeCreate(server, async () => {
    const deadline = Date.now() + 5000;
    while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  });

/** Counts key claims, so that a test can wait until every concurrent request has tried one. */
function countClaims(): { count: () => number; restore: () => void } {
  const original = IdempotencyStore.prototype.claim;
  let calls = 0;
  IdempotencyStore.prototype.claim = function (this: IdempotencyStore, ...args: Parameters<typeof original>) {
    calls += 1;
    return original.apply(this, args);
  };
  return {
    count: () => calls,
    restore: () => {
      IdempotencyStore.prototype.claim = original;
    },
  };
}

async function createApiKey(server: TestServer, organizationId: string, name: string): Promise<string> {
  const res = await post(server, {
    query: `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret userErrors { code } } }`,
    variables: { i: { organizationId, name, scopes: ["customers:read", "customers:write"] } },
  });
  assert.deepEqual(res.json.data?.createApiKey.userErrors, []);
  return res.json.data?.createApiKey.secret;
}

describe("Idempotency-Key over HTTP", () => {
  let server: TestServer;
  let organizationId: string;

  before(async () => {
    server = await startTestServer();
    organizationId = (await createOrganization(server, { name: "Idempotent Org" })).id;
  });
  after(async () => {
    await server.close();
  });

  test("a retry replays the first response (same status, data and errors) and creates nothing", async () => {
    const body = { query: CREATE_CUSTOMER, variables: { input: personInput("Ada", "Lovelace", { email: "ada@example.com" }) } };
    const first = await post(server, body, { "Idempotency-Key": "replay-1" });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    const created = first.json.data?.createCustomer;
    assert.deepEqual(created.userErrors, []);
    assert.match(created.customer.id, /^cus_/);
    const counts = await tableCounts(server);
    assert.equal(counts.idempotency_records, 1);
    // Per-request extensions (cost, sqlStatements) are not stored: a replay reports its own.
    const stored = await sqlGet<{ response: unknown }>(server, "select response from idempotency_records");
    assert.deepEqual(parsedJson(stored?.response), withoutExtensions(first.json));

    for (let i = 0; i < 2; i++) {
      const retry = await post(server, body, { "Idempotency-Key": "replay-1" });
      assert.equal(retry.status, first.status);
      assert.equal(retry.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(withoutExtensions(retry.json), withoutExtensions(first.json));
      assert.equal(JSON.stringify(withoutExtensions(retry.json)), JSON.stringify(withoutExtensions(first.json)));
      assert.deepEqual(await tableCounts(server), counts);
    }
  });

  test("variables are compared as values: another key order is the same request", async () => {
    const input = { type: "PERSON", person: { lastName: { name: "Order" }, firstName: { name: "Key" } } };
    const reordered = { person: { firstName: { name: "Key" }, lastName: { name: "Order" } }, type: "PERSON" };
    const first = await post(server, { query: SMALL_CREATE, variables: { input } }, { "Idempotency-Key": "order-1" });
    const retry = await post(server, { query: SMALL_CREATE, variables: { input: reordered } }, { "Idempotency-Key": "order-1" });
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(retry.json.data, first.json.data);
  });

  test("the same key with another request is IDEMPOTENCY_CONFLICT and writes nothing", async () => {
    const first = await post(server, createBody("Grace", "Hopper"), { "Idempotency-Key": "conflict-1" });
    assert.deepEqual(first.json.data?.createCustomer.userErrors, []);
    const counts = await tableCounts(server);

    const others = [
      createBody("Grace", "Brewster"), // other variables
      { ...createBody("Grace", "Hopper"), query: SMALL_CREATE.replace("displayName", "displayName nickname") }, // other document
      { query: `mutation Named ${SMALL_CREATE.trim().slice("mutation".length)}`, variables: createBody("Grace", "Hopper").variables, operationName: "Named" },
    ];
    for (const other of others) {
      const res = await post(server, other, { "Idempotency-Key": "conflict-1" });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("idempotent-replayed"), null);
      const payload = res.json.data?.createCustomer;
      assert.equal(payload.customer, null);
      assert.deepEqual(payload.userErrors.map((e: { code: string }) => e.code), ["IDEMPOTENCY_CONFLICT"]);
      assert.deepEqual(await tableCounts(server), counts);
    }

    // Every mutation of a conflicting document answers the conflict, and none runs.
    const both = await post(
      server,
      { query: TWO_CREATES, variables: { a: personInput("A", "One"), b: personInput("B", "Two") } },
      { "Idempotency-Key": "conflict-1" },
    );
    assert.equal(both.json.data?.a.userErrors[0].code, "IDEMPOTENCY_CONFLICT");
    assert.equal(both.json.data?.b.userErrors[0].code, "IDEMPOTENCY_CONFLICT");
    assert.deepEqual(await tableCounts(server), counts);

    // The key still replays its own request.
    const retry = await post(server, createBody("Grace", "Hopper"), { "Idempotency-Key": "conflict-1" });
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(retry.json.data, first.json.data);
  });

  test("five concurrent identical requests run once and all get the same response", async () => {
    const before = await tableCounts(server);
    const body = createBody("Concurrent", "Once");
    // The first request to run holds its execution until all five have tried to claim the key,
    // so that they really overlap.
    const claims = countClaims();
    const release = holdCreate(server, () => claims.count() >= 5);
    let responses: HttpResult[];
    try {
      responses = await Promise.all(Array.from({ length: 5 }, () => post(server, body, { "Idempotency-Key": "concurrent-1" })));
    } finally {
      release();
      claims.restore();
    }

    const after = await tableCounts(server);
    assert.equal(after.customers, before.customers + 1);
    assert.equal(after.customer_events, before.customer_events + 1);
    assert.equal(after.idempotency_records, before.idempotency_records + 1);
    for (const res of responses) {
      assert.equal(res.status, 200);
      assert.deepEqual(withoutExtensions(res.json), withoutExtensions(responses[0].json));
    }
    assert.deepEqual(responses[0].json.data?.createCustomer.userErrors, []);
    assert.equal(responses.filter((r) => r.headers.get("idempotent-replayed") === "true").length, 4);
  });

  test("a query with the header is unaffected and does not use up the key", async () => {
    const before = await tableCounts(server);
    for (const key of ["query-1", "query-1", "not\tprintable", "x".repeat(300)]) {
      const res = await post(server, { query: COUNT_CUSTOMERS }, { "Idempotency-Key": key });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("idempotent-replayed"), null);
      assert.equal(res.json.data?.customers.totalCount, before.customers);
    }
    assert.deepEqual(await tableCounts(server), before);

    // A query's result is not stored: a write in between shows on the next read.
    await post(server, createBody("Between", "Reads"));
    const again = await post(server, { query: COUNT_CUSTOMERS }, { "Idempotency-Key": "query-1" });
    assert.equal(again.json.data?.customers.totalCount, before.customers + 1);

    // The key is still free for a mutation.
    const mutation = await post(server, createBody("After", "Query"), { "Idempotency-Key": "query-1" });
    assert.deepEqual(mutation.json.data?.createCustomer.userErrors, []);
    assert.equal(mutation.headers.get("idempotent-replayed"), null);
  });

  test("an expired record is not replayed: the request runs again and the record is renewed", async () => {
    const body = createBody("Expired", "Record");
    const first = await post(server, body, { "Idempotency-Key": "expiry-1" });
    const key = scopedKey("anonymous", "expiry-1");
    await sqlRun(server, "update idempotency_records set expires_at = ? where key = ?", "2000-01-01T00:00:00.000Z", key);
    const before = await tableCounts(server);

    const second = await post(server, body, { "Idempotency-Key": "expiry-1" });
    assert.equal(second.headers.get("idempotent-replayed"), null);
    assert.notEqual(second.json.data?.createCustomer.customer.id, first.json.data?.createCustomer.customer.id);
    const after = await tableCounts(server);
    assert.equal(after.customers, before.customers + 1);
    assert.equal(after.idempotency_records, before.idempotency_records);
    const row = await sqlGet<{ expires_at: string }>(server, "select expires_at from idempotency_records where key = ?", key);
    assert.ok(Date.parse(row!.expires_at) > Date.now() + 23 * 3600_000);

    const third = await post(server, body, { "Idempotency-Key": "expiry-1" });
    assert.equal(third.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(third.json.data, second.json.data);
  });

  test("the sweep deletes expired records only", async () => {
    const insert = (key: string, createdAt: string, expiresAt: string) =>
      sqlRun(
        server,
        "insert into idempotency_records (key, request_hash, status, response, http_status, created_at, expires_at) values (?, 'h', 'DONE', '{}', 200, ?, ?)",
        key,
        createdAt,
        expiresAt,
      );
    await insert("sweep-old", "2000-01-01T00:00:00.000Z", "2000-01-02T00:00:00.000Z");
    await insert("sweep-new", new Date().toISOString(), new Date(Date.now() + 3600_000).toISOString());
    const before = (await tableCounts(server)).idempotency_records;
    assert.ok((await sweepExpiredIdempotencyRecords(server.app.db)) >= 1);
    const keys = (await sqlAll<{ key: string }>(server, "select key from idempotency_records")).map((r) => r.key);
    assert.ok(!keys.includes("sweep-old"));
    assert.ok(keys.includes("sweep-new"));
    assert.equal(keys.length, before - 1);
  });

  test("a bad key is a BAD_USER_INPUT request error and runs nothing", async () => {
    const before = await tableCounts(server);
    for (const key of ["", "x".repeat(256), "tab\tinside", "caf\u00e9"]) {
      const res = await post(server, createBody("Bad", "Key"), { "Idempotency-Key": key });
      assert.equal(res.status, 400, `key ${JSON.stringify(key)}`);
      assert.equal(res.json.data, undefined);
      assert.deepEqual(res.json.errors?.map((e) => e.extensions?.code), ["BAD_USER_INPUT"]);
    }
    assert.deepEqual(await tableCounts(server), before);

    const longest = await post(server, createBody("Long", "Key"), { "Idempotency-Key": "k".repeat(255) });
    assert.deepEqual(longest.json.data?.createCustomer.userErrors, []);
  });

  test("a request that failed before changing anything is not stored: a retry runs it", async () => {
    const before = await tableCounts(server);
    const restore = failCreate(server, 1);
    let failed: HttpResult;
    try {
      failed = await post(server, createBody("Flaky", "Backend"), { "Idempotency-Key": "unexpected-1" });
    } finally {
      restore();
    }
    assert.deepEqual(failed.json.errors?.map((e) => e.extensions?.code), ["INTERNAL_SERVER_ERROR"]);
    assert.deepEqual(await tableCounts(server), before);

    const retry = await post(server, createBody("Flaky", "Backend"), { "Idempotency-Key": "unexpected-1" });
    assert.equal(retry.headers.get("idempotent-replayed"), null);
    assert.deepEqual(retry.json.data?.createCustomer.userErrors, []);
    assert.equal((await tableCounts(server)).customers, before.customers + 1);
  });

  test("a request that failed after a mutation committed is stored: a retry does not run it again", async () => {
    const before = await tableCounts(server);
    const body = { query: TWO_CREATES, variables: { a: personInput("Partial", "First"), b: personInput("Partial", "Second") } };
    const restore = failCreate(server, 2);
    let failed: HttpResult;
    try {
      failed = await post(server, body, { "Idempotency-Key": "partial-1" });
    } finally {
      restore();
    }
    // `a` committed, `b` failed, and the non-null payload nulled `data`.
    assert.equal(failed.json.data, null);
    assert.deepEqual(failed.json.errors?.map((e) => [e.path, e.extensions?.code]), [[["b"], "INTERNAL_SERVER_ERROR"]]);
    assert.equal((await tableCounts(server)).customers, before.customers + 1);

    const retry = await post(server, body, { "Idempotency-Key": "partial-1" });
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.equal(retry.status, failed.status);
    assert.deepEqual(withoutExtensions(retry.json), withoutExtensions(failed.json));
    assert.equal((await tableCounts(server)).customers, before.customers + 1);
  });

  test("the same key from two credentials is two requests", async () => {
    const keyA = await createApiKey(server, organizationId, "caller A");
    const keyB = await createApiKey(server, organizationId, "caller B");
    const before = await tableCounts(server);
    const body = createBody("Two", "Callers");
    const a = await post(server, body, { "Idempotency-Key": "shared-1", authorization: `Bearer ${keyA}` });
    const b = await post(server, body, { "Idempotency-Key": "shared-1", authorization: `Bearer ${keyB}` });
    const idA = a.json.data?.createCustomer.customer.id;
    const idB = b.json.data?.createCustomer.customer.id;
    assert.match(idA, /^cus_/);
    assert.match(idB, /^cus_/);
    assert.notEqual(idA, idB);
    assert.equal(a.headers.get("idempotent-replayed"), null);
    assert.equal(b.headers.get("idempotent-replayed"), null);
    assert.equal((await tableCounts(server)).customers, before.customers + 2);

    // Each replays its own; another body under B's key conflicts for B only.
    const againA = await post(server, body, { "Idempotency-Key": "shared-1", authorization: `Bearer ${keyA}` });
    assert.equal(againA.headers.get("idempotent-replayed"), "true");
    assert.equal(againA.json.data?.createCustomer.customer.id, idA);
    const conflictB = await post(server, createBody("Other", "Body"), { "Idempotency-Key": "shared-1", authorization: `Bearer ${keyB}` });
    assert.equal(conflictB.json.data?.createCustomer.userErrors[0].code, "IDEMPOTENCY_CONFLICT");
    // The anonymous development caller is a third credential.
    const anonymous = await post(server, body, { "Idempotency-Key": "shared-1" });
    assert.equal(anonymous.headers.get("idempotent-replayed"), null);
    assert.notEqual(anonymous.json.data?.createCustomer.customer.id, idA);
    assert.equal((await tableCounts(server)).customers, before.customers + 3);
  });

  test("a batch with the header is refused: one key names one request", async () => {
    const before = await tableCounts(server);
    const res = await post(server, [createBody("Batch", "One"), { query: COUNT_CUSTOMERS }], { "Idempotency-Key": "batch-1" });
    assert.equal(res.status, 400);
    const [mutation, query] = res.json as unknown as FormattedExecutionResult<any>[];
    assert.deepEqual(mutation.errors?.map((e) => e.extensions?.code), ["BAD_REQUEST"]);
    assert.equal(mutation.data, undefined);
    // The query in the batch is not concerned.
    assert.equal(query.data?.customers.totalCount, before.customers);
    assert.deepEqual(await tableCounts(server), before);
  });
});

describe("Idempotency-Key through the plugin in process", () => {
  // The wait bound is 10 s over HTTP; this Apollo Server runs the same plugin with a short bound,
  // over the test server's database.
  let server: TestServer;
  let apollo: ApolloServer<Context>;

  async function startApollo(options: IdempotencyOptions) {
    const { db, logger } = server.app;
    const instance = new ApolloServer<Context>({
      schema: buildCustomerSchema(),
      formatError: createErrorFormatter(logger),
      plugins: [idempotencyPlugin({ db, logger }, options)],
    });
    await instance.start();
    return instance;
  }

  function contextFor(principalId: string): Context {
    const { db, services } = server.app;
    return {
      db,
      bus: createEventBus(),
      services,
      loaders: createLoaders(db.read),
      actor: { name: principalId, via: "API", organizationId: null },
      principal: { id: principalId, kind: "apiKey", organizationId: null, root: true, scopes: SCOPES, tags: [] },
      access: UNRESTRICTED,
    };
  }

  async function send(principalId: string, body: unknown, key: string, on = apollo) {
    const res = await on.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: "POST",
        headers: new HeaderMap([
          ["content-type", "application/json"],
          ["idempotency-key", key],
        ]),
        search: "",
        body,
      },
      context: async () => contextFor(principalId),
    });
    assert.equal(res.body.kind, "complete");
    return { status: res.status ?? 200, headers: res.headers, json: JSON.parse(res.body.kind === "complete" ? res.body.string : "{}") };
  }

  before(async () => {
    server = await startTestServer();
    await createOrganization(server, { name: "In-process Org" });
    apollo = await startApollo({ waitTimeoutMs: 300, pollIntervalMs: 10 });
  });
  after(async () => {
    await apollo.stop();
    await server.close();
  });

  test("a duplicate of a request that never finishes gets IDEMPOTENCY_KEY_IN_USE after the wait bound", async () => {
    const body = createBody("Never", "Finishes");
    const key = scopedKey("key_slow", "stuck-1");
    const hash = requestHash(body.query, undefined, body.variables);
    const store = new IdempotencyStore(server.app.db);
    assert.equal((await store.claim(key, hash)).kind, "claimed");
    const before = await tableCounts(server);

    const started = Date.now();
    const res = await send("key_slow", body, "stuck-1");
    assert.ok(Date.now() - started >= 250);
    assert.equal(res.status, 409);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.deepEqual(res.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code), ["IDEMPOTENCY_KEY_IN_USE"]);
    assert.deepEqual(await tableCounts(server), before);

    // Once the holder lets go without effect, the duplicate runs.
    await store.release(key, hash);
    const retry = await send("key_slow", body, "stuck-1");
    assert.deepEqual(retry.json.data.createCustomer.userErrors, []);
  });

  test("a waiting duplicate replays the response the holder stores meanwhile", async () => {
    const slow = await startApollo({ waitTimeoutMs: 10_000, pollIntervalMs: 10 });
    try {
      const body = createBody("Held", "Meanwhile");
      const key = scopedKey("key_wait", "wait-1");
      const hash = requestHash(body.query, undefined, body.variables);
      const store = new IdempotencyStore(server.app.db);
      await store.claim(key, hash);
      const stored = { data: { createCustomer: { customer: null, userErrors: [] } } };
      const waiting = send("key_wait", body, "wait-1", slow);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.complete(key, hash, { httpStatus: 200, body: JSON.stringify(stored) });
      const res = await waiting;
      assert.equal(res.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(res.json, stored);
    } finally {
      await slow.stop();
    }
  });
});

describe("mayHaveTakenEffect", () => {
  const document = parse(/* GraphQL */ `
    mutation M { __typename ...F b: createCustomer(input: $b) { userErrors { code } } }
    fragment F on Mutation { a: createCustomer(input: $a) { customer { id } } }
  `);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const error = (path?: (string | number)[]) => ({ message: "x", path, extensions: { code: "INTERNAL_SERVER_ERROR" } });

  test("only a failure before any effect releases the key", () => {
    assert.equal(mayHaveTakenEffect(document, operation, { errors: [error()] }), false); // bad variables
    assert.equal(mayHaveTakenEffect(document, operation, { data: null, errors: [error(["a"])] }), false); // first root field threw
    assert.equal(mayHaveTakenEffect(document, operation, { data: null, errors: [error(["b"])] }), true); // `a` ran before
    assert.equal(mayHaveTakenEffect(document, operation, { data: null, errors: [error(["a", "customer", "id"])] }), true); // `a` resolved
    assert.equal(mayHaveTakenEffect(document, operation, { data: { a: null, b: null }, errors: [error(["a"])] }), true);
    assert.equal(mayHaveTakenEffect(document, operation, { data: { a: {}, b: {} } }), true);
  });
});
