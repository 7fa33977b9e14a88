// KYC verification: sessions, document review, the rule that derives status and level.
// (Being written: see the KYC item.)
import type { Database, Db } from "../db/client";
import type { CustomerEventRow, CustomerRow } from "../db/schema";
import type { EventBus } from "../events/pubsub";
import type { Config } from "../config";
import type { Actor } from "./actor";
import type { Links } from "./links";

export class VerificationService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
    readonly links: Links,
  ) {}

  /**
   * Starts a verification session for `customer` inside the caller's transaction: the customer's
   * verification becomes PENDING with the session's URL. Returns the customer row after.
   */
  async startInTx(_tx: Db, _actor: Actor, customer: CustomerRow, _events: CustomerEventRow[]): Promise<CustomerRow> {
    return customer;
  }

  /**
   * Derives verification status and level from the customer's documents inside the caller's
   * transaction; when they change, updates the customer and records VERIFICATION_CHANGED.
   */
  async recomputeInTx(_tx: Db, _actor: Actor, customer: CustomerRow, _events: CustomerEventRow[]): Promise<CustomerRow> {
    return customer;
  }
}
