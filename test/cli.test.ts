// The CLI as an operator runs it: a child process on a database file, its stdout, stderr and exit
// code. Organizations, seeding, export (JSON lines and CSV), import with both error policies and
// the round trip into a new database, and online backups.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { parse as parseCsv } from "csv-parse/sync";

const CLI = path.join(__dirname, "../src/cli.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-cli-test-"));
const file = (name: string) => path.join(dir, name);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI on `db`; `stdin` is a file piped to it. */
function cli(db: string, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: db, NODE_ENV: "test", LOG_LEVEL: "silent" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (stdin) fs.createReadStream(stdin).pipe(child.stdin);
    else child.stdin.end();
  });
}

async function ok(db: string, args: string[], stdin?: string): Promise<Run> {
  const run = await cli(db, args, stdin);
  assert.equal(run.code, 0, `cli ${args.join(" ")} failed:\n${run.stderr}`);
  return run;
}

function query<T = unknown>(db: string, sql: string, ...params: unknown[]): T[] {
  const sqlite = new Database(db, { readonly: true });
  try {
    return sqlite.prepare(sql).all(...params) as T[];
  } finally {
    sqlite.close();
  }
}

const count = (db: string, table: string) => query<{ n: number }>(db, `select count(*) as n from "${table}"`)[0].n;

function tableCounts(db: string): Record<string, number> {
  const tables = query<{ name: string }>(db, "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'");
  return Object.fromEntries(tables.map(({ name }) => [name, count(db, name)]));
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
  const source = file("source.db");
  let org = "";
  let jsonl = "";

  before(async () => {
    const created = await ok(source, ["orgs", "create", "--name", "Source Bank", "--country", "GB", "--legal-name", "Source Bank plc"]);
    org = /created (org_\w+)/.exec(created.stdout)![1];
    await ok(source, ["seed", "--customers", "400", "--seed", "7"]);
    jsonl = (await ok(source, ["export"])).stdout;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

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
    assert.equal(count(source, "organizations"), 2);
  });

  test("seed writes varied, valid customers through the service, each with its CREATED event", () => {
    assert.equal(count(source, "customers"), 400);
    const types = Object.fromEntries(query<{ type: string; n: number }>(source, "select type, count(*) as n from customers group by type").map((r) => [r.type, r.n]));
    assert.ok(types.PERSON > 200 && types.ORGANIZATION > 40, JSON.stringify(types));
    const countries = query(source, "select distinct country from customer_addresses");
    assert.ok(countries.length >= 10, `${countries.length} countries`);
    for (const table of ["telephone_numbers", "documents", "notification_preferences", "companies", "person_names"]) {
      assert.ok(count(source, table) > 50, `${table} has rows`);
    }
    const events = query<{ type: string; via: string; actor: string; n: number }>(
      source,
      "select type, via, actor, count(*) as n from customer_events group by type, via, actor",
    );
    assert.deepEqual(events, [{ type: "CREATED", via: "SYSTEM", actor: "seed", n: 400 }]);
    // Every customer starts KYC, as createCustomer does.
    assert.equal(count(source, "verification_sessions"), 400);
    assert.deepEqual(query(source, "select distinct status from customers"), [{ status: "NEW" }]);
  });

  test("the same --seed gives the same customers", async () => {
    const again = file("seed-again.db");
    await ok(again, ["orgs", "create", "--name", "Other"]);
    await ok(again, ["seed", "--customers", "50", "--seed", "7"]);
    const names = (db: string) => query<{ display_name: string; email: string }>(db, "select display_name, email from customers order by id limit 50");
    assert.deepEqual(names(again), names(source));
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
    const target = file("target-jsonl.db");
    const exported = file("all.jsonl");
    fs.writeFileSync(exported, jsonl);
    const run = await ok(target, ["import", "--create-orgs"], exported);
    assert.match(run.stderr, /imported 400 of 400 rows, 0 failed/);
    assert.equal(run.stdout, "");
    const back = records((await ok(target, ["export"])).stdout);
    assert.deepEqual(back.map(comparable), records(jsonl).map(comparable));
    // Each imported customer has its own CREATED event, by the import.
    assert.deepEqual(query(target, "select type, via, actor, count(*) as n from customer_events group by 1, 2, 3"), [
      { type: "CREATED", via: "IMPORT", actor: "import", n: 400 },
    ]);
    assert.deepEqual(query(target, "select id, name, legal_name, country_code from organizations"), [
      { id: org, name: "Source Bank", legal_name: "Source Bank plc", country_code: "GB" },
    ]);
  });

  test("import --format csv gives back the same customers too", async () => {
    const target = file("target-csv.db");
    await ok(target, ["import", "--input", file("all.csv"), "--create-orgs"]);
    const back = records((await ok(target, ["export"])).stdout);
    assert.deepEqual(back.map(comparable), records(jsonl).map(comparable));
  });

  test("an id that already exists fails its row with DUPLICATE", async () => {
    const before = tableCounts(source);
    const run = await cli(source, ["import", "--input", file("all.jsonl"), "--error-policy", "skip-failed"]);
    assert.equal(run.code, 1);
    assert.equal(lines(run.stderr).filter((l) => /^row \d+: DUPLICATE id: /.test(l)).length, 400);
    assert.deepEqual(tableCounts(source), before);
  });

  describe("rows that fail", () => {
    const target = file("target-bad.db");
    const input = file("bad.jsonl");
    let targetOrg = "";

    before(async () => {
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
      const before = tableCounts(target);
      // Checked in the main thread here (--workers 0), in worker threads below: the same errors.
      const run = await cli(target, ["import", "--input", input, "--workers", "0"]);
      assert.equal(run.code, 1);
      for (const expected of expectedErrors) assert.match(run.stderr, expected);
      assert.match(run.stderr, /nothing imported: 6 of 8 rows failed/);
      assert.deepEqual(tableCounts(target), before);
    });

    test("skip-failed writes the valid rows and reports the others", async () => {
      const run = await cli(target, ["import", "--input", input, "--error-policy", "skip-failed"]);
      assert.equal(run.code, 1);
      for (const expected of expectedErrors) assert.match(run.stderr, expected);
      assert.match(run.stderr, /imported 2 of 8 rows, 6 failed/);
      assert.deepEqual(query(target, "select external_reference, phone, organization_id from customers order by id"), [
        { external_reference: "EXT-1", phone: null, organization_id: targetOrg },
        { external_reference: "EXT-3", phone: null, organization_id: targetOrg },
      ]);
      // Normalised as the API does: E.164 numbers.
      assert.deepEqual(query(target, "select number from telephone_numbers"), [{ number: "+4930901820" }]);
      assert.equal(count(target, "customer_events"), 2);
    });
  });

  test("a hand-written CSV: createCustomer's own columns, lists as JSON cells, secrets hashed", async () => {
    const target = file("target-hand.db");
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
    assert.deepEqual(query(target, "select email, tags from customers"), [{ email: "ann@example.com", tags: '["vip"]' }]);
    assert.deepEqual(query(target, "select country, city from customer_addresses"), [{ country: "FR", city: "Paris" }]);
    assert.match(query<{ hash: string }>(target, "select password_hash as hash from persons")[0].hash, /^scrypt\$/);
  });

  test("import --org puts every row in that organization", async () => {
    const target = file("target-org.db");
    const other = /created (org_\w+)/.exec((await ok(target, ["orgs", "create", "--name", "Elsewhere"])).stdout)![1];
    await ok(target, ["import", "--input", file("all.jsonl"), "--org", other]);
    assert.deepEqual(query(target, "select organization_id, count(*) as n from customers group by 1"), [{ organization_id: other, n: 400 }]);
    const refs = (db: string) => query(db, "select id, external_reference, tags from customers order by id");
    assert.deepEqual(refs(target), refs(source));
  });

  test("backup writes a readable copy with the same rows", async () => {
    const copy = file("backup.db");
    const run = await ok(source, ["backup", copy]);
    assert.match(run.stdout, /backed up to .*backup\.db: \d+ bytes/);
    assert.deepEqual(tableCounts(copy), tableCounts(source));
    const again = await cli(source, ["backup", copy]);
    assert.equal(again.code, 2, "an existing file is not overwritten");
  });

  test("a larger round trip: 2,500 customers through jsonl", async () => {
    const big = file("big.db");
    await ok(big, ["orgs", "create", "--name", "Big"]);
    await ok(big, ["seed", "--customers", "2500", "--seed", "99"]);
    const exported = file("big.jsonl");
    await ok(big, ["export", "-o", exported]);
    const target = file("big-target.db");
    await ok(target, ["import", "-i", exported, "--create-orgs", "--batch-size", "300"]);
    const back = file("big-back.jsonl");
    await ok(target, ["export", "-o", back]);
    const original = records(fs.readFileSync(exported, "utf8"));
    assert.equal(original.length, 2500);
    assert.deepEqual(records(fs.readFileSync(back, "utf8")).map(comparable), original.map(comparable));
  });
});
