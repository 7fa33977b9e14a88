// KYC verification: sessions (the link handed to the customer), document review (by an operator
// through reviewDocument, or by a provider through its signed webhook), the expiry sweep, and the
// rule that derives verification status and level from the documents (verification/rules.ts).
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { and, asc, eq, inArray, lt, lte, ne } from "drizzle-orm";
import type { Database, Db } from "../db/client";
import { first } from "../db/query";
import {
  customers,
  documents,
  verificationSessions,
  type CustomerEventRow,
  type CustomerRow,
  type DocumentRow,
  type VerificationSessionRow,
} from "../db/schema";
import type { EventBus } from "../events/pubsub";
import type { Config } from "../config";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import type { Actor } from "./actor";
import { assertModifiable, changeCustomers, findCustomer, touchCustomer, type ChangeFn } from "./customer-tx";
import { UserErrors } from "./errors";
import type { Links } from "./links";
import { optionalText, parseInput } from "./validation";
import { BuiltInProvider, type VerificationProvider } from "./verification/provider";
import { deriveVerification, isExpired, proven, proves, requirementsFor, type Requirement } from "./verification/rules";

/** The actor of the expiry sweeps. */
export const SYSTEM_ACTOR: Actor = { name: "system", via: "SYSTEM", organizationId: null };

/** Review decisions; PENDING and EXPIRED are states a document is put in, not decisions. */
const DECISIONS = ["UNDER_VERIFICATION", "VERIFIED", "REJECTED"] as const;

const reviewSchema = z
  .object({
    documentId: z.string({ error: "is required" }).trim().min(1, { error: "must not be empty" }),
    status: z.enum(DECISIONS, {
      error: "must be VERIFIED, REJECTED or UNDER_VERIFICATION (PENDING and EXPIRED are not review decisions)",
    }),
    verificationResponse: optionalText(1000),
  })
  .superRefine(
    (v, ctx) => {
      if (v.status === "REJECTED" && !v.verificationResponse) {
        ctx.addIssue({ code: "custom", path: ["verificationResponse"], message: "is required to reject a document: tell the customer why" });
      }
    },
    { when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null },
  );

/** Session tokens: 32 random bytes, base64url (43 characters). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function today(): string {
  return now().slice(0, 10);
}

/** What the verification page shows about one requirement. */
export interface RequirementView {
  requirement: Requirement;
  /** DONE: a document counts; IN_REVIEW: one is received or under review; NEEDED: neither. */
  state: "DONE" | "IN_REVIEW" | "NEEDED";
  documents: DocumentRow[];
}

export interface SessionView {
  customer: Pick<CustomerRow, "displayName" | "type" | "verificationStatus" | "verificationLevel">;
  expiresAt: string;
  requirements: RequirementView[];
  /** Documents that prove none of the requirements (a selfie, the back of an ID card, ...). */
  otherDocuments: DocumentRow[];
}

export interface Opening {
  session: VerificationSessionRow;
  columns: Pick<CustomerRow, "verificationStatus" | "verificationLevel" | "verificationUrl" | "verificationUpdatedAt">;
}

export class VerificationService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
    readonly links: Links,
    readonly provider: VerificationProvider = new BuiltInProvider(links),
  ) {}

  private change<T>(fn: ChangeFn<T>): Promise<T> {
    return changeCustomers(this.db, this.bus, fn);
  }

  /** startVerification: a new session with a new URL; the customer's older sessions are cancelled. */
  async start(actor: Actor, customerId: string): Promise<CustomerRow> {
    return this.change(async (tx, events) => {
      const customer = await findCustomer(tx, customerId, ["id"], actor.access);
      assertModifiable(customer, ["id"]);
      return this.startInTx(tx, actor, customer, events);
    });
  }

  /**
   * Starts a verification session for `customer` inside the caller's transaction: the customer's
   * verification becomes PENDING (or stays what its documents make it) with the session's URL.
   * Returns the customer row after.
   */
  async startInTx(tx: Db, actor: Actor, customer: CustomerRow, events: CustomerEventRow[]): Promise<CustomerRow> {
    // Suspended sessions would be reopened by a reactivation: they are superseded too.
    await tx
      .update(verificationSessions)
      .set({ status: "CANCELLED" })
      .where(and(eq(verificationSessions.customerId, customer.id), inArray(verificationSessions.status, ["OPEN", "SUSPENDED"])));

    const at = now();
    const { session, url } = this.newSession(customer.id, at);
    await tx.insert(verificationSessions).values(session);

    const derived = await this.derive(tx, customer, true);
    return this.applyInTx(tx, actor, customer, { ...derived, url }, events);
  }

  /**
   * The verification a customer starts with when it is created (creating a customer starts KYC):
   * a new session to store once the customer row is in, and the columns the customer is inserted
   * with, derived from the documents it arrives with. Being part of the creation (version 1, one
   * CREATED event), it is not a change of its own, and it needs no read: nothing is stored yet.
   */
  opening(customer: Pick<CustomerRow, "id" | "type">, docs: readonly DocumentRow[], at: string): Opening {
    const { session, url } = this.newSession(customer.id, at);
    // In the order `derive` reads them.
    const byId = [...docs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const derived = deriveVerification(customer.type, byId, true, at.slice(0, 10));
    return {
      session,
      columns: { verificationStatus: derived.status, verificationLevel: derived.level, verificationUrl: url, verificationUpdatedAt: at },
    };
  }

  /** A new open session for a customer, and its URL (which alone carries the token). */
  newSession(customerId: string, at: string): { session: VerificationSessionRow; url: string } {
    const token = randomBytes(32).toString("base64url");
    const session = {
      id: newId("verificationSession"),
      customerId,
      token,
      expiresAt: new Date(Date.parse(at) + this.config.VERIFICATION_SESSION_TTL_HOURS * 3_600_000).toISOString(),
    };
    const url = this.provider.sessionUrl(session);
    return {
      session: {
        id: session.id,
        customerId,
        provider: this.provider.name,
        tokenHash: hashToken(token),
        // The token itself is not stored here: the link with it lives only on the customer, as the
        // contract hands it out (Customer.verification.url).
        url: url.split(token).join("{token}"),
        status: "OPEN",
        createdAt: at,
        expiresAt: session.expiresAt,
      },
      url,
    };
  }

  /**
   * Derives verification status and level from the customer's documents inside the caller's
   * transaction; when they change, updates the customer and records VERIFICATION_CHANGED.
   */
  async recomputeInTx(tx: Db, actor: Actor, customer: CustomerRow, events: CustomerEventRow[]): Promise<CustomerRow> {
    const derived = await this.derive(tx, customer, customer.verificationStatus !== "UNVERIFIED");
    return this.applyInTx(tx, actor, customer, derived, events);
  }

  private async derive(tx: Db, customer: CustomerRow, started: boolean) {
    const docs = await tx.select().from(documents).where(eq(documents.customerId, customer.id)).orderBy(asc(documents.id));
    return deriveVerification(customer.type, docs, started, today());
  }

  /** Stores the customer's new verification; a NEW customer that becomes VERIFIED becomes ACTIVE. */
  private async applyInTx(
    tx: Db,
    actor: Actor,
    customer: CustomerRow,
    next: { status: CustomerRow["verificationStatus"]; level: number; url?: string | null },
    events: CustomerEventRow[],
  ): Promise<CustomerRow> {
    const columns: Partial<CustomerRow> = {};
    const changedFields: string[] = [];
    if (next.status !== customer.verificationStatus) {
      columns.verificationStatus = next.status;
      changedFields.push("verification.status");
    }
    if (next.level !== customer.verificationLevel) {
      columns.verificationLevel = next.level;
      changedFields.push("verification.level");
    }
    if (changedFields.length > 0) columns.verificationUpdatedAt = now();
    if (next.url !== undefined && next.url !== customer.verificationUrl) {
      columns.verificationUrl = next.url;
      changedFields.push("verification.url");
    }
    if (next.status === "VERIFIED" && customer.status === "NEW") {
      columns.status = "ACTIVE";
      changedFields.push("status");
    }
    if (changedFields.length === 0) return customer;
    return touchCustomer(tx, actor, customer, { type: "VERIFICATION_CHANGED", changedFields }, events, columns);
  }

  /**
   * reviewDocument, and a provider's signed report: sets a document's review state and response,
   * then recomputes the customer's verification.
   */
  async review(actor: Actor, input: unknown): Promise<{ document: DocumentRow; customer: CustomerRow }> {
    const data = parseInput(reviewSchema, input);
    return this.change(async (tx, events) => {
      const current = await first(tx.select().from(documents).where(eq(documents.id, data.documentId)));
      if (!current) throw UserErrors.of("NOT_FOUND", ["documentId"], `Document ${data.documentId} does not exist.`);
      const customer = await findCustomer(tx, current.customerId, ["documentId"], actor.access);
      assertModifiable(customer, ["documentId"]);
      if (isExpired(current, today())) {
        throw UserErrors.of("INVALID_STATE", ["documentId"], `Document ${current.id} expired on ${current.expiresAt}; ask for a current one.`);
      }
      const response = data.verificationResponse ?? null;
      if (current.status === data.status && current.verificationResponse === response) {
        throw UserErrors.of("NO_CHANGES", null, `Document ${current.id} is already ${current.status} with this response.`);
      }
      const [document] = await tx
        .update(documents)
        .set({ status: data.status, verificationResponse: response, reviewedAt: now() })
        .where(eq(documents.id, current.id))
        .returning();
      const touched = await touchCustomer(tx, actor, customer, { type: "DOCUMENT_REVIEWED", changedFields: ["documents"] }, events);
      return { document, customer: await this.recomputeInTx(tx, actor, touched, events) };
    });
  }

  /**
   * The expiry sweep for documents: those past their `expiresAt` become EXPIRED, and their
   * customers' verification is recomputed (an expired document no longer counts). Returns how
   * many documents expired.
   */
  async expireDocuments(): Promise<number> {
    const due = and(lt(documents.expiresAt, today()), ne(documents.status, "EXPIRED"));
    const owners = await this.db.read.selectDistinct({ customerId: documents.customerId }).from(documents).where(due);
    return this.sweep(
      owners,
      async (tx, customerId) =>
        (await tx.update(documents).set({ status: "EXPIRED" }).where(and(eq(documents.customerId, customerId), due)).returning()).length,
      async (tx, customer, events) => {
        const touched = await touchCustomer(tx, SYSTEM_ACTOR, customer, { type: "UPDATED", changedFields: ["documents"] }, events);
        await this.recomputeInTx(tx, SYSTEM_ACTOR, touched, events);
      },
    );
  }

  /**
   * The expiry sweep for sessions: open (or suspended) sessions past their time become EXPIRED,
   * and their customer loses the dead link (VERIFICATION_CHANGED ["verification.url"]). Returns
   * how many sessions expired.
   */
  async expireSessions(): Promise<number> {
    const due = and(inArray(verificationSessions.status, ["OPEN", "SUSPENDED"]), lte(verificationSessions.expiresAt, now()));
    const owners = await this.db.read
      .selectDistinct({ customerId: verificationSessions.customerId })
      .from(verificationSessions)
      .where(due);
    return this.sweep(
      owners,
      async (tx, customerId) =>
        (await tx
          .update(verificationSessions)
          .set({ status: "EXPIRED" })
          .where(and(eq(verificationSessions.customerId, customerId), due))
          .returning()).length,
      // A customer has one live session at most (a new one cancels the others): its link is dead now.
      async (tx, customer, events) => {
        const { verificationStatus: status, verificationLevel: level } = customer;
        await this.applyInTx(tx, SYSTEM_ACTOR, customer, { status, level, url: null }, events);
      },
    );
  }

  /**
   * One transaction per customer (a sweep never holds the write lock for long): `expire` its
   * rows, then, when it expired any and the customer still exists, `followUp`. Returns the total.
   */
  private async sweep(
    owners: { customerId: string }[],
    expire: (tx: Db, customerId: string) => Promise<number>,
    followUp: (tx: Db, customer: CustomerRow, events: CustomerEventRow[]) => Promise<void>,
  ): Promise<number> {
    let total = 0;
    for (const { customerId } of owners) {
      total += await this.change(async (tx, events) => {
        const expired = await expire(tx, customerId);
        const customer = await first(tx.select().from(customers).where(eq(customers.id, customerId)));
        if (expired > 0 && customer && !customer.erasedAt) await followUp(tx, customer, events);
        return expired;
      });
    }
    return total;
  }

  /** Everything the periodic sweep does: expired documents, then expired sessions. */
  async sweepExpired(): Promise<{ documents: number; sessions: number }> {
    return { documents: await this.expireDocuments(), sessions: await this.expireSessions() };
  }

  /**
   * What the verification page shows for a session token, or null when the token is unknown, its
   * session is no longer open or has expired, or its customer can no longer be verified.
   */
  async sessionView(token: string): Promise<SessionView | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const read = this.db.read;
    const session = await first(read.select().from(verificationSessions).where(eq(verificationSessions.tokenHash, hashToken(token))));
    if (!session || session.status !== "OPEN" || session.expiresAt <= now()) return null;
    const customer = await first(read.select().from(customers).where(eq(customers.id, session.customerId)));
    if (!customer || customer.erasedAt || customer.status === "DEACTIVATED" || customer.status === "ARCHIVED") return null;
    const docs = await read.select().from(documents).where(eq(documents.customerId, customer.id)).orderBy(asc(documents.id));
    const day = today();
    const done = proven(customer.type, docs, day);
    const requirements = requirementsFor(customer.type).map((requirement, i): RequirementView => {
      const matching = docs.filter((d) => proves(requirement, d));
      const inReview = matching.some((d) => (d.status === "PENDING" || d.status === "UNDER_VERIFICATION") && !isExpired(d, day));
      return { requirement, state: done[i] ? "DONE" : inReview ? "IN_REVIEW" : "NEEDED", documents: matching };
    });
    return {
      customer,
      expiresAt: session.expiresAt,
      requirements,
      otherDocuments: docs.filter((d) => !requirements.some((r) => r.documents.includes(d))),
    };
  }
}
