// KYC verification end to end, over HTTP as clients and providers call it: createCustomer starts a
// session, the built-in page (GET /verify/<token>), reviewDocument and the rule that derives
// status and level, startVerification, signed provider reports (POST /hooks/kyc/<provider>),
// and the expiry sweep.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import pino from "pino";
import { loadConfig } from "../src/config";
import { startApp } from "../src/server/app";
import {
  createCustomer,
  createOrganization,
  dataOf,
  createTestDatabase,
  failWrites,
  personInput,
  sqlAll,
  sqlGet,
  sqlRun,
  startTestServer,
  dbSnapshot,
  payloadOf,
  tableCounts,
  type TestServer,
} from "./helpers";

// ---------------------------------------------------------------------------------------------
// Helpers local to this file
// ---------------------------------------------------------------------------------------------

const OFFBLOCKS_SECRET = "offblocks-secret-0123456789";
const CYREXA_SECRET = "cyrexa-secret-9876543210";
const ENV = { KYC_WEBHOOK_SECRETS: `offblocks:${OFFBLOCKS_SECRET},cyrexa:${CYREXA_SECRET}`, VERIFICATION_SESSION_TTL_HOURS: "48" };

const USER_ERRORS = "userErrors { code field message }";
const EVENT_FIELDS = "type changedFields actor via";
const STATE_FIELDS = /* GraphQL */ `
  id status version
  verification { status level url updatedAt }
  documents(first: 50) { nodes { id documentType status verificationResponse reviewedAt } }
  events(first: 100) { nodes { ${EVENT_FIELDS} } }
`;
const GET_STATE = `query ($id: ID!) { customer(id: $id) { ${STATE_FIELDS} } }`;
const REVIEW = /* GraphQL */ `
  mutation ($input: ReviewDocumentInput!) {
    reviewDocument(input: $input) {
      document { id status verificationResponse reviewedAt }
      customer { ${STATE_FIELDS} }
      ${USER_ERRORS}
    }
  }
`;
const START = /* GraphQL */ `
  mutation ($input: CustomerIdInput!) {
    startVerification(input: $input) { verification { status level url updatedAt } customer { ${STATE_FIELDS} } ${USER_ERRORS} }
  }
`;
const ADD_DOCUMENT = /* GraphQL */ `
  mutation ($input: AddDocumentInput!) { addDocument(input: $input) { document { id } customer { ${STATE_FIELDS} } ${USER_ERRORS} } }
`;

const PASSPORT = { purpose: "KYC", documentType: "PASSPORT", name: "passport.pdf" };
const UTILITY_BILL = { purpose: "PROOF_OF_ADDRESS", documentType: "UTILITY_BILL", name: "bill.pdf" };

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** Runs `fn` and asserts the database is exactly as it was. */
async function unchanged<T>(server: TestServer, fn: () => Promise<T>): Promise<T> {
  const counts = await tableCounts(server);
  const before = await dbSnapshot(server);
  const result = await fn();
  assert.deepEqual(await tableCounts(server), counts, "row counts unchanged");
  assert.deepEqual(await dbSnapshot(server), before, "rows unchanged");
  return result;
}

/** A mutation that must be refused with exactly these userErrors, changing nothing. */
async function expectRefused(
  server: TestServer,
  query: string,
  input: Record<string, unknown>,
  name: string,
  expected: { code: string; field: string[] | null }[],
): Promise<void> {
  const payload = await unchanged(server, async () => payloadOf(await server.gql(query, { input }), name));
  for (const e of payload.userErrors) assert.ok(e.message.length > 0, "every userError has a message");
  assert.deepEqual(
    payload.userErrors.map(({ code, field }: { code: string; field: string[] | null }) => ({ code, field })),
    expected,
  );
  for (const [key, value] of Object.entries(payload)) if (key !== "userErrors") assert.equal(value, null, `${name}.${key} is null`);
}

async function state(server: TestServer, id: string): Promise<any> {
  const data = dataOf(await server.gql(GET_STATE, { id })) as any;
  assert.ok(data.customer, `customer ${id} exists`);
  return data.customer;
}

async function review(server: TestServer, input: Record<string, unknown>): Promise<any> {
  const payload = payloadOf(await server.gql(REVIEW, { input }), "reviewDocument");
  assert.deepEqual(payload.userErrors, [], "review succeeds");
  return payload;
}

async function addDocument(server: TestServer, customerId: string, document: Record<string, unknown>): Promise<string> {
  const payload = payloadOf(await server.gql(ADD_DOCUMENT, { input: { customerId, document } }), "addDocument");
  assert.deepEqual(payload.userErrors, []);
  return payload.document.id;
}

/** A person with the given documents; returns the customer and its document ids, in order. */
async function personWith(server: TestServer, docs: Record<string, unknown>[], first = "Kim") {
  const customer = await createCustomer(server, personInput(first, "Tester", { documents: docs }));
  const read = await state(server, customer.id);
  return { id: customer.id as string, docs: read.documents.nodes.map((d: { id: string }) => d.id) as string[], read };
}

function tokenOf(url: string): string {
  const match = /\/verify\/([A-Za-z0-9_-]+)$/.exec(url);
  assert.ok(match, `a verification URL: ${url}`);
  return match[1];
}

function sessions(server: TestServer, customerId: string): Promise<any[]> {
  return sqlAll(server, "select * from verification_sessions where customer_id = ? order by id", customerId);
}

function newEvents(before: any, after: any): any[] {
  return after.events.nodes.slice(before.events.nodes.length);
}

/** Runs a lifecycle mutation (deactivate, reactivate, archive, restore, erase) on a customer. */
async function lifecycle(server: TestServer, action: string, id: string): Promise<void> {
  const name = `${action}Customer`;
  const [type, input] = action === "deactivate" ? ["DeactivateCustomerInput", { id, reason: "Testing" }] : ["CustomerIdInput", { id }];
  const payload = payloadOf(await server.gql(`mutation ($input: ${type}!) { ${name}(input: $input) { ${USER_ERRORS} } }`, { input }), name);
  assert.deepEqual(payload.userErrors, [], name);
}

function sign(secret: string, t: number, body: string | Buffer): string {
  return createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** POSTs a provider report; signs it with `secret` at time `t` unless `signature` is given. */
async function postReport(
  server: TestServer,
  provider: string,
  body: string | Buffer,
  options: { secret?: string; t?: number; signature?: string | null; contentType?: string } = {},
): Promise<{ status: number; json: any }> {
  const t = options.t ?? nowSeconds();
  const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
  const signature = options.signature === undefined ? `t=${t},v1=${sign(options.secret ?? OFFBLOCKS_SECRET, t, body)}` : options.signature;
  if (signature !== null) headers["x-kyc-signature"] = signature;
  const res = await fetch(new URL(`/hooks/kyc/${provider}`, server.url), { method: "POST", headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    assert.fail(`the hook answers JSON, got ${res.status}: ${text.slice(0, 200)}`);
  }
  return { status: res.status, json };
}

async function getPage(url: string): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, html: await res.text(), headers: res.headers };
}

let server: TestServer;

/** Each block of tests gets its own server with an organization, so that a sweep sees only its block's data. */
function freshServer(): void {
  before(async () => {
    server = await startTestServer(ENV);
    await createOrganization(server);
  });
  after(() => server.close());
}

// ---------------------------------------------------------------------------------------------

describe("createCustomer starts verification", () => {
  freshServer();

  test("the payload and the customer carry PENDING, level 0 and a URL to this server's page; still version 1, one CREATED event", async () => {
    const res = dataOf(
      await server.gql(
        `mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { ${STATE_FIELDS} createdAt } verification { status level url updatedAt } ${USER_ERRORS} } }`,
        { input: personInput("Ada", "Start") },
      ),
    ).createCustomer;
    assert.deepEqual(res.userErrors, []);
    const origin = new URL(server.url).origin;
    assert.match(res.verification.url, new RegExp(`^${origin}/verify/[A-Za-z0-9_-]{43}$`));
    assert.deepEqual(res.verification, { status: "PENDING", level: 0, url: res.verification.url, updatedAt: res.verification.updatedAt });
    assert.deepEqual(res.customer.verification, res.verification);
    assert.ok(res.verification.updatedAt >= res.customer.createdAt);
    assert.equal(res.customer.status, "NEW");
    assert.equal(res.customer.version, 1);
    assert.deepEqual(res.customer.events.nodes.map((e: any) => e.type), ["CREATED"]);
  });

  test("the session stores only the SHA-256 of the token, expires after VERIFICATION_SESSION_TTL_HOURS, and each customer gets its own token", async () => {
    const a = await createCustomer(server, personInput("Tok", "One"));
    const b = await createCustomer(server, personInput("Tok", "Two"));
    const url = (await state(server, a.id)).verification.url;
    const token = tokenOf(url);
    assert.notEqual(tokenOf((await state(server, b.id)).verification.url), token);
    const [session] = await sessions(server, a.id);
    assert.match(session.id, /^ver_[0-9a-z]{26}$/);
    assert.equal(session.status, "OPEN");
    assert.equal(session.provider, "builtin");
    assert.equal(session.token_hash, createHash("sha256").update(token).digest("hex"));
    assert.equal(Date.parse(session.expires_at) - Date.parse(session.created_at), 48 * 3_600_000);
    assert.doesNotMatch(JSON.stringify(session), new RegExp(token), "the token itself is not in the session row");
    assert.equal(session.url, url.replace(token, "{token}"));
  });

  test("a refused createCustomer opens no session", async () => {
    const res = await unchanged(server, async () =>
      dataOf(await server.gql(`mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } ${USER_ERRORS} } }`, {
        input: personInput("Bad", "Mail", { email: "not-an-email" }),
      })),
    );
    assert.deepEqual(res.createCustomer.userErrors.map((e: any) => e.code), ["INVALID"]);
  });
});

describe("GET /verify/<token>", () => {
  freshServer();

  test("shows what is still needed and each document's state, with the rejection reason, all escaped", async () => {
    const c = await createCustomer(
      server,
      personInput("<script>alert(1)</script>", "O'Brien & \"Sons\"", {
        documents: [
          { ...PASSPORT, name: "<img src=x onerror=alert(1)>.pdf" },
          { purpose: "KYC", documentType: "ID_FRONT", name: "id-front.png" },
          { purpose: "KYC", documentType: "SELFIE", name: "selfie.jpg" },
        ],
      }),
    );
    const read = await state(server, c.id);
    const [passport, idFront] = read.documents.nodes.map((d: any) => d.id);
    await review(server, { documentId: passport, status: "REJECTED", verificationResponse: "<b>Blurry</b> & cut off" });
    await review(server, { documentId: idFront, status: "UNDER_VERIFICATION" });

    const page = await getPage(read.verification.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/);
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    const html = page.html;
    assert.match(html, /^<!doctype html>/);
    // Data is escaped everywhere it appears.
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; &quot;Sons&quot;"));
    assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;.pdf"));
    assert.ok(html.includes("&lt;b&gt;Blurry&lt;/b&gt; &amp; cut off"));
    assert.doesNotMatch(html, /<script|<img|<b>/);
    // What is needed, and the state of each document.
    assert.match(html, /Proof of identity<\/span><span class="state IN_REVIEW">Received, in review/);
    assert.match(html, /Proof of address<\/span><span class="state NEEDED">Still needed/);
    assert.match(html, /onerror=alert\(1\)&gt;\.pdf — <span class="state REJECTED">Rejected<\/span><span class="reason">&lt;b&gt;Blurry/);
    assert.match(html, /id-front\.png — <span class="state UNDER_VERIFICATION">Under review/);
    assert.match(html, /Other documents.*selfie\.jpg — <span class="state PENDING">Received/s);
    assert.match(html, /Status: <strong>In progress<\/strong> · level 0 of 2/);
  });

  test("follows the review: verified identity is done, an expired proof of address is shown expired and still needed", async () => {
    const c = await personWith(server, [PASSPORT, { ...UTILITY_BILL, expiresAt: isoDay(30) }]);
    await review(server, { documentId: c.docs[0], status: "VERIFIED" });
    await sqlRun(server, "update documents set expires_at = ? where id = ?", isoDay(-1), c.docs[1]);
    await server.app.services.verification.expireDocuments();
    const { html } = await getPage(c.read.verification.url);
    assert.match(html, /Proof of identity<\/span><span class="state DONE">Done/);
    assert.match(html, /passport\.pdf — <span class="state VERIFIED">Verified/);
    assert.match(html, /Proof of address<\/span><span class="state NEEDED">Still needed/);
    assert.match(html, /bill\.pdf <span class="meta">\(valid until [-0-9]+\)<\/span> — <span class="state EXPIRED">Expired/);
    assert.match(html, /Status: <strong>Verified<\/strong> · level 1 of 2/);
  });

  test("a company is asked for its registration", async () => {
    const c = await createCustomer(server, { type: "ORGANIZATION", company: { legalName: "Acme <Ltd>" } });
    const { status, html } = await getPage((await state(server, c.id)).verification.url);
    assert.equal(status, 200);
    assert.match(html, /Company registration<\/span><span class="state NEEDED">Still needed/);
    assert.doesNotMatch(html, /Proof of identity/);
    assert.ok(html.includes("Acme &lt;Ltd&gt;"));
  });

  test("an unknown, malformed, replaced or expired token, or a deactivated customer's, is a 404 page", async () => {
    const notFound = async (url: string, why: string) => {
      const page = await getPage(url);
      assert.equal(page.status, 404, why);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/, why);
      assert.match(page.html, /This verification link is not valid/, why);
    };
    const base = new URL(server.url).origin;
    await notFound(`${base}/verify/${"A".repeat(43)}`, "unknown token");
    await notFound(`${base}/verify/short`, "malformed token");
    await notFound(`${base}/verify/${"%3Cscript%3E".repeat(4)}`, "malformed token with markup");

    const replaced = await createCustomer(server, personInput("Re", "Placed"));
    const oldUrl = (await state(server, replaced.id)).verification.url;
    assert.deepEqual(payloadOf(await server.gql(START, { input: { id: replaced.id } }), "startVerification").userErrors, []);
    await notFound(oldUrl, "replaced by a newer session");

    const expired = await createCustomer(server, personInput("Ex", "Pired"));
    const expiredUrl = (await state(server, expired.id)).verification.url;
    assert.equal((await getPage(expiredUrl)).status, 200);
    await sqlRun(server, "update verification_sessions set expires_at = ? where customer_id = ?", new Date(Date.now() - 1000).toISOString(), expired.id);
    await notFound(expiredUrl, "expired session (before any sweep)");

    const off = await createCustomer(server, personInput("Off", "Line"));
    const offUrl = (await state(server, off.id)).verification.url;
    await lifecycle(server, "deactivate", off.id);
    await notFound(offUrl, "deactivated customer");
    await lifecycle(server, "reactivate", off.id);
    assert.equal((await getPage(offUrl)).status, 200, "reactivation reopens the session");
    await lifecycle(server, "archive", off.id);
    await notFound(offUrl, "archived customer");
  });
});

describe("reviewDocument and the verification rule", () => {
  freshServer();

  test("a verified identity document verifies a person at level 1 and activates the NEW customer", async () => {
    const c = await personWith(server, [PASSPORT]);
    const p = await review(server, { documentId: c.docs[0], status: "VERIFIED", verificationResponse: "  Looks good  " });
    assert.equal(p.document.id, c.docs[0]);
    assert.equal(p.document.status, "VERIFIED");
    assert.equal(p.document.verificationResponse, "Looks good");
    assert.ok(Date.parse(p.document.reviewedAt) > 0);
    assert.equal(p.customer.status, "ACTIVE");
    assert.equal(p.customer.verification.status, "VERIFIED");
    assert.equal(p.customer.verification.level, 1);
    assert.equal(p.customer.verification.url, c.read.verification.url, "the link stays");
    assert.ok(p.customer.verification.updatedAt > c.read.verification.updatedAt);
    assert.equal(p.customer.version, c.read.version + 2, "one version per event");
    assert.deepEqual(newEvents(c.read, p.customer), [
      { type: "DOCUMENT_REVIEWED", changedFields: ["documents"], actor: "anonymous", via: "API" },
      { type: "VERIFICATION_CHANGED", changedFields: ["verification.status", "verification.level", "status"], actor: "anonymous", via: "API" },
    ]);
    assert.deepEqual(await state(server, c.id), p.customer, "the payload is what was committed");
  });

  test("each identity type counts; a proof of address adds level 2 without touching the status again", async () => {
    for (const documentType of ["ID_FRONT", "DRIVING_LICENCE", "RESIDENCE_PERMIT"]) {
      const c = await personWith(server, [{ purpose: "KYC", documentType, name: "id.pdf" }]);
      const p = await review(server, { documentId: c.docs[0], status: "VERIFIED" });
      assert.deepEqual([p.customer.verification.status, p.customer.verification.level], ["VERIFIED", 1], documentType);
    }
    const c = await personWith(server, [PASSPORT, { purpose: "OTHER", documentType: "BANK_STATEMENT", name: "statement.pdf" }]);
    await review(server, { documentId: c.docs[0], status: "VERIFIED" });
    const before = await state(server, c.id);
    const p = await review(server, { documentId: c.docs[1], status: "VERIFIED" });
    assert.equal(p.customer.verification.level, 2);
    assert.equal(p.customer.status, "ACTIVE");
    assert.deepEqual(newEvents(before, p.customer).map((e: any) => [e.type, e.changedFields]), [
      ["DOCUMENT_REVIEWED", ["documents"]],
      ["VERIFICATION_CHANGED", ["verification.level"]],
    ]);
  });

  test("a proof of address alone verifies nothing, nor do ID_BACK or SELFIE; one document never proves both", async () => {
    const c = await personWith(server, [UTILITY_BILL, { purpose: "KYC", documentType: "ID_BACK", name: "back.png" }, { purpose: "KYC", documentType: "SELFIE", name: "me.jpg" }]);
    for (const id of c.docs) await review(server, { documentId: id, status: "VERIFIED" });
    const read = await state(server, c.id);
    assert.deepEqual([read.status, read.verification.status, read.verification.level], ["NEW", "PENDING", 0]);
    assert.ok(!read.events.nodes.some((e: any) => e.type === "VERIFICATION_CHANGED"));

    // A driving licence handed in as proof of address proves identity, but not an address as well.
    const dl = await personWith(server, [{ purpose: "PROOF_OF_ADDRESS", documentType: "DRIVING_LICENCE", name: "dl.pdf" }]);
    const p = await review(server, { documentId: dl.docs[0], status: "VERIFIED" });
    assert.deepEqual([p.customer.verification.status, p.customer.verification.level], ["VERIFIED", 1]);
    const bill = await addDocument(server, dl.id, UTILITY_BILL);
    assert.equal((await review(server, { documentId: bill, status: "VERIFIED" })).customer.verification.level, 2);
  });

  test("REJECTED follows the latest identity document; a new one brings PENDING back, an older verified one still counts", async () => {
    const c = await personWith(server, [PASSPORT]);
    let p = await review(server, { documentId: c.docs[0], status: "REJECTED", verificationResponse: "Expired photo page" });
    assert.deepEqual([p.customer.status, p.customer.verification.status, p.customer.verification.level], ["NEW", "REJECTED", 0]);
    assert.deepEqual(p.customer.events.nodes.at(-1), {
      type: "VERIFICATION_CHANGED", changedFields: ["verification.status"], actor: "anonymous", via: "API",
    });
    const second = await addDocument(server, c.id, { purpose: "KYC", documentType: "ID_FRONT", name: "id.png" });
    let read = await state(server, c.id);
    assert.equal(read.verification.status, "PENDING");
    assert.deepEqual(read.events.nodes.slice(-2).map((e: any) => [e.type, e.changedFields]), [
      ["DOCUMENT_ADDED", ["documents"]],
      ["VERIFICATION_CHANGED", ["verification.status"]],
    ]);
    p = await review(server, { documentId: second, status: "VERIFIED" });
    assert.equal(p.customer.verification.status, "VERIFIED");

    // Verified first, a later identity document rejected: still verified.
    const third = await addDocument(server, c.id, { purpose: "KYC", documentType: "RESIDENCE_PERMIT", name: "permit.pdf" });
    p = await review(server, { documentId: third, status: "REJECTED", verificationResponse: "Unreadable" });
    assert.equal(p.customer.verification.status, "VERIFIED");
    // Revoking the verified one leaves the latest (rejected) in charge; the customer stays ACTIVE.
    p = await review(server, { documentId: second, status: "REJECTED", verificationResponse: "Forged" });
    assert.deepEqual([p.customer.status, p.customer.verification.status, p.customer.verification.level], ["ACTIVE", "REJECTED", 0]);
    assert.deepEqual(p.customer.events.nodes.at(-1).changedFields, ["verification.status", "verification.level"]);
  });

  test("a company is verified by its COMPANY_REGISTRATION only, and rejected with it", async () => {
    const company = await createCustomer(server, {
      type: "ORGANIZATION",
      company: { legalName: "Acme Ltd" },
      documents: [PASSPORT, { purpose: "KYB", documentType: "COMPANY_REGISTRATION", name: "register.pdf" }],
    });
    const read = await state(server, company.id);
    const [passport, registration] = read.documents.nodes.map((d: any) => d.id);
    let p = await review(server, { documentId: passport, status: "VERIFIED" });
    assert.deepEqual([p.customer.verification.status, p.customer.verification.level], ["PENDING", 0], "a passport does not verify a company");
    p = await review(server, { documentId: registration, status: "REJECTED", verificationResponse: "Out of date" });
    assert.equal(p.customer.verification.status, "REJECTED");
    p = await review(server, { documentId: registration, status: "VERIFIED" });
    assert.deepEqual([p.customer.status, p.customer.verification.status, p.customer.verification.level], ["ACTIVE", "VERIFIED", 1]);
    assert.deepEqual(p.customer.events.nodes.at(-1).changedFields, ["verification.status", "verification.level", "status"]);
  });

  test("UNDER_VERIFICATION is a decision too, and changes no verification", async () => {
    const c = await personWith(server, [PASSPORT]);
    const p = await review(server, { documentId: c.docs[0], status: "UNDER_VERIFICATION" });
    assert.equal(p.document.status, "UNDER_VERIFICATION");
    assert.equal(p.document.verificationResponse, null);
    assert.deepEqual(p.customer.verification, c.read.verification);
    assert.deepEqual(newEvents(c.read, p.customer).map((e: any) => e.type), ["DOCUMENT_REVIEWED"]);
    // The same status with another response is a change.
    const q = await review(server, { documentId: c.docs[0], status: "UNDER_VERIFICATION", verificationResponse: "Checking with issuer" });
    assert.equal(q.document.verificationResponse, "Checking with issuer");
  });

  test("a customer whose verification was never started is verified by its documents all the same", async () => {
    const c = await personWith(server, [PASSPORT]);
    await sqlRun(server, "update customers set verification_status = 'UNVERIFIED', verification_url = null where id = ?", c.id);
    await addDocument(server, c.id, UTILITY_BILL);
    assert.equal((await state(server, c.id)).verification.status, "UNVERIFIED", "adding a document does not start it");
    const p = await review(server, { documentId: c.docs[0], status: "VERIFIED" });
    assert.deepEqual([p.customer.verification.status, p.customer.verification.level], ["VERIFIED", 1]);
  });

  test("refusals are userErrors with code and field, and write nothing", async () => {
    const c = await personWith(server, [PASSPORT, { ...UTILITY_BILL, expiresAt: isoDay(10) }]);
    const [doc, bill] = c.docs;
    await expectRefused(server, REVIEW, { documentId: doc, status: "PENDING" }, "reviewDocument", [{ code: "INVALID", field: ["status"] }]);
    await expectRefused(server, REVIEW, { documentId: doc, status: "EXPIRED" }, "reviewDocument", [{ code: "INVALID", field: ["status"] }]);
    await expectRefused(server, REVIEW, { documentId: doc, status: "REJECTED" }, "reviewDocument", [
      { code: "INVALID", field: ["verificationResponse"] },
    ]);
    await expectRefused(server, REVIEW, { documentId: doc, status: "REJECTED", verificationResponse: "   " }, "reviewDocument", [
      { code: "INVALID", field: ["verificationResponse"] },
    ]);
    await expectRefused(server, REVIEW, { documentId: doc, status: "VERIFIED", verificationResponse: "x".repeat(1001) }, "reviewDocument", [
      { code: "INVALID", field: ["verificationResponse"] },
    ]);
    await expectRefused(server, REVIEW, { documentId: "doc_01m8e6n9200hj5nwgrtfpfsqdc", status: "VERIFIED" }, "reviewDocument", [
      { code: "NOT_FOUND", field: ["documentId"] },
    ]);
    await expectRefused(server, REVIEW, { documentId: "  ", status: "VERIFIED" }, "reviewDocument", [{ code: "INVALID", field: ["documentId"] }]);

    await review(server, { documentId: doc, status: "VERIFIED", verificationResponse: "ok" });
    await expectRefused(server, REVIEW, { documentId: doc, status: "VERIFIED", verificationResponse: "ok" }, "reviewDocument", [
      { code: "NO_CHANGES", field: null },
    ]);

    // A document past its date cannot be reviewed, even before the sweep has marked it.
    await sqlRun(server, "update documents set expires_at = ? where id = ?", isoDay(-1), bill);
    await expectRefused(server, REVIEW, { documentId: bill, status: "VERIFIED" }, "reviewDocument", [{ code: "INVALID_STATE", field: ["documentId"] }]);

    for (const [freeze, thaw] of [["deactivate", "reactivate"], ["archive", "restore"]]) {
      await lifecycle(server, freeze, c.id);
      await expectRefused(server, REVIEW, { documentId: doc, status: "REJECTED", verificationResponse: "no" }, "reviewDocument", [
        { code: "INVALID_STATE", field: ["documentId"] },
      ]);
      await lifecycle(server, thaw, c.id);
    }
    await lifecycle(server, "erase", c.id);
    await expectRefused(server, REVIEW, { documentId: doc, status: "REJECTED", verificationResponse: "no" }, "reviewDocument", [
      { code: "NOT_FOUND", field: ["documentId"] },
    ]);
  });

  test("a failure part-way through the review rolls all of it back", async () => {
    const c = await personWith(server, [PASSPORT]);
    // The first event (DOCUMENT_REVIEWED) goes in; the second (VERIFICATION_CHANGED) fails.
    const undo = await failWrites(server, "customer_events", "injected failure", { when: "NEW.type = 'VERIFICATION_CHANGED'" });
    try {
      const res = await unchanged(server, () => server.gql(REVIEW, { input: { documentId: c.docs[0], status: "VERIFIED" } }));
      assert.equal(res.errors?.[0]?.extensions?.code, "INTERNAL_SERVER_ERROR");
      assert.doesNotMatch(JSON.stringify(res), /injected|sqlite|customer_events/i);
    } finally {
      await undo();
    }
  });

  test("VERIFICATION_CHANGED reaches subscribers after the commit", async () => {
    const c = await personWith(server, [PASSPORT]);
    const client = createClient({ url: server.url.replace("http", "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const received = new Promise<any>((resolve, reject) => {
        const dispose = client.subscribe(
          {
            query: `subscription ($id: ID!) { customerEvents(customerId: $id, types: [VERIFICATION_CHANGED]) { type changedFields customer { status verification { status level } } } }`,
            variables: { id: c.id },
          },
          { next: (v) => (dispose(), resolve(v)), error: reject, complete: () => {} },
        );
      });
      await new Promise((r) => setTimeout(r, 150));
      await review(server, { documentId: c.docs[0], status: "VERIFIED" });
      const event = (await received) as any;
      assert.deepEqual(event.data.customerEvents, {
        type: "VERIFICATION_CHANGED",
        changedFields: ["verification.status", "verification.level", "status"],
        customer: { status: "ACTIVE", verification: { status: "VERIFIED", level: 1 } },
      });
    } finally {
      await client.dispose();
    }
  });
});

describe("startVerification", () => {
  freshServer();

  test("opens a new session with a new URL and cancels the older open ones", async () => {
    const c = await personWith(server, []);
    const p = payloadOf(await server.gql(START, { input: { id: c.id } }), "startVerification");
    assert.deepEqual(p.userErrors, []);
    assert.notEqual(p.verification.url, c.read.verification.url);
    assert.match(p.verification.url, /\/verify\/[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(p.verification, p.customer.verification);
    assert.deepEqual(p.verification, { ...c.read.verification, url: p.verification.url }, "status, level and updatedAt unchanged");
    assert.equal(p.customer.version, c.read.version + 1);
    assert.deepEqual(newEvents(c.read, p.customer), [
      { type: "VERIFICATION_CHANGED", changedFields: ["verification.url"], actor: "anonymous", via: "API" },
    ]);
    assert.deepEqual((await sessions(server, c.id)).map((s) => s.status), ["CANCELLED", "OPEN"]);
    assert.equal((await getPage(p.verification.url)).status, 200);
    assert.equal((await getPage(c.read.verification.url)).status, 404);
  });

  test("keeps what the documents say: a verified customer stays VERIFIED", async () => {
    const c = await personWith(server, [PASSPORT]);
    await review(server, { documentId: c.docs[0], status: "VERIFIED" });
    const p = payloadOf(await server.gql(START, { input: { id: c.id } }), "startVerification");
    assert.deepEqual([p.verification.status, p.verification.level, p.customer.status], ["VERIFIED", 1, "ACTIVE"]);
  });

  test("starts a customer that was never started: UNVERIFIED becomes PENDING", async () => {
    const c = await personWith(server, []);
    await sqlRun(server, "update customers set verification_status = 'UNVERIFIED', verification_url = null where id = ?", c.id);
    const p = payloadOf(await server.gql(START, { input: { id: c.id } }), "startVerification");
    assert.equal(p.verification.status, "PENDING");
    assert.deepEqual(p.customer.events.nodes.at(-1).changedFields, ["verification.status", "verification.url"]);
  });

  test("refuses unknown, deactivated and archived customers, writing nothing", async () => {
    await expectRefused(server, START, { id: "cus_01m8e6n9200hj5nwgrtfpfsqdc" }, "startVerification", [{ code: "NOT_FOUND", field: ["id"] }]);
    const c = await personWith(server, []);
    for (const [freeze, thaw] of [["deactivate", "reactivate"], ["archive", "restore"]]) {
      await lifecycle(server, freeze, c.id);
      await expectRefused(server, START, { id: c.id }, "startVerification", [{ code: "INVALID_STATE", field: ["id"] }]);
      await lifecycle(server, thaw, c.id);
    }
  });
});

describe("POST /hooks/kyc/<provider>", () => {
  freshServer();

  test("a signed report applies the review as kyc:<provider> via SYSTEM; a replay changes nothing", async () => {
    const c = await personWith(server, [PASSPORT]);
    const body = JSON.stringify({ documentId: c.docs[0], status: "VERIFIED", verificationResponse: "Checked by OffBlocks" });
    const res = await postReport(server, "offblocks", body);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { applied: true, document: { id: c.docs[0], status: "VERIFIED" } });
    const read = await state(server, c.id);
    assert.deepEqual(read.documents.nodes[0].verificationResponse, "Checked by OffBlocks");
    assert.deepEqual([read.status, read.verification.status, read.verification.level], ["ACTIVE", "VERIFIED", 1]);
    assert.deepEqual(newEvents(c.read, read), [
      { type: "DOCUMENT_REVIEWED", changedFields: ["documents"], actor: "kyc:offblocks", via: "SYSTEM" },
      { type: "VERIFICATION_CHANGED", changedFields: ["verification.status", "verification.level", "status"], actor: "kyc:offblocks", via: "SYSTEM" },
    ]);
    const replay = await unchanged(server, () => postReport(server, "offblocks", body));
    assert.equal(replay.status, 200);
    assert.equal(replay.json.applied, false);
    assert.equal(replay.json.userErrors[0].code, "NO_CHANGES");
  });

  test("each provider signs with its own secret; any content type; a rotated secret's second signature is enough", async () => {
    const c = await personWith(server, [PASSPORT, UTILITY_BILL]);
    const rejected = JSON.stringify({ documentId: c.docs[0], status: "REJECTED", verificationResponse: "Glare" });
    const res = await postReport(server, "cyrexa", rejected, { secret: CYREXA_SECRET, contentType: "text/plain" });
    assert.equal(res.status, 200);
    const read = await state(server, c.id);
    assert.deepEqual(read.events.nodes.at(-2), { type: "DOCUMENT_REVIEWED", changedFields: ["documents"], actor: "kyc:cyrexa", via: "SYSTEM" });
    assert.equal(read.verification.status, "REJECTED");

    const t = nowSeconds();
    const body = JSON.stringify({ documentId: c.docs[1], status: "UNDER_VERIFICATION" });
    const signature = `t=${t},v1=${sign("an-old-secret-no-longer-used", t, body)},v1=${sign(OFFBLOCKS_SECRET, t, body)}`;
    const rotated = await postReport(server, "offblocks", body, { signature });
    assert.equal(rotated.status, 200);
    assert.equal((await state(server, c.id)).documents.nodes[1].status, "UNDER_VERIFICATION");
  });

  test("a missing, malformed, wrong, tampered or stale signature is 401, and nothing is written", async () => {
    const c = await personWith(server, [PASSPORT]);
    const body = JSON.stringify({ documentId: c.docs[0], status: "VERIFIED" });
    const t = nowSeconds();
    const good = sign(OFFBLOCKS_SECRET, t, body);
    const cases: [string, Parameters<typeof postReport>[3], string | Buffer][] = [
      ["missing", { signature: null }, body],
      ["empty", { signature: "" }, body],
      ["no timestamp", { signature: `v1=${good}` }, body],
      ["no v1", { signature: `t=${t}` }, body],
      ["not hex", { signature: `t=${t},v1=${"z".repeat(64)}` }, body],
      ["short", { signature: `t=${t},v1=${good.slice(0, 62)}` }, body],
      ["another provider's secret", { secret: CYREXA_SECRET }, body],
      ["wrong secret", { secret: "guessed-secret-0123456789" }, body],
      ["tampered body", { signature: `t=${t},v1=${good}` }, body.replace("VERIFIED", "REJECTED")],
      ["timestamp changed", { signature: `t=${t + 1},v1=${good}` }, body],
      ["stale", { t: t - 330 }, body],
      ["from the future", { t: t + 330 }, body],
    ];
    for (const [why, options, payload] of cases) {
      const res = await unchanged(server, () => postReport(server, "offblocks", payload, options));
      assert.equal(res.status, 401, why);
      assert.ok(typeof res.json.error === "string", why);
    }
    // Within the tolerance (five minutes, either way) it is accepted.
    assert.equal((await postReport(server, "offblocks", body, { t: nowSeconds() + 270 })).status, 200);
  });

  test("an unknown provider is 404, even one named like an object property", async () => {
    for (const provider of ["acme", "constructor", "__proto__", "toString"]) {
      const res = await unchanged(server, () => postReport(server, provider, "{}", { secret: OFFBLOCKS_SECRET }));
      assert.equal(res.status, 404, provider);
    }
  });

  test("a signed body that is not a valid report is 400; an unknown document or a frozen customer is 422", async () => {
    const c = await personWith(server, [PASSPORT]);
    const bad: [string, string][] = [
      ["not JSON", "{documentId:"],
      ["empty", ""],
      ["an array", "[]"],
      ["a string", '"VERIFIED"'],
    ];
    for (const [why, body] of bad) {
      const res = await unchanged(server, () => postReport(server, "offblocks", body));
      assert.equal(res.status, 400, why);
    }
    const invalid = await unchanged(server, () => postReport(server, "offblocks", JSON.stringify({ documentId: c.docs[0], status: "PENDING" })));
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.json.userErrors.map((e: any) => [e.code, e.field]), [["INVALID", ["status"]]]);
    const missing = await unchanged(server, () => postReport(server, "offblocks", JSON.stringify({ status: "VERIFIED" })));
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json.userErrors.map((e: any) => [e.code, e.field]), [["INVALID", ["documentId"]]]);

    const unknown = await unchanged(server, () =>
      postReport(server, "offblocks", JSON.stringify({ documentId: "doc_01m8e6n9200hj5nwgrtfpfsqdc", status: "VERIFIED" })),
    );
    assert.equal(unknown.status, 422);
    assert.deepEqual(unknown.json.userErrors.map((e: any) => [e.code, e.field]), [["NOT_FOUND", ["documentId"]]]);
    await lifecycle(server, "deactivate", c.id);
    const frozen = await unchanged(server, () => postReport(server, "offblocks", JSON.stringify({ documentId: c.docs[0], status: "VERIFIED" })));
    assert.equal(frozen.status, 422);
    assert.deepEqual(frozen.json.userErrors.map((e: any) => [e.code, e.field]), [["INVALID_STATE", ["documentId"]]]);
  });

  test("a body over the size limit is 413, answered as JSON", async () => {
    const res = await unchanged(server, () => postReport(server, "offblocks", JSON.stringify({ pad: "x".repeat(70_000) })));
    assert.equal(res.status, 413);
  });

  test("only the hook path reads raw bodies: /graphql still parses JSON", async () => {
    const res = await server.gql("{ viewer { actor } }");
    assert.equal(dataOf(res).viewer.actor, "anonymous");
  });
});

describe("expiry sweep", () => {
  freshServer();

  const expire = (id: string, day = isoDay(-1)) => sqlRun(server, "update documents set expires_at = ? where id = ?", day, id);

  test("expired documents become EXPIRED and no longer count; actor system via SYSTEM; a second run finds nothing", async () => {
    const c = await personWith(server, [{ ...PASSPORT, expiresAt: isoDay(365) }, { ...UTILITY_BILL, expiresAt: isoDay(365) }, { ...PASSPORT, name: "no-expiry.pdf", documentType: "ID_FRONT" }]);
    await review(server, { documentId: c.docs[0], status: "VERIFIED", verificationResponse: "Fine" });
    await review(server, { documentId: c.docs[1], status: "VERIFIED" });
    await review(server, { documentId: c.docs[2], status: "REJECTED", verificationResponse: "Torn" });
    const before = await state(server, c.id);
    assert.deepEqual([before.verification.status, before.verification.level], ["VERIFIED", 2]);

    await expire(c.docs[1]);
    assert.equal(await server.app.services.verification.expireDocuments(), 1);
    let read = await state(server, c.id);
    assert.deepEqual(read.documents.nodes.map((d: any) => d.status), ["VERIFIED", "EXPIRED", "REJECTED"]);
    assert.deepEqual([read.status, read.verification.status, read.verification.level], ["ACTIVE", "VERIFIED", 1]);
    assert.deepEqual(newEvents(before, read), [
      { type: "UPDATED", changedFields: ["documents"], actor: "system", via: "SYSTEM" },
      { type: "VERIFICATION_CHANGED", changedFields: ["verification.level"], actor: "system", via: "SYSTEM" },
    ]);

    // The identity document: the latest identity document is the rejected one, so REJECTED.
    await expire(c.docs[0]);
    assert.equal(await server.app.services.verification.expireDocuments(), 1);
    read = await state(server, c.id);
    assert.deepEqual([read.status, read.verification.status, read.verification.level], ["ACTIVE", "REJECTED", 0]);
    assert.equal(read.documents.nodes[0].verificationResponse, "Fine", "the review's response is kept as it was");

    const settled = await unchanged(server, () => server.app.services.verification.expireDocuments());
    assert.equal(settled, 0);
  });

  test("a document is valid through its expiresAt day; an expired one alone leaves the customer PENDING", async () => {
    const c = await personWith(server, [{ ...PASSPORT, expiresAt: isoDay(365) }]);
    await review(server, { documentId: c.docs[0], status: "VERIFIED" });
    await expire(c.docs[0], isoDay(0));
    assert.equal(await server.app.services.verification.expireDocuments(), 0);
    assert.equal((await state(server, c.id)).verification.status, "VERIFIED");
    await expire(c.docs[0], isoDay(-1));
    assert.equal(await server.app.services.verification.expireDocuments(), 1);
    const read = await state(server, c.id);
    assert.deepEqual([read.verification.status, read.verification.level, read.documents.nodes[0].status], ["PENDING", 0, "EXPIRED"]);
  });

  test("before the sweep has run, a verified document past its date already counts for nothing", async () => {
    const c = await personWith(server, [{ ...PASSPORT, expiresAt: isoDay(365) }]);
    await review(server, { documentId: c.docs[0], status: "VERIFIED" });
    await expire(c.docs[0]);
    await addDocument(server, c.id, UTILITY_BILL);
    const read = await state(server, c.id);
    assert.equal(read.documents.nodes[0].status, "VERIFIED", "not swept yet");
    assert.deepEqual([read.verification.status, read.verification.level], ["PENDING", 0]);
    assert.equal(await server.app.services.verification.expireDocuments(), 1, "the sweep still marks it");
    assert.equal((await state(server, c.id)).documents.nodes[0].status, "EXPIRED");
  });

  test("expired sessions are closed and the customer's dead link is cleared", async () => {
    const c = await personWith(server, []);
    await sqlRun(server, "update verification_sessions set expires_at = ? where customer_id = ?", new Date(Date.now() - 1000).toISOString(), c.id);
    assert.deepEqual(await server.app.services.verification.sweepExpired(), { documents: 0, sessions: 1 });
    const read = await state(server, c.id);
    assert.equal(read.verification.url, null);
    assert.equal(read.verification.status, "PENDING");
    assert.deepEqual(newEvents(c.read, read), [{ type: "VERIFICATION_CHANGED", changedFields: ["verification.url"], actor: "system", via: "SYSTEM" }]);
    assert.deepEqual((await sessions(server, c.id)).map((s) => s.status), ["EXPIRED"]);
    assert.equal(await unchanged(server, () => server.app.services.verification.expireSessions()), 0);
  });
});

// These two need the lines for src/server/app.ts given with this change (sweep at start and on a
// timer; seed after the server knows its origin).
describe("app wiring", () => {
  test("the sweep runs at start and then every EXPIRY_SWEEP_INTERVAL_MS", async () => {
    const database = await createTestDatabase();
    try {
      const first = await startTestServer({ ...ENV, EXPIRY_SWEEP_INTERVAL_MS: "1000", DATABASE_URL: database.url });
      await createOrganization(first);
      const c = await personWith(first, [{ ...PASSPORT, expiresAt: isoDay(365) }, { ...UTILITY_BILL, expiresAt: isoDay(365) }]);
      await sqlRun(first, "update documents set expires_at = ? where id = ?", isoDay(-1), c.docs[0]);
      await first.close();

      const app = await startApp(
        loadConfig({ NODE_ENV: "test", PORT: "0", HOST: "127.0.0.1", DATABASE_URL: database.url, SEED_DEMO: "false", EXPIRY_SWEEP_INTERVAL_MS: "1000" }),
        pino({ level: "silent" }),
      );
      const statusOf = async (id: string) => (await sqlGet<{ status: string }>(app, "select status from documents where id = ?", id))!.status;
      const waitFor = async (id: string, ms: number) => {
        for (const deadline = Date.now() + ms; Date.now() < deadline && (await statusOf(id)) !== "EXPIRED"; ) {
          await new Promise((r) => setTimeout(r, 50));
        }
        return statusOf(id);
      };
      try {
        assert.equal(await waitFor(c.docs[0], 500), "EXPIRED", "swept at start");
        await sqlRun(app, "update documents set expires_at = ? where id = ?", isoDay(-1), c.docs[1]);
        assert.equal(await waitFor(c.docs[1], 3000), "EXPIRED", "swept again on the timer");
      } finally {
        await app.close();
      }
    } finally {
      await database.release();
    }
  });

  test("seeded customers get absolute verification links that open their page", async () => {
    const seeded = await startTestServer({ ...ENV, SEED_DEMO: "true" });
    try {
      const res = await seeded.gql("{ customers(first: 100) { nodes { verification { status url } } } }");
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const nodes = dataOf(res).customers.nodes as { verification: { status: string; url: string } }[];
      assert.ok(nodes.length > 0);
      const origin = new URL(seeded.url).origin;
      for (const n of nodes) assert.ok(n.verification.url.startsWith(`${origin}/verify/`), n.verification.url);
      assert.equal((await getPage(nodes[0].verification.url)).status, 200);
    } finally {
      await seeded.close();
    }
  });
});
