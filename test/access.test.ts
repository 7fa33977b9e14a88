// Access control over HTTP and WebSocket: a matrix of organizations, keys with each scope, tag
// restrictions, expired and revoked keys, JWTs good and forged, and production's locks.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import type * as Jose from "jose" with { "resolution-mode": "import" };
import { sqlRun, startTestServer, type GraphQLResponse, type TestServer } from "./helpers";

const { SignJWT } = require("jose") as typeof Jose;

const ADMIN = "admin-key-for-tests-0123456789abcdef0123456789";
const JWT_SECRET = "jwt-secret-for-tests-0123456789abcdef012345";
const ISSUER = "https://issuer.example.com";
const AUDIENCE = "customer-api";

let server: TestServer;
const ids: Record<string, string> = {};
const keys: Record<string, string> = {};

async function call(key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse & { status: number }> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await res.json()) as GraphQLResponse), status: res.status };
}

async function ok(key: string | null, query: string, variables?: Record<string, unknown>): Promise<any> {
  const r = await call(key, query, variables);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data;
}

const code = (r: GraphQLResponse) => r.errors?.[0]?.extensions?.code;

function jwt(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string; audience?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject("user-1")
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "5m")
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

before(async () => {
  server = await startTestServer({
    ALLOW_ANONYMOUS: "false",
    ADMIN_API_KEY: ADMIN,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_SECRET,
  });
  const org = async (name: string, parentId?: string) =>
    (await ok(ADMIN, `mutation ($i: CreateOrganizationInput!) { createOrganization(input: $i) { organization { id } userErrors { code } } }`, { i: { name, parentId } }))
      .createOrganization.organization.id as string;
  ids.partner = await org("Partner");
  ids.managed = await org("Managed", ids.partner);
  ids.other = await org("Other Tenant");
  const customer = async (first: string, organizationId: string, tags: string[] = []) =>
    (await ok(ADMIN, `mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } userErrors { code } } }`, {
      i: { type: "PERSON", organizationId, tags, person: { firstName: { name: first } } },
    })).createCustomer.customer.id as string;
  ids.cPartner = await customer("InPartner", ids.partner);
  ids.cManaged = await customer("InManaged", ids.managed);
  ids.cOther = await customer("InOther", ids.other);
  ids.cVip = await customer("VipInPartner", ids.partner, ["vip"]);
  const key = async (organizationId: string, scopes: string[], tags?: string[]) => {
    const data = await ok(ADMIN, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id prefix scopes } secret userErrors { code } } }`, {
      i: { organizationId, name: scopes.join("+"), scopes, tags },
    });
    assert.match(data.createApiKey.secret, /^ck_[A-Za-z0-9_-]{43}$/);
    assert.ok(data.createApiKey.secret.startsWith(data.createApiKey.apiKey.prefix));
    return data.createApiKey as { apiKey: { id: string }; secret: string };
  };
  keys.read = (await key(ids.partner, ["customers:read"])).secret;
  keys.write = (await key(ids.partner, ["customers:read", "customers:write"])).secret;
  keys.admin = (await key(ids.partner, ["customers:read", "customers:write", "organizations:admin"])).secret;
  keys.vip = (await key(ids.partner, ["customers:read"], ["vip"])).secret;
  keys.managedRead = (await key(ids.managed, ["customers:read"])).secret;
  keys.webhooksOnly = (await key(ids.partner, ["webhooks:manage"])).secret;
  const expiring = await key(ids.partner, ["customers:read"]);
  keys.expired = expiring.secret;
  await sqlRun(server, "update api_keys set expires_at = ? where id = ?", new Date(Date.now() - 1000).toISOString(), expiring.apiKey.id);
  const revoked = await key(ids.partner, ["customers:read"]);
  keys.revoked = revoked.secret;
  keys.revokedId = revoked.apiKey.id;
});
after(() => server.close());

const LIST = `{ customers(first: 100) { totalCount nodes { id } } }`;
const listed = async (key: string) => {
  const data = await ok(key, LIST);
  return { total: data.customers.totalCount, ids: data.customers.nodes.map((n: { id: string }) => n.id).sort() };
};

describe("authentication", () => {
  test("no credential, a malformed header, an unknown key: UNAUTHENTICATED with HTTP 401", async () => {
    for (const key of [null, "ck_not-a-real-key", "garbage"]) {
      const r = await call(key, LIST);
      assert.equal(r.status, 401);
      assert.equal(code(r), "UNAUTHENTICATED");
      assert.equal(r.data, undefined);
    }
    const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", authorization: "Basic abc" }, body: JSON.stringify({ query: LIST }) });
    assert.equal(res.status, 401);
  });

  test("expired and revoked keys are refused", async () => {
    assert.equal(code(await call(keys.expired, LIST)), "UNAUTHENTICATED");
    assert.deepEqual((await listed(keys.revoked)).total, 3);
    const revoke = await ok(keys.admin, `mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } userErrors { code } } }`, { id: keys.revokedId });
    assert.ok(revoke.revokeApiKey.apiKey.revokedAt);
    assert.equal(code(await call(keys.revoked, LIST)), "UNAUTHENTICATED");
  });

  test("JWTs: a valid one maps claims to organization and scopes; forged, expired or wrong-audience ones are refused", async () => {
    const good = await jwt({ org_id: ids.partner, scope: "customers:read" });
    assert.deepEqual((await listed(good)).total, 3);
    const viewer = await ok(good, `{ viewer { scopes actor organization { id } } }`);
    assert.deepEqual(viewer.viewer, { scopes: ["customers:read"], actor: `jwt:${ISSUER}:user-1`, organization: { id: ids.partner } });
    assert.equal(code(await call(good, `mutation { createCustomer(input: { type: PERSON, person: { firstName: { name: "X" } } }) { userErrors { code } } }`)), "FORBIDDEN");
    for (const bad of [
      await jwt({ org_id: ids.partner, scope: "customers:read" }, { secret: "another-secret-that-is-long-enough-0123456789" }),
      await jwt({ org_id: ids.partner, scope: "customers:read" }, { expiresIn: "-1m" }),
      await jwt({ org_id: ids.partner, scope: "customers:read" }, { audience: "someone-else" }),
      await jwt({ scope: "customers:read" }),
      await jwt({ org_id: "org_00000000000000000000000000", scope: "customers:read" }),
    ]) {
      assert.equal(code(await call(bad, LIST)), "UNAUTHENTICATED");
    }
  });

  test("the admin key sees every organization", async () => {
    assert.equal((await listed(ADMIN)).total, 4);
  });
});

describe("tenancy", () => {
  test("a partner sees its own and its managed organization's customers, nothing of another tenant", async () => {
    assert.deepEqual(await listed(keys.read), { total: 3, ids: [ids.cPartner, ids.cManaged, ids.cVip].sort() });
    const data = await ok(keys.read, `query ($o: ID!, $c: ID!, $p: ID!) {
      customer(id: $c) { id } node(id: $c) { id } other: organization(id: $o) { id } own: organization(id: $p) { id }
      organizations { totalCount nodes { id } } nodes(ids: [$c]) { id }
      byOrg: customers(filter: { organizationId: $o }) { totalCount } }`, { o: ids.other, c: ids.cOther, p: ids.partner });
    assert.equal(data.customer, null);
    assert.equal(data.node, null);
    assert.deepEqual(data.nodes, [null]);
    assert.equal(data.other, null);
    assert.deepEqual(data.own, { id: ids.partner });
    assert.deepEqual(data.organizations.nodes.map((o: { id: string }) => o.id).sort(), [ids.partner, ids.managed].sort());
    assert.equal(data.byOrg.totalCount, 0);
  });

  test("the managed organization sees its own customers only, and not its partner", async () => {
    assert.deepEqual(await listed(keys.managedRead), { total: 1, ids: [ids.cManaged] });
    const data = await ok(keys.managedRead, `query ($p: ID!) { organization(id: $p) { id } organizations { nodes { id parent { id } } } }`, { p: ids.partner });
    assert.equal(data.organization, null);
    assert.deepEqual(data.organizations.nodes, [{ id: ids.managed, parent: null }]);
  });

  test("a tag-restricted key sees only customers with its tags, totals included", async () => {
    assert.deepEqual(await listed(keys.vip), { total: 1, ids: [ids.cVip] });
    const data = await ok(keys.vip, `query ($c: ID!) { customer(id: $c) { id } }`, { c: ids.cPartner });
    assert.equal(data.customer, null);
  });

  test("writes to another tenant's customer read as NOT_FOUND and change nothing", async () => {
    const r = await ok(keys.write, `mutation ($id: ID!) { updateCustomer(input: { id: $id, nickname: "hijack" }) { userErrors { code field } } }`, { id: ids.cOther });
    assert.deepEqual(r.updateCustomer.userErrors, [{ code: "NOT_FOUND", field: ["id"] }]);
    const a = await ok(keys.write, `mutation ($id: ID!) { archiveCustomer(input: { id: $id }) { userErrors { code field } } }`, { id: ids.cOther });
    assert.deepEqual(a.archiveCustomer.userErrors, [{ code: "NOT_FOUND", field: ["id"] }]);
    const c = await ok(keys.write, `mutation ($o: ID!) { createCustomer(input: { type: PERSON, organizationId: $o, person: { firstName: { name: "X" } } }) { userErrors { code field } } }`, { o: ids.other });
    assert.deepEqual(c.createCustomer.userErrors, [{ code: "NOT_FOUND", field: ["organizationId"] }]);
    const other = await ok(ADMIN, `query ($id: ID!) { customer(id: $id) { nickname status version } }`, { id: ids.cOther });
    assert.deepEqual(other.customer, { nickname: null, status: "NEW", version: 1 });
    // Its own managed customer is fine; a new customer lands in the key's organization.
    const own = await ok(keys.write, `mutation ($id: ID!) { updateCustomer(input: { id: $id, nickname: "mine" }) { userErrors { code } customer { updatedBy } } }`, { id: ids.cManaged });
    assert.deepEqual(own.updateCustomer.userErrors, []);
    assert.match(own.updateCustomer.customer.updatedBy, /^key_/);
  });
});

describe("scopes", () => {
  test("each operation needs its scope: FORBIDDEN otherwise", async () => {
    const create = `mutation { createCustomer(input: { type: PERSON, person: { firstName: { name: "S" } } }) { userErrors { code } } }`;
    const r = await call(keys.read, create);
    assert.equal(code(r), "FORBIDDEN");
    assert.match(r.errors![0].message, /customers:write/);
    assert.equal(code(await call(keys.write, `mutation { createOrganization(input: { name: "Nope" }) { userErrors { code } } }`)), "FORBIDDEN");
    assert.equal(code(await call(keys.write, `{ apiKeys { id } }`)), "FORBIDDEN");
    // Reads too, by id as in a list; the customer exists and is within the key's organization.
    const read = await call(keys.webhooksOnly, `query ($id: ID!) { customer(id: $id) { id } }`, { id: ids.cPartner });
    assert.equal(code(read), "FORBIDDEN");
    assert.match(read.errors![0].message, /customers:read/);
    assert.deepEqual(read.data, { customer: null });
    assert.equal(code(await call(keys.webhooksOnly, `{ customers(first: 1) { nodes { id } } }`)), "FORBIDDEN");
    assert.equal((await ok(keys.read, `query ($id: ID!) { customer(id: $id) { id } }`, { id: ids.cPartner })).customer.id, ids.cPartner);
    const created = await ok(keys.write, create);
    assert.deepEqual(created.createCustomer.userErrors, []);
  });

  test("an organization admin manages keys and organizations within its reach, and cannot grant more than it has", async () => {
    const child = await ok(keys.admin, `mutation { createOrganization(input: { name: "Admin's child" }) { organization { id parent { id } } userErrors { code } } }`);
    assert.deepEqual(child.createOrganization.organization.parent, { id: ids.partner }, "new organizations hang below the caller's");
    const foreign = await ok(keys.admin, `mutation ($o: ID!) { createApiKey(input: { organizationId: $o, name: "x", scopes: ["customers:read"] }) { secret userErrors { code field } } }`, { o: ids.other });
    assert.deepEqual(foreign.createApiKey, { secret: null, userErrors: [{ code: "NOT_FOUND", field: ["organizationId"] }] });
    const escalate = await ok(keys.admin, `mutation ($o: ID!) { createApiKey(input: { organizationId: $o, name: "x", scopes: ["webhooks:manage"] }) { secret userErrors { code field } } }`, { o: ids.managed });
    assert.deepEqual(escalate.createApiKey, { secret: null, userErrors: [{ code: "INVALID", field: ["scopes"] }] });
    const list = await ok(keys.admin, `{ apiKeys { id name prefix scopes } }`);
    assert.ok(list.apiKeys.length >= 6);
    assert.ok(!JSON.stringify(list).includes(keys.read), "secrets are never listed");
    const otherOrg = await ok(keys.admin, `mutation ($o: ID!) { updateOrganization(input: { id: $o, name: "Renamed" }) { userErrors { code field } } }`, { o: ids.other });
    assert.deepEqual(otherOrg.updateOrganization.userErrors, [{ code: "NOT_FOUND", field: ["id"] }]);
  });
});

describe("WebSocket", () => {
  const connect = (authorization?: string) =>
    createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: authorization ? { authorization } : {} });

  test("a connection without a valid credential is closed; with one, events obey tenancy", async () => {
    for (const bad of [undefined, "Bearer ck_wrong"]) {
      const client = connect(bad);
      const closed = await new Promise<number>((resolve) => {
        client.on("closed", (event) => resolve((event as { code: number }).code));
      });
      assert.equal(closed, 4403);
      await client.dispose();
    }
    const client = connect(`Bearer ${keys.read}`);
    const received = new Promise<string[]>((resolve, reject) => {
      const seen: string[] = [];
      const dispose = client.subscribe(
        { query: `subscription { customerEvents(types: [UPDATED]) { customerId } }` },
        {
          next: (v) => {
            seen.push((v.data as any).customerEvents.customerId);
            if (seen.length === 2) {
              dispose();
              resolve(seen);
            }
          },
          error: reject,
          complete: () => resolve(seen),
        },
      );
    });
    await new Promise((r) => setTimeout(r, 200));
    for (const id of [ids.cOther, ids.cPartner, ids.cOther, ids.cVip]) {
      await ok(ADMIN, `mutation ($id: ID!) { updateCustomer(input: { id: $id, categorization: "${Math.random()}" }) { userErrors { code } } }`, { id });
    }
    assert.deepEqual(await received, [ids.cPartner, ids.cVip]);
    await client.dispose();
  });
});

describe("production", () => {
  let prod: TestServer;
  before(async () => {
    prod = await startTestServer({ NODE_ENV: "production", ADMIN_API_KEY: ADMIN });
  });
  after(() => prod.close());

  test("no anonymous access, no introspection, no field suggestions, masked errors", async () => {
    const anonymous = await prod.gql(`{ customers { totalCount } }`);
    assert.equal(anonymous.errors?.[0].extensions?.code, "UNAUTHENTICATED");
    const auth = { authorization: `Bearer ${ADMIN}` };
    const introspection = await prod.gql(`{ __schema { types { name } } }`, undefined, auth);
    assert.ok(introspection.errors?.length);
    assert.equal(introspection.data, undefined);
    const typo = await prod.gql(`{ customerz { totalCount } }`, undefined, auth);
    assert.doesNotMatch(typo.errors?.[0].message ?? "", /Did you mean/);
    const fine = await prod.gql(`{ customers { totalCount } }`, undefined, auth);
    assert.equal(fine.data.customers.totalCount, 0);
    assert.equal(fine.extensions?.sqlStatements, undefined, "no statement counts in production");
  });
});

test("no API key secret appears in any log line", () => {
  const log = server.logs.join("\n");
  for (const secret of [ADMIN, ...Object.values(keys).filter((k) => k.startsWith("ck_"))]) assert.ok(!log.includes(secret));
});
