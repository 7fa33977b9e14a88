// Leases: work that several instances on one database share is done by one of them at a time.
// Taking a lease is one atomic statement whose WHERE admits only a free or expired lease, so two
// instances never both win, whatever the isolation level: the loser's statement changes no row.
// The same statements run on SQLite and PostgreSQL: on both, write transactions run one at a time
// (SQLite's single writer; on PostgreSQL an advisory lock that every instance's write transaction
// takes first, src/db/pg.ts), so claims cannot interleave and need no row locks.
import { and, asc, eq, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { Db } from "./client";
import { leases, webhookDeliveries, webhookEndpoints, type WebhookDeliveryRow } from "./schema";

/**
 * Takes the lease `name` for `owner` until `until`, or renews it when `owner` already holds it;
 * false while another owner holds it and `at` is before its end.
 */
export async function takeLease(tx: Db, name: string, owner: string, at: string, until: string): Promise<boolean> {
  const taken = await tx
    .insert(leases)
    .values({ name, owner, until })
    .onConflictDoUpdate({
      target: leases.name,
      set: { owner, until },
      setWhere: or(eq(leases.owner, owner), lt(leases.until, at)),
    })
    .returning({ owner: leases.owner });
  return taken.length === 1;
}

/** Gives the lease up if `owner` holds it, so that another instance need not wait for its end. */
export async function releaseLease(tx: Db, name: string, owner: string): Promise<void> {
  await tx.delete(leases).where(and(eq(leases.name, name), eq(leases.owner, owner)));
}

/** A delivery due at `at` that nobody holds, or whose holder's lease ended before `at`. */
const claimable = (at: string) =>
  and(
    eq(webhookDeliveries.status, "PENDING"),
    lte(webhookDeliveries.nextAttemptAt, at),
    or(isNull(webhookDeliveries.leaseUntil), lt(webhookDeliveries.leaseUntil, at)),
  );

/**
 * Claims up to `limit` deliveries due at `at` (pending, of an enabled endpoint, unleased or with an
 * expired lease) for `owner` until `until`, and returns them: one UPDATE … RETURNING.
 */
export async function claimDueDeliveries(tx: Db, owner: string, at: string, until: string, limit: number): Promise<WebhookDeliveryRow[]> {
  const due = tx
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(claimable(at), eq(webhookEndpoints.enabled, true)))
    .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
    .limit(limit);
  return tx
    .update(webhookDeliveries)
    .set({ leaseOwner: owner, leaseUntil: until })
    // Checked again on the row itself: a database that runs claims concurrently may have let
    // another claim or an outcome change it since the subquery chose it.
    .where(and(inArray(webhookDeliveries.id, due), claimable(at)))
    .returning();
}

/** The condition under which only the holder of `delivery`'s lease (as claimed) may change it. */
export function heldBy(delivery: Pick<WebhookDeliveryRow, "id" | "leaseOwner" | "leaseUntil">) {
  const { id, leaseOwner, leaseUntil } = delivery;
  if (!leaseOwner || !leaseUntil) throw new Error(`delivery ${id} is not leased`);
  // The lease's end as well as its owner: an instance that took its own expired lease again
  // holds a new lease, and the earlier attempt's outcome is no longer its to record.
  return and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.leaseOwner, leaseOwner), eq(webhookDeliveries.leaseUntil, leaseUntil));
}
