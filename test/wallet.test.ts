// Wallet ownership over HTTP, as a wallet app would do it: ask for a challenge, sign its message
// with the wallet's key (EIP-191 personal_sign, real signatures from viem), send the signature back.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createCustomer, createOrganization, dataOf, personInput, sqlGet, sqlRun, startTestServer, tableCounts, tableRows, type TestServer } from "./helpers";

// viem's declarations are ES modules only; its CommonJS build is what `require` loads here.
import type * as Accounts from "viem/accounts" with { "resolution-mode": "import" };
const { privateKeyToAccount } = require("viem/accounts") as typeof Accounts;

// Well-known development keys (Hardhat/Anvil accounts #1 and #2): never use them for real funds.
const OWNER = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const STRANGER = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdc82a41");

const USER_ERRORS = "userErrors { code field message }";
const REQUEST = /* GraphQL */ `
  mutation ($input: WalletChallengeInput!) {
    requestWalletChallenge(input: $input) { challenge { id message address chain expiresAt } ${USER_ERRORS} }
  }
`;
const VERIFY = /* GraphQL */ `
  mutation ($input: VerifyWalletChallengeInput!) {
    verifyWalletChallenge(input: $input) {
      customer { id version wallets { address chain verifiedAt active } events(last: 1) { nodes { type changedFields } } }
      ${USER_ERRORS}
    }
  }
`;

interface Challenge {
  id: string;
  message: string;
  address: string;
  chain: string;
  expiresAt: string;
}

async function requestChallenge(server: TestServer, input: Record<string, unknown>): Promise<Challenge> {
  const payload = dataOf(await server.gql(REQUEST, { input })).requestWalletChallenge;
  assert.deepEqual(payload.userErrors, []);
  return payload.challenge;
}

async function verify(server: TestServer, challengeId: string, signature: string) {
  const payload = dataOf(await server.gql(VERIFY, { input: { challengeId, signature } })).verifyWalletChallenge;
  assert.deepEqual(payload.userErrors, []);
  return payload.customer;
}

/** Every row of the tables a wallet mutation may touch. */
async function snapshot(server: TestServer) {
  const rows = (table: string) => tableRows(server, table);
  return { counts: await tableCounts(server), customers: await rows("customers"), wallets: await rows("wallets"), challenges: await rows("wallet_challenges") };
}

/** A refused mutation: exactly the expected userError, no result, and nothing written. */
async function expectRefused(server: TestServer, query: string, input: Record<string, unknown>, expected: { code: string; field: string[] }) {
  const before = await snapshot(server);
  const response = await server.gql(query, { input });
  const payload = Object.values(dataOf(response))[0] as Record<string, any>;
  assert.deepEqual(payload.userErrors.map(({ code, field }: { code: string; field: string[] }) => ({ code, field })), [expected]);
  assert.ok(payload.userErrors[0].message.length > 0);
  assert.equal("challenge" in payload ? payload.challenge : payload.customer, null, "no result when refused");
  assert.deepEqual(await snapshot(server), before, "nothing written");
}

/** Runs a lifecycle mutation (deactivateCustomer, ...) that must succeed. */
async function lifecycle(server: TestServer, name: string, inputType: string, input: Record<string, unknown>) {
  const query = `mutation ($input: ${inputType}!) { ${name}(input: $input) { ${USER_ERRORS} } }`;
  assert.deepEqual(dataOf(await server.gql(query, { input }))[name].userErrors, []);
}

async function challengeRow(server: TestServer, id: string) {
  return (await sqlGet(server, "select * from wallet_challenges where id = ?", id)) as { status: string; used_at: string | null };
}

describe("wallet challenges", () => {
  let server: TestServer;
  let customerId: string;

  before(async () => {
    server = await startTestServer();
    await createOrganization(server);
    customerId = (await createCustomer(server, personInput("Satoshi", "Nakamoto"))).id;
  });
  after(() => server.close());

  test("a signed challenge links the wallet, checksummed, once", async () => {
    const version = dataOf(await server.gql("query ($id: ID!) { customer(id: $id) { version } }", { id: customerId })).customer.version;
    const countsBefore = await tableCounts(server);
    const requestedAt = Date.now();
    const challenge = await requestChallenge(server, { customerId, address: OWNER.address.toLowerCase() });

    assert.match(challenge.id, /^wch_[0-9a-z]{26}$/);
    assert.equal(challenge.address, OWNER.address, "stored and returned checksummed");
    assert.equal(challenge.chain, "ethereum", "default chain");
    for (const part of [OWNER.address, customerId, challenge.id, "ethereum", challenge.expiresAt]) {
      assert.ok(challenge.message.includes(part), `message names ${part}`);
    }
    assert.match(challenge.message, /Nonce: [0-9a-f]{32}\n/);
    const ttl = Date.parse(challenge.expiresAt) - requestedAt;
    assert.ok(ttl > 590_000 && ttl <= 601_000, `expires after WALLET_CHALLENGE_TTL_SECONDS (${ttl} ms)`);
    assert.deepEqual(
      await tableCounts(server),
      { ...countsBefore, wallet_challenges: countsBefore.wallet_challenges + 1 },
      "a challenge changes nothing but itself: no event, no wallet",
    );
    assert.equal((await challengeRow(server, challenge.id)).status, "OPEN");

    const customer = await verify(server, challenge.id, await OWNER.signMessage({ message: challenge.message }));
    assert.equal(customer.wallets.length, 1);
    const [wallet] = customer.wallets;
    assert.deepEqual({ ...wallet, verifiedAt: undefined }, { address: OWNER.address, chain: "ethereum", verifiedAt: undefined, active: true });
    assert.ok(Date.parse(wallet.verifiedAt) >= requestedAt);
    assert.equal(customer.version, version + 1);
    assert.deepEqual(customer.events.nodes, [{ type: "WALLET_VERIFIED", changedFields: ["wallets"] }]);
    const used = await challengeRow(server, challenge.id);
    assert.equal(used.status, "USED");
    assert.ok(used.used_at);
  });

  test("a challenge cannot be used twice", async () => {
    const challenge = await requestChallenge(server, { customerId, address: OWNER.address });
    const signature = await OWNER.signMessage({ message: challenge.message });
    await verify(server, challenge.id, signature);
    await expectRefused(server, VERIFY, { challengeId: challenge.id, signature }, { code: "CHALLENGE_EXPIRED", field: ["challengeId"] });
  });

  test("verifying a linked wallet again refreshes verifiedAt; each challenge has its own message", async () => {
    const first = await requestChallenge(server, { customerId, address: OWNER.address });
    const before = await verify(server, first.id, await OWNER.signMessage({ message: first.message }));
    const second = await requestChallenge(server, { customerId, address: OWNER.address });
    assert.notEqual(second.message, first.message);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = await verify(server, second.id, await OWNER.signMessage({ message: second.message }));
    assert.equal(after.wallets.length, 1, "still one wallet");
    assert.ok(after.wallets[0].verifiedAt > before.wallets[0].verifiedAt, "verifiedAt refreshed");
    assert.equal(after.version, before.version + 1);
    assert.deepEqual(after.events.nodes, [{ type: "WALLET_VERIFIED", changedFields: ["wallets"] }]);
  });

  test("the same address on another chain is another wallet; the chain is normalised", async () => {
    const challenge = await requestChallenge(server, { customerId, address: OWNER.address, chain: "  Polygon " });
    assert.equal(challenge.chain, "polygon");
    assert.equal((await requestChallenge(server, { customerId, address: OWNER.address, chain: null })).chain, "ethereum", "null means the default");
    const customer = await verify(server, challenge.id, await OWNER.signMessage({ message: challenge.message }));
    assert.deepEqual(
      customer.wallets.map((w: { chain: string; address: string }) => [w.chain, w.address]).sort(),
      [["ethereum", OWNER.address], ["polygon", OWNER.address]],
    );
  });

  test("a wrong signature is SIGNATURE_INVALID and the challenge stays usable", async () => {
    const challenge = await requestChallenge(server, { customerId, address: STRANGER.address });
    const other = await requestChallenge(server, { customerId, address: STRANGER.address });
    const refused = (signature: string) =>
      expectRefused(server, VERIFY, { challengeId: challenge.id, signature }, { code: "SIGNATURE_INVALID", field: ["signature"] });

    await refused(await OWNER.signMessage({ message: challenge.message })); // another key
    await refused(await STRANGER.signMessage({ message: other.message })); // the right key, another challenge's message
    await refused(await STRANGER.signMessage({ message: challenge.message.replace("Nonce: ", "Nonce: 0") })); // a tampered message
    for (const garbage of ["", "0xdeadbeef", "not a signature", `0x${"00".repeat(65)}`, `0x${"ff".repeat(65)}`, `0x${"zz".repeat(65)}`]) {
      await refused(garbage);
    }
    assert.equal((await challengeRow(server, challenge.id)).status, "OPEN");

    const customer = await verify(server, challenge.id, await STRANGER.signMessage({ message: challenge.message }));
    assert.ok(customer.wallets.some((w: { address: string }) => w.address === STRANGER.address));
  });

  test("an expired challenge is CHALLENGE_EXPIRED, even with a good signature", async () => {
    const challenge = await requestChallenge(server, { customerId, address: OWNER.address });
    const signature = await OWNER.signMessage({ message: challenge.message });
    await sqlRun(server, "update wallet_challenges set expires_at = ? where id = ?", new Date(Date.now() - 1000).toISOString(), challenge.id);
    await expectRefused(server, VERIFY, { challengeId: challenge.id, signature }, { code: "CHALLENGE_EXPIRED", field: ["challengeId"] });
    assert.equal((await challengeRow(server, challenge.id)).status, "OPEN", "not marked: a refusal writes nothing");
  });

  test("an unknown challenge is NOT_FOUND", async () => {
    const signature = await OWNER.signMessage({ message: "anything" });
    for (const challengeId of ["wch_01jz0000000000000000000000", "cus_01jz0000000000000000000000", "nonsense"]) {
      await expectRefused(server, VERIFY, { challengeId, signature }, { code: "NOT_FOUND", field: ["challengeId"] });
    }
  });

  test("requestWalletChallenge refuses bad addresses, chains and customers", async () => {
    const mixedCaseTypo = OWNER.address.replace(/[a-f]/, (c) => c.toUpperCase());
    assert.notEqual(mixedCaseTypo, OWNER.address);
    for (const address of ["", "0x123", OWNER.address.slice(2), `${OWNER.address}00`, `0x${"g".repeat(40)}`, mixedCaseTypo]) {
      await expectRefused(server, REQUEST, { customerId, address }, { code: "INVALID", field: ["address"] });
    }
    for (const chain of ["", "eth chain", "ethereum!", "x".repeat(51)]) {
      await expectRefused(server, REQUEST, { customerId, address: OWNER.address, chain }, { code: "INVALID", field: ["chain"] });
    }
    await expectRefused(server, REQUEST, { customerId: "cus_01jz0000000000000000000000", address: OWNER.address }, { code: "NOT_FOUND", field: ["customerId"] });
  });

  test("a deactivated or archived customer cannot prove a wallet; its challenge resumes after", async () => {
    const id = (await createCustomer(server, personInput("Hal", "Finney"))).id;
    const pending = await requestChallenge(server, { customerId: id, address: OWNER.address });
    const signature = await OWNER.signMessage({ message: pending.message });
    const refusedWhile = async () => {
      await expectRefused(server, REQUEST, { customerId: id, address: OWNER.address }, { code: "INVALID_STATE", field: ["customerId"] });
      await expectRefused(server, VERIFY, { challengeId: pending.id, signature }, { code: "INVALID_STATE", field: ["challengeId"] });
    };
    await lifecycle(server, "deactivateCustomer", "DeactivateCustomerInput", { id, reason: "fraud check" });
    await refusedWhile();
    await lifecycle(server, "reactivateCustomer", "CustomerIdInput", { id });
    await lifecycle(server, "archiveCustomer", "CustomerIdInput", { id });
    await refusedWhile();
    await lifecycle(server, "restoreCustomer", "CustomerIdInput", { id });
    const customer = await verify(server, pending.id, signature);
    assert.equal(customer.wallets.length, 1);
  });
});
