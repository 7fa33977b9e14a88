// Customer reads: the filtered, ordered, keyset-paginated list behind `customers`,
// `Organization.customers` and their totals.
import { and, asc, count, eq, getTableColumns, gte, inArray, isNull, lt, lte, ne, or, sql, type SQL } from "drizzle-orm";
import type { Access } from "../auth/principal";
import { accessKey, customerVisible, membershipCounts } from "../auth/tenancy";
import type { Db } from "../db/client";
import { containsLowered, containsText, jsonArrayHasAny, lowerText } from "../db/dialect";
import { executePrepared, preparedStatement, untilNextCommit } from "../db/query";
import { companies, customerAddresses, customers, memberships, type CustomerRow } from "../db/schema";
import type { ConnectionResult } from "../types/common.types";
import type { CustomerOrderField, CustomerStatus, CustomerType, OrderDirection, RiskLevel, VerificationStatus } from "../types/enums";
import { AppError } from "./errors";
import { keyset, pageRequest, toConnection, withoutPage, type CursorKey, type PageArgs } from "./pagination";

export interface CustomerFilterData {
  ids?: string[] | null;
  email?: string | null;
  name?: string | null;
  nickname?: string | null;
  types?: CustomerType[] | null;
  statuses?: CustomerStatus[] | null;
  tags?: string[] | null;
  countryCodes?: string[] | null;
  city?: string | null;
  managers?: string[] | null;
  riskLevels?: RiskLevel[] | null;
  verificationStatuses?: VerificationStatus[] | null;
  companyName?: string | null;
  organizationId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  updatedAfter?: Date | null;
  updatedBefore?: Date | null;
  includeArchived?: boolean | null;
}

export interface CustomerListArgs extends PageArgs {
  filter?: CustomerFilterData | null;
  orderBy?: { field: CustomerOrderField; direction: OrderDirection } | null;
  search?: string | null;
}

// Built when used: the tables and the SQL dialect are chosen when the database opens (src/db/bind.ts).
const SORT_KEYS: Record<CustomerOrderField, () => SQL> = {
  CREATED_AT: () => sql`${customers.createdAt}`,
  UPDATED_AT: () => sql`${customers.updatedAt}`,
  DISPLAY_NAME: () => lowerText(customers.displayName),
  EMAIL: () => sql`coalesce(${customers.email}, '')`,
};

const has = <T>(list: T[] | null | undefined): list is T[] => Array.isArray(list) && list.length > 0;

function filterConditions(filter: CustomerFilterData, search: string | null | undefined): SQL[] {
  const where: (SQL | undefined)[] = [isNull(customers.erasedAt)];
  if (has(filter.ids)) where.push(inArray(customers.id, filter.ids));
  if (filter.email) where.push(eq(customers.email, filter.email.trim().toLowerCase()));
  if (filter.name) where.push(containsText(customers.displayName, filter.name));
  if (filter.nickname) where.push(containsText(customers.nickname, filter.nickname));
  if (has(filter.types)) where.push(inArray(customers.type, filter.types));
  if (has(filter.statuses)) where.push(inArray(customers.status, filter.statuses));
  if (!filter.includeArchived && !filter.statuses?.includes("ARCHIVED")) where.push(ne(customers.status, "ARCHIVED"));
  if (has(filter.tags)) where.push(jsonArrayHasAny(customers.tags, filter.tags));
  if (has(filter.managers)) where.push(inArray(customers.manager, filter.managers));
  if (has(filter.riskLevels)) where.push(inArray(customers.riskLevel, filter.riskLevels));
  if (has(filter.verificationStatuses)) where.push(inArray(customers.verificationStatus, filter.verificationStatuses));
  if (has(filter.countryCodes)) {
    where.push(
      or(
        sql`exists (select 1 from ${customerAddresses} where ${customerAddresses.customerId} = ${customers.id} and ${inArray(customerAddresses.country, filter.countryCodes)})`,
        sql`exists (select 1 from ${companies} where ${companies.customerId} = ${customers.id} and ${inArray(companies.countryCode, filter.countryCodes)})`,
      ),
    );
  }
  if (filter.city) {
    where.push(
      sql`exists (select 1 from ${customerAddresses} where ${customerAddresses.customerId} = ${customers.id} and ${containsText(customerAddresses.city, filter.city)})`,
    );
  }
  if (filter.companyName) {
    where.push(
      sql`exists (select 1 from ${companies} where ${companies.customerId} = ${customers.id} and (${containsText(companies.legalName, filter.companyName)} or ${containsText(companies.shortName, filter.companyName)}))`,
    );
  }
  if (filter.organizationId) {
    where.push(
      sql`exists (select 1 from ${memberships} where ${memberships.customerId} = ${customers.id} and ${memberships.organizationId} = ${filter.organizationId} and ${membershipCounts()})`,
    );
  }
  if (filter.createdAfter) where.push(gte(customers.createdAt, filter.createdAfter.toISOString()));
  if (filter.createdBefore) where.push(lt(customers.createdAt, filter.createdBefore.toISOString()));
  if (filter.updatedAfter) where.push(gte(customers.updatedAt, filter.updatedAfter.toISOString()));
  if (filter.updatedBefore) where.push(lt(customers.updatedAt, filter.updatedBefore.toISOString()));
  const term = search?.trim();
  if (term) {
    const phoneDigits = term.replace(/[\s()+\-.]/g, "");
    where.push(
      /^\d{4,}$/.test(phoneDigits) && phoneDigits !== term
        ? or(containsLowered(customers.searchText, term), containsLowered(customers.searchText, phoneDigits))
        : containsLowered(customers.searchText, term),
    );
  }
  return where.filter((c): c is SQL => c !== undefined);
}

/** Longest text a filter or `search` may match against: longer is no name, and SQLite refuses LIKE patterns over 50,000 bytes. */
export const MAX_FILTER_TEXT = 200;

function assertTextLengths(args: CustomerListArgs): void {
  const texts: [string, string | null | undefined][] = [
    ["search", args.search],
    ["filter.email", args.filter?.email],
    ["filter.name", args.filter?.name],
    ["filter.nickname", args.filter?.nickname],
    ["filter.city", args.filter?.city],
    ["filter.companyName", args.filter?.companyName],
  ];
  for (const [argument, text] of texts) {
    if (text && text.length > MAX_FILTER_TEXT) {
      throw new AppError("BAD_USER_INPUT", `\`${argument}\` may be at most ${MAX_FILTER_TEXT} characters long.`, { argument, limit: MAX_FILTER_TEXT });
    }
  }
}

/** The arguments checked and the page requested; the conditions are built when called. */
function prepareList(args: CustomerListArgs, access: Access | undefined) {
  assertTextLengths(args);
  const field = args.orderBy?.field ?? "CREATED_AT";
  const descending = args.orderBy?.direction === "DESC";
  const request = pageRequest(args, `${field}:${descending ? "DESC" : "ASC"}`, 2);
  const conditions = () => {
    const where = filterConditions(args.filter ?? {}, args.search);
    const visible = customerVisible(access);
    if (visible) where.push(visible);
    return { conditions: where, sortKey: SORT_KEYS[field](), descending };
  };
  return { request, conditions };
}

/** A cursor's values as placeholders (`after0`, `after1`, …), so that one statement serves every cursor. */
function cursorPlaceholders(side: "after" | "before", key: CursorKey | null): CursorKey | null {
  return key && (key.map((_, i) => sql.placeholder(`${side}${i}`)) as unknown as CursorKey);
}

function cursorValues(side: "after" | "before", key: CursorKey | null): Record<string, unknown> {
  return Object.fromEntries((key ?? []).map((value, i) => [`${side}${i}`, value]));
}

export async function listCustomers(db: Db, args: CustomerListArgs, access?: Access): Promise<ConnectionResult<CustomerRow>> {
  const shape = withoutPage(args);
  const { request, conditions: built } = prepareList(args, access);
  // The statements' text depends on the filter, ordering and direction, not on the page: the
  // cursor and limit are placeholders, and each shape is built and prepared once.
  const key = `${accessKey(access)}|${JSON.stringify(shape)}`;
  const pageKey = `customers|${request.backward}|${request.after ? "a" : ""}${request.before ? "b" : ""}|${key}`;
  const pageQuery = preparedStatement(db, pageKey, () => {
    const { conditions, sortKey, descending } = built();
    const page = keyset({ ...request, after: cursorPlaceholders("after", request.after), before: cursorPlaceholders("before", request.before) }, [sortKey, sql`${customers.id}`], descending);
    return db
      .select({ customer: customers, sortKey: sql<string>`${sortKey}` })
      .from(customers)
      .where(and(...conditions, ...page.where))
      .orderBy(...page.orderBy)
      .limit(sql.placeholder("limit"));
  });
  const rows = await executePrepared<{ customer: CustomerRow; sortKey: string }>(pageQuery, {
    limit: request.limit + 1,
    ...cursorValues("after", request.after),
    ...cursorValues("before", request.before),
  });
  return toConnection(
    rows,
    request,
    (r) => [r.sortKey, r.customer.id],
    // Frontends ask for the total with every page; it is counted again only once something committed.
    () =>
      untilNextCommit(db, `customers.count|${key}`, async () => {
        const countQuery = preparedStatement(db, `customers.count|${key}`, () => db.select({ n: count() }).from(customers).where(and(...built().conditions)));
        const [{ n }] = await executePrepared<{ n: number }>(countQuery);
        return n;
      }),
    (r) => r.customer,
  );
}

/**
 * The same page for several organizations at once (`Organization.customers` in a list of
 * organizations): one statement for the pages, with a window function per organization, and one
 * for their totals.
 */
export async function listCustomersOfOrganizations(
  db: Db,
  organizationIds: string[],
  args: CustomerListArgs,
  access?: Access,
): Promise<Map<string, ConnectionResult<CustomerRow>>> {
  const { request, conditions: built } = prepareList(args, access);
  const { conditions, sortKey, descending } = built();
  const page = keyset(request, [sortKey, sql`${customers.id}`], descending);
  const onboardedHere = and(eq(memberships.customerId, customers.id), membershipCounts());
  const ranked = db
    .select({
      ...getTableColumns(customers),
      sortKey: sql<string>`${sortKey}`.as("sort_key"),
      organization: sql<string>`${memberships.organizationId}`.as("organization"),
      rank: sql<number>`row_number() over (partition by ${memberships.organizationId} order by ${sql.join(page.orderBy, sql`, `)})`.as("rank"),
    })
    .from(customers)
    .innerJoin(memberships, onboardedHere)
    .where(and(inArray(memberships.organizationId, organizationIds), ...conditions, ...page.where))
    .as("ranked");
  const rows = await db.select().from(ranked).where(lte(ranked.rank, request.limit + 1)).orderBy(asc(ranked.rank));

  let totals: Promise<Map<string, number>> | undefined;
  const totalsOnce = () =>
    (totals ??= (async () => {
      const counts = await db
        .select({ organization: memberships.organizationId, count: count() })
        .from(customers)
        .innerJoin(memberships, onboardedHere)
        .where(and(inArray(memberships.organizationId, organizationIds), ...conditions))
        .groupBy(memberships.organizationId);
      return new Map(counts.map((c) => [c.organization, c.count]));
    })());

  const result = new Map<string, ConnectionResult<CustomerRow>>();
  for (const organizationId of organizationIds) {
    const own = rows
      .filter((r) => r.organization === organizationId)
      .map(({ sortKey: key, organization, rank, ...customer }) => {
        void organization;
        void rank;
        return { key, customer: customer as CustomerRow };
      });
    const connection = toConnection(
      own,
      request,
      (r) => [r.key, r.customer.id],
      async () => (await totalsOnce()).get(organizationId) ?? 0,
      (r) => r.customer,
    );
    result.set(organizationId, connection);
  }
  return result;
}

/** The customer an organization knows by `reference`; with no organization, the oldest match. */
export async function findByExternalReference(
  db: Db,
  reference: string,
  organizationId: string | null,
  access?: Access,
): Promise<CustomerRow | null> {
  const [row] = await db
    .select()
    .from(customers)
    .where(
      and(
        eq(customers.externalReference, reference.trim()),
        organizationId ? eq(customers.organizationId, organizationId) : undefined,
        isNull(customers.erasedAt),
        customerVisible(access),
      ),
    )
    .orderBy(customers.id)
    .limit(1);
  return row ?? null;
}
