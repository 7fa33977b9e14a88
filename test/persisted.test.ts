// Automatic persisted queries (Apollo's APQ: a document sent once, then by its SHA-256) over POST
// and GET, with limits and authentication as for any request; and trusted documents
// (TRUSTED_DOCUMENTS): only the operations of a manifest run, by hash, documentId or text.
import { test, after, before, describe } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { loadConfig } from "../src/config";
import { createCustomer, createOrganization, createTestDatabase, dataOf, personInput, startTestServer, tableCounts, type GraphQLResponse, type TestDatabase, type TestServer } from "./helpers";

const ADMIN_KEY = `admin_${crypto.randomBytes(24).toString("hex")}`;
const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** One POST of a GraphQL-over-HTTP body, with its status. */
async function post(server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: GraphQLResponse & GraphQLResponse[] }> {
  const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as GraphQLResponse & GraphQLResponse[] };
}

/** A GET with its parameters (objects as JSON), and Apollo's CSRF header unless told otherwise. */
async function get(server: TestServer, params: Record<string, unknown>, headers: Record<string, string> = { "apollo-require-preflight": "true" }) {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const res = await fetch(`${server.url}?${search}`, { headers });
  return { status: res.status, json: (await res.json()) as GraphQLResponse };
}

const codes = (response: GraphQLResponse) => (response.errors ?? []).map((e) => e.extensions?.code);

describe("automatic persisted queries", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ MAX_QUERY_DEPTH: "4", MAX_QUERY_COST: "50" });
    await createOrganization(server);
    dataOf(await server.gql('mutation { createCustomer(input: { type: PERSON, person: { firstName: { name: "Ada" }, lastName: { name: "Lovelace" } } }) { customer { id } } }'));
  });
  after(() => server.close());

  test("a document is registered once, then runs by its hash over POST and GET", async () => {
    const query = "query Count($first: Int) { customers(first: $first) { totalCount nodes { displayName } } }";
    const hash = sha256(query);
    const unknown = await post(server, { extensions: persisted(hash), variables: { first: 1 } });
    assert.deepEqual(codes(unknown.json), ["PERSISTED_QUERY_NOT_FOUND"]);

    const registered = await post(server, { query, extensions: persisted(hash), variables: { first: 1 } });
    assert.deepEqual(dataOf(registered.json).customers.nodes, [{ displayName: "Ada Lovelace" }]);

    const byHash = await post(server, { extensions: persisted(hash), variables: { first: 1 } });
    assert.deepEqual(dataOf(byHash.json).customers.totalCount, 1);
    assert.ok((byHash.json.extensions as { cost?: unknown }).cost, "priced like any request");

    const overGet = await get(server, { extensions: persisted(hash), variables: { first: 1 } });
    assert.equal(overGet.status, 200);
    assert.equal(dataOf(overGet.json).customers.totalCount, 1);
    // A GET without a preflight header is still refused by Apollo's CSRF prevention.
    const simple = await get(server, { extensions: persisted(hash) }, {});
    assert.equal(simple.status, 400);
    assert.deepEqual(codes(simple.json), ["BAD_REQUEST"]);
  });

  test("a hash that does not match its document is refused", async () => {
    const res = await post(server, { query: "{ customers { totalCount } }", extensions: persisted(sha256("{ __typename }")) });
    assert.equal(res.status, 400);
    assert.ok(res.json.errors?.length);
  });

  test("limits apply at registration and to every request by hash", async () => {
    const deep = "{ customers(first: 1) { nodes { memberships { organization { customers(first: 1) { nodes { id } } } } } } }";
    const refused = await post(server, { query: deep, extensions: persisted(sha256(deep)) });
    assert.deepEqual(codes(refused.json), ["QUERY_TOO_DEEP"]);
    const notKept = await post(server, { extensions: persisted(sha256(deep)) });
    assert.deepEqual(codes(notKept.json), ["PERSISTED_QUERY_NOT_FOUND"], "a refused document is not registered");

    // Cost depends on the variables: the same hash is cheap with first: 1 and too costly with 100.
    const query = "query ($n: Int) { customers(first: $n) { nodes { id } } }";
    assert.ok(dataOf((await post(server, { query, variables: { n: 1 }, extensions: persisted(sha256(query)) })).json));
    const costly = await post(server, { extensions: persisted(sha256(query)), variables: { n: 100 } });
    assert.deepEqual(codes(costly.json), ["QUERY_TOO_COMPLEX"]);
  });

  test("in production a request by hash needs a credential like any other", async () => {
    const production = await startTestServer({ NODE_ENV: "production", ADMIN_API_KEY: ADMIN_KEY });
    try {
      const query = "{ customers { totalCount } }";
      const admin = { authorization: `Bearer ${ADMIN_KEY}` };
      assert.deepEqual(dataOf((await post(production, { query, extensions: persisted(sha256(query)) }, admin)).json), { customers: { totalCount: 0 } });
      const anonymous = await post(production, { extensions: persisted(sha256(query)) });
      assert.equal(anonymous.status, 401);
      assert.deepEqual(codes(anonymous.json), ["UNAUTHENTICATED"]);
    } finally {
      await production.close();
    }
  });
});

const LISTED_QUERY = "query Customers { customers(first: 5) { totalCount nodes { displayName } } }";
const LISTED_MUTATION = "mutation Nick($id: ID!, $nickname: String) { updateCustomer(input: { id: $id, nickname: $nickname }) { userErrors { code } } }";
const LISTED_SUBSCRIPTION = "subscription Events { customerEvents { type customerId changedFields } }";
const UNLISTED = "{ customers { totalCount } }";

/** A manifest in GraphQL Codegen's persisted-documents format: { "<sha256>": "<document>" }. */
function writeManifest(dir: string, documents: string[]): string {
  const file = path.join(dir, "persisted-documents.json");
  fs.writeFileSync(file, JSON.stringify(Object.fromEntries(documents.map((d) => [sha256(d), d]))));
  return file;
}

describe("trusted documents, enforced", () => {
  let server: TestServer;
  let customerId: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-trusted-"));
  let database: TestDatabase;
  before(async () => {
    // Setting up the data needs unlisted operations: a first server without the manifest, on the
    // database the enforcing server then opens.
    database = await createTestDatabase();
    const setup = await startTestServer({ DATABASE_URL: database.url });
    await createOrganization(setup);
    const customer = await createCustomer(setup, personInput("Grace", "Hopper"));
    customerId = customer.id;
    await setup.close();
    server = await startTestServer({
      DATABASE_URL: database.url,
      TRUSTED_DOCUMENTS: writeManifest(dir, [LISTED_QUERY, LISTED_MUTATION, LISTED_SUBSCRIPTION]),
    });
  });
  after(async () => {
    await server?.close();
    await database?.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("listed documents run by APQ hash, by documentId (POST and GET) and as text", async () => {
    const hash = sha256(LISTED_QUERY);
    const expected = { customers: { totalCount: 1, nodes: [{ displayName: "Grace Hopper" }] } };
    assert.deepEqual(dataOf((await post(server, { extensions: persisted(hash) })).json), expected, "by hash, never registered");
    assert.deepEqual(dataOf((await post(server, { documentId: `sha256:${hash}` })).json), expected);
    assert.deepEqual(dataOf((await post(server, { documentId: hash })).json), expected);
    assert.deepEqual(dataOf((await get(server, { documentId: `sha256:${hash}` })).json), expected);
    assert.deepEqual(dataOf((await get(server, { extensions: persisted(hash) })).json), expected);
    assert.deepEqual(dataOf((await post(server, { query: LISTED_QUERY })).json), expected);
    const mutation = await post(server, { documentId: `sha256:${sha256(LISTED_MUTATION)}`, variables: { id: customerId, nickname: "Listed" } });
    assert.deepEqual(dataOf(mutation.json), { updateCustomer: { userErrors: [] } });
  });

  test("any other document is refused with PERSISTED_QUERY_NOT_ALLOWED, and APQ cannot register one", async () => {
    const before = await tableCounts(server);
    for (const body of [{ query: UNLISTED }, { query: UNLISTED, extensions: persisted(sha256(UNLISTED)) }]) {
      const res = await post(server, body);
      assert.equal(res.status, 400);
      assert.deepEqual(codes(res.json), ["PERSISTED_QUERY_NOT_ALLOWED"]);
    }
    assert.deepEqual(codes((await post(server, { extensions: persisted(sha256(UNLISTED)) })).json), ["PERSISTED_QUERY_NOT_FOUND"], "not registered");
    assert.deepEqual(codes((await get(server, { query: UNLISTED })).json), ["PERSISTED_QUERY_NOT_ALLOWED"]);
    assert.deepEqual(codes((await post(server, { documentId: "sha256:0000" })).json), ["PERSISTED_QUERY_NOT_FOUND"]);
    // A batch with one unlisted operation runs none of them.
    const batch = await post(server, [
      { documentId: sha256(LISTED_MUTATION), variables: { id: customerId, nickname: "Batched" } },
      { query: 'mutation { createCustomer(input: { type: PERSON, person: { firstName: { name: "X" } } }) { customer { id } } }' },
    ]);
    assert.deepEqual(codes(batch.json as unknown as GraphQLResponse), ["PERSISTED_QUERY_NOT_ALLOWED"]);
    assert.deepEqual(await tableCounts(server), before, "nothing was written");
  });

  test("subscriptions over WebSocket: listed ones by hash, others refused", async () => {
    const client = createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: "subscription { customerEvents { id } }" }, { next: () => undefined, error: resolve, complete: () => resolve(null) });
      });
      assert.deepEqual((refused as { extensions?: unknown }[]).map((e) => e.extensions), [{ code: "PERSISTED_QUERY_NOT_ALLOWED" }]);

      const event = new Promise<any>((resolve, reject) => {
        const dispose = client.subscribe(
          { query: "", extensions: persisted(sha256(LISTED_SUBSCRIPTION)) },
          { next: (value) => { dispose(); resolve(value); }, error: reject, complete: () => undefined },
        );
      });
      await new Promise((r) => setTimeout(r, 200));
      const res = await post(server, { documentId: sha256(LISTED_MUTATION), variables: { id: customerId, nickname: "Subscribed" } });
      assert.deepEqual(dataOf(res.json).updateCustomer.userErrors, []);
      assert.deepEqual((await event).data, { customerEvents: { type: "UPDATED", customerId, changedFields: ["nickname"] } });
    } finally {
      await client.dispose();
    }
  });
});

describe("trusted documents, allow-unlisted", () => {
  test("unlisted documents run too; listed ones by id, from an Apollo persisted query manifest", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-trusted-"));
    const file = path.join(dir, "manifest.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ format: "apollo-persisted-query-manifest", version: 1, operations: [{ id: "customers-v1", name: "Customers", type: "query", body: LISTED_QUERY }] }),
    );
    const server = await startTestServer({ TRUSTED_DOCUMENTS: file, TRUSTED_DOCUMENTS_MODE: "allow-unlisted" });
    try {
      assert.deepEqual(dataOf((await post(server, { query: UNLISTED })).json), { customers: { totalCount: 0 } });
      assert.deepEqual(dataOf((await post(server, { documentId: "customers-v1" })).json).customers.totalCount, 0);
      assert.deepEqual(dataOf((await post(server, { extensions: persisted(sha256(LISTED_QUERY)) })).json).customers.totalCount, 0);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("a manifest that cannot be read or parsed stops the start, naming TRUSTED_DOCUMENTS", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-trusted-"));
  try {
    await assert.rejects(startTestServer({ TRUSTED_DOCUMENTS: path.join(dir, "missing.json") }), /TRUSTED_DOCUMENTS/);
    fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ abc: "{ customers { " }));
    await assert.rejects(startTestServer({ TRUSTED_DOCUMENTS: path.join(dir, "bad.json") }), /TRUSTED_DOCUMENTS: document abc does not parse/);
    assert.throws(() => loadConfig({ TRUSTED_DOCUMENTS_MODE: "sometimes" }), /TRUSTED_DOCUMENTS_MODE/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
