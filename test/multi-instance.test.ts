// Three instances as a deployment runs them — separate processes on one database (PostgreSQL in the
// PostgreSQL pass, a shared SQLite file otherwise) and one Redis — with clients writing through two
// of them and listening on the third, and one writer killed (SIGKILL) mid-stream. Every committed
// event must reach the subscriber exactly once, in seq order, and the webhook receiver at least
// once (again only for a delivery the killed instance was in the middle of, with the same
// webhook-id). Skipped without REDIS_URL.
import "reflect-metadata";
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { createTestDatabase, sqlAll, type GraphQLResponse, type TestDatabase } from "./helpers";

const REDIS_URL = process.env.REDIS_URL;
const ENTRY = path.join(__dirname, "..", "src", "index.js");
const WRITES_PER_WRITER = 25;
/** After this many of its writes, the second writer's instance is killed. */
const KILL_AFTER = 8;

const children: ChildProcess[] = [];
let database: TestDatabase | undefined;
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await database?.release();
});

interface Instance {
  child: ChildProcess;
  url: string;
  gql(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
}

/** Starts `node dist/src/index.js` as an instance would run, and waits for its "listening" line. */
async function instance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [ENTRY], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start:\n${output}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      output += c.toString();
      const line = output.split("\n").find((l) => l.includes('"url"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return {
    child,
    url,
    async gql(query, variables) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as GraphQLResponse;
    },
  };
}

const CREATE = /* GraphQL */ `
  mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }
`;

test("three instances: writes through two, one killed mid-stream; the subscriber on the third gets every event once, in order, and every webhook arrives", { skip: REDIS_URL ? false : "REDIS_URL is not set", timeout: 120_000 }, async () => {
  database = await createTestDatabase();
  const received: { webhookId: string; eventId: string }[] = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ webhookId: String(req.headers["webhook-id"]), eventId: JSON.parse(body).data.id });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  after(() => receiver.close());
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

  const env = {
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: database.url,
    SEED_DEMO: "false",
    REDIS_URL: REDIS_URL!,
    REDIS_KEY_PREFIX: `customer-graph-test:${randomUUID()}:`,
    WEBHOOK_ALLOW_PRIVATE: "true",
    WEBHOOK_TIMEOUT_MS: "1000",
    WEBHOOK_POLL_INTERVAL_MS: "50",
    WEBHOOK_RETRY_BASE_MS: "100",
  };
  // One at a time: the first applies the migrations (the others would wait on the same lock).
  const a = await instance(env);
  const [listener, doomed] = await Promise.all([instance(env), instance(env)]);

  const org = await a.gql(`mutation { createOrganization(input: { name: "Org" }) { organization { id } } }`);
  const organizationId = (org.data as any).createOrganization.organization.id;
  const endpoint = await listener.gql(`mutation ($url: String!) { createWebhookEndpoint(input: { url: $url }) { endpoint { id } userErrors { code message } } }`, { url: hook });
  assert.deepEqual((endpoint.data as any).createWebhookEndpoint.userErrors, []);

  const client = createClient({ url: listener.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  after(() => client.dispose());
  const streamed: { id: string; customerId: string }[] = [];
  let failure: unknown;
  client.subscribe<{ customerEvents: { id: string; customerId: string } }>(
    { query: "subscription { customerEvents { id customerId } }" },
    { next: (r) => (r.errors ? (failure = r.errors) : streamed.push(r.data!.customerEvents)), error: (e) => (failure = e), complete: () => {} },
  );
  // graphql-ws does not acknowledge a subscription: let the listener start listening.
  await new Promise((resolve) => setTimeout(resolve, 500));

  const write = async (via: Instance, name: string, count: number, onWritten?: (n: number) => void) => {
    for (let i = 0; i < count; i++) {
      const input = { organizationId, type: "PERSON", person: { firstName: { name: `${name}${i}` }, lastName: { name: "Multi" } } };
      const response = await via.gql(CREATE, { input }).catch(() => null);
      if (!response) return; // the instance is gone
      assert.deepEqual((response.data as any).createCustomer.userErrors, []);
      onWritten?.(i + 1);
    }
  };
  const killed = new Promise<void>((resolve) => doomed.child.once("exit", () => resolve()));
  await Promise.all([
    write(a, "A", WRITES_PER_WRITER),
    write(doomed, "C", WRITES_PER_WRITER, (n) => n === KILL_AFTER && doomed.child.kill("SIGKILL")),
  ]);
  await killed;
  // The survivors keep serving: one more write after the kill.
  await write(a, "After", 1);

  const logged = async () => (await sqlAll<{ id: string; seq: number }>(database!.url, "select id, seq from customer_events order by seq")).map((e) => e.id);
  const all = await logged();
  assert.ok(all.length >= WRITES_PER_WRITER + KILL_AFTER + 1, `${all.length} events logged`);
  const seqs = (await sqlAll<{ seq: number }>(database!.url, "select seq from customer_events order by seq")).map((e) => Number(e.seq));
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "seq is gap-free from 1");

  const waitFor = async (what: string, done: () => boolean) => {
    for (let i = 0; i < 1500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(done(), `timed out waiting for ${what}`);
  };
  await waitFor("the subscriber", () => streamed.length >= all.length || failure !== undefined);
  assert.equal(failure, undefined);
  assert.deepEqual(streamed.map((e) => e.id), all, "every event exactly once, in seq order");

  // A delivery the killed instance had leased is retried once its lease (timeout + 30 s) runs out.
  await waitFor("the webhooks", () => new Set(received.map((r) => r.eventId)).size >= all.length);
  assert.deepEqual([...new Set(received.map((r) => r.eventId))].sort(), [...all].sort(), "every event posted");
  const byWebhookId = new Map<string, Set<string>>();
  for (const r of received) byWebhookId.set(r.webhookId, (byWebhookId.get(r.webhookId) ?? new Set()).add(r.eventId));
  assert.equal(byWebhookId.size, all.length, "one webhook-id per event: a repeat is a retry of the same delivery");
  assert.ok(received.length - all.length <= 20, `${received.length - all.length} repeated posts (at most the killed instance's claimed batch)`);
});

test("instances started together on a new database seed the demo data once", { timeout: 60_000 }, async () => {
  const fresh = await createTestDatabase();
  try {
    const env = { NODE_ENV: "test", HOST: "127.0.0.1", PORT: "0", DATABASE_URL: fresh.url, SEED_DEMO: "true" };
    const started = await Promise.all([instance(env), instance(env), instance(env)]);
    const organizations = await sqlAll<{ name: string }>(fresh.url, "select name from organizations order by name");
    assert.deepEqual(organizations.map((o) => o.name), ["Demo Bank", "Northwind Retail"]);
    const [{ n }] = await sqlAll<{ n: number }>(fresh.url, "select count(*) as n from customers");
    assert.equal(n, 12, "the dozen demo customers, once");
    for (const { child } of started) child.kill("SIGTERM");
    await Promise.all(started.map(({ child }) => new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)))));
  } finally {
    await fresh.release();
  }
});
