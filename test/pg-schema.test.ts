// The PostgreSQL schema (src/db/schema.pg.ts) is a twin of the SQLite one: the same tables,
// property names, SQL names, constraints and indexes (checked by the compiler and below), and a row
// written to both reads back as the same JS value. The round trip needs PostgreSQL: it runs when
// TEST_POSTGRES_URL is set (.ci/run sets it), in a fresh database dropped afterwards.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { asc, getTableColumns, is, type Column, type Table } from "drizzle-orm";
import { getTableConfig as getSqliteConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { getTableConfig as getPgConfig, PgTable } from "drizzle-orm/pg-core";
import { Client } from "pg";
import * as sqliteSchema from "../src/db/schema";
import * as pgSchema from "../src/db/schema.pg";
import { openDatabase, type Database } from "../src/db/client";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migratePostgres, openPostgres, PG_MIGRATIONS, type Postgres } from "../src/db/pg";

// ---- At compile time: the same table exports with the same row types, selected and inserted. ----

type TablesOf<M, T> = { [K in keyof M as M[K] extends T ? K : never]: M[K] };
type SqliteTables = TablesOf<typeof sqliteSchema, SQLiteTable>;
type PgTables = TablesOf<typeof pgSchema, PgTable>;
type TableName = keyof SqliteTables & keyof PgTables;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The tables whose select or insert row type differs between the dialects (never when none). */
type Mismatched = {
  [K in TableName]: Equal<SqliteTables[K]["$inferSelect"], PgTables[K]["$inferSelect"]> extends true
    ? Equal<SqliteTables[K]["$inferInsert"], PgTables[K]["$inferInsert"]> extends true
      ? never
      : K
    : K;
}[TableName];

// A compile error here names what differs.
const sameTables: Equal<keyof SqliteTables, keyof PgTables> = true;
const sameRows: [Mismatched] extends [never] ? true : Mismatched = true;

// ---- At run time: SQL names, constraints and indexes, which the types do not carry. ----

const sqliteTables = Object.fromEntries(
  Object.entries(sqliteSchema as Record<string, unknown>).filter((e): e is [string, SQLiteTable] => is(e[1], SQLiteTable)),
) as unknown as SqliteTables;
const pgTables = Object.fromEntries(
  Object.entries(pgSchema as Record<string, unknown>).filter((e): e is [string, PgTable] => is(e[1], PgTable)),
) as unknown as PgTables;
const tableNames = Object.keys(sqliteTables).sort() as TableName[];

const names = (columns: readonly { name: string }[]) => columns.map((c) => c.name);

/** What both dialects must agree on, in dialect-free terms. */
function describeTable(config: ReturnType<typeof getSqliteConfig> | ReturnType<typeof getPgConfig>) {
  return {
    name: config.name,
    columns: Object.fromEntries(
      config.columns.map((c) => [
        c.name,
        {
          notNull: c.notNull,
          primary: c.primary,
          // An identity (PostgreSQL) and AUTOINCREMENT (SQLite) both fill the column in.
          filled: c.hasDefault || c.generatedIdentity !== undefined || ("autoIncrement" in c && c.autoIncrement === true),
          enumValues: c.enumValues,
        },
      ]),
    ),
    primaryKeys: config.primaryKeys.map((pk) => names(pk.columns)),
    indexes: config.indexes
      .map((i) => ({ name: i.config.name, unique: i.config.unique, columns: names(i.config.columns as { name: string }[]) }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return { columns: names(ref.columns), table: getSqliteOrPgName(ref.foreignTable), to: names(ref.foreignColumns), onDelete: fk.onDelete ?? "no action" };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

function getSqliteOrPgName(table: Table): string {
  return is(table, PgTable) ? getPgConfig(table).name : getSqliteConfig(table as SQLiteTable).name;
}

describe("the PostgreSQL schema mirrors the SQLite one", () => {
  test("compile-time checks are in force", () => {
    assert.equal(sameTables && sameRows, true);
  });

  test("the same tables are exported", () => {
    assert.deepEqual(Object.keys(pgTables).sort(), tableNames);
    assert.ok(tableNames.length >= 20, `only ${tableNames.length} tables found`);
  });

  for (const name of tableNames) {
    test(`${name}: property and SQL names, constraints and indexes`, () => {
      const sqliteColumns = getTableColumns(sqliteTables[name]);
      const pgColumns = getTableColumns(pgTables[name]);
      assert.deepEqual(
        Object.entries(pgColumns).map(([key, c]) => [key, c.name]),
        Object.entries(sqliteColumns).map(([key, c]) => [key, c.name]),
      );
      assert.deepEqual(describeTable(getPgConfig(pgTables[name])), describeTable(getSqliteConfig(sqliteTables[name])));
    });
  }
});

// ---- Against PostgreSQL: one row of every table reads back as on SQLite. ----

type Rows = { [K in TableName]: SqliteTables[K]["$inferInsert"][] };

const NOW = "2030-01-02T03:04:05.678Z";
const LATER = "2030-02-03T04:05:06.789Z";
const ORG = "org_01J0000000000000000000000A";
const CHILD = "org_01J0000000000000000000000B";
const CUSTOMER = "cus_01J0000000000000000000000A";
const COMPANY = "cus_01J0000000000000000000000B";
const ENDPOINT = "whe_01J0000000000000000000000A";
const NAMED: sqliteSchema.NamedValueRow[] = [
  { name: "score", type: "NUMBER", value: "0.5" },
  { name: "note", type: "STRING", value: "Zoë \"quoted\" \\ ünïcode 🚀" },
];

/** Every table, parents first, with rows that fill every column (and some that leave them null). */
const ROWS: Rows = {
  organizations: [
    { id: ORG, name: "Root", createdAt: NOW, updatedAt: NOW },
    {
      id: CHILD,
      name: "Zweig GmbH",
      legalName: "Zweig Größe GmbH",
      countryCode: "DE",
      dataCenter: "eu-1",
      parentId: ORG,
      registrationPolicy: { requiredFields: ["email", "phone"] },
      createdAt: NOW,
      updatedAt: LATER,
    },
  ],
  customers: [
    {
      id: CUSTOMER,
      organizationId: ORG,
      type: "PERSON",
      status: "ACTIVE",
      displayName: "Ada Lovelace",
      nickname: "ada",
      email: "ada@example.com",
      phone: "+442071838750",
      categorization: "VIP",
      tags: ["gold", "ünï"],
      externalReference: "ext-1",
      riskLevel: "LOW",
      manager: "bob",
      searchText: "ada lovelace ada@example.com",
      verificationStatus: "VERIFIED",
      verificationLevel: 2,
      verificationUrl: "https://kyc.example.com/s/1",
      verificationUpdatedAt: NOW,
      version: 3,
      createdAt: NOW,
      createdBy: "admin",
      createdVia: "API",
      updatedAt: LATER,
      updatedBy: "admin",
      updatedVia: "CLI",
      archivedAt: LATER,
      archivedBy: "admin",
      archivedVia: "API",
      deactivatedAt: NOW,
      deactivationReason: "asked",
      statusBeforeDeactivation: "ACTIVE",
      statusBeforeArchive: "DEACTIVATED",
      registrationAccount: "ada",
      dataCenter: "eu-1",
      erasedAt: LATER,
    },
    {
      id: COMPANY,
      organizationId: CHILD,
      type: "ORGANIZATION",
      status: "NEW",
      displayName: "Analytical Engines Ltd",
      tags: [],
      searchText: "analytical engines ltd",
      verificationStatus: "UNVERIFIED",
      verificationLevel: 0,
      version: 1,
      createdAt: NOW,
      createdBy: "admin",
      createdVia: "API",
      updatedAt: NOW,
      updatedBy: "admin",
      updatedVia: "API",
    },
  ],
  persons: [
    {
      customerId: CUSTOMER,
      fullName: "Augusta Ada King",
      gender: "FEMALE",
      dateOfBirth: "1815-12-10",
      placeOfBirth: "London",
      nationality: "GB",
      email: "ada@example.com",
      passwordHash: "scrypt$a$b",
      pinCodeHash: "scrypt$c$d",
      twoFactorType: "TOTP",
      twoFactorTarget: "otpauth://totp/x",
      twoFactorMasked: "••••",
    },
  ],
  personNames: [
    { customerId: CUSTOMER, part: "FIRST", name: "Ada", order: 1, abbreviation: "A", language: "en", native: "Ада", prefix: "Lady", suffix: "II" },
    { customerId: CUSTOMER, part: "LAST", name: "Lovelace" },
  ],
  telephoneNumbers: [
    { customerId: CUSTOMER, position: 0, phoneType: "MOBILE", number: "+442071838750", country: "GB", operator: "BT", encoding: "E164", purpose: "HOME" },
  ],
  secretQuestions: [{ customerId: CUSTOMER, position: 0, question: "First engine?", answerHash: "scrypt$e$f" }],
  companies: [{ customerId: COMPANY, legalName: "Analytical Engines Ltd", shortName: "AE", registrationNumber: "123", countryCode: "GB" }],
  customerAddresses: [
    {
      id: "adr_1",
      customerId: CUSTOMER,
      purpose: "HOME",
      isPrimary: true,
      country: "GB",
      area: "Greater London",
      zipCode: "W1",
      city: "London",
      street: "St James's Square",
      streetNumber: ["12", "12a"],
      building: "B",
      apartment: "3",
      entrance: "E",
      floor: "2",
      doorNumber: "7",
      latitude: 51.50740239857,
      longitude: -0.13453102938471,
      altitude: 35.25,
      altWord1: "a",
      altWord2: "b",
      altWord3: "c",
      relatedTo: [{ relationType: "BILLING", address: "adr_2" }],
      additionalData: NAMED,
      createdAt: NOW,
      updatedAt: LATER,
    },
    { id: "adr_2", customerId: CUSTOMER, purpose: "WORK", isPrimary: false, country: "FR", streetNumber: [], relatedTo: [], additionalData: [], createdAt: NOW, updatedAt: NOW },
  ],
  documents: [
    {
      id: "doc_1",
      customerId: CUSTOMER,
      purpose: "KYC",
      documentType: "PASSPORT",
      name: "passport.pdf",
      location: "s3://bucket/passport.pdf",
      status: "VERIFIED",
      verificationResponse: "{\"ok\":true}",
      metadata: NAMED,
      expiresAt: LATER,
      createdAt: NOW,
      reviewedAt: LATER,
    },
  ],
  notificationPreferences: [
    { customerId: CUSTOMER, notificationType: "MARKETING", channel: "EMAIL", isEnabled: false, updatedAt: NOW },
    { customerId: CUSTOMER, notificationType: "SECURITY", channel: "SMS", isEnabled: true, updatedAt: NOW },
  ],
  memberships: [
    { customerId: CUSTOMER, organizationId: ORG, managementMode: true, tags: ["a"], onboardedAt: NOW, active: true },
    { customerId: CUSTOMER, organizationId: CHILD, managementMode: false, tags: [], onboardedAt: NOW, active: false, suspended: true },
  ],
  wallets: [{ customerId: CUSTOMER, address: "0xAbC0000000000000000000000000000000000001", chain: "ethereum", verifiedAt: NOW, active: true }],
  verificationSessions: [
    { id: "vs_1", customerId: CUSTOMER, provider: "sumsub", tokenHash: "h1", url: "https://kyc.example.com/s/1", status: "OPEN", createdAt: NOW, expiresAt: LATER },
  ],
  walletChallenges: [
    { id: "wc_1", customerId: CUSTOMER, address: "0xabc", chain: "ethereum", message: "Sign:\nnonce 1", status: "USED", createdAt: NOW, expiresAt: LATER, usedAt: LATER },
  ],
  twoFactorChallenges: [{ id: "tf_1", customerId: CUSTOMER, codeHash: "h", status: "LOCKED", attemptsLeft: 0, createdAt: NOW, expiresAt: LATER }],
  apiKeys: [
    {
      id: "key_1",
      organizationId: ORG,
      name: "CI",
      prefix: "ck_abcd",
      secretHash: "sha256",
      scopes: ["customers:read", "customers:write"],
      tags: ["gold"],
      createdAt: NOW,
      expiresAt: LATER,
      revokedAt: LATER,
      lastUsedAt: NOW,
    },
  ],
  idempotencyRecords: [
    { key: "k1", requestHash: "rh", status: "DONE", response: "{\"data\":{\"b\":1,\"a\":2}}", httpStatus: 200, createdAt: NOW, expiresAt: LATER },
  ],
  webhookEndpoints: [
    { id: ENDPOINT, organizationId: ORG, url: "https://hooks.example.com/x", eventTypes: ["customer.created"], enabled: true, secret: "whsec_c2VjcmV0", createdAt: NOW, updatedAt: NOW },
  ],
  webhookDeliveries: [
    {
      id: "whd_1",
      endpointId: ENDPOINT,
      eventId: "evt_1",
      status: "FAILED",
      attempt: 5,
      statusCode: 503,
      lastError: "Service Unavailable",
      nextAttemptAt: LATER,
      leaseOwner: "worker-1",
      leaseUntil: LATER,
      createdAt: NOW,
      deliveredAt: LATER,
    },
    { id: "whd_2", endpointId: ENDPOINT, eventId: "evt_2", status: "PENDING", createdAt: NOW },
  ],
  eventCursors: [{ name: "webhooks", seq: 2 ** 40 }],
  leases: [{ name: "expiry-sweep", owner: "worker-1", until: LATER }],
  // No seq: both databases number them 1, 2.
  customerEvents: [
    { id: "evt_1", type: "CUSTOMER_CREATED", customerId: CUSTOMER, organizationId: ORG, changedFields: [], actor: "admin", via: "API", occurredAt: NOW },
    { id: "evt_2", type: "CUSTOMER_UPDATED", customerId: CUSTOMER, organizationId: ORG, changedFields: ["email", "tags"], actor: "admin", via: "CLI", occurredAt: LATER },
  ],
};

/** Parents before children, as the foreign keys need. */
const INSERT_ORDER: TableName[] = ["organizations", "customers", "webhookEndpoints"];
const insertOrder = [...INSERT_ORDER, ...tableNames.filter((n) => !INSERT_ORDER.includes(n))];

/** The primary key's columns, to read rows in one order on both databases. */
function keyColumns(table: SQLiteTable | PgTable): Column[] {
  const config = is(table, PgTable) ? getPgConfig(table) : getSqliteConfig(table);
  return config.primaryKeys[0]?.columns ?? config.columns.filter((c) => c.primary);
}

/** postgres://… with another database name. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const POSTGRES_URL = process.env.TEST_POSTGRES_URL;

describe("rows read back from PostgreSQL as from SQLite", { skip: POSTGRES_URL ? false : "TEST_POSTGRES_URL is not set" }, () => {
  // The generated SQL names the public schema (drizzle-kit writes "public"."table" in foreign
  // keys), so a run gets its own database rather than its own schema.
  const database = `customer_graph_test_${randomBytes(6).toString("hex")}`;
  let admin: Client;
  let pg: Postgres;
  let sqlite: Database;

  before(async () => {
    admin = new Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database "${database}"`);
    pg = openPostgres(withDatabase(POSTGRES_URL!, database));
    sqlite = await openDatabase(":memory:");
  });

  after(async () => {
    await sqlite?.close();
    await pg?.pool.end();
    await admin?.query(`drop database if exists "${database}" with (force)`);
    await admin?.end();
  });

  test("migrations apply once, also when two instances start together", async () => {
    const other = openPostgres(withDatabase(POSTGRES_URL!, database));
    try {
      await Promise.all([migratePostgres(pg), migratePostgres(other)]);
    } finally {
      await other.pool.end();
    }
    await migratePostgres(pg);
    const applied = await pg.pool.query("select count(*)::int as n from drizzle.__drizzle_migrations");
    assert.equal(applied.rows[0].n, readMigrationFiles({ migrationsFolder: PG_MIGRATIONS }).length);
    assert.ok(applied.rows[0].n >= 2, "drizzle/pg holds its migrations");
  });

  test("every table: the same row, the same JS values", async () => {
    for (const name of insertOrder) {
      const rows = ROWS[name] as Record<string, unknown>[];
      const sqliteTable: SQLiteTable = sqliteTables[name];
      const pgTable: PgTable = pgTables[name];
      await sqlite.transaction(async (tx) => {
        await tx.insert(sqliteTable).values(rows);
      });
      await pg.db.insert(pgTable).values(rows);
    }
    for (const name of tableNames) {
      const sqliteTable: SQLiteTable = sqliteTables[name];
      const pgTable: PgTable = pgTables[name];
      const fromSqlite = await sqlite.read.select().from(sqliteTable).orderBy(...keyColumns(sqliteTable).map((c) => asc(c)));
      const fromPg = await pg.db.select().from(pgTable).orderBy(...keyColumns(pgTable).map((c) => asc(c)));
      assert.equal(fromSqlite.length, ROWS[name].length, name);
      assert.deepStrictEqual(fromPg, fromSqlite, name);
    }
  });

  test("the event log numbers events from 1 as SQLite does", async () => {
    const seqs = await pg.db.select({ seq: pgSchema.customerEvents.seq }).from(pgSchema.customerEvents).orderBy(asc(pgSchema.customerEvents.seq));
    assert.deepStrictEqual(seqs, [{ seq: 1 }, { seq: 2 }]);
  });
});
