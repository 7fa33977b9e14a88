// The customer lifecycle: deactivate/reactivate with cascade, archive/restore, erase, and every
// illegal transition (README's state machine).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createCustomer, createOrganization, dataOf, onPostgres, personInput, sqlAll, sqlGet, sqlRun, startTestServer, tableCounts, type TestServer } from "./helpers";

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await createOrganization(server, { name: "Lifecycle Org" });
});
after(() => server.close());

const USER_ERRORS = "userErrors { code field message }";
const CUSTOMER = "customer { id status version deactivatedAt deactivationReason archivedAt archivedBy archivedVia memberships { active } wallets { address active } }";
const M = {
  deactivate: `mutation ($id: ID!, $reason: String!) { deactivateCustomer(input: { id: $id, reason: $reason }) { ${CUSTOMER} ${USER_ERRORS} } }`,
  reactivate: `mutation ($id: ID!) { reactivateCustomer(input: { id: $id }) { ${CUSTOMER} ${USER_ERRORS} } }`,
  archive: `mutation ($id: ID!) { archiveCustomer(input: { id: $id }) { ${CUSTOMER} ${USER_ERRORS} } }`,
  restore: `mutation ($id: ID!) { restoreCustomer(input: { id: $id }) { ${CUSTOMER} ${USER_ERRORS} } }`,
  erase: `mutation ($id: ID!) { eraseCustomer(input: { id: $id }) { erasedCustomerId ${USER_ERRORS} } }`,
};

async function run(name: keyof typeof M, id: string, reason = "fraud suspected") {
  const data = dataOf(await server.gql(M[name], { id, reason }));
  return Object.values(data)[0] as any;
}

async function ok(name: keyof typeof M, id: string) {
  const result = await run(name, id);
  assert.deepEqual(result.userErrors, [], `${name} succeeds`);
  return result.customer;
}

async function refused(name: keyof typeof M, id: string, code = "INVALID_STATE", field: string[] | null = ["id"]) {
  const before = await tableCounts(server);
  const result = await run(name, id);
  assert.deepEqual(result.userErrors.map((e: any) => [e.code, e.field]), [[code, field]], `${name} refused`);
  assert.deepEqual(await tableCounts(server), before, `${name} wrote nothing`);
}

const sql = (statement: string, ...params: unknown[]) => sqlRun(server, statement, ...params);
const future = () => new Date(Date.now() + 3_600_000).toISOString();
const past = () => new Date(Date.now() - 3_600_000).toISOString();

async function newCustomer(extra: Record<string, unknown> = {}) {
  return (await createCustomer(server, personInput("Life", "Cycle", extra))).id as string;
}

describe("deactivate and reactivate", () => {
  test("deactivation sets the reason and switches off wallets, memberships and open challenges; reactivation restores exactly those", async () => {
    const id = await newCustomer();
    await sql("update customers set status = 'ACTIVE' where id = ?", id);
    // A linked wallet, one already inactive before (it must stay so), open and used challenges.
    await sql("insert into wallets (customer_id, address, chain, verified_at, active) values (?, '0xA', 'ethereum', ?, true)", id, past());
    await sql("insert into wallets (customer_id, address, chain, verified_at, active) values (?, '0xB', 'ethereum', ?, false)", id, past());
    await sql("insert into wallet_challenges (id, customer_id, address, chain, message, status, created_at, expires_at) values ('wch_1', ?, '0xA', 'ethereum', 'm', 'OPEN', ?, ?)", id, past(), future());
    await sql("insert into wallet_challenges (id, customer_id, address, chain, message, status, created_at, expires_at) values ('wch_2', ?, '0xA', 'ethereum', 'm', 'USED', ?, ?)", id, past(), future());
    await sql("insert into two_factor_challenges (id, customer_id, code_hash, status, attempts_left, created_at, expires_at) values ('tfc_1', ?, 'h', 'OPEN', 5, ?, ?)", id, past(), future());
    await sql("insert into two_factor_challenges (id, customer_id, code_hash, status, attempts_left, created_at, expires_at) values ('tfc_2', ?, 'h', 'OPEN', 5, ?, ?)", id, past(), future());

    const deactivated = await ok("deactivate", id);
    assert.equal(deactivated.status, "DEACTIVATED");
    assert.equal(deactivated.deactivationReason, "fraud suspected");
    assert.ok(deactivated.deactivatedAt);
    assert.deepEqual(deactivated.memberships, [{ active: false }]);
    assert.deepEqual(deactivated.wallets.map((w: any) => [w.address, w.active]).sort(), [["0xA", false], ["0xB", false]]);
    const statuses = async () =>
      Object.fromEntries(
        (await sqlAll(server, "select id, status from wallet_challenges union all select id, status from two_factor_challenges")).map((r) => [r.id, r.status]),
      );
    assert.deepEqual(await statuses(), { wch_1: "SUSPENDED", wch_2: "USED", tfc_1: "SUSPENDED", tfc_2: "SUSPENDED" });

    // One suspended challenge expires while the customer is deactivated.
    await sql("update two_factor_challenges set expires_at = ? where id = 'tfc_2'", past());
    const reactivated = await ok("reactivate", id);
    assert.equal(reactivated.status, "ACTIVE", "back to the status it had");
    assert.equal(reactivated.deactivationReason, null);
    assert.equal(reactivated.deactivatedAt, null);
    assert.deepEqual(reactivated.memberships, [{ active: true }]);
    assert.deepEqual(reactivated.wallets.map((w: any) => [w.address, w.active]).sort(), [["0xA", true], ["0xB", false]]);
    assert.deepEqual(await statuses(), { wch_1: "OPEN", wch_2: "USED", tfc_1: "OPEN", tfc_2: "EXPIRED" });
    assert.equal(reactivated.version, deactivated.version + 1);

    const events = await server.gql(`query ($id: ID!) { customer(id: $id) { events(last: 2) { nodes { type changedFields via } } } }`, { id });
    assert.deepEqual(events.data.customer.events.nodes, [
      { type: "DEACTIVATED", changedFields: ["deactivatedAt", "deactivationReason", "status"], via: "API" },
      { type: "REACTIVATED", changedFields: ["deactivatedAt", "deactivationReason", "status"], via: "API" },
    ]);
  });

  test("a deactivated customer is still listed by its organization, as DEACTIVATED", async () => {
    const org = await createOrganization(server, { name: "Listing Org" });
    const id = (await createCustomer(server, personInput("Still", "Listed", { organizationId: org.id }))).id;
    await ok("deactivate", id);
    const listed = await server.gql(
      `query ($org: ID!) { organization(id: $org) { customers { nodes { id status } } } customers(filter: { organizationId: $org }) { nodes { id } } }`,
      { org: org.id },
    );
    assert.deepEqual(listed.data.organization.customers.nodes, [{ id, status: "DEACTIVATED" }]);
    assert.deepEqual(listed.data.customers.nodes, [{ id }]);
  });

  test("a NEW customer comes back NEW", async () => {
    const id = await newCustomer();
    await ok("deactivate", id);
    assert.equal((await ok("reactivate", id)).status, "NEW");
  });

  test("the reason is required", async () => {
    const id = await newCustomer();
    const before = await tableCounts(server);
    const result = await run("deactivate", id, "   ");
    assert.deepEqual(result.userErrors.map((e: any) => [e.code, e.field]), [["INVALID", ["reason"]]]);
    assert.deepEqual(await tableCounts(server), before);
  });

  test("a deactivated customer refuses every other change with INVALID_STATE", async () => {
    const id = await newCustomer({ addresses: [{ purpose: "home", address: { country: "FR" } }], documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "p.pdf" }] });
    const customer = (await server.gql(`query ($id: ID!) { customer(id: $id) { addresses { id } documents { nodes { id } } } }`, { id })).data.customer;
    await ok("deactivate", id);
    const attempts: [string, Record<string, unknown>, string[]][] = [
      [`mutation ($i: UpdateCustomerInput!) { r: updateCustomer(input: $i) { ${USER_ERRORS} } }`, { id, nickname: "x" }, ["id"]],
      [`mutation ($i: AddCustomerAddressInput!) { r: addCustomerAddress(input: $i) { ${USER_ERRORS} } }`, { customerId: id, address: { purpose: "work", address: { country: "DE" } } }, ["customerId"]],
      [`mutation ($i: UpdateCustomerAddressInput!) { r: updateCustomerAddress(input: $i) { ${USER_ERRORS} } }`, { id: customer.addresses[0].id, purpose: "x" }, ["id"]],
      [`mutation ($i: IdInput!) { r: removeCustomerAddress(input: $i) { ${USER_ERRORS} } }`, { id: customer.addresses[0].id }, ["id"]],
      [`mutation ($i: AddDocumentInput!) { r: addDocument(input: $i) { ${USER_ERRORS} } }`, { customerId: id, document: { purpose: "KYC", documentType: "PASSPORT", name: "x" } }, ["customerId"]],
      [`mutation ($i: IdInput!) { r: removeDocument(input: $i) { ${USER_ERRORS} } }`, { id: customer.documents.nodes[0].id }, ["id"]],
      [`mutation ($i: SetNotificationPreferencesInput!) { r: setNotificationPreferences(input: $i) { ${USER_ERRORS} } }`, { customerId: id, preferences: [{ notificationType: "MARKETING", channel: "EMAIL", isEnabled: true }] }, ["customerId"]],
    ];
    for (const [query, input, field] of attempts) {
      const before = await tableCounts(server);
      const result = dataOf(await server.gql(query, { i: input })) as any;
      assert.deepEqual(result.r.userErrors.map((e: any) => [e.code, e.field]), [["INVALID_STATE", field]], query);
      assert.deepEqual(await tableCounts(server), before);
    }
  });
});

describe("archive and restore", () => {
  test("archive is a soft delete with archivedAt/By/Via, hidden from lists unless includeArchived; restore brings it back", async () => {
    const id = await newCustomer({ email: "archive.me@example.com" });
    const archived = await ok("archive", id);
    assert.equal(archived.status, "ARCHIVED");
    assert.ok(archived.archivedAt);
    assert.equal(archived.archivedVia, "API");
    assert.equal(typeof archived.archivedBy, "string");
    const list = async (includeArchived: boolean) =>
      (await server.gql(`query ($f: CustomerFilter) { customers(first: 100, filter: $f) { nodes { id } } }`, { f: { email: "archive.me@example.com", includeArchived } })).data.customers.nodes;
    assert.deepEqual(await list(false), []);
    assert.deepEqual(await list(true), [{ id }]);
    assert.equal((await server.gql(`query ($id: ID!) { customer(id: $id) { status } }`, { id })).data.customer.status, "ARCHIVED");

    const restored = await ok("restore", id);
    assert.equal(restored.status, "NEW");
    assert.equal(restored.archivedAt, null);
    assert.equal(restored.archivedBy, null);
    assert.deepEqual(await list(false), [{ id }]);
  });

  test("a customer archived while deactivated is restored deactivated", async () => {
    const id = await newCustomer();
    await ok("deactivate", id);
    await ok("archive", id);
    const restored = await ok("restore", id);
    assert.equal(restored.status, "DEACTIVATED");
    assert.equal((await ok("reactivate", id)).status, "NEW");
  });

  test("an archived customer refuses changes with INVALID_STATE", async () => {
    const id = await newCustomer();
    await ok("archive", id);
    const result = dataOf(await server.gql(`mutation ($id: ID!) { updateCustomer(input: { id: $id, nickname: "x" }) { ${USER_ERRORS} } }`, { id })) as any;
    assert.deepEqual(result.updateCustomer.userErrors.map((e: any) => e.code), ["INVALID_STATE"]);
  });
});

describe("illegal transitions", () => {
  test("every transition the state machine does not allow is INVALID_STATE and changes nothing", async () => {
    const fresh = await newCustomer(); // NEW
    await refused("reactivate", fresh);
    await refused("restore", fresh);

    const active = await newCustomer();
    await sql("update customers set status = 'ACTIVE' where id = ?", active);
    await refused("reactivate", active);
    await refused("restore", active);

    const deactivated = await newCustomer();
    await ok("deactivate", deactivated);
    await refused("deactivate", deactivated);
    await refused("restore", deactivated);

    const archived = await newCustomer();
    await ok("archive", archived);
    await refused("archive", archived);
    await refused("deactivate", archived);
    await refused("reactivate", archived);

    const erased = await newCustomer();
    await ok("erase", erased).catch(() => undefined);
    for (const name of ["deactivate", "reactivate", "archive", "restore", "erase"] as const) {
      await refused(name, erased, "NOT_FOUND", ["id"]);
    }
    await refused("deactivate", "cus_00000000000000000000000000", "NOT_FOUND", ["id"]);
  });
});

describe("erase", () => {
  const PII = {
    first: "Zebediah",
    last: "Quixotewright",
    email: "zebediah.quixotewright@example.org",
    phone: "+447400123456",
    street: "Xylophone Crescent",
    city: "Quenchford",
    nickname: "Zebbo",
    reference: "EXT-ZQ-4242",
    document: "zq-passport-scan.pdf",
    question: "Name of your first zeppelin?",
    answer: "Hindenburgerle",
  };

  test("removes every piece of personal data, keeps a tombstone and the events, and leaves no PII in the database files", async (t) => {
    const org = await createOrganization(server, { name: "Erasure Org" });
    const created = await createCustomer(server, {
      type: "PERSON",
      organizationId: org.id,
      email: PII.email,
      phone: PII.phone,
      nickname: PII.nickname,
      externalReference: PII.reference,
      categorization: "vip",
      tags: ["erasable"],
      person: {
        firstName: { name: PII.first },
        lastName: { name: PII.last },
        email: PII.email,
        dateOfBirth: "1970-01-01",
        telephoneNumbers: [{ phoneType: "MOBILE", number: PII.phone }],
        password: "a secret password",
        secretQuestions: [{ question: PII.question, answer: PII.answer }],
      },
      addresses: [{ purpose: "home", address: { country: "GB", city: PII.city, street: PII.street } }],
      documents: [{ purpose: "KYC", documentType: "PASSPORT", name: PII.document }],
      notificationPreferences: [{ notificationType: "MARKETING", channel: "EMAIL", isEnabled: true }],
    });
    const id = created.id;
    // A change, so that old versions of the rows exist in the log and in freed pages.
    await server.gql(`mutation ($id: ID!) { updateCustomer(input: { id: $id, nickname: "${PII.nickname}2" }) { userErrors { code } } }`, { id });
    await sql("insert into wallets (customer_id, address, chain, verified_at, active) values (?, '0xDeadBeefZq', 'ethereum', ?, true)", id, past());

    const result = await run("erase", id);
    assert.deepEqual(result, { erasedCustomerId: id, userErrors: [] });

    // Gone from every read.
    const reads = await server.gql(
      `query ($id: ID!, $ref: String!) { customer(id: $id) { id } node(id: $id) { id } customerByExternalReference(externalReference: $ref) { id }
         customers(first: 100, filter: { includeArchived: true }) { nodes { id } } }`,
      { id, ref: PII.reference },
    );
    assert.equal(reads.data.customer, null);
    assert.equal(reads.data.node, null);
    assert.equal(reads.data.customerByExternalReference, null);
    assert.ok(!reads.data.customers.nodes.some((n: any) => n.id === id));

    // The tombstone and the event log stay; events hold field names, never values.
    const tombstone = await sqlGet(server, "select id, type, display_name, email, phone, erased_at, search_text from customers where id = ?", id);
    assert.equal(tombstone.id, id);
    assert.equal(tombstone.type, "PERSON");
    assert.ok(tombstone.erased_at);
    assert.equal(tombstone.email, null);
    assert.equal(tombstone.display_name, "");
    const events = await sqlAll(server, "select type, changed_fields from customer_events where customer_id = ? order by seq", id);
    assert.deepEqual(events.map((e) => e.type).at(-1), "ERASED");
    assert.ok(events.length >= 3);
    for (const table of ["persons", "person_names", "telephone_numbers", "secret_questions", "customer_addresses", "documents", "notification_preferences", "wallets"]) {
      const { n } = (await sqlGet<{ n: number }>(server, `select count(*) as n from ${table} where customer_id = ?`, id))!;
      assert.equal(n, 0, `${table} emptied`);
    }

    // Nothing personal is left in the database file or its write-ahead log.
    await t.test("no PII in the SQLite file or its log", { skip: onPostgres ? "SQLite's files; PostgreSQL's files are the server's" : false }, () => {
      const dbFile = path.join(server.dir, "test.db");
      const bytes = Buffer.concat([dbFile, `${dbFile}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
      for (const [name, value] of Object.entries(PII)) {
        assert.equal(bytes.includes(Buffer.from(value)), false, `${name} ("${value}") is still in the database files`);
        assert.equal(bytes.includes(Buffer.from(value.toLowerCase())), false, `${name} (lower-cased) is still in the database files`);
      }
      assert.equal(bytes.includes(Buffer.from("0xDeadBeefZq")), false, "wallet address is gone");
    });
  });
});
