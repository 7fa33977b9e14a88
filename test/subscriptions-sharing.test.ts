// Subscriptions share the execution of each event among the subscribers that would get the same
// result (same document, variables and access), and only among them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type BetterSqlite3 from "better-sqlite3";
import type { Pool } from "pg";
import type { Database } from "../src/db/client";
import { CREATE_CUSTOMER, dataOf, personInput, startTestServer, type TestServer } from "./helpers";

const ADMIN = "admin-key-for-sharing-tests-0123456789abcdef";

let server: TestServer;
/** Statements run on the server's read connection, where every subscription execution reads. */
let reads = 0;
let stopCounting = () => {};
const clients: Client[] = [];
const ids: Record<string, string> = {};
const keys: Record<string, string> = {};

const admin = async (query: string, variables?: Record<string, unknown>) => dataOf(await server.gql(query, variables, { authorization: `Bearer ${ADMIN}` }));

before(async () => {
  // The webhook worker polls on a timer; only its pass after each event may count.
  server = await startTestServer({ ALLOW_ANONYMOUS: "false", ADMIN_API_KEY: ADMIN, WEBHOOK_POLL_INTERVAL_MS: "3600000" });
  stopCounting = countReads(server.app.db);
  const org = async (name: string, parentId?: string) =>
    (await admin(`mutation ($i: CreateOrganizationInput!) { createOrganization(input: $i) { organization { id } } }`, { i: { name, parentId } }))
      .createOrganization.organization.id as string;
  ids.partner = await org("Partner");
  ids.managed = await org("Managed", ids.partner);
  const key = async (organizationId: string) =>
    (await admin(`mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, { i: { organizationId, name: "reader", scopes: ["customers:read"] } }))
      .createApiKey.secret as string;
  // Two credentials with the same access, and one that sees less (not the partner above it).
  keys.partner = await key(ids.partner);
  keys.partner2 = await key(ids.partner);
  keys.managed = await key(ids.managed);
  ids.customer = (await admin(CREATE_CUSTOMER, { input: personInput("Mia", "Managed", { organizationId: ids.managed }) })).createCustomer.customer.id;
});
after(async () => {
  stopCounting();
  await Promise.all(clients.map((c) => c.dispose()));
  await server.close();
});

/**
 * Counts the statements run through the read connection (SQLite) or the pool's own queries
 * (PostgreSQL, where transactions take a connection of their own) into `reads`; returns the undo.
 */
function countReads(db: Database): () => void {
  const client = (db.read as unknown as { $client: unknown }).$client;
  if (db.dialect !== "postgres") return countStatements(client as BetterSqlite3.Database);
  const pool = client as Pool;
  const original = pool.query;
  pool.query = function (this: Pool, ...args: unknown[]) {
    reads += 1;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as Pool["query"];
  return () => {
    pool.query = original;
  };
}

/** Counts the statements `connection` runs (all, get, iterate, run) into `reads`; returns the undo. */
function countStatements(connection: BetterSqlite3.Database): () => void {
  type Run = (this: BetterSqlite3.Statement, ...args: unknown[]) => unknown;
  const statement = Object.getPrototypeOf(connection.prepare("select 1")) as Record<string, Run>;
  const originals = (["all", "get", "iterate", "run"] as const).map((name) => [name, statement[name]] as const);
  for (const [name, original] of originals) {
    statement[name] = function (...args) {
      if (this.database === connection) reads += 1;
      return original.apply(this, args);
    };
  }
  return () => {
    for (const [name, original] of originals) statement[name] = original;
  };
}

function connect(key: string): Client {
  const client = createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${key}` } });
  clients.push(client);
  return client;
}

interface Subscriber {
  results: unknown[];
  stop(): void;
}

function subscribe(client: Client, query: string, variables: Record<string, unknown>): Subscriber {
  const results: unknown[] = [];
  const stop = client.subscribe(
    { query, variables },
    { next: (value) => void results.push(value), error: (error) => void results.push({ failed: error }), complete: () => undefined },
  );
  return { results, stop };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let updates = 0;
/** Updates the customer; resolves once every subscriber has its result, and the work has settled. */
async function update(subscribers: Subscriber[]): Promise<number> {
  const before = subscribers.map((s) => s.results.length);
  const counted = reads;
  updates += 1;
  await admin(`mutation ($id: ID!, $n: String) { updateCustomer(input: { id: $id, nickname: $n }) { userErrors { code } } }`, { id: ids.customer, n: `n${updates}` });
  await until(() => subscribers.every((s, i) => s.results.length > before[i]), "every subscriber's event");
  await new Promise((r) => setTimeout(r, 100));
  return reads - counted;
}

const listening = () => new Promise((r) => setTimeout(r, 200));

const EVENTS = `subscription ($id: ID!) { customerEvents(customerId: $id) { type customer { nickname version } } }`;

test("subscribers with the same document, variables and access share one execution per event", async () => {
  const first = connect(ADMIN);
  const second = connect(ADMIN);
  const one = [subscribe(first, EVENTS, { id: ids.customer })];
  await listening();
  await update(one);
  const alone = await update(one);
  assert.ok(alone > 0, "an execution reads the customer");

  const six = [...one, ...[first, second, second, first, second].map((c) => subscribe(c, EVENTS, { id: ids.customer }))];
  await listening();
  assert.equal(await update(six), alone, "six subscribers on two connections cost what one does");
  const last = six.map((s) => s.results.at(-1));
  for (const result of last) assert.deepEqual(result, last[0]);
  assert.deepEqual(last[0], { data: { customerEvents: { type: "UPDATED", customer: { nickname: `n${updates}`, version: updates + 1 } } } });

  // Another document (here only its text differs) is another group, and costs one more execution.
  const other = subscribe(second, `${EVENTS} `, { id: ids.customer });
  await listening();
  const twoGroups = await update([...six, other]);
  const another = subscribe(first, `${EVENTS}  `, { id: ids.customer });
  await listening();
  const threeGroups = await update([...six, other, another]);
  assert.equal(threeGroups - twoGroups, twoGroups - alone);
  assert.ok(twoGroups > alone);
  for (const s of [...six, other, another]) s.stop();
});

test("each access gets its own result; a different selection gets its own; the same access shares one", async () => {
  const query = `subscription ($id: ID!) { customerEvents(customerId: $id) { customer { nickname memberships { organization { id parent { id } } } } } }`;
  const partner = subscribe(connect(keys.partner), query, { id: ids.customer });
  // Another credential of the same organization, scopes and tags: the same group.
  const partner2 = subscribe(connect(keys.partner2), query, { id: ids.customer });
  const managed = subscribe(connect(keys.managed), query, { id: ids.customer });
  const narrow = subscribe(connect(keys.partner), `subscription ($id: ID!) { customerEvents(customerId: $id) { customer { nickname } } }`, { id: ids.customer });
  const all = [partner, partner2, managed, narrow];
  await listening();
  // The first event checks tenancy (per subscriber, then remembered); the second is the one compared.
  await update(all);
  await update(all);
  const nickname = `n${updates}`;
  // The partner sees the managed organization's parent (itself); the managed organization does not.
  const seenBy = (parent: unknown) => ({
    data: { customerEvents: { customer: { nickname, memberships: [{ organization: { id: ids.managed, parent } }] } } },
  });
  assert.deepEqual(partner.results.at(-1), seenBy({ id: ids.partner }));
  assert.deepEqual(partner2.results.at(-1), seenBy({ id: ids.partner }));
  assert.deepEqual(managed.results.at(-1), seenBy(null));
  assert.deepEqual(narrow.results.at(-1), { data: { customerEvents: { customer: { nickname } } } });
  for (const s of all) s.stop();
});
