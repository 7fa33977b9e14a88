// One set of DataLoaders per request (and per subscription event): every relation of a list
// of rows is fetched with one statement, whatever the page size.
import DataLoader from "dataloader";
import { and, asc, eq, getTableColumns, inArray, isNull, lte, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Access } from "../auth/principal";
import { accessKey as accessKeyOf, customerVisible, organizationsVisible } from "../auth/tenancy";
import type { Db } from "../db/client";
import { inListParameter, listParameter } from "../db/dialect";
import { executePrepared, preparedStatement } from "../db/query";
import {
  companies,
  customerAddresses,
  customerEvents,
  customers,
  documents,
  memberships,
  notificationPreferences,
  organizations,
  personNames,
  persons,
  secretQuestions,
  telephoneNumbers,
  wallets,
  type CompanyRow,
  type CustomerAddressRow,
  type CustomerEventRow,
  type CustomerRow,
  type DocumentRow,
  type MembershipRow,
  type NotificationPreferenceRow,
  type OrganizationRow,
  type PersonNameRow,
  type PersonRow,
  type SecretQuestionRow,
  type TelephoneNumberRow,
  type WalletRow,
} from "../db/schema";
import type { ConnectionResult } from "../types/common.types";
import { keyset, pageRequest, toConnection, withoutPage, type CursorKey, type PageArgs } from "../services/pagination";
import { listCustomersOfOrganizations, type CustomerListArgs } from "../services/customer.query";

/** The person profile as the graph shows it; phones and questions come from their own loaders. */
export interface PersonView {
  customerId: string;
  firstName: PersonNameRow;
  middleName: PersonNameRow | null;
  lastName: PersonNameRow | null;
  fullName: string;
  gender: PersonRow["gender"];
  dateOfBirth: string | null;
  placeOfBirth: string | null;
  nationality: string | null;
  email: string | null;
  hasPassword: boolean;
  hasPinCode: boolean;
  twoFactor: { targetType: NonNullable<PersonRow["twoFactorType"]>; maskedTarget: string } | null;
}

/** A customer address shaped as the graph shows it. */
export function toCustomerAddress(row: CustomerAddressRow) {
  return {
    id: row.id,
    customerId: row.customerId,
    purpose: row.purpose,
    isPrimary: row.isPrimary,
    address: {
      country: row.country,
      area: row.area,
      zipCode: row.zipCode,
      city: row.city,
      street: row.street,
      streetNumber: row.streetNumber,
      building: row.building,
      apartment: row.apartment,
      entrance: row.entrance,
      floor: row.floor,
      doorNumber: row.doorNumber,
      geoPosition:
        row.latitude !== null && row.longitude !== null
          ? { latitude: row.latitude, longitude: row.longitude, altitude: row.altitude }
          : null,
      alternative:
        row.altWord1 && row.altWord2 && row.altWord3
          ? { word1: row.altWord1, word2: row.altWord2, word3: row.altWord3 }
          : null,
      relatedTo: row.relatedTo,
      additionalData: row.additionalData,
    },
  };
}
export type CustomerAddressView = ReturnType<typeof toCustomerAddress>;

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map<K, V>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((k) => map.get(k) ?? null);
}

function grouped<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const map = new Map<K, V[]>();
  for (const row of rows) {
    const list = map.get(keyOf(row));
    if (list) list.push(row);
    else map.set(keyOf(row), [row]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

/** The condition `column` is one of the batch's ids, with the ids as the placeholder `ids`. */
type InIds = (column: SQLiteColumn) => SQL;

/**
 * `column in (the ids)` with the whole list as one placeholder: the statement text is the same for
 * any number of ids, so that it is built and prepared once (see `run`).
 */
const inIdList: InIds = (column) => inListParameter(column, "ids");
/** `column = the id`: a batch of one (a single customer's page) is an index lookup, without a list to unpack. */
const isTheId: InIds = (column) => sql`${column} = ${sql.placeholder("ids")}`;

/**
 * Runs the shape `key` (see preparedStatement) with these ids; `build` makes its statement with
 * the condition it is given, one prepared for batches of one id and one for longer lists.
 */
function run<T>(db: Db, key: string, build: (inIds: InIds) => { prepare(): unknown }, ids: readonly string[]): T[] | Promise<T[]> {
  if (ids.length === 1) return executePrepared<T>(preparedStatement(db, `${key}|1`, () => build(isTheId)), { ids: ids[0] });
  return executePrepared<T>(preparedStatement(db, key, () => build(inIdList)), { ids: listParameter(ids) });
}

interface ChildPageKey<A> {
  parentId: string;
  args: A;
}

/**
 * Runs `load` once per group of keys that share arguments (as `group` names them), with all the
 * group's parents at once. A group that fails (a bad cursor, say) fails its own keys only.
 */
async function perArgumentGroup<A, R>(
  keys: readonly ChildPageKey<A>[],
  group: (args: A) => unknown,
  load: (parentIds: string[], args: A) => Promise<Map<string, R>>,
): Promise<(R | Error)[]> {
  const groupOf = keys.map((k) => JSON.stringify(group(k.args)));
  const groups = new Map<string, { args: A; parentIds: Set<string> }>();
  keys.forEach((k, i) => {
    const members = groups.get(groupOf[i]);
    if (members) members.parentIds.add(k.parentId);
    else groups.set(groupOf[i], { args: k.args, parentIds: new Set([k.parentId]) });
  });
  const results = new Map<string, Map<string, R> | Error>();
  for (const [g, { args, parentIds }] of groups) {
    try {
      results.set(g, await load([...parentIds], args));
    } catch (error) {
      results.set(g, error instanceof Error ? error : new Error(String(error)));
    }
  }
  return keys.map((k, i) => {
    const loaded = results.get(groupOf[i])!;
    return loaded instanceof Error ? loaded : loaded.get(k.parentId)!;
  });
}

const properties = new WeakMap<SQLiteColumn, string>();

/** The property under which drizzle gives `column` in rows of `table` (found once per column). */
function propertyOf(table: SQLiteTable, column: SQLiteColumn): string {
  let property = properties.get(column);
  if (property === undefined) {
    property = Object.entries(getTableColumns(table)).find(([, c]) => c.name === column.name)![0];
    properties.set(column, property);
  }
  return property;
}

const pageKey = <A>(k: ChildPageKey<A>) => JSON.stringify([k.parentId, k.args]);

/**
 * Loaders for a per-parent connection (a customer's documents or events): all parents that
 * ask with the same arguments are paged in one statement with a window function.
 */
function childConnection<Row extends Record<string, unknown>, A extends PageArgs>(db: Db, accessKey: string, spec: {
  name: string;
  ordering: string;
  table: SQLiteTable;
  parent: SQLiteColumn;
  key: SQLiteColumn;
  keyOf: (row: Row) => CursorKey;
  filter: (args: A) => SQL[];
}) {
  const parentProperty = propertyOf(spec.table, spec.parent);

  // The totals depend on the filter arguments only, not on the page.
  const count = new DataLoader<ChildPageKey<A>, number, string>(
    (keys) =>
      perArgumentGroup(keys, withoutPage, async (parentIds, args) => {
        const rows = await run<{ parentId: string; count: number }>(
          db,
          `${spec.name}.count|${accessKey}|${JSON.stringify(withoutPage(args))}`,
          (inIds) =>
            db
              .select({ parentId: sql<string>`${spec.parent}`, count: sql<number>`count(*)`.mapWith(Number) })
              .from(spec.table)
              .where(and(inIds(spec.parent), ...spec.filter(args)))
              .groupBy(spec.parent),
          parentIds,
        );
        const counts = new Map(rows.map((r) => [r.parentId, r.count]));
        return new Map(parentIds.map((id) => [id, counts.get(id) ?? 0]));
      }),
    { cacheKeyFn: (k) => JSON.stringify([k.parentId, withoutPage(k.args)]) },
  );

  return new DataLoader<ChildPageKey<A>, ConnectionResult<Row>, string>(
    (keys) =>
      perArgumentGroup(keys, (args) => args, async (parentIds, args) => {
        const request = pageRequest(args, spec.ordering, 1);
        // Without a cursor the window holds all of a parent's rows: the same statement counts them,
        // and the count loader is given the totals instead of running its own statement.
        const counted = !request.after && !request.before;
        const rows = await run<Row & { rn: number; total?: number }>(
          db,
          `${spec.name}|${accessKey}|${JSON.stringify(args)}`,
          (inIds) => {
            const window = keyset(request, [sql`${spec.key}`], false);
            const ranked = db
              .select({
                ...getTableColumns(spec.table),
                rn: sql<number>`row_number() over (partition by ${spec.parent} order by ${sql.join(window.orderBy, sql`, `)})`.as("rn"),
                ...(counted ? { total: sql<number>`count(*) over (partition by ${spec.parent})`.as("total") } : {}),
              })
              .from(spec.table)
              .where(and(inIds(spec.parent), ...spec.filter(args), ...window.where))
              .as("ranked");
            return db.select().from(ranked).where(lte(ranked.rn, request.limit + 1)).orderBy(asc(ranked.rn));
          },
          parentIds,
        );
        const byParent = grouped(parentIds, rows, (r) => r[parentProperty] as string);
        return new Map(
          parentIds.map((parentId, i) => {
            if (counted) count.prime({ parentId, args }, Number(byParent[i][0]?.total ?? 0));
            const list = byParent[i].map(({ rn, total, ...row }) => {
              void rn;
              void total;
              return row as unknown as Row;
            });
            return [parentId, toConnection(list, request, spec.keyOf, () => count.load({ parentId, args }))];
          }),
        );
      }),
    { cacheKeyFn: pageKey },
  );
}

export interface DocumentPageArgs extends PageArgs {
  status?: DocumentRow["status"] | null;
}
export interface EventPageArgs extends PageArgs {
  types?: string[] | null;
}

export function createLoaders(db: Db, access?: Access) {
  const visible = customerVisible(access);
  const accessKey = accessKeyOf(access);
  // Rows that belong to a customer (addresses, documents, events) are visible with their customer.
  const ofVisibleCustomer = (column: SQLiteColumn) =>
    visible ? inArray(column, db.select({ id: customers.id }).from(customers).where(visible)) : undefined;

  const organizationLoader = new DataLoader<string, OrganizationRow | null>(async (ids) =>
    byKey(
      ids,
      await run<OrganizationRow>(db, `organization|${accessKey}`, (inIds) => db.select().from(organizations).where(and(inIds(organizations.id), organizationsVisible(access))), ids),
      (r) => r.id,
    ),
  );

  return {
    customer: new DataLoader<string, CustomerRow | null>(async (ids) =>
      byKey(
        ids,
        await run<CustomerRow>(db, `customer|${accessKey}`, (inIds) => db.select().from(customers).where(and(inIds(customers.id), isNull(customers.erasedAt), visible)), ids),
        (r) => r.id,
      ),
    ),

    organization: organizationLoader,

    // A profile without a first name is no profile: persons come with their names in one statement.
    person: new DataLoader<string, PersonView | null>(async (ids) => {
      const rows = await run<{ person: PersonRow; name: PersonNameRow }>(
        db,
        "person",
        (inIds) =>
          db
            .select({ person: persons, name: personNames })
            .from(persons)
            .innerJoin(personNames, eq(personNames.customerId, persons.customerId))
            .where(inIds(persons.customerId)),
        ids,
      );
      const profiles = byKey(ids, rows, (r) => r.person.customerId);
      const names = grouped(ids, rows, (r) => r.person.customerId);
      return profiles.map((row, i) => {
        if (!row) return null;
        const p = row.person;
        const parts = names[i].map((r) => r.name);
        const part = (name: PersonNameRow["part"]) => parts.find((n) => n.part === name) ?? null;
        const firstName = part("FIRST");
        if (!firstName) return null;
        return {
          customerId: p.customerId,
          firstName,
          middleName: part("MIDDLE"),
          lastName: part("LAST"),
          fullName: p.fullName,
          gender: p.gender,
          dateOfBirth: p.dateOfBirth,
          placeOfBirth: p.placeOfBirth,
          nationality: p.nationality,
          email: p.email,
          hasPassword: p.passwordHash !== null,
          hasPinCode: p.pinCodeHash !== null,
          twoFactor:
            p.twoFactorType && p.twoFactorMasked ? { targetType: p.twoFactorType, maskedTarget: p.twoFactorMasked } : null,
        };
      });
    }),

    telephoneNumbers: new DataLoader<string, TelephoneNumberRow[]>(async (ids) =>
      grouped(
        ids,
        await run<TelephoneNumberRow>(
          db,
          "telephoneNumbers",
          (inIds) => db.select().from(telephoneNumbers).where(inIds(telephoneNumbers.customerId)).orderBy(asc(telephoneNumbers.position)),
          ids,
        ),
        (r) => r.customerId,
      ),
    ),

    secretQuestions: new DataLoader<string, Pick<SecretQuestionRow, "customerId" | "question">[]>(async (ids) =>
      grouped(
        ids,
        await run<Pick<SecretQuestionRow, "customerId" | "question">>(
          db,
          "secretQuestions",
          (inIds) =>
            db
              .select({ customerId: secretQuestions.customerId, question: secretQuestions.question })
              .from(secretQuestions)
              .where(inIds(secretQuestions.customerId))
              .orderBy(asc(secretQuestions.position)),
          ids,
        ),
        (r) => r.customerId,
      ),
    ),

    company: new DataLoader<string, CompanyRow | null>(async (ids) =>
      byKey(ids, await run<CompanyRow>(db, "company", (inIds) => db.select().from(companies).where(inIds(companies.customerId)), ids), (r) => r.customerId),
    ),

    addresses: new DataLoader<string, CustomerAddressView[]>(async (ids) =>
      grouped(
        ids,
        (await run<CustomerAddressRow>(
          db,
          "addresses",
          (inIds) => db.select().from(customerAddresses).where(inIds(customerAddresses.customerId)).orderBy(asc(customerAddresses.id)),
          ids,
        )).map(toCustomerAddress),
        (r) => r.customerId,
      ),
    ),

    address: new DataLoader<string, CustomerAddressView | null>(async (ids) =>
      byKey(
        ids,
        (await run<CustomerAddressRow>(
          db,
          `address|${accessKey}`,
          (inIds) => db.select().from(customerAddresses).where(and(inIds(customerAddresses.id), ofVisibleCustomer(customerAddresses.customerId))),
          ids,
        )).map(toCustomerAddress),
        (r) => r.id,
      ),
    ),

    document: new DataLoader<string, DocumentRow | null>(async (ids) =>
      byKey(
        ids,
        await run<DocumentRow>(db, `document|${accessKey}`, (inIds) => db.select().from(documents).where(and(inIds(documents.id), ofVisibleCustomer(documents.customerId))), ids),
        (r) => r.id,
      ),
    ),

    event: new DataLoader<string, CustomerEventRow | null>(async (ids) =>
      byKey(
        ids,
        await run<CustomerEventRow>(
          db,
          `event|${accessKey}`,
          (inIds) => db.select().from(customerEvents).where(and(inIds(customerEvents.id), ofVisibleCustomer(customerEvents.customerId))),
          ids,
        ),
        (r) => r.id,
      ),
    ),

    notificationPreferences: new DataLoader<string, NotificationPreferenceRow[]>(async (ids) =>
      grouped(
        ids,
        await run<NotificationPreferenceRow>(
          db,
          "notificationPreferences",
          (inIds) =>
            db
              .select()
              .from(notificationPreferences)
              .where(inIds(notificationPreferences.customerId))
              .orderBy(asc(notificationPreferences.notificationType), asc(notificationPreferences.channel)),
          ids,
        ),
        (r) => r.customerId,
      ),
    ),

    // Each membership comes with its organization, which the organization loader is given: the
    // organizations a caller may see are those of the memberships it may see.
    memberships: new DataLoader<string, MembershipRow[]>(async (ids) => {
      const rows = await run<{ membership: MembershipRow; organization: OrganizationRow }>(
        db,
        `memberships|${accessKey}`,
        (inIds) =>
          db
            .select({ membership: memberships, organization: organizations })
            .from(memberships)
            .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
            // Memberships in organizations the caller cannot see are another tenant's business.
            .where(and(inIds(memberships.customerId), organizationsVisible(access)))
            .orderBy(asc(memberships.onboardedAt)),
        ids,
      );
      for (const { organization } of rows) organizationLoader.prime(organization.id, organization);
      return grouped(
        ids,
        rows.map((r) => r.membership),
        (r) => r.customerId,
      );
    }),

    wallets: new DataLoader<string, WalletRow[]>(async (ids) =>
      grouped(ids, await run<WalletRow>(db, "wallets", (inIds) => db.select().from(wallets).where(inIds(wallets.customerId)), ids), (r) => r.customerId),
    ),

    organizationCustomers: new DataLoader<ChildPageKey<CustomerListArgs>, ConnectionResult<CustomerRow>, string>(
      (keys) => perArgumentGroup(keys, (args) => args, (organizationIds, args) => listCustomersOfOrganizations(db, organizationIds, args, access)),
      { cacheKeyFn: pageKey },
    ),

    documents: childConnection<DocumentRow, DocumentPageArgs>(db, accessKey, {
      name: "documents",
      ordering: "id",
      table: documents,
      parent: documents.customerId,
      key: documents.id,
      keyOf: (row) => [row.id],
      filter: (args) => (args.status ? [sql`${documents.status} = ${args.status}`] : []),
    }),

    events: childConnection<CustomerEventRow, EventPageArgs>(db, accessKey, {
      name: "events",
      ordering: "seq",
      table: customerEvents,
      parent: customerEvents.customerId,
      key: customerEvents.seq,
      keyOf: (row) => [row.seq],
      filter: (args) => (args.types?.length ? [inArray(customerEvents.type, args.types)] : []),
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
