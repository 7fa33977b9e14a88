// No N+1: a page of customers with every relation runs the same number of SQL statements
// whatever its size. Counted from outside, through `extensions.sqlStatements`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { onPostgres, sqlRun, startTestServer, type TestServer } from "./helpers";
import type { Actor } from "../src/services/actor";

let server: TestServer;

const FULL_SELECTION = /* GraphQL */ `
  query ($first: Int!) {
    customers(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id displayName
        person { fullName firstName { name } lastName { name } telephoneNumbers { number phoneType } secretQuestions { question } }
        company { legalName countryCode }
        addresses { id isPrimary address { country city geoPosition { latitude } relatedTo { address } } }
        documents(first: 5) { totalCount nodes { id name metadata { name } } pageInfo { hasNextPage } }
        notificationPreferences { notificationType channel isEnabled }
        memberships { managementMode organization { id name parent { id name } } }
        events(first: 2) { totalCount nodes { id type customer { id displayName } } }
        wallets { address }
        verification { status }
      } }
    }
  }
`;

before(async () => {
  server = await startTestServer();
  const actor: Actor = { name: "test", via: "SYSTEM", organizationId: null };
  const parent = await server.app.services.organizations.create(actor, { name: "Parent" });
  const org = await server.app.services.organizations.create(actor, { name: "Child", parentId: parent.id });
  for (let i = 0; i < 120; i++) {
    await server.app.services.customers.create(actor, {
      type: i % 4 === 0 ? "ORGANIZATION" : "PERSON",
      organizationId: org.id,
      email: `c${i}@example.com`,
      person: {
        firstName: { name: `First${i}` },
        lastName: { name: `Last${i}` },
        telephoneNumbers: [{ phoneType: "MOBILE", number: `+4479111${String(i).padStart(5, "0")}` }],
        secretQuestions: i % 10 === 0 ? [{ question: "Pet?", answer: "Rex" }] : undefined,
      },
      company: i % 4 === 0 ? { legalName: `Company ${i}`, countryCode: "DE" } : undefined,
      addresses: [
        { purpose: "home", address: { country: "GB", city: "London", geoPosition: { latitude: 51.5, longitude: -0.1 } } },
        { purpose: "work", address: { country: "FR", city: "Paris", relatedTo: [{ relationType: "previous", address: "Lyon" }] } },
      ],
      documents: Array.from({ length: 1 + (i % 7) }, (_, d) => ({
        purpose: "KYC",
        documentType: "PASSPORT",
        name: `doc-${i}-${d}.pdf`,
        metadata: [{ name: "number", type: "STRING", value: `X${i}${d}` }],
      })),
      notificationPreferences: [{ notificationType: "MARKETING", channel: "EMAIL", isEnabled: i % 2 === 0 }],
    });
  }
});

after(() => server.close());

async function statementsFor(first: number) {
  const response = await server.gql(FULL_SELECTION, { first });
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  assert.equal(response.data.customers.edges.length, first);
  const count = response.extensions?.sqlStatements;
  assert.equal(typeof count, "number");
  return { count: count as number, data: response.data };
}

test("customers(first: 100) with every relation runs as many statements as first: 5", async () => {
  // The list's totalCount is counted once per commit (see the next test): both pages reuse it.
  await statementsFor(1);
  const small = await statementsFor(5);
  const large = await statementsFor(100);
  assert.equal(large.count, small.count, `first:5 ran ${small.count} statements, first:100 ran ${large.count}`);
  assert.ok(large.count <= 20, `a page should take a small, fixed number of statements, took ${large.count}`);

  // The batched per-customer connections still answer per customer.
  const customers = large.data.customers.edges.map((e: any) => e.node);
  for (const [i, c] of customers.entries()) {
    const expectedDocs = 1 + (i % 7);
    assert.equal(c.documents.totalCount, expectedDocs, `${c.displayName} documents`);
    assert.equal(c.documents.nodes.length, Math.min(expectedDocs, 5));
    assert.equal(c.documents.pageInfo.hasNextPage, expectedDocs > 5);
    assert.ok(c.documents.nodes.every((d: any) => d.name.startsWith(`doc-${i}-`)));
    assert.equal(c.events.totalCount, 1);
    assert.equal(c.events.nodes[0].customer.id, c.id);
    assert.equal(c.addresses.length, 2);
    assert.equal(c.memberships[0].organization.parent.name, "Parent");
    assert.equal(c.person.lastName.name, `Last${i}`);
  }
});

test("a list's totalCount is counted again only after a commit, and is exact then", async () => {
  const page = `query ($after: String) { customers(first: 2, after: $after) { totalCount pageInfo { endCursor } nodes { id } } }`;
  const ask = async (after: string | null = null) => {
    const response = await server.gql(page, { after });
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    return { statements: response.extensions?.sqlStatements as number, total: response.data.customers.totalCount as number, end: response.data.customers.pageInfo.endCursor as string };
  };
  const actor: Actor = { name: "test", via: "SYSTEM", organizationId: null };
  const extra = await server.app.services.customers.create(actor, { type: "PERSON", person: { firstName: { name: "Counted" } } });
  const counted = await ask();
  const reused = await ask(counted.end);
  assert.equal(reused.total, counted.total);
  // On SQLite; PostgreSQL counts every time (its commits are not visible as a version).
  assert.equal(reused.statements, counted.statements - (onPostgres ? 0 : 1), "the next page reuses the count");
  // Any commit, here a customer archived (which leaves the list), makes the next page count again.
  const archived = await server.gql(`mutation ($id: ID!) { archiveCustomer(input: { id: $id }) { userErrors { code } } }`, { id: extra.id });
  assert.deepEqual(archived.data?.archiveCustomer?.userErrors, [], JSON.stringify(archived));
  const recounted = await ask(counted.end);
  assert.equal(recounted.statements, counted.statements);
  assert.equal(recounted.total, counted.total - 1);
  // A commit by another connection (another process, such as a CLI import) counts too.
  const [first] = (await server.gql(`{ customers(first: 1) { nodes { id } } }`)).data.customers.nodes;
  await sqlRun(server.databaseUrl, "update customers set status = 'ARCHIVED' where id = ?", first.id);
  assert.equal((await ask(counted.end)).total, counted.total - 2);
});

test("the statement count is per request, also under concurrent requests", async () => {
  const single = (await statementsFor(10)).count;
  const concurrent = await Promise.all(Array.from({ length: 5 }, () => statementsFor(10)));
  for (const r of concurrent) assert.equal(r.count, single);
});

test("organizations with their customers run as many statements for 10 organizations as for 2", async () => {
  const actor: Actor = { name: "test", via: "SYSTEM", organizationId: null };
  for (let i = 0; i < 8; i++) {
    const org = await server.app.services.organizations.create(actor, { name: `Extra ${i}` });
    for (let c = 0; c <= i; c++) {
      await server.app.services.customers.create(actor, { type: "PERSON", organizationId: org.id, person: { firstName: { name: `E${i}-${c}` } } });
    }
  }
  const query = /* GraphQL */ `
    query ($first: Int!) {
      organizations(first: $first) {
        nodes { name parent { name } customers(first: 3, orderBy: { field: DISPLAY_NAME, direction: DESC }) {
          totalCount pageInfo { hasNextPage } nodes { displayName addresses { id } memberships { organization { name } } }
        } }
      }
    }
  `;
  const two = await server.gql(query, { first: 2 });
  const ten = await server.gql(query, { first: 10 });
  assert.equal(ten.errors, undefined, JSON.stringify(ten.errors));
  assert.equal(ten.extensions?.sqlStatements, two.extensions?.sqlStatements);
  const extras = ten.data.organizations.nodes.filter((o: any) => o.name.startsWith("Extra "));
  assert.equal(extras.length, 8);
  for (const [i, org] of extras.entries()) {
    assert.equal(org.customers.totalCount, i + 1);
    assert.equal(org.customers.pageInfo.hasNextPage, i + 1 > 3);
    const names = org.customers.nodes.map((c: any) => c.displayName);
    const expected = Array.from({ length: i + 1 }, (_, c) => `E${i}-${c}`).sort().reverse().slice(0, 3);
    assert.deepEqual(names, expected);
    assert.ok(org.customers.nodes.every((c: any) => c.memberships[0].organization.name === org.name));
  }
});

test("a first page's totalCount and a membership's organization come with their rows, not from statements of their own", async () => {
  const page = await server.gql(`{ customers(first: 7) { nodes { id documents(first: 1) { totalCount } } } }`);
  const customer = page.data.customers.nodes.find((c: any) => c.documents.totalCount === 7);
  assert.ok(customer, "a customer with seven documents");
  const statements = async (selection: string, variables: Record<string, unknown> = {}) => {
    const declared = "after" in variables ? ", $after: String" : "";
    const response = await server.gql(`query ($id: ID!${declared}) { customer(id: $id) { ${selection} } }`, { id: customer.id, ...variables });
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    return { count: response.extensions?.sqlStatements as number, data: response.data.customer };
  };

  const nodes = await statements("documents(first: 2) { nodes { id } pageInfo { endCursor } }");
  const withTotal = await statements("documents(first: 2) { totalCount nodes { id } }");
  assert.equal(withTotal.data.documents.totalCount, 7);
  assert.equal(withTotal.count, nodes.count, "totalCount of a first page adds no statement");

  // After a cursor the page holds only later rows; the total is still of all of them, counted apart.
  const later = await statements("documents(first: 2, after: $after) { totalCount nodes { id } }", { after: nodes.data.documents.pageInfo.endCursor });
  assert.equal(later.data.documents.totalCount, 7);
  assert.equal(later.data.documents.nodes.length, 2);
  assert.equal(later.count, withTotal.count + 1);

  const memberships = await statements("memberships { active }");
  const withOrganization = await statements("memberships { active organization { id name } }");
  assert.equal(withOrganization.data.memberships[0].organization.name, "Child");
  assert.equal(withOrganization.count, memberships.count, "the organization comes with its membership");
});
