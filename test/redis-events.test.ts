// Events between instances through Redis (REDIS_URL; skipped without it): a subscriber on one
// instance receives the changes made through another, live and resumed with `after`, in seq
// order; side effects (the verification email) happen once, on the instance that committed.
import "reflect-metadata";
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import { Redis } from "ioredis";
import pino from "pino";
import WebSocket from "ws";
import type { Database } from "../src/db/client";
import { customerEvents, type CustomerEventRow } from "../src/db/schema";
import { createEventBus, Topic, type EventBus } from "../src/events/pubsub";
import { listeningStreams, LOG_POLL_MS, openCustomerEventStream } from "../src/events/stream";
import { collectSubscription, createCustomer, createOrganization, openTestDatabase, personInput, startTestServer, type TestServer } from "./helpers";

const REDIS_URL = process.env.REDIS_URL;
const skip = REDIS_URL ? false : "REDIS_URL is not set";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("events across two instances on one Redis", { skip }, () => {
  const prefix = `customer-graph-test:${randomUUID()}:`;
  let a: TestServer;
  let b: TestServer;
  let clientA: Client;

  before(async () => {
    const env = { REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: prefix };
    a = await startTestServer(env);
    // The second instance opens the first one's database file.
    b = await startTestServer({ ...env, DATABASE_URL: a.databaseUrl });
    await createOrganization(a);
    clientA = createClient({ url: a.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  });
  after(async () => {
    await clientA?.dispose();
    await b?.close();
    await a?.close();
  });

  /** Collects `count` results of a subscription on A, then stops it. */
  const collect = <T = any>(query: string, variables: Record<string, unknown>, count: number) => collectSubscription<T>(clientA, query, variables, count, 200);

  const update = (server: TestServer, id: string, nickname: string) =>
    server.gql(`mutation ($id: ID!, $n: String) { updateCustomer(input: { id: $id, nickname: $n }) { userErrors { code } } }`, { id, n: nickname });

  const mailbox = async (server: TestServer) => (await (await fetch(new URL("/dev/mailbox", server.url))).json()) as { to: string; subject: string }[];

  const activeSubscriptions = async (server: TestServer) => {
    const text = await (await fetch(new URL("/metrics", server.url))).text();
    return Number(/^graphql_active_subscriptions (\d+)/m.exec(text)?.[1]);
  };

  test("a subscriber on A receives the changes made through B, in order, with every field", async () => {
    const sub = collect(
      `subscription { customerEvents { id type customerId changedFields actor via occurredAt } }`,
      {},
      3,
    );
    await sub.ready;
    const ann = await createCustomer(b, personInput("Ann", "A", { email: "ann@example.com" }));
    await update(b, ann.id, "one");
    await update(b, ann.id, "two");
    const events = (await sub.done).map((e: any) => e.customerEvents);
    assert.deepEqual(
      events.map((e) => [e.type, e.customerId]),
      [
        ["CREATED", ann.id],
        ["UPDATED", ann.id],
        ["UPDATED", ann.id],
      ],
    );
    assert.deepEqual(events[1].changedFields, ["nickname"]);
    assert.ok(events[0].changedFields.length > 0);
    // As the log has them (what A would replay).
    const log = await a.gql(`query ($id: ID!) { customer(id: $id) { events(first: 10) { nodes { id type customerId changedFields actor via occurredAt } } } }`, { id: ann.id });
    assert.deepEqual(
      events,
      log.data.customer.events.nodes,
    );

    // The verification link was mailed once, by B, which committed the creation.
    await pause(200);
    const sent = [...(await mailbox(a)), ...(await mailbox(b))].filter((m) => m.to === "ann@example.com");
    assert.equal(sent.length, 1);
    assert.equal((await mailbox(a)).filter((m) => m.to === "ann@example.com").length, 0);

    // The subscription ended; A no longer holds it.
    await pause(100);
    assert.equal(await activeSubscriptions(a), 0);
  });

  test("customerUpdated on A follows the changes made through B", async () => {
    const bob = await createCustomer(b, personInput("Bob", "B"));
    // Its CREATED event may reach A after a subscription opened at once; let it pass first.
    await pause(100);
    const sub = collect(`subscription ($id: ID!) { customerUpdated(id: $id) { id nickname version } }`, { id: bob.id }, 2);
    await sub.ready;
    // A state is read as its event is delivered: one change at a time.
    await update(b, bob.id, "first");
    await sub.received(1);
    await update(a, bob.id, "second");
    assert.deepEqual(
      (await sub.done).map((s: any) => s.customerUpdated),
      [
        { id: bob.id, nickname: "first", version: 2 },
        { id: bob.id, nickname: "second", version: 3 },
      ],
    );
  });

  test("resuming on A with `after` replays what B wrote, then continues live, without gap or duplicate", async () => {
    const cid = await createCustomer(b, personInput("Cid", "C"));
    for (const n of ["1", "2", "3"]) await update(b, cid.id, n);
    const history = await a.gql(`query ($id: ID!) { customer(id: $id) { events(first: 10) { nodes { id } } } }`, { id: cid.id });
    const ids: string[] = history.data.customer.events.nodes.map((e: { id: string }) => e.id);
    assert.equal(ids.length, 4);

    const sub = collect(`subscription ($id: ID!, $after: ID) { customerEvents(customerId: $id, after: $after) { id } }`, { id: cid.id, after: ids[1] }, 6);
    // Written while the replay may still run, through B and through A alternately.
    await update(b, cid.id, "4");
    await sub.ready;
    await update(a, cid.id, "5");
    await update(b, cid.id, "6");
    await update(b, cid.id, "7");
    const events = (await sub.done).map((e: any) => e.customerEvents);
    const all = (await a.gql(`query ($id: ID!) { customer(id: $id) { events(first: 20) { nodes { id } } } }`, { id: cid.id })).data.customer.events.nodes.map(
      (e: { id: string }) => e.id,
    );
    assert.deepEqual(
      events.map((e) => e.id),
      all.slice(2),
      "each event after `after` once, in order",
    );
  });
});

describe("the bus across instances", { skip }, () => {
  const prefix = `customer-graph-test:${randomUUID()}:`;
  const logger = pino({ level: "silent" });
  let db: Database;
  let redisA: Redis;
  let redisB: Redis;
  let busA: EventBus;
  let busB: EventBus;

  before(async () => {
    db = await openTestDatabase();
    redisA = new Redis(REDIS_URL!, { keyPrefix: prefix });
    redisB = new Redis(REDIS_URL!, { keyPrefix: prefix });
    busA = createEventBus({ redis: redisA, prefix, logger });
    busB = createEventBus({ redis: redisB, prefix, logger });
    // Each bus subscribes once its own connection is ready.
    const channel = `${prefix}events:${Topic.CustomerEvent}`;
    for (let i = 0; i < 100; i++) {
      const [, subscribers] = (await redisA.pubsub("NUMSUB", channel)) as [string, number];
      if (Number(subscribers) === 2) break;
      await pause(20);
    }
  });
  after(async () => {
    busA.close();
    busB.close();
    await redisA.quit();
    await redisB.quit();
    await db?.close();
  });

  let seq = 0;
  const logged = async (customerId: string): Promise<CustomerEventRow> =>
    db.transaction((tx) =>
      tx
        .insert(customerEvents)
      .values({ id: `event_${++seq}`, type: "UPDATED", customerId, organizationId: "org_1", changedFields: ["nickname", "emails.0"], actor: "test", via: "API", occurredAt: new Date().toISOString() })
        .returning()
        .then(([row]) => row),
    );

  test("events arrive as plain rows, in seq order: a gap (a late or lost event of another instance) is read from the log", async () => {
    const stream = await openCustomerEventStream(db.read, busA, { customerId: "cus_x" });
    const [first, second, third, fourth] = [await logged("cus_x"), await logged("cus_x"), await logged("cus_x"), await logged("cus_x")];
    busB.publish(Topic.CustomerEvent, first);
    assert.deepEqual((await stream.next()).value, first);
    // A's own later event comes before B's (which B never manages to send).
    busA.publish(Topic.CustomerEvent, third);
    assert.deepEqual((await stream.next()).value, second);
    assert.deepEqual((await stream.next()).value, third);
    // B's event comes after all: not given twice.
    busB.publish(Topic.CustomerEvent, second);
    busB.publish(Topic.CustomerEvent, fourth);
    assert.deepEqual((await stream.next()).value, fourth);
    assert.equal(listeningStreams(busA), 1);
    await stream.return();
    assert.equal(listeningStreams(busA), 0);
  });

  test("a feed starts from the log's last event: an earlier event that arrives after a later one is not dropped", async () => {
    const committedBefore = await logged("cus_z");
    assert.equal(listeningStreams(busA), 0);
    const stream = await openCustomerEventStream(db.read, busA, { customerId: "cus_z" });
    const [first, second] = [await logged("cus_z"), await logged("cus_z")];
    // A's own later event comes first; B's earlier one is still on its way.
    busA.publish(Topic.CustomerEvent, second);
    assert.deepEqual((await stream.next()).value, first);
    assert.deepEqual((await stream.next()).value, second);
    // B's arrives late: not given twice; and one committed before anyone listened is not owed.
    busB.publish(Topic.CustomerEvent, first);
    busB.publish(Topic.CustomerEvent, committedBefore);
    const third = await logged("cus_z");
    busA.publish(Topic.CustomerEvent, third);
    assert.deepEqual((await stream.next()).value, third);
    await stream.return();
  });

  test("an event that was committed but never published (its instance died) arrives from the log", async () => {
    const stream = await openCustomerEventStream(db.read, busA, { customerId: "cus_w" });
    const unpublished = await logged("cus_w");
    const timeout = pause(LOG_POLL_MS * 5).then(() => ({ value: "nothing within five polls", done: false }));
    assert.deepEqual((await Promise.race([stream.next(), timeout])).value, unpublished);
    await stream.return();
  });

  test("side-effect subscribers get only their own instance's events", async () => {
    const own = busA.subscribe(Topic.CustomerEvent)[Symbol.asyncIterator]();
    const next = own.next();
    const fromB = await logged("cus_y");
    const fromA = await logged("cus_y");
    busB.publish(Topic.CustomerEvent, fromB);
    await pause(100);
    busA.publish(Topic.CustomerEvent, fromA);
    assert.deepEqual((await next).value, fromA);
    await own.return?.();
  });
});
