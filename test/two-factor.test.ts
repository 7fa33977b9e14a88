// Two-factor over HTTP, as a client would use it: set the target, start a challenge, read the code
// from the development mailbox (GET /dev/mailbox), check it. The code and the unmasked target
// must never come back in a response, an event or a log line.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createCustomer, createOrganization, dataOf, personInput, sqlAll, sqlGet, sqlRun, startTestServer, tableCounts, tableRows, type TestServer } from "./helpers";
import { loadConfig } from "../src/config";
import { createEventBus } from "../src/events/pubsub";
import { maskEmail, maskPhone, TwoFactorService } from "../src/services/two-factor.service";

const USER_ERRORS = "userErrors { code field message }";
const SET_TARGET = /* GraphQL */ `
  mutation ($input: SetTwoFactorTargetInput!) {
    setTwoFactorTarget(input: $input) {
      customer { id version person { twoFactor { targetType maskedTarget } } events(last: 1) { nodes { type changedFields } } }
      ${USER_ERRORS}
    }
  }
`;
const START = /* GraphQL */ `
  mutation ($input: CustomerIdInput!) {
    startTwoFactorChallenge(input: $input) {
      challenge { id expiresAt attemptsLeft sentTo { targetType maskedTarget } }
      ${USER_ERRORS}
    }
  }
`;
const VERIFY = /* GraphQL */ `
  mutation ($input: VerifyTwoFactorInput!) {
    verifyTwoFactorChallenge(input: $input) { codeMatch attemptsLeft ${USER_ERRORS} }
  }
`;

const PHONE_TARGET = "+447911123456";
const EMAIL_TARGET = "jane.doe@example.com";

interface MailboxMessage {
  to: string;
  channel: string;
  subject: string;
  body: string;
  sentAt: string;
}

async function mailbox(server: TestServer): Promise<MailboxMessage[]> {
  const res = await fetch(new URL("/dev/mailbox", server.url));
  assert.equal(res.status, 200);
  return (await res.json()) as MailboxMessage[];
}

/** The code in the newest message to `to`, read as a client would. */
async function codeSentTo(server: TestServer, to: string): Promise<string> {
  const messages = (await mailbox(server)).filter((m) => m.to === to);
  assert.ok(messages.length > 0, `a message to ${to}`);
  const match = /\b(\d{6})\b/.exec(messages[messages.length - 1].body);
  assert.ok(match, "the message carries a 6-digit code");
  return match[1];
}

/** A 6-digit code that is not `code`. */
function wrong(code: string): string {
  return code === "000000" ? "000001" : "000000";
}

/** Every row of the tables a two-factor mutation may touch. */
async function snapshot(server: TestServer) {
  const rows = (table: string) => tableRows(server, table);
  return { counts: await tableCounts(server), customers: await rows("customers"), persons: await rows("persons"), challenges: await rows("two_factor_challenges") };
}

/** A refused mutation: exactly the expected userError, no result (false/0 for verification), and nothing written. */
async function expectRefused(server: TestServer, query: string, input: Record<string, unknown>, expected: { code: string; field: string[] }) {
  const before = await snapshot(server);
  const payload = Object.values(dataOf(await server.gql(query, { input })))[0] as Record<string, any>;
  assert.deepEqual(payload.userErrors.map(({ code, field }: { code: string; field: string[] }) => ({ code, field })), [expected]);
  assert.ok(payload.userErrors[0].message.length > 0);
  const { userErrors, ...result } = payload;
  void userErrors;
  const nothing = "codeMatch" in result ? { codeMatch: false, attemptsLeft: 0 } : Object.fromEntries(Object.keys(result).map((k) => [k, null]));
  assert.deepEqual(result, nothing, "no result when refused");
  assert.deepEqual(await snapshot(server), before, "nothing written");
}

async function setTarget(server: TestServer, customerId: string, targetType: string, targetValue: string) {
  const payload = dataOf(await server.gql(SET_TARGET, { input: { customerId, targetType, targetValue } })).setTwoFactorTarget;
  assert.deepEqual(payload.userErrors, []);
  return payload.customer;
}

async function start(server: TestServer, id: string) {
  const payload = dataOf(await server.gql(START, { input: { id } })).startTwoFactorChallenge;
  assert.deepEqual(payload.userErrors, []);
  return payload.challenge as { id: string; expiresAt: string; attemptsLeft: number; sentTo: { targetType: string; maskedTarget: string } };
}

async function check(server: TestServer, challengeId: string, code: string) {
  const payload = dataOf(await server.gql(VERIFY, { input: { challengeId, code } })).verifyTwoFactorChallenge;
  assert.deepEqual(payload.userErrors, []);
  return { codeMatch: payload.codeMatch, attemptsLeft: payload.attemptsLeft };
}

async function challengeRow(server: TestServer, id: string) {
  return (await sqlGet(server, "select * from two_factor_challenges where id = ?", id)) as {
    status: string;
    attempts_left: number;
    code_hash: string;
    used_at: string | null;
  };
}

/** Runs a lifecycle mutation (deactivateCustomer, ...) that must succeed. */
async function lifecycle(server: TestServer, name: string, inputType: string, input: Record<string, unknown>) {
  const query = `mutation ($input: ${inputType}!) { ${name}(input: $input) { ${USER_ERRORS} } }`;
  assert.deepEqual(dataOf(await server.gql(query, { input }))[name].userErrors, []);
}

describe("two-factor", () => {
  let server: TestServer;
  /** Every response body, to prove that no code or target ever comes back. */
  const responses: string[] = [];
  let customerId: string;

  before(async () => {
    server = await startTestServer();
    const gql = server.gql;
    server.gql = async (...args) => {
      const response = await gql(...args);
      responses.push(JSON.stringify(response));
      return response;
    };
    await createOrganization(server);
    customerId = (await createCustomer(server, personInput("Jane", "Doe", { email: "contact@example.org", phone: "+44 20 7946 0958" }))).id;
  });
  after(() => server.close());

  test("masking keeps the country code and the last digits, or the first letter and the domain", () => {
    assert.equal(maskPhone("+447911123456"), "+44•••••3456");
    assert.equal(maskPhone("+12025550143"), "+1•••••0143");
    assert.equal(maskPhone("+971501234567"), "+971•••••4567");
    assert.equal(maskPhone("+6834002"), "+683•••••02", "never more than half of a short number");
    assert.equal(maskEmail("jane.doe@example.com"), "j•••@example.com");
    assert.equal(maskEmail("x@mail.example.org"), "x•••@mail.example.org");
  });

  test("an SMS target is normalised to E.164, stored, and shown masked only", async () => {
    const version = dataOf(await server.gql("query ($id: ID!) { customer(id: $id) { version } }", { id: customerId })).customer.version;
    const customer = await setTarget(server, customerId, "SMS", " +44 7911 123456 ");
    assert.deepEqual(customer.person.twoFactor, { targetType: "SMS", maskedTarget: "+44•••••3456" });
    assert.equal(customer.version, version + 1);
    assert.deepEqual(customer.events.nodes, [{ type: "UPDATED", changedFields: ["person.twoFactor"] }]);
    const row = await sqlGet(server, "select two_factor_type, two_factor_target, two_factor_masked from persons where customer_id = ?", customerId);
    assert.deepEqual(row, { two_factor_type: "SMS", two_factor_target: PHONE_TARGET, two_factor_masked: "+44•••••3456" });
    const read = dataOf(await server.gql("query ($id: ID!) { customer(id: $id) { person { twoFactor { targetType maskedTarget } } } }", { id: customerId }));
    assert.deepEqual(read.customer.person.twoFactor, { targetType: "SMS", maskedTarget: "+44•••••3456" });
  });

  test("setTwoFactorTarget refuses bad input, customers without a person profile, and no-op changes", async () => {
    await expectRefused(server, SET_TARGET, { customerId, targetType: "TOTP", targetValue: "anything" }, { code: "INVALID", field: ["targetType"] });
    for (const targetValue of ["", "12345", "07911 123456", "+44 1", "not a phone", EMAIL_TARGET]) {
      await expectRefused(server, SET_TARGET, { customerId, targetType: "SMS", targetValue }, { code: "INVALID", field: ["targetValue"] });
    }
    for (const targetValue of ["", "jane", "jane@", "@example.com", PHONE_TARGET]) {
      await expectRefused(server, SET_TARGET, { customerId, targetType: "EMAIL", targetValue }, { code: "INVALID", field: ["targetValue"] });
    }
    await expectRefused(server, SET_TARGET, { customerId: "cus_01jz0000000000000000000000", targetType: "SMS", targetValue: PHONE_TARGET }, { code: "NOT_FOUND", field: ["customerId"] });
    const company = (await createCustomer(server, { type: "ORGANIZATION", company: { legalName: "Acme Ltd" } })).id;
    await expectRefused(server, SET_TARGET, { customerId: company, targetType: "SMS", targetValue: PHONE_TARGET }, { code: "INVALID", field: ["customerId"] });
    await expectRefused(server, SET_TARGET, { customerId, targetType: "SMS", targetValue: "+44 7911 123 456" }, { code: "NO_CHANGES", field: ["targetValue"] });
  });

  test("a deactivated or archived customer gets no code and checks none; an open challenge resumes after", async () => {
    const challenge = await start(server, customerId);
    const code = await codeSentTo(server, PHONE_TARGET);
    const refusedWhile = async () => {
      await expectRefused(server, SET_TARGET, { customerId, targetType: "SMS", targetValue: "+447911123999" }, { code: "INVALID_STATE", field: ["customerId"] });
      await expectRefused(server, START, { id: customerId }, { code: "INVALID_STATE", field: ["id"] });
      await expectRefused(server, VERIFY, { challengeId: challenge.id, code }, { code: "INVALID_STATE", field: ["challengeId"] });
      await expectRefused(server, VERIFY, { challengeId: challenge.id, code: wrong(code) }, { code: "INVALID_STATE", field: ["challengeId"] });
    };
    await lifecycle(server, "deactivateCustomer", "DeactivateCustomerInput", { id: customerId, reason: "lost phone" });
    await refusedWhile();
    await lifecycle(server, "reactivateCustomer", "CustomerIdInput", { id: customerId });
    await lifecycle(server, "archiveCustomer", "CustomerIdInput", { id: customerId });
    await refusedWhile();
    await lifecycle(server, "restoreCustomer", "CustomerIdInput", { id: customerId });
    assert.deepEqual(await check(server, challenge.id, code), { codeMatch: true, attemptsLeft: 5 });
  });

  test("startTwoFactorChallenge sends a code that only the mailbox shows", async () => {
    const countsBefore = await tableCounts(server);
    const versionBefore = dataOf(await server.gql("query ($id: ID!) { customer(id: $id) { version } }", { id: customerId })).customer.version;
    const startedAt = Date.now();
    const challenge = await start(server, customerId);
    assert.match(challenge.id, /^tfc_[0-9a-z]{26}$/);
    assert.equal(challenge.attemptsLeft, 5);
    assert.deepEqual(challenge.sentTo, { targetType: "SMS", maskedTarget: "+44•••••3456" });
    const ttl = Date.parse(challenge.expiresAt) - startedAt;
    assert.ok(ttl > 290_000 && ttl <= 301_000, `expires after TWO_FACTOR_CODE_TTL_SECONDS (${ttl} ms)`);

    const messages = await mailbox(server);
    const last = messages[messages.length - 1];
    assert.deepEqual(Object.keys(last), ["to", "channel", "subject", "body", "sentAt"]);
    assert.equal(last.to, PHONE_TARGET);
    assert.equal(last.channel, "SMS");
    assert.ok(Date.parse(last.sentAt) >= startedAt);
    const code = await codeSentTo(server, PHONE_TARGET);
    assert.doesNotMatch(last.subject, /\d{6}/);

    const row = await challengeRow(server, challenge.id);
    assert.equal(row.status, "OPEN");
    assert.equal(row.attempts_left, 5);
    assert.match(row.code_hash, /^scrypt\$/);
    assert.ok(!row.code_hash.includes(code));
    assert.deepEqual(await tableCounts(server), { ...countsBefore, two_factor_challenges: countsBefore.two_factor_challenges + 1 }, "no event");
    const versionAfter = dataOf(await server.gql("query ($id: ID!) { customer(id: $id) { version } }", { id: customerId })).customer.version;
    assert.equal(versionAfter, versionBefore, "the customer did not change");
  });

  test("a wrong code uses up an attempt, which is kept; the right code then matches once", async () => {
    const challenge = await start(server, customerId);
    const code = await codeSentTo(server, PHONE_TARGET);
    assert.deepEqual(await check(server, challenge.id, wrong(code)), { codeMatch: false, attemptsLeft: 4 });
    const kept = await challengeRow(server, challenge.id);
    assert.deepEqual([kept.status, kept.attempts_left], ["OPEN", 4], "the attempt is persisted");
    assert.deepEqual(await check(server, challenge.id, ` ${code} `), { codeMatch: true, attemptsLeft: 4 });
    const row = await challengeRow(server, challenge.id);
    assert.equal(row.status, "USED");
    assert.ok(row.used_at);
    await expectRefused(server, VERIFY, { challengeId: challenge.id, code }, { code: "CHALLENGE_EXPIRED", field: ["challengeId"] });
  });

  test("the last wrong attempt locks the challenge, and the right code no longer helps", async () => {
    const challenge = await start(server, customerId);
    const code = await codeSentTo(server, PHONE_TARGET);
    for (const attemptsLeft of [4, 3, 2, 1, 0]) {
      assert.deepEqual(await check(server, challenge.id, wrong(code)), { codeMatch: false, attemptsLeft });
    }
    assert.equal((await challengeRow(server, challenge.id)).status, "LOCKED");
    await expectRefused(server, VERIFY, { challengeId: challenge.id, code }, { code: "CHALLENGE_EXPIRED", field: ["challengeId"] });
  });

  test("parallel guesses cannot exceed the attempt limit", async () => {
    const challenge = await start(server, customerId);
    const code = await codeSentTo(server, PHONE_TARGET);
    const guesses = Array.from({ length: 8 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"));
    const payloads = await Promise.all(
      guesses.map(async (guess) => dataOf(await server.gql(VERIFY, { input: { challengeId: challenge.id, code: guess } })).verifyTwoFactorChallenge),
    );
    const answered = payloads.filter((p) => p.userErrors.length === 0);
    assert.equal(answered.length, 5, "exactly TWO_FACTOR_MAX_ATTEMPTS guesses were checked");
    assert.deepEqual(answered.map((p) => p.attemptsLeft).sort(), [0, 1, 2, 3, 4]);
    assert.ok(payloads.filter((p) => p.userErrors.length > 0).every((p) => p.userErrors[0].code === "CHALLENGE_EXPIRED"));
    const row = await challengeRow(server, challenge.id);
    assert.deepEqual([row.status, row.attempts_left], ["LOCKED", 0]);
  });

  test("an expired code is CHALLENGE_EXPIRED, and a refused check writes nothing", async () => {
    const challenge = await start(server, customerId);
    const code = await codeSentTo(server, PHONE_TARGET);
    await sqlRun(server, "update two_factor_challenges set expires_at = ? where id = ?", new Date(Date.now() - 1000).toISOString(), challenge.id);
    await expectRefused(server, VERIFY, { challengeId: challenge.id, code }, { code: "CHALLENGE_EXPIRED", field: ["challengeId"] });
    await expectRefused(server, VERIFY, { challengeId: challenge.id, code: wrong(code) }, { code: "CHALLENGE_EXPIRED", field: ["challengeId"] });
    assert.equal((await challengeRow(server, challenge.id)).attempts_left, 5);
  });

  test("unknown challenges and malformed codes are refused without using an attempt", async () => {
    for (const challengeId of ["tfc_01jz0000000000000000000000", "wch_01jz0000000000000000000000", "nonsense"]) {
      await expectRefused(server, VERIFY, { challengeId, code: "123456" }, { code: "NOT_FOUND", field: ["challengeId"] });
    }
    const challenge = await start(server, customerId);
    for (const code of ["", "12345", "1234567", "12a456", "12 456"]) {
      await expectRefused(server, VERIFY, { challengeId: challenge.id, code }, { code: "INVALID", field: ["code"] });
    }
    assert.equal((await challengeRow(server, challenge.id)).attempts_left, 5);
  });

  test("a new challenge, or a new target, cancels the open ones", async () => {
    const first = await start(server, customerId);
    const firstCode = await codeSentTo(server, PHONE_TARGET);
    const second = await start(server, customerId);
    assert.equal((await challengeRow(server, first.id)).status, "CANCELLED");
    await expectRefused(server, VERIFY, { challengeId: first.id, code: firstCode }, { code: "CHALLENGE_EXPIRED", field: ["challengeId"] });

    const customer = await setTarget(server, customerId, "EMAIL", " Jane.Doe@Example.COM ");
    assert.deepEqual(customer.person.twoFactor, { targetType: "EMAIL", maskedTarget: "j•••@example.com" });
    assert.equal((await challengeRow(server, second.id)).status, "CANCELLED", "its code went to the old target");
    const stored = await sqlGet(server, "select two_factor_target from persons where customer_id = ?", customerId);
    assert.deepEqual(stored, { two_factor_target: EMAIL_TARGET });

    const third = await start(server, customerId);
    assert.deepEqual(third.sentTo, { targetType: "EMAIL", maskedTarget: "j•••@example.com" });
    const messages = await mailbox(server);
    assert.deepEqual(
      { to: messages[messages.length - 1].to, channel: messages[messages.length - 1].channel },
      { to: EMAIL_TARGET, channel: "EMAIL" },
    );
    assert.deepEqual(await check(server, third.id, await codeSentTo(server, EMAIL_TARGET)), { codeMatch: true, attemptsLeft: 5 });
  });

  test("startTwoFactorChallenge needs a customer with a target", async () => {
    const other = (await createCustomer(server, personInput("John", "Roe"))).id;
    await expectRefused(server, START, { id: other }, { code: "INVALID_STATE", field: ["id"] });
    await expectRefused(server, START, { id: "cus_01jz0000000000000000000000" }, { code: "NOT_FOUND", field: ["id"] });
  });

  test("the mailbox lists every message, newest last", async () => {
    const messages = await mailbox(server);
    // Besides the codes, customers created with an email got their verification link.
    assert.ok(messages.filter((m) => [PHONE_TARGET, EMAIL_TARGET].includes(m.to)).length >= 8);
    for (const m of messages) {
      assert.deepEqual(Object.keys(m), ["to", "channel", "subject", "body", "sentAt"]);
    }
    const times = messages.map((m) => m.sentAt);
    assert.deepEqual(times, [...times].sort(), "oldest first, newest last");
    await start(server, customerId);
    const after = await mailbox(server);
    assert.equal(after.length, messages.length + 1);
    assert.deepEqual(after.slice(0, -1), messages);
  });

  test("no code and no unmasked target in any response, event or log line", async () => {
    const codes = (await mailbox(server))
      .filter((m) => [PHONE_TARGET, EMAIL_TARGET].includes(m.to))
      .map((m) => /\b(\d{6})\b/.exec(m.body)![1]);
    assert.ok(codes.length >= 8 && responses.length > 20, "there was something to leak");
    const events = JSON.stringify(await sqlAll(server, "select * from customer_events"));
    const places = { responses: responses.join("\n"), events, logs: server.logs.join("\n") };
    for (const [where, text] of Object.entries(places)) {
      // Not after a decimal point: a log line's durationMs can end in any six digits.
      for (const code of codes) assert.doesNotMatch(text, new RegExp(`(?<![0-9a-z.])${code}(?![0-9a-z])`, "i"), `code in ${where}`);
      for (const secret of [PHONE_TARGET, "7911123456", "7911 123456", EMAIL_TARGET, "jane.doe"]) {
        assert.ok(!text.toLowerCase().includes(secret.toLowerCase()), `${secret} in ${where}`);
      }
    }
  });
});

describe("a notifier that fails", () => {
  test("cancels the challenge, and its error (which may quote the code) goes no further", async () => {
    const server = await startTestServer();
    try {
      await createOrganization(server);
      const id = (await createCustomer(server, personInput("Jane", "Doe"))).id;
      await setTarget(server, id, "SMS", PHONE_TARGET);
      const sent: string[] = [];
      const failing = new TwoFactorService(server.app.db, createEventBus(), loadConfig({}), {
        async send(message) {
          sent.push(message.body);
          throw new Error(`gateway refused: ${message.body}`);
        },
      });
      const error = await failing.startChallenge({ name: "test", via: "API", organizationId: null }, { id }).then(
        () => assert.fail("startChallenge must fail"),
        (e: Error) => e,
      );
      const code = /\d{6}/.exec(sent[0])![0];
      assert.doesNotMatch(`${error.message} ${String(error.cause)} ${error.stack}`, new RegExp(code));
      const rows = await sqlAll(server, "select status from two_factor_challenges where customer_id = ?", id);
      assert.deepEqual(rows, [{ status: "CANCELLED" }]);
    } finally {
      await server.close();
    }
  });
});

describe("GET /dev/mailbox in production", () => {
  test("does not exist", async () => {
    const server = await startTestServer({ NODE_ENV: "production" });
    try {
      const res = await fetch(new URL("/dev/mailbox", server.url));
      assert.equal(res.status, 404);
      await res.body?.cancel();
    } finally {
      await server.close();
    }
  });
});
