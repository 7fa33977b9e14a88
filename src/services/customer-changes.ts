// Incremental export (Gormic): the customers that changed since a cursor, oldest change first,
// read from the event log. The cursor is an event's `seq`, which grows in commit order (SQLite
// has one writer at a time), so following `next` yields every change exactly once while writes go on.
import { and, asc, gt, inArray, type SQL } from "drizzle-orm";
import type { Access } from "../auth/principal";
import { customerVisible } from "../auth/tenancy";
import type { Db } from "../db/client";
import { customerEvents, customers } from "../db/schema";
import { AppError } from "./errors";

export const DEFAULT_CHANGES = 100;
export const MAX_CHANGES = 1000;

export interface CustomerChangeItem {
  customerId: string;
  changedAt: string;
  /** The seq of the customer's last change in this page. */
  seq: number;
}

export interface CustomerChangePage {
  items: CustomerChangeItem[];
  next: string;
  hasMore: boolean;
}

const encode = (seq: number) => Buffer.from(`changes:${seq}`).toString("base64url");

function decode(cursor: string): number {
  const match = /^changes:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new AppError("BAD_USER_INPUT", "`since` is not a cursor returned as `next`.", { argument: "since" });
  return Number(match[1]);
}

export async function customerChanges(
  db: Db,
  args: { since?: string | null; first?: number | null },
  access: Access | undefined,
): Promise<CustomerChangePage> {
  const first = args.first ?? DEFAULT_CHANGES;
  if (first < 1 || first > MAX_CHANGES) {
    throw new AppError("BAD_USER_INPUT", `\`first\` must be between 1 and ${MAX_CHANGES}.`, { argument: "first" });
  }
  const since = args.since ? decode(args.since) : 0;
  const visible = customerVisible(access);
  const conditions: SQL[] = [gt(customerEvents.seq, since)];
  if (visible) conditions.push(inArray(customerEvents.customerId, db.select({ id: customers.id }).from(customers).where(visible)));
  // Pages are cut on events; a customer changed several times in one page appears once, at its
  // last change, so that a consumer reads each customer's current state once per page.
  const events = await db
    .select({ seq: customerEvents.seq, customerId: customerEvents.customerId, occurredAt: customerEvents.occurredAt })
    .from(customerEvents)
    .where(and(...conditions))
    .orderBy(asc(customerEvents.seq))
    .limit(first + 1);
  const hasMore = events.length > first;
  const page = events.slice(0, first);
  const latest = new Map<string, CustomerChangeItem>();
  for (const e of page) {
    latest.delete(e.customerId);
    latest.set(e.customerId, { customerId: e.customerId, changedAt: e.occurredAt, seq: e.seq });
  }
  return { items: [...latest.values()], next: encode(page.at(-1)?.seq ?? since), hasMore };
}
