// Bulk creation of customers (`cli import`, `cli seed`). Every row goes through what createCustomer
// does: the same zod schema (so a row the API would refuse is refused with the same code and field
// path), the same owner resolution and registration policy, the same external-reference rule, the
// same rows (newCustomerRows), the same verification start and the same CREATED event. A row may
// also carry the state its customer is in elsewhere (an export: status, version, audit, lifecycle,
// KYC, review decisions, memberships, wallets); what it gives is validated and stored as given
// instead of a new customer's (ImportedState). What differs is only how rows reach the database:
// many rows per transaction, every check made before the row's first insert (so that a failed row
// has written nothing, without a savepoint per row, which would make SQLite copy every page the
// row touches; on PostgreSQL a failed statement would abort the transaction), checks answered from
// per-transaction caches and statements prepared once per connection, and rows inserted by
// statements prepared once (drizzle builds every query anew, which costs more than SQLite spends
// running it). The same code runs on SQLite and PostgreSQL: every statement is drizzle's, run in
// the import's transaction. Inserts take at most 25 rows per statement (src/services/prepared.ts),
// far below either engine's limit on bound parameters (PostgreSQL's is 65535).
// Events are not published on the in-process bus (nobody listens to it in a CLI process); they
// are in the log, where subscribers resuming with `after`, incremental exports and the webhook
// worker read them.
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database as AppDatabase, Db } from "../db/client";
import { inListParameter, listParameter } from "../db/dialect";
import { executePrepared } from "../db/query";
import {
  customerAddresses,
  customerEvents,
  customers,
  documents,
  memberships,
  organizations as organizationsTable,
  verificationSessions,
  wallets,
  type RegistrationPolicyRow,
} from "../db/schema";
import { eventRow } from "../events/event-log";
import { now } from "../lib/clock";
import { ID_PREFIXES } from "../lib/ids";
import { DATA_CENTER_IDS, type Channel } from "../types/enums";
import type { Actor } from "./actor";
import {
  createdFields,
  insertCustomerParts,
  newCustomerRows,
  referenceTaken,
  type CustomerService,
  type HashedSecrets,
  type NewCustomerRows,
  type PreservedIdentity,
} from "./customer.service";
import { UserErrors, type UserErrorData } from "./errors";
import type { OrganizationService } from "./organization.service";
import { insertRows, perConnection } from "./prepared";
import { missingByPolicy } from "./registration-policy";
import {
  createCustomerSchema,
  documentSchema,
  email,
  organizationSchema,
  parseInput,
  type CreateCustomerData,
} from "./validation";
import { deriveVerification } from "./verification/rules";
import type { VerificationService } from "./verification.service";

/** One row to import: a CreateCustomerInput, and what to keep from the source (ids, creation audit). */
export interface ImportRow {
  /** Position in the source, for error reports (1-based). */
  row: number;
  input: unknown;
  identity?: unknown;
  /** The state the customer is in (ImportedState); absent or empty: a new customer's. */
  state?: unknown;
  /** Organizations the row describes (its own, those it is a member of): `createOrganizations`. */
  organizations?: unknown[];
  /** A problem found before validation (unreadable line, bad JSON cell): the row fails with it. */
  errors?: UserErrorData[];
}

export interface RowError extends UserErrorData {
  row: number;
}

export type ErrorPolicy = "reject-all" | "skip-failed";

export interface ImportOptions {
  actor: Actor;
  /** reject-all: any failed row rolls everything back; skip-failed: valid rows are written. */
  policy: ErrorPolicy;
  /** Rows per transaction (skip-failed) or per chunk of the one transaction (reject-all). */
  batchSize?: number;
  /**
   * Create the organizations a row belongs to (its own and those of its memberships), with the
   * ids and descriptions the row gives, when they do not exist yet (an import into a new
   * instance); otherwise such rows fail with NOT_FOUND.
   */
  createOrganizations?: boolean;
  onError?: (error: RowError) => void;
  /** Called after each batch with the rows handled so far. */
  onProgress?: (rows: number) => void;
}

export interface ImportResult {
  rows: number;
  imported: number;
  failed: number;
  /** reject-all with failures: nothing was written. */
  rolledBack: boolean;
}

const CHANNELS = ["API", "DASHBOARD", "IMPORT", "SYSTEM"] as const satisfies readonly Channel[];
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z$/;

/**
 * An ISO 8601 UTC time (a real one: no February 30th) as the database keeps them all: with
 * milliseconds, so that they sort; null when `value` is not one.
 */
function toTimestamp(value: string): string | null {
  if (value.length === 24 && CANONICAL_UTC.test(value)) {
    // The stored form already (what exports hold): checking its fields is cheaper than a Date.
    const n = (at: number, length: number) => {
      let number = 0;
      for (let i = at; i < at + length; i++) number = number * 10 + value.charCodeAt(i) - 48;
      return number;
    };
    const year = n(0, 4);
    const month = n(5, 2);
    const days = month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
    const day = n(8, 2);
    const valid = month >= 1 && month <= 12 && day >= 1 && day <= days && n(11, 2) < 24 && n(14, 2) < 60 && n(17, 2) < 60;
    return valid ? value : null;
  }
  const time = ISO_UTC.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) return null;
  const normal = new Date(time).toISOString();
  // The date and time as written, not rolled over into the next day or month.
  const upTo = value.length >= 20 ? 19 : 16;
  return normal.slice(0, upTo) === value.slice(0, upTo) ? normal : null;
}

const timestamp = z.string().transform((value, ctx) => {
  const normal = toTimestamp(value);
  if (normal !== null) return normal;
  ctx.addIssue({ code: "custom", message: "is not an ISO 8601 UTC timestamp" });
  return z.NEVER;
});
const idOf = (kind: "customer" | "address" | "document" | "organization") => {
  const pattern = new RegExp(`^${ID_PREFIXES[kind]}_[0-9a-hjkmnp-tv-z]{26}$`);
  return z.string().refine((v) => pattern.test(v), { error: `is not a ${kind} id` });
};
const actorName = z.string().trim().min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" });

/** The source identity a row may carry; validated here, since createCustomer never takes it. */
const identitySchema = z
  .object({
    id: idOf("customer").nullish(),
    createdAt: timestamp.nullish(),
    createdBy: z.string().trim().min(1).max(200).nullish(),
    createdVia: z.enum(CHANNELS).nullish(),
    addressIds: z.array(idOf("address").nullish()).nullish(),
    documents: z.array(z.object({ id: idOf("document").nullish(), createdAt: timestamp.nullish() }).nullish()).nullish(),
  })
  .nullish();

const CUSTOMER_STATUSES = ["NEW", "ACTIVE", "DEACTIVATED", "ARCHIVED"] as const;
const VERIFICATION_STATUSES = ["UNVERIFIED", "PENDING", "VERIFIED", "REJECTED"] as const;
const DOCUMENT_STATUSES = ["PENDING", "UNDER_VERIFICATION", "VERIFIED", "REJECTED", "EXPIRED"] as const;
const DATA_CENTERS = Object.keys(DATA_CENTER_IDS) as [keyof typeof DATA_CENTER_IDS, ...(keyof typeof DATA_CENTER_IDS)[]];
/** What createCustomer takes is 20; a customer may have 100 (addDocument's limit), and keeps them. */
const MAX_DOCUMENTS = 100;
const CREATE_DOCUMENTS = 20;

type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

/**
 * The state a row may carry: the read-only fields of an exported customer. Each field given is
 * stored as given; each field left out is what a new customer gets (status NEW, version 1, the
 * import as its last change, KYC started, documents PENDING, a membership in its organization).
 */
export interface ImportedState {
  status?: CustomerStatus;
  version?: number;
  updatedAt?: string;
  updatedBy?: string;
  updatedVia?: Channel;
  archivedAt?: string;
  archivedBy?: string;
  archivedVia?: Channel;
  deactivatedAt?: string;
  deactivationReason?: string;
  statusBeforeDeactivation?: "NEW" | "ACTIVE";
  statusBeforeArchive?: "NEW" | "ACTIVE" | "DEACTIVATED";
  registrationAccount?: string;
  dataCenter?: string;
  verification?: { status: (typeof VERIFICATION_STATUSES)[number]; level: number; updatedAt: string | null };
  /** Review state of the documents, by position. */
  documents?: ({ status?: (typeof DOCUMENT_STATUSES)[number]; verificationResponse: string | null; reviewedAt: string | null } | null)[];
  /** When each preference was last set, by notification type and channel. */
  notificationPreferences?: { key: string; updatedAt: string }[];
  memberships?: { organization: { id: string }; managementMode: boolean; active: boolean; tags: string[]; onboardedAt: string }[];
  wallets?: { address: string; chain: string; verifiedAt: string | null; active: boolean }[];
}

const ORGANIZATION_ID = new RegExp(`^${ID_PREFIXES.organization}_[0-9a-hjkmnp-tv-z]{26}$`);
const ETHEREUM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const CHAIN = /^[a-z0-9][a-z0-9-]{0,49}$/;

/**
 * Reads and validates the state a row carries (ImportedState), collecting every problem as an
 * INVALID error at its field path. Written out rather than a zod schema: every exported row
 * carries a state, and this is several times faster than zod on the import's hot path.
 */
function readState(given: Record<string, unknown>): { state: ImportedState; errors: UserErrorData[] } {
  const errors: UserErrorData[] = [];
  const fail = (path: (string | number)[], message: string) => {
    const field = path.map(String);
    errors.push({ code: "INVALID", field, message: `${field.join(".")} ${message}` });
  };
  const isAbsent = (v: unknown): v is null | undefined => v === null || v === undefined;
  const oneOf = <T extends string>(v: unknown, path: (string | number)[], allowed: readonly T[]): T | undefined => {
    if (isAbsent(v)) return undefined;
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    fail(path, `must be one of ${allowed.join(", ")}`);
  };
  const time = (v: unknown, path: (string | number)[]): string | undefined => {
    if (isAbsent(v)) return undefined;
    const normal = typeof v === "string" ? toTimestamp(v) : null;
    if (normal !== null) return normal;
    fail(path, "is not an ISO 8601 UTC timestamp");
  };
  const words = (v: unknown, path: (string | number)[], max: number): string | undefined => {
    if (isAbsent(v)) return undefined;
    const text = typeof v === "string" ? v.trim() : null;
    if (text === null) fail(path, "must be a string");
    else if (text === "") fail(path, "must not be empty");
    else if (text.length > max) fail(path, `must be at most ${max} characters`);
    else return text;
  };
  const bool = (v: unknown, path: (string | number)[]): boolean => {
    if (typeof v !== "boolean") fail(path, "must be true or false");
    return v === true;
  };
  const list = (v: unknown, path: (string | number)[], max: number): unknown[] | undefined => {
    if (isAbsent(v)) return undefined;
    if (!Array.isArray(v)) return void fail(path, "must be a list");
    if (v.length > max) fail(path, `must have at most ${max} items`);
    return v;
  };
  const object = (v: unknown, path: (string | number)[]): Record<string, unknown> | undefined => {
    if (isObject(v)) return v;
    fail(path, "must be an object");
  };

  const state: ImportedState = {};
  state.status = oneOf(given.status, ["status"], CUSTOMER_STATUSES);
  if (!isAbsent(given.version)) {
    if (Number.isInteger(given.version) && (given.version as number) >= 1) state.version = given.version as number;
    else fail(["version"], "must be a whole number of at least 1");
  }
  state.updatedAt = time(given.updatedAt, ["updatedAt"]);
  state.updatedBy = words(given.updatedBy, ["updatedBy"], 200);
  state.updatedVia = oneOf(given.updatedVia, ["updatedVia"], CHANNELS);
  state.archivedAt = time(given.archivedAt, ["archivedAt"]);
  state.archivedBy = words(given.archivedBy, ["archivedBy"], 200);
  state.archivedVia = oneOf(given.archivedVia, ["archivedVia"], CHANNELS);
  state.deactivatedAt = time(given.deactivatedAt, ["deactivatedAt"]);
  state.deactivationReason = words(given.deactivationReason, ["deactivationReason"], 500);
  state.statusBeforeDeactivation = oneOf(given.statusBeforeDeactivation, ["statusBeforeDeactivation"], ["NEW", "ACTIVE"] as const);
  state.statusBeforeArchive = oneOf(given.statusBeforeArchive, ["statusBeforeArchive"], ["NEW", "ACTIVE", "DEACTIVATED"] as const);
  if (!isAbsent(given.registrationAccount)) {
    const account = email.safeParse(given.registrationAccount);
    if (account.success) state.registrationAccount = account.data;
    else fail(["registrationAccount"], "is not a valid email address");
  }
  state.dataCenter = oneOf(given.dataCenter, ["dataCenter"], DATA_CENTERS);

  if (!isAbsent(given.verification)) {
    const v = object(given.verification, ["verification"]);
    if (v) {
      const status = oneOf(v.status, ["verification", "status"], VERIFICATION_STATUSES);
      if (!status) fail(["verification", "status"], "is required");
      const level = v.level;
      if (level !== 0 && level !== 1 && level !== 2) fail(["verification", "level"], "must be 0, 1 or 2");
      else if (status && (status === "VERIFIED") !== level >= 1) {
        fail(["verification", "level"], status === "VERIFIED" ? "must be 1 or 2 for a VERIFIED customer" : `must be 0 when verification is ${status}`);
      }
      if (status && typeof level === "number") state.verification = { status, level, updatedAt: time(v.updatedAt, ["verification", "updatedAt"]) ?? null };
    }
  }

  state.documents = list(given.documents, ["documents"], MAX_DOCUMENTS)?.map((d, i) => {
    if (isAbsent(d)) return null;
    const review = object(d, ["documents", i]);
    if (!review) return null;
    const response = words(review.verificationResponse, ["documents", i, "verificationResponse"], 1000);
    return {
      status: oneOf(review.status, ["documents", i, "status"], DOCUMENT_STATUSES),
      verificationResponse: response ?? null,
      reviewedAt: time(review.reviewedAt, ["documents", i, "reviewedAt"]) ?? null,
    };
  });
  state.notificationPreferences = list(given.notificationPreferences, ["notificationPreferences"], 50)?.flatMap((p, i) => {
    const preference = isAbsent(p) ? undefined : object(p, ["notificationPreferences", i]);
    const updatedAt = preference && time(preference.updatedAt, ["notificationPreferences", i, "updatedAt"]);
    return preference && updatedAt ? [{ key: `${String(preference.notificationType)}/${String(preference.channel)}`, updatedAt }] : [];
  });

  const organizationIds = new Set<string>();
  state.memberships = list(given.memberships, ["memberships"], 100)?.flatMap((m, i) => {
    const at = ["memberships", i];
    const membership = object(m, at);
    if (!membership) return [];
    const organization = isObject(membership.organization) ? membership.organization : {};
    const id = organization.id;
    if (typeof id !== "string" || !ORGANIZATION_ID.test(id)) fail([...at, "organization", "id"], "is not an organization id");
    else if (organizationIds.has(id)) fail([...at, "organization", "id"], `names ${id} twice`);
    else organizationIds.add(id);
    const tags: string[] = [];
    list(membership.tags, [...at, "tags"], 50)?.forEach((t, j) => {
      const tag = words(t, [...at, "tags", j], 50);
      if (tag !== undefined) tags.push(tag);
      else if (isAbsent(t)) fail([...at, "tags", j], "must be a string");
    });
    const onboardedAt = time(membership.onboardedAt, [...at, "onboardedAt"]);
    if (!onboardedAt && isAbsent(membership.onboardedAt)) fail([...at, "onboardedAt"], "is required");
    return [
      {
        organization: { id: id as string },
        managementMode: bool(membership.managementMode, [...at, "managementMode"]),
        active: bool(membership.active, [...at, "active"]),
        tags: [...new Set(tags)],
        onboardedAt: onboardedAt ?? "",
      },
    ];
  });

  const walletKeys = new Set<string>();
  state.wallets = list(given.wallets, ["wallets"], 100)?.flatMap((w, i) => {
    const at = ["wallets", i];
    const wallet = object(w, at);
    if (!wallet) return [];
    const address = typeof wallet.address === "string" ? wallet.address.trim() : "";
    const chain = typeof wallet.chain === "string" ? wallet.chain.trim() : "";
    if (!ETHEREUM_ADDRESS.test(address)) fail([...at, "address"], "is not an Ethereum address (0x and 40 hex digits)");
    if (!CHAIN.test(chain)) fail([...at, "chain"], "must be a chain name of lower-case letters, digits and hyphens");
    const key = `${chain}/${address.toLowerCase()}`;
    if (walletKeys.has(key)) fail([...at, "address"], `names ${address} on ${chain} twice`);
    walletKeys.add(key);
    return [{ address, chain, verifiedAt: time(wallet.verifiedAt, [...at, "verifiedAt"]) ?? null, active: bool(wallet.active, [...at, "active"]) }];
  });

  // The lifecycle fields an API-made customer in this status has (lifecycle.service.ts).
  const status = state.status ?? "NEW";
  const archived = status === "ARCHIVED";
  for (const field of ["archivedAt", "archivedBy", "archivedVia"] as const) {
    if (archived && isAbsent(given[field])) fail([field], "is required for an ARCHIVED customer");
    if (!archived && !isAbsent(given[field])) fail([field], `must be empty for a customer that is ${status} (only ARCHIVED ones have it)`);
  }
  const deactivated = !isAbsent(given.deactivatedAt) || !isAbsent(given.deactivationReason);
  if (status === "DEACTIVATED" || (archived && deactivated)) {
    const why = status === "DEACTIVATED" ? "for a DEACTIVATED customer" : "with the other (an archived customer deactivated before)";
    if (isAbsent(given.deactivatedAt)) fail(["deactivatedAt"], `is required ${why}`);
    if (isAbsent(given.deactivationReason)) fail(["deactivationReason"], `is required ${why}`);
  } else if (deactivated) {
    for (const field of ["deactivatedAt", "deactivationReason"] as const) {
      if (!isAbsent(given[field])) fail([field], `must be empty for a customer that is ${status} (only DEACTIVATED or ARCHIVED ones have it)`);
    }
  }
  if (state.statusBeforeDeactivation && !deactivated) fail(["statusBeforeDeactivation"], "must be empty for a customer that is not deactivated");
  if (state.statusBeforeArchive) {
    if (!archived) fail(["statusBeforeArchive"], `must be empty for a customer that is ${status} (only ARCHIVED ones have it)`);
    else if ((state.statusBeforeArchive === "DEACTIVATED") !== deactivated) {
      fail(["statusBeforeArchive"], "is DEACTIVATED exactly when the archived customer has deactivatedAt and deactivationReason");
    }
  }
  return { state, errors };
}

const documentsSchema = z.array(documentSchema).max(MAX_DOCUMENTS, { error: `must have at most ${MAX_DOCUMENTS} items` });

/** What a row may say about an organization: its id, and CreateOrganizationInput's fields. */
const describedOrganization = z.object({
  id: idOf("organization"),
  name: z.string(),
  legalName: z.unknown(),
  countryCode: z.unknown(),
  dataCenter: z.unknown(),
});

/**
 * A row checked as createCustomer checks its input, without the database: ready to write, or its
 * errors. Plain data, so that checking can run in worker threads.
 */
export type CheckedRow =
  | {
      row: number;
      valid: true;
      data: CreateCustomerData;
      changedFields: string[];
      identity?: PreservedIdentity;
      state?: ImportedState;
      organizations?: { id: string; input: Record<string, unknown> }[];
    }
  | { row: number; valid: false; errors: UserErrorData[] };

type Prepared = Extract<CheckedRow, { valid: true }> & { secrets: HashedSecrets | Promise<HashedSecrets> };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates a row: createCustomer's schema for the input, and the identity and state it keeps.
 * Every problem of the row is reported at once.
 */
export function checkRow(item: ImportRow): CheckedRow {
  if (item.errors?.length) return { row: item.row, valid: false, errors: item.errors };
  const errors: UserErrorData[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof UserErrors)) throw error;
      errors.push(...error.errors);
      return undefined;
    }
  };
  const stateGiven = isObject(item.state) && Object.keys(item.state).length > 0;
  let state: ImportedState | undefined;
  if (stateGiven) {
    const read = readState(item.state as Record<string, unknown>);
    state = read.state;
    errors.push(...read.errors);
  }
  let input = item.input;
  let documents: CreateCustomerData["documents"];
  if (stateGiven && isObject(input) && Array.isArray(input.documents) && input.documents.length > CREATE_DOCUMENTS) {
    // A customer that exists elsewhere keeps all its documents (up to addDocument's limit).
    const { documents: given, ...rest } = input;
    input = rest;
    documents = attempt(() => parseInput(documentsSchema, given, ["documents"]));
  }
  const data = attempt(() => parseInput(createCustomerSchema, input));
  const identity = attempt(() => parseInput(identitySchema, item.identity)) ?? undefined;
  if (errors.length > 0 || !data) return { row: item.row, valid: false, errors };
  if (documents) data.documents = documents;
  const organizations = (item.organizations ?? []).flatMap((o) => {
    const described = describedOrganization.safeParse(o);
    if (!described.success) return [];
    const { id, name, legalName, countryCode, dataCenter } = described.data;
    return [{ id, input: { name, legalName, countryCode, dataCenter } }];
  });
  return {
    row: item.row,
    valid: true,
    data,
    changedFields: createdFields(item.input),
    identity,
    state,
    organizations: organizations.length > 0 ? organizations : undefined,
  };
}

/**
 * Puts a new customer's rows in the state the row gives (ImportedState), field by field; what it
 * leaves out stays as a new customer has it. Returns the memberships and wallets to insert, and
 * the verification session to open, if any.
 *
 * A session (a KYC link) is opened only for a customer still in its first verification, as
 * createCustomer leaves one: status NEW, verification PENDING or REJECTED. A customer already
 * VERIFIED, never started (UNVERIFIED), ACTIVE (verified before), DEACTIVATED (its sessions would
 * be suspended) or ARCHIVED gets none: its verification is as given, without a link
 * (startVerification hands out a new one when needed). Links of the source are never exported.
 */
function applyState(planned: NewCustomerRows, state: NonNullable<ImportedState>, at: string, openSession: () => { session: typeof verificationSessions.$inferInsert; url: string }) {
  const customer = planned.customer;
  state.documents?.forEach((review, i) => {
    const document = planned.documents[i];
    if (!document || !review) return;
    if (review.status) document.status = review.status;
    document.verificationResponse = review.verificationResponse ?? null;
    document.reviewedAt = review.reviewedAt ?? null;
  });
  if (state.notificationPreferences) {
    const setAt = new Map(state.notificationPreferences.map((p) => [p.key, p.updatedAt]));
    for (const preference of planned.preferences) {
      preference.updatedAt = setAt.get(`${preference.notificationType}/${preference.channel}`) ?? preference.updatedAt;
    }
  }

  // Verification as given, or derived from the documents (oldest first) as starting KYC does.
  const verification = state.verification ?? {
    ...deriveVerification(customer.type, [...planned.documents].sort((a, b) => (a.id < b.id ? -1 : 1)), true, at.slice(0, 10)),
    updatedAt: at,
  };
  const verified = verification.status === "VERIFIED";
  // A NEW customer that is VERIFIED is ACTIVE (VerificationService's rule).
  const status = state.status ?? (verified ? "ACTIVE" : "NEW");
  const deactivatedAt = state.deactivatedAt ?? null;
  const archived = status === "ARCHIVED";
  // Where reactivation and restore go back to; rows that do not say (hand-written ones) get the
  // status a customer with this verification would have had.
  const before = verified ? "ACTIVE" : "NEW";
  // Only what differs from a new customer is set: columns left undefined are not even bound.
  customer.status = status;
  if (state.version !== undefined) customer.version = state.version;
  if (state.updatedAt !== undefined) customer.updatedAt = state.updatedAt;
  if (state.updatedBy !== undefined) customer.updatedBy = state.updatedBy;
  if (state.updatedVia !== undefined) customer.updatedVia = state.updatedVia;
  if (archived) {
    customer.archivedAt = state.archivedAt;
    customer.archivedBy = state.archivedBy;
    customer.archivedVia = state.archivedVia;
    customer.statusBeforeArchive = state.statusBeforeArchive ?? (deactivatedAt ? "DEACTIVATED" : before);
  }
  if (deactivatedAt) {
    customer.deactivatedAt = deactivatedAt;
    customer.deactivationReason = state.deactivationReason;
    customer.statusBeforeDeactivation = state.statusBeforeDeactivation ?? before;
  }
  customer.verificationStatus = verification.status;
  customer.verificationLevel = verification.level;
  customer.verificationUpdatedAt = verification.updatedAt ?? null;

  // A deactivation switches memberships and wallets off (suspended), to be switched on again.
  const suspended = deactivatedAt !== null;
  const own = { ...planned.membership, active: !suspended, suspended };
  const membershipRows = (state.memberships ?? []).map((m) => ({
    customerId: customer.id,
    organizationId: m.organization.id,
    managementMode: m.managementMode,
    tags: m.tags,
    onboardedAt: m.onboardedAt,
    active: m.active,
    suspended: !m.active && suspended,
  }));
  if (!membershipRows.some((m) => m.organizationId === own.organizationId)) membershipRows.unshift(own);
  const walletRows = (state.wallets ?? []).map((w) => ({
    customerId: customer.id,
    address: w.address,
    chain: w.chain,
    verifiedAt: w.verifiedAt ?? null,
    active: w.active,
    suspended: !w.active && suspended,
  }));

  let session: typeof verificationSessions.$inferInsert | null = null;
  if (status === "NEW" && (verification.status === "PENDING" || verification.status === "REJECTED")) {
    const opened = openSession();
    session = opened.session;
    customer.verificationUrl = opened.url;
  }
  return { memberships: membershipRows, wallets: walletRows, session };
}

const hasSecrets = (data: CreateCustomerData) =>
  data.person != null && (data.person.password != null || data.person.pinCode != null || data.person.secretQuestions != null);

/**
 * What an import checks against the database before writing rows, prepared once per connection:
 * each runs in the import's transaction (on its connection), so that it sees the rows written
 * before. Taking a whole batch's ids in one statement (inListParameter) instead of one lookup per
 * id saves SQLite a few microseconds a row and PostgreSQL a round trip per id.
 * Built when first used: the table binding is chosen when the database opens (src/db/bind.ts).
 */
const checkStatements = perConnection((db) => ({
  customers: db.select({ id: customers.id }).from(customers).where(inListParameter(customers.id, "ids")).prepare(),
  addresses: db.select({ id: customerAddresses.id }).from(customerAddresses).where(inListParameter(customerAddresses.id, "ids")).prepare(),
  documents: db.select({ id: documents.id }).from(documents).where(inListParameter(documents.id, "ids")).prepare(),
  accounts: db
    .select({ id: customers.id, account: customers.registrationAccount })
    .from(customers)
    .where(inListParameter(customers.registrationAccount, "ids"))
    .prepare(),
  references: db
    .select({ id: customers.id, organizationId: customers.organizationId, reference: customers.externalReference })
    .from(customers)
    .where(inListParameter(customers.externalReference, "ids"))
    .prepare(),
  organization: db
    .select({ id: organizationsTable.id })
    .from(organizationsTable)
    .where(eq(organizationsTable.id, sql.placeholder("id")))
    .prepare(),
}));

type CheckStatements = ReturnType<typeof checkStatements>;

/** The rows `statement` finds among `values` (none asked: none found, without a statement). */
async function lookUp<Row>(statement: Parameters<typeof executePrepared>[0], values: Set<string>): Promise<Row[]> {
  if (values.size === 0) return [];
  return executePrepared<Row>(statement, { ids: listParameter([...values]) });
}

const referenceKey = (organizationId: string, reference: string) => `${organizationId}\u0000${reference}`;

/**
 * What a batch's rows could collide with: the ids, registration accounts and external references
 * they give that are taken already, looked up for the whole batch before its first row is
 * written, then kept up to date with each row written.
 */
class Taken {
  readonly customers = new Set<string>();
  readonly addresses = new Set<string>();
  readonly documents = new Set<string>();
  /** Registration account → the customer that has it. */
  readonly accounts = new Map<string, string>();
  /** referenceKey(organization, external reference) → the customer that has it. */
  readonly references = new Map<string, string>();

  static async of(checks: CheckStatements, batch: readonly Prepared[]): Promise<Taken> {
    const asked = { customers: new Set<string>(), addresses: new Set<string>(), documents: new Set<string>(), accounts: new Set<string>(), references: new Set<string>() };
    for (const p of batch) {
      const identity = p.identity;
      if (identity?.id) asked.customers.add(identity.id);
      identity?.addressIds?.forEach((id) => id && asked.addresses.add(id));
      identity?.documents?.forEach((d) => d?.id && asked.documents.add(d.id));
      if (p.state?.registrationAccount) asked.accounts.add(p.state.registrationAccount);
      if (p.data.externalReference) asked.references.add(p.data.externalReference);
    }
    const taken = new Taken();
    for (const kind of ["customers", "addresses", "documents"] as const) {
      for (const { id } of await lookUp<{ id: string }>(checks[kind], asked[kind])) taken[kind].add(id);
    }
    for (const { id, account } of await lookUp<{ id: string; account: string }>(checks.accounts, asked.accounts)) taken.accounts.set(account, id);
    for (const r of await lookUp<{ id: string; organizationId: string; reference: string }>(checks.references, asked.references)) {
      taken.references.set(referenceKey(r.organizationId, r.reference), r.id);
    }
    return taken;
  }

  /** A customer just written takes its ids, registration account and external reference. */
  add(planned: NewCustomerRows): void {
    const { customer } = planned;
    this.customers.add(customer.id);
    for (const a of planned.addresses) if (a.id) this.addresses.add(a.id);
    for (const d of planned.documents) this.documents.add(d.id);
    if (customer.registrationAccount) this.accounts.set(customer.registrationAccount, customer.id);
    if (customer.externalReference) this.references.set(referenceKey(customer.organizationId, customer.externalReference), customer.id);
  }
}

/** A checked row's customer, ready to insert. */
interface Written {
  planned: NewCustomerRows;
  memberships: (typeof memberships.$inferInsert)[];
  wallets: (typeof wallets.$inferInsert)[];
  event: typeof customerEvents.$inferInsert;
  session: typeof verificationSessions.$inferInsert | null;
}

/**
 * Inserts a batch's customers table by table, parents first: every customer row, then what
 * insertCustomerParts inserts (in its order), memberships, wallets, the CREATED events (in the
 * rows' order, which numbers them) and verification sessions. insertRows puts up to 25 rows in a
 * statement, where a customer at a time took a statement per table: on PostgreSQL, where each
 * statement is a round trip, that is most of an import's time. Nothing is read in between that
 * needs them: the checks of the batch's later rows are answered from `Taken`, which each written
 * row updates.
 */
async function insertWritten(tx: Db, written: readonly Written[]): Promise<void> {
  if (written.length === 0) return;
  const parts = written.map((w) => w.planned);
  await insertRows(tx, customers, parts.map((r) => r.customer));
  await insertCustomerParts(tx, parts);
  await insertRows(tx, memberships, written.flatMap((w) => w.memberships));
  await insertRows(tx, wallets, written.flatMap((w) => w.wallets));
  await insertRows(tx, customerEvents, written.map((w) => w.event));
  await insertRows(tx, verificationSessions, written.flatMap((w) => (w.session ? [w.session] : [])));
}

export class ImportService {
  constructor(
    private readonly db: AppDatabase,
    private readonly services: {
      customers: CustomerService;
      organizations: OrganizationService;
      verification: VerificationService;
    },
  ) {}

  /**
   * Imports `rows` in order. Memory stays bounded by one batch: rows are pulled from the source
   * as they are written. reject-all runs the whole import in one transaction (SQLite spills it to
   * the write-ahead log, not to memory; PostgreSQL keeps it in its tables until commit or rollback)
   * and rolls it back at the end when any row failed, having still tried every row so that all
   * errors are reported at once. Either way the import holds the write lock meanwhile: the
   * server's writes wait for it (skip-failed lets them in between batches).
   */
  async run(rows: AsyncIterable<CheckedRow> | Iterable<CheckedRow>, options: ImportOptions): Promise<ImportResult> {
    const batchSize = options.batchSize ?? 1000;
    const result: ImportResult = { rows: 0, imported: 0, failed: 0, rolledBack: false };
    const fail = (row: number, errors: UserErrorData[]) => {
      result.failed += 1;
      for (const e of errors) options.onError?.({ row, ...e });
    };
    const write = this.writer(options, fail);

    const batches = this.prepareBatches(rows, batchSize, fail, (n) => (result.rows += n));
    if (options.policy === "skip-failed") {
      for await (const batch of batches) {
        result.imported += await this.db.transaction((tx) => write(tx, batch));
        options.onProgress?.(result.rows);
      }
      return result;
    }

    const rollback = new Error("reject-all: rolling back");
    try {
      await this.db.transaction(async (tx) => {
        for await (const batch of batches) {
          result.imported += await write(tx, batch);
          options.onProgress?.(result.rows);
        }
        if (result.failed > 0) throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
      result.rolledBack = true;
      result.imported = 0;
    }
    return result;
  }

  /** Writes a batch inside the caller's transaction; returns how many rows were written. */
  private writer(options: ImportOptions, fail: (row: number, errors: UserErrorData[]) => void) {
    const { organizations, verification } = this.services;
    const { actor } = options;
    // Organizations are never deleted: once seen, one is known to exist.
    const knownOrganizations = new Set<string>();
    // Per transaction: who owns rows that name an organization (or none), and each owner's policy.
    const owners = new Map<string, Promise<string>>();
    const policies = new Map<string, Promise<RegistrationPolicyRow>>();

    /** Ids the row keeps from its source must be new, here and within the row. */
    const assertNewIds = (taken: Taken, identity: PreservedIdentity | undefined) => {
      if (identity?.id && taken.customers.has(identity.id)) {
        throw UserErrors.of("DUPLICATE", ["id"], `id ${identity.id} is already a customer`);
      }
      const seen = new Set<string>();
      const check = (id: string | null | undefined, kind: "address" | "document", field: string[]) => {
        if (!id) return;
        if (seen.has(id) || taken[kind === "address" ? "addresses" : "documents"].has(id)) {
          throw UserErrors.of("DUPLICATE", field, `id ${id} is already a ${kind}`);
        }
        seen.add(id);
      };
      identity?.addressIds?.forEach((id, i) => check(id, "address", ["addresses", String(i), "id"]));
      identity?.documents?.forEach((d, i) => check(d?.id, "document", ["documents", String(i), "id"]));
    };

    /**
     * Checks one row and gives the rows to insert for it (written with the rest of the batch), or
     * throws UserErrors having written nothing.
     */
    const writeOne = async (tx: Db, checks: CheckStatements, taken: Taken, p: Prepared, secrets: HashedSecrets) => {
      const state: NonNullable<ImportedState> = p.state ?? {};
      assertNewIds(taken, p.identity);
      const account = state.registrationAccount;
      const accountHolder = account ? taken.accounts.get(account) : undefined;
      if (account && accountHolder) {
        throw UserErrors.of("DUPLICATE", ["registrationAccount"], `registrationAccount ${account} already belongs to ${accountHolder}.`);
      }

      // The organizations the row needs: its own (when it names one) and those it is a member of.
      // Missing ones are created (--create-orgs) once every check has passed; their descriptions
      // are checked first.
      const described = new Map(options.createOrganizations ? (p.organizations ?? []).map((o) => [o.id, o.input]) : []);
      const missing = new Map<string, Record<string, unknown>>();
      const need = async (id: string, field: string[]) => {
        if (knownOrganizations.has(id) || missing.has(id)) return;
        if ((await executePrepared(checks.organization, { id })).length > 0) return void knownOrganizations.add(id);
        const description = described.get(id);
        // A missing organization of its own is reported by the owner resolution below.
        if (!description) {
          if (field[0] === "organizationId") return;
          throw UserErrors.of("NOT_FOUND", field, `Organization ${id} does not exist.`);
        }
        const at = field[0] === "organizationId" ? field : field.slice(0, -1);
        missing.set(id, parseInput(organizationSchema, description, at));
      };
      if (p.data.organizationId) await need(p.data.organizationId, ["organizationId"]);
      const rowMemberships = state.memberships ?? [];
      for (let i = 0; i < rowMemberships.length; i++) await need(rowMemberships[i].organization.id, ["memberships", String(i), "organization", "id"]);

      // A new organization has an empty policy and no references yet: nothing to check against.
      const named = p.data.organizationId ?? "";
      const isNew = missing.has(named);
      if (!isNew && !owners.has(named)) owners.set(named, organizations.resolveOwner(tx, actor, p.data.organizationId));
      const organizationId = isNew ? named : await owners.get(named)!;
      if (!isNew) {
        if (!policies.has(organizationId)) policies.set(organizationId, organizations.policyOf(tx, organizationId));
        const unmet = missingByPolicy(await policies.get(organizationId)!, p.data);
        if (unmet.length > 0) throw new UserErrors(unmet);
        const reference = p.data.externalReference;
        const holder = reference ? taken.references.get(referenceKey(organizationId, reference)) : undefined;
        if (reference && holder) throw referenceTaken(reference, holder);
      }

      for (const [id, input] of missing) {
        await organizations.createInTx(tx, actor, input, id);
        knownOrganizations.add(id);
        owners.delete(id);
      }

      const at = now();
      const planned = newCustomerRows(actor, organizationId, p.data, secrets, at, {
        changedFields: p.changedFields,
        identity: p.identity,
        registrationAccount: account ?? null,
        dataCenter: state.dataCenter ?? null,
      });
      const id = planned.customer.id;
      const { memberships: membershipRows, wallets: walletRows, session } = applyState(planned, state, at, () => verification.newSession(id, at));

      const event = eventRow(actor, { type: "CREATED", customerId: id, organizationId, changedFields: [...p.changedFields].sort(), occurredAt: at });
      taken.add(planned);
      return { planned, memberships: membershipRows, wallets: walletRows, event, session };
    };

    return async (tx: Db, batch: Prepared[]): Promise<number> => {
      const checks = checkStatements(tx);
      const taken = await Taken.of(checks, batch);
      const written: Written[] = [];
      for (const p of batch) {
        let secrets: HashedSecrets;
        try {
          secrets = await p.secrets;
        } catch (error) {
          fail(p.row, [{ code: "INVALID", field: ["person"], message: `secrets could not be hashed: ${String(error)}` }]);
          continue;
        }
        try {
          written.push(await writeOne(tx, checks, taken, p, secrets));
        } catch (error) {
          // Anything else (a failed insert after the checks) fails the whole transaction.
          if (!(error instanceof UserErrors)) throw error;
          fail(p.row, error.errors);
        }
      }
      await insertWritten(tx, written);
      return written.length;
    };
  }

  /** Groups checked rows into batches; invalid rows are reported through `fail` and left out. */
  private async *prepareBatches(
    rows: AsyncIterable<CheckedRow> | Iterable<CheckedRow>,
    batchSize: number,
    fail: (row: number, errors: UserErrorData[]) => void,
    counted: (n: number) => void,
  ): AsyncGenerator<Prepared[]> {
    let batch: Prepared[] = [];
    let seen = 0;
    for await (const checked of rows) {
      seen += 1;
      if (checked.valid) {
        // Hashing (scrypt) runs on the thread pool while earlier rows are written.
        const secrets = hasSecrets(checked.data) ? this.services.customers.prepareSecrets(checked.data.person) : {};
        if (secrets instanceof Promise) secrets.catch(() => undefined); // awaited, and reported, when written
        batch.push({ ...checked, secrets });
      } else {
        fail(checked.row, checked.errors);
      }
      if (seen >= batchSize) {
        counted(seen);
        yield batch;
        batch = [];
        seen = 0;
      }
    }
    counted(seen);
    if (seen > 0) yield batch;
  }
}
