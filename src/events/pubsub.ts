// Typed pub/sub with named topics, for two audiences:
// - side effects that must happen once (the verification email, the webhook worker's wake-up)
//   subscribe to the events committed by this instance (`subscribe`);
// - subscription streams listen to the events of every instance (`listen`): with REDIS_URL each
//   instance also sends its events through Redis and receives the others' from it.
import { randomUUID } from "node:crypto";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSubEvent, type PubSubEventTarget } from "@graphql-yoga/subscription";
import type { TypedEvent } from "@graphql-yoga/typed-event-target";
import type { Redis } from "ioredis";
import type { CustomerEventRow } from "../db/schema";
import { logOutages, type Logger } from "../lib/logger";

export const Topic = {
  CustomerEvent: "CUSTOMER_EVENT",
} as const;

export type Channels = {
  [Topic.CustomerEvent]: [CustomerEventRow];
};

type TopicName = keyof Channels;

/** Where the instances meet: the server's Redis connection, and the prefix of its channels. */
export interface SharedEvents {
  redis: Redis;
  /** REDIS_KEY_PREFIX: channels are not keys, so ioredis's keyPrefix does not apply to them. */
  prefix: string;
  logger: Logger;
}

export function createEventBus(shared: SharedEvents | null = null) {
  const eventTarget = new EventTarget() as PubSubEventTarget<Channels>;
  const pubsub = createPubSub<Channels>({ eventTarget });
  // The other instances' events, for `listen` only.
  const others = new EventTarget() as PubSubEventTarget<Channels>;
  const instances = shared ? connectInstances(shared, others) : null;
  return {
    /** Whether other instances' events arrive too (and may arrive out of `seq` order). */
    distributed: instances !== null,
    publish<T extends TopicName>(topic: T, event: Channels[T][0]): void {
      pubsub.publish(topic, event);
      instances?.send(topic, event);
    },
    /** The events committed by this instance: for work that one instance must do once per event. */
    subscribe: pubsub.subscribe,
    /**
     * Calls `listener` with each event of `topic`, from this instance synchronously as it is
     * published, and from the others as Redis brings them, until the returned function is called.
     * `subscribe` gives each subscriber a Repeater of its own, which costs more than the rest of a
     * delivery when an event goes to a thousand subscribers; one listener that fans out
     * (src/events/stream.ts) does not.
     */
    listen(topic: TopicName, listener: (event: CustomerEventRow) => void): () => void {
      const handler = (event: PubSubEvent<Channels, typeof topic>) => listener(event.detail);
      eventTarget.addEventListener(topic, handler);
      others.addEventListener(topic, handler);
      return () => {
        eventTarget.removeEventListener(topic, handler);
        others.removeEventListener(topic, handler);
      };
    },
    /** Stops receiving the other instances' events (before the Redis connection is closed). */
    close(): void {
      instances?.close();
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;

/** What instances send each other: an event, and the instance that committed it. */
interface Envelope {
  origin: string;
  event: CustomerEventRow;
}

type EnvelopeEvent = TypedEvent<string, Envelope | null>;

/** A message that is not an envelope (another program on the channel) is ignored, not thrown in ioredis's handler. */
function parseEnvelope(message: string): Envelope | null {
  try {
    const parsed = JSON.parse(message) as Partial<Envelope> | null;
    return typeof parsed?.origin === "string" && typeof parsed.event?.seq === "number" ? (parsed as Envelope) : null;
  } catch {
    return null;
  }
}

/**
 * Sends this instance's events to Redis and dispatches the other instances' on `others`. Its own
 * events come back from Redis too; they were delivered here at once, so they are dropped.
 */
function connectInstances({ redis, prefix, logger }: SharedEvents, others: PubSubEventTarget<Channels>) {
  const origin = randomUUID();
  const channel = (topic: TopicName) => `${prefix}events:${topic}`;
  // A subscribed connection can run nothing else. Like the shared one, it queues nothing while
  // down (subscribing waits for `ready`; ioredis resubscribes after a reconnection), but its
  // commands do not time out or give up: a SUBSCRIBE sent is answered once Redis is back.
  const subscriber = redis.duplicate({ commandTimeout: undefined, maxRetriesPerRequest: null });
  const target = createRedisEventTarget<EnvelopeEvent>({
    publishClient: redis,
    subscribeClient: subscriber,
    serializer: { stringify: JSON.stringify, parse: parseEnvelope },
  });
  logOutages(subscriber, logger, "redis (events)", "subscriptions get no events from other instances until it is back");
  subscriber.once("ready", () => {
    for (const topic of Object.values(Topic)) {
      target.addEventListener(channel(topic), (message: EnvelopeEvent) => {
        const envelope = message.detail;
        if (envelope && envelope.origin !== origin) others.dispatchEvent(new CustomEvent(topic, { detail: envelope.event }));
      });
    }
  });
  subscriber.connect().catch(() => {
    // Logged by the error listener; ioredis keeps trying.
  });
  // Published here rather than by the event target, whose PUBLISH promise nobody awaits: with
  // Redis down it would be an unhandled rejection. An event that does not reach the others is
  // not lost to their subscribers: their streams read a gap in `seq` from the log.
  let failing = false;
  return {
    send(topic: TopicName, event: CustomerEventRow): void {
      redis.publish(channel(topic), JSON.stringify({ origin, event } satisfies Envelope)).then(
        () => {
          failing = false;
        },
        (err: unknown) => {
          if (failing) return;
          failing = true;
          logger.error({ err }, "could not send an event to the other instances");
        },
      );
    },
    close(): void {
      subscriber.disconnect();
    },
  };
}
