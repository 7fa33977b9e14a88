// GET /metrics as Prometheus scrapes it: requests and latency by operation, errors by code,
// WebSocket connections and subscriptions, and the webhook queue and its failures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { CREATE_CUSTOMER, createCustomer, createOrganization, dataOf, personInput, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
let dead: http.Server;
let deadUrl = "";
let orgKey = "";

before(async () => {
  // A webhook receiver that always answers 500.
  dead = http.createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
  deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/hook`;
  server = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_BASE_MS: "60000", WEBHOOK_POLL_INTERVAL_MS: "20" });
  const org = await createOrganization(server, { name: "Metrics Bank" });
  const { secret } = await server.app.services.apiKeys.create(
    { name: "test", via: "SYSTEM", organizationId: null },
    { organizationId: org.id, name: "metrics test", scopes: ["customers:read", "customers:write", "webhooks:manage"] },
  );
  orgKey = secret;
});
after(async () => {
  await server.close();
  dead.close();
});

async function scrape(headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(new URL("/metrics", server.url), { headers });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one sample, e.g. value(text, 'graphql_errors_total{code="NOT_FOUND"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(sample + " "));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("requests, latency and errors by operation and code, in Prometheus' text format", async () => {
  await createCustomer(server, personInput("Mia", "Metric"));
  for (let i = 0; i < 3; i++) dataOf(await server.gql(`query ListCustomers { customers(first: 1) { totalCount } }`));
  await server.gql(`query Missing { customer(id: "cus_01JZZZZZZZZZZZZZZZZZZZZZZZ") { id } }`);
  await server.gql(`query Broken { customers { nope } }`);
  await server.gql(`{ viewer { __typename } }`);

  const { status, type, text } = await scrape();
  assert.equal(status, 200);
  assert.match(type ?? "", /^text\/plain; version=0\.0\.4/);
  assert.equal(value(text, 'graphql_requests_total{operation="ListCustomers",type="query",outcome="ok"}'), 3);
  assert.equal(value(text, 'graphql_request_duration_seconds_count{operation="ListCustomers",type="query"}'), 3);
  assert.ok(value(text, 'graphql_request_duration_seconds_bucket{le="+Inf",operation="ListCustomers",type="query"}') === 3);
  // A document that does not validate has no operation yet: its name is the one the client sent.
  assert.equal(value(text, 'graphql_requests_total{operation="anonymous",type="unknown",outcome="error"}'), 1);
  assert.equal(value(text, 'graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}'), 1);
  assert.equal(value(text, 'graphql_requests_total{operation="anonymous",type="query",outcome="ok"}'), 1);
  // The process metrics come along.
  assert.ok(value(text, "process_resident_memory_bytes")! > 0);
  // Nothing personal: names of customers never appear.
  assert.doesNotMatch(text, /Mia|Metric/);
});

test("operation names chosen by clients cannot explode the number of series", async () => {
  await server.gql(`query Weird__Name { customers(first: 1) { totalCount } }`);
  for (let i = 0; i < 210; i++) await server.gql(`query Op${i} { __typename }`);
  const { text } = await scrape();
  const names = new Set([...text.matchAll(/graphql_requests_total\{operation="([^"]+)"/g)].map((m) => m[1]));
  assert.ok(names.size <= 200 + 2, `${names.size} operation labels`);
  assert.ok((value(text, 'graphql_requests_total{operation="other",type="query",outcome="ok"}') ?? 0) >= 10);
});

test("open WebSocket connections and their subscriptions", async () => {
  const clients: Client[] = [];
  const started: Promise<void>[] = [];
  for (let i = 0; i < 2; i++) {
    const client = createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, lazy: false });
    clients.push(client);
    for (let j = 0; j < 2; j++) {
      started.push(
        new Promise<void>((resolve) => {
          client.subscribe({ query: `subscription { customerEvents { id } }` }, { next: () => {}, error: () => {}, complete: () => {} });
          resolve();
        }),
      );
    }
  }
  await Promise.all(started);
  await eventually("4 subscriptions on 2 connections", async () => {
    const { text } = await scrape();
    return value(text, "graphql_ws_connections") === 2 && value(text, "graphql_active_subscriptions") === 4;
  });
  for (const client of clients) await client.dispose();
  await eventually("connections closed", async () => {
    const { text } = await scrape();
    return value(text, "graphql_ws_connections") === 0 && value(text, "graphql_active_subscriptions") === 0;
  });
});

test("webhook queue depth and failed attempts", async () => {
  const created = await server.gql(`mutation ($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } userErrors { code field message } } }`, {
    i: { url: deadUrl },
  }, { authorization: `Bearer ${orgKey}` });
  assert.deepEqual(dataOf(created).createWebhookEndpoint.userErrors, []);
  const wanda = await server.gql(CREATE_CUSTOMER, { input: personInput("Wanda", "Webhook") }, { authorization: `Bearer ${orgKey}` });
  assert.deepEqual(dataOf(wanda).createCustomer.userErrors, []);
  // The first attempt fails (500) and the delivery waits a minute for its retry: still queued.
  await eventually("a failed attempt", async () => {
    const { text } = await scrape();
    return (value(text, 'webhook_delivery_attempts_total{outcome="retrying"}') ?? 0) >= 1 && (value(text, "webhook_queue_depth") ?? 0) >= 1;
  });
});

test("METRICS_TOKEN puts /metrics behind a bearer token; METRICS_ENABLED=false removes it", async () => {
  const guarded = await startTestServer({ METRICS_TOKEN: "m".repeat(24) });
  try {
    const res = await fetch(new URL("/metrics", guarded.url));
    assert.equal(res.status, 401);
    const ok = await fetch(new URL("/metrics", guarded.url), { headers: { authorization: `Bearer ${"m".repeat(24)}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /graphql_requests_total/);
  } finally {
    await guarded.close();
  }
  const off = await startTestServer({ METRICS_ENABLED: "false" });
  try {
    assert.equal((await fetch(new URL("/metrics", off.url))).status, 404);
  } finally {
    await off.close();
  }
});
