// The PostgreSQL twin of src/db/schema.ts: the same tables, SQL column names, constraints, index
// names and property names, with column types chosen so that a row reads back in the same JS shape
// (ISO timestamps stay text, JSON columns come back parsed, booleans as booleans, integers as
// numbers). drizzle-kit generates drizzle/pg from this file (`npm run db:generate:pg`); a change to
// schema.ts needs the same change here (test/pg-schema.test.ts fails until both agree).
//
// What differs on PostgreSQL, for the code in src/db that will run on it:
// - Text compares by the database's collation, SQLite's by bytes. Keyset cursors on
//   (created_at, id) and name ordering match SQLite only under a bytewise collation: create the
//   database with LC_COLLATE 'C' or 'C.UTF-8' (drizzle cannot set a column's COLLATE).
// - lower() is Unicode-aware wherever LC_CTYPE is a UTF-8 locale ('C.UTF-8', 'en_US.UTF-8'; not
//   plain 'C'), so it replaces SQLite's unicode_lower (src/db/client.ts, src/db/dialect.ts).
// - LIKE is case-sensitive on PostgreSQL (SQLite's folds ASCII); dialect.ts lower-cases both sides.
// - JSON columns are jsonb (queried with jsonb operators, indexable); jsonb does not keep an
//   object's key order, so compare parsed values, never their JSON text.
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { CHALLENGE_STATUSES, type NamedValueRow, type RegistrationPolicyRow, type RelatedAddressRow } from "./schema";

export const organizations = pgTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    legalName: text("legal_name"),
    countryCode: text("country_code"),
    dataCenter: text("data_center"),
    parentId: text("parent_id").references((): AnyPgColumn => organizations.id),
    registrationPolicy: jsonb("registration_policy")
      .$type<RegistrationPolicyRow>()
      .notNull()
      .default(sql`'{"requiredFields":[]}'::jsonb`),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("organizations_parent_idx").on(t.parentId)],
);

export const customers = pgTable(
  "customers",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    type: text("type", { enum: ["PERSON", "ORGANIZATION"] }).notNull(),
    status: text("status", { enum: ["NEW", "ACTIVE", "DEACTIVATED", "ARCHIVED"] }).notNull(),
    displayName: text("display_name").notNull(),
    nickname: text("nickname"),
    email: text("email"),
    phone: text("phone"),
    categorization: text("categorization"),
    tags: jsonb("tags").$type<string[]>().notNull(),
    externalReference: text("external_reference"),
    riskLevel: text("risk_level", { enum: ["LOW", "MEDIUM", "HIGH"] }),
    manager: text("manager"),
    searchText: text("search_text").notNull(),
    verificationStatus: text("verification_status", {
      enum: ["UNVERIFIED", "PENDING", "VERIFIED", "REJECTED"],
    }).notNull(),
    verificationLevel: integer("verification_level").notNull(),
    verificationUrl: text("verification_url"),
    verificationUpdatedAt: text("verification_updated_at"),
    version: integer("version").notNull(),
    createdAt: text("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    createdVia: text("created_via").notNull(),
    updatedAt: text("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
    updatedVia: text("updated_via").notNull(),
    archivedAt: text("archived_at"),
    archivedBy: text("archived_by"),
    archivedVia: text("archived_via"),
    deactivatedAt: text("deactivated_at"),
    deactivationReason: text("deactivation_reason"),
    statusBeforeDeactivation: text("status_before_deactivation", { enum: ["NEW", "ACTIVE"] }),
    statusBeforeArchive: text("status_before_archive", { enum: ["NEW", "ACTIVE", "DEACTIVATED"] }),
    registrationAccount: text("registration_account"),
    dataCenter: text("data_center"),
    erasedAt: text("erased_at"),
  },
  (t) => [
    // Like SQLite, PostgreSQL (before 15's NULLS NOT DISTINCT) lets rows whose external reference
    // is null share an organization.
    uniqueIndex("customers_org_external_ref_uq").on(t.organizationId, t.externalReference),
    index("customers_created_idx").on(t.createdAt, t.id),
    index("customers_updated_idx").on(t.updatedAt, t.id),
    index("customers_email_idx").on(t.email),
    index("customers_status_idx").on(t.status),
    uniqueIndex("customers_registration_account_uq").on(t.registrationAccount),
  ],
);

export const persons = pgTable("persons", {
  customerId: text("customer_id")
    .primaryKey()
    .references(() => customers.id, { onDelete: "cascade" }),
  fullName: text("full_name").notNull(),
  gender: text("gender", { enum: ["MALE", "FEMALE", "OTHER", "UNDISCLOSED"] }),
  dateOfBirth: text("date_of_birth"),
  placeOfBirth: text("place_of_birth"),
  nationality: text("nationality"),
  email: text("email"),
  passwordHash: text("password_hash"),
  pinCodeHash: text("pin_code_hash"),
  twoFactorType: text("two_factor_type", { enum: ["SMS", "EMAIL", "TOTP"] }),
  twoFactorTarget: text("two_factor_target"),
  twoFactorMasked: text("two_factor_masked"),
});

export const personNames = pgTable(
  "person_names",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    part: text("part", { enum: ["FIRST", "MIDDLE", "LAST"] }).notNull(),
    name: text("name").notNull(),
    order: integer("order"),
    abbreviation: text("abbreviation"),
    language: text("language"),
    native: text("native"),
    prefix: text("prefix"),
    suffix: text("suffix"),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.part] })],
);

export const telephoneNumbers = pgTable(
  "telephone_numbers",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    phoneType: text("phone_type", { enum: ["MOBILE", "FIXED", "FAX", "VOIP"] }).notNull(),
    number: text("number").notNull(),
    country: text("country"),
    operator: text("operator"),
    encoding: text("encoding"),
    purpose: text("purpose"),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.position] })],
);

export const secretQuestions = pgTable(
  "secret_questions",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    question: text("question").notNull(),
    answerHash: text("answer_hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.position] })],
);

export const companies = pgTable("companies", {
  customerId: text("customer_id")
    .primaryKey()
    .references(() => customers.id, { onDelete: "cascade" }),
  legalName: text("legal_name").notNull(),
  shortName: text("short_name"),
  registrationNumber: text("registration_number"),
  countryCode: text("country_code"),
});

export const customerAddresses = pgTable(
  "customer_addresses",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    purpose: text("purpose").notNull(),
    isPrimary: boolean("is_primary").notNull(),
    country: text("country").notNull(),
    area: text("area"),
    zipCode: text("zip_code"),
    city: text("city"),
    street: text("street"),
    streetNumber: jsonb("street_number").$type<string[]>().notNull(),
    building: text("building"),
    apartment: text("apartment"),
    entrance: text("entrance"),
    floor: text("floor"),
    doorNumber: text("door_number"),
    // SQLite's REAL is an 8-byte float: double precision, not PostgreSQL's 4-byte real.
    latitude: doublePrecision("latitude"),
    longitude: doublePrecision("longitude"),
    altitude: doublePrecision("altitude"),
    altWord1: text("alt_word1"),
    altWord2: text("alt_word2"),
    altWord3: text("alt_word3"),
    relatedTo: jsonb("related_to").$type<RelatedAddressRow[]>().notNull(),
    additionalData: jsonb("additional_data").$type<NamedValueRow[]>().notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("customer_addresses_customer_idx").on(t.customerId),
    index("customer_addresses_country_idx").on(t.country),
  ],
);

export const documents = pgTable(
  "documents",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["KYC", "KYB", "PROOF_OF_ADDRESS", "OTHER"] }).notNull(),
    documentType: text("document_type").notNull(),
    name: text("name").notNull(),
    location: text("location"),
    status: text("status", {
      enum: ["PENDING", "UNDER_VERIFICATION", "VERIFIED", "REJECTED", "EXPIRED"],
    }).notNull(),
    verificationResponse: text("verification_response"),
    metadata: jsonb("metadata").$type<NamedValueRow[]>().notNull(),
    expiresAt: text("expires_at"),
    createdAt: text("created_at").notNull(),
    reviewedAt: text("reviewed_at"),
  },
  (t) => [index("documents_customer_idx").on(t.customerId, t.id)],
);

export const notificationPreferences = pgTable(
  "notification_preferences",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    notificationType: text("notification_type").notNull(),
    channel: text("channel").notNull(),
    isEnabled: boolean("is_enabled").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.notificationType, t.channel] })],
);

export const memberships = pgTable(
  "memberships",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    managementMode: boolean("management_mode").notNull(),
    tags: jsonb("tags").$type<string[]>().notNull(),
    onboardedAt: text("onboarded_at").notNull(),
    active: boolean("active").notNull(),
    suspended: boolean("suspended").notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.organizationId] }),
    index("memberships_org_idx").on(t.organizationId, t.customerId),
  ],
);

export const wallets = pgTable(
  "wallets",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    chain: text("chain").notNull(),
    verifiedAt: text("verified_at"),
    active: boolean("active").notNull(),
    suspended: boolean("suspended").notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.chain, t.address] })],
);

export const verificationSessions = pgTable(
  "verification_sessions",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    tokenHash: text("token_hash").notNull(),
    url: text("url").notNull(),
    status: text("status", { enum: CHALLENGE_STATUSES }).notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [uniqueIndex("verification_sessions_token_uq").on(t.tokenHash), index("verification_sessions_customer_idx").on(t.customerId)],
);

export const walletChallenges = pgTable(
  "wallet_challenges",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    chain: text("chain").notNull(),
    message: text("message").notNull(),
    status: text("status", { enum: CHALLENGE_STATUSES }).notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
  },
  (t) => [index("wallet_challenges_customer_idx").on(t.customerId)],
);

export const twoFactorChallenges = pgTable(
  "two_factor_challenges",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    status: text("status", { enum: CHALLENGE_STATUSES }).notNull(),
    attemptsLeft: integer("attempts_left").notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
  },
  (t) => [index("two_factor_challenges_customer_idx").on(t.customerId)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    scopes: jsonb("scopes").$type<string[]>().notNull(),
    tags: jsonb("tags").$type<string[]>().notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at"),
    revokedAt: text("revoked_at"),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [uniqueIndex("api_keys_secret_hash_uq").on(t.secretHash), index("api_keys_organization_idx").on(t.organizationId)],
);

export const idempotencyRecords = pgTable(
  "idempotency_records",
  {
    key: text("key").primaryKey(),
    requestHash: text("request_hash").notNull(),
    status: text("status", { enum: ["IN_PROGRESS", "DONE"] }).notNull(),
    response: text("response"),
    httpStatus: integer("http_status"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [index("idempotency_records_expires_idx").on(t.expiresAt)],
);

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    url: text("url").notNull(),
    eventTypes: jsonb("event_types").$type<string[]>().notNull(),
    enabled: boolean("enabled").notNull(),
    secret: text("secret").notNull(),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledReason: text("disabled_reason"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhook_endpoints_organization_idx").on(t.organizationId)],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    status: text("status", { enum: ["PENDING", "DELIVERED", "FAILED"] }).notNull(),
    attempt: integer("attempt").notNull().default(0),
    statusCode: integer("status_code"),
    lastError: text("last_error"),
    nextAttemptAt: text("next_attempt_at"),
    leaseOwner: text("lease_owner"),
    leaseUntil: text("lease_until"),
    createdAt: text("created_at").notNull(),
    deliveredAt: text("delivered_at"),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    uniqueIndex("webhook_deliveries_endpoint_event_uq").on(t.endpointId, t.eventId),
  ],
);

export const eventCursors = pgTable("event_cursors", {
  name: text("name").primaryKey(),
  // 64-bit like SQLite's INTEGER; read as a JS number (exact below 2^53).
  seq: bigint("seq", { mode: "number" }).notNull(),
});

export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  owner: text("owner").notNull(),
  until: text("until").notNull(),
});

// The customer event log. On SQLite `seq` is AUTOINCREMENT, and strictly increasing in commit
// order without gaps because SQLite runs one write transaction at a time and a rollback gives its
// numbers back. An identity gives neither by itself (numbers are taken at INSERT and lost on
// rollback), so on PostgreSQL write transactions hold one advisory lock (src/db/pg.ts) and a
// trigger (the custom migration drizzle/pg/0001_event_seq.sql) numbers each event max(seq) + 1
// under it. The identity only keeps `seq` optional on insert, as on SQLite.
export const customerEvents = pgTable(
  "customer_events",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    id: text("id").notNull(),
    type: text("type").notNull(),
    customerId: text("customer_id").notNull(),
    organizationId: text("organization_id").notNull(),
    changedFields: jsonb("changed_fields").$type<string[]>().notNull(),
    actor: text("actor").notNull(),
    via: text("via").notNull(),
    occurredAt: text("occurred_at").notNull(),
  },
  (t) => [
    uniqueIndex("customer_events_id_uq").on(t.id),
    index("customer_events_customer_idx").on(t.customerId, t.seq),
  ],
);
