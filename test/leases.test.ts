// Work done once with several instances on one database: each webhook is posted by one instance
// (also when an instance closes mid-stream), a delivery's claim has one winner and an expired lease
// is taken over, and the expiry sweep runs on the holder of its lease only.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { eq } from "drizzle-orm";
import { openDatabase, type Database } from "../src/db/client";
import { claimDueDeliveries, heldBy, releaseLease, takeLease } from "../src/db/leases";
import { organizations, webhookDeliveries, webhookEndpoints } from "../src/db/schema";
import { SWEEP_LEASE } from "../src/server/expiry-sweep";
import { createTestDatabase, sqlAll, sqlGet, startTestServer, type TestDatabase, type TestServer } from "./helpers";

const ADMIN = "admin-key-for-tests-0123456789abcdef0123456789";
const ENV = { ALLOW_ANONYMOUS: "false", ADMIN_API_KEY: ADMIN, WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_POLL_INTERVAL_MS: "10" };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms).toISOString();

async function eventually<T>(what: string, check: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  for (const deadline = Date.now() + ms; ; await sleep(20)) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
  }
}

async function ok(server: TestServer, key: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const r = await server.gql(query, variables, { authorization: `Bearer ${key}` });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data;
}

describe("webhooks with two instances on one database", () => {
  let first: TestServer;
  let second: TestServer;
  let secondOpen = true;
  let key = "";
  // Event id -> how many times its webhook was posted. Answers after a moment, so that deliveries
  // are in flight while the other instance looks for due ones.
  const received = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = JSON.parse(Buffer.concat(chunks).toString("utf8")).data.id as string;
      received.set(id, (received.get(id) ?? 0) + 1);
      setTimeout(() => res.writeHead(200).end(), 15);
    });
  });

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    first = await startTestServer(ENV);
    second = await startTestServer({ ...ENV, DATABASE_URL: first.databaseUrl });
    const org = (await ok(first, ADMIN, `mutation { createOrganization(input: { name: "Hooked" }) { organization { id } } }`)).createOrganization.organization.id;
    key = (
      await ok(first, ADMIN, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, {
        i: { organizationId: org, name: "k", scopes: ["customers:read", "customers:write", "webhooks:manage"] },
      })
    ).createApiKey.secret;
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const created = await ok(second, key, `mutation ($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { userErrors { code } } }`, { i: { url } });
    assert.deepEqual(created.createWebhookEndpoint.userErrors, []);
  });

  after(async () => {
    if (secondOpen) await second.close();
    await first.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const create = (server: TestServer, n: number) =>
    ok(server, key, `mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { userErrors { code } } }`, {
      i: { type: "PERSON", person: { firstName: { name: `Hook${n}` }, lastName: { name: "Once" } } },
    });

  test("every event's webhook is posted exactly once, also when an instance closes mid-stream", async () => {
    // Through both instances at once, then through the first while the second closes.
    for (let n = 0; n < 40; n += 2) await Promise.all([create(first, n), create(second, n + 1)]);
    const closing = second.close().then(() => (secondOpen = false));
    for (let n = 40; n < 60; n += 1) await create(first, n);
    await closing;

    const events = (await sqlAll<{ id: string }>(first, "select id from customer_events")).map((e) => e.id);
    assert.equal(events.length, 60);
    await eventually("every event's webhook received", () => events.every((id) => received.has(id)));
    // Room for a second post of any of them to arrive.
    await sleep(300);
    const twice = [...received].filter(([, count]) => count !== 1);
    assert.deepEqual(twice, [], "webhooks posted more than once");
    assert.deepEqual(new Set(received.keys()), new Set(events));
    const deliveries = await sqlAll(first, "select status, attempt, lease_owner as owner, lease_until as until from webhook_deliveries");
    assert.equal(deliveries.length, 60);
    for (const d of deliveries) assert.deepEqual(d, { status: "DELIVERED", attempt: 1, owner: null, until: null });
  });
});

// Claims due deliveries in batches until none is left; posts back the ids it got.
const CLAIMER = `
const { workerData, parentPort } = require("node:worker_threads");
const { openDatabase } = require(workerData.client);
const { claimDueDeliveries } = require(workerData.leases);
(async () => {
  const db = await openDatabase(workerData.url);
  const ids = [];
  for (;;) {
    const got = await db.transaction((tx) => claimDueDeliveries(tx, workerData.owner, workerData.at, workerData.until, 3));
    if (!got.length) break;
    ids.push(...got.map((d) => d.id));
  }
  await db.close();
  parentPort.postMessage(ids);
})();
`;

describe("leases, statement by statement", () => {
  let database: TestDatabase;
  // Two connections to one database, as two instances have.
  let a: Database;
  let b: Database;
  let endpointId = "";

  before(async () => {
    database = await createTestDatabase();
    a = await openDatabase(database.url);
    b = await openDatabase(database.url);
    await a.transaction(async (tx) => {
      await tx.insert(organizations).values({ id: "org_1", name: "Org", createdAt: at(0), updatedAt: at(0) });
      endpointId = "whk_1";
      await tx
        .insert(webhookEndpoints)
        .values({ id: endpointId, organizationId: "org_1", url: "http://127.0.0.1:9/", eventTypes: [], enabled: true, secret: "whsec_x", createdAt: at(0), updatedAt: at(0) });
    });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.release();
  });

  const delivery = (id: string, fields: Partial<typeof webhookDeliveries.$inferInsert> = {}) =>
    a.transaction((tx) =>
      tx
        .insert(webhookDeliveries)
        .values({ id, endpointId, eventId: `evt_${id}`, status: "PENDING", nextAttemptAt: at(0), createdAt: at(0), ...fields }),
    );
  const claim = (db: Database, owner: string, now: number, until: number) => db.transaction((tx) => claimDueDeliveries(tx, owner, at(now), at(until), 10));
  const record = (db: Database, row: Parameters<typeof heldBy>[0]) =>
    db.transaction((tx) => tx.update(webhookDeliveries).set({ status: "DELIVERED", leaseOwner: null, leaseUntil: null }).where(heldBy(row)).returning());

  test("two claimers racing in two threads: each delivery is claimed by exactly one", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `race${String(i).padStart(3, "0")}`);
    for (const id of ids) await delivery(id);
    const claimer = (owner: string) =>
      new Promise<string[]>((resolve, reject) => {
        const worker = new Worker(CLAIMER, {
          eval: true,
          workerData: { url: database.url, owner, at: at(1000), until: at(60_000), client: require.resolve("../src/db/client"), leases: require.resolve("../src/db/leases") },
        });
        worker.once("message", resolve);
        worker.once("error", reject);
      });
    const [x, y] = await Promise.all([claimer("X"), claimer("Y")]);
    assert.deepEqual([...x, ...y].sort(), ids, "claimed once each, none left out");
    // Finished as delivered, out of the way of the tests below.
    await a.transaction(async (tx) => {
      await tx.update(webhookDeliveries).set({ status: "DELIVERED", leaseOwner: null, leaseUntil: null });
    });
  });

  test("of two claimers of a due delivery one wins; the other cannot record its outcome", async () => {
    await delivery("d1");
    // One after the other: two connections of one thread cannot hold SQLite's write lock in turn
    // while they wait for each other (the race is the test above).
    const mine = await claim(a, "A", 1000, 60_000);
    const theirs = await claim(b, "B", 1000, 60_000);
    assert.deepEqual(
      [mine.map((d) => [d.id, d.leaseOwner, d.leaseUntil]), theirs.map((d) => d.id)],
      [[["d1", "A", at(60_000)]], []],
    );
    // Still held (before its end): nobody, not even its holder, claims it again.
    assert.deepEqual(await claim(b, "B", 59_000, 120_000), []);
    assert.deepEqual(await claim(a, "A", 59_000, 120_000), []);
    assert.equal((await record(b, { id: "d1", leaseOwner: "B", leaseUntil: at(60_000) })).length, 0);
    assert.equal((await record(a, mine[0])).length, 1);
    assert.deepEqual(await claim(b, "B", 200_000, 260_000), [], "a delivered delivery is not claimed");
  });

  test("an expired lease is taken over, and the earlier holder's outcome is then not recorded", async () => {
    await delivery("d2");
    const [held] = await claim(a, "A", 1000, 60_000);
    assert.equal(held.id, "d2");
    // A died mid-attempt (or is slow): after the lease's end B takes the delivery over.
    const [taken] = await claim(b, "B", 60_001, 120_000);
    assert.deepEqual([taken.id, taken.leaseOwner], ["d2", "B"]);
    assert.equal((await record(a, held)).length, 0, "A lost the lease");
    // A's own expired lease taken again by A is a new lease, too.
    const [again] = await claim(a, "A", 120_001, 180_000);
    assert.equal((await record(b, taken)).length, 0, "B lost the lease");
    assert.equal((await record(a, again)).length, 1);
    const [row] = await a.read.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, "d2"));
    assert.deepEqual([row?.status, row?.leaseOwner, row?.leaseUntil], ["DELIVERED", null, null]);
  });

  test("deliveries not yet due, or of a disabled endpoint, are not claimed", async () => {
    await delivery("d3", { nextAttemptAt: at(500_000) });
    assert.deepEqual(await claim(a, "A", 400_000, 460_000), []);
    await a.transaction(async (tx) => {
      await tx.update(webhookEndpoints).set({ enabled: false }).where(eq(webhookEndpoints.id, endpointId));
    });
    assert.deepEqual(await claim(a, "A", 600_000, 660_000), []);
    await a.transaction(async (tx) => {
      await tx.update(webhookEndpoints).set({ enabled: true }).where(eq(webhookEndpoints.id, endpointId));
    });
    assert.deepEqual((await claim(a, "A", 600_000, 660_000)).map((d) => d.id), ["d3"]);
  });

  test("a named lease has one holder, who renews it; it is taken over once expired, or once released", async () => {
    const take = (db: Database, owner: string, now: number, until: number) => db.transaction((tx) => takeLease(tx, "job", owner, at(now), at(until)));
    const [x, y] = [await take(a, "A", 0, 1000), await take(b, "B", 0, 1000)];
    assert.deepEqual([x, y], [true, false]);
    assert.equal(await take(a, "A", 900, 1900), true, "renewed by its holder");
    assert.equal(await take(b, "B", 1800, 2800), false);
    assert.equal(await take(b, "B", 1901, 2901), true, "taken over once expired");
    assert.equal(await take(a, "A", 2000, 3000), false);
    await a.transaction((tx) => releaseLease(tx, "job", "A"));
    assert.equal(await take(a, "A", 2000, 3000), false, "releasing a lease one does not hold changes nothing");
    await b.transaction((tx) => releaseLease(tx, "job", "B"));
    assert.equal(await take(a, "A", 2000, 3000), true, "free once released");
  });
});

describe("expiry sweep with two instances on one database", () => {
  test("one instance sweeps, renewing its lease on each sweep; the other takes over when it closes", async () => {
    const env = { EXPIRY_SWEEP_INTERVAL_MS: "1000" };
    const first = await startTestServer(env);
    const second = await startTestServer({ ...env, DATABASE_URL: first.databaseUrl });
    let firstOpen = true;
    let secondOpen = true;
    try {
      const holder = async () => (await sqlGet<{ owner: string }>(second, "select owner from leases where name = ?", SWEEP_LEASE))?.owner;
      assert.ok(await holder(), "the first instance swept at start and holds the lease");
      const sweeps = [0, 0];
      [first, second].forEach((server, i) => {
        const verification = server.app.services.verification;
        const sweep = verification.sweepExpired.bind(verification);
        verification.sweepExpired = () => {
          sweeps[i] += 1;
          return sweep();
        };
      });
      const owner = await holder();
      await sleep(2600);
      assert.ok(sweeps[0] >= 2, `first swept ${sweeps[0]} times`);
      assert.equal(sweeps[1], 0);
      assert.equal(await holder(), owner, "the same holder, renewed");

      await first.close();
      firstOpen = false;
      assert.equal(await holder(), undefined, "released on close");
      await eventually("the second instance sweeps", () => sweeps[1] > 0, 3000);
      await second.close();
      secondOpen = false;
    } finally {
      if (secondOpen) await second.close();
      if (firstOpen) await first.close();
    }
  });
});
