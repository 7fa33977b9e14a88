// Tenancy: which organizations and customers a caller may see. A caller sees its own organization
// and the organizations it manages as partner (its descendants), and the customers onboarded to
// them; a tag-restricted credential sees only customers with one of its tags.
import { inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { jsonArrayHasAny } from "../db/dialect";
import { queryRows } from "../db/query";
import { customers, memberships, organizations } from "../db/schema";
import { UNRESTRICTED, type Access, type Principal } from "./principal";

/** The organization and all it manages, transitively. Empty when the organization does not exist. */
export async function managedOrganizations(db: Db, organizationId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(db, sql`
    with recursive managed(id) as (
      select ${organizations.id} from ${organizations} where ${organizations.id} = ${organizationId}
      union
      select o.id from ${organizations} o join managed m on o.parent_id = m.id
    )
    select id from managed`);
  return rows.map((r) => r.id);
}

export async function accessFor(db: Db, principal: Principal): Promise<Access | null> {
  if (principal.root) return UNRESTRICTED;
  if (!principal.organizationId) return null;
  const organizationIds = await managedOrganizations(db, principal.organizationId);
  return organizationIds.length ? { organizationIds, tags: principal.tags } : null;
}

/**
 * Condition on `memberships` rows: the membership counts while active, and also while a
 * deactivation has suspended it (a deactivated customer stays listed by its organizations, as
 * DEACTIVATED). The columns are booleans, tested as such so that SQLite's 0/1 and PostgreSQL's
 * boolean both read right.
 */
export const membershipCounts = (): SQL => sql`(${memberships.active} or ${memberships.suspended})`;

/** What the visibility conditions depend on: part of the key of each statement built with them. */
export function accessKey(access: Access | undefined): string {
  return access ? JSON.stringify([access.organizationIds ?? null, access.tags]) : "*";
}

/** Condition on `customers` rows: visible to `access`; undefined when everything is. */
export function customerVisible(access: Access | undefined): SQL | undefined {
  if (!access) return undefined;
  const parts: SQL[] = [];
  if (access.organizationIds) {
    parts.push(
      sql`exists (select 1 from ${memberships} where ${memberships.customerId} = ${customers.id} and ${inArray(
        memberships.organizationId,
        [...access.organizationIds],
      )} and ${membershipCounts()})`,
    );
  }
  if (access.tags.length) parts.push(jsonArrayHasAny(customers.tags, [...access.tags]));
  return parts.length ? sql.join(parts, sql` and `) : undefined;
}

/** Whether an organization is visible to `access`. */
export function organizationVisible(access: Access | undefined, organizationId: string): boolean {
  return !access?.organizationIds || access.organizationIds.includes(organizationId);
}

/** Condition on `organizations` rows: visible to `access`. */
export function organizationsVisible(access: Access | undefined): SQL | undefined {
  return access?.organizationIds ? inArray(organizations.id, [...access.organizationIds]) : undefined;
}
