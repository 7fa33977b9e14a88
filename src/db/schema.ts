// Drizzle tables: the single source of truth for the database. drizzle-kit generates the
// migrations in drizzle/sqlite from this file. Timestamps are ISO 8601 UTC strings with
// millisecond precision, so that they sort lexicographically and round-trip to DateTime.
import { sql } from "drizzle-orm";
import {
  type AnySQLiteColumn,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

export interface NamedValueRow {
  name: string;
  type: "STRING" | "NUMBER" | "BOOLEAN" | "DATE";
  value: string;
}
export interface RelatedAddressRow {
  relationType: string;
  address: string;
}

export interface RegistrationPolicyRow {
  requiredFields: string[];
}

/** Lifecycle of challenges and verification sessions. SUSPENDED: switched off by a deactivation. */
export const CHALLENGE_STATUSES = ["OPEN", "USED", "EXPIRED", "LOCKED", "CANCELLED", "SUSPENDED"] as const;
export type ChallengeStatus = (typeof CHALLENGE_STATUSES)[number];

export const organizations = sqliteTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    legalName: text("legal_name"),
    countryCode: text("country_code"),
    dataCenter: text("data_center"),
    parentId: text("parent_id").references((): AnySQLiteColumn => organizations.id),
    // Which fields a customer must have to be registered here (B2Core's registration wizard).
    registrationPolicy: text("registration_policy", { mode: "json" })
      .$type<RegistrationPolicyRow>()
      .notNull()
      .default(sql`'{"requiredFields":[]}'`),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("organizations_parent_idx").on(t.parentId)],
);

export const customers = sqliteTable(
  "customers",
  {
    id: text("id").primaryKey(),
    // The organization the customer was created in; memberships say who else manages it.
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
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    externalReference: text("external_reference"),
    riskLevel: text("risk_level", { enum: ["LOW", "MEDIUM", "HIGH"] }),
    manager: text("manager"),
    // Lower-cased haystack for `search`: names, email, phone, company names, external reference.
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
    // The status to go back to on reactivation and on restore.
    statusBeforeDeactivation: text("status_before_deactivation", { enum: ["NEW", "ACTIVE"] }),
    statusBeforeArchive: text("status_before_archive", { enum: ["NEW", "ACTIVE", "DEACTIVATED"] }),
    // The login account given at onboarding (AvePoint's registrationAccount), unique.
    registrationAccount: text("registration_account"),
    dataCenter: text("data_center"),
    erasedAt: text("erased_at"),
  },
  (t) => [
    uniqueIndex("customers_org_external_ref_uq").on(t.organizationId, t.externalReference),
    index("customers_created_idx").on(t.createdAt, t.id),
    index("customers_updated_idx").on(t.updatedAt, t.id),
    index("customers_email_idx").on(t.email),
    index("customers_status_idx").on(t.status),
    uniqueIndex("customers_registration_account_uq").on(t.registrationAccount),
  ],
);

export const persons = sqliteTable("persons", {
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
  // Where codes are sent (needed to send them); only the masked form is ever returned.
  twoFactorTarget: text("two_factor_target"),
  twoFactorMasked: text("two_factor_masked"),
});

export const personNames = sqliteTable(
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

export const telephoneNumbers = sqliteTable(
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

export const secretQuestions = sqliteTable(
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

export const companies = sqliteTable("companies", {
  customerId: text("customer_id")
    .primaryKey()
    .references(() => customers.id, { onDelete: "cascade" }),
  legalName: text("legal_name").notNull(),
  shortName: text("short_name"),
  registrationNumber: text("registration_number"),
  countryCode: text("country_code"),
});

export const customerAddresses = sqliteTable(
  "customer_addresses",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    purpose: text("purpose").notNull(),
    isPrimary: integer("is_primary", { mode: "boolean" }).notNull(),
    country: text("country").notNull(),
    area: text("area"),
    zipCode: text("zip_code"),
    city: text("city"),
    street: text("street"),
    streetNumber: text("street_number", { mode: "json" }).$type<string[]>().notNull(),
    building: text("building"),
    apartment: text("apartment"),
    entrance: text("entrance"),
    floor: text("floor"),
    doorNumber: text("door_number"),
    latitude: real("latitude"),
    longitude: real("longitude"),
    altitude: real("altitude"),
    altWord1: text("alt_word1"),
    altWord2: text("alt_word2"),
    altWord3: text("alt_word3"),
    relatedTo: text("related_to", { mode: "json" }).$type<RelatedAddressRow[]>().notNull(),
    additionalData: text("additional_data", { mode: "json" }).$type<NamedValueRow[]>().notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("customer_addresses_customer_idx").on(t.customerId),
    index("customer_addresses_country_idx").on(t.country),
  ],
);

export const documents = sqliteTable(
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
    metadata: text("metadata", { mode: "json" }).$type<NamedValueRow[]>().notNull(),
    expiresAt: text("expires_at"),
    createdAt: text("created_at").notNull(),
    reviewedAt: text("reviewed_at"),
  },
  (t) => [index("documents_customer_idx").on(t.customerId, t.id)],
);

export const notificationPreferences = sqliteTable(
  "notification_preferences",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    notificationType: text("notification_type").notNull(),
    channel: text("channel").notNull(),
    isEnabled: integer("is_enabled", { mode: "boolean" }).notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.notificationType, t.channel] })],
);

export const memberships = sqliteTable(
  "memberships",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    managementMode: integer("management_mode", { mode: "boolean" }).notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    onboardedAt: text("onboarded_at").notNull(),
    active: integer("active", { mode: "boolean" }).notNull(),
    // Switched off by the customer's deactivation, to be switched on again by reactivation.
    suspended: integer("suspended", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.organizationId] }),
    index("memberships_org_idx").on(t.organizationId, t.customerId),
  ],
);

export const wallets = sqliteTable(
  "wallets",
  {
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    chain: text("chain").notNull(),
    verifiedAt: text("verified_at"),
    active: integer("active", { mode: "boolean" }).notNull(),
    suspended: integer("suspended", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.chain, t.address] })],
);

// A KYC verification session: the link handed to the customer, with its provider.
export const verificationSessions = sqliteTable(
  "verification_sessions",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    // SHA-256 of the random token in the URL; the token itself is not stored.
    tokenHash: text("token_hash").notNull(),
    url: text("url").notNull(),
    status: text("status", { enum: CHALLENGE_STATUSES }).notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [uniqueIndex("verification_sessions_token_uq").on(t.tokenHash), index("verification_sessions_customer_idx").on(t.customerId)],
);

// A message to sign with a wallet's key, proving ownership (EIP-191).
export const walletChallenges = sqliteTable(
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

// A one-time two-factor code sent to the customer's target; only its hash is kept.
export const twoFactorChallenges = sqliteTable(
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

// API keys: `ck_…` bearer secrets of one organization, stored only as SHA-256 (they are long random
// strings, so a fast hash is enough and lets every request look one up by its hash).
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    // The first characters of the key, to recognise it in lists; not enough to use it.
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    // When not empty, the key sees only customers with one of these tags.
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at"),
    revokedAt: text("revoked_at"),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [uniqueIndex("api_keys_secret_hash_uq").on(t.secretHash), index("api_keys_organization_idx").on(t.organizationId)],
);

// Responses kept for Idempotency-Key retries (24 h), per caller and key.
export const idempotencyRecords = sqliteTable(
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

// Webhook endpoints of an organization: where its customers' events are posted (Standard Webhooks).
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    url: text("url").notNull(),
    // Empty: every event type.
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    // The signing secret ("whsec_" + base64): kept as is, since every delivery is signed with it.
    secret: text("secret").notNull(),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledReason: text("disabled_reason"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhook_endpoints_organization_idx").on(t.organizationId)],
);

// One event to one endpoint: persisted, so that a restart loses no delivery (at-least-once).
export const webhookDeliveries = sqliteTable(
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
    // The instance attempting the delivery holds it until then (another may take it over
    // afterwards); only the holder of that lease records the attempt's outcome.
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

// How far a consumer of the event log (the webhook fan-out) has read, so that a restart resumes there.
export const eventCursors = sqliteTable("event_cursors", {
  name: text("name").primaryKey(),
  seq: integer("seq").notNull(),
});

// Named leases for work that one instance of several does at a time (the expiry sweep): held by
// `owner` until `until`, then free for another to take.
export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  owner: text("owner").notNull(),
  until: text("until").notNull(),
});

// The customer event log. `seq` orders events in commit order (SQLite serialises writers);
// `id` is the public, time-sortable event id.
export const customerEvents = sqliteTable(
  "customer_events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    type: text("type").notNull(),
    customerId: text("customer_id").notNull(),
    organizationId: text("organization_id").notNull(),
    changedFields: text("changed_fields", { mode: "json" }).$type<string[]>().notNull(),
    actor: text("actor").notNull(),
    via: text("via").notNull(),
    occurredAt: text("occurred_at").notNull(),
  },
  (t) => [
    uniqueIndex("customer_events_id_uq").on(t.id),
    index("customer_events_customer_idx").on(t.customerId, t.seq),
  ],
);

export type OrganizationRow = typeof organizations.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;
export type CustomerStatusBefore = NonNullable<CustomerRow["statusBeforeArchive"]>;
export type PersonRow = typeof persons.$inferSelect;
export type PersonNameRow = typeof personNames.$inferSelect;
export type TelephoneNumberRow = typeof telephoneNumbers.$inferSelect;
export type SecretQuestionRow = typeof secretQuestions.$inferSelect;
export type CompanyRow = typeof companies.$inferSelect;
export type CustomerAddressRow = typeof customerAddresses.$inferSelect;
export type DocumentRow = typeof documents.$inferSelect;
export type NotificationPreferenceRow = typeof notificationPreferences.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type WalletRow = typeof wallets.$inferSelect;
export type CustomerEventRow = typeof customerEvents.$inferSelect;
export type VerificationSessionRow = typeof verificationSessions.$inferSelect;
export type WalletChallengeRow = typeof walletChallenges.$inferSelect;
export type TwoFactorChallengeRow = typeof twoFactorChallenges.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type IdempotencyRecordRow = typeof idempotencyRecords.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
