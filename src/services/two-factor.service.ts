// Two-factor targets and one-time codes. (Being written: see the two-factor item.)
import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";
import type { Config } from "../config";
import type { Notifier } from "./notifier";

export class TwoFactorService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
    readonly notifier: Notifier,
  ) {}
}
