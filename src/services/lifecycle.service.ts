import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";

export class LifecycleService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
  ) {}
}
