// AvePoint's onboarding, with each of the seven statuses, and registration policies.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createCustomer, createOrganization, dataOf, personInput, startTestServer, tableCounts, type TestServer } from "./helpers";

let server: TestServer;
let partner: { id: string; name: string };

before(async () => {
  server = await startTestServer();
  partner = await createOrganization(server, { name: "Partner Co", legalName: "Partner Company Ltd" });
});
after(() => server.close());

const ONBOARD = /* GraphQL */ `
  mutation ($input: OnboardCustomerInput!) {
    onboardCustomer(input: $input) {
      status
      customer {
        id type status email phone tags dataCenter displayName version
        person { fullName hasPassword nationality lastName { name } }
        company { legalName countryCode }
        memberships { organization { id } managementMode tags active }
        events(first: 10) { nodes { type changedFields } }
      }
      userErrors { code field message }
    }
  }
`;

async function onboard(input: Record<string, unknown>) {
  return (dataOf(await server.gql(ONBOARD, { input })) as any).onboardCustomer;
}

/** An onboarding that must end with `status` and write nothing. */
async function refused(input: Record<string, unknown>, status: string, errors: [string, string[] | null][]) {
  const before = await tableCounts(server);
  const result = await onboard(input);
  assert.equal(result.status, status);
  assert.deepEqual(result.userErrors.map((e: any) => [e.code, e.field]), errors);
  assert.deepEqual(await tableCounts(server), before, "nothing written");
  return result;
}

test("SUCCESSFUL: a new person is registered and onboarded with management mode, tags and data center", async () => {
  const result = await onboard({
    organizationId: partner.id,
    firstName: "Tony",
    lastName: "Brown",
    registrationAccount: "Tony.Brown@Example.com",
    countryCode: "AF",
    telephoneNumber: "+44 20 7946 0001",
    dataCenter: "NORTH_EUROPE",
    password: "a long enough password",
    tags: ["tagA"],
    managementMode: true,
  });
  assert.equal(result.status, "SUCCESSFUL");
  assert.deepEqual(result.userErrors, []);
  const c = result.customer;
  assert.equal(c.type, "PERSON");
  assert.equal(c.status, "NEW");
  assert.equal(c.email, "tony.brown@example.com");
  assert.equal(c.phone, "+442079460001");
  assert.equal(c.dataCenter, "NORTH_EUROPE");
  assert.deepEqual(c.tags, ["tagA"]);
  assert.deepEqual(c.person, { fullName: "Tony Brown", hasPassword: true, nationality: "AF", lastName: { name: "Brown" } });
  assert.deepEqual(c.memberships, [{ organization: { id: partner.id }, managementMode: true, tags: ["tagA"], active: true }]);
  const types = c.events.nodes.map((e: any) => e.type);
  assert.equal(types[0], "CREATED");
  assert.ok(types.includes("ONBOARDED"));
  assert.ok(!JSON.stringify(result).includes("a long enough password"));

  // The verification link goes to the customer (here: the development mailbox).
  const url = (await server.gql(`query ($id: ID!) { customer(id: $id) { verification { url } } }`, { id: c.id })).data.customer.verification.url;
  assert.match(url, /\/verify\//);
  let sent: any[] = [];
  for (let i = 0; i < 20 && !sent.length; i++) {
    sent = ((await (await fetch(new URL("/dev/mailbox", server.url))).json()) as any[]).filter((m) => m.to === "tony.brown@example.com");
    if (!sent.length) await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(sent.length, 1);
  assert.equal(sent[0].channel, "EMAIL");
  assert.ok(sent[0].body.includes(url));
});

test("SUCCESSFUL: organizationName registers a company with its contact person", async () => {
  const result = await onboard({
    organizationId: partner.id,
    firstName: "Ann",
    lastName: "Lee",
    organizationName: "OrganizationABC",
    registrationAccount: "ann@abc.example.com",
    countryCode: "784",
  });
  assert.equal(result.status, "SUCCESSFUL");
  assert.equal(result.customer.type, "ORGANIZATION");
  assert.equal(result.customer.displayName, "OrganizationABC");
  assert.deepEqual(result.customer.company, { legalName: "OrganizationABC", countryCode: "AE" });
  assert.equal(result.customer.person.fullName, "Ann Lee");
});

test("SUCCESSFUL: an existing customer is linked to another partner; ALREADY_MANAGED_BY_PARTNER the second time", async () => {
  const other = await createOrganization(server, { name: "Other Partner" });
  const existing = await createCustomer(server, personInput("Ex", "Isting", { organizationId: partner.id }));
  const linked = await onboard({ organizationId: other.id, customerId: existing.id, tags: ["vip"], managementMode: true });
  assert.equal(linked.status, "SUCCESSFUL");
  assert.deepEqual(
    linked.customer.memberships.map((m: any) => [m.organization.id, m.managementMode, m.tags]),
    [[partner.id, false, []], [other.id, true, ["vip"]]],
  );
  assert.equal(linked.customer.version, existing.version + 1);
  assert.deepEqual(linked.customer.events.nodes.at(-1), { type: "ONBOARDED", changedFields: ["memberships"] });

  const again = await refused({ organizationId: other.id, customerId: existing.id }, "ALREADY_MANAGED_BY_PARTNER", [["DUPLICATE", ["customerId"]]]);
  assert.equal(again.customer.id, existing.id, "the customer comes with ALREADY_MANAGED_BY_PARTNER");
});

test("CUSTOMER_NOT_FOUND for an unknown customerId", async () => {
  const result = await refused({ organizationId: partner.id, customerId: "cus_00000000000000000000000000" }, "CUSTOMER_NOT_FOUND", [["NOT_FOUND", ["customerId"]]]);
  assert.equal(result.customer, null);
});

test("SAME_AS_PARTNER when the customer is the partner organization itself", async () => {
  await refused({ organizationId: partner.id, firstName: "Self", organizationName: "partner co", registrationAccount: "self@partner.example.com" }, "SAME_AS_PARTNER", [["INVALID", ["organizationName"]]]);
  const self = await createCustomer(server, { type: "ORGANIZATION", organizationId: partner.id, company: { legalName: "Partner Company Ltd" } });
  const other = await createOrganization(server, { name: "Third Partner" });
  assert.equal((await onboard({ organizationId: other.id, customerId: self.id })).status, "SUCCESSFUL", "another partner may onboard it");
  await refused({ organizationId: partner.id, customerId: self.id }, "SAME_AS_PARTNER", [["INVALID", ["customerId"]]]);
});

test("ALREADY_EXISTS when the registration account belongs to another customer", async () => {
  await createCustomer(server, personInput("Taken", "Account", { organizationId: partner.id, email: "taken@example.com" }));
  const result = await refused({ organizationId: partner.id, firstName: "New", registrationAccount: "TAKEN@example.com" }, "ALREADY_EXISTS", [["DUPLICATE", ["registrationAccount"]]]);
  assert.equal(result.customer, null);
});

test("FAILED for invalid input or an unknown partner", async () => {
  await refused({ organizationId: partner.id, firstName: "Bad", registrationAccount: "not-an-email", telephoneNumber: "123" }, "FAILED", [
    ["INVALID", ["registrationAccount"]],
    ["INVALID", ["telephoneNumber"]],
  ]);
  await refused({ organizationId: partner.id, registrationAccount: "nofirst@example.com" }, "FAILED", [["INVALID", ["firstName"]]]);
  await refused({ organizationId: "org_00000000000000000000000000", firstName: "X", registrationAccount: "x@example.com" }, "FAILED", [["NOT_FOUND", ["organizationId"]]]);
});

test("REGISTRATION_FAILED when the partner's registration policy requires what is missing; createCustomer says REQUIRED_BY_POLICY", async () => {
  const strict = await createOrganization(server, { name: "Strict Partner" });
  const set = dataOf(
    await server.gql(
      `mutation ($id: ID!) { updateOrganization(input: { id: $id, registrationPolicy: { requiredFields: [PHONE, PASSWORD, DATE_OF_BIRTH] } }) {
         organization { registrationPolicy { requiredFields } } userErrors { code } } }`,
      { id: strict.id },
    ),
  ) as any;
  assert.deepEqual(set.updateOrganization.organization.registrationPolicy.requiredFields, ["DATE_OF_BIRTH", "PASSWORD", "PHONE"]);

  await refused({ organizationId: strict.id, firstName: "Pol", registrationAccount: "pol@example.com" }, "REGISTRATION_FAILED", [
    ["REQUIRED_BY_POLICY", ["telephoneNumber"]],
    ["REQUIRED_BY_POLICY", ["password"]],
    ["REQUIRED_BY_POLICY", ["person", "dateOfBirth"]],
  ]);

  const before = await tableCounts(server);
  const create = dataOf(
    await server.gql(
      `mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code field } } }`,
      { input: personInput("Pol", "Icy", { organizationId: strict.id, phone: "+442079460002" }) },
    ),
  ) as any;
  assert.deepEqual(create.createCustomer.userErrors, [
    { code: "REQUIRED_BY_POLICY", field: ["person", "password"] },
    { code: "REQUIRED_BY_POLICY", field: ["person", "dateOfBirth"] },
  ]);
  assert.deepEqual(await tableCounts(server), before);

  const complete = await createCustomer(server, {
    type: "PERSON",
    organizationId: strict.id,
    phone: "+442079460003",
    person: { firstName: { name: "Com" }, lastName: { name: "Plete" }, password: "long enough secret", dateOfBirth: "1980-05-05" },
  });
  assert.ok(complete.id);
  // A company customer has no date of birth: that requirement applies to persons only.
  const company = await createCustomer(server, {
    type: "ORGANIZATION",
    organizationId: strict.id,
    phone: "+442079460004",
    company: { legalName: "Policy Ltd" },
    person: { firstName: { name: "Con" }, password: "long enough secret" },
  });
  assert.ok(company.id);
});
