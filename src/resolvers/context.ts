import type { Access, Principal } from "../auth/principal";
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
  principal: Principal;
  access: Access;
  /**
   * Set when the request's Idempotency-Key was used before with another request: every mutation
   * then answers IDEMPOTENCY_CONFLICT without running.
   */
  idempotencyConflict?: boolean;
}
