// The HTTP fast path answers the common request without express and Apollo's pipeline. Two
// servers over one database, one with the fast path and one without (HTTP_FAST_PATH=false), get
// the same requests: successes, execution errors, bad variables, refusals of every kind, CORS and
// batches must get the same status, headers and body from both.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "./helpers";

const KEY = "fast-path-test-admin-key-0123456789abcdef";
const AUTH = { authorization: `Bearer ${KEY}` };
const ORIGIN = "http://app.example.test";
const ENV = {
  ADMIN_API_KEY: KEY,
  CORS_ORIGINS: ORIGIN,
  // A small bucket, so that a few requests reach the rate limit.
  RATE_LIMIT_BUCKET: "400",
  RATE_LIMIT_RESTORE_PER_SECOND: "1",
};

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers a client may see, minus the ones that differ by nature (date) or by server (etag). */
const COMPARED = ["content-type", "vary", "access-control-allow-origin", "access-control-expose-headers", "retry-after", "x-request-id"];

async function send(server: TestServer, body: string, headers: Record<string, string> = {}): Promise<Answer & { etag: string | null }> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "same-id", ...AUTH, ...headers },
    body,
  });
  const picked: Record<string, string> = {};
  for (const name of COMPARED) {
    const value = res.headers.get(name);
    if (value !== null) picked[name] = value;
  }
  // The buckets of the two servers restore at their own moments: compare what is not timing.
  const text = (await res.text()).replace(/"currentlyAvailable":\d+/g, '"currentlyAvailable":0');
  return { status: res.status, headers: picked, body: text, etag: res.headers.get("etag") };
}

describe("HTTP fast path", () => {
  let fast: TestServer;
  let apollo: TestServer;
  let customerId: string;

  before(async () => {
    fast = await startTestServer({ ...ENV, SEED_DEMO: "true" });
    // The second server opens the first one's database.
    apollo = await startTestServer({ ...ENV, HTTP_FAST_PATH: "false", DATABASE_URL: fast.databaseUrl });
    const created = await fast.gql(
      `mutation { createCustomer(input: { type: PERSON, email: "fast@example.com", person: { firstName: { name: "Fast" }, lastName: { name: "Path" } } }) { customer { id } userErrors { code field message } } }`,
      {},
      AUTH,
    );
    assert.deepEqual(created.data.createCustomer.userErrors, []);
    customerId = created.data.createCustomer.customer.id;
  });
  after(async () => {
    await apollo?.close();
    await fast?.close();
  });

  /** Sends the same request to both servers and asserts the same answer; returns the fast one. */
  async function same(
    body: string | object,
    headers: Record<string, string> = {},
    normalise: (answer: Answer) => Answer = (answer) => answer,
  ): Promise<Answer & { etag: string | null }> {
    const payload = typeof body === "string" ? body : JSON.stringify(body);
    const a = await send(fast, payload, headers);
    const b = await send(apollo, payload, headers);
    const compared = ({ status, headers, body }: Answer) => normalise({ status, headers, body });
    assert.deepEqual(compared(a), compared(b));
    return a;
  }

  test("a query is answered by the fast path (no express ETag) exactly as Apollo answers it", async () => {
    const query = `query One($id: ID!) { customer(id: $id) { id displayName status person { fullName firstName { name } } addresses { id } } }`;
    const a = await same({ query, variables: { id: customerId }, operationName: "One" });
    assert.equal(a.status, 200);
    assert.equal(a.etag, null, "the fast path answered");
    const json = JSON.parse(a.body);
    assert.equal(json.data.customer.displayName, "Fast Path");
    assert.equal(typeof json.extensions.sqlStatements, "number");
    assert.equal(typeof json.extensions.cost.requestedQueryCost, "number");
    // And without an operation name, a list with a page and its total.
    const list = await same({ query: "{ customers(first: 2) { totalCount nodes { id } } }" });
    assert.equal(list.etag, null);
    assert.ok(JSON.parse(list.body).data.customers.totalCount > 1);
  });

  test("a document too large to keep (over 512 KiB) is still answered, parsed for each request", async () => {
    // A comment makes the document 600 KiB long; it is valid and runs.
    const padding = `# ${"x".repeat(600 * 1024)}\n`;
    const query = { query: `${padding}{ customers(first: 1) { totalCount } }` };
    for (let i = 0; i < 2; i++) {
      const a = await same(query);
      assert.equal(a.status, 200);
      assert.equal(a.etag, null);
      assert.ok(JSON.parse(a.body).data.customers.totalCount > 1);
    }
  });

  test("a search text too long to be a name is refused as BAD_USER_INPUT with its argument (SQLite refused it as an internal error)", async () => {
    const a = await same({ query: `{ customers(first: 1, search: "${"x".repeat(201)}") { totalCount } }` });
    const error = JSON.parse(a.body).errors[0];
    assert.equal(error.extensions.code, "BAD_USER_INPUT");
    assert.equal(error.extensions.argument, "search");
    const name = await same({ query: `{ customers(first: 1, filter: { name: "${"x".repeat(60_000)}" }) { totalCount } }` });
    assert.equal(JSON.parse(name.body).errors[0].extensions.argument, "filter.name");
    assert.equal(JSON.parse((await same({ query: `{ customers(first: 1, search: "${"x".repeat(200)}") { totalCount } }` })).body).data.customers.totalCount, 0);
  });

  test("a variable named like an Object member and left out takes its default (graphql-jit read Object's)", async () => {
    const query = "query Q($constructor: Int = 2) { customers(first: $constructor) { nodes { id } } }";
    const a = await same({ query, variables: {} });
    assert.equal(a.status, 200, a.body);
    assert.equal(JSON.parse(a.body).data.customers.nodes.length, 2);
  });

  test("a body with a UTF-8 byte order mark is read as body-parser reads it", async () => {
    const a = await same(`\uFEFF${JSON.stringify({ query: "{ customers(first: 1) { totalCount } }" })}`);
    assert.equal(a.status, 200);
    assert.equal(a.etag, null);
  });

  test('operationName "" names no operation: not the same as leaving it out, even after the document is cached', async () => {
    const query = "query Named { customers(first: 1) { totalCount } }";
    assert.equal((await same({ query })).status, 200);
    const empty = await same({ query, operationName: "" });
    assert.notEqual(empty.status, 200);
    assert.equal(JSON.parse(empty.body).data, undefined);
  });

  test("execution errors: the error map's code, path and status", async () => {
    const a = await same({ query: `{ customers(first: 2, after: "not-a-cursor") { nodes { id } } }` });
    assert.equal(a.etag, null);
    const json = JSON.parse(a.body);
    assert.equal(json.errors[0].extensions.code, "BAD_USER_INPUT");
    assert.deepEqual(json.errors[0].path, ["customers"]);
  });

  test("variables that do not coerce: 400 BAD_USER_INPUT, nothing run", async () => {
    const a = await same({ query: "query Get($id: ID!) { customer(id: $id) { id } }", variables: {} });
    assert.equal(a.status, 400);
    assert.equal(JSON.parse(a.body).errors[0].extensions.code, "BAD_USER_INPUT");
    const wrongType = await same({ query: "query Get($first: Int!) { customers(first: $first) { totalCount } }", variables: { first: "ten" } });
    assert.equal(wrongType.status, 400);
  });

  test("refusals before execution are Apollo's own answers", async () => {
    const cases: [string | object, Record<string, string>, number, string][] = [
      [{ query: "{ customers(first: 1) { nope } }" }, {}, 400, "GRAPHQL_VALIDATION_FAILED"],
      [{ query: "{ customers(first: 1) { " }, {}, 400, "GRAPHQL_PARSE_FAILED"],
      ["{ not json", {}, 400, "BAD_REQUEST"],
      [{ query: "{ customers(first: 1) { totalCount } }" }, { authorization: "Bearer wrong" }, 401, "UNAUTHENTICATED"],
      [{ query: "{ customers(first: 1000) { nodes { id documents(first: 100) { nodes { id } } } } }" }, {}, 400, "QUERY_TOO_COMPLEX"],
      [{ query: "query A { __typename } query B { __typename }" }, {}, 400, "OPERATION_RESOLUTION_FAILURE"],
      [{ query: `subscription { customerEvents(customerId: "x") { id } }` }, {}, 400, "BAD_REQUEST"],
      // JSON that is not an object or an array is refused as body-parser refuses it (strict mode).
      ["null", {}, 400, "BAD_REQUEST"],
      ["0", {}, 400, "BAD_REQUEST"],
      ['"{ __typename }"', {}, 400, "BAD_REQUEST"],
    ];
    for (const [body, headers, status, code] of cases) {
      const a = await same(body, headers);
      assert.equal(a.status, status, `${JSON.stringify(body)} → ${a.body}`);
      if (code) assert.equal(JSON.parse(a.body).errors[0].extensions.code, code, a.body);
    }
  });

  test("mutations: userErrors as data; with an Idempotency-Key, Apollo's idempotency applies", async () => {
    const mutation = `mutation Archive($id: ID!) { archiveCustomer(input: { id: $id }) { customer { id } userErrors { code field } } }`;
    const a = await same({ query: mutation, variables: { id: "cus_missing" } });
    assert.equal(a.etag, null);
    assert.equal(JSON.parse(a.body).data.archiveCustomer.userErrors[0].code, "NOT_FOUND");
    const keyed = await send(fast, JSON.stringify({ query: mutation, variables: { id: "cus_missing" } }), { "idempotency-key": "fast-1" });
    assert.notEqual(keyed.etag, null, "a keyed mutation goes through Apollo");
    const replay = await fetch(fast.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...AUTH, "idempotency-key": "fast-1" },
      body: JSON.stringify({ query: mutation, variables: { id: "cus_missing" } }),
    });
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
  });

  test("CORS headers for an allowed origin and none for another", async () => {
    const query = { query: "{ customers(first: 1) { totalCount } }" };
    const allowed = await same(query, { origin: ORIGIN });
    assert.equal(allowed.headers["access-control-allow-origin"], ORIGIN);
    const other = await same(query, { origin: "http://elsewhere.test" });
    assert.equal(other.headers["access-control-allow-origin"], undefined);
    assert.equal(other.status, 200);
  });

  test("the response type follows the Accept header as Apollo negotiates it", async () => {
    const query = { query: "{ customers(first: 1) { totalCount } }" };
    const cases: [string, number, string | null][] = [
      ["*/*", 200, "application/json; charset=utf-8"],
      ["application/json", 200, "application/json; charset=utf-8"],
      // Apollo Client's header: the GraphQL-over-HTTP media type first.
      ["application/graphql-response+json,application/json;q=0.9", 200, "application/graphql-response+json; charset=utf-8"],
      ["application/json;q=0.5, application/graphql-response+json;q=0.4", 200, "application/json; charset=utf-8"],
      ["text/html", 406, null],
    ];
    for (const [accept, status, type] of cases) {
      const a = await same(query, { accept });
      assert.equal(a.status, status, accept);
      if (type) {
        assert.equal(a.headers["content-type"], type, accept);
        assert.equal(a.etag, null, `${accept}: the fast path answered`);
      }
    }
  });

  test("batches go to Apollo and answer the same", async () => {
    // A batch's operations share one statement count, read as each finishes: it depends on timing.
    const a = await same([{ query: "{ customers(first: 1) { totalCount } }" }, { query: "{ __typename }" }], {}, (answer) => ({
      ...answer,
      body: answer.body.replace(/"sqlStatements":\d+/g, '"sqlStatements":0'),
    }));
    assert.equal(a.status, 200);
    assert.equal(JSON.parse(a.body).length, 2);
  });

  test("the rate limit holds on the fast path: 429 with Retry-After, and nothing taken by a refusal", async () => {
    // Each server has its own bucket (400 points, 1 per second back), drained by the same costly
    // query; the fast server's holds less (it answered a few requests more), so the figures differ.
    const query = { query: "query Costly { customers(first: 100) { nodes { id person { fullName } } } }" };
    const figures = (answer: Answer): Answer => ({
      status: answer.status,
      headers: { ...answer.headers, "retry-after": "#" },
      body: answer.body.replace(/\d+/g, "#"),
    });
    const answers: number[] = [];
    for (let i = 0; i < 3; i++) answers.push((await same(query, {}, (answer) => ({ ...figures(answer), body: "" }))).status);
    assert.deepEqual(answers.slice(-1), [429], JSON.stringify(answers));
    const last = await same(query, {}, figures);
    assert.equal(last.status, 429);
    assert.ok(Number(last.headers["retry-after"]) >= 1);
    assert.equal(JSON.parse(last.body).errors[0].extensions.code, "RATE_LIMITED");
  });

  test("the log line and the metrics count fast-path requests", async () => {
    const before = fast.logs.length;
    await send(fast, JSON.stringify({ query: "query Logged { __typename }" }));
    const line = fast.logs.slice(before).map((l) => JSON.parse(l)).find((l) => l.msg === "graphql request");
    assert.equal(line?.operationName, "Logged");
    assert.equal(line?.requestId, "same-id");
    assert.equal(line?.outcome, "ok");
    const metrics = await (await fetch(new URL("/metrics", fast.url))).text();
    assert.match(metrics, /graphql_requests_total\{operation="Logged",type="query",outcome="ok"\} 1/);
  });
});
