// Typed in-process pub/sub with named topics. A Redis event target can be passed to
// createPubSub later without touching resolvers or services.
import { createPubSub } from "@graphql-yoga/subscription";
import type { CustomerEventRow } from "../db/schema";

export const Topic = {
  CustomerEvent: "CUSTOMER_EVENT",
} as const;

export type Channels = {
  [Topic.CustomerEvent]: [CustomerEventRow];
};

export function createEventBus() {
  return createPubSub<Channels>();
}

export type EventBus = ReturnType<typeof createEventBus>;
