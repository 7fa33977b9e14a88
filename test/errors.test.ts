// Unexpected failures reach the client as INTERNAL_SERVER_ERROR with nothing internal in them,
// and are logged on the server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createCustomer, failWrites, personInput, sqlExec, startTestServer, type TestServer } from "./helpers";

let server: TestServer;

before(async () => {
  server = await startTestServer({ SEED_DEMO: "true" });
});
after(() => server.close());

test("a database failure is masked as INTERNAL_SERVER_ERROR and logged", async () => {
  // Break the database under the running server: the wallets relation now fails in SQL.
  await sqlExec(server, "ALTER TABLE wallets RENAME TO wallets_gone");
  try {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ customers(first: 1) { nodes { id wallets { address } } } }" }),
    });
    const text = await res.text();
    const body = JSON.parse(text);
    assert.equal(body.errors[0].extensions.code, "INTERNAL_SERVER_ERROR");
    assert.equal(body.errors[0].message, "Internal server error");
    assert.deepEqual(Object.keys(body.errors[0].extensions), ["code"]);
    for (const leak of ["no such table", "does not exist", "SQLITE", "select ", "stack", ".js:"]) {
      assert.ok(!text.includes(leak), `response leaks ${leak}: ${text}`);
    }
    assert.ok(server.logs.some((line) => line.includes("unexpected error") && line.includes("wallets")), "logged with detail");
  } finally {
    await sqlExec(server, "ALTER TABLE wallets_gone RENAME TO wallets");
  }
});

test("request errors keep their own codes", async () => {
  const syntax = await server.gql("{ customers { ");
  assert.equal(syntax.errors?.[0].extensions?.code, "GRAPHQL_PARSE_FAILED");
  const unknown = await server.gql("{ customers { nope } }");
  assert.equal(unknown.errors?.[0].extensions?.code, "GRAPHQL_VALIDATION_FAILED");
  const badVariable = await server.gql("query ($n: Int) { customers(first: $n) { totalCount } }", { n: "ten" });
  assert.equal(badVariable.errors?.[0].extensions?.code, "BAD_USER_INPUT");
  const tooMany = await server.gql("{ customers(first: 500) { totalCount } }");
  assert.equal(tooMany.errors?.[0].extensions?.code, "BAD_USER_INPUT");
  assert.match(tooMany.errors?.[0].message ?? "", /first/);
});

test("a failing mutation inside a transaction rolls back and is masked", async () => {
  const customer = await createCustomer(server, personInput("Roll", "Back"));
  // Make the event insert fail: the customer update in the same transaction must not stay.
  const undo = await failWrites(server, "customer_events", "boom");
  try {
    const res = await server.gql(
      `mutation ($id: ID!) { updateCustomer(input: { id: $id, nickname: "changed" }) { customer { nickname } userErrors { code } } }`,
      { id: customer.id },
    );
    assert.equal(res.errors?.[0].extensions?.code, "INTERNAL_SERVER_ERROR");
    assert.ok(!JSON.stringify(res).includes("boom"));
  } finally {
    await undo();
  }
  const after = await server.gql(`query ($id: ID!) { customer(id: $id) { nickname version } }`, { id: customer.id });
  assert.deepEqual(after.data.customer, { nickname: null, version: 1 });
});
