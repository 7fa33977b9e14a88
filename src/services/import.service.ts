// Bulk creation of customers (`cli import`, `cli seed`). Every row goes through what createCustomer
// does: the same zod schema (so a row the API would refuse is refused with the same code and field
// path), the same owner resolution and registration policy, the same external-reference rule, the
// same rows (newCustomerRows), the same verification start and the same CREATED event. What
// differs is only how they reach SQLite: many rows per transaction, every check made before the
// row's first insert (so that a failed row has written nothing, without a savepoint per row, which
// would make SQLite copy every page the row touches), checks answered from per-transaction caches
// and prepared statements, and rows inserted by statements prepared once (drizzle builds every
// query anew, which costs more than SQLite spends running it).
// Events are not published on the in-process bus (nobody listens to it in a CLI process); they
// are in the log, where subscribers resuming with `after`, incremental exports and the webhook
// worker read them.
import type Database from "better-sqlite3";
import { getTableColumns, getTableName, type Column } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import type { Database as AppDatabase, Db } from "../db/client";
import {
  companies,
  customerAddresses,
  customerEvents,
  customers,
  documents,
  memberships,
  notificationPreferences,
  personNames,
  persons,
  secretQuestions,
  telephoneNumbers,
  verificationSessions,
  type RegistrationPolicyRow,
} from "../db/schema";
import { eventRow } from "../events/event-log";
import { now } from "../lib/clock";
import { idKind } from "../lib/ids";
import type { Channel } from "../types/enums";
import type { Actor } from "./actor";
import {
  createdFields,
  newCustomerRows,
  referenceTaken,
  type CustomerService,
  type HashedSecrets,
  type PreservedIdentity,
} from "./customer.service";
import { UserErrors, type UserErrorData } from "./errors";
import type { OrganizationService } from "./organization.service";
import { missingByPolicy } from "./registration-policy";
import { createCustomerSchema, parseInput, type CreateCustomerData } from "./validation";
import { deriveVerification } from "./verification/rules";
import type { VerificationService } from "./verification.service";

/** One row to import: a CreateCustomerInput, and what to keep from the source (ids, creation audit). */
export interface ImportRow {
  /** Position in the source, for error reports (1-based). */
  row: number;
  input: unknown;
  identity?: unknown;
  /** The organization the row belongs to, as the source describes it (`createOrganizations`). */
  organization?: unknown;
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
   * Create a row's organization, with the row's organization id and description, when it does
   * not exist yet (an import into a new instance); otherwise such rows fail with NOT_FOUND.
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
const timestamp = z.iso.datetime({ offset: false, error: "is not an ISO 8601 UTC timestamp" });
const idOf = (kind: "customer" | "address" | "document") =>
  z.string().refine((v) => idKind(v) === kind, { error: `is not a ${kind} id` });

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

/** What a row may say about its organization: its id, and CreateOrganizationInput's fields. */
const describedOrganization = z.object({
  id: z.string().refine((v) => idKind(v) === "organization"),
  name: z.unknown(),
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
      organization?: { id: string; input: Record<string, unknown> };
    }
  | { row: number; valid: false; errors: UserErrorData[] };

type Prepared = Extract<CheckedRow, { valid: true }> & { secrets: HashedSecrets | Promise<HashedSecrets> };

/** Validates a row: createCustomer's schema for the input, and the identity it keeps. */
export function checkRow(item: ImportRow): CheckedRow {
  if (item.errors?.length) return { row: item.row, valid: false, errors: item.errors };
  try {
    const data = parseInput(createCustomerSchema, item.input);
    const identity = parseInput(identitySchema, item.identity) ?? undefined;
    const described = describedOrganization.safeParse(item.organization);
    return {
      row: item.row,
      valid: true,
      data,
      changedFields: createdFields(item.input),
      identity,
      organization: described.success
        ? {
            id: described.data.id,
            input: {
              name: described.data.name,
              legalName: described.data.legalName,
              countryCode: described.data.countryCode,
              dataCenter: described.data.dataCenter,
            },
          }
        : undefined,
    };
  } catch (error) {
    if (!(error instanceof UserErrors)) throw error;
    return { row: item.row, valid: false, errors: error.errors };
  }
}

const hasSecrets = (data: CreateCustomerData) =>
  data.person != null && (data.person.password != null || data.person.pinCode != null || data.person.secretQuestions != null);

/** Inserts rows (drizzle row objects) by statements prepared once per table and column set. */
class RowWriter {
  private readonly statements = new Map<string, { statement: Database.Statement; columns: Column[] }>();
  private readonly columnsOf = new Map<SQLiteTable, Record<string, Column>>();

  constructor(private readonly sqlite: Database.Database) {}

  insert(table: SQLiteTable, row: object): void {
    const values = row as Record<string, unknown>;
    const keys = Object.keys(values).filter((k) => values[k] !== undefined);
    const name = getTableName(table);
    const signature = `${name}:${keys.join(",")}`;
    let entry = this.statements.get(signature);
    if (!entry) {
      let columns = this.columnsOf.get(table);
      if (!columns) this.columnsOf.set(table, (columns = getTableColumns(table)));
      const picked = keys.map((k) => columns[k]);
      const statement = this.sqlite.prepare(
        `insert into "${name}" (${picked.map((c) => `"${c.name}"`).join(", ")}) values (${picked.map(() => "?").join(", ")})`,
      );
      this.statements.set(signature, (entry = { statement, columns: picked }));
    }
    entry.statement.run(keys.map((k, i) => (values[k] === null ? null : entry.columns[i].mapToDriverValue(values[k]))));
  }
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
   * the write-ahead log, not to memory) and rolls it back at the end when any row failed, having
   * still tried every row so that all errors are reported at once.
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
    const sqlite = this.db.sqlite;
    const rows = new RowWriter(sqlite);
    const exists = {
      customer: sqlite.prepare("select 1 from customers where id = ?").pluck(),
      address: sqlite.prepare("select 1 from customer_addresses where id = ?").pluck(),
      document: sqlite.prepare("select 1 from documents where id = ?").pluck(),
    };
    const organizationExists = sqlite.prepare("select 1 from organizations where id = ?").pluck();
    const referenceHolder = sqlite.prepare("select id from customers where organization_id = ? and external_reference = ?").pluck();
    // Per transaction: who owns rows that name an organization (or none), and each owner's policy.
    const owners = new Map<string, Promise<string>>();
    const policies = new Map<string, Promise<RegistrationPolicyRow>>();

    /** Ids the row keeps from its source must be new, here and within the row. */
    const assertNewIds = (identity: PreservedIdentity | undefined) => {
      if (identity?.id && exists.customer.get(identity.id)) {
        throw UserErrors.of("DUPLICATE", ["id"], `id ${identity.id} is already a customer`);
      }
      const seen = new Set<string>();
      const check = (id: string | null | undefined, kind: "address" | "document", field: string[]) => {
        if (!id) return;
        if (seen.has(id) || exists[kind].get(id)) throw UserErrors.of("DUPLICATE", field, `id ${id} is already a ${kind}`);
        seen.add(id);
      };
      identity?.addressIds?.forEach((id, i) => check(id, "address", ["addresses", String(i), "id"]));
      identity?.documents?.forEach((d, i) => check(d?.id, "document", ["documents", String(i), "id"]));
    };

    /** Writes one row, or throws UserErrors having written nothing. */
    const writeOne = async (tx: Db, p: Prepared, secrets: HashedSecrets) => {
      assertNewIds(p.identity);
      const organization = options.createOrganizations ? p.organization : undefined;
      if (organization && p.data.organizationId === organization.id && !organizationExists.get(organization.id)) {
        // A new organization: its policy is empty and it has no references yet, so the checks
        // below cannot fail once it exists (and its own problems fail the row before it does).
        await organizations.createInTx(tx, actor, organization.input, organization.id).catch((error: unknown) => {
          if (!(error instanceof UserErrors)) throw error;
          throw new UserErrors(error.errors.map((e) => ({ ...e, field: ["organizationId", ...(e.field ?? [])] })));
        });
        owners.delete(organization.id);
      }
      const named = p.data.organizationId ?? "";
      if (!owners.has(named)) owners.set(named, organizations.resolveOwner(tx, actor, p.data.organizationId));
      const organizationId = await owners.get(named)!;
      if (!policies.has(organizationId)) policies.set(organizationId, organizations.policyOf(tx, organizationId));
      const missing = missingByPolicy(await policies.get(organizationId)!, p.data);
      if (missing.length > 0) throw new UserErrors(missing);
      const reference = p.data.externalReference;
      const holder = reference ? (referenceHolder.get(organizationId, reference) as string | undefined) : undefined;
      if (reference && holder) throw referenceTaken(reference, holder);

      const at = now();
      const planned = newCustomerRows(actor, organizationId, p.data, secrets, at, {
        changedFields: p.changedFields,
        identity: p.identity,
      });
      const id = planned.customer.id;
      // Creating starts KYC, as VerificationService.startInTx does for a customer created in the
      // same change: a new session, and status and level derived from the documents (oldest first).
      const { session, url } = verification.newSession(id, at);
      const derived = deriveVerification(
        p.data.type,
        [...planned.documents].sort((a, b) => (a.id < b.id ? -1 : 1)),
        true,
        at.slice(0, 10),
      );
      Object.assign(planned.customer, {
        verificationStatus: derived.status,
        verificationLevel: derived.level,
        verificationUrl: url,
        verificationUpdatedAt: at,
      });

      rows.insert(customers, planned.customer);
      if (planned.person) rows.insert(persons, planned.person);
      for (const n of planned.names) rows.insert(personNames, n);
      for (const t of planned.phones) rows.insert(telephoneNumbers, t);
      for (const q of planned.secretQuestions) rows.insert(secretQuestions, q);
      if (planned.company) rows.insert(companies, planned.company);
      for (const a of planned.addresses) rows.insert(customerAddresses, a);
      for (const d of planned.documents) rows.insert(documents, d);
      for (const n of planned.preferences) rows.insert(notificationPreferences, n);
      rows.insert(memberships, planned.membership);
      rows.insert(
        customerEvents,
        eventRow(actor, { type: "CREATED", customerId: id, organizationId, changedFields: [...p.changedFields].sort(), occurredAt: at }),
      );
      rows.insert(verificationSessions, session);
    };

    return async (tx: Db, batch: Prepared[]): Promise<number> => {
      let written = 0;
      for (const p of batch) {
        let secrets: HashedSecrets;
        try {
          secrets = await p.secrets;
        } catch (error) {
          fail(p.row, [{ code: "INVALID", field: ["person"], message: `secrets could not be hashed: ${String(error)}` }]);
          continue;
        }
        try {
          await writeOne(tx, p, secrets);
          written += 1;
        } catch (error) {
          // Anything else (a failed insert after the checks) fails the whole transaction.
          if (!(error instanceof UserErrors)) throw error;
          fail(p.row, error.errors);
        }
      }
      return written;
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
