// The CLI as an operator runs it: a child process on a database (a SQLite file, or with
// TEST_DIALECT=postgres a PostgreSQL database), its stdout, stderr and exit code. Organizations, seeding, export (JSON lines and CSV), import with both error policies and
// the round trip into a new database (customers in every state, byte for byte), and online backups.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { parse as parseCsv } from "csv-parse/sync";
import type { SqliteDatabase } from "../src/db/client";
import {
  copyTestDatabase,
  createCustomer,
  createOrganization,
  createTestDatabase,
  dataOf,
  holdDatabase,
  onPostgres,
  parsedBoolean,
  parsedJson,
  personInput,
  sqlAll,
  runCli,
  startTestServer,
  type CliRun,
  type TestDatabase,
  type TestServer,
} from "./helpers";

// viem's account helpers are ES modules only in their types; at run time require gets CommonJS.
import type * as Accounts from "viem/accounts" with { "resolution-mode": "import" };
const { privateKeyToAccount } = require("viem/accounts") as typeof Accounts;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-cli-test-"));
const file = (name: string) => path.join(dir, name);

// The test databases made here, by name, released when their describe ends.
const databases = new Map<string, Promise<TestDatabase>>();

/**
 * The DATABASE_URL of the database `name` (the same one for the same name, empty until the CLI
 * migrates it): a file `name` in `inDir` on SQLite, a new database on PostgreSQL.
 */
async function database(name: string, inDir = dir): Promise<string> {
  const key = path.join(inDir, name);
  if (!onPostgres) return key;
  if (!databases.has(key)) databases.set(key, createTestDatabase());
  return (await databases.get(key)!).url;
}

async function releaseDatabases(): Promise<void> {
  const held = [...databases.values()];
  databases.clear();
  await Promise.all(held.map(async (d) => (await d).release()));
}

type Run = CliRun;

/** Runs the CLI on `db`; `stdin` is a file piped to it. */
const cli = (db: string, args: string[], stdin?: string): Promise<Run> => runCli(db, args, { stdin });

async function ok(db: string, args: string[], stdin?: string): Promise<Run> {
  const run = await cli(db, args, stdin);
  assert.equal(run.code, 0, `cli ${args.join(" ")} failed:\n${run.stderr}`);
  return run;
}

/** Rows of `sql` on the database `db`, read as another process would, with a connection of its own. */
const query = <T = any>(db: string, sql: string, ...params: unknown[]): Promise<T[]> => sqlAll<T>(db, sql, ...params);

const count = async (db: string, table: string) => (await query<{ n: number }>(db, `select count(*) as n from ${table}`))[0].n;

/** Row counts of every table, drizzle's record of applied migrations included. */
async function tableCounts(db: string): Promise<Record<string, number>> {
  const tables = onPostgres
    ? await query<{ name: string }>(
        db,
        `select '"' || table_schema || '"."' || table_name || '"' as name from information_schema.tables
          where table_schema in ('public', 'drizzle') and table_type = 'BASE TABLE'`,
      )
    : await query<{ name: string }>(db, `select '"' || name || '"' as name from sqlite_master where type = 'table' and name not like 'sqlite_%'`);
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = await count(db, name);
  return counts;
}

const lines = (text: string) => text.split("\n").filter(Boolean);
const records = (text: string) => lines(text).map((l) => JSON.parse(l) as Record<string, any>);

/** What an import sets anew rather than keeping from its source: the last change is the import. */
function comparable(record: Record<string, any>): Record<string, any> {
  const { updatedAt, updatedBy, updatedVia, verification, ...rest } = record;
  void updatedAt;
  void updatedBy;
  void updatedVia;
  return { ...rest, verification: { status: verification.status, level: verification.level } };
}

/** A createCustomer input in organization `org`, as a hand-written import row. */
function row(org: string, n: number, extra: Record<string, unknown> = {}) {
  return {
    type: "PERSON",
    organizationId: org,
    email: `person.${n}@example.com`,
    externalReference: `EXT-${n}`,
    person: { firstName: { name: `First${n}` }, lastName: { name: "Tester" } },
    addresses: [{ purpose: "home", address: { country: "DE", city: "Berlin" } }],
    ...extra,
  };
}

describe("cli", () => {
  let source = "";
  let org = "";
  let jsonl = "";

  before(async () => {
    source = await database("source.db");
    const created = await ok(source, ["orgs", "create", "--name", "Source Bank", "--country", "GB", "--legal-name", "Source Bank plc"]);
    org = /created (org_\w+)/.exec(created.stdout)![1];
    await ok(source, ["seed", "--customers", "400", "--seed", "7"]);
    jsonl = (await ok(source, ["export"])).stdout;
  });
  after(async () => {
    await releaseDatabases();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("--help lists every command; mistakes exit 2 with a pointer to it", async () => {
    const help = await ok(source, ["--help"]);
    for (const command of ["migrate", "keys create", "orgs create", "seed --customers", "export [--format jsonl|csv]", "import [--format", "--error-policy", "backup <file>"]) {
      assert.ok(help.stdout.includes(command), `help mentions ${command}`);
    }
    assert.equal(help.stderr, "");
    const none = await cli(source, []);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage:/);
    const typo = await cli(source, ["export", "--fromat", "csv"]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /--help/);
    const badFormat = await cli(source, ["export", "--format", "xml"]);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /--format must be one of jsonl, csv/);
  });

  test("orgs create validates like createOrganization; orgs list shows the tree", async () => {
    const child = await ok(source, ["orgs", "create", "--name", "Partner", "--parent", org, "--data-center", "UK_SOUTH"]);
    const childId = /created (org_\w+)/.exec(child.stdout)![1];
    const listed = lines((await ok(source, ["orgs", "list"])).stdout).map((l) => l.split("\t"));
    assert.deepEqual(listed, [
      [org, "Source Bank", "-"],
      [childId, "Partner", org],
    ]);
    const missingParent = await cli(source, ["orgs", "create", "--name", "Orphan", "--parent", "org_01h00000000000000000000000"]);
    assert.equal(missingParent.code, 1);
    assert.match(missingParent.stderr, /^NOT_FOUND parentId: /m);
    const badCountry = await cli(source, ["orgs", "create", "--name", "Nowhere", "--country", "XX"]);
    assert.equal(badCountry.code, 1);
    assert.match(badCountry.stderr, /^INVALID countryCode: /m);
    assert.equal(await count(source, "organizations"), 2);
  });

  test("seed writes varied, valid customers through the service, each with its CREATED event", async () => {
    assert.equal(await count(source, "customers"), 400);
    const types = Object.fromEntries((await query<{ type: string; n: number }>(source, "select type, count(*) as n from customers group by type")).map((r) => [r.type, r.n]));
    assert.ok(types.PERSON > 200 && types.ORGANIZATION > 40, JSON.stringify(types));
    const countries = await query(source, "select distinct country from customer_addresses");
    assert.ok(countries.length >= 10, `${countries.length} countries`);
    for (const table of ["telephone_numbers", "documents", "notification_preferences", "companies", "person_names"]) {
      assert.ok((await count(source, table)) > 50, `${table} has rows`);
    }
    const events = await query<{ type: string; via: string; actor: string; n: number }>(
      source,
      "select type, via, actor, count(*) as n from customer_events group by type, via, actor",
    );
    assert.deepEqual(events, [{ type: "CREATED", via: "SYSTEM", actor: "seed", n: 400 }]);
    // Every customer starts KYC, as createCustomer does.
    assert.equal(await count(source, "verification_sessions"), 400);
    assert.deepEqual(await query(source, "select distinct status from customers"), [{ status: "NEW" }]);
  });

  test("the same --seed gives the same customers", async () => {
    const again = await database("seed-again.db");
    await ok(again, ["orgs", "create", "--name", "Other"]);
    await ok(again, ["seed", "--customers", "50", "--seed", "7"]);
    const names = (db: string) => query<{ display_name: string; email: string }>(db, "select display_name, email from customers order by id limit 50");
    assert.deepEqual(await names(again), await names(source));
  });

  test("export writes one customer per line in the API's shape, and nothing else on stdout", () => {
    const all = records(jsonl);
    assert.equal(all.length, 400);
    const ids = all.map((r) => r.id);
    assert.deepEqual([...ids].sort(), ids, "oldest id first");
    const person = all.find((r) => r.type === "PERSON" && r.person.telephoneNumbers.length > 0)!;
    assert.equal(person.organizationId, org);
    assert.deepEqual(Object.keys(person).slice(0, 3), ["id", "organizationId", "type"]);
    assert.equal(typeof person.person.firstName.name, "string");
    assert.match(person.person.telephoneNumbers[0].number, /^\+\d+$/);
    assert.equal(person.person.hasPassword, false);
    assert.ok(Array.isArray(person.documents.nodes), "documents is the API's connection");
    assert.equal(person.memberships[0].organization.id, org);
    const company = all.find((r) => r.type === "ORGANIZATION")!;
    assert.equal(typeof company.company.legalName, "string");
    // Secrets are write-only: nothing of them leaves through the schema.
    const leak = /"(password|passwordHash|pinCode|pinCodeHash|answer|answerHash|tokenHash)"|\/verify\//.exec(jsonl);
    assert.equal(leak, null, "no secret field in the export");
  });

  test("export --format csv: a header of dotted columns, lists as JSON cells, one row per customer", async () => {
    const csvFile = file("all.csv");
    const run = await ok(source, ["export", "--format", "csv", "--output", csvFile]);
    assert.equal(run.stdout, "", "a file export writes nothing to stdout");
    assert.match(run.stderr, /exported 400 customers/);
    const rows = parseCsv(fs.readFileSync(csvFile), { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, 400);
    const header = Object.keys(rows[0]);
    for (const column of ["id", "organizationId", "person.firstName.name", "person.telephoneNumbers", "company.legalName", "addresses", "documents", "verification.status", "tags"]) {
      assert.ok(header.includes(column), `column ${column}`);
    }
    const first = records(jsonl)[0];
    assert.equal(rows[0].id, first.id);
    assert.deepEqual(JSON.parse(rows[0].addresses), first.addresses);
    assert.deepEqual(JSON.parse(rows[0].documents), first.documents.nodes);
    assert.equal(rows[0]["company.legalName"], first.company?.legalName ?? "");
  });

  test("import into a new database gives back the same customers (jsonl, from stdin)", async () => {
    const target = await database("target-jsonl.db");
    const exported = file("all.jsonl");
    fs.writeFileSync(exported, jsonl);
    const run = await ok(target, ["import", "--create-orgs"], exported);
    assert.match(run.stderr, /imported 400 of 400 rows, 0 failed/);
    assert.equal(run.stdout, "");
    const back = records((await ok(target, ["export"])).stdout);
    assert.deepEqual(back.map(comparable), records(jsonl).map(comparable));
    // Each imported customer has its own CREATED event, by the import.
    assert.deepEqual(await query(target, "select type, via, actor, count(*) as n from customer_events group by 1, 2, 3"), [
      { type: "CREATED", via: "IMPORT", actor: "import", n: 400 },
    ]);
    assert.deepEqual(await query(target, "select id, name, legal_name, country_code from organizations"), [
      { id: org, name: "Source Bank", legal_name: "Source Bank plc", country_code: "GB" },
    ]);
  });

  test("import --format csv gives back the same customers too", async () => {
    const target = await database("target-csv.db");
    await ok(target, ["import", "--input", file("all.csv"), "--create-orgs"]);
    const back = records((await ok(target, ["export"])).stdout);
    assert.deepEqual(back.map(comparable), records(jsonl).map(comparable));
  });

  test("an id that already exists fails its row with DUPLICATE", async () => {
    const before = await tableCounts(source);
    const run = await cli(source, ["import", "--input", file("all.jsonl"), "--error-policy", "skip-failed"]);
    assert.equal(run.code, 1);
    assert.equal(lines(run.stderr).filter((l) => /^row \d+: DUPLICATE id: /.test(l)).length, 400);
    assert.deepEqual(await tableCounts(source), before);
  });

  describe("rows that fail", () => {
    let target = "";
    const input = file("bad.jsonl");
    let targetOrg = "";

    before(async () => {
      target = await database("target-bad.db");
      targetOrg = /created (org_\w+)/.exec((await ok(target, ["orgs", "create", "--name", "Target"])).stdout)![1];
      fs.writeFileSync(
        input,
        [
          JSON.stringify(row(targetOrg, 1)),
          JSON.stringify(row(targetOrg, 2, { email: "not-an-email" })),
          JSON.stringify(row(targetOrg, 3, { person: { firstName: { name: "Grace" }, telephoneNumbers: [{ phoneType: "MOBILE", number: "+49 30 901820" }] } })),
          "{ this is not json",
          JSON.stringify(row(targetOrg, 5, { person: { lastName: { name: "Nobody" } } })),
          JSON.stringify(row(targetOrg, 6, { externalReference: "EXT-1" })),
          JSON.stringify(row("org_01h00000000000000000000000", 7)),
          JSON.stringify(row(targetOrg, 8, { addresses: [{ purpose: "home", address: { country: "Atlantis" } }] })),
        ].join("\n") + "\n",
      );
    });

    const expectedErrors = [
      /^row 2: INVALID email: /m,
      /^row 4: INVALID: not valid JSON/m,
      /^row 5: INVALID person\.firstName: /m,
      /^row 6: DUPLICATE externalReference: externalReference "EXT-1" is already used by cus_/m,
      /^row 7: NOT_FOUND organizationId: /m,
      /^row 8: INVALID addresses\.0\.address\.country: /m,
    ];

    test("reject-all (the default) reports every failed row and writes nothing", async () => {
      const before = await tableCounts(target);
      // Checked in the main thread here (--workers 0), in worker threads below: the same errors.
      const run = await cli(target, ["import", "--input", input, "--workers", "0"]);
      assert.equal(run.code, 1);
      for (const expected of expectedErrors) assert.match(run.stderr, expected);
      assert.match(run.stderr, /nothing imported: 6 of 8 rows failed/);
      assert.deepEqual(await tableCounts(target), before);
    });

    test("skip-failed writes the valid rows and reports the others", async () => {
      const run = await cli(target, ["import", "--input", input, "--error-policy", "skip-failed"]);
      assert.equal(run.code, 1);
      for (const expected of expectedErrors) assert.match(run.stderr, expected);
      assert.match(run.stderr, /imported 2 of 8 rows, 6 failed/);
      assert.deepEqual(await query(target, "select external_reference, phone, organization_id from customers order by id"), [
        { external_reference: "EXT-1", phone: null, organization_id: targetOrg },
        { external_reference: "EXT-3", phone: null, organization_id: targetOrg },
      ]);
      // Normalised as the API does: E.164 numbers.
      assert.deepEqual(await query(target, "select number from telephone_numbers"), [{ number: "+4930901820" }]);
      assert.equal(await count(target, "customer_events"), 2);
    });
  });

  test("a hand-written CSV: createCustomer's own columns, lists as JSON cells, secrets hashed", async () => {
    const target = await database("target-hand.db");
    const targetOrg = /created (org_\w+)/.exec((await ok(target, ["orgs", "create", "--name", "Hand"])).stdout)![1];
    const csvFile = file("hand.csv");
    fs.writeFileSync(
      csvFile,
      "type,organizationId,email,person.firstName.name,person.lastName.name,person.password,tags,addresses\n" +
        `PERSON,${targetOrg},Ann@Example.com,Ann,Lee,a long secret phrase,"[""vip""]","[{""purpose"":""home"",""address"":{""country"":""FRA"",""city"":""Paris""}}]"\n` +
        `PERSON,${targetOrg},bob@example.com,Bob,,,"[""vip""",\n`,
    );
    const run = await cli(target, ["import", "--input", csvFile, "--error-policy", "skip-failed"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^row 2: INVALID tags: tags is not valid JSON$/m);
    // tags is JSON: text on SQLite, parsed on PostgreSQL.
    assert.deepEqual((await query(target, "select email, tags from customers")).map((r) => ({ ...r, tags: parsedJson(r.tags) })), [{ email: "ann@example.com", tags: ["vip"] }]);
    assert.deepEqual(await query(target, "select country, city from customer_addresses"), [{ country: "FR", city: "Paris" }]);
    assert.match((await query<{ hash: string }>(target, "select password_hash as hash from persons"))[0].hash, /^scrypt\$/);
  });

  test("import --org puts every row in that organization", async () => {
    const target = await database("target-org.db");
    const other = /created (org_\w+)/.exec((await ok(target, ["orgs", "create", "--name", "Elsewhere"])).stdout)![1];
    await ok(target, ["import", "--input", file("all.jsonl"), "--org", other]);
    assert.deepEqual(await query(target, "select organization_id, count(*) as n from customers group by 1"), [{ organization_id: other, n: 400 }]);
    const refs = (db: string) => query(db, "select id, external_reference, tags from customers order by id");
    assert.deepEqual(await refs(target), await refs(source));
  });

  test("backup writes a readable copy with the same rows", { skip: onPostgres ? "SQLite's online backup; PostgreSQL is backed up with its own tools" : false }, async () => {
    const copy = file("backup.db");
    const run = await ok(source, ["backup", copy]);
    assert.match(run.stdout, /backed up to .*backup\.db: \d+ bytes/);
    assert.deepEqual(await tableCounts(copy), await tableCounts(source));
    const again = await cli(source, ["backup", copy]);
    assert.equal(again.code, 2, "an existing file is not overwritten");
  });

  test("a larger round trip: 2,500 customers through jsonl", async () => {
    const big = await database("big.db");
    await ok(big, ["orgs", "create", "--name", "Big"]);
    await ok(big, ["seed", "--customers", "2500", "--seed", "99"]);
    const exported = file("big.jsonl");
    await ok(big, ["export", "-o", exported]);
    const target = await database("big-target.db");
    await ok(target, ["import", "-i", exported, "--create-orgs", "--batch-size", "300"]);
    const back = file("big-back.jsonl");
    await ok(target, ["export", "-o", back]);
    const original = records(fs.readFileSync(exported, "utf8"));
    assert.equal(original.length, 2500);
    assert.deepEqual(records(fs.readFileSync(back, "utf8")).map(comparable), original.map(comparable));
  });
});

// ---- the round trip of customers in every state ---------------------------------------------

/** Runs one mutation through the API and returns its payload, after checking it has no userErrors. */
async function mutate(server: TestServer, name: string, inputType: string, input: Record<string, unknown>, selection = "customer { id }") {
  const payload = (dataOf(await server.gql(`mutation ($input: ${inputType}!) { ${name}(input: $input) { ${selection} userErrors { code field message } } }`, { input })) as any)[name];
  assert.deepEqual(payload.userErrors, [], `${name} ${JSON.stringify(input)}`);
  return payload;
}

const documentIds = async (server: TestServer, id: string): Promise<string[]> =>
  (dataOf(await server.gql(`query ($id: ID!) { customer(id: $id) { documents(first: 100) { nodes { id } } } }`, { id })) as any).customer.documents.nodes.map(
    (d: { id: string }) => d.id,
  );

const PASSPORT = { purpose: "KYC", documentType: "PASSPORT", name: "passport.pdf", expiresAt: "2031-05-01", metadata: [{ name: "issuer", type: "STRING", value: "UKPA" }] };
const UTILITY_BILL = { purpose: "PROOF_OF_ADDRESS", documentType: "UTILITY_BILL", name: "bill.pdf", location: "https://files.example.com/bill.pdf" };
// A well-known development key (Hardhat/Anvil account #1): never use it for real funds.
const WALLET_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

describe("cli round trip of customers in every state", () => {
  const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), "customer-cli-roundtrip-"));
  const at = (name: string) => path.join(dir2, name);
  const db = (name: string) => database(name, dir2);
  let source = "";
  let withSecrets = "";
  const ids: Record<string, string> = {};
  let bank = "";
  let partner = "";
  let total = 0;

  /**
   * A standalone copy of the server's database as it is now, named `name`: SQLite's online backup
   * of the running server; on PostgreSQL a copy of the database (CREATE DATABASE … TEMPLATE), which
   * nobody may be connected to, so the server stops meanwhile and starts again on it.
   */
  async function backUp(server: TestServer, name: string): Promise<{ server: TestServer; copy: string }> {
    if (!onPostgres) {
      const copy = await db(name);
      await (server.app.db as SqliteDatabase).sqlite.backup(copy);
      return { server, copy };
    }
    const hold = holdDatabase(server.databaseUrl);
    try {
      await server.close();
      const copy = await copyTestDatabase(hold.url);
      databases.set(path.join(dir2, name), Promise.resolve(copy));
      return { server: await startTestServer({ DATABASE_URL: hold.url }), copy: copy.url };
    } finally {
      await hold.release();
    }
  }

  before(async () => {
    // The source: customers made through the API, in-process, then changed as operators change them.
    let server = await startTestServer();
    try {
      bank = (await createOrganization(server, { name: "Round Trip Bank", legalName: "Round Trip Bank plc", countryCode: "GB", dataCenter: "UK_SOUTH" })).id;
      partner = (await createOrganization(server, { name: "Partner Brokers", countryCode: "DE" })).id;
      const person = (first: string, extra: Record<string, unknown> = {}) =>
        createCustomer(server, personInput(first, "Roundtrip", { organizationId: bank, email: `${first.toLowerCase()}@example.com`, ...extra })).then((c) => c.id as string);
      const review = (documentId: string, status: string, verificationResponse?: string) =>
        mutate(server, "reviewDocument", "ReviewDocumentInput", { documentId, status, verificationResponse });
      const lifecycle = (name: string, inputType: string, input: Record<string, unknown>) => mutate(server, name, inputType, input);

      // NEW, KYC pending, with everything createCustomer takes.
      ids.fresh = await person("Fresh", {
        nickname: "Freshie", phone: "+447712345678", categorization: "retail", tags: ["vip", "early"], externalReference: "RT-1", riskLevel: "LOW", manager: "mgr-7",
        person: {
          firstName: { name: "Fresh", native: "Фреш", language: "ru" }, middleName: { name: "Middle" }, lastName: { name: "Roundtrip", prefix: "van" },
          gender: "FEMALE", dateOfBirth: "1990-04-01", placeOfBirth: "Leeds", nationality: "GB", email: "fresh.person@example.com",
          telephoneNumbers: [{ phoneType: "MOBILE", number: "+447712345678", purpose: "main" }, { phoneType: "FIXED", number: "+442079460123" }],
        },
        addresses: [
          { purpose: "home", address: { country: "GB", city: "London", street: "Baker Street", streetNumber: ["221B"], geoPosition: { latitude: 51.52, longitude: -0.15 } } },
          { purpose: "work", isPrimary: true, address: { country: "DE", city: "Berlin", additionalData: [{ name: "floor", type: "NUMBER", value: "3" }] } },
        ],
        documents: [PASSPORT, UTILITY_BILL],
        notificationPreferences: [{ notificationType: "MARKETING", channel: "EMAIL", isEnabled: false }, { notificationType: "SECURITY_ALERTS", channel: "SMS", isEnabled: true }],
      });
      // Preferences set later: their own updatedAt; an update: version 2, updatedBy.
      await mutate(server, "setNotificationPreferences", "SetNotificationPreferencesInput", {
        customerId: ids.fresh, preferences: [{ notificationType: "MARKETING", channel: "EMAIL", isEnabled: true }],
      });
      await mutate(server, "updateCustomer", "UpdateCustomerInput", { id: ids.fresh, nickname: "Fresher" });

      // VERIFIED at level 2 by reviews: ACTIVE.
      ids.verified = await person("Verified", { documents: [PASSPORT, UTILITY_BILL] });
      for (const doc of await documentIds(server, ids.verified)) await review(doc, "VERIFIED", "checked by hand");
      // REJECTED: still NEW, with the reason.
      ids.rejected = await person("Rejected", { documents: [PASSPORT] });
      await review((await documentIds(server, ids.rejected))[0], "REJECTED", "the photo is blurred");
      // Under review.
      ids.reviewing = await person("Reviewing", { documents: [PASSPORT, UTILITY_BILL] });
      await review((await documentIds(server, ids.reviewing))[1], "UNDER_VERIFICATION");
      // A company, verified at level 1 by its registration.
      ids.company = (await createCustomer(server, {
        type: "ORGANIZATION", organizationId: bank, email: "office@acme.example", company: { legalName: "Acme Widgets Ltd", shortName: "Acme", registrationNumber: "0123456", countryCode: "GB" },
        person: { firstName: { name: "Contact" }, lastName: { name: "Person" } },
        documents: [{ purpose: "KYB", documentType: "COMPANY_REGISTRATION", name: "registration.pdf" }],
      })).id;
      await review((await documentIds(server, ids.company))[0], "VERIFIED");

      // Deactivated while NEW; deactivated while ACTIVE, with a wallet and a second membership
      // (both switched off, to be switched on again); reactivated.
      ids.deactivated = await person("Deactivated");
      await lifecycle("deactivateCustomer", "DeactivateCustomerInput", { id: ids.deactivated, reason: "fraud suspected" });
      ids.switchedOff = await person("Switched", { documents: [PASSPORT] });
      await review((await documentIds(server, ids.switchedOff))[0], "VERIFIED");
      await mutate(server, "onboardCustomer", "OnboardCustomerInput", { organizationId: partner, customerId: ids.switchedOff, managementMode: true, tags: ["broker"] }, "status");
      const account = privateKeyToAccount(WALLET_KEY);
      const challenge = (await mutate(server, "requestWalletChallenge", "WalletChallengeInput", { customerId: ids.switchedOff, address: account.address }, "challenge { id message }")).challenge;
      await mutate(server, "verifyWalletChallenge", "VerifyWalletChallengeInput", { challengeId: challenge.id, signature: await account.signMessage({ message: challenge.message }) });
      await lifecycle("deactivateCustomer", "DeactivateCustomerInput", { id: ids.switchedOff, reason: "customer request" });
      ids.reactivated = await person("Reactivated");
      await lifecycle("deactivateCustomer", "DeactivateCustomerInput", { id: ids.reactivated, reason: "temporary" });
      await lifecycle("reactivateCustomer", "CustomerIdInput", { id: ids.reactivated });

      // Archived; archived after a deactivation; archived and restored.
      ids.archived = await person("Archived", { externalReference: "RT-ARCHIVED" });
      await lifecycle("archiveCustomer", "CustomerIdInput", { id: ids.archived });
      ids.archivedDeactivated = await person("Twice");
      await lifecycle("deactivateCustomer", "DeactivateCustomerInput", { id: ids.archivedDeactivated, reason: "dormant" });
      await lifecycle("archiveCustomer", "CustomerIdInput", { id: ids.archivedDeactivated });
      ids.restored = await person("Restored");
      await lifecycle("archiveCustomer", "CustomerIdInput", { id: ids.restored });
      await lifecycle("restoreCustomer", "CustomerIdInput", { id: ids.restored });

      // Registered by onboarding in the partner: its login account and data center.
      ids.onboarded = (await mutate(server, "onboardCustomer", "OnboardCustomerInput", {
        organizationId: partner, firstName: "Onboarded", lastName: "Roundtrip", registrationAccount: "onboarded@example.com", countryCode: "DE", dataCenter: "GERMANY_WEST_CENTRAL", tags: ["partner"],
      }, "status customer { id }")).customer.id;
      // More documents than createCustomer takes (addDocument allows up to 100).
      ids.manyDocuments = await person("Many", { documents: Array.from({ length: 20 }, (_, i) => ({ purpose: "OTHER", documentType: "OTHER", name: `page-${i}.pdf` })) });
      for (let i = 20; i < 23; i++) {
        await mutate(server, "addDocument", "AddDocumentInput", { customerId: ids.manyDocuments, document: { purpose: "OTHER", documentType: "OTHER", name: `page-${i}.pdf` } });
      }
      ({ server, copy: source } = await backUp(server, "source.db"));

      // Secrets and a two-factor target: only in the second copy, since they cannot travel.
      ids.secretive = await person("Secretive", {
        person: {
          firstName: { name: "Secretive" }, password: "a long secret phrase", pinCode: "4321",
          secretQuestions: [{ question: "First pet?", answer: "Rex" }], telephoneNumbers: [{ phoneType: "MOBILE", number: "+447712000999" }],
        },
      });
      await mutate(server, "setTwoFactorTarget", "SetTwoFactorTargetInput", { customerId: ids.secretive, targetType: "SMS", targetValue: "+447712000999" });
      ({ server, copy: withSecrets } = await backUp(server, "with-secrets.db"));
    } finally {
      await server.close();
    }
    // Plus sample customers, by the CLI.
    await ok(source, ["seed", "--customers", "300", "--seed", "11", "--org", bank]);
    await ok(source, ["export", "-o", at("source.jsonl")]);
    await ok(source, ["export", "-o", at("source.csv")]);
    total = Object.keys(ids).filter((k) => k !== "secretive").length + 300;
  });
  after(async () => {
    await releaseDatabases();
    fs.rmSync(dir2, { recursive: true, force: true });
  });

  const customerColumns = (db: string) =>
    query(
      db,
      `select id, organization_id, status, version, verification_status, verification_level, verification_updated_at, updated_at, updated_by,
         status_before_deactivation, status_before_archive, registration_account, data_center, search_text from customers order by id`,
    );
  const switches = async (db: string) => ({
    memberships: await query(db, "select customer_id, organization_id, active, suspended, management_mode, tags, onboarded_at from memberships order by 1, 2"),
    wallets: await query(db, "select customer_id, address, chain, active, suspended, verified_at from wallets order by 1, 2"),
  });

  test("the source has every state", () => {
    const byId = new Map(records(fs.readFileSync(at("source.jsonl"), "utf8")).map((r) => [r.id, r]));
    const s = (key: string) => byId.get(ids[key])!;
    assert.equal(s("fresh").version, 3);
    assert.deepEqual([s("verified").status, s("verified").verification.status, s("verified").verification.level], ["ACTIVE", "VERIFIED", 2]);
    assert.deepEqual([s("rejected").status, s("rejected").verification.status], ["NEW", "REJECTED"]);
    assert.deepEqual([s("switchedOff").status, s("switchedOff").statusBeforeDeactivation, s("switchedOff").wallets[0].active], ["DEACTIVATED", "ACTIVE", false]);
    assert.deepEqual(s("switchedOff").memberships.map((m: any) => [m.organization.id, m.active, m.managementMode]), [[bank, false, false], [partner, false, true]]);
    assert.deepEqual([s("archivedDeactivated").status, s("archivedDeactivated").statusBeforeArchive], ["ARCHIVED", "DEACTIVATED"]);
    assert.deepEqual([s("onboarded").registrationAccount, s("onboarded").dataCenter], ["onboarded@example.com", "GERMANY_WEST_CENTRAL"]);
    assert.equal(s("manyDocuments").documents.nodes.length, 23);
    assert.equal(byId.size, total);
  });

  for (const format of ["jsonl", "csv"] as const) {
    test(`${format}: export, import into a new database, export again: byte for byte the same`, async () => {
      const exported = at(`source.${format}`);
      const target = await db(`target-${format}.db`);
      const run = await ok(target, ["import", "-i", exported, "--create-orgs", "--batch-size", "50"]);
      assert.match(run.stderr, new RegExp(`imported ${total} of ${total} rows, 0 failed`));
      const back = at(`back.${format}`);
      await ok(target, ["export", "-o", back]);
      assert.ok(fs.readFileSync(back).equals(fs.readFileSync(exported)), `${format} exports differ`);

      // What the export does not show is kept too: where reactivation and restore go back to,
      // the login account, which memberships and wallets a deactivation switched off.
      assert.deepEqual(await customerColumns(target), await customerColumns(source));
      assert.deepEqual(await switches(target), await switches(source));
      assert.deepEqual(
        await query(target, "select id, name, legal_name, country_code, data_center from organizations order by id"),
        await query(source, "select id, name, legal_name, country_code, data_center from organizations order by id"),
      );
      // One CREATED event per customer, by the import.
      assert.deepEqual(await query(target, "select type, actor, via, count(*) as n from customer_events group by 1, 2, 3"), [{ type: "CREATED", actor: "import", via: "IMPORT", n: total }]);
      // A new verification link only for customers still in their first KYC (NEW, PENDING or REJECTED).
      const withSession = await query<{ status: string; verification_status: string }>(
        target,
        "select distinct c.status, c.verification_status from verification_sessions s join customers c on c.id = s.customer_id order by 1, 2",
      );
      assert.deepEqual(withSession, [{ status: "NEW", verification_status: "PENDING" }, { status: "NEW", verification_status: "REJECTED" }]);
      assert.equal(await count(target, "verification_sessions"), (await query<{ n: number }>(target, "select count(*) as n from customers where verification_url is not null"))[0].n);
      assert.deepEqual(await query(target, "select count(*) as n from customers where status = 'NEW' and verification_status in ('PENDING', 'REJECTED') and verification_url is null"), [{ n: 0 }]);
    });
  }

  test("imported customers behave as the originals: reactivation and restore go back to where they were", async () => {
    // A copy, as it was imported: SQLite by the CLI's backup; PostgreSQL's by CREATE DATABASE … TEMPLATE.
    const imported = await db("target-jsonl.db");
    let copy = at("target-live.db");
    if (onPostgres) {
      const copied = await copyTestDatabase(imported);
      databases.set(copy, Promise.resolve(copied));
      copy = copied.url;
    } else await ok(imported, ["backup", copy]);
    const server = await startTestServer({ DATABASE_URL: copy });
    try {
      const state = `customer { status wallets { active } memberships { organization { id } active } }`;
      const reactivated = (await mutate(server, "reactivateCustomer", "CustomerIdInput", { id: ids.switchedOff }, state)).customer;
      assert.deepEqual(reactivated, {
        status: "ACTIVE",
        wallets: [{ active: true }],
        memberships: [{ organization: { id: bank }, active: true }, { organization: { id: partner }, active: true }],
      });
      assert.equal((await mutate(server, "restoreCustomer", "CustomerIdInput", { id: ids.archivedDeactivated }, state)).customer.status, "DEACTIVATED");
      // The login account onboarding gave is still taken.
      const taken = (dataOf(await server.gql(`mutation { onboardCustomer(input: { organizationId: "${partner}", firstName: "Other", registrationAccount: "onboarded@example.com" }) { status } }`)) as any).onboardCustomer;
      assert.equal(taken.status, "ALREADY_EXISTS");
    } finally {
      await server.close();
    }
  });

  test("secrets and two-factor targets are never exported, so they are the only thing that does not come back", async () => {
    const exported = at("with-secrets.jsonl");
    await ok(withSecrets, ["export", "-o", exported]);
    const target = await db("target-secrets.db");
    await ok(target, ["import", "-i", exported, "--create-orgs"]);
    const back = records((await ok(target, ["export"])).stdout);
    const expected = records(fs.readFileSync(exported, "utf8")).map((r) => {
      if (r.id !== ids.secretive) return r;
      assert.deepEqual([r.person.hasPassword, r.person.hasPinCode, r.person.secretQuestions, r.person.twoFactor?.targetType], [true, true, [{ question: "First pet?" }], "SMS"]);
      return { ...r, person: { ...r.person, hasPassword: false, hasPinCode: false, secretQuestions: [], twoFactor: null } };
    });
    assert.deepEqual(back, expected);
  });

  test("a hand-written row may give part of the state: the rest is a new customer's", async () => {
    const target = await db("target-partial.db");
    const org = /created (org_\w+)/.exec((await ok(target, ["orgs", "create", "--name", "Partial"])).stdout)![1];
    const input = at("partial.jsonl");
    const person = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ type: "PERSON", organizationId: org, person: { firstName: { name } }, ...extra });
    fs.writeFileSync(
      input,
      [
        person("Dee", { status: "DEACTIVATED", deactivatedAt: "2024-05-01T10:00:00Z", deactivationReason: "moved away", registrationAccount: "Dee@Example.com" }),
        person("Dup", { registrationAccount: "dee@example.com" }),
        person("Ver", { documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "p.pdf", status: "VERIFIED", reviewedAt: "2024-01-01T00:00:00Z" }] }),
        person("Plain"),
      ].join("\n") + "\n",
    );
    const run = await cli(target, ["import", "-i", input, "--error-policy", "skip-failed"]);
    assert.match(run.stderr, /^row 2: DUPLICATE registrationAccount: registrationAccount dee@example.com already belongs to cus_/m);
    // Booleans: 0/1 on SQLite, true/false on PostgreSQL.
    const asBooleans = (row: Record<string, unknown>, ...columns: string[]) => ({ ...row, ...Object.fromEntries(columns.map((c) => [c, parsedBoolean(row[c])])) });
    assert.deepEqual(
      (
        await query(target, `select display_name as name, status, version, verification_status as kyc, status_before_deactivation as before, deactivated_at, registration_account as account,
        verification_url is not null as link from customers order by id`)
      ).map((r) => asBooleans(r, "link")),
      [
        // Times are stored with milliseconds; the owner's membership is switched off as a deactivation does.
        { name: "Dee", status: "DEACTIVATED", version: 1, kyc: "PENDING", before: "NEW", deactivated_at: "2024-05-01T10:00:00.000Z", account: "dee@example.com", link: false },
        // Verified by its documents: ACTIVE, as a NEW customer that becomes VERIFIED is.
        { name: "Ver", status: "ACTIVE", version: 1, kyc: "VERIFIED", before: null, deactivated_at: null, account: null, link: false },
        { name: "Plain", status: "NEW", version: 1, kyc: "PENDING", before: null, deactivated_at: null, account: null, link: true },
      ],
    );
    assert.deepEqual((await query(target, "select active, suspended from memberships order by customer_id")).map((r) => asBooleans(r, "active", "suspended")), [
      { active: false, suspended: true },
      { active: true, suspended: false },
      { active: true, suspended: false },
    ]);
  });

  test("state fields are validated: enums, times, consistent lifecycle and verification", async () => {
    const target = await db("target-invalid.db");
    const base = records(fs.readFileSync(at("source.jsonl"), "utf8")).find((r) => r.id === ids.verified)!;
    const variants: [Record<string, unknown>, RegExp][] = [
      [{ status: "SLEEPING" }, /^row 1: INVALID status: /m],
      [{ version: 0 }, /^row 2: INVALID version: /m],
      [{ updatedAt: "yesterday" }, /^row 3: INVALID updatedAt: updatedAt is not an ISO 8601 UTC timestamp/m],
      [{ status: "ARCHIVED" }, /^row 4: INVALID archivedAt: archivedAt is required for an ARCHIVED customer/m],
      [{ deactivatedAt: "2024-01-01T00:00:00.000Z", deactivationReason: "x" }, /^row 5: INVALID deactivatedAt: deactivatedAt must be empty for a customer that is ACTIVE/m],
      [{ verification: { status: "VERIFIED", level: 0 } }, /^row 6: INVALID verification\.level: verification\.level must be 1 or 2 for a VERIFIED customer/m],
      [{ verification: { status: "DONE", level: 1 } }, /^row 7: INVALID verification\.status: /m],
      [{ memberships: [{ organization: { id: "org_01h00000000000000000000000" }, managementMode: false, active: true, tags: [], onboardedAt: "2024-01-01T00:00:00.000Z" }] }, /^row 8: NOT_FOUND memberships\.0\.organization\.id: /m],
      [{ wallets: [{ address: "0x123", chain: "ethereum", active: true }] }, /^row 9: INVALID wallets\.0\.address: /m],
      [{ dataCenter: "MOON_BASE" }, /^row 10: INVALID dataCenter: /m],
    ];
    const input = at("invalid.jsonl");
    fs.writeFileSync(input, variants.map(([change], i) => JSON.stringify({ ...base, id: undefined, externalReference: `BAD-${i}`, addresses: [], documents: { nodes: [] }, ...change })).join("\n") + "\n");
    const run = await cli(target, ["import", "-i", input, "--create-orgs"]);
    assert.equal(run.code, 1);
    for (const [, expected] of variants) assert.match(run.stderr, expected);
    assert.match(run.stderr, /nothing imported: 10 of 10 rows failed/);
  });
});
