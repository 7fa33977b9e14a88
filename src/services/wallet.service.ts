// Wallet ownership challenges (EIP-191): a single-use message naming the wallet, the customer and a
// random nonce; a valid personal_sign signature of it links the wallet to the customer.
import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client";
import { first } from "../db/query";
import { walletChallenges, wallets, type CustomerRow, type WalletChallengeRow } from "../db/schema";
import type { EventBus } from "../events/pubsub";
import type { Config } from "../config";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import type { Actor } from "./actor";
import { assertModifiable, changeCustomers, findCustomer, touchCustomer } from "./customer-tx";
import { UserErrors } from "./errors";
import { parseInput } from "./validation";

// viem's type declarations are ES modules only (its _types folder says "type": "module"), which
// this CommonJS build may not import statically; at run time `require` gets viem's CommonJS build.
// Loaded on first use: viem is a fifth of the server's memory at start, and most deployments
// never link a wallet.
import type * as Viem from "viem" with { "resolution-mode": "import" };
let loaded: typeof Viem | undefined;
const viem = (): typeof Viem => (loaded ??= require("viem") as typeof Viem);

const DEFAULT_CHAIN = "ethereum";

const ethereumAddress = z
  .string()
  .trim()
  .transform((value, ctx) => {
    // isAddress is strict: a mixed-case address must carry a valid EIP-55 checksum, which catches typos.
    if (!viem().isAddress(value)) {
      ctx.addIssue({ code: "custom", message: "is not an Ethereum address (0x and 40 hex digits; mixed case must be a valid EIP-55 checksum)" });
      return z.NEVER;
    }
    return viem().getAddress(value);
  });

const chain = z
  .string()
  .trim()
  .transform((v) => v.toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, { error: "must be a chain name of letters, digits and hyphens, e.g. \"ethereum\"" }))
  .nullish()
  .transform((v) => v ?? DEFAULT_CHAIN);

const requestSchema = z.object({ customerId: z.string(), address: ethereumAddress, chain });
const verifySchema = z.object({ challengeId: z.string(), signature: z.string().trim() });

type ChallengeFacts = Pick<WalletChallengeRow, "id" | "customerId" | "address" | "chain" | "createdAt" | "expiresAt">;

/** The text to sign; the random nonce makes every challenge's signature different. */
function challengeMessage(c: ChallengeFacts, nonce: string): string {
  return [
    "Sign this message to prove that you control this wallet.",
    "Signing costs nothing and sends no transaction.",
    "",
    `Address: ${c.address}`,
    `Chain: ${c.chain}`,
    `Customer: ${c.customerId}`,
    `Challenge: ${c.id}`,
    `Nonce: ${nonce}`,
    `Issued at: ${c.createdAt}`,
    `Expires at: ${c.expiresAt}`,
  ].join("\n");
}

/** Whether `signature` is a valid EIP-191 signature of `message` by `address`; malformed ones are not. */
async function signedBy(address: string, message: string, signature: string): Promise<boolean> {
  if (!/^0x[0-9a-fA-F]+$/.test(signature)) return false;
  try {
    return await viem().verifyMessage({ address: address as Viem.Hex, message, signature: signature as Viem.Hex });
  } catch {
    // viem throws on a signature of the wrong length or with out-of-range values.
    return false;
  }
}

export class WalletService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
  ) {}

  /** Creates a challenge for a wallet of a customer that can be changed. No customer event: nothing about the customer changed yet. */
  async requestChallenge(
    actor: Actor,
    input: { customerId: string; address: string; chain?: string | null },
  ): Promise<WalletChallengeRow> {
    const data = parseInput(requestSchema, input);
    return this.db.transaction(async (tx) => {
      const customer = await findCustomer(tx, data.customerId, ["customerId"], actor.access);
      assertModifiable(customer, ["customerId"]);
      const createdAt = now();
      const expiresAt = new Date(Date.parse(createdAt) + this.config.WALLET_CHALLENGE_TTL_SECONDS * 1000).toISOString();
      const row = { id: newId("walletChallenge"), customerId: customer.id, address: data.address, chain: data.chain, createdAt, expiresAt };
      const [challenge] = await tx
        .insert(walletChallenges)
        .values({ ...row, message: challengeMessage(row, randomBytes(16).toString("hex")), status: "OPEN", usedAt: null })
        .returning();
      return challenge;
    });
  }

  /**
   * Checks a signed challenge and links the wallet (verifying it again refreshes `verifiedAt`).
   * A wrong signature changes nothing, so the challenge stays usable until it expires.
   */
  async verifyChallenge(actor: Actor, input: { challengeId: string; signature: string }): Promise<CustomerRow> {
    const data = parseInput(verifySchema, input);
    return changeCustomers(this.db, this.bus, async (tx, events) => {
      const challenge = await first(tx.select().from(walletChallenges).where(eq(walletChallenges.id, data.challengeId)));
      if (!challenge) throw UserErrors.of("NOT_FOUND", ["challengeId"], `Wallet challenge ${data.challengeId} does not exist.`);
      const customer = await findCustomer(tx, challenge.customerId, ["challengeId"], actor.access);
      assertModifiable(customer, ["challengeId"]);
      const at = now();
      if (challenge.status !== "OPEN" || challenge.expiresAt <= at) {
        const why = challenge.status === "OPEN" ? "expired" : `is ${challenge.status}`;
        throw UserErrors.of("CHALLENGE_EXPIRED", ["challengeId"], `Wallet challenge ${challenge.id} ${why}; request a new one.`);
      }
      if (!(await signedBy(challenge.address, challenge.message, data.signature))) {
        throw UserErrors.of("SIGNATURE_INVALID", ["signature"], `signature is not ${challenge.address}'s EIP-191 signature of the challenge message.`);
      }

      await tx
        .update(walletChallenges)
        .set({ status: "USED", usedAt: at })
        .where(and(eq(walletChallenges.id, challenge.id), eq(walletChallenges.status, "OPEN")));
      await tx
        .insert(wallets)
        .values({ customerId: customer.id, address: challenge.address, chain: challenge.chain, verifiedAt: at, active: true })
        .onConflictDoUpdate({
          target: [wallets.customerId, wallets.chain, wallets.address],
          set: { verifiedAt: at, active: true },
        });
      return touchCustomer(tx, actor, customer, { type: "WALLET_VERIFIED", changedFields: ["wallets"] }, events);
    });
  }
}
