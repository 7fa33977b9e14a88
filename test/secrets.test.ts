// Secrets are write-only: a tour through every operation that takes one (passwords, PIN codes,
// secret answers, two-factor codes, API keys), then a scan of every response and of the server's
// whole log for each secret used. The one exception: createApiKey's payload shows its key once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { failWrites, startTestServer, type TestServer } from "./helpers";

const ADMIN = "admin-key-for-the-secrets-tour-0123456789abcdef";
let server: TestServer;
const responses: { query: string; body: string }[] = [];
const secrets = new Set<string>([ADMIN]);

async function gql(query: string, variables?: Record<string, unknown>, key = ADMIN): Promise<any> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.text();
  responses.push({ query, body });
  return JSON.parse(body);
}

before(async () => {
  server = await startTestServer({ ADMIN_API_KEY: ADMIN, ALLOW_ANONYMOUS: "false" });
});
after(() => server.close());

test("a tour of every secret-bearing operation leaks no secret into responses or logs", async () => {
  const PASSWORD = "Tour-Password-Secret-1";
  const NEW_PASSWORD = "Tour-Password-Secret-2";
  const PIN = "90817263";
  const ANSWER = "Marmaladeous-Answer";
  const ONBOARD_PASSWORD = "Onboarding-Secret-Pass";
  const SHORT = "Xy7!";
  [PASSWORD, NEW_PASSWORD, PIN, ANSWER, ONBOARD_PASSWORD, SHORT].forEach((s) => secrets.add(s));

  const org = (await gql(`mutation { createOrganization(input: { name: "Tour Org" }) { organization { id } } }`)).data.createOrganization.organization.id;
  const created = await gql(
    `mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id person { hasPassword hasPinCode secretQuestions { question } } events { nodes { changedFields } } } userErrors { code message } } }`,
    {
      i: {
        type: "PERSON",
        organizationId: org,
        email: "tour@example.com",
        person: { firstName: { name: "Tour" }, password: PASSWORD, pinCode: PIN, secretQuestions: [{ question: "Favourite jam?", answer: ANSWER }] },
      },
    },
  );
  const id = created.data.createCustomer.customer.id;
  assert.deepEqual(created.data.createCustomer.customer.person, { hasPassword: true, hasPinCode: true, secretQuestions: [{ question: "Favourite jam?" }] });

  const update = `mutation ($i: UpdateCustomerInput!) { updateCustomer(input: $i) { customer { events(last: 1) { nodes { changedFields } } } userErrors { code field message } } }`;
  const changed = await gql(update, { i: { id, person: { firstName: { name: "Tour" }, password: NEW_PASSWORD } } });
  assert.deepEqual(changed.data.updateCustomer.customer.events.nodes[0].changedFields, ["person.password"]);
  const same = await gql(update, { i: { id, person: { firstName: { name: "Tour" }, password: NEW_PASSWORD } } });
  assert.equal(same.data.updateCustomer.userErrors[0].code, "NO_CHANGES");
  const tooShort = await gql(update, { i: { id, person: { firstName: { name: "Tour" }, password: SHORT } } });
  assert.deepEqual(tooShort.data.updateCustomer.userErrors.map((e: any) => e.field), [["person", "password"]]);

  const onboarded = await gql(
    `mutation ($i: OnboardCustomerInput!) { onboardCustomer(input: $i) { status customer { person { hasPassword } } userErrors { code } } }`,
    { i: { organizationId: org, firstName: "Onb", registrationAccount: "onb@example.com", password: ONBOARD_PASSWORD } },
  );
  assert.equal(onboarded.data.onboardCustomer.status, "SUCCESSFUL");

  // API keys: the secret appears in createApiKey's payload, once, and nowhere else.
  const made = await gql(`mutation ($o: ID!) { createApiKey(input: { organizationId: $o, name: "tour", scopes: ["customers:read", "customers:write"] }) { apiKey { id prefix } secret } }`, { o: org });
  const KEY = made.data.createApiKey.secret as string;
  secrets.add(KEY);
  assert.equal((await gql(`{ viewer { actor } }`, undefined, KEY)).data.viewer.actor, made.data.createApiKey.apiKey.id);
  await gql(`{ apiKeys(organizationId: "${org}") { id prefix name } }`);

  // Two-factor: the code travels only through the development mailbox.
  const target = "+447911123456";
  await gql(`mutation ($id: ID!) { setTwoFactorTarget(input: { customerId: $id, targetType: SMS, targetValue: "${target}" }) { customer { person { twoFactor { maskedTarget } } } userErrors { code } } }`, { id }, KEY);
  const started = await gql(`mutation ($id: ID!) { startTwoFactorChallenge(input: { id: $id }) { challenge { id } userErrors { code } } }`, { id }, KEY);
  const mailbox = (await (await fetch(new URL("/dev/mailbox", server.url))).json()) as { to: string; body: string }[];
  const code = /\b(\d{6})\b/.exec(mailbox.filter((m) => m.to === target).at(-1)!.body)![1];
  secrets.add(code);
  const wrong = code === "000000" ? "111111" : "000000";
  const check = `mutation ($c: ID!, $code: String!) { verifyTwoFactorChallenge(input: { challengeId: $c, code: $code }) { codeMatch attemptsLeft userErrors { code } } }`;
  assert.equal((await gql(check, { c: started.data.startTwoFactorChallenge.challenge.id, code: wrong }, KEY)).data.verifyTwoFactorChallenge.codeMatch, false);
  assert.equal((await gql(check, { c: started.data.startTwoFactorChallenge.challenge.id, code }, KEY)).data.verifyTwoFactorChallenge.codeMatch, true);

  // An unexpected failure while secrets are in flight: logged, masked, and still no secret.
  const undo = await failWrites(server, "persons", "tour failure");
  try {
    const failed = await gql(`mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { userErrors { code } } }`, {
      i: { type: "PERSON", organizationId: org, person: { firstName: { name: "Fail" }, password: PASSWORD, pinCode: PIN } },
    });
    assert.equal(failed.errors[0].extensions.code, "INTERNAL_SERVER_ERROR");
  } finally {
    await undo();
  }
  assert.ok(server.logs.some((line) => line.includes("tour failure")), "the failure was logged");

  // The scan.
  const shownOnce = responses.filter((r) => r.query.includes("createApiKey"));
  assert.equal(shownOnce.length, 1);
  for (const { query, body } of responses) {
    for (const secret of secrets) {
      if (secret === KEY && shownOnce.some((r) => r.body === body)) continue;
      assert.ok(!body.includes(secret), `a response leaks a secret (${secret.slice(0, 4)}…) for: ${query.slice(0, 80)}`);
    }
  }
  const log = server.logs.join("\n");
  for (const secret of secrets) assert.ok(!log.includes(secret), `the log leaks a secret (${secret.slice(0, 4)}…)`);
  assert.ok(responses.length > 10 && server.logs.length > 0, "there was something to scan");
});
