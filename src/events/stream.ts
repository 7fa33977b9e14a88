// Event streams for subscriptions: optionally replay the log after a given event, then go on
// live. Listening starts before the log is read, and live events already replayed are skipped,
// so there is no gap and no duplicate at the seam.
import { and, asc, desc, eq, gt, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { first } from "../db/query";
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
/**
 * With several instances, how often a listening feed also reads the log for events it has not
 * received: an instance that dies between its commit and its publish (or a publish lost while Redis
 * was down) would otherwise leave its last events undelivered until a later event showed the gap.
 */
export const LOG_POLL_MS = 1_000;
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

  /**
   * After a replay up to `seq`: the live events it already gave are dropped, waiting or to come
   * (live events past `seq` may have arrived during the replay; those up to it still wait).
   */
  skipThrough(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
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
  // With several instances (a distributed bus): the last seq fanned out, the events that wait
  // while a gap before them is read from the log, and which listening period a read belongs to.
  private lastSeq = 0;
  private held: CustomerEventRow[] | null = null;
  private period = 0;
  private poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly db: Db,
  ) {}

  /**
   * With a distributed bus, the last seq in the log before the first stream of a listening period
   * starts: events up to it were committed before anyone listened, and every later one is owed, in
   * order. (Without it, the first event to arrive would set the start, and an earlier one still on
   * its way from another instance would be dropped as out of order.) Read only when idle.
   */
  async baseline(): Promise<number | undefined> {
    // Read even while streams listen: the last of them may close before this one starts.
    if (!this.bus.distributed) return undefined;
    const [last] = await this.db.select({ seq: customerEvents.seq }).from(customerEvents).orderBy(desc(customerEvents.seq)).limit(1);
    return last?.seq ?? 0;
  }

  /** Starts listening at once, for the events that `selection` matches; `baseline()` read just before. */
  listen(selection: EventSelection, baseline?: number): LiveQueue {
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
    if (!this.stop && baseline !== undefined) this.lastSeq = baseline;
    if (!this.stop && this.bus.distributed) {
      const period = this.period;
      this.poll = setInterval(() => void this.catchUp(period), LOG_POLL_MS).unref();
    }
    this.stop ??= this.bus.listen(Topic.CustomerEvent, this.bus.distributed ? (event) => this.inOrder(event) : (event) => this.deliver(event));
    return queue;
  }

  /**
   * Another instance's event can arrive after a later one committed here, or never (Redis was
   * down as it was sent), and a stream skips events older than the last it gave. So events go out
   * in seq order, and a gap is read from the log: seq is given in commit order, so every event
   * before one that has arrived is committed and there.
   */
  private inOrder(event: CustomerEventRow): void {
    if (this.held) {
      this.held.push(event);
    } else if (event.seq <= this.lastSeq) {
      // Already read from the log.
    } else if (event.seq === this.lastSeq + 1) {
      this.lastSeq = event.seq;
      this.deliver(event);
    } else {
      this.held = [event];
      void this.fillGaps(this.period);
    }
  }

  private async fillGaps(period: number): Promise<void> {
    const held = this.held ?? [];
    let retrying = false;
    try {
      while (held.length && period === this.period) {
        held.sort((x, y) => x.seq - y.seq);
        const next = held[0];
        if (next.seq <= this.lastSeq + 1) {
          held.shift();
          if (next.seq <= this.lastSeq) continue;
          this.lastSeq = next.seq;
          this.deliver(next);
          continue;
        }
        const missing = await this.db
          .select()
          .from(customerEvents)
          .where(and(gt(customerEvents.seq, this.lastSeq), lt(customerEvents.seq, next.seq)))
          .orderBy(asc(customerEvents.seq))
          .limit(REPLAY_BATCH);
        if (period !== this.period) break;
        // Nothing there (the log was read before the commit was visible here): go on without it.
        if (!missing.length) this.lastSeq = next.seq - 1;
        for (const event of missing) {
          this.lastSeq = event.seq;
          this.deliver(event);
        }
      }
    } catch {
      if (period === this.period && held.length < MAX_WAITING) {
        // The log could not be read: the held events (and those arriving) wait, and the read is
        // tried again after a poll interval.
        retrying = true;
        setTimeout(() => void this.fillGaps(period), LOG_POLL_MS).unref();
      } else {
        // Too many waiting: they go out as they are, and streams skip the gap.
        for (const event of held.sort((x, y) => x.seq - y.seq)) {
          if (event.seq <= this.lastSeq) continue;
          this.lastSeq = event.seq;
          this.deliver(event);
        }
      }
    } finally {
      if (period === this.period && !retrying) this.held = null;
    }
  }

  /**
   * Reads the log after the last event fanned out and delivers what is there (see LOG_POLL_MS).
   * Events that arrive meanwhile wait, then go through inOrder as usual. Skipped while a gap is
   * being read, which reads the log anyway.
   */
  private async catchUp(period: number): Promise<void> {
    if (this.held || period !== this.period) return;
    const held: CustomerEventRow[] = (this.held = []);
    try {
      const missing = await this.db.select().from(customerEvents).where(gt(customerEvents.seq, this.lastSeq)).orderBy(asc(customerEvents.seq)).limit(REPLAY_BATCH);
      if (period !== this.period) return;
      for (const event of missing) {
        if (event.seq <= this.lastSeq) continue;
        this.lastSeq = event.seq;
        this.deliver(event);
      }
    } catch {
      // The log could not be read: the next poll tries again.
    } finally {
      if (period === this.period && this.held === held) {
        this.held = null;
        for (const event of held.sort((x, y) => x.seq - y.seq)) this.inOrder(event);
      }
    }
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
      if (this.poll) clearInterval(this.poll);
      this.poll = null;
      // The next stream starts from what is published then, not from where this period stopped.
      this.period += 1;
      this.lastSeq = 0;
      this.held = null;
    }
  }

  /** Streams listening now (for tests: a stream that ended must not be one). */
  get listening(): number {
    return this.open;
  }
}

const feeds = new WeakMap<EventBus, LiveFeed>();

function feedOf(bus: EventBus, db: Db): LiveFeed {
  let feed = feeds.get(bus);
  if (!feed) feeds.set(bus, (feed = new LiveFeed(bus, db)));
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
    const from = await first(db.select({ seq: customerEvents.seq }).from(customerEvents).where(eq(customerEvents.id, selection.after)));
    if (!from) throw new AppError("BAD_USER_INPUT", `Event ${selection.after} does not exist.`, { argument: "after" });
    afterSeq = from.seq;
  }
  // Starts listening now; live events wait in the queue while the log is replayed.
  const feed = feedOf(bus, db);
  const baseline = await feed.baseline();
  return new CustomerEventStream(feed.listen(selection, baseline), afterSeq === null ? null : replay(db, afterSeq, selection), selection.visible ?? null);
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
      .limit(REPLAY_BATCH);
    for (const event of batch) {
      lastSeq = event.seq;
      yield event;
    }
    if (batch.length < REPLAY_BATCH) return lastSeq;
  }
}
