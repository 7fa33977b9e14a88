// The event streams behind subscriptions, on their own: one bus listener for all of them, and a
// stream that ends stops listening at once.
import "reflect-metadata";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Database } from "../src/db/client";
import { customerEventRow, openTestDatabase } from "./helpers";
import { customerEvents, type CustomerEventRow } from "../src/db/schema";
import { createEventBus, Topic } from "../src/events/pubsub";
import { listeningStreams, openCustomerEventStream } from "../src/events/stream";
import { UNRESTRICTED } from "../src/auth/principal";
import { customerStates } from "../src/resolvers/event.resolver";

let db: Database;
before(async () => {
  db = await openTestDatabase();
});
after(() => db.close());

let seq = 0;
const event = (customerId: string): CustomerEventRow => customerEventRow(++seq, customerId);

test("a stream that its subscriber leaves stops listening at once, without waiting for another event", async () => {
  const bus = createEventBus();
  const a = await openCustomerEventStream(db.read, bus, { customerId: "cus_a" });
  const every = await openCustomerEventStream(db.read, bus, {});
  assert.equal(listeningStreams(bus), 2);
  const waiting = a.next();
  await a.return();
  assert.deepEqual(await waiting, { value: undefined, done: true });
  assert.equal(listeningStreams(bus), 1);
  bus.publish(Topic.CustomerEvent, event("cus_a"));
  assert.equal((await every.next()).value?.customerId, "cus_a");
  await every.return();
  assert.equal(listeningStreams(bus), 0);
});

test("each stream gets the events it matches, in order", async () => {
  const bus = createEventBus();
  const a = await openCustomerEventStream(db.read, bus, { customerId: "cus_a", types: ["UPDATED"] });
  const b = await openCustomerEventStream(db.read, bus, { customerId: "cus_b" });
  const published = ["cus_b", "cus_a", "cus_c", "cus_a"].map(event);
  published.push({ ...event("cus_a"), type: "ARCHIVED" });
  for (const e of published) bus.publish(Topic.CustomerEvent, e);
  assert.equal((await a.next()).value, published[1]);
  assert.equal((await a.next()).value, published[3]);
  assert.equal((await b.next()).value, published[0]);
  await Promise.all([a.return(), b.return()]);
});

test("a subscriber that falls 10,000 events behind gets those, then an error, and no longer listens", async () => {
  const bus = createEventBus();
  const stream = await openCustomerEventStream(db.read, bus, { customerId: "cus_slow" });
  const first = seq + 1;
  for (let i = 0; i <= 10_000; i++) bus.publish(Topic.CustomerEvent, event("cus_slow"));
  assert.equal(listeningStreams(bus), 0);
  for (let i = 0; i < 10_000; i++) assert.equal((await stream.next()).value?.seq, first + i);
  await assert.rejects(stream.next(), /More than 10000 events were waiting/);
});

test("tenancy is asked per event; a check that fails ends the stream with its error and stops listening", async () => {
  const bus = createEventBus();
  const failing = new Error("tenancy check failed");
  const stream = await openCustomerEventStream(db.read, bus, {
    visible: async (customerId) => {
      if (customerId === "cus_broken") throw failing;
      return customerId !== "cus_hidden";
    },
  });
  const published = ["cus_hidden", "cus_shown", "cus_broken", "cus_shown"].map(event);
  for (const e of published) bus.publish(Topic.CustomerEvent, e);
  assert.equal((await stream.next()).value, published[1]);
  await assert.rejects(stream.next(), failing);
  assert.equal(listeningStreams(bus), 0);
});

test("customerUpdated: a subscriber that leaves while waiting for the next state stops listening at once", async () => {
  const bus = createEventBus();
  const states = customerStates({ db, bus, access: UNRESTRICTED }, "cus_a");
  const waiting = states.next();
  // The stream opens on the first next(); give it its turn.
  for (let i = 0; i < 10 && listeningStreams(bus) === 0; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(listeningStreams(bus), 1);
  await states.return!();
  assert.equal(listeningStreams(bus), 0, "no longer listening, with no event published");
  assert.deepEqual(await waiting, { value: undefined, done: true });
});

test("live events that arrive while the log is replayed are not given again after the replay", async () => {
  const bus = createEventBus();
  const log = () =>
    db.transaction(async (tx) => {
      const [row] = await tx
        .insert(customerEvents)
        .values({ id: `evt_replay_${randomUUID()}`, type: "UPDATED", customerId: "cus_replay", organizationId: "org_1", changedFields: ["nickname"], actor: "test", via: "API", occurredAt: new Date().toISOString() })
        .returning();
      return row;
    });
  const from = await log();
  const replayed = await log();
  const stream = await openCustomerEventStream(db.read, bus, { customerId: "cus_replay", after: from.id });
  // Two more are committed and published before the subscriber reads anything: the replay reads
  // them from the log as well, and they also wait in the live queue.
  const [third, fourth] = [await log(), await log()];
  bus.publish(Topic.CustomerEvent, third);
  bus.publish(Topic.CustomerEvent, fourth);
  const received = [(await stream.next()).value, (await stream.next()).value, (await stream.next()).value].map((e) => e?.id);
  assert.deepEqual(received, [replayed.id, third.id, fourth.id]);
  const fifth = await log();
  bus.publish(Topic.CustomerEvent, fifth);
  assert.equal((await stream.next()).value?.id, fifth.id, "the next live event, not a repeat");
  await stream.return();
});
