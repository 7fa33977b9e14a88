// Customer writes: every method validates its input, runs one transaction that also records the
// customer event, and publishes the event after commit. Expected failures throw UserErrors, which
// roll the transaction back.
import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import type { Database, Db } from "../db/client";
import { executePrepared, first } from "../db/query";
import {
  companies,
  customerAddresses,
  customers,
  documents,
  memberships,
  notificationPreferences,
  personNames,
  persons,
  secretQuestions,
  telephoneNumbers,
  verificationSessions,
  type CompanyRow,
  type CustomerAddressRow,
  type CustomerEventRow,
  type CustomerRow,
  type DocumentRow,
  type PersonNameRow,
  type PersonRow,
  type SecretQuestionRow,
  type TelephoneNumberRow,
} from "../db/schema";
import { recordEvent } from "../events/event-log";
import type { EventBus } from "../events/pubsub";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import { hashSecret, verifySecret } from "../lib/secrets";
import type { Channel } from "../types/enums";
import type { Actor } from "./actor";
import { UserErrors } from "./errors";
import type { OrganizationService } from "./organization.service";
import type { VerificationService } from "./verification.service";
import { missingByPolicy } from "./registration-policy";
import { insertRow, insertRows, perConnection } from "./prepared";
import { assertModifiable, changeCustomers, findCustomer, touchCustomer, type ChangeFn } from "./customer-tx";
import {
  createCustomerSchema,
  customerAddressSchema,
  documentSchema,
  notificationPreferences as preferencesSchema,
  parseInput,
  updateAddressSchema,
  updateCustomerSchema,
  type AddressData,
  type CompanyData,
  type CreateCustomerData,
  type CustomerAddressData,
  type DocumentData,
  type PersonData,
} from "./validation";

const MAX_ADDRESSES = 20;
const MAX_DOCUMENTS = 100;
const NAME_PARTS = [
  ["firstName", "FIRST"],
  ["middleName", "MIDDLE"],
  ["lastName", "LAST"],
] as const;

type PersonNameData = PersonData["firstName"];

/** Secrets of a person input, hashed outside the transaction. */
export interface HashedSecrets {
  passwordHash?: string | null;
  pinCodeHash?: string | null;
  secretQuestions?: { question: string; answerHash: string }[] | null;
}

function normaliseAnswer(answer: string): string {
  return answer.trim().toLowerCase();
}

type SecretInput = Pick<PersonData, "password" | "pinCode" | "secretQuestions">;

/**
 * What a bulk import keeps from its source instead of minting it: the customer's id and creation
 * audit, and the ids (and creation times) of its addresses and documents, by position.
 */
export interface PreservedIdentity {
  id?: string | null;
  createdAt?: string | null;
  createdBy?: string | null;
  createdVia?: Channel | null;
  addressIds?: (string | null | undefined)[] | null;
  documents?: ({ id?: string | null; createdAt?: string | null } | null | undefined)[] | null;
}

async function hashSecrets(person: SecretInput | null | undefined): Promise<HashedSecrets> {
  if (!person) return {};
  return {
    passwordHash: person.password == null ? person.password : await hashSecret(person.password),
    pinCodeHash: person.pinCode == null ? person.pinCode : await hashSecret(person.pinCode),
    secretQuestions:
      person.secretQuestions == null
        ? person.secretQuestions
        : await Promise.all(
            person.secretQuestions.map(async (q) => ({
              question: q.question,
              answerHash: await hashSecret(normaliseAnswer(q.answer)),
            })),
          ),
  };
}

/** The CREATED event's changed fields: what a create input sets, besides its type and organization. */
export function createdFields(input: unknown): string[] {
  const given = input as Record<string, unknown>;
  return Object.keys(given).filter((k) => k !== "organizationId" && k !== "type" && given[k] != null);
}

export function fullName(first: string, middle?: string | null, last?: string | null): string {
  return [first, middle, last].filter(Boolean).join(" ");
}

function nameRow(customerId: string, part: PersonNameRow["part"], n: PersonNameData): PersonNameRow {
  return {
    customerId,
    part,
    name: n.name,
    order: n.order ?? null,
    abbreviation: n.abbreviation ?? null,
    language: n.language ?? null,
    native: n.native ?? null,
    prefix: n.prefix ?? null,
    suffix: n.suffix ?? null,
  };
}

function phoneRow(
  customerId: string,
  position: number,
  t: NonNullable<PersonData["telephoneNumbers"]>[number],
): TelephoneNumberRow {
  return {
    customerId,
    position,
    phoneType: t.phoneType,
    number: t.number,
    country: t.country ?? null,
    operator: t.operator ?? null,
    encoding: t.encoding ?? null,
    purpose: t.purpose ?? null,
  };
}

function addressColumns(a: AddressData) {
  return {
    country: a.country,
    area: a.area ?? null,
    zipCode: a.zipCode ?? null,
    city: a.city ?? null,
    street: a.street ?? null,
    streetNumber: a.streetNumber ?? [],
    building: a.building ?? null,
    apartment: a.apartment ?? null,
    entrance: a.entrance ?? null,
    floor: a.floor ?? null,
    doorNumber: a.doorNumber ?? null,
    latitude: a.geoPosition?.latitude ?? null,
    longitude: a.geoPosition?.longitude ?? null,
    altitude: a.geoPosition?.altitude ?? null,
    altWord1: a.alternative?.word1 ?? null,
    altWord2: a.alternative?.word2 ?? null,
    altWord3: a.alternative?.word3 ?? null,
    relatedTo: a.relatedTo ?? [],
    additionalData: a.additionalData ?? [],
  };
}

function documentRow(
  customerId: string,
  d: DocumentData,
  at: string,
  kept?: { id?: string | null; createdAt?: string | null } | null,
): DocumentRow {
  return {
    id: kept?.id ?? newId("document"),
    customerId,
    purpose: d.purpose,
    documentType: d.documentType,
    name: d.name,
    location: d.location ?? null,
    // A document that has already expired arrives as EXPIRED: it cannot verify anyone.
    status: d.expiresAt && d.expiresAt < at.slice(0, 10) ? "EXPIRED" : "PENDING",
    verificationResponse: null,
    metadata: d.metadata ?? [],
    expiresAt: d.expiresAt ?? null,
    createdAt: kept?.createdAt ?? at,
    reviewedAt: null,
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function digits(value: string | null | undefined): string | null {
  return value ? value.replace(/\D/g, "") : null;
}

/** The lower-cased text `customers(search:)` matches against. */
export function searchText(parts: {
  displayName: string;
  nickname?: string | null;
  email?: string | null;
  phone?: string | null;
  personEmail?: string | null;
  company?: { legalName: string; shortName?: string | null } | null;
  externalReference?: string | null;
}): string {
  return [
    parts.displayName,
    parts.nickname,
    parts.email,
    parts.phone,
    digits(parts.phone),
    parts.personEmail,
    parts.company?.legalName,
    parts.company?.shortName,
    parts.externalReference,
  ]
    .filter(Boolean)
    .join("\n")
    .toLowerCase();
}

/** The DUPLICATE error of an external reference another customer of the organization has. */
export function referenceTaken(reference: string, by: string): UserErrors {
  return UserErrors.of("DUPLICATE", ["externalReference"], `externalReference "${reference}" is already used by ${by}.`);
}

function addressRow(customerId: string, a: CustomerAddressData, isPrimary: boolean, at: string, id?: string | null) {
  return {
    id: id ?? newId("address"),
    customerId,
    purpose: a.purpose,
    isPrimary,
    ...addressColumns(a.address),
    createdAt: at,
    updatedAt: at,
  };
}

/** A person row; with `current`, what the input leaves out keeps its current value. */
function personRow(
  customerId: string,
  person: PersonData,
  secrets: HashedSecrets,
  current: PersonRow | null,
  currentNames: PersonNameRow[],
) {
  const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
  const nameOf = (key: (typeof NAME_PARTS)[number][0], part: PersonNameRow["part"]) =>
    person[key] !== undefined ? person[key]?.name : currentNames.find((n) => n.part === part)?.name;
  return {
    customerId,
    fullName: fullName(person.firstName.name, nameOf("middleName", "MIDDLE"), nameOf("lastName", "LAST")),
    gender: pick(person.gender, current?.gender ?? null) ?? null,
    dateOfBirth: pick(person.dateOfBirth, current?.dateOfBirth ?? null) ?? null,
    placeOfBirth: pick(person.placeOfBirth, current?.placeOfBirth ?? null) ?? null,
    nationality: pick(person.nationality, current?.nationality ?? null) ?? null,
    email: pick(person.email, current?.email ?? null) ?? null,
    passwordHash: pick(secrets.passwordHash, current?.passwordHash ?? null) ?? null,
    pinCodeHash: pick(secrets.pinCodeHash, current?.pinCodeHash ?? null) ?? null,
    twoFactorType: current?.twoFactorType ?? null,
    twoFactorMasked: current?.twoFactorMasked ?? null,
  };
}

function companyRow(customerId: string, company: CompanyData, current?: CompanyRow): CompanyRow {
  return {
    customerId,
    legalName: company.legalName,
    shortName: company.shortName === undefined ? (current?.shortName ?? null) : company.shortName,
    registrationNumber:
      company.registrationNumber === undefined ? (current?.registrationNumber ?? null) : company.registrationNumber,
    countryCode: company.countryCode === undefined ? (current?.countryCode ?? null) : company.countryCode,
  };
}

export interface CreateOptions {
  changedFields: string[];
  membership?: { managementMode: boolean; tags: string[] };
  registrationAccount?: string | null;
  dataCenter?: string | null;
  identity?: PreservedIdentity;
}

/** Everything a new customer is made of, as the rows createInTx inserts (before verification starts). */
export interface NewCustomerRows {
  customer: typeof customers.$inferInsert & { id: string };
  person: typeof persons.$inferInsert | null;
  names: PersonNameRow[];
  phones: TelephoneNumberRow[];
  secretQuestions: SecretQuestionRow[];
  company: CompanyRow | null;
  addresses: (typeof customerAddresses.$inferInsert)[];
  documents: DocumentRow[];
  preferences: (typeof notificationPreferences.$inferInsert)[];
  membership: typeof memberships.$inferInsert;
}

/**
 * The rows of a new customer in `organizationId`, computed without the database: createInTx
 * inserts them one by one, a bulk import many at a time.
 */
export function newCustomerRows(
  actor: Actor,
  organizationId: string,
  data: CreateCustomerData,
  secrets: HashedSecrets,
  at: string,
  options: CreateOptions,
): NewCustomerRows {
  const identity = options.identity;
  const createdAt = identity?.createdAt ?? at;
  const id = identity?.id ?? newId("customer");
  const person = data.person;
  const displayName =
    data.type === "ORGANIZATION" && data.company
      ? data.company.legalName
      : fullName(person!.firstName.name, person?.middleName?.name, person?.lastName?.name);
  const addresses = data.addresses ?? [];
  const primaryIndex = Math.max(0, addresses.findIndex((a) => a.isPrimary));
  return {
    customer: {
      id,
      organizationId,
      type: data.type,
      status: "NEW",
      displayName,
      nickname: data.nickname ?? null,
      email: data.email ?? null,
      phone: data.phone ?? null,
      categorization: data.categorization ?? null,
      tags: data.tags ?? [],
      externalReference: data.externalReference ?? null,
      riskLevel: data.riskLevel ?? null,
      manager: data.manager ?? null,
      registrationAccount: options.registrationAccount ?? null,
      dataCenter: options.dataCenter ?? null,
      searchText: searchText({
        displayName,
        nickname: data.nickname,
        email: data.email,
        phone: data.phone,
        personEmail: person?.email,
        company: data.company,
        externalReference: data.externalReference,
      }),
      verificationStatus: "UNVERIFIED",
      verificationLevel: 0,
      version: 1,
      createdAt,
      createdBy: identity?.createdBy ?? actor.name,
      createdVia: identity?.createdVia ?? actor.via,
      updatedAt: at,
      updatedBy: actor.name,
      updatedVia: actor.via,
    },
    person: person ? personRow(id, person, secrets, null, []) : null,
    names: person ? NAME_PARTS.flatMap(([key, part]) => (person[key] ? [nameRow(id, part, person[key])] : [])) : [],
    phones: (person?.telephoneNumbers ?? []).map((t, position) => phoneRow(id, position, t)),
    secretQuestions: (secrets.secretQuestions ?? []).map((q, position) => ({ customerId: id, position, ...q })),
    company: data.company ? companyRow(id, data.company) : null,
    addresses: addresses.map((a, i) => addressRow(id, a, i === primaryIndex, at, identity?.addressIds?.[i])),
    documents: (data.documents ?? []).map((d, i) => documentRow(id, d, at, identity?.documents?.[i])),
    preferences: (data.notificationPreferences ?? []).map((p) => ({ customerId: id, ...p, updatedAt: at })),
    membership: {
      customerId: id,
      organizationId,
      managementMode: options.membership?.managementMode ?? false,
      tags: options.membership?.tags ?? [],
      onboardedAt: createdAt,
      active: true,
    },
  };
}

const referenceHolder = perConnection((db) =>
  db
    .select({ id: customers.id })
    .from(customers)
    .where(
      and(
        eq(customers.organizationId, sql.placeholder("organizationId")),
        eq(customers.externalReference, sql.placeholder("reference")),
        ne(customers.id, sql.placeholder("exceptId")),
      ),
    )
    .prepare(),
);

/**
 * Inserts new customers' profiles, addresses, documents and preferences (after their own rows),
 * table by table, several rows a statement.
 */
export async function insertCustomerParts(tx: Db, rows: readonly NewCustomerRows[]): Promise<void> {
  await insertRows(tx, persons, rows.flatMap((r) => (r.person ? [r.person] : [])));
  await insertRows(tx, personNames, rows.flatMap((r) => r.names));
  await insertRows(tx, telephoneNumbers, rows.flatMap((r) => r.phones));
  await insertRows(tx, secretQuestions, rows.flatMap((r) => r.secretQuestions));
  await insertRows(tx, companies, rows.flatMap((r) => (r.company ? [r.company] : [])));
  await insertRows(tx, customerAddresses, rows.flatMap((r) => r.addresses));
  await insertRows(tx, documents, rows.flatMap((r) => r.documents));
  await insertRows(tx, notificationPreferences, rows.flatMap((r) => r.preferences));
}

export class CustomerService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly organizations: OrganizationService,
    private readonly verification: VerificationService,
  ) {}

  private change<T>(fn: ChangeFn<T>): Promise<T> {
    return changeCustomers(this.db, this.bus, fn);
  }

  async companyOf(tx: Db, customerId: string): Promise<CompanyRow | undefined> {
    return first(tx.select().from(companies).where(eq(companies.customerId, customerId)));
  }

  private async assertUniqueReference(tx: Db, organizationId: string, reference: string, exceptId?: string) {
    // Ids are never empty: "" excepts no customer.
    const [clash] = await executePrepared<{ id: string }>(referenceHolder(tx), { organizationId, reference, exceptId: exceptId ?? "" });
    if (clash) throw referenceTaken(reference, clash.id);
  }

  async create(actor: Actor, input: unknown): Promise<CustomerRow> {
    const data = parseInput(createCustomerSchema, input);
    const secrets = await hashSecrets(data.person);
    const changedFields = createdFields(input);
    return this.change((tx, events) => this.createInTx(tx, actor, data, secrets, events, { changedFields }));
  }

  /** Hashes a person input's secrets, before the transaction that stores them. */
  prepareSecrets(person: SecretInput | null | undefined): Promise<HashedSecrets> {
    return hashSecrets(person);
  }

  /**
   * Inserts a customer with everything attached to it, inside the caller's transaction: checks
   * the organization's registration policy and the external reference, writes CREATED and starts
   * verification.
   */
  async createInTx(
    tx: Db,
    actor: Actor,
    data: CreateCustomerData,
    secrets: HashedSecrets,
    events: CustomerEventRow[],
    options: CreateOptions,
  ): Promise<CustomerRow> {
    const owner = await this.organizations.ownerOf(tx, actor, data.organizationId);
    const missing = missingByPolicy(owner.policy, data);
    if (missing.length > 0) throw new UserErrors(missing);
    if (data.externalReference) await this.assertUniqueReference(tx, owner.id, data.externalReference);

    const at = now();
    const rows = newCustomerRows(actor, owner.id, data, secrets, at, options);
    // Creating a customer starts KYC (OffBlocks): it is inserted with its verification, and the
    // payload carries the verification URL.
    const verification = this.verification.opening(rows.customer, rows.documents, at);
    const customer = await insertRow(tx, customers, { ...rows.customer, ...verification.columns });
    await insertCustomerParts(tx, [rows]);
    await insertRows(tx, memberships, [rows.membership]);
    await insertRows(tx, verificationSessions, [verification.session]);

    events.push(
      await recordEvent(tx, actor, {
        type: "CREATED",
        customerId: customer.id,
        organizationId: owner.id,
        changedFields: [...options.changedFields].sort(),
        occurredAt: at,
      }),
    );
    return customer;
  }

  /** Writes a person profile; with `current`, only what the input gives replaces what is there. */
  private async writePerson(
    tx: Db,
    customerId: string,
    person: PersonData,
    secrets: HashedSecrets,
    current: PersonRow | null,
  ): Promise<void> {
    const given = <K extends keyof PersonData>(k: K) => person[k] !== undefined;
    const currentNames = current
      ? await tx.select().from(personNames).where(eq(personNames.customerId, customerId))
      : [];
    const row = personRow(customerId, person, secrets, current, currentNames);
    if (current) await tx.update(persons).set(row).where(eq(persons.customerId, customerId));
    else await tx.insert(persons).values(row);

    for (const [key, part] of NAME_PARTS) {
      if (!given(key) && current) continue;
      await tx.delete(personNames).where(and(eq(personNames.customerId, customerId), eq(personNames.part, part)));
      const n = person[key];
      if (n) await tx.insert(personNames).values(nameRow(customerId, part, n));
    }
    if (given("telephoneNumbers") || !current) {
      await tx.delete(telephoneNumbers).where(eq(telephoneNumbers.customerId, customerId));
      for (const [position, t] of (person.telephoneNumbers ?? []).entries()) {
        await tx.insert(telephoneNumbers).values(phoneRow(customerId, position, t));
      }
    }
    if (secrets.secretQuestions !== undefined) {
      await tx.delete(secretQuestions).where(eq(secretQuestions.customerId, customerId));
      for (const [position, q] of (secrets.secretQuestions ?? []).entries()) {
        await tx.insert(secretQuestions).values({ customerId, position, ...q });
      }
    }
  }

  private async writeCompany(tx: Db, customerId: string, company: CompanyData, current?: CompanyRow): Promise<void> {
    const row = companyRow(customerId, company, current);
    if (current) await tx.update(companies).set(row).where(eq(companies.customerId, customerId));
    else await tx.insert(companies).values(row);
  }

  /** Which person fields the input would change, as event field names. */
  private async personChanges(tx: Db, customerId: string, person: PersonData): Promise<string[]> {
    const current = await first(tx.select().from(persons).where(eq(persons.customerId, customerId)));
    const names = await tx.select().from(personNames).where(eq(personNames.customerId, customerId));
    const phones = await tx
      .select()
      .from(telephoneNumbers)
      .where(eq(telephoneNumbers.customerId, customerId))
      .orderBy(asc(telephoneNumbers.position));
    const questions = await tx
      .select()
      .from(secretQuestions)
      .where(eq(secretQuestions.customerId, customerId))
      .orderBy(asc(secretQuestions.position));
    const changed: string[] = [];
    for (const [key, part] of NAME_PARTS) {
      if (person[key] === undefined) continue;
      const existing = names.find((n) => n.part === part);
      const wanted = person[key] ? nameRow(customerId, part, person[key]!) : null;
      if (!same(existing ?? null, wanted)) changed.push(`person.${key}`);
    }
    for (const key of ["gender", "dateOfBirth", "placeOfBirth", "nationality", "email"] as const) {
      if (person[key] !== undefined && (person[key] ?? null) !== (current?.[key] ?? null)) changed.push(`person.${key}`);
    }
    if (person.telephoneNumbers !== undefined) {
      const wanted = (person.telephoneNumbers ?? []).map((t, position) => phoneRow(customerId, position, t));
      if (!same(phones, wanted)) changed.push("person.telephoneNumbers");
    }
    const secretChanged = async (given: string | null | undefined, hash: string | null | undefined) =>
      given !== undefined && (given === null ? hash != null : !hash || !(await verifySecret(given, hash)));
    if (await secretChanged(person.password, current?.passwordHash)) changed.push("person.password");
    if (await secretChanged(person.pinCode, current?.pinCodeHash)) changed.push("person.pinCode");
    if (person.secretQuestions !== undefined) {
      const wanted = person.secretQuestions ?? [];
      let differs = wanted.length !== questions.length;
      for (let i = 0; !differs && i < wanted.length; i++) {
        differs =
          wanted[i].question !== questions[i].question ||
          !(await verifySecret(normaliseAnswer(wanted[i].answer), questions[i].answerHash));
      }
      if (differs) changed.push("person.secretQuestions");
    }
    return changed;
  }

  async update(actor: Actor, input: unknown): Promise<CustomerRow> {
    const data = parseInput(updateCustomerSchema, input);
    return this.change(async (tx, events) => {
      const customer = await findCustomer(tx, data.id, ["id"], actor.access);
      assertModifiable(customer, ["id"]);
      if (data.expectedVersion != null && data.expectedVersion !== customer.version) {
        throw UserErrors.of(
          "VERSION_CONFLICT",
          ["expectedVersion"],
          `Customer ${customer.id} is at version ${customer.version}, not ${data.expectedVersion}.`,
        );
      }
      if (data.company && customer.type !== "ORGANIZATION") {
        throw UserErrors.of("INVALID", ["company"], "company can only be set on an ORGANIZATION customer.");
      }

      const columns: Partial<CustomerRow> = {};
      const changedFields: string[] = [];
      const scalarKeys = ["email", "phone", "nickname", "categorization", "externalReference", "riskLevel", "manager"] as const;
      for (const key of scalarKeys) {
        const value = data[key];
        if (value !== undefined && (value ?? null) !== customer[key]) {
          (columns as Record<string, unknown>)[key] = value ?? null;
          changedFields.push(key);
        }
      }
      if (data.tags !== undefined && !same(data.tags ?? [], customer.tags)) {
        columns.tags = data.tags ?? [];
        changedFields.push("tags");
      }
      if (columns.externalReference) {
        await this.assertUniqueReference(tx, customer.organizationId, columns.externalReference, customer.id);
      }

      const personFields = data.person ? await this.personChanges(tx, customer.id, data.person) : [];
      const currentCompany = await first(tx.select().from(companies).where(eq(companies.customerId, customer.id)));
      const companyFields: string[] = [];
      if (data.company) {
        for (const key of ["legalName", "shortName", "registrationNumber", "countryCode"] as const) {
          const value = data.company[key];
          if (value !== undefined && (value ?? null) !== (currentCompany?.[key] ?? null)) companyFields.push(`company.${key}`);
        }
      }
      changedFields.push(...personFields, ...companyFields);
      if (changedFields.length === 0) {
        throw UserErrors.of("NO_CHANGES", null, "The update would change nothing.");
      }

      if (data.person && personFields.length > 0) {
        const current = await first(tx.select().from(persons).where(eq(persons.customerId, customer.id)));
        const secrets = await hashSecrets({
          ...data.person,
          // Re-hash only secrets that really changed; the others keep their stored hash.
          password: personFields.includes("person.password") ? data.person.password : undefined,
          pinCode: personFields.includes("person.pinCode") ? data.person.pinCode : undefined,
          secretQuestions: personFields.includes("person.secretQuestions") ? data.person.secretQuestions : undefined,
        });
        await this.writePerson(tx, customer.id, data.person, secrets, current ?? null);
      }
      if (data.company && companyFields.length > 0) {
        await this.writeCompany(tx, customer.id, data.company, currentCompany);
      }

      const person = await first(tx.select().from(persons).where(eq(persons.customerId, customer.id)));
      const company = await first(tx.select().from(companies).where(eq(companies.customerId, customer.id)));
      const next = { ...customer, ...columns };
      next.displayName = customer.type === "ORGANIZATION" && company ? company.legalName : (person?.fullName ?? customer.displayName);
      next.searchText = searchText({ ...next, personEmail: person?.email, company });
      await touchCustomer(tx, actor, customer, { type: "UPDATED", changedFields }, events, {
        ...columns,
        displayName: next.displayName,
        searchText: next.searchText,
      });
      return (await first(tx.select().from(customers).where(eq(customers.id, customer.id))))!;
    });
  }

  async addAddress(actor: Actor, input: { customerId: string; address: unknown }): Promise<CustomerAddressRow> {
    const data = parseInput(customerAddressSchema, input.address, ["address"]);
    return this.change(async (tx, events) => {
      const customer = await findCustomer(tx, input.customerId, ["customerId"], actor.access);
      assertModifiable(customer, ["customerId"]);
      const existing = await tx
        .select({ id: customerAddresses.id })
        .from(customerAddresses)
        .where(eq(customerAddresses.customerId, customer.id));
      if (existing.length >= MAX_ADDRESSES) {
        throw UserErrors.of("INVALID", ["customerId"], `A customer can have at most ${MAX_ADDRESSES} addresses.`);
      }
      const isPrimary = existing.length === 0 || data.isPrimary === true;
      if (isPrimary) await this.clearPrimary(tx, customer.id);
      const [row] = await tx.insert(customerAddresses).values(addressRow(customer.id, data, isPrimary, now())).returning();
      await touchCustomer(tx, actor, customer, { type: "UPDATED", changedFields: ["addresses"] }, events);
      return row;
    });
  }

  private async clearPrimary(tx: Db, customerId: string): Promise<void> {
    await tx
      .update(customerAddresses)
      .set({ isPrimary: false })
      .where(and(eq(customerAddresses.customerId, customerId), eq(customerAddresses.isPrimary, true)));
  }

  private async findAddress(tx: Db, id: string): Promise<CustomerAddressRow> {
    const row = await first(tx.select().from(customerAddresses).where(eq(customerAddresses.id, id)));
    if (!row) throw UserErrors.of("NOT_FOUND", ["id"], `Address ${id} does not exist.`);
    return row;
  }

  async updateAddress(actor: Actor, input: unknown): Promise<CustomerAddressRow> {
    const data = parseInput(updateAddressSchema, input);
    return this.change(async (tx, events) => {
      const current = await this.findAddress(tx, data.id);
      const customer = await findCustomer(tx, current.customerId, ["id"], actor.access);
      assertModifiable(customer, ["id"]);
      const columns: Partial<CustomerAddressRow> = {};
      if (data.purpose != null && data.purpose !== current.purpose) columns.purpose = data.purpose;
      if (data.isPrimary === false && current.isPrimary) {
        // A customer with addresses always has exactly one primary one.
        throw UserErrors.of("INVALID", ["isPrimary"], "Make another address primary instead of unsetting the primary one.");
      }
      if (data.isPrimary === true && !current.isPrimary) columns.isPrimary = true;
      if (data.address) {
        const wanted = addressColumns(data.address);
        const differs = (Object.keys(wanted) as (keyof typeof wanted)[]).some((k) => !same(wanted[k], current[k]));
        if (differs) Object.assign(columns, wanted);
      }
      if (Object.keys(columns).length === 0) throw UserErrors.of("NO_CHANGES", null, "The update would change nothing.");
      if (columns.isPrimary) await this.clearPrimary(tx, customer.id);
      const [row] = await tx
        .update(customerAddresses)
        .set({ ...columns, updatedAt: now() })
        .where(eq(customerAddresses.id, current.id))
        .returning();
      await touchCustomer(tx, actor, customer, { type: "UPDATED", changedFields: ["addresses"] }, events);
      return row;
    });
  }

  async removeAddress(actor: Actor, id: string): Promise<CustomerAddressRow> {
    return this.change(async (tx, events) => {
      const current = await this.findAddress(tx, id);
      const customer = await findCustomer(tx, current.customerId, ["id"], actor.access);
      assertModifiable(customer, ["id"]);
      await tx.delete(customerAddresses).where(eq(customerAddresses.id, id));
      if (current.isPrimary) {
        // The oldest remaining address becomes primary, so a customer with addresses always has one.
        const [next] = await tx
          .select({ id: customerAddresses.id })
          .from(customerAddresses)
          .where(eq(customerAddresses.customerId, customer.id))
          .orderBy(asc(customerAddresses.id))
          .limit(1);
        if (next) await tx.update(customerAddresses).set({ isPrimary: true }).where(eq(customerAddresses.id, next.id));
      }
      await touchCustomer(tx, actor, customer, { type: "UPDATED", changedFields: ["addresses"] }, events);
      return current;
    });
  }

  async addDocument(actor: Actor, input: { customerId: string; document: unknown }): Promise<DocumentRow> {
    const data = parseInput(documentSchema, input.document, ["document"]);
    return this.change(async (tx, events) => {
      const customer = await findCustomer(tx, input.customerId, ["customerId"], actor.access);
      assertModifiable(customer, ["customerId"]);
      const [{ n }] = await tx
        .select({ n: count() })
        .from(documents)
        .where(eq(documents.customerId, customer.id));
      if (n >= MAX_DOCUMENTS) {
        throw UserErrors.of("INVALID", ["customerId"], `A customer can have at most ${MAX_DOCUMENTS} documents.`);
      }
      const [row] = await tx.insert(documents).values(documentRow(customer.id, data, now())).returning();
      const touched = await touchCustomer(tx, actor, customer, { type: "DOCUMENT_ADDED", changedFields: ["documents"] }, events);
      await this.verification.recomputeInTx(tx, actor, touched, events);
      return row;
    });
  }

  async removeDocument(actor: Actor, id: string): Promise<DocumentRow> {
    return this.change(async (tx, events) => {
      const current = await first(tx.select().from(documents).where(eq(documents.id, id)));
      if (!current) throw UserErrors.of("NOT_FOUND", ["id"], `Document ${id} does not exist.`);
      const customer = await findCustomer(tx, current.customerId, ["id"], actor.access);
      assertModifiable(customer, ["id"]);
      await tx.delete(documents).where(eq(documents.id, id));
      const touched = await touchCustomer(tx, actor, customer, { type: "UPDATED", changedFields: ["documents"] }, events);
      await this.verification.recomputeInTx(tx, actor, touched, events);
      return current;
    });
  }

  async setNotificationPreferences(
    actor: Actor,
    input: { customerId: string; preferences: unknown },
  ): Promise<CustomerRow> {
    const wanted = parseInput(preferencesSchema, input.preferences, ["preferences"]);
    return this.change(async (tx, events) => {
      const customer = await findCustomer(tx, input.customerId, ["customerId"], actor.access);
      assertModifiable(customer, ["customerId"]);
      const current = await tx
        .select()
        .from(notificationPreferences)
        .where(eq(notificationPreferences.customerId, customer.id));
      const at = now();
      const changed = wanted.filter(
        (p) =>
          current.find((c) => c.notificationType === p.notificationType && c.channel === p.channel)?.isEnabled !==
          p.isEnabled,
      );
      if (changed.length === 0) throw UserErrors.of("NO_CHANGES", null, "The preferences are already set so.");
      for (const p of changed) {
        await tx
          .insert(notificationPreferences)
          .values({ customerId: customer.id, ...p, updatedAt: at })
          .onConflictDoUpdate({
            target: [notificationPreferences.customerId, notificationPreferences.notificationType, notificationPreferences.channel],
            set: { isEnabled: p.isEnabled, updatedAt: at },
          });
      }
      await touchCustomer(tx, actor, customer, { type: "UPDATED", changedFields: ["notificationPreferences"] }, events);
      return (await first(tx.select().from(customers).where(eq(customers.id, customer.id))))!;
    });
  }
}
