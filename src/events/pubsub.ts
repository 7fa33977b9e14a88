// Typed in-process pub/sub with named topics. A Redis event target can be passed to
// createEventBus later without touching resolvers or services.
import { createPubSub, type PubSubEvent, type PubSubEventTarget } from "@graphql-yoga/subscription";
import type { CustomerEventRow } from "../db/schema";

export const Topic = {
  CustomerEvent: "CUSTOMER_EVENT",
} as const;

export type Channels = {
  [Topic.CustomerEvent]: [CustomerEventRow];
};

export function createEventBus(eventTarget: PubSubEventTarget<Channels> = new EventTarget() as PubSubEventTarget<Channels>) {
  const pubsub = createPubSub<Channels>({ eventTarget });
  return {
    publish: pubsub.publish,
    subscribe: pubsub.subscribe,
    /**
     * Calls `listener` with each event of `topic`, synchronously as it is published, until the
     * returned function is called. `subscribe` gives each subscriber a Repeater of its own, which
     * costs more than the rest of a delivery when an event goes to a thousand subscribers; one
     * listener that fans out (src/events/stream.ts) does not.
     */
    listen(topic: typeof Topic.CustomerEvent, listener: (event: CustomerEventRow) => void): () => void {
      const handler = (event: PubSubEvent<Channels, typeof topic>) => listener(event.detail);
      eventTarget.addEventListener(topic, handler);
      return () => eventTarget.removeEventListener(topic, handler);
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
