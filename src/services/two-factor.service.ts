// Two-factor targets and one-time codes. The target is stored (codes must reach it) but only its
// masked form is ever returned; a code exists in clear only in the message that carries it.
import { randomInt } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";
import type { Database, Db } from "../db/client";
import { first } from "../db/query";
import { persons, twoFactorChallenges, type CustomerRow, type TwoFactorChallengeRow } from "../db/schema";
import type { EventBus } from "../events/pubsub";
import type { Config } from "../config";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import { hashSecret, verifySecret } from "../lib/secrets";
import type { Actor } from "./actor";
import { assertModifiable, changeCustomers, findCustomer, touchCustomer } from "./customer-tx";
import { UserErrors } from "./errors";
import type { Notifier } from "./notifier";
import { email, parseInput, phone } from "./validation";

const HIDDEN = "•";

/** "+447911123456" -> "+44•••••3456": country code and the last digits (at most half the number). */
export function maskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const national = parsed ? parsed.nationalNumber : e164.replace(/\D/g, "");
  const visible = Math.min(4, Math.floor(national.length / 2));
  return `+${parsed?.countryCallingCode ?? ""}${HIDDEN.repeat(5)}${national.slice(national.length - visible)}`;
}

/** "jane.doe@example.com" -> "j•••@example.com". */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  return `${address.slice(0, 1)}${HIDDEN.repeat(3)}${address.slice(at)}`;
}

const setTargetSchema = z.object({
  customerId: z.string(),
  targetType: z.enum(["SMS", "EMAIL", "TOTP"]),
  targetValue: z.string(),
});
const verifySchema = z.object({
  challengeId: z.string(),
  code: z.string().trim().regex(/^\d{6}$/, { error: "must be the 6 digits that were sent" }),
});

interface Target {
  type: "SMS" | "EMAIL";
  value: string;
  masked: string;
}

function parseTarget(data: z.output<typeof setTargetSchema>): Target {
  switch (data.targetType) {
    case "SMS": {
      const value = parseInput(phone, data.targetValue, ["targetValue"]);
      return { type: "SMS", value, masked: maskPhone(value) };
    }
    case "EMAIL": {
      const value = parseInput(email, data.targetValue, ["targetValue"]);
      return { type: "EMAIL", value, masked: maskEmail(value) };
    }
    case "TOTP":
      throw UserErrors.of("INVALID", ["targetType"], "TOTP is not available yet; use SMS or EMAIL.");
  }
}

/**
 * The challenge, if a code can still be checked against it: NOT_FOUND, INVALID_STATE (its customer
 * cannot be changed, e.g. deactivated) or CHALLENGE_EXPIRED (used, locked, cancelled or expired).
 */
async function answerable(db: Db, actor: Actor, id: string): Promise<TwoFactorChallengeRow> {
  const challenge = await first(db.select().from(twoFactorChallenges).where(eq(twoFactorChallenges.id, id)));
  if (!challenge) throw UserErrors.of("NOT_FOUND", ["challengeId"], `Two-factor challenge ${id} does not exist.`);
  assertModifiable(await findCustomer(db, challenge.customerId, ["challengeId"], actor.access), ["challengeId"]);
  if (challenge.status === "OPEN" && challenge.expiresAt > now() && challenge.attemptsLeft > 0) return challenge;
  const why = challenge.status === "OPEN" ? "expired" : `is ${challenge.status}`;
  throw UserErrors.of("CHALLENGE_EXPIRED", ["challengeId"], `Two-factor challenge ${id} ${why}; start a new one.`);
}

export interface StartedChallenge {
  id: string;
  expiresAt: string;
  attemptsLeft: number;
  sentTo: { targetType: Target["type"]; maskedTarget: string };
}

export interface CodeCheck {
  codeMatch: boolean;
  attemptsLeft: number;
}

export class TwoFactorService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
    readonly notifier: Notifier,
  ) {}

  /** Sets where a person's codes go; open challenges are cancelled, since their codes went elsewhere. */
  async setTarget(actor: Actor, input: { customerId: string; targetType: string; targetValue: string }): Promise<CustomerRow> {
    const data = parseInput(setTargetSchema, input);
    const target = parseTarget(data);
    return changeCustomers(this.db, this.bus, async (tx, events) => {
      const customer = await findCustomer(tx, data.customerId, ["customerId"], actor.access);
      assertModifiable(customer, ["customerId"]);
      const person = await first(tx.select().from(persons).where(eq(persons.customerId, customer.id)));
      if (!person) {
        throw UserErrors.of("INVALID", ["customerId"], `Customer ${customer.id} has no person profile to set a two-factor target on.`);
      }
      if (person.twoFactorType === target.type && person.twoFactorTarget === target.value) {
        throw UserErrors.of("NO_CHANGES", ["targetValue"], "The two-factor target is already set so.");
      }
      await tx
        .update(persons)
        .set({ twoFactorType: target.type, twoFactorTarget: target.value, twoFactorMasked: target.masked })
        .where(eq(persons.customerId, customer.id));
      await this.cancelOpen(tx, customer.id);
      return touchCustomer(tx, actor, customer, { type: "UPDATED", changedFields: ["person.twoFactor"] }, events);
    });
  }

  /** Cancels the customer's open challenges, creates a new one and sends its code to the target. */
  async startChallenge(actor: Actor, input: { id: string }): Promise<StartedChallenge> {
    const code = randomInt(0, 1_000_000).toString().padStart(6, "0");
    // Hashed outside the transaction: scrypt is slow on purpose, and the write lock is shared.
    const codeHash = await hashSecret(code);
    const { challenge, to } = await this.db.transaction(async (tx) => {
      const customer = await findCustomer(tx, input.id, ["id"], actor.access);
      assertModifiable(customer, ["id"]);
      const person = await first(tx.select().from(persons).where(eq(persons.customerId, customer.id)));
      const type = person?.twoFactorType;
      if (!person?.twoFactorTarget || !person.twoFactorMasked || (type !== "SMS" && type !== "EMAIL")) {
        throw UserErrors.of("INVALID_STATE", ["id"], `Customer ${customer.id} has no two-factor target; setTwoFactorTarget first.`);
      }
      await this.cancelOpen(tx, customer.id);
      const createdAt = now();
      const [row] = await tx
        .insert(twoFactorChallenges)
        .values({
          id: newId("twoFactorChallenge"),
          customerId: customer.id,
          codeHash,
          status: "OPEN",
          attemptsLeft: this.config.TWO_FACTOR_MAX_ATTEMPTS,
          createdAt,
          expiresAt: new Date(Date.parse(createdAt) + this.config.TWO_FACTOR_CODE_TTL_SECONDS * 1000).toISOString(),
          usedAt: null,
        })
        .returning();
      return {
        challenge: { id: row.id, expiresAt: row.expiresAt, attemptsLeft: row.attemptsLeft, sentTo: { targetType: type, maskedTarget: person.twoFactorMasked } },
        to: person.twoFactorTarget,
      };
    });
    await this.send(challenge, to, code);
    return challenge;
  }

  /** Sent after commit, so that a refused start sends nothing. */
  private async send(challenge: StartedChallenge, to: string, code: string): Promise<void> {
    const minutes = Math.ceil(this.config.TWO_FACTOR_CODE_TTL_SECONDS / 60);
    try {
      await this.notifier.send({
        to,
        channel: challenge.sentTo.targetType,
        subject: "Your verification code",
        body: `Your verification code is ${code}. It expires in ${minutes} minute${minutes === 1 ? "" : "s"}. If you did not ask for it, ignore this message.`,
      });
    } catch (error) {
      await this.db.transaction((tx) =>
        tx.update(twoFactorChallenges).set({ status: "CANCELLED" }).where(eq(twoFactorChallenges.id, challenge.id)),
      );
      // Not the sender's error itself: it may quote the message, and with it the code, into the log.
      throw new Error(`Sending the code of two-factor challenge ${challenge.id} failed (${error instanceof Error ? error.name : typeof error}).`);
    }
  }

  /**
   * Checks a code. A wrong one is an answer, not a userError: it uses up an attempt, which must be
   * kept (a userError would roll it back); the last one locks the challenge.
   */
  async verifyChallenge(actor: Actor, input: { challengeId: string; code: string }): Promise<CodeCheck> {
    const data = parseInput(verifySchema, input);
    // The code is compared outside the transaction (scrypt is slow, the write lock is shared); the
    // attempt is counted inside it, against the challenge as it is then, so that parallel guesses
    // cannot exceed the limit.
    const seen = await answerable(this.db.read, actor, data.challengeId);
    const match = await verifySecret(data.code, seen.codeHash);
    return this.db.transaction(async (tx) => {
      const challenge = await answerable(tx, actor, seen.id);
      const open = and(eq(twoFactorChallenges.id, challenge.id), eq(twoFactorChallenges.status, "OPEN"));
      if (match) {
        await tx.update(twoFactorChallenges).set({ status: "USED", usedAt: now() }).where(open);
        return { codeMatch: true, attemptsLeft: challenge.attemptsLeft };
      }
      const attemptsLeft = challenge.attemptsLeft - 1;
      await tx
        .update(twoFactorChallenges)
        .set({ attemptsLeft, status: attemptsLeft === 0 ? "LOCKED" : "OPEN" })
        .where(open);
      return { codeMatch: false, attemptsLeft };
    });
  }

  private async cancelOpen(tx: Db, customerId: string): Promise<void> {
    await tx
      .update(twoFactorChallenges)
      .set({ status: "CANCELLED" })
      .where(and(eq(twoFactorChallenges.customerId, customerId), eq(twoFactorChallenges.status, "OPEN")));
  }
}
