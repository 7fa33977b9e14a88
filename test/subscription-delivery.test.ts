// Direct delivery of live subscription events: the group's payload serialised once and written to
// each subscriber's socket as graphql-ws's `next` message, and a subscriber whose socket does not
// keep up fails instead of holding the server's memory.
import "reflect-metadata";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { GraphQLError, parse } from "graphql";
import type { Database } from "../src/db/client";
import { customerEventRow, openTestDatabase } from "./helpers";
import type { CustomerEventRow } from "../src/db/schema";
import { createEventBus, Topic, type EventBus } from "../src/events/pubsub";
import { listeningStreams } from "../src/events/stream";
import { SCOPES, UNRESTRICTED } from "../src/auth/principal";
import { buildCustomerSchema } from "../src/schema";
import { deliverTo, sharedSubscribe, type Delivery } from "../src/server/subscription-execution";
import { createErrorFormatter } from "../src/server/errors";
import { AppError } from "../src/services/errors";
import type { Logger } from "../src/lib/logger";

let db: Database;
before(async () => {
  db = await openTestDatabase();
});
after(() => db.close());

let seq = 0;
const event = (customerId: string): CustomerEventRow => customerEventRow(++seq, customerId);

class FakeSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
}

function subscriber(bus: EventBus, id: string, socket: FakeSocket) {
  const context = deliverTo(
    { db, bus, access: UNRESTRICTED, principal: { id: "admin", kind: "admin", organizationId: null, root: true, scopes: SCOPES, tags: [] }, actor: { organizationId: "org_1" } },
    { id, socket } satisfies Delivery,
  );
  return sharedSubscribe()({
    schema: buildCustomerSchema(),
    document: parse(`subscription { customerEvents(customerId: "cus_a") { id type changedFields } }`),
    contextValue: context,
  });
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("each live subscriber gets graphql-ws's next message with its own id; graphql-ws's stream yields nothing until the end", async () => {
  const bus = createEventBus();
  const sockets = [new FakeSocket(), new FakeSocket()];
  const streams = await Promise.all(sockets.map((socket, i) => subscriber(bus, `sub-${i}`, socket)));
  const pending = streams.map((stream) => (stream as AsyncIterableIterator<unknown>).next());
  await settle();
  assert.equal(listeningStreams(bus), 2);
  const published = event("cus_a");
  bus.publish(Topic.CustomerEvent, published);
  bus.publish(Topic.CustomerEvent, event("cus_other"));
  for (let i = 0; i < 5; i++) await settle();
  const payload = `{"data":{"customerEvents":{"id":"${published.id}","type":"UPDATED","changedFields":["nickname"]}}}`;
  assert.deepEqual(sockets[0].sent, [`{"id":"sub-0","type":"next","payload":${payload}}`]);
  assert.deepEqual(sockets[1].sent, [`{"id":"sub-1","type":"next","payload":${payload}}`]);
  await Promise.all(streams.map((stream) => (stream as AsyncIterableIterator<unknown>).return!()));
  assert.deepEqual(await Promise.all(pending), [
    { value: undefined, done: true },
    { value: undefined, done: true },
  ]);
  assert.equal(listeningStreams(bus), 0);
});

test("a subscriber whose socket holds more than 8 MiB unsent fails with a code and stops listening", async () => {
  const bus = createEventBus();
  const socket = new FakeSocket();
  const stream = (await subscriber(bus, "slow", socket)) as AsyncIterableIterator<unknown>;
  const pending = stream.next();
  await settle();
  socket.bufferedAmount = 9 * 1024 * 1024;
  bus.publish(Topic.CustomerEvent, event("cus_a"));
  await assert.rejects(pending, (error: Error & { code?: string }) => error.code === "INTERNAL_SERVER_ERROR" && /subscribe again with `after`/.test(error.message));
  assert.equal(socket.sent.length, 0);
  assert.equal(listeningStreams(bus), 0);
});

test("the error a falling-behind subscriber gets keeps its code and advice through the error map (graphql-ws wraps it without a path)", () => {
  const logged: unknown[] = [];
  const format = createErrorFormatter({ error: (...args: unknown[]) => logged.push(args) } as unknown as Logger);
  const cause = new AppError("INTERNAL_SERVER_ERROR", "More than 8388608 bytes of events were waiting for this subscriber; subscribe again with `after` the last event received.");
  const wrapped = new GraphQLError(cause.message, { originalError: cause });
  const formatted = format(wrapped.toJSON(), wrapped);
  assert.equal(formatted.message, cause.message);
  assert.equal(formatted.extensions?.code, "INTERNAL_SERVER_ERROR");
  assert.equal(logged.length, 0, "not logged as an unexpected error");
});
