// Wallet ownership challenges (EIP-191). (Being written: see the wallet item.)
import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";
import type { Config } from "../config";

export class WalletService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
  ) {}
}
