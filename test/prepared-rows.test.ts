// executePrepared maps SQLite rows itself (src/db/query.ts); it must give exactly what drizzle's
// own mapping gives, for plain tables, JSON, boolean and real columns, joins and SQL expressions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { asc, count, eq, sql } from "drizzle-orm";
import { executePrepared } from "../src/db/query";
import { customerAddresses, customers, memberships, organizations, personNames, persons } from "../src/db/schema";
import type { Actor } from "../src/services/actor";
import { startTestServer, type TestServer } from "./helpers";

let server: TestServer;

before(async () => {
  server = await startTestServer();
  const actor: Actor = { name: "test", via: "SYSTEM", organizationId: null };
  const org = await server.app.services.organizations.create(actor, { name: "Prepared Rows Org" });
  for (let i = 0; i < 3; i++) {
    await server.app.services.customers.create(actor, {
      type: "PERSON",
      organizationId: org.id,
      email: `rows${i}@example.com`,
      tags: i === 0 ? [] : ["vip", `t${i}`],
      person: { firstName: { name: `Zoë${i}` }, lastName: { name: "Ärger", native: "Ärger" }, dateOfBirth: "1990-02-28" },
      addresses: [
        { purpose: "home", address: { country: "DE", city: "Köln", geoPosition: { latitude: 50.9375, longitude: 6.9603 } } },
        { purpose: "work", address: { country: "GB", streetNumber: ["221B"] } },
      ],
    });
  }
});

after(() => server.close());

/** drizzle's rows (awaiting the query runs drizzle's own mapping) and executePrepared's, equal. */
async function same(query: PromiseLike<unknown[]> & { prepare(): unknown }): Promise<unknown[]> {
  const expected = await query;
  const actual = await executePrepared(query.prepare() as Parameters<typeof executePrepared>[0]);
  assert.deepEqual(actual, expected);
  assert.ok(expected.length > 0, "the query found rows to compare");
  return actual;
}

test("whole rows of a table: text, JSON, integer, boolean, real and null columns", async () => {
  const db = server.app.db.read;
  const rows = (await same(db.select().from(customers).orderBy(asc(customers.id)))) as (typeof customers.$inferSelect)[];
  assert.ok(rows.some((r) => Array.isArray(r.tags) && r.tags.includes("vip")), "JSON decoded");
  const addresses = (await same(db.select().from(customerAddresses).orderBy(asc(customerAddresses.id)))) as (typeof customerAddresses.$inferSelect)[];
  assert.ok(addresses.some((a) => a.isPrimary === true) && addresses.some((a) => a.latitude === 50.9375));
  await same(db.select().from(persons));
  await same(db.select().from(personNames).where(eq(personNames.part, "LAST")));
});

test("nested selections, inner joins and SQL expressions", async () => {
  const db = server.app.db.read;
  const joined = (await same(
    db
      .select({ membership: memberships, organization: organizations })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
      .orderBy(asc(memberships.customerId)),
  )) as { membership: { organizationId: string }; organization: { id: string } }[];
  assert.ok(joined.every((r) => r.membership.organizationId === r.organization.id));
  await same(db.select({ customer: customers, key: sql<string>`lower(${customers.displayName})` }).from(customers).orderBy(asc(customers.id)));
  await same(db.select({ type: customers.type, n: count() }).from(customers).groupBy(customers.type));
  await same(db.select({ id: customers.id, n: sql<number>`length(${customers.id})`.mapWith(Number).as("n") }).from(customers));
});

test("a left join whose other side is missing gives null, as drizzle does", async () => {
  const db = server.app.db.read;
  const rows = (await same(
    db
      .select({ customer: { id: customers.id }, address: customerAddresses })
      .from(customers)
      .leftJoin(customerAddresses, sql`${customerAddresses.customerId} = ${customers.id} and ${customerAddresses.purpose} = 'none'`)
      .orderBy(asc(customers.id)),
  )) as { address: unknown }[];
  assert.ok(rows.every((r) => r.address === null));
});
