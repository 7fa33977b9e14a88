// Query limits, cost and rate limiting: documents over a limit are refused before execution with
// their code, limit and actual value; every response reports its cost; each credential has a
// leaky bucket of cost points. Over HTTP and WebSocket, plus unit tests of the cost estimate,
// the token count and the buckets (with a fake clock, so that nothing depends on timing).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { parse, getOperationAST } from "graphql";
import { buildCustomerSchema } from "../src/schema";
import { operationCost } from "../src/server/limits/cost";
import { countTokens } from "../src/server/limits/document";
import { LeakyBuckets } from "../src/server/limits/buckets";
import { startTestServer, tableCounts, type GraphQLResponse, type TestServer } from "./helpers";

interface Reply extends GraphQLResponse {
  status: number;
  headers: Headers;
}

async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Reply & { batch?: GraphQLResponse[] }> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await res.json()) as GraphQLResponse | GraphQLResponse[];
  return Array.isArray(json) ? { status: res.status, headers: res.headers, batch: json } : { ...json, status: res.status, headers: res.headers };
}

const gql = (server: TestServer, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  post(server, { query, variables }, headers);

const only = (r: GraphQLResponse) => {
  assert.equal(r.errors?.length, 1, JSON.stringify(r));
  return r.errors![0];
};

const organizationCount = async (server: TestServer) => (await tableCounts(server)).organizations;

/**
 * The first thing an operation over the socket answers: its errors, or its first result.
 * Subscriptions here pass `after: $none`, an event that does not exist: one that gets past the
 * limits fails at once with BAD_USER_INPUT instead of waiting for events.
 */
function firstAnswer(client: Client, query: string): Promise<{ errors?: readonly any[]; data?: unknown }> {
  const subscription = query.startsWith("subscription");
  return new Promise((resolve, reject) => {
    const dispose = client.subscribe(
      { query: subscription ? query.replace("subscription", "subscription ($none: ID)") : query, variables: subscription ? { none: "evt_none" } : {} },
      {
        next: (value) => {
          dispose();
          resolve(value as { data?: unknown });
        },
        error: (errors) => (Array.isArray(errors) ? resolve({ errors }) : reject(errors)),
        complete: () => resolve({}),
      },
    );
  });
}

describe("cost estimate", () => {
  const schema = buildCustomerSchema();
  const cost = (query: string, variables?: Record<string, unknown>) => {
    const document = parse(query);
    const operation = getOperationAST(document);
    assert.ok(operation);
    return operationCost(schema, document, operation, variables);
  };

  test("scalars cost 0, objects 1, connections 2 plus their lists times the page size (20 by default)", () => {
    assert.equal(cost("{ __typename }"), 0);
    assert.equal(cost(`{ customer(id: "x") { id displayName } }`), 1);
    assert.equal(cost(`{ customer(id: "x") { person { firstName { name } } } }`), 3);
    assert.equal(cost("{ customers { nodes { id } } }"), 2 + 20 * 1);
    assert.equal(cost("{ customers(first: 10) { edges { cursor node { id } } } }"), 2 + 10 * (1 + 1));
    assert.equal(cost("{ customers(last: 7) { nodes { id } } }"), 2 + 7);
    // pageInfo and totalCount are one per page, not one per item.
    assert.equal(cost("{ customers(first: 50) { totalCount pageInfo { hasNextPage } } }"), 2 + 1);
    // Plain lists (addresses) count once per parent.
    assert.equal(cost(`{ customer(id: "x") { addresses { id address { city } } } }`), 1 + 1 + 1);
  });

  test("nested connections multiply through", () => {
    assert.equal(cost("{ customers(first: 10) { nodes { documents(first: 5) { nodes { id } } } } }"), 2 + 10 * (1 + 2 + 5 * 1));
    assert.equal(
      cost("{ organizations(first: 3) { nodes { customers(first: 4) { nodes { events(first: 5) { nodes { id } } } } } } }"),
      2 + 3 * (1 + 2 + 4 * (1 + 2 + 5 * 1)),
    );
  });

  test("first/last come from variables and their defaults; sizes are capped at 100, as pagination is", () => {
    const q = "query ($n: Int) { customers(first: $n) { nodes { id } } }";
    assert.equal(cost(q, { n: 3 }), 2 + 3);
    assert.equal(cost(q, {}), 2 + 20);
    assert.equal(cost("query ($n: Int = 8) { customers(first: $n) { nodes { id } } }", {}), 2 + 8);
    assert.equal(cost(q, { n: 1000 }), 2 + 100);
    // Variables that do not coerce fail execution; the estimate falls back to the default.
    assert.equal(cost(q, { n: "ten" }), 2 + 20);
  });

  test("one parsed operation priced again: the variables it reads change the cost, the others do not", () => {
    const document = parse("query ($n: Int = 8, $id: ID!, $s: Boolean!) { customers(first: $n) { nodes { id } } customer(id: $id) @skip(if: $s) { id } }");
    const operation = getOperationAST(document)!;
    const priced = (variables: Record<string, unknown>) => operationCost(schema, document, operation, variables);
    assert.equal(priced({ n: 3, id: "a", s: false }), 2 + 3 + 1);
    assert.equal(priced({ n: 3, id: "b", s: false }), 2 + 3 + 1);
    assert.equal(priced({ n: 5, id: "a", s: false }), 2 + 5 + 1);
    assert.equal(priced({ n: 5, id: "a", s: true }), 2 + 5);
    // Left out, the default (8) applies; given as null, pagination's default (20).
    assert.equal(priced({ id: "a", s: false }), 2 + 8 + 1);
    assert.equal(priced({ n: null, id: "a", s: false }), 2 + 20 + 1);
    // Variables are the request's own keys: a name that Object.prototype has is not given by inheritance.
    const inherited = parse("query ($constructor: Int = 100) { customers(first: $constructor) { nodes { documents(first: $constructor) { nodes { id } } } } }");
    const inheritedOperation = getOperationAST(inherited)!;
    const small = operationCost(schema, inherited, inheritedOperation, { constructor: null });
    assert.equal(operationCost(schema, inherited, inheritedOperation, {}), 2 + 100 * (1 + 2 + 100 * 1));
    assert.notEqual(small, 2 + 100 * (1 + 2 + 100 * 1));
    const mutation = parse(`mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }`);
    const create = getOperationAST(mutation)!;
    assert.equal(operationCost(schema, mutation, create, { input: { type: "PERSON" } }), operationCost(schema, mutation, create, { input: { type: "ORGANIZATION", email: "x" } }));
  });

  test("fragments cost what the same fields inline cost; skipped fields cost nothing", () => {
    const inline = cost("{ customers(first: 10) { nodes { id memberships { organization { id } } } } }");
    const fragments = cost(`
      { customers(first: 10) { ...Page } }
      fragment Page on CustomerConnection { nodes { ...C } }
      fragment C on Customer { id memberships { ... on Membership { organization { id } } } }`);
    assert.equal(fragments, inline);
    assert.equal(inline, 2 + 10 * (1 + 1 + 1));
    const q = "query ($s: Boolean!) { customers(first: 10) { nodes { id documents @skip(if: $s) { nodes { id } } } } }";
    assert.equal(cost(q, { s: true }), 2 + 10 * 1);
    assert.equal(cost(q, { s: false }), 2 + 10 * (1 + 2 + 20));
  });

  test("on an interface, only the costliest object type counts; nodes(ids) multiplies by the ids", () => {
    const node = `{ node(id: "x") { id
      ... on Customer { documents(first: 5) { nodes { id } } }
      ... on Organization { customers(first: 10) { nodes { id } } } } }`;
    assert.equal(cost(node), 1 + Math.max(2 + 5, 2 + 10));
    assert.equal(cost(`{ nodes(ids: ["a", "b", "c"]) { ... on Customer { addresses { id } } } }`), 1 + 3 * 1);
    assert.equal(cost(`query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { person { fullName } } } }`, { ids: ["a", "b"] }), 1 + 2 * 1);
  });

  test("mutations cost 10 plus their selection", () => {
    assert.equal(cost(`mutation { createOrganization(input: { name: "x" }) { organization { id } userErrors { code } } }`), 10 + 1 + 1);
  });

  test("a fragment is priced once however often it is spread, so fragment bombs are priced quickly", () => {
    let query = "{ ...F0 }\n";
    for (let i = 0; i < 40; i++) query += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
    query += "fragment F40 on Query { customers { nodes { id } } }";
    assert.equal(cost(query), 2 ** 40 * 22);
  });
});

describe("token count", () => {
  test("counts tokens as the parser does, comments excluded, and stops one past the limit", () => {
    assert.equal(countTokens(["{ customers { totalCount } }"], 100), 6);
    assert.equal(countTokens(["# a comment\n{ a(x: 1) } # another"], 100), 8);
    assert.equal(countTokens(["{ a }", "{ b }"], 100), 6);
    assert.equal(countTokens(["{" + " a".repeat(10_000) + "}"], 50), 51);
    // A lexing error stops the count; the parser reports the error.
    assert.equal(countTokens(['{ a(x: "unterminated'], 100), 5);
  });
});

describe("leaky buckets", () => {
  test("take points, refuse without taking, restore over time up to the capacity, separately per key", () => {
    let now = 0;
    const buckets = new LeakyBuckets(100, 10, () => now);
    assert.deepEqual(buckets.take("a", 30), { granted: true, status: { maximumAvailable: 100, currentlyAvailable: 70, restoreRate: 10 } });
    assert.deepEqual(buckets.take("a", 80), {
      granted: false,
      retryAfterSeconds: 1,
      status: { maximumAvailable: 100, currentlyAvailable: 70, restoreRate: 10 },
    });
    assert.equal(buckets.peek("a").currentlyAvailable, 70, "a refusal takes nothing");
    now = 500;
    assert.equal(buckets.peek("a").currentlyAvailable, 75);
    now = 1000;
    assert.deepEqual(buckets.take("a", 80), { granted: true, status: { maximumAvailable: 100, currentlyAvailable: 0, restoreRate: 10 } });
    const refused = buckets.take("a", 95);
    assert.equal(refused.granted, false);
    assert.equal(!refused.granted && refused.retryAfterSeconds, 10);
    assert.equal(buckets.peek("b").currentlyAvailable, 100, "each key has its own bucket");
    now = 1_000_000;
    assert.equal(buckets.peek("a").currentlyAvailable, 100, "never more than the capacity");
  });

  test("full buckets are dropped once there are many keys", () => {
    let now = 0;
    const buckets = new LeakyBuckets(10, 10, () => now, 2);
    buckets.take("a", 5);
    buckets.take("b", 5);
    now = 1000; // "a" and "b" are full again
    buckets.take("c", 5);
    assert.equal(buckets.size, 1);
  });
});

describe("document limits over HTTP", () => {
  let server: TestServer;
  let client: Client;

  before(async () => {
    server = await startTestServer({
      MAX_QUERY_DEPTH: "5",
      MAX_ALIASES: "3",
      MAX_DIRECTIVES: "3",
      MAX_TOKENS: "200",
      MAX_QUERY_COST: "100",
      MAX_BATCH_SIZE: "3",
      MAX_BODY_BYTES: "4096",
      RATE_LIMIT_ENABLED: "false",
    });
    client = createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  });
  after(async () => {
    await client.dispose();
    await server.close();
  });

  test("depth: at the limit runs, one more is QUERY_TOO_DEEP with limit and actual; fragments do not add depth", async () => {
    const atLimit = await gql(server, "{ customers { nodes { memberships { organization { id } } } } }");
    assert.equal(atLimit.status, 200);
    assert.equal(atLimit.errors, undefined);

    const deep = await gql(server, "{ customers { nodes { memberships { organization { parent { id } } } } } }");
    assert.equal(deep.status, 400);
    assert.equal(deep.data, undefined);
    assert.deepEqual(only(deep).extensions, { code: "QUERY_TOO_DEEP", limit: 5, actual: 6 });

    const viaFragments = await gql(
      server,
      "{ customers { ...P } } fragment P on CustomerConnection { nodes { ...C } } fragment C on Customer { memberships { organization { parent { id } } } }",
    );
    assert.deepEqual(only(viaFragments).extensions, { code: "QUERY_TOO_DEEP", limit: 5, actual: 6 });
  });

  test("aliases: counted through fragments, once per spread", async () => {
    const four = await gql(server, "{ a: customers { totalCount } b: customers { totalCount } c: viewer { __typename } d: viewer { __typename } }");
    assert.deepEqual(only(four).extensions, { code: "TOO_MANY_ALIASES", limit: 3, actual: 4 });
    const spread = await gql(server, "{ customers { ...A ...A } } fragment A on CustomerConnection { a: totalCount b: totalCount }");
    assert.deepEqual(only(spread).extensions, { code: "TOO_MANY_ALIASES", limit: 3, actual: 4 });
    // Aliasing __typename is harmless and not counted.
    const typenames = await gql(server, "{ a: __typename b: __typename c: __typename d: __typename }");
    assert.equal(typenames.errors, undefined);
  });

  test("directives: each spread's own directives count, however often the fragment is spread", async () => {
    const q = `query ($t: Boolean!) { customers {
      ...F @include(if: $t) ...F @include(if: $t) ...F @include(if: $t) ...F @include(if: $t) } }
      fragment F on CustomerConnection { totalCount }`;
    const r = await gql(server, q, { t: true });
    assert.deepEqual(only(r).extensions, { code: "TOO_MANY_DIRECTIVES", limit: 3, actual: 4 });
    const fine = await gql(server, "query ($t: Boolean!) { customers { totalCount @include(if: $t) pageInfo @skip(if: $t) { hasNextPage } } }", { t: true });
    assert.deepEqual(fine.data, { customers: { totalCount: 0 } });
  });

  test("every operation of a document is checked, not only the one asked for, and the message names it", async () => {
    const r = await post(server, {
      query: "query Fine { __typename } query Deep { customers { nodes { memberships { organization { parent { id } } } } } }",
      operationName: "Fine",
    });
    assert.equal(only(r).extensions?.code, "QUERY_TOO_DEEP");
    assert.match(only(r).message, /`Deep`/);
  });

  test("a refused document never executes: a mutation over a limit writes nothing", async () => {
    const before = await organizationCount(server);
    const r = await gql(
      server,
      `mutation { a: createOrganization(input: { name: "A" }) { userErrors { code } } b: createOrganization(input: { name: "B" }) { userErrors { code } }
                  c: createOrganization(input: { name: "C" }) { userErrors { code } } d: createOrganization(input: { name: "D" }) { userErrors { code } } }`,
    );
    assert.equal(only(r).extensions?.code, "TOO_MANY_ALIASES");
    const costly = await gql(server, `mutation { createOrganization(input: { name: "E" }) { organization { customers(first: 100) { nodes { id } } } } }`);
    assert.deepEqual(only(costly).extensions, { code: "QUERY_TOO_COMPLEX", limit: 100, actual: 10 + 1 + 2 + 100 });
    assert.equal(await organizationCount(server), before);
  });

  test("tokens: refused before parsing with TOO_MANY_TOKENS over POST and GET; comments are free", async () => {
    const flood = "{" + " __typename".repeat(250) + " }";
    const r = await gql(server, flood);
    assert.equal(r.status, 400);
    assert.deepEqual(only(r).extensions, { code: "TOO_MANY_TOKENS", limit: 200 });

    const get = await fetch(`${server.url}?query=${encodeURIComponent(flood)}`, { headers: { "apollo-require-preflight": "true" } });
    assert.equal(get.status, 400);
    assert.equal(((await get.json()) as GraphQLResponse).errors?.[0].extensions?.code, "TOO_MANY_TOKENS");

    const commented = await gql(server, "# " + "comment ".repeat(300) + "\n{ __typename }");
    assert.deepEqual(commented.data, { __typename: "Query" });
  });

  test("a batch's documents count their tokens together", async () => {
    const doc = "{" + " __typename".repeat(90) + " }"; // 92 tokens each
    const two = await post(server, [{ query: doc }, { query: doc }]);
    assert.equal(two.status, 200);
    const three = await post(server, [{ query: doc }, { query: doc }, { query: doc }]);
    assert.equal(three.status, 400);
    assert.deepEqual(only(three).extensions, { code: "TOO_MANY_TOKENS", limit: 200 });
    assert.match(only(three).message, /request's documents/);
  });

  test("cost: reported in extensions.cost, with variables; over MAX_QUERY_COST is QUERY_TOO_COMPLEX", async () => {
    const q = "query ($n: Int) { customers(first: $n) { nodes { id } } }";
    const ok = await gql(server, q, { n: 98 });
    assert.equal(ok.status, 200);
    // Rate limiting is off on this server: no throttleStatus.
    assert.deepEqual(ok.extensions?.cost, { requestedQueryCost: 100 });

    const over = await gql(server, q, { n: 99 });
    assert.equal(over.status, 400);
    assert.equal(over.data, undefined);
    assert.deepEqual(only(over).extensions, { code: "QUERY_TOO_COMPLEX", limit: 100, actual: 101 });
    assert.deepEqual(over.extensions?.cost, { requestedQueryCost: 101 });
  });

  test("batches: up to MAX_BATCH_SIZE run, each with its cost; larger ones are refused whole with BAD_REQUEST", async () => {
    const small = await post(server, [{ query: "{ __typename }" }, { query: "{ customers { totalCount } }" }]);
    assert.equal(small.status, 200);
    assert.deepEqual(
      small.batch?.map((r) => [r.data, r.extensions?.cost]),
      [
        [{ __typename: "Query" }, { requestedQueryCost: 0 }],
        [{ customers: { totalCount: 0 } }, { requestedQueryCost: 2 }],
      ],
    );

    const before = await organizationCount(server);
    const mutation = { query: `mutation { createOrganization(input: { name: "Batch" }) { userErrors { code } } }` };
    const big = await post(server, [mutation, mutation, mutation, mutation]);
    assert.equal(big.status, 400);
    assert.deepEqual(only(big).extensions, { code: "BAD_REQUEST", limit: 3, actual: 4 });
    assert.equal(await organizationCount(server), before, "no operation of a refused batch ran");
  });

  test("CSRF prevention stays on: a simple POST runs nothing", async () => {
    const before = await organizationCount(server);
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: `mutation { createOrganization(input: { name: "CSRF" }) { userErrors { code } } }` }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as GraphQLResponse).errors?.[0].extensions?.code, "BAD_REQUEST");
    assert.equal(await organizationCount(server), before);
  });

  test("bodies over MAX_BODY_BYTES get 413 with a JSON error; bad JSON gets 400 with a JSON error", async () => {
    const body = JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(5000) } });
    const big = await post(server, body);
    assert.equal(big.status, 413);
    assert.deepEqual(only(big).extensions, { code: "PAYLOAD_TOO_LARGE", limit: 4096, actual: Buffer.byteLength(body) });

    const bad = await post(server, '{ "query": ');
    assert.equal(bad.status, 400);
    assert.deepEqual(only(bad).extensions, { code: "BAD_REQUEST" });
  });

  test("subscriptions obey the same limits", async () => {
    const deep = await firstAnswer(client, "subscription { customerEvents(after: $none) { customer { memberships { organization { parent { id } } } } } }");
    assert.deepEqual(deep.errors?.map((e) => e.extensions), [{ code: "QUERY_TOO_DEEP", limit: 5, actual: 6 }]);

    const aliases = await firstAnswer(client, "subscription { a: customerEvents(after: $none) { b: id c: type d: customerId } }");
    assert.deepEqual(aliases.errors?.map((e) => e.extensions), [{ code: "TOO_MANY_ALIASES", limit: 3, actual: 4 }]);

    const costly = await firstAnswer(client, "subscription { customerEvents(after: $none) { customer { documents(first: 99) { nodes { id } } } } }");
    assert.deepEqual(costly.errors?.map((e) => e.extensions), [{ code: "QUERY_TOO_COMPLEX", limit: 100, actual: 1 + 1 + 2 + 99 }]);

    const tokens = await firstAnswer(client, "subscription { customerEvents(after: $none) {" + " id".repeat(250) + " } }");
    assert.deepEqual(tokens.errors?.map((e) => e.extensions), [{ code: "TOO_MANY_TOKENS", limit: 200 }]);

    // Other documents still validate as before.
    const unknown = await firstAnswer(client, "subscription { customerEvents(after: $none) { nope } }");
    assert.equal(unknown.errors?.[0].extensions?.code, "GRAPHQL_VALIDATION_FAILED");

    // Within the limits, a subscription starts (and here fails on its unknown `after`).
    const started = await firstAnswer(client, "subscription { customerEvents(after: $none) { id } }");
    assert.equal(started.errors?.[0].extensions?.code, "BAD_USER_INPUT");

    // Within the limits, a query over the socket runs.
    const fine = await firstAnswer(client, "{ customers { totalCount } }");
    assert.deepEqual(fine.data, { customers: { totalCount: 0 } });
  });
});

describe("rate limiting", () => {
  const ADMIN = "admin-key-for-limit-tests-0123456789abcdef01";
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ RATE_LIMIT_BUCKET: "100", RATE_LIMIT_RESTORE_PER_SECOND: "1", ADMIN_API_KEY: ADMIN });
  });
  after(() => server.close());

  // Costs: 2 + n for `customers(first: n) { nodes { id } }`.
  const page = (n: number) => `{ customers(first: ${n}) { nodes { id } } }`;

  // The assertions hold however slowly the machine runs: 1 point per second is restored, and a
  // refusal below would need over 20 seconds between two requests to turn into a success.
  test("each credential has a bucket of cost points; a request that does not fit gets 429 and costs nothing", async () => {
    const first = await gql(server, page(60));
    assert.equal(first.status, 200);
    assert.deepEqual(first.extensions?.cost, {
      requestedQueryCost: 62,
      throttleStatus: { maximumAvailable: 100, currentlyAvailable: 38, restoreRate: 1 },
    });

    const refused = await gql(server, page(60));
    assert.equal(refused.status, 429);
    assert.equal(refused.data, undefined);
    const error = only(refused);
    assert.equal(error.extensions?.code, "RATE_LIMITED");
    const retryAfter = error.extensions?.retryAfter as number;
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 24, `retryAfter ${retryAfter}`);
    assert.equal(refused.headers.get("retry-after"), String(retryAfter));
    const status = (refused.extensions?.cost as any).throttleStatus;
    assert.equal((refused.extensions?.cost as any).requestedQueryCost, 62);
    assert.ok(status.currentlyAvailable >= 38 && status.currentlyAvailable < 62, JSON.stringify(status));

    // The refusal took nothing: 38 (and what flowed back since) still covers 22.
    const after = await gql(server, page(20));
    assert.equal(after.status, 200, JSON.stringify(after.errors));
    assert.ok((after.extensions?.cost as any).throttleStatus.currentlyAvailable >= 16);

    // Another credential has its own full bucket.
    const admin = await gql(server, page(60), undefined, { authorization: `Bearer ${ADMIN}` });
    assert.equal(admin.status, 200);
    assert.equal((admin.extensions?.cost as any).throttleStatus.currentlyAvailable, 38);
  });

  test("a rate-limited mutation does not run", async () => {
    const before = await organizationCount(server);
    const r = await gql(server, `mutation { createOrganization(input: { name: "Late" }) { organization { customers(first: 60) { nodes { id } } } } }`);
    assert.equal(r.status, 429);
    assert.equal(only(r).extensions?.code, "RATE_LIMITED");
    assert.equal(await organizationCount(server), before);
  });

  test("a cost the bucket can never hold is QUERY_TOO_COMPLEX, not rate limited forever", async () => {
    const r = await gql(server, page(99), undefined, { authorization: `Bearer ${ADMIN}` });
    assert.equal(r.status, 400);
    assert.deepEqual(only(r).extensions, { code: "QUERY_TOO_COMPLEX", limit: 100, actual: 101 });
  });

  test("subscriptions are charged once, from the same bucket", async () => {
    const client = createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    try {
      const r = await firstAnswer(client, "subscription { customerEvents(after: $none) { customer { documents(first: 80) { nodes { id } } } } }");
      assert.equal(r.errors?.[0].extensions?.code, "RATE_LIMITED");
      assert.ok((r.errors?.[0].extensions?.retryAfter as number) >= 1);
    } finally {
      await client.dispose();
    }
  });

  test("a flood of tokens is refused without being read to the end", async () => {
    const flood = "{" + " a".repeat(400_000) + " }";
    const r = await gql(server, flood);
    assert.equal(r.status, 400);
    assert.deepEqual(only(r).extensions, { code: "TOO_MANY_TOKENS", limit: 5000 });
  });
});
