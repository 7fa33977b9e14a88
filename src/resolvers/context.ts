import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";
import type { Loaders } from "../loaders";
import type { Actor } from "../services/actor";
import type { Services } from "../services";

/** What every resolver gets: built per HTTP request, and per event for subscriptions. */
export interface Context {
  db: Database;
  bus: EventBus;
  services: Services;
  loaders: Loaders;
  actor: Actor;
  scopes: string[];
}
