// What every service that changes a customer shares: one transaction that also records the
// customer's events, published after commit; lookups that hide erased customers; the state rule.
import { and, eq } from "drizzle-orm";
import type { Access } from "../auth/principal";
import { customerVisible } from "../auth/tenancy";
import type { Database, Db } from "../db/client";
import { first } from "../db/query";
import { customers, type CustomerEventRow, type CustomerRow } from "../db/schema";
import { publishEvents, recordEvent, type NewEvent } from "../events/event-log";
import type { EventBus } from "../events/pubsub";
import { now } from "../lib/clock";
import type { Actor } from "./actor";
import { UserErrors } from "./errors";

export type ChangeFn<T> = (tx: Db, events: CustomerEventRow[]) => Promise<T>;

/** Runs a change in one transaction and publishes its events once it has committed. */
export async function changeCustomers<T>(db: Database, bus: EventBus, fn: ChangeFn<T>): Promise<T> {
  const events: CustomerEventRow[] = [];
  const result = await db.transaction((tx) => fn(tx, events));
  publishEvents(bus, events);
  return result;
}

/**
 * The customer, or NOT_FOUND at `field`: an erased customer no longer exists, and another tenant's
 * customer reads as missing (its existence is not revealed).
 */
export async function findCustomer(tx: Db, id: string, field: string[], access: Access | undefined): Promise<CustomerRow> {
  const row = await first(tx.select().from(customers).where(and(eq(customers.id, id), customerVisible(access))));
  if (!row || row.erasedAt) throw UserErrors.of("NOT_FOUND", field, `Customer ${id} does not exist.`);
  return row;
}

/** Deactivated and archived customers cannot be changed until reactivated or restored. */
export function assertModifiable(customer: CustomerRow, field: string[]): void {
  if (customer.status === "DEACTIVATED" || customer.status === "ARCHIVED") {
    const undo = customer.status === "DEACTIVATED" ? "reactivateCustomer" : "restoreCustomer";
    throw UserErrors.of("INVALID_STATE", field, `Customer ${customer.id} is ${customer.status}; ${undo} first.`);
  }
}

/** Marks a customer changed: bumps version and audit fields, and records the event. */
export async function touchCustomer(
  tx: Db,
  actor: Actor,
  customer: CustomerRow,
  event: Omit<NewEvent, "customerId" | "organizationId">,
  events: CustomerEventRow[],
  columns: Partial<CustomerRow> = {},
): Promise<CustomerRow> {
  const at = now();
  const [row] = await tx
    .update(customers)
    .set({ ...columns, version: customer.version + 1, updatedAt: at, updatedBy: actor.name, updatedVia: actor.via })
    .where(eq(customers.id, customer.id))
    .returning();
  events.push(
    await recordEvent(tx, actor, { ...event, customerId: customer.id, organizationId: customer.organizationId, occurredAt: at }),
  );
  return row;
}
