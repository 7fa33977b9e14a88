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
  /** Whether the subscriber may see this customer's events (tenancy); absent: every customer. */
  visible?: (customerId: string) => Promise<boolean>;
}

const REPLAY_BATCH = 500;

function matches(event: CustomerEventRow, s: EventSelection): boolean {
  return (
    (!s.customerId || event.customerId === s.customerId) &&
    (!s.organizationId || event.organizationId === s.organizationId) &&
    (!s.types?.length || s.types.includes(event.type))
  );
}

/**
 * Opens a stream of the events matching `selection`. An unknown `after` is refused here, before
 * the stream exists, so that the client gets a proper error instead of a broken stream.
 */
export async function openCustomerEventStream(
  db: Db,
  bus: EventBus,
  selection: EventSelection,
): Promise<AsyncGenerator<CustomerEventRow>> {
  let afterSeq: number | null = null;
  if (selection.after) {
    const from = await db.select({ seq: customerEvents.seq }).from(customerEvents).where(eq(customerEvents.id, selection.after)).get();
    if (!from) throw new AppError("BAD_USER_INPUT", `Event ${selection.after} does not exist.`, { argument: "after" });
    afterSeq = from.seq;
  }
  const live = bus.subscribe(Topic.CustomerEvent)[Symbol.asyncIterator]();
  // Starts listening now; the first live value is awaited after the replay.
  const pending = live.next();
  const events = stream(db, live, pending, afterSeq, selection);
  // A generator waiting for the next live event would only see return() once that event came:
  // a subscriber that leaves must end its stream (and its bus listener) now, so return() ends
  // the live iterator first, which lets the waiting generator finish.
  const original = events.return.bind(events);
  events.return = async (value) => {
    await live.return?.();
    return original(value);
  };
  return events;
}

async function* stream(
  db: Db,
  live: AsyncIterator<CustomerEventRow>,
  pending: Promise<IteratorResult<CustomerEventRow>>,
  afterSeq: number | null,
  selection: EventSelection,
): AsyncGenerator<CustomerEventRow> {
  let lastSeq = afterSeq ?? 0;
  try {
    if (afterSeq !== null) {
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
          if (!selection.visible || (await selection.visible(event.customerId))) yield event;
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
        if (!selection.visible || (await selection.visible(value.customerId))) yield value;
      }
    }
  } finally {
    await live.return?.();
  }
}
