// Webhooks over HTTP: endpoints managed by mutations, deliveries posted to a real receiver on
// 127.0.0.1 that verifies Standard Webhooks signatures and fails on purpose, retries, filters,
// disabling, redelivery, SSRF refusal, scopes, tenancy, and a restart with deliveries pending.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Webhook } from "standardwebhooks";
import { loadConfig } from "../src/config";
import { startApp, type App } from "../src/server/app";
import { sqlGet, startTestServer, type GraphQLResponse, type TestServer } from "./helpers";

const ADMIN = "admin-key-for-tests-0123456789abcdef0123456789";
const FAST = { WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_POLL_INTERVAL_MS: "20" };

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

/** A webhook receiver: records every request; answers 500 while a path's rule says so. */
class Receiver {
  readonly received: Received[] = [];
  /** Per path: how many first attempts of each webhook-id fail, "always", or "hold" (answer 200 on release()). */
  readonly failures = new Map<string, number | "always" | "hold">();
  private held: http.ServerResponse[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const pathName = req.url ?? "/";
      const rule = this.failures.get(pathName) ?? 0;
      const earlier = this.received.filter((r) => r.path === pathName && r.headers["webhook-id"] === headers["webhook-id"]).length;
      const status = rule === "always" || (typeof rule === "number" && earlier < rule) ? 500 : 200;
      this.received.push({ path: pathName, headers, body: Buffer.concat(chunks).toString("utf8"), status });
      if (rule === "hold") this.held.push(res);
      else res.writeHead(status).end();
    });
  });
  url = "";

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers 200 to every held request. */
  release(): void {
    for (const res of this.held.splice(0)) res.writeHead(200).end();
  }

  at(pathName: string): Received[] {
    return this.received.filter((r) => r.path === pathName);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `check` until it returns a truthy value, for at most `ms`. */
async function eventually<T>(what: string, check: () => T | Promise<T>, ms = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function client(url: () => string) {
  const call = async (key: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> => {
    const res = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GraphQLResponse;
  };
  const ok = async (key: string, query: string, variables?: Record<string, unknown>): Promise<any> => {
    const r = await call(key, query, variables);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data;
  };
  return { call, ok };
}

const CREATE_ENDPOINT = `mutation ($i: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $i) { endpoint { id url eventTypes enabled disabledReason } secret userErrors { code field } } }`;
const ENDPOINTS = `{ webhookEndpoints { id url enabled disabledReason
  deliveries(first: 100) { totalCount nodes { id eventId status attempt statusCode delivered nextAttemptAt } } } }`;

async function setUp(gql: ReturnType<typeof client>) {
  const org = async (name: string) =>
    (await gql.ok(ADMIN, `mutation ($i: CreateOrganizationInput!) { createOrganization(input: $i) { organization { id } } }`, { i: { name } }))
      .createOrganization.organization.id as string;
  const key = async (organizationId: string, scopes: string[]) =>
    (await gql.ok(ADMIN, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, { i: { organizationId, name: "k", scopes } }))
      .createApiKey.secret as string;
  const a = await org("Tenant A");
  const b = await org("Tenant B");
  return {
    orgA: a,
    orgB: b,
    keyA: await key(a, ["customers:read", "customers:write", "webhooks:manage"]),
    keyNoHooks: await key(a, ["customers:read", "customers:write"]),
    keyB: await key(b, ["customers:read", "customers:write", "webhooks:manage"]),
  };
}

async function createEndpoint(gql: ReturnType<typeof client>, key: string, input: Record<string, unknown>) {
  const p = (await gql.ok(key, CREATE_ENDPOINT, { i: input })).createWebhookEndpoint;
  assert.deepEqual(p.userErrors, []);
  assert.match(p.secret, /^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
  assert.ok(Buffer.from(p.secret.slice(6), "base64").length >= 24);
  return p as { endpoint: { id: string }; secret: string };
}

async function newCustomer(gql: ReturnType<typeof client>, key: string, first: string): Promise<string> {
  const d = await gql.ok(key, `mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } userErrors { code } } }`, {
    i: { type: "PERSON", person: { firstName: { name: first }, lastName: { name: "Secretson" } } },
  });
  assert.deepEqual(d.createCustomer.userErrors, []);
  return d.createCustomer.customer.id;
}

async function endpointsOf(gql: ReturnType<typeof client>, key: string): Promise<any[]> {
  return (await gql.ok(key, ENDPOINTS)).webhookEndpoints;
}

/** Every request for `path` verifies with `secret`; returns the parsed bodies. */
function verifyAll(received: Received[], secret: string): any[] {
  const wh = new Webhook(secret);
  return received.map((r) => {
    assert.match(r.headers["webhook-signature"], /^v1,[A-Za-z0-9+/]+=*$/);
    wh.verify(r.body, r.headers);
    return JSON.parse(r.body);
  });
}

describe("webhooks", () => {
  let server: TestServer;
  let app: App | null = null;
  const receiver = new Receiver();
  const gql = client(() => (app ? app.url : server.url));
  let ids: Awaited<ReturnType<typeof setUp>>;
  let all: { endpoint: { id: string }; secret: string };
  let filtered: { endpoint: { id: string }; secret: string };
  let disabled: { endpoint: { id: string }; secret: string };
  let customerId = "";
  let events: { id: string; type: string }[] = [];

  before(async () => {
    await receiver.start();
    server = await startTestServer({ ALLOW_ANONYMOUS: "false", ADMIN_API_KEY: ADMIN, WEBHOOK_ALLOW_PRIVATE: "true", ...FAST });
    ids = await setUp(gql);
    receiver.failures.set("/all", 2);
    all = await createEndpoint(gql, ids.keyA, { url: `${receiver.url}/all` });
    filtered = await createEndpoint(gql, ids.keyA, { url: `${receiver.url}/filtered`, eventTypes: ["DEACTIVATED"] });
    disabled = await createEndpoint(gql, ids.keyA, { url: `${receiver.url}/disabled`, enabled: false });
    customerId = await newCustomer(gql, ids.keyA, "Alice");
    const deactivate = await gql.ok(ids.keyA, `mutation ($i: DeactivateCustomerInput!) { deactivateCustomer(input: $i) { userErrors { code } } }`, {
      i: { id: customerId, reason: "Test" },
    });
    assert.deepEqual(deactivate.deactivateCustomer.userErrors, []);
    events = (await gql.ok(ids.keyA, `query ($id: ID!) { customer(id: $id) { events(first: 50) { nodes { id type } } } }`, { id: customerId }))
      .customer.events.nodes;
    assert.ok(events.some((e) => e.type === "CREATED") && events.some((e) => e.type === "DEACTIVATED"), JSON.stringify(events));
  });

  after(async () => {
    if (app) await app.close();
    await server.close();
    await receiver.close();
  });

  test("every event arrives, signed, with a stable webhook-id across retries, and the log shows the attempts", async () => {
    const succeeded = () => new Set(receiver.at("/all").filter((r) => r.status === 200).map((r) => JSON.parse(r.body).data.id));
    await eventually("every event delivered to /all", () => events.every((e) => succeeded().has(e.id)));
    const bodies = verifyAll(receiver.at("/all"), all.secret);
    for (const event of events) {
      const requests = receiver.at("/all").filter((r) => JSON.parse(r.body).data.id === event.id);
      // Two answered 500, the third 200; all three carry the same webhook-id.
      assert.deepEqual(requests.map((r) => r.status), [500, 500, 200]);
      assert.equal(new Set(requests.map((r) => r.headers["webhook-id"])).size, 1);
      assert.match(requests[0].headers["webhook-id"], /^wdl_/);
    }
    for (const body of bodies) {
      assert.deepEqual(Object.keys(body).sort(), ["data", "timestamp", "type"]);
      assert.deepEqual(Object.keys(body.data).sort(), ["actor", "changedFields", "customerId", "id", "occurredAt", "type", "via"]);
      assert.equal(body.type, `customer.${body.data.type.toLowerCase()}`);
      assert.equal(body.data.customerId, customerId);
    }
    // No personal data in any body.
    assert.ok(!receiver.received.some((r) => /Alice|Secretson/.test(r.body)));

    const endpoint = await eventually("the log shows every delivery delivered", async () => {
      const e = (await endpointsOf(gql, ids.keyA)).find((x) => x.id === all.endpoint.id);
      return e.deliveries.nodes.length === events.length && e.deliveries.nodes.every((d: any) => d.delivered) ? e : null;
    });
    assert.equal(endpoint.deliveries.totalCount, events.length);
    assert.deepEqual(new Set(endpoint.deliveries.nodes.map((d: any) => d.eventId)), new Set(events.map((e) => e.id)));
    for (const d of endpoint.deliveries.nodes) {
      assert.deepEqual({ attempt: d.attempt, statusCode: d.statusCode, status: d.status, nextAttemptAt: d.nextAttemptAt }, { attempt: 3, statusCode: 200, status: "DELIVERED", nextAttemptAt: null });
    }
  });

  test("an endpoint gets only the event types it asked for; a disabled endpoint gets nothing", async () => {
    // Deliveries are created for every endpoint at once, so once /all has them all, the others have theirs.
    const list = await endpointsOf(gql, ids.keyA);
    const f = list.find((x) => x.id === filtered.endpoint.id);
    const deactivated = events.filter((e) => e.type === "DEACTIVATED").map((e) => e.id);
    assert.deepEqual(f.deliveries.nodes.map((d: any) => d.eventId).sort(), deactivated.sort());
    await eventually("the filtered endpoint got its event", () => receiver.at("/filtered").length >= deactivated.length);
    const bodies = verifyAll(receiver.at("/filtered"), filtered.secret);
    assert.ok(bodies.every((b) => b.data.type === "DEACTIVATED" && b.type === "customer.deactivated"));
    const d = list.find((x) => x.id === disabled.endpoint.id);
    assert.equal(d.enabled, false);
    assert.equal(d.deliveries.totalCount, 0);
    assert.equal(receiver.at("/disabled").length, 0);
  });

  test("redeliverWebhook sends a delivery again with the same webhook-id", async () => {
    const endpoint = (await endpointsOf(gql, ids.keyA)).find((x) => x.id === all.endpoint.id);
    const delivery = endpoint.deliveries.nodes[0];
    const before = receiver.at("/all").filter((r) => r.headers["webhook-id"] === delivery.id).length;
    const r = await gql.ok(ids.keyA, `mutation ($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) { delivery { id delivered nextAttemptAt } userErrors { code } } }`, {
      i: { deliveryId: delivery.id },
    });
    assert.deepEqual(r.redeliverWebhook.userErrors, []);
    assert.equal(r.redeliverWebhook.delivery.delivered, false);
    assert.ok(r.redeliverWebhook.delivery.nextAttemptAt);
    await eventually("the delivery was sent again", () => receiver.at("/all").filter((x) => x.headers["webhook-id"] === delivery.id).length > before);
    verifyAll(receiver.at("/all"), all.secret);
    await eventually("the log shows it delivered again", async () => {
      const e = (await endpointsOf(gql, ids.keyA)).find((x) => x.id === all.endpoint.id);
      const d = e.deliveries.nodes.find((x: any) => x.id === delivery.id);
      return d.delivered && d.attempt === delivery.attempt + 1;
    });
  });

  test("a key without webhooks:manage is FORBIDDEN", async () => {
    const list = await gql.call(ids.keyNoHooks, `{ webhookEndpoints { id } }`);
    assert.equal(list.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const create = await gql.call(ids.keyNoHooks, CREATE_ENDPOINT, { i: { url: `${receiver.url}/x` } });
    assert.equal(create.errors?.[0]?.extensions?.code, "FORBIDDEN");
  });

  test("another tenant's endpoints and deliveries are NOT_FOUND and not listed", async () => {
    assert.deepEqual(await endpointsOf(gql, ids.keyB), []);
    const update = await gql.ok(ids.keyB, `mutation ($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { id } userErrors { code field } } }`, {
      i: { id: all.endpoint.id, enabled: false },
    });
    assert.deepEqual(update.updateWebhookEndpoint, { endpoint: null, userErrors: [{ code: "NOT_FOUND", field: ["id"] }] });
    const del = await gql.ok(ids.keyB, `mutation ($i: IdInput!) { deleteWebhookEndpoint(input: $i) { deletedEndpointId userErrors { code } } }`, {
      i: { id: all.endpoint.id },
    });
    assert.deepEqual(del.deleteWebhookEndpoint, { deletedEndpointId: null, userErrors: [{ code: "NOT_FOUND" }] });
    const deliveryId = (await endpointsOf(gql, ids.keyA)).find((x) => x.id === all.endpoint.id).deliveries.nodes[0].id;
    const redeliver = await gql.ok(ids.keyB, `mutation ($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) { delivery { id } userErrors { code } } }`, {
      i: { deliveryId },
    });
    assert.deepEqual(redeliver.redeliverWebhook, { delivery: null, userErrors: [{ code: "NOT_FOUND" }] });
    const mine = (await endpointsOf(gql, ids.keyA)).find((x) => x.id === all.endpoint.id);
    assert.equal(mine.enabled, true);
  });

  test("update and delete an endpoint", async () => {
    const created = await createEndpoint(gql, ids.keyA, { url: `${receiver.url}/temp` });
    const UPDATE = `mutation ($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { id url eventTypes enabled } userErrors { code field } } }`;
    const u = await gql.ok(ids.keyA, UPDATE, { i: { id: created.endpoint.id, url: `${receiver.url}/temp2`, eventTypes: ["UPDATED"] } });
    assert.deepEqual(u.updateWebhookEndpoint, {
      endpoint: { id: created.endpoint.id, url: `${receiver.url}/temp2`, eventTypes: ["UPDATED"], enabled: true },
      userErrors: [],
    });
    const same = await gql.ok(ids.keyA, UPDATE, { i: { id: created.endpoint.id, eventTypes: ["UPDATED"] } });
    assert.deepEqual(same.updateWebhookEndpoint.userErrors, [{ code: "NO_CHANGES", field: null }]);
    const bad = await gql.ok(ids.keyA, UPDATE, { i: { id: created.endpoint.id, url: "ftp://example.com/x" } });
    assert.deepEqual(bad.updateWebhookEndpoint.userErrors, [{ code: "INVALID", field: ["url"] }]);
    const del = await gql.ok(ids.keyA, `mutation ($i: IdInput!) { deleteWebhookEndpoint(input: $i) { deletedEndpointId userErrors { code } } }`, {
      i: { id: created.endpoint.id },
    });
    assert.deepEqual(del.deleteWebhookEndpoint, { deletedEndpointId: created.endpoint.id, userErrors: [] });
    assert.ok(!(await endpointsOf(gql, ids.keyA)).some((x) => x.id === created.endpoint.id));
  });

  test("deliveries pending at shutdown are delivered after a restart, with the same webhook-id", async () => {
    receiver.failures.set("/restart", "always");
    const restart = await createEndpoint(gql, ids.keyA, { url: `${receiver.url}/restart` });
    const id = await newCustomer(gql, ids.keyA, "Bob");
    const pending = await eventually("a failed attempt is recorded", async () => {
      const e = (await endpointsOf(gql, ids.keyA)).find((x) => x.id === restart.endpoint.id);
      const d = e.deliveries.nodes[0];
      return d && d.attempt >= 1 && d.statusCode === 500 && !d.delivered && d.nextAttemptAt ? d : null;
    });
    assert.equal(pending.status, "PENDING");
    await server.app.close();
    receiver.failures.set("/restart", 0);
    app = await startApp(
      loadConfig({
        NODE_ENV: "test",
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: server.databaseUrl,
        SEED_DEMO: "false",
        ALLOW_ANONYMOUS: "false",
        ADMIN_API_KEY: ADMIN,
        WEBHOOK_ALLOW_PRIVATE: "true",
        ...FAST,
      }),
      pino({ level: "silent" }),
    );
    await eventually("the pending delivery arrives after the restart", () =>
      receiver.at("/restart").some((r) => r.status === 200 && r.headers["webhook-id"] === pending.id),
    );
    const bodies = verifyAll(receiver.at("/restart"), restart.secret);
    assert.ok(bodies.every((b) => b.data.customerId === id));
  });
});

describe("webhooks: an endpoint that keeps failing; stopping", () => {
  let server: TestServer;
  const receiver = new Receiver();
  const gql = client(() => server.url);

  before(async () => {
    await receiver.start();
    server = await startTestServer({
      ALLOW_ANONYMOUS: "false",
      ADMIN_API_KEY: ADMIN,
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_DISABLE_AFTER_FAILURES: "3",
      ...FAST,
    });
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test("is disabled after WEBHOOK_DISABLE_AFTER_FAILURES consecutive failures, with a reason and a warning", async () => {
    const ids = await setUp(gql);
    receiver.failures.set("/dead", "always");
    const dead = await createEndpoint(gql, ids.keyA, { url: `${receiver.url}/dead` });
    await newCustomer(gql, ids.keyA, "Carol");
    const endpoint = await eventually("the endpoint is disabled", async () => (await endpointsOf(gql, ids.keyA)).find((x) => x.id === dead.endpoint.id && !x.enabled));
    assert.match(endpoint.disabledReason, /3 consecutive failed deliveries/);
    assert.equal(receiver.at("/dead").length, 3);
    verifyAll(receiver.at("/dead"), dead.secret);
    const [d] = endpoint.deliveries.nodes;
    assert.deepEqual({ attempt: d.attempt, statusCode: d.statusCode, delivered: d.delivered, status: d.status }, { attempt: 3, statusCode: 500, delivered: false, status: "PENDING" });
    // Backoff doubles: the fourth attempt would be 50 * 2^2 ms after the third.
    assert.ok(d.nextAttemptAt);
    assert.ok(server.logs.some((l) => /webhook endpoint disabled/.test(l) && /"level":40/.test(l)));
  });

  test("closing the app lets a delivery in flight finish and record its outcome", async () => {
    const ids = await setUp(gql);
    receiver.failures.set("/hold", "hold");
    await createEndpoint(gql, ids.keyA, { url: `${receiver.url}/hold` });
    await newCustomer(gql, ids.keyA, "Dave");
    const [request] = await eventually("a delivery is in flight", () => (receiver.at("/hold").length ? receiver.at("/hold") : null));
    const closing = server.app.close();
    // The worker is being stopped now, with the request still unanswered.
    setImmediate(() => receiver.release());
    await closing;
    // Read as another process would, the app being closed.
    const row = await sqlGet(server.databaseUrl, "select status, attempt, status_code as \"statusCode\", lease_until as \"leaseUntil\" from webhook_deliveries where id = ?", request.headers["webhook-id"]);
    assert.deepEqual(row, { status: "DELIVERED", attempt: 1, statusCode: 200, leaseUntil: null });
  });
});

describe("webhooks: private URLs", () => {
  let server: TestServer;
  const gql = client(() => server.url);

  before(async () => {
    server = await startTestServer({ ALLOW_ANONYMOUS: "false", ADMIN_API_KEY: ADMIN });
  });
  after(() => server.close());

  test("are refused with INVALID [url] unless WEBHOOK_ALLOW_PRIVATE", async () => {
    const ids = await setUp(gql);
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "http://localhost/hook",
      "http://10.1.2.3/hook",
      "http://172.16.0.1/hook",
      "http://192.168.1.1/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://0.0.0.0/hook",
      "http://[::1]/hook",
      "http://[fd00::1]/hook",
      "http://[fe80::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "ftp://example.com/hook",
      "not a url",
    ]) {
      const p = (await gql.ok(ids.keyA, CREATE_ENDPOINT, { i: { url } })).createWebhookEndpoint;
      assert.deepEqual({ url, endpoint: p.endpoint, secret: p.secret, userErrors: p.userErrors }, { url, endpoint: null, secret: null, userErrors: [{ code: "INVALID", field: ["url"] }] });
    }
    assert.deepEqual(await endpointsOf(gql, ids.keyA), []);
  });
});
