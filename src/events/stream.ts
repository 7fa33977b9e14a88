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
/** Live events a stream may hold for a subscriber that does not keep up; beyond, the stream fails. */
const MAX_WAITING = 10_000;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * The live events of one stream that it has not taken yet, as iterator results: a live event
 * costs a subscriber one promise, resolved as the event is published.
 */
class LiveQueue {
  // The selection's filters, in one shape for every stream (selections come in many, which made
  // reading them per event slow).
  readonly customerId: string | null;
  private readonly organizationId: string | null;
  private readonly types: readonly string[] | null;
  private readonly waiting: CustomerEventRow[] = [];
  private readonly takers: ((result: IteratorResult<CustomerEventRow>) => void)[] = [];
  /** Events up to this one are skipped: replayed already, or published out of order. */
  private lastSeq = 0;
  private failure: AppError | null = null;
  private closed = false;

  constructor(
    selection: EventSelection,
    private readonly onClose: (queue: LiveQueue) => void,
  ) {
    this.customerId = selection.customerId || null;
    this.organizationId = selection.organizationId || null;
    this.types = selection.types?.length ? [...selection.types] : null;
  }

  private matches(event: CustomerEventRow): boolean {
    return (
      (this.customerId === null || event.customerId === this.customerId) &&
      (this.organizationId === null || event.organizationId === this.organizationId) &&
      (this.types === null || this.types.includes(event.type))
    );
  }

  /** Called by the feed with every event of the stream's customer (or every event): keeps the matching ones. */
  offer(event: CustomerEventRow): void {
    if (this.closed || event.seq <= this.lastSeq || !this.matches(event)) return;
    this.lastSeq = event.seq;
    const take = this.takers.shift();
    if (take) {
      take({ value: event, done: false });
    } else if (this.waiting.length < MAX_WAITING) {
      this.waiting.push(event);
    } else {
      this.failure = new AppError("INTERNAL_SERVER_ERROR", `More than ${MAX_WAITING} events were waiting for this subscriber; subscribe again with \`after\` the last event received.`);
      this.close();
    }
  }

  /** The next live event; done once the queue is closed. */
  take(): Promise<IteratorResult<CustomerEventRow>> {
    const next = this.waiting.shift();
    if (next) return Promise.resolve({ value: next, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve(DONE);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** After a replay up to `seq`: the live events it already gave are dropped, waiting or to come. */
  skipThrough(seq: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    while (this.waiting.length && this.waiting[0].seq <= seq) this.waiting.shift();
  }

  /** Stops listening now; takes that wait end the stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    for (const take of this.takers.splice(0)) take(DONE);
  }
}

/**
 * The live events of every open stream of one bus, from a single bus listener: each event goes
 * only to the streams of its customer and to those that follow every customer, and a stream
 * wakes only for an event it matches. (A Repeater per subscriber, each woken by every event,
 * cost more per delivery than everything else together.)
 */
class LiveFeed {
  private readonly byCustomer = new Map<string, Set<LiveQueue>>();
  private readonly everyCustomer = new Set<LiveQueue>();
  private open = 0;
  private stop: (() => void) | null = null;

  constructor(private readonly bus: EventBus) {}

  /** Starts listening at once, for the events that `selection` matches. */
  listen(selection: EventSelection): LiveQueue {
    const queue = new LiveQueue(selection, (q) => this.remove(q));
    const customerId = queue.customerId;
    if (customerId !== null) {
      let queues = this.byCustomer.get(customerId);
      if (!queues) this.byCustomer.set(customerId, (queues = new Set()));
      queues.add(queue);
    } else {
      this.everyCustomer.add(queue);
    }
    this.open += 1;
    this.stop ??= this.bus.listen(Topic.CustomerEvent, (event) => this.deliver(event));
    return queue;
  }

  private deliver(event: CustomerEventRow): void {
    const queues = this.byCustomer.get(event.customerId);
    if (queues) for (const queue of queues) queue.offer(event);
    for (const queue of this.everyCustomer) queue.offer(event);
  }

  private remove(queue: LiveQueue): void {
    const customerId = queue.customerId;
    if (customerId !== null) {
      const queues = this.byCustomer.get(customerId);
      queues?.delete(queue);
      if (queues?.size === 0) this.byCustomer.delete(customerId);
    } else {
      this.everyCustomer.delete(queue);
    }
    this.open -= 1;
    if (this.open === 0) {
      this.stop?.();
      this.stop = null;
    }
  }

  /** Streams listening now (for tests: a stream that ended must not be one). */
  get listening(): number {
    return this.open;
  }
}

const feeds = new WeakMap<EventBus, LiveFeed>();

function feedOf(bus: EventBus): LiveFeed {
  let feed = feeds.get(bus);
  if (!feed) feeds.set(bus, (feed = new LiveFeed(bus)));
  return feed;
}

/** How many event streams of `bus` are listening. */
export function listeningStreams(bus: EventBus): number {
  return feeds.get(bus)?.listening ?? 0;
}

/**
 * Opens a stream of the events matching `selection`. An unknown `after` is refused here, before
 * the stream exists, so that the client gets a proper error instead of a broken stream.
 */
export async function openCustomerEventStream(
  db: Db,
  bus: EventBus,
  selection: EventSelection,
): Promise<CustomerEventStream> {
  let afterSeq: number | null = null;
  if (selection.after) {
    const from = await db.select({ seq: customerEvents.seq }).from(customerEvents).where(eq(customerEvents.id, selection.after)).get();
    if (!from) throw new AppError("BAD_USER_INPUT", `Event ${selection.after} does not exist.`, { argument: "after" });
    afterSeq = from.seq;
  }
  // Starts listening now; live events wait in the queue while the log is replayed.
  return new CustomerEventStream(feedOf(bus).listen(selection), afterSeq === null ? null : replay(db, afterSeq, selection), selection.visible ?? null);
}

/**
 * The log after `afterSeq`, then the live events. Not an async generator: one waiting for the
 * next live event would only see return() once that event came, while a subscriber that leaves
 * must end its stream (and stop listening) at once; and a live event should cost a subscriber
 * one promise, not a generator's several. next() is meant to be called once at a time, as
 * for-await does.
 */
export class CustomerEventStream implements AsyncIterableIterator<CustomerEventRow> {
  constructor(
    private readonly live: LiveQueue,
    /** The log up to where listening started; null once read (or without `after`). */
    private replaying: AsyncGenerator<CustomerEventRow, number> | null,
    private readonly visible: ((customerId: string) => Promise<boolean>) | null,
  ) {}

  next(): Promise<IteratorResult<CustomerEventRow>> {
    if (!this.replaying && !this.visible) return this.live.take();
    return this.filtered().catch((error: unknown) => {
      this.live.close();
      throw error;
    });
  }

  /** The next event that is replayed or live, and visible to the subscriber. */
  private async filtered(): Promise<IteratorResult<CustomerEventRow>> {
    for (;;) {
      let step: IteratorResult<CustomerEventRow>;
      if (this.replaying) {
        const replayed = await this.replaying.next();
        if (replayed.done) {
          this.live.skipThrough(replayed.value);
          this.replaying = null;
          continue;
        }
        step = replayed;
      } else {
        step = await this.live.take();
        if (step.done) return step;
      }
      if (!this.visible || (await this.visible(step.value.customerId))) return step;
    }
  }

  async return(): Promise<IteratorResult<CustomerEventRow>> {
    this.live.close();
    const replaying = this.replaying;
    this.replaying = null;
    await replaying?.return(0);
    return DONE;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** The logged events after `afterSeq` that match, in batches; returns the last seq read. */
async function* replay(db: Db, afterSeq: number, selection: EventSelection): AsyncGenerator<CustomerEventRow, number> {
  const filters: SQL[] = [];
  if (selection.customerId) filters.push(eq(customerEvents.customerId, selection.customerId));
  if (selection.organizationId) filters.push(eq(customerEvents.organizationId, selection.organizationId));
  if (selection.types?.length) filters.push(inArray(customerEvents.type, selection.types));
  let lastSeq = afterSeq;
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
    if (batch.length < REPLAY_BATCH) return lastSeq;
  }
}
