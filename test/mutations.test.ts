// End-to-end tests of the write side, over HTTP exactly as a client would call it: every mutation's
// happy path read back in full, input hygiene (userErrors with field paths, nothing written),
// write-only secrets, versions and events, and atomicity.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  CREATE_CUSTOMER,
  CUSTOMER_FIELDS,
  createCustomer,
  createOrganization,
  dataOf,
  dbSnapshot,
  failWrites,
  onPostgres,
  payloadOf,
  personInput,
  sqlAll,
  sqlGet,
  startTestServer,
  tableCounts,
  type GraphQLResponse,
  type TestServer,
} from "./helpers";

// ---------------------------------------------------------------------------------------------
// Queries and helpers local to this file
// ---------------------------------------------------------------------------------------------

const EVENT_FIELDS = "id type customerId changedFields actor via occurredAt";

/** Everything a client can read about a customer, including what CUSTOMER_FIELDS leaves out. */
const FULL_CUSTOMER_FIELDS = /* GraphQL */ `
  ${CUSTOMER_FIELDS}
  archivedAt archivedBy archivedVia deactivatedAt deactivationReason
  fullPerson: person {
    middleName { name order abbreviation language native prefix suffix }
    lastName { name order abbreviation language native prefix suffix }
  }
  fullDocuments: documents(first: 50) {
    totalCount
    nodes { id purpose documentType name location status verificationResponse metadata { name type value } expiresAt createdAt reviewedAt }
  }
  fullPreferences: notificationPreferences { notificationType channel isEnabled updatedAt }
  fullMemberships: memberships { organization { id name } managementMode tags onboardedAt active }
  events(first: 100) { totalCount nodes { ${EVENT_FIELDS} } }
`;

const GET_CUSTOMER = /* GraphQL */ `
  query ($id: ID!) { customer(id: $id) { ${FULL_CUSTOMER_FIELDS} } }
`;

const USER_ERRORS = "userErrors { code field message }";

const UPDATE_CUSTOMER = /* GraphQL */ `
  mutation ($input: UpdateCustomerInput!) {
    updateCustomer(input: $input) { customer { ${FULL_CUSTOMER_FIELDS} } ${USER_ERRORS} }
  }
`;

const ADDRESS_FIELDS = /* GraphQL */ `
  id purpose isPrimary
  address {
    country area zipCode city street streetNumber building apartment entrance floor doorNumber
    geoPosition { latitude longitude altitude } alternative { word1 word2 word3 }
    relatedTo { relationType address } additionalData { name type value }
  }
`;

const ADDRESS_PAYLOAD = /* GraphQL */ `
  customerAddress { ${ADDRESS_FIELDS} }
  customer { id version updatedAt addresses { ${ADDRESS_FIELDS} } events(last: 1) { nodes { ${EVENT_FIELDS} } } }
  ${USER_ERRORS}
`;

const ADD_ADDRESS = /* GraphQL */ `
  mutation ($input: AddCustomerAddressInput!) { addCustomerAddress(input: $input) { ${ADDRESS_PAYLOAD} } }
`;
const UPDATE_ADDRESS = /* GraphQL */ `
  mutation ($input: UpdateCustomerAddressInput!) { updateCustomerAddress(input: $input) { ${ADDRESS_PAYLOAD} } }
`;
const REMOVE_ADDRESS = /* GraphQL */ `
  mutation ($input: IdInput!) { removeCustomerAddress(input: $input) { ${ADDRESS_PAYLOAD} } }
`;

const DOCUMENT_FIELDS = "id purpose documentType name location status verificationResponse metadata { name type value } expiresAt createdAt reviewedAt";
const DOCUMENT_PAYLOAD = /* GraphQL */ `
  document { ${DOCUMENT_FIELDS} }
  customer { id version documents(first: 50) { totalCount nodes { id } } events(last: 1) { nodes { ${EVENT_FIELDS} } } }
  ${USER_ERRORS}
`;
const ADD_DOCUMENT = /* GraphQL */ `
  mutation ($input: AddDocumentInput!) { addDocument(input: $input) { ${DOCUMENT_PAYLOAD} } }
`;
const REMOVE_DOCUMENT = /* GraphQL */ `
  mutation ($input: IdInput!) { removeDocument(input: $input) { ${DOCUMENT_PAYLOAD} } }
`;

const SET_PREFERENCES = /* GraphQL */ `
  mutation ($input: SetNotificationPreferencesInput!) {
    setNotificationPreferences(input: $input) {
      customer { id version notificationPreferences { notificationType channel isEnabled updatedAt } events(last: 1) { nodes { ${EVENT_FIELDS} } } }
      ${USER_ERRORS}
    }
  }
`;

const ORGANIZATION_FIELDS = "id name legalName countryCode dataCenter parent { id name } createdAt updatedAt";
const CREATE_ORG = /* GraphQL */ `
  mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { ${ORGANIZATION_FIELDS} } ${USER_ERRORS} } }
`;
const UPDATE_ORG = /* GraphQL */ `
  mutation ($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { ${ORGANIZATION_FIELDS} } ${USER_ERRORS} } }
`;
const GET_ORG = /* GraphQL */ `
  query ($id: ID!) { organization(id: $id) { ${ORGANIZATION_FIELDS} } }
`;

interface UserError {
  code: string;
  field: string[] | null;
  message: string;
}

/** userErrors reduced to code and field, sorted, for exact comparison. */
function codesAndFields(errors: UserError[]): { code: string; field: string[] | null }[] {
  for (const e of errors) assert.ok(typeof e.message === "string" && e.message.length > 0, "every userError has a message");
  return errors
    .map(({ code, field }) => ({ code, field }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function sorted(list: { code: string; field: string[] | null }[]) {
  return [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/**
 * Makes every insert into `table` fail (see failWrites), to simulate a failure part-way through a
 * transaction. Returns the function that removes it.
 */
function injectInsertFailure(server: TestServer, table: string): Promise<() => Promise<void>> {
  return failWrites(server, table, "injected failure");
}

/** Asserts a response is one opaque INTERNAL_SERVER_ERROR, leaking neither SQL nor the cause. */
function assertInternalError(response: GraphQLResponse): void {
  assert.ok(response.errors?.length, "a GraphQL error");
  assert.equal(response.errors![0].extensions?.code, "INTERNAL_SERVER_ERROR");
  assert.equal(response.errors![0].message, "Internal server error");
  assert.doesNotMatch(JSON.stringify(response), /injected|insert into|customer_events|sqlite|stack|\.ts:/i);
}

/**
 * Runs a mutation that must be refused: asserts its payload carries exactly `expected` userErrors,
 * no result object, and that the database is byte-for-byte what it was (row counts and rows).
 */
async function expectRefused(
  server: TestServer,
  query: string,
  variables: Record<string, unknown>,
  name: string,
  expected: { code: string; field: string[] | null }[],
): Promise<UserError[]> {
  const countsBefore = await tableCounts(server);
  const rowsBefore = await dbSnapshot(server);
  const payload = payloadOf(await server.gql(query, variables), name);
  assert.deepEqual(codesAndFields(payload.userErrors), sorted(expected));
  for (const [key, value] of Object.entries(payload)) {
    if (key !== "userErrors") assert.equal(value, null, `${name}.${key} is null when refused`);
  }
  assert.deepEqual(await tableCounts(server), countsBefore, "row counts unchanged");
  assert.deepEqual(await dbSnapshot(server), rowsBefore, "rows unchanged");
  return payload.userErrors;
}

async function getCustomer(server: TestServer, id: string): Promise<any> {
  const data = dataOf(await server.gql(GET_CUSTOMER, { id })) as any;
  assert.ok(data.customer, `customer ${id} exists`);
  return data.customer;
}

async function actorName(server: TestServer): Promise<string> {
  const data = dataOf(await server.gql("{ viewer { actor } }")) as any;
  return data.viewer.actor;
}

async function update(server: TestServer, input: Record<string, unknown>): Promise<any> {
  const payload = payloadOf(await server.gql(UPDATE_CUSTOMER, { input }), "updateCustomer");
  assert.deepEqual(payload.userErrors, [], "update succeeds");
  return payload.customer;
}

function lastEvent(customer: any): any {
  const nodes = customer.events.nodes;
  return nodes[nodes.length - 1];
}

function isoDate(value: unknown): void {
  assert.equal(typeof value, "string");
  assert.match(value as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  assert.ok(!Number.isNaN(Date.parse(value as string)));
}

/** A customer as read, minus what every change touches, to compare "everything else is the same". */
function stable(customer: any): any {
  const { version, updatedAt, updatedBy, updatedVia, events, ...rest } = customer;
  void version; void updatedAt; void updatedBy; void updatedVia; void events;
  return rest;
}

function daysFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

const SECRET_PASSWORD = "Zq7!correct-horse-battery";
const SECRET_PIN = "48151623";
const SECRET_ANSWER = "Mr Whiskers Fluffington";
const SECOND_ANSWER = "Babbage Engine Number Two";
const NEW_PASSWORD = "Xk2#tr0ub4dor-and-3";

/** A PERSON input with every field the contract has. */
function fullPersonInput(organizationId: string): Record<string, unknown> {
  return {
    type: "PERSON",
    organizationId,
    email: "  Ada.Lovelace@Example.COM ",
    phone: "+44 20 7946 0958",
    nickname: "  Ada  ",
    categorization: "vip",
    tags: ["gold", "early-adopter"],
    externalReference: "crm-0001",
    riskLevel: "MEDIUM",
    manager: "mgr-42",
    person: {
      firstName: { name: "Ada", order: 1, abbreviation: "A.", language: "en", native: "Ада", prefix: "Lady", suffix: "Jr." },
      middleName: { name: "Augusta", order: 2 },
      lastName: { name: "Lovelace", order: 3, language: "ru", native: "Лавлейс" },
      gender: "FEMALE",
      dateOfBirth: "1985-12-10",
      placeOfBirth: "London",
      nationality: "784",
      email: "Ada@Personal.Example.org",
      telephoneNumbers: [
        // national form + alpha-2 country
        { phoneType: "MOBILE", number: "050 123 4567", country: "AE", operator: "Etisalat", encoding: "GSM-7", purpose: "personal" },
        // international form with spaces
        { phoneType: "FIXED", number: "+44 20 7946 0958", purpose: "work" },
        // national form + alpha-3 country
        { phoneType: "FAX", number: "04 123 4567", country: "ARE" },
      ],
      password: SECRET_PASSWORD,
      pinCode: SECRET_PIN,
      secretQuestions: [
        { question: "First pet?", answer: SECRET_ANSWER },
        { question: "Favourite machine?", answer: SECOND_ANSWER },
      ],
    },
    addresses: [
      {
        purpose: "home",
        address: {
          country: "GBR",
          area: "Greater London",
          zipCode: "SW1Y 4LE",
          city: "London",
          street: "St James's Square",
          streetNumber: ["12", "12a"],
          building: "Ockham House",
          apartment: "3",
          entrance: "B",
          floor: "2",
          doorNumber: "3B",
          geoPosition: { latitude: 51.5074, longitude: -0.1361, altitude: 35.5 },
          alternative: { word1: "index", word2: "home", word3: "raft" },
          relatedTo: [{ relationType: "billing", address: "1 Bank St, London" }],
          additionalData: [
            { name: "floors", type: "NUMBER", value: "4.5" },
            { name: "listed", type: "BOOLEAN", value: "true" },
            { name: "since", type: "DATE", value: "2001-05-01" },
            { name: "note", type: "STRING", value: "ring twice" },
          ],
        },
      },
      { purpose: "office", isPrimary: true, address: { country: "784", city: "Dubai" } },
    ],
    documents: [
      {
        purpose: "KYC",
        documentType: "PASSPORT",
        name: "passport.pdf",
        location: "https://files.example.com/passport.pdf",
        metadata: [
          { name: "number", type: "STRING", value: "X1234567" },
          { name: "issued", type: "DATE", value: "2020-01-31" },
        ],
        expiresAt: "2030-01-30",
      },
    ],
    notificationPreferences: [
      { notificationType: "SECURITY_ALERTS", channel: "SMS", isEnabled: true },
      { notificationType: "MARKETING", channel: "EMAIL", isEnabled: false },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// createCustomer: happy paths
// ---------------------------------------------------------------------------------------------

describe("createCustomer: a person with everything", () => {
  let server: TestServer;
  let org: { id: string; name: string };
  let created: any;
  let payload: any;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server, { name: "Acme Partners" });
    payload = payloadOf(await server.gql(CREATE_CUSTOMER, { input: fullPersonInput(org.id) }), "createCustomer");
    assert.deepEqual(payload.userErrors, []);
    created = await getCustomer(server, payload.customer.id);
  });
  after(() => server.close());

  test("the payload returns the customer and its verification, with no userErrors", () => {
    assert.match(payload.customer.id, /^cus_[0-9a-z]{26}$/);
    assert.deepEqual(payload.verification, { status: "PENDING", level: 0 });
    assert.equal(payload.customer.displayName, "Ada Augusta Lovelace");
  });

  test("customer-level fields are stored normalised (trimmed, lower-cased email, E.164 phone)", () => {
    assert.equal(created.type, "PERSON");
    assert.equal(created.status, "NEW");
    assert.equal(created.displayName, "Ada Augusta Lovelace");
    assert.equal(created.nickname, "Ada");
    assert.equal(created.email, "ada.lovelace@example.com");
    assert.equal(created.phone, "+442079460958");
    assert.equal(created.categorization, "vip");
    assert.deepEqual(created.tags, ["gold", "early-adopter"]);
    assert.equal(created.externalReference, "crm-0001");
    assert.equal(created.riskLevel, "MEDIUM");
    assert.equal(created.manager, "mgr-42");
    assert.deepEqual(created.verification, { status: "PENDING", level: 0 });
    assert.equal(created.archivedAt, null);
    assert.equal(created.archivedBy, null);
    assert.equal(created.archivedVia, null);
    assert.equal(created.deactivatedAt, null);
    assert.equal(created.deactivationReason, null);
  });

  test("the person profile reads back completely: structured names, nationality from numeric code", () => {
    const p = created.person;
    assert.equal(p.fullName, "Ada Augusta Lovelace");
    assert.equal(p.gender, "FEMALE");
    assert.equal(p.dateOfBirth, "1985-12-10");
    assert.equal(p.placeOfBirth, "London");
    assert.equal(p.nationality, "AE");
    assert.equal(p.email, "ada@personal.example.org");
    assert.deepEqual(p.firstName, { name: "Ada", order: 1, abbreviation: "A.", language: "en", native: "Ада", prefix: "Lady", suffix: "Jr." });
    assert.deepEqual(created.fullPerson.middleName, { name: "Augusta", order: 2, abbreviation: null, language: null, native: null, prefix: null, suffix: null });
    assert.deepEqual(created.fullPerson.lastName, { name: "Lovelace", order: 3, abbreviation: null, language: "ru", native: "Лавлейс", prefix: null, suffix: null });
  });

  test("telephone numbers are normalised to E.164 from national+country and spaced international input", () => {
    assert.deepEqual(created.person.telephoneNumbers, [
      { phoneType: "MOBILE", number: "+971501234567", country: "AE", operator: "Etisalat", encoding: "GSM-7", purpose: "personal" },
      { phoneType: "FIXED", number: "+442079460958", country: null, operator: null, encoding: null, purpose: "work" },
      { phoneType: "FAX", number: "+97141234567", country: "AE", operator: null, encoding: null, purpose: null },
    ]);
  });

  test("secret questions come back as questions only; hasPassword and hasPinCode are true", () => {
    assert.deepEqual(created.person.secretQuestions, [{ question: "First pet?" }, { question: "Favourite machine?" }]);
    assert.equal(created.person.hasPassword, true);
    assert.equal(created.person.hasPinCode, true);
  });

  test("addresses read back with every field; alpha-3 and numeric countries become alpha-2; isPrimary honoured", () => {
    assert.equal(created.addresses.length, 2);
    for (const a of created.addresses) assert.match(a.id, /^adr_[0-9a-z]{26}$/);
    const [home, office] = created.addresses;
    assert.equal(home.purpose, "home");
    assert.equal(home.isPrimary, false);
    assert.deepEqual(home.address, {
      country: "GB",
      area: "Greater London",
      zipCode: "SW1Y 4LE",
      city: "London",
      street: "St James's Square",
      streetNumber: ["12", "12a"],
      building: "Ockham House",
      apartment: "3",
      entrance: "B",
      floor: "2",
      doorNumber: "3B",
      geoPosition: { latitude: 51.5074, longitude: -0.1361, altitude: 35.5 },
      alternative: { word1: "index", word2: "home", word3: "raft" },
      relatedTo: [{ relationType: "billing", address: "1 Bank St, London" }],
      additionalData: [
        { name: "floors", type: "NUMBER", value: "4.5" },
        { name: "listed", type: "BOOLEAN", value: "true" },
        { name: "since", type: "DATE", value: "2001-05-01" },
        { name: "note", type: "STRING", value: "ring twice" },
      ],
    });
    assert.equal(office.purpose, "office");
    assert.equal(office.isPrimary, true);
    assert.deepEqual(office.address, {
      country: "AE",
      area: null,
      zipCode: null,
      city: "Dubai",
      street: null,
      streetNumber: [],
      building: null,
      apartment: null,
      entrance: null,
      floor: null,
      doorNumber: null,
      geoPosition: null,
      alternative: null,
      relatedTo: [],
      additionalData: [],
    });
  });

  test("documents are created PENDING with their metadata", () => {
    assert.equal(created.fullDocuments.totalCount, 1);
    const [doc] = created.fullDocuments.nodes;
    assert.match(doc.id, /^doc_[0-9a-z]{26}$/);
    assert.equal(doc.purpose, "KYC");
    assert.equal(doc.documentType, "PASSPORT");
    assert.equal(doc.name, "passport.pdf");
    assert.equal(doc.location, "https://files.example.com/passport.pdf");
    assert.equal(doc.status, "PENDING");
    assert.equal(doc.verificationResponse, null);
    assert.deepEqual(doc.metadata, [
      { name: "number", type: "STRING", value: "X1234567" },
      { name: "issued", type: "DATE", value: "2020-01-31" },
    ]);
    assert.equal(doc.expiresAt, "2030-01-30");
    assert.equal(doc.createdAt, created.createdAt);
    assert.equal(doc.reviewedAt, null);
  });

  test("notification preferences are stored as given", () => {
    const prefs = [...created.fullPreferences].sort((a: any, b: any) => a.notificationType.localeCompare(b.notificationType));
    assert.deepEqual(
      prefs.map(({ notificationType, channel, isEnabled }: any) => ({ notificationType, channel, isEnabled })),
      [
        { notificationType: "MARKETING", channel: "EMAIL", isEnabled: false },
        { notificationType: "SECURITY_ALERTS", channel: "SMS", isEnabled: true },
      ],
    );
    for (const p of prefs) assert.equal(p.updatedAt, created.createdAt);
  });

  test("audit fields: created and updated by the caller via API, version 1", async () => {
    const actor = await actorName(server);
    assert.equal(created.version, 1);
    isoDate(created.createdAt);
    assert.equal(created.createdAt, created.updatedAt);
    assert.equal(created.createdBy, actor);
    assert.equal(created.updatedBy, actor);
    assert.equal(created.createdVia, "API");
    assert.equal(created.updatedVia, "API");
  });

  test("the customer is a member of the organization it was created in", () => {
    assert.deepEqual(created.fullMemberships, [
      { organization: { id: org.id, name: "Acme Partners" }, managementMode: false, tags: [], onboardedAt: created.createdAt, active: true },
    ]);
  });

  test("exactly one CREATED event is recorded, by the caller via API", async () => {
    const actor = await actorName(server);
    assert.equal(created.events.totalCount, 1);
    const [event] = created.events.nodes;
    assert.match(event.id, /^evt_[0-9a-z]{26}$/);
    assert.equal(event.type, "CREATED");
    assert.equal(event.customerId, created.id);
    assert.equal(event.actor, actor);
    assert.equal(event.via, "API");
    isoDate(event.occurredAt);
    for (const f of event.changedFields) assert.doesNotMatch(f, /Zq7|4815|Whiskers/);
  });
});

describe("createCustomer: organization customers and ownership", () => {
  let server: TestServer;
  let orgA: { id: string; name: string };
  let orgB: { id: string; name: string };

  before(async () => {
    server = await startTestServer();
    orgA = await createOrganization(server, { name: "Org A" });
    orgB = await createOrganization(server, { name: "Org B" });
  });
  after(() => server.close());

  test("an ORGANIZATION customer with a company: displayName is the legal name, country normalised", async () => {
    const c = await createCustomer(server, {
      type: "ORGANIZATION",
      organizationId: orgB.id,
      email: "hello@initech.example",
      company: { legalName: "Initech Holdings Ltd", shortName: "Initech", registrationNumber: "HRB 12345", countryCode: "276" },
    });
    assert.equal(c.type, "ORGANIZATION");
    assert.equal(c.status, "NEW");
    assert.equal(c.displayName, "Initech Holdings Ltd");
    assert.deepEqual(c.company, { legalName: "Initech Holdings Ltd", shortName: "Initech", registrationNumber: "HRB 12345", countryCode: "DE" });
    assert.equal(c.person, null);
    assert.equal(c.version, 1);
    assert.deepEqual(c.addresses, []);
    assert.deepEqual(c.memberships, [{ organization: { id: orgB.id, name: "Org B" }, managementMode: false, active: true }]);
    const read = await getCustomer(server, c.id);
    assert.equal(read.events.totalCount, 1);
    assert.equal(read.events.nodes[0].type, "CREATED");
  });

  test("an ORGANIZATION customer may carry a contact person; displayName stays the company's", async () => {
    const c = await createCustomer(server, {
      type: "ORGANIZATION",
      organizationId: orgA.id,
      company: { legalName: "Globex Corporation", countryCode: "usa" },
      person: { firstName: { name: "Hank" }, lastName: { name: "Scorpio" }, email: "hank@globex.example" },
    });
    assert.equal(c.displayName, "Globex Corporation");
    assert.deepEqual(c.company, { legalName: "Globex Corporation", shortName: null, registrationNumber: null, countryCode: "US" });
    assert.equal(c.person.fullName, "Hank Scorpio");
    assert.equal(c.person.email, "hank@globex.example");
    assert.equal(c.person.hasPassword, false);
    assert.equal(c.person.hasPinCode, false);
  });

  test("a minimal person: empty lists, null optionals, first address rule does not apply", async () => {
    const c = await createCustomer(server, personInput("Solo", "Person", { organizationId: orgA.id }));
    assert.equal(c.displayName, "Solo Person");
    assert.deepEqual(c.tags, []);
    assert.equal(c.email, null);
    assert.equal(c.phone, null);
    assert.deepEqual(c.addresses, []);
    assert.deepEqual(c.documents, { totalCount: 0, nodes: [] });
    assert.deepEqual(c.notificationPreferences, []);
    assert.deepEqual(c.person.telephoneNumbers, []);
    assert.deepEqual(c.person.secretQuestions, []);
    assert.equal(c.person.hasPassword, false);
    assert.equal(c.person.hasPinCode, false);
  });

  test("the first address becomes primary when none is marked", async () => {
    const c = await createCustomer(server, personInput("Addr", "First", {
      organizationId: orgA.id,
      addresses: [
        { purpose: "home", address: { country: "FR", city: "Paris" } },
        { purpose: "work", address: { country: "FR", city: "Lyon" } },
      ],
    }));
    assert.deepEqual(c.addresses.map((a: any) => [a.purpose, a.isPrimary]), [["home", true], ["work", false]]);
  });

  test("without organizationId the customer joins the caller's organization", async () => {
    const viewer = (dataOf(await server.gql("{ viewer { organization { id } } }")) as any).viewer;
    assert.ok(viewer.organization, "the caller has an organization");
    const c = await createCustomer(server, personInput("Default", "Org"));
    assert.deepEqual(c.memberships.map((m: any) => m.organization.id), [viewer.organization.id]);
  });

  test("unknown organizationId is NOT_FOUND [organizationId] and writes nothing", async () => {
    await expectRefused(
      server,
      CREATE_CUSTOMER,
      { input: personInput("No", "Org", { organizationId: "org_01jzzzzzzzzzzzzzzzzzzzzzzz" }) },
      "createCustomer",
      [{ code: "NOT_FOUND", field: ["organizationId"] }],
    );
  });

  test("externalReference is unique per organization: DUPLICATE in the same one, allowed in another", async () => {
    const first = await createCustomer(server, personInput("Ref", "One", { organizationId: orgA.id, externalReference: "ext-77" }));
    assert.equal(first.externalReference, "ext-77");
    await expectRefused(
      server,
      CREATE_CUSTOMER,
      { input: personInput("Ref", "Two", { organizationId: orgA.id, externalReference: "ext-77" }) },
      "createCustomer",
      [{ code: "DUPLICATE", field: ["externalReference"] }],
    );
    const other = await createCustomer(server, personInput("Ref", "Three", { organizationId: orgB.id, externalReference: "ext-77" }));
    assert.equal(other.externalReference, "ext-77");
    assert.notEqual(other.id, first.id);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets are write-only
// ---------------------------------------------------------------------------------------------

describe("secrets are write-only", () => {
  let server: TestServer;
  let rawResponse: string;
  let customerId: string;
  const PLAIN = [SECRET_PASSWORD, SECRET_PIN, SECRET_ANSWER, SECRET_ANSWER.toLowerCase(), SECOND_ANSWER, SECOND_ANSWER.toLowerCase()];

  before(async () => {
    server = await startTestServer();
    const org = await createOrganization(server, { name: "Vault Org" });
    // Raw HTTP, to check the exact bytes the client receives.
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: CREATE_CUSTOMER, variables: { input: fullPersonInput(org.id) } }),
    });
    rawResponse = await res.text();
    const body = JSON.parse(rawResponse);
    assert.deepEqual(body.data.createCustomer.userErrors, []);
    customerId = body.data.createCustomer.customer.id;
  });
  after(() => server.close());

  /** The SQLite database's files (PostgreSQL's are the server's, not the test's to read). */
  function dbFilesText(): Buffer {
    const db = path.join(server.dir, "test.db");
    return Buffer.concat([db, `${db}-wal`, `${db}-journal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
  }

  test("the create response never contains the password, PIN or answers", () => {
    for (const secret of PLAIN) assert.ok(!rawResponse.includes(secret), `response does not contain ${secret}`);
    assert.doesNotMatch(rawResponse, /scrypt\$/);
  });

  test("reading the customer back exposes hasPassword/hasPinCode and questions, never secrets", async () => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: GET_CUSTOMER, variables: { id: customerId } }),
    });
    const text = await res.text();
    const customer = JSON.parse(text).data.customer;
    assert.equal(customer.person.hasPassword, true);
    assert.equal(customer.person.hasPinCode, true);
    assert.deepEqual(customer.person.secretQuestions, [{ question: "First pet?" }, { question: "Favourite machine?" }]);
    for (const secret of PLAIN) assert.ok(!text.includes(secret), `read does not contain ${secret}`);
    assert.doesNotMatch(text, /scrypt\$/);
  });

  test("the schema offers no way to query a secret", async () => {
    const res = await server.gql(`query ($id: ID!) { customer(id: $id) { person { password } } }`, { id: customerId });
    assert.equal(res.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
  });

  test("the database holds scrypt hashes only, each salted differently", async () => {
    const person = (await sqlGet(server, "select password_hash, pin_code_hash from persons where customer_id = ?", customerId)) as any;
    assert.match(person.password_hash, /^scrypt\$/);
    assert.match(person.pin_code_hash, /^scrypt\$/);
    const answers = (await sqlAll(server, "select question, answer_hash from secret_questions where customer_id = ? order by position", customerId)) as any[];
    assert.deepEqual(answers.map((a) => a.question), ["First pet?", "Favourite machine?"]);
    for (const a of answers) assert.match(a.answer_hash, /^scrypt\$/);
    const hashes = [person.password_hash, person.pin_code_hash, ...answers.map((a) => a.answer_hash)];
    assert.equal(new Set(hashes).size, hashes.length, "every hash is distinct");
  });

  test("the plain text appears nowhere in the database: not in any row", async () => {
    const rows = JSON.stringify(await dbSnapshot(server));
    for (const secret of PLAIN) assert.ok(!rows.includes(secret), `no row contains ${secret}`);
  });

  test("the plain text appears nowhere in the database files", { skip: onPostgres ? "SQLite's files; PostgreSQL's files are the server's" : false }, () => {
    const files = dbFilesText();
    assert.ok(files.length > 0, "database files exist");
    for (const secret of PLAIN) assert.equal(files.indexOf(Buffer.from(secret, "utf8")), -1, `database files do not contain ${secret}`);
  });

  test("the events record no secret value", async () => {
    const rows = await sqlAll(server, "select changed_fields from customer_events where customer_id = ?", customerId);
    const text = JSON.stringify(rows);
    for (const secret of PLAIN) assert.ok(!text.includes(secret));
  });

  test("changing the password records person.password by name, re-hashes, and leaks nothing", async (t) => {
    const hashOf = async () => (await sqlGet(server, "select password_hash from persons where customer_id = ?", customerId)).password_hash;
    const before = await hashOf();
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: UPDATE_CUSTOMER,
        variables: { input: { id: customerId, person: { firstName: { name: "Ada", order: 1, abbreviation: "A.", language: "en", native: "Ада", prefix: "Lady", suffix: "Jr." }, password: NEW_PASSWORD } } },
      }),
    });
    const text = await res.text();
    const payload = JSON.parse(text).data.updateCustomer;
    assert.deepEqual(payload.userErrors, []);
    assert.ok(!text.includes(NEW_PASSWORD));
    assert.equal(payload.customer.person.hasPassword, true);
    assert.deepEqual(lastEvent(payload.customer).changedFields, ["person.password"]);
    const afterHash = await hashOf();
    assert.match(afterHash, /^scrypt\$/);
    assert.notEqual(afterHash, before);
    assert.ok(!JSON.stringify(await dbSnapshot(server)).includes(NEW_PASSWORD));
    await t.test("nor in the SQLite files", { skip: onPostgres ? "SQLite's files; PostgreSQL's files are the server's" : false }, () => {
      assert.equal(dbFilesText().indexOf(Buffer.from(NEW_PASSWORD, "utf8")), -1);
    });
  });

  test("a refused secret (too short password) does not echo it in the userError", async () => {
    const errors = await expectRefused(
      server,
      UPDATE_CUSTOMER,
      { input: { id: customerId, person: { firstName: { name: "Ada" }, password: "short1" } } },
      "updateCustomer",
      [{ code: "INVALID", field: ["person", "password"] }],
    );
    assert.ok(!JSON.stringify(errors).includes("short1"));
  });

  test("a create with secrets that fails unexpectedly is logged without the secrets", async () => {
    const restore = await injectInsertFailure(server, "secret_questions");
    try {
      const input = fullPersonInput((dataOf(await server.gql("{ organizations(first: 1) { nodes { id } } }")) as any).organizations.nodes[0].id);
      input.externalReference = "fails-midway";
      const res = await server.gql(CREATE_CUSTOMER, { input });
      assertInternalError(res);
      assert.ok(!JSON.stringify(res).includes(SECRET_PASSWORD));
    } finally {
      await restore();
    }
    assert.ok(server.logs.length > 0, "the unexpected error was logged");
  });

  test("the server log never contains a secret", () => {
    const logs = server.logs.join("\n");
    for (const secret of [...PLAIN, NEW_PASSWORD, "short1"]) assert.ok(!logs.includes(secret), `logs do not contain ${secret}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Input hygiene
// ---------------------------------------------------------------------------------------------

describe("createCustomer: input hygiene", () => {
  let server: TestServer;
  let orgId: string;

  before(async () => {
    server = await startTestServer();
    orgId = (await createOrganization(server, { name: "Hygiene Org" })).id;
    // One valid customer, so that "writes nothing" is checked against a non-empty database.
    await createCustomer(server, personInput("Valid", "Customer", { organizationId: orgId }));
  });
  after(() => server.close());

  const person = (extra: Record<string, unknown> = {}) => ({ firstName: { name: "Eve" }, lastName: { name: "Adams" }, ...extra });
  const withPerson = (extra: Record<string, unknown>) => ({ type: "PERSON", person: person(), ...extra });
  const address = (a: Record<string, unknown>) => [{ purpose: "home", address: { country: "DE", ...a } }];

  const cases: { name: string; input: () => Record<string, unknown>; field: string[] }[] = [
    { name: "bad customer email", input: () => withPerson({ email: "not-an-email" }), field: ["email"] },
    { name: "bad person email", input: () => ({ type: "PERSON", person: person({ email: "eve@" }) }), field: ["person", "email"] },
    { name: "bad phone", input: () => withPerson({ phone: "12345" }), field: ["phone"] },
    {
      name: "bad telephone number",
      input: () => ({ type: "PERSON", person: person({ telephoneNumbers: [{ phoneType: "MOBILE", number: "+44 20 7946 0958" }, { phoneType: "MOBILE", number: "0000", country: "AE" }] }) }),
      field: ["person", "telephoneNumbers", "1", "number"],
    },
    { name: "bad address country code", input: () => withPerson({ addresses: address({ country: "XX" }) }), field: ["addresses", "0", "address", "country"] },
    { name: "bad nationality", input: () => ({ type: "PERSON", person: person({ nationality: "999" }) }), field: ["person", "nationality"] },
    { name: "bad company country", input: () => ({ type: "ORGANIZATION", company: { legalName: "X", countryCode: "ZZZ" } }), field: ["company", "countryCode"] },
    { name: "bad date (30 February)", input: () => ({ type: "PERSON", person: person({ dateOfBirth: "1990-02-30" }) }), field: ["person", "dateOfBirth"] },
    { name: "bad date format", input: () => ({ type: "PERSON", person: person({ dateOfBirth: "10/12/1990" }) }), field: ["person", "dateOfBirth"] },
    { name: "dateOfBirth in the future", input: () => ({ type: "PERSON", person: person({ dateOfBirth: daysFromToday(2) }) }), field: ["person", "dateOfBirth"] },
    { name: "bad document expiry date", input: () => withPerson({ documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "p", expiresAt: "2030-13-01" }] }), field: ["documents", "0", "expiresAt"] },
    { name: "nickname over 100 characters", input: () => withPerson({ nickname: "n".repeat(101) }), field: ["nickname"] },
    { name: "zipCode over 20 characters", input: () => withPerson({ addresses: address({ zipCode: "1".repeat(21) }) }), field: ["addresses", "0", "address", "zipCode"] },
    { name: "blank first name", input: () => ({ type: "PERSON", person: { firstName: { name: "   " } } }), field: ["person", "firstName", "name"] },
    { name: "blank company legal name", input: () => ({ type: "ORGANIZATION", company: { legalName: "" } }), field: ["company", "legalName"] },
    { name: "blank address purpose", input: () => withPerson({ addresses: [{ purpose: " ", address: { country: "DE" } }] }), field: ["addresses", "0", "purpose"] },
    { name: "blank tag", input: () => withPerson({ tags: ["ok", "  "] }), field: ["tags", "1"] },
    { name: "PERSON without person", input: () => ({ type: "PERSON", email: "eve@example.com" }), field: ["person"] },
    { name: "ORGANIZATION without company", input: () => ({ type: "ORGANIZATION", person: person() }), field: ["company"] },
    {
      name: "two primary addresses",
      input: () => withPerson({
        addresses: [
          { purpose: "a", isPrimary: true, address: { country: "DE" } },
          { purpose: "b", address: { country: "DE" } },
          { purpose: "c", isPrimary: true, address: { country: "DE" } },
        ],
      }),
      field: ["addresses", "2", "isPrimary"],
    },
    {
      name: "duplicate notification preference",
      input: () => withPerson({
        notificationPreferences: [
          { notificationType: "MARKETING", channel: "EMAIL", isEnabled: true },
          { notificationType: "MARKETING", channel: "SMS", isEnabled: true },
          { notificationType: "MARKETING", channel: "EMAIL", isEnabled: false },
        ],
      }),
      field: ["notificationPreferences", "2"],
    },
    {
      name: "NamedValue NUMBER that is not a number",
      input: () => withPerson({ addresses: address({ additionalData: [{ name: "rooms", type: "NUMBER", value: "abc" }] }) }),
      field: ["addresses", "0", "address", "additionalData", "0", "value"],
    },
    {
      name: "NamedValue BOOLEAN that is not a boolean",
      input: () => withPerson({ documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "p", metadata: [{ name: "ok", type: "BOOLEAN", value: "yes" }] }] }),
      field: ["documents", "0", "metadata", "0", "value"],
    },
    {
      name: "NamedValue DATE that is not a date",
      input: () => withPerson({ addresses: address({ additionalData: [{ name: "d", type: "STRING", value: "x" }, { name: "since", type: "DATE", value: "2020-02-31" }] }) }),
      field: ["addresses", "0", "address", "additionalData", "1", "value"],
    },
    {
      name: "non-http document location",
      input: () => withPerson({ documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "p", location: "ftp://files.example.com/p.pdf" }] }),
      field: ["documents", "0", "location"],
    },
    {
      name: "javascript: document location",
      input: () => withPerson({ documents: [{ purpose: "OTHER", documentType: "OTHER", name: "p", location: "javascript:alert(1)" }] }),
      field: ["documents", "0", "location"],
    },
    { name: "latitude 91", input: () => withPerson({ addresses: address({ geoPosition: { latitude: 91, longitude: 10 } }) }), field: ["addresses", "0", "address", "geoPosition", "latitude"] },
    { name: "longitude -180.5", input: () => withPerson({ addresses: address({ geoPosition: { latitude: 0, longitude: -180.5 } }) }), field: ["addresses", "0", "address", "geoPosition", "longitude"] },
    { name: "too many tags (51)", input: () => withPerson({ tags: Array.from({ length: 51 }, (_, i) => `tag-${i}`) }), field: ["tags"] },
    { name: "too many telephone numbers (11)", input: () => ({ type: "PERSON", person: person({ telephoneNumbers: Array.from({ length: 11 }, () => ({ phoneType: "MOBILE", number: "+971501234567" })) }) }), field: ["person", "telephoneNumbers"] },
    { name: "PIN code with letters", input: () => ({ type: "PERSON", person: person({ pinCode: "12ab" }) }), field: ["person", "pinCode"] },
  ];

  for (const c of cases) {
    test(`${c.name}: INVALID ${JSON.stringify(c.field)} and nothing written`, async () => {
      await expectRefused(server, CREATE_CUSTOMER, { input: { organizationId: orgId, ...c.input() } }, "createCustomer", [
        { code: "INVALID", field: c.field },
      ]);
    });
  }

  test("several errors at once are all reported", async () => {
    await expectRefused(
      server,
      CREATE_CUSTOMER,
      {
        input: {
          type: "PERSON",
          organizationId: orgId,
          email: "bad@",
          phone: "+1",
          tags: Array.from({ length: 60 }, (_, i) => `t${i}`),
          person: person({ dateOfBirth: "1990-02-30", nationality: "QQ" }),
          addresses: address({ country: "XX", geoPosition: { latitude: 91, longitude: 0 } }),
          documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "p", location: "ftp://x.example" }],
        },
      },
      "createCustomer",
      [
        { code: "INVALID", field: ["email"] },
        { code: "INVALID", field: ["phone"] },
        { code: "INVALID", field: ["tags"] },
        { code: "INVALID", field: ["person", "dateOfBirth"] },
        { code: "INVALID", field: ["person", "nationality"] },
        { code: "INVALID", field: ["addresses", "0", "address", "country"] },
        { code: "INVALID", field: ["addresses", "0", "address", "geoPosition", "latitude"] },
        { code: "INVALID", field: ["documents", "0", "location"] },
      ],
    );
  });

  test("cross-field errors (missing person, two primaries) are reported together with a bad email", async () => {
    await expectRefused(
      server,
      CREATE_CUSTOMER,
      {
        input: {
          type: "PERSON",
          organizationId: orgId,
          email: "bad@",
          addresses: [
            { purpose: "a", isPrimary: true, address: { country: "DE" } },
            { purpose: "b", isPrimary: true, address: { country: "DE" } },
          ],
        },
      },
      "createCustomer",
      [
        { code: "INVALID", field: ["email"] },
        { code: "INVALID", field: ["person"] },
        { code: "INVALID", field: ["addresses", "1", "isPrimary"] },
      ],
    );
  });

  test("cross-field errors (missing person, two primaries) are reported together with a bad phone or country", async () => {
    await expectRefused(
      server,
      CREATE_CUSTOMER,
      {
        input: {
          type: "PERSON",
          organizationId: orgId,
          phone: "12345",
          addresses: [
            { purpose: "a", isPrimary: true, address: { country: "DE" } },
            { purpose: "b", isPrimary: true, address: { country: "DE" } },
          ],
        },
      },
      "createCustomer",
      [
        { code: "INVALID", field: ["phone"] },
        { code: "INVALID", field: ["person"] },
        { code: "INVALID", field: ["addresses", "1", "isPrimary"] },
      ],
    );
    await expectRefused(
      server,
      CREATE_CUSTOMER,
      {
        input: {
          type: "ORGANIZATION",
          organizationId: orgId,
          addresses: [
            { purpose: "a", isPrimary: true, address: { country: "DE" } },
            { purpose: "b", isPrimary: true, address: { country: "Atlantis" } },
          ],
        },
      },
      "createCustomer",
      [
        { code: "INVALID", field: ["company"] },
        { code: "INVALID", field: ["addresses", "1", "address", "country"] },
        { code: "INVALID", field: ["addresses", "1", "isPrimary"] },
      ],
    );
  });

  test("a dateOfBirth of today is accepted; before 1900 is not", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const c = await createCustomer(server, { type: "PERSON", organizationId: orgId, person: person({ dateOfBirth: today }) });
    assert.equal(c.person.dateOfBirth, today);
    await expectRefused(server, CREATE_CUSTOMER, { input: { type: "PERSON", organizationId: orgId, person: person({ dateOfBirth: "1899-12-31" }) } }, "createCustomer", [
      { code: "INVALID", field: ["person", "dateOfBirth"] },
    ]);
  });

  test("limits are inclusive: 100-character nickname and 50 tags are accepted", async () => {
    const c = await createCustomer(server, withPerson({ organizationId: orgId, nickname: "n".repeat(100), tags: Array.from({ length: 50 }, (_, i) => `t${i}`) }));
    assert.equal(c.nickname.length, 100);
    assert.equal(c.tags.length, 50);
  });

  test("tags are trimmed and de-duplicated; blank optional text is stored as null", async () => {
    const c = await createCustomer(server, withPerson({ organizationId: orgId, tags: [" a ", "b", "a"], nickname: "   ", categorization: "" }));
    assert.deepEqual(c.tags, ["a", "b"]);
    assert.equal(c.nickname, null);
    assert.equal(c.categorization, null);
  });

  async function expectRequestError(query: string, variables: Record<string, unknown>, code: string) {
    const before = await tableCounts(server);
    const rows = await dbSnapshot(server);
    const res = await server.gql(query, variables);
    assert.ok(res.errors && res.errors.length > 0, "a GraphQL error");
    assert.equal(res.errors[0].extensions?.code, code);
    assert.equal(res.data?.createCustomer ?? undefined, undefined, "no payload");
    assert.doesNotMatch(JSON.stringify(res.errors), /stack|sqlite|SELECT|INSERT/i);
    assert.deepEqual(await tableCounts(server), before);
    assert.deepEqual(await dbSnapshot(server), rows);
  }

  test("an enum violation in variables is a BAD_USER_INPUT request error, not a userError", async () => {
    await expectRequestError(CREATE_CUSTOMER, { input: { type: "ALIEN", person: person() } }, "BAD_USER_INPUT");
  });

  test("a nested enum violation (gender, phoneType, document purpose) is a request error", async () => {
    await expectRequestError(CREATE_CUSTOMER, { input: { type: "PERSON", person: person({ gender: "ROBOT" }) } }, "BAD_USER_INPUT");
    await expectRequestError(
      CREATE_CUSTOMER,
      { input: { type: "PERSON", person: person({ telephoneNumbers: [{ phoneType: "PAGER", number: "+971501234567" }] }) } },
      "BAD_USER_INPUT",
    );
    await expectRequestError(
      CREATE_CUSTOMER,
      { input: withPerson({ documents: [{ purpose: "GOSSIP", documentType: "PASSPORT", name: "p" }] }) },
      "BAD_USER_INPUT",
    );
  });

  test("an enum violation written inline in the document fails validation", async () => {
    await expectRequestError(
      `mutation { createCustomer(input: { type: ALIEN, person: { firstName: { name: "X" } } }) { userErrors { code } } }`,
      {},
      "GRAPHQL_VALIDATION_FAILED",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// updateCustomer
// ---------------------------------------------------------------------------------------------

describe("updateCustomer", () => {
  let server: TestServer;
  let orgId: string;
  let actor: string;
  const ADA_FIRST = { name: "Ada", order: 1, abbreviation: "A.", language: "en", native: "Ада", prefix: "Lady", suffix: "Jr." };

  before(async () => {
    server = await startTestServer();
    orgId = (await createOrganization(server, { name: "Update Org" })).id;
    actor = await actorName(server);
  });
  after(() => server.close());

  async function freshPerson(reference?: string): Promise<any> {
    const input = fullPersonInput(orgId);
    input.externalReference = reference ?? null;
    const c = await createCustomer(server, input);
    return getCustomer(server, c.id);
  }

  test("a partial update changes only the given field; everything else stays as it was", async () => {
    const before = await freshPerson();
    const afterUpdate = await update(server, { id: before.id, nickname: "Countess" });
    const read = await getCustomer(server, before.id);
    assert.deepEqual(stable(afterUpdate), stable(read), "payload is what a later read shows");
    assert.deepEqual(stable(read), { ...stable(before), nickname: "Countess" });
    assert.equal(read.version, before.version + 1);
    assert.equal(read.createdAt, before.createdAt);
    assert.equal(read.createdBy, before.createdBy);
    assert.equal(read.person.hasPassword, true);
    assert.equal(read.person.hasPinCode, true);
  });

  test("the UPDATED event has exactly the changed fields, the actor and the channel", async () => {
    const before = await freshPerson();
    const c = await update(server, { id: before.id, nickname: "Countess", riskLevel: "HIGH", tags: ["gold", "early-adopter", "new"] });
    assert.equal(c.events.totalCount, 2);
    const event = lastEvent(c);
    assert.equal(event.type, "UPDATED");
    assert.equal(event.customerId, before.id);
    assert.deepEqual([...event.changedFields].sort(), ["nickname", "riskLevel", "tags"]);
    assert.equal(event.actor, actor);
    assert.equal(event.via, "API");
    assert.ok(event.occurredAt >= before.createdAt);
  });

  test("null clears nullable fields; normalisation applies to new values", async () => {
    const before = await freshPerson();
    const c = await update(server, {
      id: before.id,
      email: null,
      phone: "+971 50 765 4321",
      categorization: null,
      riskLevel: null,
      manager: null,
      person: { firstName: ADA_FIRST, gender: null, dateOfBirth: null, placeOfBirth: null, nationality: "ARE", middleName: null },
    });
    assert.equal(c.email, null);
    assert.equal(c.phone, "+971507654321");
    assert.equal(c.categorization, null);
    assert.equal(c.riskLevel, null);
    assert.equal(c.manager, null);
    assert.equal(c.person.gender, null);
    assert.equal(c.person.dateOfBirth, null);
    assert.equal(c.person.placeOfBirth, null);
    assert.equal(c.person.nationality, "AE");
    assert.equal(c.person.middleName, null);
    assert.equal(c.person.fullName, "Ada Lovelace");
    assert.equal(c.displayName, "Ada Lovelace");
    assert.deepEqual(
      [...lastEvent(c).changedFields].sort(),
      ["categorization", "email", "manager", "person.dateOfBirth", "person.gender", "person.middleName", "person.placeOfBirth", "phone", "riskLevel"],
    );
    // untouched
    assert.equal(c.nickname, "Ada");
    assert.equal(c.person.email, "ada@personal.example.org");
    assert.equal(c.person.telephoneNumbers.length, 3);
  });

  test("lists given replace the list: tags, telephone numbers, secret questions", async () => {
    const before = await freshPerson();
    const c = await update(server, {
      id: before.id,
      tags: ["platinum"],
      person: {
        firstName: ADA_FIRST,
        telephoneNumbers: [{ phoneType: "VOIP", number: "+1 202 555 0143", purpose: "desk" }],
        secretQuestions: [{ question: "Mother's maiden name?", answer: "Milbanke" }],
      },
    });
    assert.deepEqual(c.tags, ["platinum"]);
    assert.deepEqual(c.person.telephoneNumbers, [
      { phoneType: "VOIP", number: "+12025550143", country: null, operator: null, encoding: null, purpose: "desk" },
    ]);
    assert.deepEqual(c.person.secretQuestions, [{ question: "Mother's maiden name?" }]);
    assert.deepEqual([...lastEvent(c).changedFields].sort(), ["person.secretQuestions", "person.telephoneNumbers", "tags"]);
    const rows = await sqlAll(server, "select answer_hash from secret_questions where customer_id = ?", before.id);
    assert.equal(rows.length, 1);
    assert.match(rows[0].answer_hash, /^scrypt\$/);
    const cleared = await update(server, { id: before.id, tags: [], person: { firstName: ADA_FIRST, telephoneNumbers: [] } });
    assert.deepEqual(cleared.tags, []);
    assert.deepEqual(cleared.person.telephoneNumbers, []);
    assert.deepEqual(cleared.person.secretQuestions, [{ question: "Mother's maiden name?" }], "secret questions left out stay");
  });

  test("changing person.lastName updates fullName and displayName and records only person.lastName", async () => {
    const before = await freshPerson();
    const c = await update(server, { id: before.id, person: { firstName: ADA_FIRST, lastName: { name: "King", order: 3, language: "ru", native: "Лавлейс" } } });
    assert.equal(c.displayName, "Ada Augusta King");
    assert.equal(c.person.fullName, "Ada Augusta King");
    assert.equal(c.person.lastName.name, "King");
    assert.deepEqual(c.fullPerson.middleName.name, "Augusta", "middle name left out stays");
    assert.deepEqual(lastEvent(c).changedFields, ["person.lastName"]);
    assert.equal(c.version, 2);
    // The person's other data is untouched.
    assert.deepEqual(c.person.telephoneNumbers, before.person.telephoneNumbers);
    assert.equal(c.person.hasPassword, true);
    assert.equal(c.person.dateOfBirth, "1985-12-10");
  });

  test("a changed password is recorded as person.password, without its value", async () => {
    const before = await freshPerson();
    const c = await update(server, { id: before.id, person: { firstName: ADA_FIRST, password: NEW_PASSWORD, pinCode: "2468" } });
    assert.deepEqual([...lastEvent(c).changedFields].sort(), ["person.password", "person.pinCode"]);
    assert.equal(c.person.hasPassword, true);
    assert.equal(c.person.hasPinCode, true);
    assert.ok(!JSON.stringify(c).includes(NEW_PASSWORD));
    const cleared = await update(server, { id: before.id, person: { firstName: ADA_FIRST, password: null } });
    assert.equal(cleared.person.hasPassword, false);
    assert.equal(cleared.person.hasPinCode, true);
    assert.deepEqual(lastEvent(cleared).changedFields, ["person.password"]);
    const row = await sqlGet(server, "select password_hash, pin_code_hash from persons where customer_id = ?", before.id);
    assert.equal(row.password_hash, null);
    assert.match(row.pin_code_hash, /^scrypt\$/);
  });

  test("an unchanged password sent along with a real change is not recorded and keeps its stored hash", async () => {
    const before = await freshPerson();
    const hashOf = async () => (await sqlGet(server, "select password_hash from persons where customer_id = ?", before.id)).password_hash;
    const hashBefore = await hashOf();
    const c = await update(server, { id: before.id, person: { firstName: ADA_FIRST, password: SECRET_PASSWORD, placeOfBirth: "Marylebone" } });
    assert.deepEqual(lastEvent(c).changedFields, ["person.placeOfBirth"]);
    assert.equal(await hashOf(), hashBefore);
    assert.equal(c.person.hasPassword, true);
  });

  test("NO_CHANGES when every given value equals the current one (incl. same password, PIN and answers)", async () => {
    const before = await freshPerson();
    const cases: Record<string, unknown>[] = [
      { id: before.id, nickname: "Ada" },
      { id: before.id, nickname: "  Ada " },
      { id: before.id, email: "ADA.LOVELACE@example.com" },
      { id: before.id, phone: "+44 20 7946 0958" },
      { id: before.id, tags: ["gold", "early-adopter"] },
      { id: before.id, riskLevel: "MEDIUM", manager: "mgr-42", categorization: "vip" },
      { id: before.id, person: { firstName: ADA_FIRST } },
      { id: before.id, person: { firstName: ADA_FIRST, password: SECRET_PASSWORD } },
      { id: before.id, person: { firstName: ADA_FIRST, pinCode: SECRET_PIN } },
      { id: before.id, person: { firstName: ADA_FIRST, nationality: "784", gender: "FEMALE", dateOfBirth: "1985-12-10" } },
      {
        id: before.id,
        person: {
          firstName: ADA_FIRST,
          secretQuestions: [
            { question: "First pet?", answer: SECRET_ANSWER },
            { question: "Favourite machine?", answer: SECOND_ANSWER },
          ],
        },
      },
      {
        id: before.id,
        person: {
          firstName: ADA_FIRST,
          telephoneNumbers: [
            { phoneType: "MOBILE", number: "+971501234567", country: "784", operator: "Etisalat", encoding: "GSM-7", purpose: "personal" },
            { phoneType: "FIXED", number: "+442079460958", purpose: "work" },
            { phoneType: "FAX", number: "+97141234567", country: "AE" },
          ],
        },
      },
      { id: before.id, expectedVersion: 1, nickname: "Ada" },
    ];
    for (const input of cases) {
      const errors = await expectRefused(server, UPDATE_CUSTOMER, { input }, "updateCustomer", [{ code: "NO_CHANGES", field: null }]);
      assert.ok(!JSON.stringify(errors).includes(SECRET_PASSWORD));
    }
    const read = await getCustomer(server, before.id);
    assert.equal(read.version, 1);
    assert.equal(read.events.totalCount, 1);
  });

  test("expectedVersion: a stale version is VERSION_CONFLICT and nothing changes; the current one succeeds", async () => {
    const before = await freshPerson();
    const v2 = await update(server, { id: before.id, expectedVersion: 1, nickname: "v2" });
    assert.equal(v2.version, 2);
    await expectRefused(server, UPDATE_CUSTOMER, { input: { id: before.id, expectedVersion: 1, nickname: "stale" } }, "updateCustomer", [
      { code: "VERSION_CONFLICT", field: ["expectedVersion"] },
    ]);
    await expectRefused(server, UPDATE_CUSTOMER, { input: { id: before.id, expectedVersion: 3, nickname: "future" } }, "updateCustomer", [
      { code: "VERSION_CONFLICT", field: ["expectedVersion"] },
    ]);
    const read = await getCustomer(server, before.id);
    assert.equal(read.nickname, "v2");
    assert.equal(read.version, 2);
    const v3 = await update(server, { id: before.id, expectedVersion: 2, nickname: "v3" });
    assert.equal(v3.version, 3);
    assert.equal(v3.nickname, "v3");
  });

  test("version increments by exactly 1 on each change, with updatedAt/By/Via", async () => {
    const before = await freshPerson();
    let previous = before;
    for (const [i, input] of [{ nickname: "one" }, { email: "two@example.com" }, { person: { firstName: { name: "Three" } } }].entries()) {
      await new Promise((resolve) => setTimeout(resolve, 5)); // so that timestamps must differ
      const c = await update(server, { id: before.id, ...input });
      assert.equal(c.version, i + 2);
      assert.equal(c.createdAt, before.createdAt);
      assert.ok(c.updatedAt > previous.updatedAt, `updatedAt moves forward: ${previous.updatedAt} -> ${c.updatedAt}`);
      isoDate(c.updatedAt);
      assert.equal(c.updatedBy, actor);
      assert.equal(c.updatedVia, "API");
      assert.equal(c.events.totalCount, i + 2);
      assert.ok(lastEvent(c).occurredAt >= c.updatedAt, "the event is recorded with the change");
      previous = c;
    }
    assert.equal(previous.displayName, "Three Augusta Lovelace");
    assert.deepEqual(lastEvent(previous).changedFields, ["person.firstName"]);
  });

  test("company on a PERSON customer is INVALID [company]", async () => {
    const before = await freshPerson();
    await expectRefused(server, UPDATE_CUSTOMER, { input: { id: before.id, nickname: "x", company: { legalName: "Nope Ltd" } } }, "updateCustomer", [
      { code: "INVALID", field: ["company"] },
    ]);
  });

  test("unknown id is NOT_FOUND [id]", async () => {
    await expectRefused(server, UPDATE_CUSTOMER, { input: { id: "cus_01jzzzzzzzzzzzzzzzzzzzzzzz", nickname: "x" } }, "updateCustomer", [
      { code: "NOT_FOUND", field: ["id"] },
    ]);
  });

  test("invalid values are INVALID with their paths and change nothing", async () => {
    const before = await freshPerson();
    await expectRefused(
      server,
      UPDATE_CUSTOMER,
      {
        input: {
          id: before.id,
          email: "nope",
          nickname: "x".repeat(101),
          person: { firstName: { name: "" }, telephoneNumbers: [{ phoneType: "MOBILE", number: "123" }], dateOfBirth: daysFromToday(3) },
        },
      },
      "updateCustomer",
      [
        { code: "INVALID", field: ["email"] },
        { code: "INVALID", field: ["nickname"] },
        { code: "INVALID", field: ["person", "firstName", "name"] },
        { code: "INVALID", field: ["person", "dateOfBirth"] },
        { code: "INVALID", field: ["person", "telephoneNumbers", "0", "number"] },
      ],
    );
  });

  test("externalReference: DUPLICATE [externalReference] when another customer of the organization has it", async () => {
    const a = await freshPerson("ref-a");
    const b = await freshPerson("ref-b");
    await expectRefused(server, UPDATE_CUSTOMER, { input: { id: b.id, externalReference: "ref-a" } }, "updateCustomer", [
      { code: "DUPLICATE", field: ["externalReference"] },
    ]);
    const c = await update(server, { id: b.id, externalReference: "ref-c" });
    assert.equal(c.externalReference, "ref-c");
    const found = dataOf(await server.gql(`{ customerByExternalReference(externalReference: "ref-a") { id } }`)) as any;
    assert.equal(found.customerByExternalReference?.id, a.id);
  });

  test("an ORGANIZATION customer: company changes update displayName and record company.* fields", async () => {
    const org = await createCustomer(server, {
      type: "ORGANIZATION",
      organizationId: orgId,
      company: { legalName: "Umbrella Corp", shortName: "Umbrella", countryCode: "GB" },
    });
    const c = await update(server, { id: org.id, company: { legalName: "Umbrella Corporation plc", countryCode: "826" } });
    assert.equal(c.displayName, "Umbrella Corporation plc");
    assert.deepEqual(c.company, { legalName: "Umbrella Corporation plc", shortName: "Umbrella", registrationNumber: null, countryCode: "GB" });
    assert.deepEqual(lastEvent(c).changedFields, ["company.legalName"]);
    await expectRefused(server, UPDATE_CUSTOMER, { input: { id: org.id, company: { legalName: "Umbrella Corporation plc", countryCode: "GBR" } } }, "updateCustomer", [
      { code: "NO_CHANGES", field: null },
    ]);
    const cleared = await update(server, { id: org.id, company: { legalName: "Umbrella Corporation plc", shortName: null } });
    assert.equal(cleared.company.shortName, null);
    assert.deepEqual(lastEvent(cleared).changedFields, ["company.shortName"]);
    const withContact = await update(server, { id: org.id, person: { firstName: { name: "Albert" }, lastName: { name: "Wesker" } } });
    assert.equal(withContact.person.fullName, "Albert Wesker");
    assert.equal(withContact.displayName, "Umbrella Corporation plc", "a contact person does not rename the company");
    assert.equal(withContact.version, 4);
  });
});

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

describe("customer addresses", () => {
  let server: TestServer;
  let orgId: string;

  before(async () => {
    server = await startTestServer();
    orgId = (await createOrganization(server, { name: "Address Org" })).id;
  });
  after(() => server.close());

  const newCustomer = async () => (await createCustomer(server, personInput("Addy", "Ress", { organizationId: orgId }))).id as string;

  async function add(customerId: string, address: Record<string, unknown>) {
    const p = payloadOf(await server.gql(ADD_ADDRESS, { input: { customerId, address } }), "addCustomerAddress");
    assert.deepEqual(p.userErrors, []);
    return p;
  }

  test("the first address becomes primary even when not marked; the payload carries it and the customer", async () => {
    const id = await newCustomer();
    const p = await add(id, { purpose: "home", isPrimary: false, address: { country: "056", city: "Brussels", streetNumber: ["1"] } });
    assert.match(p.customerAddress.id, /^adr_[0-9a-z]{26}$/);
    assert.equal(p.customerAddress.isPrimary, true);
    assert.equal(p.customerAddress.purpose, "home");
    assert.equal(p.customerAddress.address.country, "BE");
    assert.deepEqual(p.customer.addresses.map((a: any) => [a.id, a.isPrimary]), [[p.customerAddress.id, true]]);
    assert.equal(p.customer.version, 2);
    const event = lastEvent(p.customer);
    assert.equal(event.type, "UPDATED");
    assert.deepEqual(event.changedFields, ["addresses"]);
  });

  test("adding without isPrimary keeps the primary; adding with isPrimary:true moves it", async () => {
    const id = await newCustomer();
    const first = await add(id, { purpose: "home", address: { country: "DE" } });
    const second = await add(id, { purpose: "work", address: { country: "DE" } });
    assert.equal(second.customerAddress.isPrimary, false);
    assert.deepEqual(second.customer.addresses.map((a: any) => a.isPrimary), [true, false]);
    const third = await add(id, { purpose: "holiday", isPrimary: true, address: { country: "ES" } });
    assert.equal(third.customerAddress.isPrimary, true);
    assert.deepEqual(third.customer.addresses.map((a: any) => [a.id, a.isPrimary]), [
      [first.customerAddress.id, false],
      [second.customerAddress.id, false],
      [third.customerAddress.id, true],
    ]);
    assert.equal(third.customer.version, 4);
  });

  test("updateCustomerAddress replaces the address, changes purpose and moves primary", async () => {
    const id = await newCustomer();
    const first = await add(id, { purpose: "home", address: { country: "DE", city: "Berlin", street: "Unter den Linden", streetNumber: ["1"] } });
    const second = await add(id, { purpose: "work", address: { country: "DE" } });
    const p = payloadOf(
      await server.gql(UPDATE_ADDRESS, {
        input: {
          id: first.customerAddress.id,
          purpose: "old home",
          address: { country: "AUT", city: "Wien", geoPosition: { latitude: 48.2082, longitude: 16.3738 }, additionalData: [{ name: "x", type: "NUMBER", value: "-1e3" }] },
        },
      }),
      "updateCustomerAddress",
    );
    assert.deepEqual(p.userErrors, []);
    assert.equal(p.customerAddress.id, first.customerAddress.id);
    assert.equal(p.customerAddress.purpose, "old home");
    assert.equal(p.customerAddress.isPrimary, true);
    assert.deepEqual(p.customerAddress.address, {
      country: "AT",
      area: null,
      zipCode: null,
      city: "Wien",
      street: null,
      streetNumber: [],
      building: null,
      apartment: null,
      entrance: null,
      floor: null,
      doorNumber: null,
      geoPosition: { latitude: 48.2082, longitude: 16.3738, altitude: null },
      alternative: null,
      relatedTo: [],
      additionalData: [{ name: "x", type: "NUMBER", value: "-1e3" }],
    });
    assert.equal(p.customer.version, 4);
    assert.deepEqual(lastEvent(p.customer).changedFields, ["addresses"]);

    const moved = payloadOf(await server.gql(UPDATE_ADDRESS, { input: { id: second.customerAddress.id, isPrimary: true } }), "updateCustomerAddress");
    assert.deepEqual(moved.userErrors, []);
    assert.deepEqual(moved.customer.addresses.map((a: any) => [a.id, a.isPrimary]), [
      [first.customerAddress.id, false],
      [second.customerAddress.id, true],
    ]);
    assert.equal(moved.customer.version, 5);
    assert.equal(moved.customerAddress.address.country, "DE", "address left out is unchanged");
  });

  test("updateCustomerAddress: NO_CHANGES when values are the current ones", async () => {
    const id = await newCustomer();
    const geo = { latitude: 50.7374, longitude: 7.0982, altitude: 60.25 };
    const data = [{ name: "rooms", type: "NUMBER", value: "3" }];
    const a = await add(id, { purpose: "home", address: { country: "DE", city: "Bonn", streetNumber: ["5"], geoPosition: geo, additionalData: data } });
    const addressId = a.customerAddress.id;
    for (const input of [
      { id: addressId, purpose: "home" },
      { id: addressId, isPrimary: true },
      { id: addressId, address: { country: "DEU", city: "Bonn", streetNumber: ["5"], geoPosition: geo, additionalData: data } },
      { id: addressId, purpose: "home", isPrimary: true, address: { country: "276", city: " Bonn ", streetNumber: ["5"], geoPosition: geo, additionalData: data } },
    ]) {
      await expectRefused(server, UPDATE_ADDRESS, { input }, "updateCustomerAddress", [{ code: "NO_CHANGES", field: null }]);
    }
    assert.equal((await getCustomer(server, id)).version, 2);
  });

  test("the primary address cannot be unset directly: another address must be made primary", async () => {
    const id = await newCustomer();
    const a = await add(id, { purpose: "home", address: { country: "DE", city: "Bonn" } });
    await expectRefused(server, UPDATE_ADDRESS, { input: { id: a.customerAddress.id, isPrimary: false } }, "updateCustomerAddress", [
      { code: "INVALID", field: ["isPrimary"] },
    ]);
    const b = await add(id, { purpose: "work", isPrimary: true, address: { country: "DE", city: "Köln" } });
    const customer = await getCustomer(server, id);
    assert.deepEqual(
      customer.addresses.map((x: any) => [x.id, x.isPrimary]),
      [[a.customerAddress.id, false], [b.customerAddress.id, true]],
    );
  });

  test("invalid addresses are INVALID with paths starting at address", async () => {
    const id = await newCustomer();
    const a = await add(id, { purpose: "home", address: { country: "DE" } });
    await expectRefused(
      server,
      ADD_ADDRESS,
      { input: { customerId: id, address: { purpose: "", address: { country: "Germany", geoPosition: { latitude: 91, longitude: 0 } } } } },
      "addCustomerAddress",
      [
        { code: "INVALID", field: ["address", "purpose"] },
        { code: "INVALID", field: ["address", "address", "country"] },
        { code: "INVALID", field: ["address", "address", "geoPosition", "latitude"] },
      ],
    );
    await expectRefused(
      server,
      UPDATE_ADDRESS,
      { input: { id: a.customerAddress.id, address: { country: "DE", additionalData: [{ name: "n", type: "NUMBER", value: "abc" }] } } },
      "updateCustomerAddress",
      [{ code: "INVALID", field: ["address", "additionalData", "0", "value"] }],
    );
  });

  test("NOT_FOUND for unknown customer or address ids", async () => {
    await expectRefused(
      server,
      ADD_ADDRESS,
      { input: { customerId: "cus_01jzzzzzzzzzzzzzzzzzzzzzzz", address: { purpose: "home", address: { country: "DE" } } } },
      "addCustomerAddress",
      [{ code: "NOT_FOUND", field: ["customerId"] }],
    );
    await expectRefused(server, UPDATE_ADDRESS, { input: { id: "adr_01jzzzzzzzzzzzzzzzzzzzzzzz", purpose: "x" } }, "updateCustomerAddress", [
      { code: "NOT_FOUND", field: ["id"] },
    ]);
    await expectRefused(server, REMOVE_ADDRESS, { input: { id: "adr_01jzzzzzzzzzzzzzzzzzzzzzzz" } }, "removeCustomerAddress", [
      { code: "NOT_FOUND", field: ["id"] },
    ]);
  });

  test("removing the primary address promotes the oldest remaining one and returns the removed address", async () => {
    const id = await newCustomer();
    const a = await add(id, { purpose: "a", address: { country: "DE" } });
    const b = await add(id, { purpose: "b", address: { country: "DE" } });
    const c = await add(id, { purpose: "c", isPrimary: true, address: { country: "DE" } });
    const removed = payloadOf(await server.gql(REMOVE_ADDRESS, { input: { id: c.customerAddress.id } }), "removeCustomerAddress");
    assert.deepEqual(removed.userErrors, []);
    assert.equal(removed.customerAddress.id, c.customerAddress.id);
    assert.equal(removed.customerAddress.purpose, "c");
    assert.equal(removed.customerAddress.isPrimary, true, "as it was");
    assert.deepEqual(removed.customer.addresses.map((x: any) => [x.id, x.isPrimary]), [
      [a.customerAddress.id, true],
      [b.customerAddress.id, false],
    ]);
    assert.equal(removed.customer.version, 5);
    assert.equal(lastEvent(removed.customer).type, "UPDATED");
    assert.deepEqual(lastEvent(removed.customer).changedFields, ["addresses"]);

    const nonPrimary = payloadOf(await server.gql(REMOVE_ADDRESS, { input: { id: b.customerAddress.id } }), "removeCustomerAddress");
    assert.deepEqual(nonPrimary.customer.addresses.map((x: any) => [x.id, x.isPrimary]), [[a.customerAddress.id, true]]);
    const last = payloadOf(await server.gql(REMOVE_ADDRESS, { input: { id: a.customerAddress.id } }), "removeCustomerAddress");
    assert.deepEqual(last.customer.addresses, []);
    assert.equal(last.customer.version, 7);
    await expectRefused(server, REMOVE_ADDRESS, { input: { id: a.customerAddress.id } }, "removeCustomerAddress", [
      { code: "NOT_FOUND", field: ["id"] },
    ]);
    const events = (await getCustomer(server, id)).events;
    assert.equal(events.totalCount, 7);
    assert.deepEqual(events.nodes.slice(1).map((e: any) => [e.type, e.changedFields]), Array(6).fill(["UPDATED", ["addresses"]]));
  });
});

// ---------------------------------------------------------------------------------------------
// Documents and notification preferences
// ---------------------------------------------------------------------------------------------

describe("documents", () => {
  let server: TestServer;
  let customerId: string;

  before(async () => {
    server = await startTestServer();
    const orgId = (await createOrganization(server, { name: "Docs Org" })).id;
    customerId = (await createCustomer(server, personInput("Doc", "Holder", { organizationId: orgId }))).id;
  });
  after(() => server.close());

  test("addDocument creates a PENDING document, bumps the version and writes DOCUMENT_ADDED", async () => {
    const p = payloadOf(
      await server.gql(ADD_DOCUMENT, {
        input: {
          customerId,
          document: {
            purpose: "PROOF_OF_ADDRESS",
            documentType: "UTILITY_BILL",
            name: "  bill-2024-05.pdf ",
            location: "http://files.example.com/bill.pdf",
            metadata: [{ name: "amount", type: "NUMBER", value: "42.10" }, { name: "paid", type: "BOOLEAN", value: "false" }],
            expiresAt: "2031-05-31",
          },
        },
      }),
      "addDocument",
    );
    assert.deepEqual(p.userErrors, []);
    assert.match(p.document.id, /^doc_[0-9a-z]{26}$/);
    assert.deepEqual({ ...p.document, id: undefined, createdAt: undefined }, {
      id: undefined,
      purpose: "PROOF_OF_ADDRESS",
      documentType: "UTILITY_BILL",
      name: "bill-2024-05.pdf",
      location: "http://files.example.com/bill.pdf",
      status: "PENDING",
      verificationResponse: null,
      metadata: [{ name: "amount", type: "NUMBER", value: "42.10" }, { name: "paid", type: "BOOLEAN", value: "false" }],
      expiresAt: "2031-05-31",
      createdAt: undefined,
      reviewedAt: null,
    });
    isoDate(p.document.createdAt);
    assert.equal(p.customer.version, 2);
    assert.equal(p.customer.documents.totalCount, 1);
    assert.deepEqual(p.customer.documents.nodes, [{ id: p.document.id }]);
    const event = lastEvent(p.customer);
    assert.equal(event.type, "DOCUMENT_ADDED");
    assert.deepEqual(event.changedFields, ["documents"]);
  });

  test("addDocument refuses invalid documents and unknown customers, writing nothing", async () => {
    await expectRefused(
      server,
      ADD_DOCUMENT,
      {
        input: {
          customerId,
          document: { purpose: "KYC", documentType: "SELFIE", name: "", location: "file:///etc/passwd", metadata: [{ name: "n", type: "NUMBER", value: "abc" }], expiresAt: "soon" },
        },
      },
      "addDocument",
      [
        { code: "INVALID", field: ["document", "name"] },
        { code: "INVALID", field: ["document", "location"] },
        { code: "INVALID", field: ["document", "metadata", "0", "value"] },
        { code: "INVALID", field: ["document", "expiresAt"] },
      ],
    );
    await expectRefused(
      server,
      ADD_DOCUMENT,
      { input: { customerId: "cus_01jzzzzzzzzzzzzzzzzzzzzzzz", document: { purpose: "KYC", documentType: "SELFIE", name: "me.jpg" } } },
      "addDocument",
      [{ code: "NOT_FOUND", field: ["customerId"] }],
    );
  });

  test("removeDocument returns the removed document and writes UPDATED [documents]", async () => {
    const added = payloadOf(
      await server.gql(ADD_DOCUMENT, { input: { customerId, document: { purpose: "KYC", documentType: "ID_FRONT", name: "id.png" } } }),
      "addDocument",
    );
    const countBefore = added.customer.documents.totalCount;
    const versionBefore = added.customer.version;
    const p = payloadOf(await server.gql(REMOVE_DOCUMENT, { input: { id: added.document.id } }), "removeDocument");
    assert.deepEqual(p.userErrors, []);
    assert.deepEqual(p.document, added.document);
    assert.equal(p.customer.documents.totalCount, countBefore - 1);
    assert.ok(!p.customer.documents.nodes.some((d: any) => d.id === added.document.id));
    assert.equal(p.customer.version, versionBefore + 1);
    const event = lastEvent(p.customer);
    assert.equal(event.type, "UPDATED");
    assert.deepEqual(event.changedFields, ["documents"]);
    await expectRefused(server, REMOVE_DOCUMENT, { input: { id: added.document.id } }, "removeDocument", [{ code: "NOT_FOUND", field: ["id"] }]);
  });
});

describe("setNotificationPreferences", () => {
  let server: TestServer;
  let customerId: string;

  before(async () => {
    server = await startTestServer();
    const orgId = (await createOrganization(server, { name: "Prefs Org" })).id;
    customerId = (
      await createCustomer(server, personInput("Pref", "Erence", {
        organizationId: orgId,
        notificationPreferences: [{ notificationType: "ACCOUNT_ALERTS", channel: "EMAIL", isEnabled: true }],
      }))
    ).id;
  });
  after(() => server.close());

  const set = async (preferences: unknown[]) => payloadOf(await server.gql(SET_PREFERENCES, { input: { customerId, preferences } }), "setNotificationPreferences");
  const shape = (prefs: any[]) => prefs.map(({ notificationType, channel, isEnabled }) => `${notificationType}/${channel}=${isEnabled}`).sort();

  test("upserts the given preferences and leaves the others as they are", async () => {
    const p = await set([
      { notificationType: "MARKETING", channel: "EMAIL", isEnabled: true },
      { notificationType: "ACCOUNT_ALERTS", channel: "EMAIL", isEnabled: false },
    ]);
    assert.deepEqual(p.userErrors, []);
    assert.deepEqual(shape(p.customer.notificationPreferences), ["ACCOUNT_ALERTS/EMAIL=false", "MARKETING/EMAIL=true"]);
    assert.equal(p.customer.version, 2);
    assert.equal(lastEvent(p.customer).type, "UPDATED");
    assert.deepEqual(lastEvent(p.customer).changedFields, ["notificationPreferences"]);
    for (const pref of p.customer.notificationPreferences) isoDate(pref.updatedAt);

    const q = await set([{ notificationType: "NEWSLETTER", channel: "PUSH", isEnabled: false }]);
    assert.deepEqual(q.userErrors, []);
    assert.deepEqual(shape(q.customer.notificationPreferences), ["ACCOUNT_ALERTS/EMAIL=false", "MARKETING/EMAIL=true", "NEWSLETTER/PUSH=false"]);
    assert.equal(q.customer.version, 3);
  });

  test("NO_CHANGES when every preference is already so", async () => {
    await expectRefused(
      server,
      SET_PREFERENCES,
      { input: { customerId, preferences: [{ notificationType: "MARKETING", channel: "EMAIL", isEnabled: true }, { notificationType: "NEWSLETTER", channel: "PUSH", isEnabled: false }] } },
      "setNotificationPreferences",
      [{ code: "NO_CHANGES", field: null }],
    );
  });

  test("duplicates are INVALID [preferences, i]; unknown customer is NOT_FOUND [customerId]", async () => {
    await expectRefused(
      server,
      SET_PREFERENCES,
      {
        input: {
          customerId,
          preferences: [
            { notificationType: "SECURITY_ALERTS", channel: "SMS", isEnabled: true },
            { notificationType: "SECURITY_ALERTS", channel: "SMS", isEnabled: false },
          ],
        },
      },
      "setNotificationPreferences",
      [{ code: "INVALID", field: ["preferences", "1"] }],
    );
    await expectRefused(
      server,
      SET_PREFERENCES,
      { input: { customerId: "cus_01jzzzzzzzzzzzzzzzzzzzzzzz", preferences: [{ notificationType: "MARKETING", channel: "SMS", isEnabled: true }] } },
      "setNotificationPreferences",
      [{ code: "NOT_FOUND", field: ["customerId"] }],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------------------------

describe("createOrganization / updateOrganization", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  async function createOrg(input: Record<string, unknown>) {
    const p = payloadOf(await server.gql(CREATE_ORG, { input }), "createOrganization");
    assert.deepEqual(p.userErrors, []);
    return p.organization;
  }
  async function updateOrg(input: Record<string, unknown>) {
    const p = payloadOf(await server.gql(UPDATE_ORG, { input }), "updateOrganization");
    assert.deepEqual(p.userErrors, []);
    return p.organization;
  }

  test("createOrganization normalises the country code and stores the data center and parent", async () => {
    const parent = await createOrg({ name: "Parent Partner", countryCode: "784" });
    assert.match(parent.id, /^org_[0-9a-z]{26}$/);
    assert.equal(parent.countryCode, "AE");
    assert.equal(parent.legalName, null);
    assert.equal(parent.dataCenter, null);
    assert.equal(parent.parent, null);
    isoDate(parent.createdAt);
    assert.equal(parent.createdAt, parent.updatedAt);
    const child = await createOrg({ name: "  Child Co  ", legalName: "Child Company GmbH", countryCode: "deu", dataCenter: "GERMANY_WEST_CENTRAL", parentId: parent.id });
    assert.equal(child.name, "Child Co");
    assert.equal(child.legalName, "Child Company GmbH");
    assert.equal(child.countryCode, "DE");
    assert.equal(child.dataCenter, "GERMANY_WEST_CENTRAL");
    assert.deepEqual(child.parent, { id: parent.id, name: "Parent Partner" });
    const read = (dataOf(await server.gql(GET_ORG, { id: child.id })) as any).organization;
    assert.deepEqual(read, child);
  });

  test("createOrganization refuses bad input with userErrors and writes nothing", async () => {
    await expectRefused(server, CREATE_ORG, { input: { name: "  ", countryCode: "Narnia" } }, "createOrganization", [
      { code: "INVALID", field: ["name"] },
      { code: "INVALID", field: ["countryCode"] },
    ]);
    await expectRefused(server, CREATE_ORG, { input: { name: "n".repeat(201) } }, "createOrganization", [{ code: "INVALID", field: ["name"] }]);
    await expectRefused(server, CREATE_ORG, { input: { name: "Orphan", parentId: "org_01jzzzzzzzzzzzzzzzzzzzzzzz" } }, "createOrganization", [
      { code: "NOT_FOUND", field: ["parentId"] },
    ]);
  });

  test("an unknown dataCenter is a request error", async () => {
    const before = await tableCounts(server);
    const res = await server.gql(CREATE_ORG, { input: { name: "Moon Base", dataCenter: "MOON_NORTH" } });
    assert.equal(res.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.deepEqual(await tableCounts(server), before);
  });

  test("updateOrganization changes given fields only; null clears; NO_CHANGES when equal", async () => {
    const org = await createOrg({ name: "Mutable", legalName: "Mutable Ltd", countryCode: "GB", dataCenter: "NORTH_EUROPE" });
    const changed = await updateOrg({ id: org.id, countryCode: "250", dataCenter: "FRANCE_CENTRAL" });
    assert.equal(changed.name, "Mutable");
    assert.equal(changed.legalName, "Mutable Ltd");
    assert.equal(changed.countryCode, "FR");
    assert.equal(changed.dataCenter, "FRANCE_CENTRAL");
    assert.equal(changed.createdAt, org.createdAt);
    assert.ok(changed.updatedAt >= org.updatedAt);
    const cleared = await updateOrg({ id: org.id, legalName: null, dataCenter: null });
    assert.equal(cleared.legalName, null);
    assert.equal(cleared.dataCenter, null);
    assert.equal(cleared.countryCode, "FR");
    for (const input of [{ id: org.id, countryCode: "FRA" }, { id: org.id, name: "Mutable" }, { id: org.id, legalName: null }, { id: org.id }]) {
      await expectRefused(server, UPDATE_ORG, { input }, "updateOrganization", [{ code: "NO_CHANGES", field: null }]);
    }
  });

  test("the name cannot be cleared or blanked", async () => {
    const org = await createOrg({ name: "Named" });
    await expectRefused(server, UPDATE_ORG, { input: { id: org.id, name: null } }, "updateOrganization", [{ code: "INVALID", field: ["name"] }]);
    await expectRefused(server, UPDATE_ORG, { input: { id: org.id, name: "   " } }, "updateOrganization", [{ code: "INVALID", field: ["name"] }]);
    const read = (dataOf(await server.gql(GET_ORG, { id: org.id })) as any).organization;
    assert.equal(read.name, "Named");
  });

  test("parentId: unknown is NOT_FOUND; itself or a descendant is INVALID [parentId]", async () => {
    const a = await createOrg({ name: "A" });
    const b = await createOrg({ name: "B", parentId: a.id });
    const c = await createOrg({ name: "C", parentId: b.id });
    await expectRefused(server, UPDATE_ORG, { input: { id: a.id, parentId: "org_01jzzzzzzzzzzzzzzzzzzzzzzz" } }, "updateOrganization", [
      { code: "NOT_FOUND", field: ["parentId"] },
    ]);
    await expectRefused(server, UPDATE_ORG, { input: { id: a.id, parentId: a.id } }, "updateOrganization", [{ code: "INVALID", field: ["parentId"] }]);
    await expectRefused(server, UPDATE_ORG, { input: { id: a.id, parentId: b.id } }, "updateOrganization", [{ code: "INVALID", field: ["parentId"] }]);
    await expectRefused(server, UPDATE_ORG, { input: { id: a.id, parentId: c.id } }, "updateOrganization", [{ code: "INVALID", field: ["parentId"] }]);
    // Re-parenting without a cycle works, and null detaches.
    const moved = await updateOrg({ id: c.id, parentId: a.id });
    assert.deepEqual(moved.parent, { id: a.id, name: "A" });
    const detached = await updateOrg({ id: c.id, parentId: null });
    assert.equal(detached.parent, null);
  });

  test("unknown organization is NOT_FOUND [id]", async () => {
    await expectRefused(server, UPDATE_ORG, { input: { id: "org_01jzzzzzzzzzzzzzzzzzzzzzzz", name: "x" } }, "updateOrganization", [
      { code: "NOT_FOUND", field: ["id"] },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Atomicity and several mutations in one document
// ---------------------------------------------------------------------------------------------

describe("atomicity and multiple mutations in one request", () => {
  let server: TestServer;
  let orgId: string;

  before(async () => {
    server = await startTestServer();
    orgId = (await createOrganization(server, { name: "Atomic Org" })).id;
  });
  after(() => server.close());

  test("a refused update that would also have changed valid fields changes nothing at all", async () => {
    await createCustomer(server, personInput("Taken", "Ref", { organizationId: orgId, externalReference: "taken" }));
    const c = await createCustomer(server, personInput("Atomic", "Anna", { organizationId: orgId, nickname: "anna", externalReference: "mine" }));
    await expectRefused(
      server,
      UPDATE_CUSTOMER,
      { input: { id: c.id, nickname: "changed", tags: ["x"], person: { firstName: { name: "Changed" } }, externalReference: "taken" } },
      "updateCustomer",
      [{ code: "DUPLICATE", field: ["externalReference"] }],
    );
    const read = await getCustomer(server, c.id);
    assert.equal(read.version, 1);
    assert.equal(read.nickname, "anna");
    assert.equal(read.displayName, "Atomic Anna");
    assert.deepEqual(read.tags, []);
    assert.equal(read.externalReference, "mine");
    assert.equal(read.events.totalCount, 1);
  });

  test("a refused create with a valid person, addresses and documents writes no row anywhere", async () => {
    await createCustomer(server, personInput("Ref", "Owner", { organizationId: orgId, externalReference: "dup-create" }));
    const input = fullPersonInput(orgId);
    input.externalReference = "dup-create";
    await expectRefused(server, CREATE_CUSTOMER, { input }, "createCustomer", [{ code: "DUPLICATE", field: ["externalReference"] }]);
  });

  test("a mutation that fails part-way through (injected database failure) is rolled back completely", async () => {
    const c = await createCustomer(server, personInput("Roll", "Back", {
      organizationId: orgId,
      nickname: "rb",
      addresses: [{ purpose: "home", address: { country: "DE" } }],
    }));
    const countsBefore = await tableCounts(server);
    const rowsBefore = await dbSnapshot(server);
    // Every customer write ends by recording its event: failing that insert fails each mutation
    // after it has already written its other rows.
    const restore = await injectInsertFailure(server, "customer_events");
    try {
      const input = fullPersonInput(orgId);
      input.externalReference = null;
      assertInternalError(await server.gql(CREATE_CUSTOMER, { input }));
      assertInternalError(await server.gql(UPDATE_CUSTOMER, { input: { id: c.id, nickname: "changed", person: { firstName: { name: "Changed" } } } }));
      assertInternalError(await server.gql(ADD_ADDRESS, { input: { customerId: c.id, address: { purpose: "work", isPrimary: true, address: { country: "FR" } } } }));
      assertInternalError(await server.gql(UPDATE_ADDRESS, { input: { id: c.addresses[0].id, purpose: "moved" } }));
      assertInternalError(await server.gql(REMOVE_ADDRESS, { input: { id: c.addresses[0].id } }));
      assertInternalError(await server.gql(ADD_DOCUMENT, { input: { customerId: c.id, document: { purpose: "KYC", documentType: "SELFIE", name: "me.jpg" } } }));
      assertInternalError(
        await server.gql(SET_PREFERENCES, { input: { customerId: c.id, preferences: [{ notificationType: "MARKETING", channel: "SMS", isEnabled: true }] } }),
      );
    } finally {
      await restore();
    }
    assert.deepEqual(await tableCounts(server), countsBefore);
    assert.deepEqual(await dbSnapshot(server), rowsBefore);
    const read = await getCustomer(server, c.id);
    assert.equal(read.version, 1);
    assert.equal(read.nickname, "rb");
    assert.equal(read.displayName, "Roll Back");
    assert.deepEqual(read.addresses.map((a: any) => [a.purpose, a.isPrimary]), [["home", true]]);
    // Once the failure is gone the same change goes through.
    const ok = await update(server, { id: c.id, nickname: "changed" });
    assert.equal(ok.version, 2);
  });

  test("concurrent updates with the same expectedVersion: exactly one wins, the other is VERSION_CONFLICT", async () => {
    const c = await createCustomer(server, personInput("Race", "Condition", { organizationId: orgId }));
    const results = await Promise.all(
      ["left", "right"].map((nickname) => server.gql(UPDATE_CUSTOMER, { input: { id: c.id, expectedVersion: 1, nickname } })),
    );
    const payloads = results.map((r) => payloadOf(r, "updateCustomer"));
    const winners = payloads.filter((p) => p.userErrors.length === 0);
    const losers = payloads.filter((p) => p.userErrors.length > 0);
    assert.equal(winners.length, 1);
    assert.equal(losers.length, 1);
    assert.deepEqual(codesAndFields(losers[0].userErrors), [{ code: "VERSION_CONFLICT", field: ["expectedVersion"] }]);
    assert.equal(losers[0].customer, null);
    const read = await getCustomer(server, c.id);
    assert.equal(read.version, 2);
    assert.equal(read.nickname, winners[0].customer.nickname);
    assert.equal(read.events.totalCount, 2);
  });

  test("concurrent creates with the same externalReference: exactly one customer is created", async () => {
    const countsBefore = await tableCounts(server);
    const results = await Promise.all(
      [1, 2, 3].map((i) => server.gql(CREATE_CUSTOMER, { input: personInput("Same", `Ref${i}`, { organizationId: orgId, externalReference: "race-ref" }) })),
    );
    const payloads = results.map((r) => payloadOf(r, "createCustomer"));
    assert.equal(payloads.filter((p) => p.userErrors.length === 0).length, 1);
    for (const p of payloads.filter((x) => x.userErrors.length > 0)) {
      assert.deepEqual(codesAndFields(p.userErrors), [{ code: "DUPLICATE", field: ["externalReference"] }]);
    }
    const countsAfter = await tableCounts(server);
    assert.equal(countsAfter.customers, countsBefore.customers + 1);
    assert.equal(countsAfter.memberships, countsBefore.memberships + 1);
    assert.equal(countsAfter.customer_events, countsBefore.customer_events + 1);
    assert.equal(countsAfter.persons, countsBefore.persons + 1);
  });

  test("in one document, each mutation sees the previous one's result", async () => {
    const c = await createCustomer(server, personInput("Multi", "Step", { organizationId: orgId }));
    const res = await server.gql(
      /* GraphQL */ `
        mutation ($id: ID!) {
          one: updateCustomer(input: { id: $id, expectedVersion: 1, nickname: "first" }) { customer { version nickname } ${USER_ERRORS} }
          two: updateCustomer(input: { id: $id, expectedVersion: 2, nickname: "second" }) { customer { version nickname } ${USER_ERRORS} }
          home: addCustomerAddress(input: { customerId: $id, address: { purpose: "home", address: { country: "IT" } } }) {
            customer { version addresses { purpose isPrimary } } ${USER_ERRORS}
          }
          work: addCustomerAddress(input: { customerId: $id, address: { purpose: "work", isPrimary: true, address: { country: "IT" } } }) {
            customer { version nickname addresses { purpose isPrimary } events(first: 10) { totalCount } } ${USER_ERRORS}
          }
          stale: updateCustomer(input: { id: $id, expectedVersion: 2, nickname: "stale" }) { customer { version } ${USER_ERRORS} }
        }
      `,
      { id: c.id },
    );
    const data = dataOf(res) as any;
    assert.deepEqual(data.one, { customer: { version: 2, nickname: "first" }, userErrors: [] });
    assert.deepEqual(data.two, { customer: { version: 3, nickname: "second" }, userErrors: [] });
    assert.deepEqual(data.home, { customer: { version: 4, addresses: [{ purpose: "home", isPrimary: true }] }, userErrors: [] });
    assert.deepEqual(data.work, {
      customer: {
        version: 5,
        nickname: "second",
        addresses: [{ purpose: "home", isPrimary: false }, { purpose: "work", isPrimary: true }],
        events: { totalCount: 5 },
      },
      userErrors: [],
    });
    assert.equal(data.stale.customer, null);
    assert.deepEqual(codesAndFields(data.stale.userErrors), [{ code: "VERSION_CONFLICT", field: ["expectedVersion"] }]);
    const read = await getCustomer(server, c.id);
    assert.equal(read.version, 5);
    assert.equal(read.nickname, "second");
  });

  test("a failing mutation in the middle of a document leaves the others' effects, and only theirs", async () => {
    const c = await createCustomer(server, personInput("Half", "Way", { organizationId: orgId }));
    const countsBefore = await tableCounts(server);
    const res = await server.gql(
      /* GraphQL */ `
        mutation ($id: ID!) {
          ok: addDocument(input: { customerId: $id, document: { purpose: KYC, documentType: SELFIE, name: "me.jpg" } }) { document { id } ${USER_ERRORS} }
          bad: addDocument(input: { customerId: $id, document: { purpose: KYC, documentType: SELFIE, name: "x", location: "gopher://x" } }) { document { id } ${USER_ERRORS} }
        }
      `,
      { id: c.id },
    );
    const data = dataOf(res) as any;
    assert.deepEqual(data.ok.userErrors, []);
    assert.equal(data.bad.document, null);
    assert.deepEqual(codesAndFields(data.bad.userErrors), [{ code: "INVALID", field: ["document", "location"] }]);
    const countsAfter = await tableCounts(server);
    assert.deepEqual(countsAfter, { ...countsBefore, documents: countsBefore.documents + 1, customer_events: countsBefore.customer_events + 1 });
    const read = await getCustomer(server, c.id);
    assert.equal(read.version, 2);
    assert.deepEqual(read.fullDocuments.nodes.map((d: any) => d.id), [data.ok.document.id]);
  });
});
