// End-to-end tests of the read side: `customers` (filters, search, ordering, Relay pagination),
// single lookups, `node`/`nodes`, organizations, and the per-customer relations (documents,
// events, memberships, verification, wallets), all over HTTP as a client would call them.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  createCustomer,
  createOrganization,
  dataOf,
  personInput,
  sqlGet,
  sqlRun,
  startTestServer,
  type GraphQLResponse,
  type TestServer,
} from "./helpers";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CONNECTION = /* GraphQL */ `
  totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id } }
  nodes { id }
`;

const CUSTOMERS = /* GraphQL */ `
  query (
    $first: Int, $after: String, $last: Int, $before: String,
    $filter: CustomerFilter, $orderBy: CustomerOrder, $search: String
  ) {
    customers(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy, search: $search) {
      ${CONNECTION}
    }
  }
`;

interface Connection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { cursor: string; node: { id: string } }[];
  nodes: { id: string }[];
}

const UPDATE_CUSTOMER = /* GraphQL */ `
  mutation ($input: UpdateCustomerInput!) {
    updateCustomer(input: $input) { customer { id updatedAt } userErrors { code field message } }
  }
`;

const ADD_DOCUMENT = /* GraphQL */ `
  mutation ($input: AddDocumentInput!) {
    addDocument(input: $input) { document { id name } userErrors { code field message } }
  }
`;

/** Runs `customers` and checks the connection is self-consistent (edges match nodes, cursors match pageInfo). */
async function customersPage(server: TestServer, variables: Record<string, unknown>): Promise<Connection> {
  const conn = dataOf(await server.gql(CUSTOMERS, variables)).customers as Connection;
  assert.deepEqual(
    conn.edges.map((e) => e.node.id),
    conn.nodes.map((n) => n.id),
    "edges and nodes list the same customers",
  );
  assert.equal(conn.pageInfo.startCursor, conn.edges[0]?.cursor ?? null, "startCursor is the first edge's cursor");
  assert.equal(conn.pageInfo.endCursor, conn.edges.at(-1)?.cursor ?? null, "endCursor is the last edge's cursor");
  return conn;
}

/** Labels of every customer matching (one page of up to 100); asserts totalCount agrees. */
function lister(server: () => TestServer, labels: Map<string, string>) {
  return async (variables: Record<string, unknown>): Promise<string[]> => {
    const conn = await customersPage(server(), { first: 100, ...variables });
    assert.equal(conn.totalCount, conn.nodes.length, "totalCount counts the same customers");
    return conn.nodes.map((n) => labels.get(n.id) ?? n.id);
  };
}

function expectError(response: GraphQLResponse, code: string, field?: string): void {
  assert.ok(response.errors && response.errors.length > 0, `expected a ${code} error, got ${JSON.stringify(response)}`);
  const error = response.errors[0];
  assert.equal(error.extensions?.code, code, JSON.stringify(response.errors));
  assert.equal(error.extensions?.stacktrace, undefined, "no stack trace leaks");
  assert.doesNotMatch(error.message, /select |sqlite|    at /i, "no SQL or stack in the message");
  if (field) assert.deepEqual(error.path, [field]);
  if (field && response.data) assert.equal((response.data as Record<string, unknown>)[field] ?? null, null);
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

// ---------------------------------------------------------------------------------------------


/** A membership row written straight to the database (onboarding is not a mutation yet). */
function insertMembership(server: TestServer, customerId: string, organizationId: string, onboardedAt: string, active: boolean) {
  return sqlRun(
    server,
    `insert into memberships (customer_id, organization_id, management_mode, tags, onboarded_at, active) values (?, ?, false, '[]', ?, ${active})`,
    customerId,
    organizationId,
    onboardedAt,
  );
}

describe("customers(filter:)", () => {
  let server: TestServer;
  let orgA: { id: string };
  let orgB: { id: string };
  const c: Record<string, { id: string; createdAt: string }> = {};
  const labels = new Map<string, string>();
  const list = lister(() => server, labels);
  let updatedMark = "";

  before(async () => {
    server = await startTestServer();
    orgA = await createOrganization(server, { name: "Org A" });
    orgB = await createOrganization(server, { name: "Org B" });
    const make = async (key: string, input: Record<string, unknown>) => {
      c[key] = await createCustomer(server, input);
      labels.set(c[key].id, key);
      await sleep(4); // distinct createdAt milliseconds
    };
    await make(
      "alice",
      personInput("Alice", "Anderson", {
        email: "Alice@Example.com",
        nickname: "Ally",
        phone: "+44 20 7946 0958",
        tags: ["vip", "eu"],
        riskLevel: "LOW",
        manager: "mgr-1",
        addresses: [{ purpose: "home", address: { country: "GB", city: "London" } }],
      }),
    );
    await make(
      "bob",
      personInput("Bob", "Brown", {
        email: "bob@example.org",
        nickname: "Bobby",
        tags: ["retail"],
        riskLevel: "HIGH",
        manager: "mgr-2",
        addresses: [{ purpose: "home", address: { country: "FR", city: "Paris" } }],
      }),
    );
    await make("acme", {
      type: "ORGANIZATION",
      organizationId: orgB.id,
      company: { legalName: "Acme Trading Ltd", shortName: "Acme", countryCode: "DE" },
      tags: ["vip"],
      riskLevel: "MEDIUM",
      manager: "mgr-1",
      externalReference: "ACME-001",
    });
    await make(
      "carol",
      personInput("Carol", "Clark", {
        organizationId: orgB.id,
        addresses: [{ purpose: "home", address: { country: "784", city: "Dubai" } }],
      }),
    );
    await make("zeta", {
      type: "ORGANIZATION",
      company: { legalName: "Zeta Holdings", shortName: "ZH", countryCode: "GB" },
      addresses: [
        { purpose: "office", address: { country: "GB", city: "Manchester" } },
        { purpose: "branch", address: { country: "GB", city: "Leeds" } },
      ],
    });
    // Matches most filters the others match, so that it proves archived customers are left out.
    await make(
      "dave",
      personInput("Dave", "Archer", {
        email: "dave@example.com",
        nickname: "Ally",
        tags: ["vip", "retail"],
        riskLevel: "LOW",
        manager: "mgr-1",
        addresses: [{ purpose: "home", address: { country: "GB", city: "London" } }],
      }),
    );

    // Archive, lifecycle and verification are not mutations yet: set them directly.
    await sqlRun(server, "update customers set status = 'ARCHIVED', archived_at = ? where id = ?", new Date().toISOString(), c.dave.id);
    await sqlRun(server, "update customers set status = 'ACTIVE', verification_status = 'VERIFIED', verification_level = 2 where id = ?", c.bob.id);
    await sqlRun(server, "update customers set status = 'DEACTIVATED' where id = ?", c.carol.id);
    await sqlRun(server, "update customers set verification_status = 'PENDING' where id = ?", c.acme.id);
    // createCustomer starts verification (PENDING); these stand for customers that never started it.
    await sqlRun(server, "update customers set verification_status = 'UNVERIFIED', verification_url = null where id in (?, ?, ?)", c.alice.id, c.carol.id, c.zeta.id);
    // Onboarding is not a mutation yet: alice is also an active member of org B, bob an inactive one.
    await insertMembership(server, c.alice.id, orgB.id, new Date().toISOString(), true);
    await insertMembership(server, c.bob.id, orgB.id, new Date().toISOString(), false);

    await sleep(10);
    updatedMark = new Date().toISOString();
    await sleep(10);
    const update = dataOf(await server.gql(UPDATE_CUSTOMER, { input: { id: c.bob.id, categorization: "gold" } }));
    assert.deepEqual(update.updateCustomer.userErrors, []);
    assert.ok(update.updateCustomer.customer.updatedAt > updatedMark);
  });
  after(() => server.close());

  test("no filter: every non-archived customer, oldest first", async () => {
    assert.deepEqual(await list({}), ["alice", "bob", "acme", "carol", "zeta"]);
  });

  test("includeArchived adds archived customers; includeArchived: false is the default", async () => {
    assert.deepEqual(await list({ filter: { includeArchived: true } }), ["alice", "bob", "acme", "carol", "zeta", "dave"]);
    assert.deepEqual(await list({ filter: { includeArchived: false } }), ["alice", "bob", "acme", "carol", "zeta"]);
    assert.deepEqual(await list({ filter: { tags: ["vip"], includeArchived: true } }), ["alice", "acme", "dave"]);
  });

  test("ids", async () => {
    assert.deepEqual(await list({ filter: { ids: [c.zeta.id, c.alice.id] } }), ["alice", "zeta"]);
    assert.deepEqual(await list({ filter: { ids: [c.bob.id] } }), ["bob"]);
    assert.deepEqual(await list({ filter: { ids: ["cus_01hzzzzzzzzzzzzzzzzzzzzzzz"] } }), []);
    assert.deepEqual(await list({ filter: { ids: [c.dave.id, c.carol.id] } }), ["carol"], "archived ids are left out");
    assert.deepEqual(await list({ filter: { ids: [c.dave.id, c.carol.id], includeArchived: true } }), ["carol", "dave"]);
  });

  test("email: exact and case-insensitive", async () => {
    assert.deepEqual(await list({ filter: { email: "alice@example.com" } }), ["alice"]);
    assert.deepEqual(await list({ filter: { email: "ALICE@example.COM" } }), ["alice"]);
    assert.deepEqual(await list({ filter: { email: "Bob@Example.org" } }), ["bob"]);
    assert.deepEqual(await list({ filter: { email: "alice" } }), [], "not a substring match");
    assert.deepEqual(await list({ filter: { email: "example.com" } }), []);
    assert.deepEqual(await list({ filter: { email: "dave@example.com" } }), []);
  });

  test("name: part of the display name, case-insensitive", async () => {
    assert.deepEqual(await list({ filter: { name: "BROWN" } }), ["bob"]);
    assert.deepEqual(await list({ filter: { name: "an" } }), ["alice"]);
    assert.deepEqual(await list({ filter: { name: "trading" } }), ["acme"]);
    assert.deepEqual(await list({ filter: { name: "ar" } }), ["carol"], "Dave Archer is archived");
    assert.deepEqual(await list({ filter: { name: "nobody" } }), []);
  });

  test("nickname: part of the nickname, case-insensitive", async () => {
    assert.deepEqual(await list({ filter: { nickname: "ALLY" } }), ["alice"]);
    assert.deepEqual(await list({ filter: { nickname: "bob" } }), ["bob"]);
    assert.deepEqual(await list({ filter: { nickname: "Carol" } }), [], "display name is not the nickname");
  });

  test("types", async () => {
    assert.deepEqual(await list({ filter: { types: ["ORGANIZATION"] } }), ["acme", "zeta"]);
    assert.deepEqual(await list({ filter: { types: ["PERSON"] } }), ["alice", "bob", "carol"]);
    assert.deepEqual(await list({ filter: { types: ["PERSON", "ORGANIZATION"] } }), ["alice", "bob", "acme", "carol", "zeta"]);
  });

  test("statuses; ARCHIVED listed in statuses includes archived customers", async () => {
    assert.deepEqual(await list({ filter: { statuses: ["NEW"] } }), ["alice", "acme", "zeta"]);
    assert.deepEqual(await list({ filter: { statuses: ["ACTIVE"] } }), ["bob"]);
    assert.deepEqual(await list({ filter: { statuses: ["ACTIVE", "DEACTIVATED"] } }), ["bob", "carol"]);
    assert.deepEqual(await list({ filter: { statuses: ["ARCHIVED"] } }), ["dave"]);
    assert.deepEqual(await list({ filter: { statuses: ["NEW", "ARCHIVED"] } }), ["alice", "acme", "zeta", "dave"]);
    assert.deepEqual(await list({ filter: { statuses: ["ACTIVE"], includeArchived: true } }), ["bob"]);
  });

  test("tags: customers with any of the tags", async () => {
    assert.deepEqual(await list({ filter: { tags: ["vip"] } }), ["alice", "acme"]);
    assert.deepEqual(await list({ filter: { tags: ["retail", "eu"] } }), ["alice", "bob"]);
    assert.deepEqual(await list({ filter: { tags: ["vip", "eu"] } }), ["alice", "acme"], "each customer once");
    assert.deepEqual(await list({ filter: { tags: ["vi"] } }), [], "whole tags only");
    assert.deepEqual(await list({ filter: { tags: ["none"] } }), []);
  });

  test("countryCodes: an address's country or the company's country, each customer once", async () => {
    assert.deepEqual(await list({ filter: { countryCodes: ["GB"] } }), ["alice", "zeta"]);
    assert.deepEqual(await list({ filter: { countryCodes: ["DE"] } }), ["acme"], "company country");
    assert.deepEqual(await list({ filter: { countryCodes: ["FR", "DE"] } }), ["bob", "acme"]);
    assert.deepEqual(await list({ filter: { countryCodes: ["AE"] } }), ["carol"], "address given as numeric 784");
    assert.deepEqual(await list({ filter: { countryCodes: ["US"] } }), []);
  });

  test("countryCodes accepts a numeric country code (CountryCode inputs accept e.g. \"784\")", async () => {
    assert.deepEqual(await list({ filter: { countryCodes: ["784"] } }), ["carol"]);
  });

  test("city: part of an address's city, case-insensitive", async () => {
    assert.deepEqual(await list({ filter: { city: "lon" } }), ["alice"]);
    assert.deepEqual(await list({ filter: { city: "MAN" } }), ["zeta"]);
    assert.deepEqual(await list({ filter: { city: "Leeds" } }), ["zeta"], "any of the addresses");
    assert.deepEqual(await list({ filter: { city: "e" } }), ["zeta"], "each customer once");
    assert.deepEqual(await list({ filter: { city: "dubai" } }), ["carol"]);
    assert.deepEqual(await list({ filter: { city: "Berlin" } }), []);
  });

  test("managers", async () => {
    assert.deepEqual(await list({ filter: { managers: ["mgr-1"] } }), ["alice", "acme"]);
    assert.deepEqual(await list({ filter: { managers: ["mgr-2", "mgr-x"] } }), ["bob"]);
    assert.deepEqual(await list({ filter: { managers: ["mgr"] } }), []);
  });

  test("riskLevels", async () => {
    assert.deepEqual(await list({ filter: { riskLevels: ["HIGH"] } }), ["bob"]);
    assert.deepEqual(await list({ filter: { riskLevels: ["LOW", "MEDIUM"] } }), ["alice", "acme"]);
  });

  test("verificationStatuses", async () => {
    assert.deepEqual(await list({ filter: { verificationStatuses: ["UNVERIFIED"] } }), ["alice", "carol", "zeta"]);
    assert.deepEqual(await list({ filter: { verificationStatuses: ["VERIFIED", "PENDING"] } }), ["bob", "acme"]);
    assert.deepEqual(await list({ filter: { verificationStatuses: ["REJECTED"] } }), []);
  });

  test("companyName: part of the legal or short name, case-insensitive", async () => {
    assert.deepEqual(await list({ filter: { companyName: "ACME" } }), ["acme"]);
    assert.deepEqual(await list({ filter: { companyName: "holdings" } }), ["zeta"], "legal name");
    assert.deepEqual(await list({ filter: { companyName: "zh" } }), ["zeta"], "short name");
    assert.deepEqual(await list({ filter: { companyName: "t" } }), ["acme", "zeta"]);
    assert.deepEqual(await list({ filter: { companyName: "alice" } }), [], "persons have no company");
  });

  test("organizationId: active memberships only", async () => {
    assert.deepEqual(await list({ filter: { organizationId: orgA.id } }), ["alice", "bob", "zeta"]);
    assert.deepEqual(await list({ filter: { organizationId: orgB.id } }), ["alice", "acme", "carol"]);
    assert.deepEqual(await list({ filter: { organizationId: "org_01hzzzzzzzzzzzzzzzzzzzzzzz" } }), []);
  });

  test("createdAfter (inclusive) and createdBefore (exclusive)", async () => {
    assert.deepEqual(await list({ filter: { createdAfter: c.acme.createdAt } }), ["acme", "carol", "zeta"]);
    assert.deepEqual(await list({ filter: { createdBefore: c.acme.createdAt } }), ["alice", "bob"]);
    assert.deepEqual(await list({ filter: { createdAfter: c.bob.createdAt, createdBefore: c.zeta.createdAt } }), ["bob", "acme", "carol"]);
    assert.deepEqual(await list({ filter: { createdAfter: "2999-01-01T00:00:00.000Z" } }), []);
    assert.deepEqual(await list({ filter: { createdBefore: "2000-01-01T00:00:00Z" } }), []);
  });

  test("updatedAfter (inclusive) and updatedBefore (exclusive)", async () => {
    assert.deepEqual(await list({ filter: { updatedAfter: updatedMark } }), ["bob"]);
    assert.deepEqual(await list({ filter: { updatedBefore: updatedMark } }), ["alice", "acme", "carol", "zeta"]);
    assert.deepEqual(await list({ filter: { updatedAfter: c.acme.createdAt, updatedBefore: updatedMark } }), ["acme", "carol", "zeta"]);
  });

  test("combinations: every condition must hold", async () => {
    assert.deepEqual(await list({ filter: { types: ["PERSON"], tags: ["vip", "retail"] } }), ["alice", "bob"]);
    assert.deepEqual(await list({ filter: { types: ["PERSON"], countryCodes: ["GB"], riskLevels: ["LOW"] } }), ["alice"]);
    assert.deepEqual(await list({ filter: { tags: ["vip"], organizationId: orgB.id } }), ["alice", "acme"]);
    assert.deepEqual(await list({ filter: { managers: ["mgr-1"], types: ["ORGANIZATION"], statuses: ["NEW"] } }), ["acme"]);
    assert.deepEqual(await list({ filter: { companyName: "acme", countryCodes: ["GB"] } }), []);
    assert.deepEqual(await list({ filter: { countryCodes: ["GB"], includeArchived: true, managers: ["mgr-1"] } }), ["alice", "dave"]);
    assert.deepEqual(
      await list({ filter: { verificationStatuses: ["UNVERIFIED"], createdAfter: c.bob.createdAt, types: ["PERSON"] } }),
      ["carol"],
    );
    assert.deepEqual(await list({ filter: { tags: ["vip"] }, search: "acme" }), ["acme"]);
  });

  test("totalCount counts the whole filtered set, not the page", async () => {
    const page = await customersPage(server, { first: 1, filter: { countryCodes: ["GB", "DE"] } });
    assert.deepEqual(page.nodes.map((n) => labels.get(n.id)), ["alice"]);
    assert.equal(page.totalCount, 3);
    assert.equal(page.pageInfo.hasNextPage, true);
    const all = await customersPage(server, { first: 2, filter: { includeArchived: true } });
    assert.equal(all.totalCount, 6);
  });
});

// ---------------------------------------------------------------------------------------------

describe("customers(search:)", () => {
  let server: TestServer;
  const c: Record<string, { id: string }> = {};
  const labels = new Map<string, string>();
  const list = lister(() => server, labels);
  const search = (term: string, extra: Record<string, unknown> = {}) => list({ search: term, ...extra });

  before(async () => {
    server = await startTestServer();
    await createOrganization(server, { name: "Search Org" });
    const make = async (key: string, input: Record<string, unknown>) => {
      c[key] = await createCustomer(server, input);
      labels.set(c[key].id, key);
      await sleep(2);
    };
    await make("hannah", personInput("Hannah", "Smith", { email: "hannah@mail.test", phone: "+44 20 7946 0958" }));
    await make("globex", {
      type: "ORGANIZATION",
      company: { legalName: "Globex Corporation", shortName: "GLX Widgets" },
      externalReference: "EXT-42",
    });
    await make("otto", personInput("Otto", "Other", { phone: "+1 202 456 1111", email: "otto@elsewhere.test" }));
    await make("percent", personInput("Percy", "Cent", { externalReference: "50%off" }));
    await make("percentDecoy", personInput("Paula", "Decoy", { externalReference: "50 and off" }));
    await make("underscore", personInput("Uma", "Under", { externalReference: "ref_1" }));
    await make("underscoreDecoy", personInput("Ulla", "Decoy", { externalReference: "refx1" }));
    await make("backslash", personInput("Bea", "Back", { externalReference: "a\\b" }));
    await make("archived", personInput("Hannah", "Archived"));
    await sqlRun(server, "update customers set status = 'ARCHIVED' where id = ?", c.archived.id);
  });
  after(() => server.close());

  test("display name, case-insensitive; archived customers left out unless included", async () => {
    assert.deepEqual(await search("hannah"), ["hannah"]);
    assert.deepEqual(await search("SMITH"), ["hannah"]);
    assert.deepEqual(await search("hAnNaH sMiTh"), ["hannah"]);
    assert.deepEqual(await search("hannah", { filter: { includeArchived: true } }), ["hannah", "archived"]);
  });

  test("email", async () => {
    assert.deepEqual(await search("hannah@mail.test"), ["hannah"]);
    assert.deepEqual(await search("MAIL.TEST"), ["hannah"]);
    assert.deepEqual(await search("@elsewhere"), ["otto"]);
  });

  test("phone: E.164, with spaces, and digits only", async () => {
    assert.deepEqual(await search("+442079460958"), ["hannah"]);
    assert.deepEqual(await search("+44 20 7946"), ["hannah"]);
    assert.deepEqual(await search("+44 20 7946 0958"), ["hannah"]);
    assert.deepEqual(await search("442079460958"), ["hannah"]);
    assert.deepEqual(await search("2079460958"), ["hannah"]);
    assert.deepEqual(await search("7946 0958"), ["hannah"]);
    assert.deepEqual(await search("202 456"), ["otto"]);
    assert.deepEqual(await search("+1 202-456-1111"), ["otto"]);
    assert.deepEqual(await search("+44 20 7946 9999"), []);
  });

  test("company legal name and short name", async () => {
    assert.deepEqual(await search("globex corp"), ["globex"]);
    assert.deepEqual(await search("CORPORATION"), ["globex"]);
    assert.deepEqual(await search("glx widg"), ["globex"]);
  });

  test("external reference", async () => {
    assert.deepEqual(await search("EXT-42"), ["globex"]);
    assert.deepEqual(await search("ext-4"), ["globex"]);
  });

  test("LIKE wildcards % and _ (and the escape character) match literally", async () => {
    assert.deepEqual(await search("50%off"), ["percent"]);
    assert.deepEqual(await search("%"), ["percent"]);
    assert.deepEqual(await search("ref_1"), ["underscore"]);
    assert.deepEqual(await search("_"), ["underscore"]);
    assert.deepEqual(await search("a\\b"), ["backslash"]);
    assert.deepEqual(await search("\\"), ["backslash"]);
  });

  test("no match is an empty connection", async () => {
    const conn = await customersPage(server, { search: "zzz-no-such-customer" });
    assert.deepEqual(conn.nodes, []);
    assert.equal(conn.totalCount, 0);
    assert.deepEqual(conn.pageInfo, { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });

  test("blank search matches everyone; surrounding spaces are ignored", async () => {
    assert.equal((await search("")).length, 8);
    assert.equal((await search("   ")).length, 8);
    assert.deepEqual(await search("  hannah  "), ["hannah"]);
  });

  test("search combines with filter, ordering and pagination", async () => {
    assert.deepEqual(await search("decoy"), ["percentDecoy", "underscoreDecoy"]);
    assert.deepEqual(await search("decoy", { filter: { ids: [c.underscoreDecoy.id, c.hannah.id] } }), ["underscoreDecoy"]);
    assert.deepEqual(await search("decoy", { orderBy: { field: "DISPLAY_NAME", direction: "DESC" } }), ["underscoreDecoy", "percentDecoy"]);
    assert.deepEqual(await search("o", { filter: { types: ["ORGANIZATION"] } }), ["globex"]);
    const first = await customersPage(server, { search: "decoy", first: 1 });
    assert.deepEqual(first.nodes.map((n) => labels.get(n.id)), ["percentDecoy"]);
    assert.equal(first.totalCount, 2);
    assert.equal(first.pageInfo.hasNextPage, true);
    const second = await customersPage(server, { search: "decoy", first: 1, after: first.pageInfo.endCursor });
    assert.deepEqual(second.nodes.map((n) => labels.get(n.id)), ["underscoreDecoy"]);
    assert.equal(second.totalCount, 2);
    assert.equal(second.pageInfo.hasNextPage, false);
    assert.equal(second.pageInfo.hasPreviousPage, true);
  });

  // Runs last in this block: it changes a customer.
  test("search and filters see a customer's changed email, phone and name", async () => {
    const update = dataOf(
      await server.gql(UPDATE_CUSTOMER, {
        input: { id: c.otto.id, email: "otto.new@fresh.test", phone: "+33 1 42 68 53 00", person: { firstName: { name: "Ottokar" } } },
      }),
    );
    assert.deepEqual(update.updateCustomer.userErrors, []);
    assert.deepEqual(await search("fresh.test"), ["otto"]);
    assert.deepEqual(await search("elsewhere"), [], "the old email no longer matches");
    assert.deepEqual(await search("+33 1 42 68"), ["otto"]);
    assert.deepEqual(await search("202 456"), [], "the old phone no longer matches");
    assert.deepEqual(await search("ottokar other"), ["otto"]);
    assert.deepEqual(await list({ filter: { email: "OTTO.NEW@fresh.test" } }), ["otto"]);
    assert.deepEqual(await list({ filter: { name: "ottokar" } }), ["otto"]);
  });
});

describe("case-insensitive matching beyond ASCII", () => {
  let server: TestServer;
  const labels = new Map<string, string>();
  const list = lister(() => server, labels);

  before(async () => {
    server = await startTestServer();
    await createOrganization(server, { name: "Unicode Org" });
    const emile = await createCustomer(
      server,
      personInput("Émile", "Zola", { nickname: "Élan", addresses: [{ purpose: "home", address: { country: "SE", city: "Östersund" } }] }),
    );
    labels.set(emile.id, "emile");
    const oel = await createCustomer(server, { type: "ORGANIZATION", company: { legalName: "Ölwerke Süd GmbH", shortName: "ÖWS" } });
    labels.set(oel.id, "oel");
    const plain = await createCustomer(server, personInput("Emma", "Stone", { addresses: [{ purpose: "home", address: { country: "SE", city: "Ostersund" } }] }));
    labels.set(plain.id, "plain");
  });
  after(() => server.close());

  test("search", async () => {
    assert.deepEqual(await list({ search: "Émile" }), ["emile"]);
    assert.deepEqual(await list({ search: "ÉMILE" }), ["emile"]);
    assert.deepEqual(await list({ search: "ölwerke süd" }), ["oel"]);
  });

  test("filter.name, as written and in another case", async () => {
    assert.deepEqual(await list({ filter: { name: "Émile" } }), ["emile"]);
    assert.deepEqual(await list({ filter: { name: "émile zola" } }), ["emile"]);
    assert.deepEqual(await list({ filter: { name: "ÖLWERKE" } }), ["oel"]);
  });

  test("filter.nickname", async () => {
    assert.deepEqual(await list({ filter: { nickname: "Élan" } }), ["emile"]);
    assert.deepEqual(await list({ filter: { nickname: "élan" } }), ["emile"]);
  });

  test("filter.city", async () => {
    assert.deepEqual(await list({ filter: { city: "Östersund" } }), ["emile"]);
    assert.deepEqual(await list({ filter: { city: "ÖSTERSUND" } }), ["emile"]);
    assert.deepEqual(await list({ filter: { city: "östersund" } }), ["emile"]);
  });

  test("filter.companyName", async () => {
    assert.deepEqual(await list({ filter: { companyName: "Ölwerke" } }), ["oel"]);
    assert.deepEqual(await list({ filter: { companyName: "öws" } }), ["oel"]);
  });
});

// ---------------------------------------------------------------------------------------------

describe("customers(orderBy:)", () => {
  let server: TestServer;
  const c: Record<string, { id: string }> = {};
  const labels = new Map<string, string>();
  const list = lister(() => server, labels);

  // Created in this order, 1 ms or more apart; o3 then o1 are updated afterwards.
  const EXPECTED: Record<string, string[]> = {
    CREATED_AT: ["o1", "o2", "o3", "o4", "o5", "o6"],
    UPDATED_AT: ["o2", "o4", "o5", "o6", "o3", "o1"],
    // Case-insensitive; "Alpha One" and "alpha one" tie and are ordered by id.
    DISPLAY_NAME: ["o2", "o4", "o1", "o3", "o5", "o6"],
    // No email sorts first ascending; o2 and o6 tie and are ordered by id.
    EMAIL: ["o2", "o6", "o3", "o5", "o4", "o1"],
  };

  before(async () => {
    server = await startTestServer();
    await createOrganization(server, { name: "Order Org" });
    const make = async (key: string, first: string, last: string | null, email?: string) => {
      const input = last ? personInput(first, last, email ? { email } : {}) : { type: "PERSON", person: { firstName: { name: first } }, ...(email ? { email } : {}) };
      c[key] = await createCustomer(server, input);
      labels.set(c[key].id, key);
      await sleep(4);
    };
    await make("o1", "bravo", "Two", "delta@x.test");
    await make("o2", "Alpha", "One");
    await make("o3", "charlie", null, "alpha@x.test");
    await make("o4", "alpha", "one", "Charlie@x.test");
    await make("o5", "Echo", null, "bravo@x.test");
    await make("o6", "Foxtrot", null);
    for (const key of ["o3", "o1"]) {
      const update = dataOf(await server.gql(UPDATE_CUSTOMER, { input: { id: c[key].id, categorization: "updated" } }));
      assert.deepEqual(update.updateCustomer.userErrors, []);
      await sleep(4);
    }
  });
  after(() => server.close());

  test("default order is CREATED_AT ascending", async () => {
    assert.deepEqual(await list({}), EXPECTED.CREATED_AT);
    assert.deepEqual(await list({ orderBy: { field: "CREATED_AT", direction: "ASC" } }), EXPECTED.CREATED_AT);
  });

  for (const field of Object.keys(EXPECTED)) {
    test(`${field} ASC and DESC, ties broken by id`, async () => {
      assert.deepEqual(await list({ orderBy: { field, direction: "ASC" } }), EXPECTED[field]);
      assert.deepEqual(await list({ orderBy: { field, direction: "DESC" } }), [...EXPECTED[field]].reverse());
    });

    test(`${field}: paging forward and backward two at a time follows the same order`, async () => {
      for (const direction of ["ASC", "DESC"]) {
        const orderBy = { field, direction };
        const expected = direction === "ASC" ? EXPECTED[field] : [...EXPECTED[field]].reverse();
        const forward: string[] = [];
        let after: string | null = null;
        for (let i = 0; i < 10; i++) {
          const page: Connection = await customersPage(server, { orderBy, first: 2, after });
          forward.push(...page.nodes.map((n) => labels.get(n.id)!));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        assert.deepEqual(forward, expected, `forward ${direction}`);
        const backward: string[] = [];
        let before: string | null = null;
        for (let i = 0; i < 10; i++) {
          const page: Connection = await customersPage(server, { orderBy, last: 2, before });
          backward.unshift(...page.nodes.map((n) => labels.get(n.id)!));
          if (!page.pageInfo.hasPreviousPage) break;
          before = page.pageInfo.startCursor;
        }
        assert.deepEqual(backward, expected, `backward ${direction}`);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe("customers: Relay pagination", () => {
  let server: TestServer;
  const all: string[] = []; // ids, oldest first

  before(async () => {
    server = await startTestServer();
    await createOrganization(server, { name: "Paging Org" });
    for (let i = 1; i <= 25; i++) {
      const n = String(i).padStart(2, "0");
      all.push((await createCustomer(server, personInput("Customer", n))).id);
    }
  });
  after(() => server.close());

  const idsOf = (conn: Connection) => conn.nodes.map((n) => n.id);

  test("default page size is 20", async () => {
    const page = await customersPage(server, {});
    assert.deepEqual(idsOf(page), all.slice(0, 20));
    assert.equal(page.totalCount, 25);
    assert.equal(page.pageInfo.hasNextPage, true);
    assert.equal(page.pageInfo.hasPreviousPage, false);
  });

  test("first/after walks forward and yields every customer exactly once", async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Connection = await customersPage(server, { first: 7, after });
      pages++;
      seen.push(...idsOf(page));
      sizes.push(page.nodes.length);
      assert.equal(page.totalCount, 25, "totalCount does not depend on the page");
      assert.equal(page.pageInfo.hasPreviousPage, after !== null);
      if (!page.pageInfo.hasNextPage) break;
      assert.ok(pages < 10, "the walk ends");
      after = page.pageInfo.endCursor;
    }
    assert.deepEqual(sizes, [7, 7, 7, 4]);
    assert.deepEqual(seen, all);
  });

  test("last/before walks backward and yields every customer exactly once", async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let before: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Connection = await customersPage(server, { last: 7, before });
      pages++;
      seen.unshift(...idsOf(page));
      sizes.push(page.nodes.length);
      assert.equal(page.totalCount, 25);
      assert.equal(page.pageInfo.hasNextPage, before !== null);
      if (!page.pageInfo.hasPreviousPage) break;
      assert.ok(pages < 10, "the walk ends");
      before = page.pageInfo.startCursor;
    }
    assert.deepEqual(sizes, [7, 7, 7, 4]);
    assert.deepEqual(seen, all);
  });

  test("last without before is the end of the list", async () => {
    const page = await customersPage(server, { last: 3 });
    assert.deepEqual(idsOf(page), all.slice(22));
    assert.equal(page.pageInfo.hasPreviousPage, true);
    assert.equal(page.pageInfo.hasNextPage, false);
  });

  test("pageInfo and cursors of a middle page", async () => {
    const first = await customersPage(server, { first: 5 });
    assert.deepEqual(idsOf(first), all.slice(0, 5));
    assert.deepEqual(
      { hasNextPage: first.pageInfo.hasNextPage, hasPreviousPage: first.pageInfo.hasPreviousPage },
      { hasNextPage: true, hasPreviousPage: false },
    );
    const middle = await customersPage(server, { first: 5, after: first.edges[2].cursor });
    assert.deepEqual(idsOf(middle), all.slice(3, 8), "after an edge's cursor starts right after that edge");
    assert.equal(middle.pageInfo.hasNextPage, true);
    assert.equal(middle.pageInfo.hasPreviousPage, true);
    const back = await customersPage(server, { last: 2, before: middle.pageInfo.startCursor });
    assert.deepEqual(idsOf(back), all.slice(1, 3));
    assert.equal(back.pageInfo.hasPreviousPage, true);
    const exact = await customersPage(server, { first: 5, after: first.edges[4].cursor });
    assert.deepEqual(idsOf(exact), all.slice(5, 10));
    const lastPage = await customersPage(server, { first: 5, after: exact.edges.at(-1)!.cursor });
    assert.deepEqual(idsOf(lastPage), all.slice(10, 15));
    const end = await customersPage(server, { first: 10, after: lastPage.pageInfo.endCursor });
    assert.deepEqual(idsOf(end), all.slice(15, 25));
    assert.equal(end.pageInfo.hasNextPage, false, "exactly the rest: no next page");
    const beyond = await customersPage(server, { first: 10, after: end.pageInfo.endCursor });
    assert.deepEqual(idsOf(beyond), []);
    assert.equal(beyond.pageInfo.hasNextPage, false);
    assert.equal(beyond.pageInfo.startCursor, null);
    assert.equal(beyond.pageInfo.endCursor, null);
    assert.equal(beyond.totalCount, 25);
  });

  test("after and before together bound a window", async () => {
    const page = await customersPage(server, { first: 100 });
    const window = await customersPage(server, { first: 100, after: page.edges[2].cursor, before: page.edges[9].cursor });
    assert.deepEqual(idsOf(window), all.slice(3, 9));
  });

  test("before without first/last: the 20 customers right before the cursor", async () => {
    const page = await customersPage(server, { first: 100 });
    const back = await customersPage(server, { before: page.edges[24].cursor });
    assert.deepEqual(idsOf(back), all.slice(4, 24));
    assert.equal(back.pageInfo.hasPreviousPage, true);
  });

  test("first: 100 is allowed; first: 0 is an empty page", async () => {
    const page = await customersPage(server, { first: 100 });
    assert.deepEqual(idsOf(page), all);
    assert.equal(page.pageInfo.hasNextPage, false);
    const empty = await customersPage(server, { first: 0 });
    assert.deepEqual(idsOf(empty), []);
    assert.equal(empty.totalCount, 25);
  });

  test("first: 101 and last: 101 are BAD_USER_INPUT, not clamped", async () => {
    expectError(await server.gql(CUSTOMERS, { first: 101 }), "BAD_USER_INPUT", "customers");
    expectError(await server.gql(CUSTOMERS, { last: 101 }), "BAD_USER_INPUT", "customers");
    expectError(await server.gql(CUSTOMERS, { first: 1000, filter: { types: ["PERSON"] } }), "BAD_USER_INPUT", "customers");
  });

  test("negative first/last are BAD_USER_INPUT", async () => {
    expectError(await server.gql(CUSTOMERS, { first: -1 }), "BAD_USER_INPUT", "customers");
    expectError(await server.gql(CUSTOMERS, { last: -5 }), "BAD_USER_INPUT", "customers");
  });

  test("first and last together are BAD_USER_INPUT", async () => {
    expectError(await server.gql(CUSTOMERS, { first: 5, last: 5 }), "BAD_USER_INPUT", "customers");
  });

  test("a garbage cursor is BAD_USER_INPUT", async () => {
    for (const cursor of ["garbage", "!!!", encode(["CREATED_AT:ASC"]), encode({ a: 1 }), encode(["CREATED_AT:ASC", null, null]), encode("x")]) {
      expectError(await server.gql(CUSTOMERS, { first: 5, after: cursor }), "BAD_USER_INPUT", "customers");
      expectError(await server.gql(CUSTOMERS, { last: 5, before: cursor }), "BAD_USER_INPUT", "customers");
    }
  });

  test("a cursor from another ordering is BAD_USER_INPUT", async () => {
    const byName = await customersPage(server, { first: 2, orderBy: { field: "DISPLAY_NAME", direction: "ASC" } });
    const cursor = byName.pageInfo.endCursor;
    expectError(await server.gql(CUSTOMERS, { first: 2, after: cursor }), "BAD_USER_INPUT", "customers");
    expectError(
      await server.gql(CUSTOMERS, { first: 2, after: cursor, orderBy: { field: "DISPLAY_NAME", direction: "DESC" } }),
      "BAD_USER_INPUT",
      "customers",
    );
    expectError(
      await server.gql(CUSTOMERS, { first: 2, after: cursor, orderBy: { field: "EMAIL", direction: "ASC" } }),
      "BAD_USER_INPUT",
      "customers",
    );
    const byCreated = await customersPage(server, { first: 2 });
    expectError(
      await server.gql(CUSTOMERS, { last: 2, before: byCreated.pageInfo.startCursor, orderBy: { field: "CREATED_AT", direction: "DESC" } }),
      "BAD_USER_INPUT",
      "customers",
    );
    expectError(
      await server.gql(CUSTOMERS, { first: 2, after: byCreated.pageInfo.endCursor, orderBy: { field: "UPDATED_AT", direction: "ASC" } }),
      "BAD_USER_INPUT",
      "customers",
    );
    // The same ordering spelled explicitly is the same ordering.
    const same = await customersPage(server, { first: 2, after: byCreated.pageInfo.endCursor, orderBy: { field: "CREATED_AT", direction: "ASC" } });
    assert.deepEqual(idsOf(same), all.slice(2, 4));
  });
});

// ---------------------------------------------------------------------------------------------

describe("customers: cursors are keyset positions", () => {
  let server: TestServer;
  const labels = new Map<string, string>();
  const byName = { field: "DISPLAY_NAME", direction: "ASC" };
  const add = async (last: string) => {
    const customer = await createCustomer(server, personInput("Customer", last));
    labels.set(customer.id, last);
    return customer.id as string;
  };
  const labelsOf = (conn: Connection) => conn.nodes.map((n) => labels.get(n.id) ?? n.id);

  before(async () => {
    server = await startTestServer();
    await createOrganization(server, { name: "Keyset Org" });
    for (const n of ["02", "04", "06", "08", "10", "12", "14", "16"]) await add(n);
  });
  after(() => server.close());

  test("inserting customers before and after a cursor neither skips nor repeats", async () => {
    const page1 = await customersPage(server, { first: 3, orderBy: byName });
    assert.deepEqual(labelsOf(page1), ["02", "04", "06"]);
    const cursor = page1.pageInfo.endCursor;

    await add("01"); // sorts before the cursor
    await add("03"); // sorts before the cursor
    await add("07"); // sorts right after the cursor
    await add("99"); // sorts at the end

    const page2 = await customersPage(server, { first: 3, after: cursor, orderBy: byName });
    assert.deepEqual(labelsOf(page2), ["07", "08", "10"], "continues right after 06, picking up 07");
    assert.equal(page2.totalCount, 12);
    assert.equal(page2.pageInfo.hasPreviousPage, true);
    const rest = await customersPage(server, { first: 10, after: page2.pageInfo.endCursor, orderBy: byName });
    assert.deepEqual(labelsOf(rest), ["12", "14", "16", "99"]);

    // Backward from the same cursor sees the customers inserted before it.
    const back = await customersPage(server, { last: 10, before: cursor, orderBy: byName });
    assert.deepEqual(labelsOf(back), ["01", "02", "03", "04"]);
  });

  test("a CREATED_AT cursor stays valid while newer customers are added", async () => {
    const page1 = await customersPage(server, { first: 4 });
    assert.deepEqual(labelsOf(page1), ["02", "04", "06", "08"]);
    await add("50");
    const page2 = await customersPage(server, { first: 100, after: page1.pageInfo.endCursor });
    assert.deepEqual(labelsOf(page2), ["10", "12", "14", "16", "01", "03", "07", "99", "50"]);
  });

  test("a cursor stays valid after its own customer is archived", async () => {
    const page1 = await customersPage(server, { first: 2, orderBy: byName });
    assert.deepEqual(labelsOf(page1), ["01", "02"]);
    await sqlRun(server, "update customers set status = 'ARCHIVED' where id = ?", page1.nodes[1].id);
    const page2 = await customersPage(server, { first: 2, after: page1.pageInfo.endCursor, orderBy: byName });
    assert.deepEqual(labelsOf(page2), ["03", "04"]);
    const back = await customersPage(server, { last: 5, before: page2.pageInfo.startCursor, orderBy: byName });
    assert.deepEqual(labelsOf(back), ["01"]);
    assert.equal(back.pageInfo.hasPreviousPage, false);
  });
});

// ---------------------------------------------------------------------------------------------

describe("single lookups, node and nodes, organizations", () => {
  let server: TestServer;
  let orgA: { id: string; name: string };
  let orgB: { id: string; name: string };
  let orgC: { id: string; name: string };
  let alice: any;
  let acme: any;
  let bOnly: any;
  let bShared: any;
  let bArchived: any;
  let erased: any;
  let eventId = "";
  let erasedEventId = "";
  const UNKNOWN = {
    customer: "cus_01hzzzzzzzzzzzzzzzzzzzzzzz",
    organization: "org_01hzzzzzzzzzzzzzzzzzzzzzzz",
    address: "adr_01hzzzzzzzzzzzzzzzzzzzzzzz",
    document: "doc_01hzzzzzzzzzzzzzzzzzzzzzzz",
    event: "evt_01hzzzzzzzzzzzzzzzzzzzzzzz",
    webhook: "whk_01hzzzzzzzzzzzzzzzzzzzzzzz",
  };

  before(async () => {
    server = await startTestServer();
    orgA = await createOrganization(server, { name: "Org A", legalName: "Org A Ltd", countryCode: "GB" });
    orgB = await createOrganization(server, { name: "Org B", parentId: orgA.id });
    orgC = await createOrganization(server, { name: "Org C", parentId: orgB.id });
    alice = await createCustomer(
      server,
      personInput("Alice", "Anderson", {
        externalReference: "SHARED-1",
        addresses: [{ purpose: "home", address: { country: "GB", city: "London" } }],
        documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "alice-passport.pdf" }],
      }),
    );
    acme = await createCustomer(server, {
      type: "ORGANIZATION",
      company: { legalName: "Acme Ltd", countryCode: "DE" },
      externalReference: "ACME",
      tags: ["key-account", "eu"],
    });
    bShared = await createCustomer(server, personInput("Bea", "Shared", { organizationId: orgB.id, externalReference: "SHARED-1" }));
    bOnly = await createCustomer(server, personInput("Ben", "Only", { organizationId: orgB.id, externalReference: "ONLY-B" }));
    await createCustomer(server, { type: "ORGANIZATION", organizationId: orgB.id, company: { legalName: "B Corp" } });
    bArchived = await createCustomer(server, personInput("Bo", "Archived", { organizationId: orgB.id }));
    await sqlRun(server, "update customers set status = 'ARCHIVED' where id = ?", bArchived.id);
    // Onboarding is not a mutation yet: acme is also an active member of org C, Bea an inactive one.
    await insertMembership(server, acme.id, orgC.id, new Date().toISOString(), true);
    await insertMembership(server, bShared.id, orgC.id, new Date().toISOString(), false);
    // Erasure is not a mutation yet: erase one customer of org C directly (a tombstone stays).
    erased = await createCustomer(server, personInput("Eve", "Erased", { organizationId: orgC.id, externalReference: "ERASED-1" }));
    erasedEventId = (await sqlGet<{ id: string }>(server, "select id from customer_events where customer_id = ?", erased.id))!.id;
    await sqlRun(server, "update customers set erased_at = ? where id = ?", new Date().toISOString(), erased.id);
    const events = dataOf(await server.gql(`query ($id: ID!) { customer(id: $id) { events { nodes { id type } } } }`, { id: alice.id }));
    assert.deepEqual(events.customer.events.nodes.map((e: { type: string }) => e.type), ["CREATED"]);
    eventId = events.customer.events.nodes[0].id;
  });
  after(() => server.close());

  test("customer(id) returns the customer; unknown, garbage and other-kind ids give null", async () => {
    const q = `query ($id: ID!) { customer(id: $id) { id displayName type status externalReference company { legalName } } }`;
    assert.deepEqual(dataOf(await server.gql(q, { id: alice.id })).customer, {
      id: alice.id,
      displayName: "Alice Anderson",
      type: "PERSON",
      status: "NEW",
      externalReference: "SHARED-1",
      company: null,
    });
    assert.deepEqual(dataOf(await server.gql(q, { id: acme.id })).customer.company, { legalName: "Acme Ltd" });
    for (const id of [UNKNOWN.customer, "garbage", "", orgA.id, alice.addresses[0].id]) {
      const res = await server.gql(q, { id });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.equal(res.data.customer, null, `customer(${id}) is null`);
    }
  });

  test("customer(id) still reads an archived customer", async () => {
    const data = dataOf(await server.gql(`query ($id: ID!) { customer(id: $id) { id status } }`, { id: bArchived.id }));
    assert.deepEqual(data.customer, { id: bArchived.id, status: "ARCHIVED" });
  });

  test("customerByExternalReference: the caller's organization by default, or the one named", async () => {
    const q = `query ($ref: String!, $org: ID) { customerByExternalReference(externalReference: $ref, organizationId: $org) { id } }`;
    const find = async (ref: string, org?: string) =>
      dataOf(await server.gql(q, { ref, org })).customerByExternalReference?.id ?? null;
    assert.equal(await find("SHARED-1"), alice.id, "the caller acts for the oldest organization (A)");
    assert.equal(await find("ACME"), acme.id);
    assert.equal(await find("SHARED-1", orgB.id), bShared.id);
    assert.equal(await find("ONLY-B", orgB.id), bOnly.id);
    assert.equal(await find("ONLY-B"), null, "another organization's reference is not the caller's");
    assert.equal(await find("NOPE"), null);
    assert.equal(await find("shared-1"), null, "references are exact");
    assert.equal(await find("ACME", orgC.id), null);
  });

  test("node(id) resolves customers, organizations, addresses, documents and events with __typename", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!) {
        node(id: $id) {
          __typename id
          ... on Customer { displayName }
          ... on Organization { name }
          ... on CustomerAddress { purpose address { city country } }
          ... on Document { name status }
          ... on CustomerEvent { type customerId customer { id } }
        }
      }
    `;
    const node = async (id: string) => dataOf(await server.gql(q, { id })).node;
    assert.deepEqual(await node(alice.id), { __typename: "Customer", id: alice.id, displayName: "Alice Anderson" });
    assert.deepEqual(await node(orgB.id), { __typename: "Organization", id: orgB.id, name: "Org B" });
    const addressId = alice.addresses[0].id;
    assert.match(addressId, /^adr_/);
    assert.deepEqual(await node(addressId), {
      __typename: "CustomerAddress",
      id: addressId,
      purpose: "home",
      address: { city: "London", country: "GB" },
    });
    const documentId = alice.documents.nodes[0].id;
    assert.match(documentId, /^doc_/);
    assert.deepEqual(await node(documentId), { __typename: "Document", id: documentId, name: "alice-passport.pdf", status: "PENDING" });
    assert.match(eventId, /^evt_/);
    assert.deepEqual(await node(eventId), {
      __typename: "CustomerEvent",
      id: eventId,
      type: "CREATED",
      customerId: alice.id,
      customer: { id: alice.id },
    });
  });

  test("node(id) is null for unknown and garbage ids", async () => {
    const q = `query ($id: ID!) { node(id: $id) { __typename id } }`;
    for (const id of [...Object.values(UNKNOWN), "garbage", "cus_", "cus_!!", alice.id.toUpperCase(), ""]) {
      const res = await server.gql(q, { id });
      assert.equal(res.errors, undefined, `${id}: ${JSON.stringify(res.errors)}`);
      assert.equal(res.data.node, null, `node(${id}) is null`);
    }
  });

  test("nodes(ids) keeps the order asked, with null for each id with no object", async () => {
    const q = `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;
    const ids = [
      orgA.id,
      UNKNOWN.customer,
      alice.id,
      "garbage",
      alice.addresses[0].id,
      UNKNOWN.document,
      alice.documents.nodes[0].id,
      eventId,
      UNKNOWN.event,
      acme.id,
      alice.id,
    ];
    const data = dataOf(await server.gql(q, { ids }));
    assert.deepEqual(data.nodes, [
      { __typename: "Organization", id: orgA.id },
      null,
      { __typename: "Customer", id: alice.id },
      null,
      { __typename: "CustomerAddress", id: alice.addresses[0].id },
      null,
      { __typename: "Document", id: alice.documents.nodes[0].id },
      { __typename: "CustomerEvent", id: eventId },
      null,
      { __typename: "Customer", id: acme.id },
      { __typename: "Customer", id: alice.id },
    ]);
    assert.deepEqual(dataOf(await server.gql(q, { ids: [] })).nodes, []);
  });

  test("nodes(ids) takes at most 100 ids", async () => {
    const q = `query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    const hundred = Array.from({ length: 100 }, () => alice.id);
    assert.equal(dataOf(await server.gql(q, { ids: hundred })).nodes.length, 100);
    expectError(await server.gql(q, { ids: [...hundred, acme.id] }), "BAD_USER_INPUT", "nodes");
  });

  test("an erased customer is gone from every read; its events stay with customer: null", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!, $evt: ID!, $org: ID) {
        customer(id: $id) { id }
        node(id: $id) { id }
        byRef: customerByExternalReference(externalReference: "ERASED-1", organizationId: $org) { id }
        customers(filter: { ids: [$id], includeArchived: true }) { totalCount nodes { id } }
        event: node(id: $evt) { id ... on CustomerEvent { type customerId customer { id } } }
      }
    `;
    const data = dataOf(await server.gql(q, { id: erased.id, evt: erasedEventId, org: orgC.id }));
    assert.deepEqual(data, {
      customer: null,
      node: null,
      byRef: null,
      customers: { totalCount: 0, nodes: [] },
      event: { id: erasedEventId, type: "CREATED", customerId: erased.id, customer: null },
    });
    const org = dataOf(
      await server.gql(`query ($id: ID!) { organization(id: $id) { customers(filter: { includeArchived: true }) { totalCount nodes { id } } } }`, {
        id: orgC.id,
      }),
    );
    assert.deepEqual(org.organization.customers, { totalCount: 1, nodes: [{ id: acme.id }] }, "only acme; the erased customer is gone");
  });

  test("organization(id) with parent chain; unknown is null", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!) {
        organization(id: $id) { id name legalName countryCode parent { id name parent { id parent { id } } } }
      }
    `;
    assert.deepEqual(dataOf(await server.gql(q, { id: orgC.id })).organization, {
      id: orgC.id,
      name: "Org C",
      legalName: null,
      countryCode: null,
      parent: { id: orgB.id, name: "Org B", parent: { id: orgA.id, parent: null } },
    });
    assert.deepEqual(dataOf(await server.gql(q, { id: orgA.id })).organization, {
      id: orgA.id,
      name: "Org A",
      legalName: "Org A Ltd",
      countryCode: "GB",
      parent: null,
    });
    assert.equal(dataOf(await server.gql(q, { id: UNKNOWN.organization })).organization, null);
    assert.equal(dataOf(await server.gql(q, { id: alice.id })).organization, null);
  });

  test("organizations: paginated, oldest first", async () => {
    const q = /* GraphQL */ `
      query ($first: Int, $after: String, $last: Int, $before: String) {
        organizations(first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} }
      }
    `;
    const page1 = dataOf(await server.gql(q, { first: 2 })).organizations as Connection;
    assert.deepEqual(page1.nodes.map((n) => n.id), [orgA.id, orgB.id]);
    assert.equal(page1.totalCount, 3);
    assert.equal(page1.pageInfo.hasNextPage, true);
    assert.equal(page1.pageInfo.hasPreviousPage, false);
    assert.equal(page1.pageInfo.endCursor, page1.edges[1].cursor);
    const page2 = dataOf(await server.gql(q, { first: 2, after: page1.pageInfo.endCursor })).organizations as Connection;
    assert.deepEqual(page2.nodes.map((n) => n.id), [orgC.id]);
    assert.equal(page2.totalCount, 3);
    assert.equal(page2.pageInfo.hasNextPage, false);
    assert.equal(page2.pageInfo.hasPreviousPage, true);
    const last = dataOf(await server.gql(q, { last: 2 })).organizations as Connection;
    assert.deepEqual(last.nodes.map((n) => n.id), [orgB.id, orgC.id]);
    assert.equal(last.pageInfo.hasPreviousPage, true);
    const all = dataOf(await server.gql(q, {})).organizations as Connection;
    assert.deepEqual(all.nodes.map((n) => n.id), [orgA.id, orgB.id, orgC.id]);
    expectError(await server.gql(q, { first: 101 }), "BAD_USER_INPUT", "organizations");
    expectError(await server.gql(q, { first: 1, after: "garbage" }), "BAD_USER_INPUT", "organizations");
  });

  test("Organization.customers: a connection of its members, with filter and paging", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!, $first: Int, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
        organization(id: $id) { customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { ${CONNECTION} nodes { displayName } } }
      }
    `;
    const page = async (variables: Record<string, unknown>) =>
      dataOf(await server.gql(q, variables)).organization.customers as Connection & { nodes: { id: string; displayName: string }[] };
    const names = (conn: { nodes: { displayName: string }[] }) => conn.nodes.map((n) => n.displayName);

    const first = await page({ id: orgB.id, first: 2 });
    assert.deepEqual(names(first), ["Bea Shared", "Ben Only"]);
    assert.equal(first.totalCount, 3);
    assert.equal(first.pageInfo.hasNextPage, true);
    const second = await page({ id: orgB.id, first: 2, after: first.pageInfo.endCursor });
    assert.deepEqual(names(second), ["B Corp"]);
    assert.equal(second.pageInfo.hasNextPage, false);
    assert.equal(second.totalCount, 3);

    const companies = await page({ id: orgB.id, filter: { types: ["ORGANIZATION"] } });
    assert.deepEqual(names(companies), ["B Corp"]);
    assert.equal(companies.totalCount, 1);
    const withArchived = await page({ id: orgB.id, filter: { includeArchived: true } });
    assert.deepEqual(names(withArchived), ["Bea Shared", "Ben Only", "B Corp", "Bo Archived"]);
    const sorted = await page({ id: orgB.id, orderBy: { field: "DISPLAY_NAME", direction: "DESC" } });
    assert.deepEqual(names(sorted), ["Ben Only", "Bea Shared", "B Corp"]);

    assert.deepEqual(names(await page({ id: orgA.id })), ["Alice Anderson", "Acme Ltd"]);
    const c = await page({ id: orgC.id });
    assert.deepEqual(names(c), ["Acme Ltd"], "active members only; the erased customer is left out");
    assert.equal(c.totalCount, 1);
    const cAll = await page({ id: orgC.id, filter: { includeArchived: true } });
    assert.deepEqual(names(cAll), ["Acme Ltd"]);
  });

  test("Organization.customers: backward paging and paging in another order", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $orderBy: CustomerOrder) {
        organization(id: $id) {
          customers(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
            totalCount nodes { displayName } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          }
        }
      }
    `;
    const page = async (variables: Record<string, unknown>) => dataOf(await server.gql(q, variables)).organization.customers;
    const names = (conn: { nodes: { displayName: string }[] }) => conn.nodes.map((n) => n.displayName);
    const tail = await page({ id: orgB.id, last: 2 });
    assert.deepEqual(names(tail), ["Ben Only", "B Corp"]);
    assert.deepEqual([tail.pageInfo.hasPreviousPage, tail.pageInfo.hasNextPage, tail.totalCount], [true, false, 3]);
    const head = await page({ id: orgB.id, last: 2, before: tail.pageInfo.startCursor });
    assert.deepEqual(names(head), ["Bea Shared"]);
    assert.deepEqual([head.pageInfo.hasPreviousPage, head.pageInfo.hasNextPage], [false, true]);

    const orderBy = { field: "DISPLAY_NAME", direction: "DESC" };
    const byName1 = await page({ id: orgB.id, first: 2, orderBy });
    assert.deepEqual(names(byName1), ["Ben Only", "Bea Shared"]);
    const byName2 = await page({ id: orgB.id, first: 2, after: byName1.pageInfo.endCursor, orderBy });
    assert.deepEqual(names(byName2), ["B Corp"]);
    assert.equal(byName2.pageInfo.hasNextPage, false);

    const bad = await server.gql(q, { id: orgB.id, first: 2, after: byName1.pageInfo.endCursor });
    assert.equal(bad.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", "a DISPLAY_NAME cursor in the default order");
    const tooMany = await server.gql(q, { id: orgB.id, first: 101 });
    assert.equal(tooMany.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
  });

  test("Organization.customers: a bad argument on one organization does not fail another's", async () => {
    const res = await server.gql(
      /* GraphQL */ `
        query ($a: ID!, $b: ID!) {
          a: organization(id: $a) { customers(first: 1) { totalCount nodes { displayName } } }
          b: organization(id: $b) { customers(first: 101) { totalCount } }
        }
      `,
      { a: orgA.id, b: orgB.id },
    );
    assert.deepEqual(res.data?.a, { customers: { totalCount: 2, nodes: [{ displayName: "Alice Anderson" }] } }, JSON.stringify(res));
    assert.equal(res.data?.b, null);
    assert.deepEqual(res.errors?.map((e) => [e.path, e.extensions?.code]), [[["b", "customers"], "BAD_USER_INPUT"]]);
  });

  test("Organization.customers of several organizations in one request stay apart", async () => {
    const data = dataOf(
      await server.gql(
        /* GraphQL */ `
          query {
            organizations {
              nodes {
                id
                customers(first: 5) {
                  totalCount
                  nodes { id displayName type status tags externalReference createdAt person { fullName } company { legalName countryCode } }
                }
              }
            }
          }
        `,
      ),
    );
    assert.deepEqual(
      data.organizations.nodes.map((o: { id: string; customers: { totalCount: number; nodes: { id: string }[] } }) => [
        o.id,
        o.customers.totalCount,
        o.customers.nodes.length,
      ]),
      [
        [orgA.id, 2, 2],
        [orgB.id, 3, 3],
        [orgC.id, 1, 1],
      ],
    );
    assert.deepEqual(data.organizations.nodes[0].customers.nodes.map((n: { id: string }) => n.id), [alice.id, acme.id]);
    assert.deepEqual(
      data.organizations.nodes[1].customers.nodes.map((n: { displayName: string }) => n.displayName),
      ["Bea Shared", "Ben Only", "B Corp"],
    );
    // The same customer, read through two organizations, is whole in both.
    const acmeView = {
      id: acme.id,
      displayName: "Acme Ltd",
      type: "ORGANIZATION",
      status: "NEW",
      tags: ["key-account", "eu"],
      externalReference: "ACME",
      createdAt: acme.createdAt,
      person: null,
      company: { legalName: "Acme Ltd", countryCode: "DE" },
    };
    assert.deepEqual(data.organizations.nodes[0].customers.nodes[1], acmeView);
    assert.deepEqual(data.organizations.nodes[2].customers.nodes, [acmeView]);
    assert.deepEqual(data.organizations.nodes[0].customers.nodes[0].person, { fullName: "Alice Anderson" });
  });
});

// ---------------------------------------------------------------------------------------------

describe("Customer.documents and Customer.events, batched per request", () => {
  let server: TestServer;
  const c: Record<string, { id: string }> = {};
  const docLabel = new Map<string, string>(); // document id -> name
  const custLabel = new Map<string, string>();
  const doc = (name: string) => ({ purpose: "KYC", documentType: "PASSPORT", name });

  before(async () => {
    server = await startTestServer();
    await createOrganization(server, { name: "Docs Org" });
    const make = async (key: string, docs: string[]) => {
      const customer = await createCustomer(server, personInput("Person", key.toUpperCase(), { documents: docs.map(doc) }));
      c[key] = customer;
      custLabel.set(customer.id, key);
      for (const d of customer.documents.nodes) docLabel.set(d.id, d.name);
    };
    await make("d1", ["A1", "A2", "A3"]);
    await make("d2", ["B1"]);
    await make("d3", []);
    await make("d4", ["D1", "D2", "D3", "D4", "D5"]);

    const added = dataOf(await server.gql(ADD_DOCUMENT, { input: { customerId: c.d1.id, document: doc("A4") } }));
    assert.deepEqual(added.addDocument.userErrors, []);
    docLabel.set(added.addDocument.document.id, "A4");
    for (const [key, nickname] of [["d1", "one"], ["d2", "two"], ["d1", "uno"]]) {
      const res = dataOf(await server.gql(UPDATE_CUSTOMER, { input: { id: c[key].id, nickname } }));
      assert.deepEqual(res.updateCustomer.userErrors, []);
    }
    // Document review is not a mutation yet: set statuses directly.
    const setStatus = (status: string, name: string) => sqlRun(server, "update documents set status = ? where name = ?", status, name);
    await setStatus("VERIFIED", "A2");
    await setStatus("VERIFIED", "A4");
    await setStatus("VERIFIED", "D3");
    await setStatus("REJECTED", "B1");
  });
  after(() => server.close());

  const LIST = /* GraphQL */ `
    query ($ids: [ID!]) {
      customers(filter: { ids: $ids }) {
        nodes {
          id
          documents(first: 2) { totalCount nodes { id name } pageInfo { hasNextPage hasPreviousPage } }
          verified: documents(status: VERIFIED) { totalCount nodes { name status } }
          events(first: 10) { totalCount nodes { id type customerId customer { id } } }
          updates: events(types: [UPDATED]) { totalCount nodes { type } }
          latest: events(last: 1) { totalCount nodes { type } pageInfo { hasNextPage hasPreviousPage } }
          memberships { organization { id } }
        }
      }
    }
  `;

  test("several customers in one list: each gets its own documents and events", async () => {
    const res = await server.gql(LIST, { ids: [c.d1.id, c.d2.id, c.d3.id, c.d4.id] });
    const data = dataOf(res);
    const byCustomer = Object.fromEntries(
      data.customers.nodes.map((n: any) => [
        custLabel.get(n.id),
        {
          documents: [n.documents.totalCount, n.documents.nodes.map((d: any) => d.name), n.documents.pageInfo.hasNextPage, n.documents.pageInfo.hasPreviousPage],
          verified: [n.verified.totalCount, n.verified.nodes.map((d: any) => `${d.name}:${d.status}`)],
          events: [n.events.totalCount, n.events.nodes.map((e: any) => e.type)],
          eventOwners: [...new Set(n.events.nodes.flatMap((e: any) => [e.customerId, e.customer.id]))],
          updates: [n.updates.totalCount, n.updates.nodes.map((e: any) => e.type)],
          latest: [n.latest.totalCount, n.latest.nodes.map((e: any) => e.type), n.latest.pageInfo.hasPreviousPage],
        },
      ]),
    );
    assert.deepEqual(byCustomer, {
      d1: {
        documents: [4, ["A1", "A2"], true, false],
        verified: [2, ["A2:VERIFIED", "A4:VERIFIED"]],
        events: [4, ["CREATED", "DOCUMENT_ADDED", "UPDATED", "UPDATED"]],
        eventOwners: [c.d1.id],
        updates: [2, ["UPDATED", "UPDATED"]],
        latest: [4, ["UPDATED"], true],
      },
      d2: {
        documents: [1, ["B1"], false, false],
        verified: [0, []],
        events: [2, ["CREATED", "UPDATED"]],
        eventOwners: [c.d2.id],
        updates: [1, ["UPDATED"]],
        latest: [2, ["UPDATED"], true],
      },
      d3: {
        documents: [0, [], false, false],
        verified: [0, []],
        events: [1, ["CREATED"]],
        eventOwners: [c.d3.id],
        updates: [0, []],
        latest: [1, ["CREATED"], false],
      },
      d4: {
        documents: [5, ["D1", "D2"], true, false],
        verified: [1, ["D3:VERIFIED"]],
        events: [1, ["CREATED"]],
        eventOwners: [c.d4.id],
        updates: [0, []],
        latest: [1, ["CREATED"], false],
      },
    });
    // Event ids are strictly increasing within a customer.
    for (const n of data.customers.nodes) {
      const ids = n.events.nodes.map((e: any) => e.id as string);
      assert.deepEqual(ids, [...ids].sort());
      assert.equal(new Set(ids).size, ids.length);
    }
  });

  test("relations are batched: the statement count does not grow with the number of customers", async () => {
    const one = await server.gql(LIST, { ids: [c.d1.id] });
    const four = await server.gql(LIST, { ids: [c.d1.id, c.d2.id, c.d3.id, c.d4.id] });
    dataOf(one);
    dataOf(four);
    assert.equal(typeof one.extensions?.sqlStatements, "number");
    assert.equal(four.extensions?.sqlStatements, one.extensions?.sqlStatements);
  });

  test("documents(first, after) pages each customer with its own cursor in one request", async () => {
    const q = /* GraphQL */ `
      query ($a: ID!, $d: ID!, $afterA: String, $afterD: String) {
        a: customer(id: $a) { documents(first: 2, after: $afterA) { totalCount nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }
        d: customer(id: $d) { documents(first: 2, after: $afterD) { totalCount nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }
      }
    `;
    const page1 = dataOf(await server.gql(q, { a: c.d1.id, d: c.d4.id }));
    assert.deepEqual(page1.a.documents.nodes.map((d: any) => d.name), ["A1", "A2"]);
    assert.deepEqual(page1.d.documents.nodes.map((d: any) => d.name), ["D1", "D2"]);
    assert.equal(page1.a.documents.pageInfo.endCursor, page1.a.documents.edges[1].cursor);
    const page2 = dataOf(
      await server.gql(q, {
        a: c.d1.id,
        d: c.d4.id,
        afterA: page1.a.documents.pageInfo.endCursor,
        afterD: page1.d.documents.pageInfo.endCursor,
      }),
    );
    assert.deepEqual(page2.a.documents.nodes.map((d: any) => d.name), ["A3", "A4"]);
    assert.deepEqual(
      [page2.a.documents.totalCount, page2.a.documents.pageInfo.hasNextPage, page2.a.documents.pageInfo.hasPreviousPage],
      [4, false, true],
    );
    assert.deepEqual(page2.d.documents.nodes.map((d: any) => d.name), ["D3", "D4"]);
    assert.deepEqual(
      [page2.d.documents.totalCount, page2.d.documents.pageInfo.hasNextPage, page2.d.documents.pageInfo.hasPreviousPage],
      [5, true, true],
    );
    const page3 = dataOf(
      await server.gql(q, { a: c.d1.id, d: c.d4.id, afterA: page2.a.documents.pageInfo.endCursor, afterD: page2.d.documents.pageInfo.endCursor }),
    );
    assert.deepEqual(page3.a.documents.nodes, []);
    assert.equal(page3.a.documents.pageInfo.hasNextPage, false);
    assert.deepEqual(page3.d.documents.nodes.map((d: any) => d.name), ["D5"]);
    assert.equal(page3.d.documents.pageInfo.hasNextPage, false);
  });

  test("documents(status:) with paging", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!, $after: String) {
        customer(id: $id) { documents(first: 1, after: $after, status: VERIFIED) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }
      }
    `;
    const p1 = dataOf(await server.gql(q, { id: c.d1.id })).customer.documents;
    assert.deepEqual([p1.totalCount, p1.nodes.map((d: any) => d.name), p1.pageInfo.hasNextPage], [2, ["A2"], true]);
    const p2 = dataOf(await server.gql(q, { id: c.d1.id, after: p1.pageInfo.endCursor })).customer.documents;
    assert.deepEqual([p2.totalCount, p2.nodes.map((d: any) => d.name), p2.pageInfo.hasNextPage], [2, ["A4"], false]);
    const rejected = dataOf(
      await server.gql(`query ($id: ID!) { customer(id: $id) { documents(status: REJECTED) { totalCount nodes { name } } } }`, { id: c.d2.id }),
    ).customer.documents;
    assert.deepEqual(rejected, { totalCount: 1, nodes: [{ name: "B1" }] });
  });

  test("events(first, after) walks one customer's events in order", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!, $after: String) {
        customer(id: $id) { events(first: 1, after: $after) { totalCount nodes { id type } pageInfo { hasNextPage hasPreviousPage endCursor } } }
      }
    `;
    const types: string[] = [];
    const ids: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const conn: any = dataOf(await server.gql(q, { id: c.d1.id, after })).customer.events;
      assert.equal(conn.totalCount, 4);
      assert.equal(conn.pageInfo.hasPreviousPage, after !== null);
      types.push(...conn.nodes.map((e: any) => e.type));
      ids.push(...conn.nodes.map((e: any) => e.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    assert.deepEqual(types, ["CREATED", "DOCUMENT_ADDED", "UPDATED", "UPDATED"]);
    assert.deepEqual(ids, [...ids].sort());
  });

  test("events(last) and events(types, after) on several customers in one request", async () => {
    const q = /* GraphQL */ `
      query ($ids: [ID!], $after: String) {
        customers(filter: { ids: $ids }) {
          nodes {
            id
            lastTwo: events(last: 2) { nodes { type } pageInfo { hasPreviousPage hasNextPage } }
            created: events(types: [CREATED, DOCUMENT_ADDED]) { totalCount nodes { type } }
            afterFirst: events(first: 5, after: $after) { nodes { type } }
          }
        }
      }
    `;
    const first = dataOf(await server.gql(`query ($id: ID!) { customer(id: $id) { events(first: 1) { pageInfo { endCursor } } } }`, { id: c.d1.id }));
    const cursor = first.customer.events.pageInfo.endCursor;
    const data = dataOf(await server.gql(q, { ids: [c.d1.id, c.d2.id], after: cursor }));
    const [d1, d2] = data.customers.nodes;
    assert.deepEqual([custLabel.get(d1.id), custLabel.get(d2.id)], ["d1", "d2"]);
    assert.deepEqual(d1.lastTwo.nodes.map((e: any) => e.type), ["UPDATED", "UPDATED"]);
    assert.equal(d1.lastTwo.pageInfo.hasPreviousPage, true);
    assert.deepEqual(d2.lastTwo.nodes.map((e: any) => e.type), ["CREATED", "UPDATED"]);
    assert.equal(d2.lastTwo.pageInfo.hasPreviousPage, false);
    assert.deepEqual([d1.created.totalCount, d1.created.nodes.map((e: any) => e.type)], [2, ["CREATED", "DOCUMENT_ADDED"]]);
    assert.deepEqual([d2.created.totalCount, d2.created.nodes.map((e: any) => e.type)], [1, ["CREATED"]]);
    assert.deepEqual(d1.afterFirst.nodes.map((e: any) => e.type), ["DOCUMENT_ADDED", "UPDATED", "UPDATED"]);
    // d1's first event precedes all of d2's, so d1's cursor leaves d2's events whole.
    assert.deepEqual(d2.afterFirst.nodes.map((e: any) => e.type), ["CREATED", "UPDATED"]);
  });

  test("bad page arguments on a customer's connections are BAD_USER_INPUT", async () => {
    const docs = await server.gql(`query ($id: ID!) { customer(id: $id) { id documents(first: 101) { totalCount } } }`, { id: c.d1.id });
    assert.equal(docs.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(docs));
    assert.deepEqual(docs.errors?.[0]?.path, ["customer", "documents"]);
    const events = await server.gql(`query ($id: ID!) { customer(id: $id) { events(first: 101) { totalCount } } }`, { id: c.d1.id });
    assert.equal(events.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(events));
    const both = await server.gql(`query ($id: ID!) { customer(id: $id) { events(first: 1, last: 1) { totalCount } } }`, { id: c.d1.id });
    assert.equal(both.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(both));
    const garbage = await server.gql(`query ($id: ID!) { customer(id: $id) { documents(after: "garbage") { totalCount } } }`, { id: c.d1.id });
    assert.equal(garbage.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(garbage));
    // A documents cursor is not an events cursor.
    const docCursor = dataOf(
      await server.gql(`query ($id: ID!) { customer(id: $id) { documents(first: 1) { pageInfo { endCursor } } } }`, { id: c.d1.id }),
    ).customer.documents.pageInfo.endCursor;
    const crossed = await server.gql(`query ($id: ID!, $after: String) { customer(id: $id) { events(after: $after) { totalCount } } }`, {
      id: c.d1.id,
      after: docCursor,
    });
    assert.equal(crossed.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(crossed));
  });

  test("a bad page argument fails only its own field, not other customers' connections in the request", async () => {
    const docs = await server.gql(
      /* GraphQL */ `
        query ($a: ID!, $b: ID!) {
          a: customer(id: $a) { documents(first: 2) { totalCount nodes { name } } }
          b: customer(id: $b) { documents(first: 101) { totalCount } }
        }
      `,
      { a: c.d1.id, b: c.d4.id },
    );
    assert.deepEqual(docs.data?.a, { documents: { totalCount: 4, nodes: [{ name: "A1" }, { name: "A2" }] } }, JSON.stringify(docs));
    assert.equal(docs.data?.b, null);
    assert.deepEqual(docs.errors?.map((e) => [e.path, e.extensions?.code]), [[["b", "documents"], "BAD_USER_INPUT"]]);

    const events = await server.gql(
      /* GraphQL */ `
        query ($a: ID!, $b: ID!) {
          a: customer(id: $a) { events(first: 1) { nodes { type } } }
          b: customer(id: $b) { events(first: 1, after: "garbage") { totalCount } }
        }
      `,
      { a: c.d1.id, b: c.d2.id },
    );
    assert.deepEqual(events.data?.a, { events: { nodes: [{ type: "CREATED" }] } }, JSON.stringify(events));
    assert.equal(events.data?.b, null);
    assert.deepEqual(events.errors?.map((e) => [e.path, e.extensions?.code]), [[["b", "events"], "BAD_USER_INPUT"]]);
  });

  test("events(last, before) pages backward", async () => {
    const q = /* GraphQL */ `
      query ($id: ID!, $before: String) {
        customer(id: $id) { events(last: 2, before: $before) { nodes { type } pageInfo { hasNextPage hasPreviousPage startCursor } } }
      }
    `;
    const p1 = dataOf(await server.gql(q, { id: c.d1.id })).customer.events;
    assert.deepEqual(p1.nodes.map((e: any) => e.type), ["UPDATED", "UPDATED"]);
    assert.deepEqual([p1.pageInfo.hasNextPage, p1.pageInfo.hasPreviousPage], [false, true]);
    const p2 = dataOf(await server.gql(q, { id: c.d1.id, before: p1.pageInfo.startCursor })).customer.events;
    assert.deepEqual(p2.nodes.map((e: any) => e.type), ["CREATED", "DOCUMENT_ADDED"]);
    assert.deepEqual([p2.pageInfo.hasNextPage, p2.pageInfo.hasPreviousPage], [true, false]);
  });
});

// ---------------------------------------------------------------------------------------------

describe("Customer.memberships, verification and wallets", () => {
  let server: TestServer;
  let orgA: { id: string; name: string };
  let orgB: { id: string; name: string };
  let alice: { id: string };
  let bob: { id: string };

  before(async () => {
    server = await startTestServer();
    orgA = await createOrganization(server, { name: "Org A" });
    orgB = await createOrganization(server, { name: "Org B" });
    alice = await createCustomer(server, personInput("Alice", "Anderson", { organizationId: orgB.id }));
    bob = await createCustomer(server, personInput("Bob", "Brown", { organizationId: orgB.id }));
    // Onboarding is not a mutation yet: alice is later onboarded to org A in management mode.
    await sqlRun(
      server,
      "insert into memberships (customer_id, organization_id, management_mode, tags, onboarded_at, active) values (?, ?, true, '[\"partner\"]', ?, true)",
      alice.id,
      orgA.id,
      new Date(Date.now() + 1000).toISOString(),
    );
    await sqlRun(
      server,
      "update customers set verification_status = 'VERIFIED', verification_level = 2, verification_url = ?, verification_updated_at = ? where id = ?",
      "https://kyc.example.com/v/abc",
      "2024-05-06T07:08:09.000Z",
      bob.id,
    );
  });
  after(() => server.close());

  const Q = /* GraphQL */ `
    query ($ids: [ID!]) {
      customers(filter: { ids: $ids }) {
        nodes {
          id
          memberships { organization { id name } managementMode tags active }
          verification { status level url updatedAt }
          wallets { address chain verifiedAt active }
        }
      }
    }
  `;

  test("memberships list each organization the customer is onboarded to, oldest first", async () => {
    const [a, b] = dataOf(await server.gql(Q, { ids: [alice.id, bob.id] })).customers.nodes;
    assert.equal(a.id, alice.id);
    assert.deepEqual(a.memberships, [
      { organization: { id: orgB.id, name: "Org B" }, managementMode: false, tags: [], active: true },
      { organization: { id: orgA.id, name: "Org A" }, managementMode: true, tags: ["partner"], active: true },
    ]);
    assert.equal(b.id, bob.id);
    assert.deepEqual(b.memberships, [{ organization: { id: orgB.id, name: "Org B" }, managementMode: false, tags: [], active: true }]);
  });

  test("verification: a new customer is PENDING at level 0 with its link; stored state is returned per customer", async () => {
    const [a, b] = dataOf(await server.gql(Q, { ids: [alice.id, bob.id] })).customers.nodes;
    assert.equal(a.verification.status, "PENDING");
    assert.equal(a.verification.level, 0);
    assert.match(a.verification.url, /\/verify\/[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(b.verification, {
      status: "VERIFIED",
      level: 2,
      url: "https://kyc.example.com/v/abc",
      updatedAt: "2024-05-06T07:08:09.000Z",
    });
  });

  test("wallets: empty for a new customer; a linked wallet shows on its customer only", async () => {
    const initial = dataOf(await server.gql(Q, { ids: [alice.id, bob.id] })).customers.nodes;
    assert.deepEqual(initial.map((n: any) => n.wallets), [[], []]);
    // Wallet verification is not a mutation yet: link one directly.
    await sqlRun(
      server,
      "insert into wallets (customer_id, address, chain, verified_at, active) values (?, ?, ?, ?, true)",
      bob.id,
      "0x52908400098527886E0F7030069857D2E4169EE7",
      "ethereum",
      "2024-05-06T07:08:09.000Z",
    );
    const afterLink = dataOf(await server.gql(Q, { ids: [alice.id, bob.id] })).customers.nodes;
    assert.deepEqual(afterLink.map((n: any) => n.wallets), [
      [],
      [{ address: "0x52908400098527886E0F7030069857D2E4169EE7", chain: "ethereum", verifiedAt: "2024-05-06T07:08:09.000Z", active: true }],
    ]);
  });
});
