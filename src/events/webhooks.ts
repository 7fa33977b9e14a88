// Webhook delivery: the event log fanned out to endpoints, posted with Standard Webhooks
// signatures, retried with backoff, persisted so that a restart loses nothing. (Being written.)
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { Logger } from "../lib/logger";
import type { EventBus } from "./pubsub";

/** Starts the delivery worker; the returned function stops it (letting a delivery in flight finish). */
export function startWebhookWorker(_db: Database, _bus: EventBus, _config: Config, _logger: Logger): () => Promise<void> {
  return async () => {};
}
