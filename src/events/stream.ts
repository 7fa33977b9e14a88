// Event streams for subscriptions: optionally replay the log after a given event, then go on
// live. Listening starts before the log is read, and live events already replayed are skipped,
// so there is no gap and no duplicate at the seam.
import { and, asc, eq, gt, inArray, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { customerEvents, type CustomerEventRow } from "../db/schema";
import { AppError } from "../services/errors";
import { Topic, type EventBus } from "./pubsub";

export interface EventSelection {
  customerId?: string | null;
  organizationId?: string | null;
  types?: string[] | null;
  after?: string | null;
}

const REPLAY_BATCH = 500;

function matches(event: CustomerEventRow, s: EventSelection): boolean {
  return (
    (!s.customerId || event.customerId === s.customerId) &&
    (!s.organizationId || event.organizationId === s.organizationId) &&
    (!s.types?.length || s.types.includes(event.type))
  );
}

export async function* customerEventStream(db: Db, bus: EventBus, selection: EventSelection): AsyncGenerator<CustomerEventRow> {
  const live = bus.subscribe(Topic.CustomerEvent)[Symbol.asyncIterator]();
  // Starts the listener now; its first value is awaited after the replay.
  let pending = live.next();
  let lastSeq = 0;
  try {
    if (selection.after) {
      const from = await db
        .select({ seq: customerEvents.seq })
        .from(customerEvents)
        .where(eq(customerEvents.id, selection.after))
        .get();
      if (!from) throw new AppError("BAD_USER_INPUT", `Event ${selection.after} does not exist.`, { argument: "after" });
      lastSeq = from.seq;
      const filters: SQL[] = [];
      if (selection.customerId) filters.push(eq(customerEvents.customerId, selection.customerId));
      if (selection.organizationId) filters.push(eq(customerEvents.organizationId, selection.organizationId));
      if (selection.types?.length) filters.push(inArray(customerEvents.type, selection.types));
      for (;;) {
        const batch = await db
          .select()
          .from(customerEvents)
          .where(and(gt(customerEvents.seq, lastSeq), ...filters))
          .orderBy(asc(customerEvents.seq))
          .limit(REPLAY_BATCH)
          .all();
        for (const event of batch) {
          lastSeq = event.seq;
          yield event;
        }
        if (batch.length < REPLAY_BATCH) break;
      }
    }
    for (;;) {
      const { value, done } = await pending;
      if (done) return;
      pending = live.next();
      if (value.seq > lastSeq && matches(value, selection)) {
        lastSeq = value.seq;
        yield value;
      }
    }
  } finally {
    await live.return?.();
  }
}
