// Structured request logs: one line per operation with id, name, duration and outcome, and no
// personal data.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createOrganization, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await createOrganization(server, { name: "Log Org" });
});
after(() => server.close());

test("each operation logs request id, operation name, duration and outcome, and no personal data", async () => {
  const email = "very.private.person@example.org";
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "req-abc-123" },
    body: JSON.stringify({
      operationName: "MakeOne",
      query: `mutation MakeOne($e: String) { createCustomer(input: { type: PERSON, email: $e, person: { firstName: { name: "Privatina" } } }) { customer { id email } } }`,
      variables: { e: email },
    }),
  });
  assert.equal(res.headers.get("x-request-id"), "req-abc-123");
  await res.json();
  await server.gql(`query Broken { customers(first: 500) { totalCount } }`);

  const lines = server.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "graphql request");
  const made = lines.find((l) => l.requestId === "req-abc-123");
  assert.ok(made, "the request's line, under the id the client sent");
  assert.equal(made.operation, "mutation");
  assert.equal(made.operationName, "MakeOne");
  assert.equal(made.outcome, "ok");
  assert.equal(typeof made.durationMs, "number");
  assert.equal(made.principal, "anonymous");
  const broken = lines.find((l) => l.operationName === "Broken");
  assert.deepEqual([broken.outcome, broken.errorCodes], ["error", ["BAD_USER_INPUT"]]);
  assert.match(broken.requestId, /^[0-9a-f-]{36}$/, "a generated id when the client sends none");

  const log = server.logs.join("\n");
  for (const pii of [email, "Privatina"]) assert.ok(!log.includes(pii), `${pii} is not logged`);
});
