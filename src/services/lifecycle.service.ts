// The lifecycle of a customer: deactivate/reactivate (OffBlocks), archive/restore (Gormic's soft
// delete) and erasure (GDPR right to erasure). The state machine is in README.md.
import { and, eq, gte, lt } from "drizzle-orm";
import type { Database, Db } from "../db/client";
import {
  companies,
  customerAddresses,
  documents,
  memberships,
  notificationPreferences,
  personNames,
  persons,
  secretQuestions,
  telephoneNumbers,
  twoFactorChallenges,
  verificationSessions,
  walletChallenges,
  wallets,
  type CustomerRow,
  type CustomerStatusBefore,
} from "../db/schema";
import type { EventBus } from "../events/pubsub";
import { now } from "../lib/clock";
import type { Actor } from "./actor";
import { changeCustomers, findCustomer, touchCustomer } from "./customer-tx";
import { UserErrors } from "./errors";
import { parseInput, text } from "./validation";

// Open challenges and sessions that a deactivation suspends and a reactivation reopens (a function:
// the tables are bound when the database opens, src/db/bind.ts).
const suspendable = () => [walletChallenges, twoFactorChallenges, verificationSessions] as const;

function refuse(customer: CustomerRow, action: string, allowed: string[]): never {
  throw UserErrors.of(
    "INVALID_STATE",
    ["id"],
    `Cannot ${action} customer ${customer.id}: it is ${customer.status}, and only ${allowed.join(" or ")} customers can be.`,
  );
}

export class LifecycleService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
  ) {}

  /** Switches the customer off with a reason, and with it its wallets, memberships and open challenges. */
  async deactivate(actor: Actor, input: { id: string; reason: unknown }): Promise<CustomerRow> {
    const reason = parseInput(text(500), input.reason, ["reason"]);
    return changeCustomers(this.db, this.bus, async (tx, events) => {
      const customer = await findCustomer(tx, input.id, ["id"], actor.access);
      if (customer.status !== "NEW" && customer.status !== "ACTIVE") refuse(customer, "deactivate", ["NEW", "ACTIVE"]);
      const switchedOff = { active: false, suspended: true };
      await tx.update(wallets).set(switchedOff).where(and(eq(wallets.customerId, customer.id), eq(wallets.active, true)));
      await tx.update(memberships).set(switchedOff).where(and(eq(memberships.customerId, customer.id), eq(memberships.active, true)));
      for (const table of suspendable()) {
        await tx.update(table).set({ status: "SUSPENDED" }).where(and(eq(table.customerId, customer.id), eq(table.status, "OPEN")));
      }
      return touchCustomer(
        tx,
        actor,
        customer,
        { type: "DEACTIVATED", changedFields: ["deactivatedAt", "deactivationReason", "status"] },
        events,
        { status: "DEACTIVATED", statusBeforeDeactivation: customer.status, deactivatedAt: now(), deactivationReason: reason },
      );
    });
  }

  /** Undoes a deactivation: exactly what it switched off is switched on again. */
  async reactivate(actor: Actor, id: string): Promise<CustomerRow> {
    return changeCustomers(this.db, this.bus, async (tx, events) => {
      const customer = await findCustomer(tx, id, ["id"], actor.access);
      if (customer.status !== "DEACTIVATED") refuse(customer, "reactivate", ["DEACTIVATED"]);
      const at = now();
      const switchedOn = { active: true, suspended: false };
      await tx.update(wallets).set(switchedOn).where(and(eq(wallets.customerId, customer.id), eq(wallets.suspended, true)));
      await tx.update(memberships).set(switchedOn).where(and(eq(memberships.customerId, customer.id), eq(memberships.suspended, true)));
      for (const table of suspendable()) {
        const suspended = and(eq(table.customerId, customer.id), eq(table.status, "SUSPENDED"));
        await tx.update(table).set({ status: "OPEN" }).where(and(suspended, gte(table.expiresAt, at)));
        await tx.update(table).set({ status: "EXPIRED" }).where(and(suspended, lt(table.expiresAt, at)));
      }
      return touchCustomer(
        tx,
        actor,
        customer,
        { type: "REACTIVATED", changedFields: ["deactivatedAt", "deactivationReason", "status"] },
        events,
        {
          status: customer.statusBeforeDeactivation ?? "NEW",
          statusBeforeDeactivation: null,
          deactivatedAt: null,
          deactivationReason: null,
        },
      );
    });
  }

  /** Soft delete: hidden from lists unless asked for, unchangeable until restored. */
  async archive(actor: Actor, id: string): Promise<CustomerRow> {
    return changeCustomers(this.db, this.bus, async (tx, events) => {
      const customer = await findCustomer(tx, id, ["id"], actor.access);
      if (customer.status === "ARCHIVED") refuse(customer, "archive", ["NEW", "ACTIVE", "DEACTIVATED"]);
      return touchCustomer(
        tx,
        actor,
        customer,
        { type: "ARCHIVED", changedFields: ["archivedAt", "archivedBy", "archivedVia", "status"] },
        events,
        {
          status: "ARCHIVED",
          statusBeforeArchive: customer.status as CustomerStatusBefore,
          archivedAt: now(),
          archivedBy: actor.name,
          archivedVia: actor.via,
        },
      );
    });
  }

  /** Brings an archived customer back in the status it had. */
  async restore(actor: Actor, id: string): Promise<CustomerRow> {
    return changeCustomers(this.db, this.bus, async (tx, events) => {
      const customer = await findCustomer(tx, id, ["id"], actor.access);
      if (customer.status !== "ARCHIVED") refuse(customer, "restore", ["ARCHIVED"]);
      return touchCustomer(
        tx,
        actor,
        customer,
        { type: "RESTORED", changedFields: ["archivedAt", "archivedBy", "archivedVia", "status"] },
        events,
        { status: customer.statusBeforeArchive ?? "NEW", statusBeforeArchive: null, archivedAt: null, archivedBy: null, archivedVia: null },
      );
    });
  }

  /**
   * Right to erasure: every piece of personal data goes, irreversibly; a tombstone with the id,
   * type and erasure time stays, and so do the events (which hold field names, never values).
   */
  async erase(actor: Actor, id: string): Promise<string> {
    const erased = await changeCustomers(this.db, this.bus, async (tx, events) => {
      const customer = await findCustomer(tx, id, ["id"], actor.access);
      await this.erasePersonalData(tx, customer.id);
      await touchCustomer(tx, actor, customer, { type: "ERASED", changedFields: [] }, events, {
        displayName: "",
        nickname: null,
        email: null,
        phone: null,
        categorization: null,
        tags: [],
        externalReference: null,
        manager: null,
        searchText: "",
        verificationUrl: null,
        deactivationReason: null,
        registrationAccount: null,
        statusBeforeArchive: null,
        statusBeforeDeactivation: null,
        erasedAt: now(),
      });
      return customer.id;
    });
    // The deleted rows were overwritten in place (secure_delete); this empties the write-ahead log,
    // which still holds the pages as they were.
    await this.db.checkpoint();
    return erased;
  }

  private async erasePersonalData(tx: Db, customerId: string): Promise<void> {
    for (const table of [
      personNames,
      telephoneNumbers,
      secretQuestions,
      persons,
      companies,
      customerAddresses,
      documents,
      notificationPreferences,
      wallets,
      walletChallenges,
      twoFactorChallenges,
      verificationSessions,
    ]) {
      await tx.delete(table).where(eq(table.customerId, customerId));
    }
    // Memberships stay (they say which organizations may see the tombstone), without their tags.
    await tx.update(memberships).set({ tags: [] }).where(eq(memberships.customerId, customerId));
  }
}
