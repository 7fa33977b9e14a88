// node(id:) resolves webhook endpoints (whk_) for callers that manage webhooks, within their organization.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "./helpers";

const ADMIN = "admin-key-for-webhook-node-test-0123456789abcdef";
let server: TestServer;
before(async () => {
  server = await startTestServer({ ADMIN_API_KEY: ADMIN, ALLOW_ANONYMOUS: "false", WEBHOOK_ALLOW_PRIVATE: "true" });
});
after(() => server.close());

test("node(whk_…) is the caller's endpoint; without webhooks:manage, or from another organization, it is null", async () => {
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const org = async (name: string) =>
    (await server.gql(`mutation { createOrganization(input: { name: "${name}" }) { organization { id } } }`, undefined, as(ADMIN))).data.createOrganization.organization.id;
  const key = async (organizationId: string, scopes: string[]) =>
    (await server.gql(`mutation ($o: ID!, $s: [String!]!) { createApiKey(input: { organizationId: $o, name: "k", scopes: $s }) { secret } }`, { o: organizationId, s: scopes }, as(ADMIN))).data.createApiKey.secret as string;
  const mine = await org("Hooks");
  const theirs = await org("Others");
  const manager = await key(mine, ["customers:read", "webhooks:manage"]);
  const reader = await key(mine, ["customers:read"]);
  const stranger = await key(theirs, ["customers:read", "webhooks:manage"]);
  const created = await server.gql(`mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hook" }) { endpoint { id } userErrors { code } } }`, undefined, as(manager));
  const id = created.data.createWebhookEndpoint.endpoint.id;
  assert.match(id, /^whk_/);
  const node = (k: string) => server.gql(`query ($id: ID!) { node(id: $id) { __typename id ... on WebhookEndpoint { url } } }`, { id }, as(k));
  assert.deepEqual((await node(manager)).data.node, { __typename: "WebhookEndpoint", id, url: "http://127.0.0.1:9/hook" });
  assert.equal((await node(reader)).data.node, null);
  assert.equal((await node(stranger)).data.node, null);
});
