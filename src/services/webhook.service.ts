// Webhook endpoints: create, update, delete, redeliver. (Being written.)
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";

export class WebhookService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
  ) {}
}
