// Organization writes, and which organization a new customer belongs to.
import { asc, eq, sql } from "drizzle-orm";
import type { Database, Db } from "../db/client";
import { executePrepared, first } from "../db/query";
import { organizations, type OrganizationRow, type RegistrationPolicyRow } from "../db/schema";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import { organizationVisible } from "../auth/tenancy";
import type { Actor } from "./actor";
import { UserErrors } from "./errors";
import { perConnection } from "./prepared";
import { organizationSchema, parseInput, updateOrganizationSchema } from "./validation";

/** A new customer's organization and the fields its registration policy requires. */
export interface Owner {
  id: string;
  policy: RegistrationPolicyRow;
}

const noPolicy = (): RegistrationPolicyRow => ({ requiredFields: [] });

// Built when first used: the table binding is chosen when the database opens (src/db/bind.ts).
const ownerColumns = () => ({ id: organizations.id, policy: organizations.registrationPolicy });
const ownerByIdStatement = perConnection((db) =>
  db.select(ownerColumns()).from(organizations).where(eq(organizations.id, sql.placeholder("id"))).prepare(),
);
const oldestOwnerStatement = perConnection((db) => db.select(ownerColumns()).from(organizations).orderBy(asc(organizations.id)).limit(1).prepare());

async function ownerById(tx: Db, id: string): Promise<Owner | undefined> {
  return (await executePrepared<Owner>(ownerByIdStatement(tx), { id }))[0];
}

export class OrganizationService {
  // The oldest organization: who callers act for until access control names one. Organizations
  // are never deleted, so once known it stays; `create` fills it in on an empty database.
  private oldestId: string | null | undefined;

  constructor(private readonly db: Database) {}

  async defaultOrganizationId(): Promise<string | null> {
    if (this.oldestId === undefined || this.oldestId === null) {
      const [oldest] = await this.db.read.select({ id: organizations.id }).from(organizations).orderBy(asc(organizations.id)).limit(1);
      this.oldestId = oldest?.id ?? null;
    }
    return this.oldestId;
  }

  /**
   * The organization a new customer belongs to: the one named, else the caller's own, else
   * (while there is no access control) the oldest organization.
   */
  async resolveOwner(tx: Db, actor: Actor, organizationId: string | null | undefined): Promise<string> {
    return (await this.ownerOf(tx, actor, organizationId)).id;
  }

  /** resolveOwner's organization with its registration policy, in one read. */
  async ownerOf(tx: Db, actor: Actor, organizationId: string | null | undefined): Promise<Owner> {
    if (organizationId) {
      const row = await ownerById(tx, organizationId);
      if (!row || !organizationVisible(actor.access, row.id)) throw UserErrors.of("NOT_FOUND", ["organizationId"], `Organization ${organizationId} does not exist.`);
      return row;
    }
    if (actor.organizationId) return (await ownerById(tx, actor.organizationId)) ?? { id: actor.organizationId, policy: noPolicy() };
    const [oldest] = await executePrepared<Owner>(oldestOwnerStatement(tx));
    if (!oldest) {
      throw UserErrors.of("NOT_FOUND", ["organizationId"], "There is no organization yet: create one first, or pass organizationId.");
    }
    return oldest;
  }

  async policyOf(tx: Db, organizationId: string): Promise<RegistrationPolicyRow> {
    return (await ownerById(tx, organizationId))?.policy ?? noPolicy();
  }

  private async assertParent(tx: Db, parentId: string, selfId?: string): Promise<void> {
    // Walk up from the new parent: reaching `selfId` would make a cycle.
    let cursor: string | null = parentId;
    for (let depth = 0; cursor; depth++) {
      if (cursor === selfId || depth > 100) {
        throw UserErrors.of("INVALID", ["parentId"], "An organization cannot be its own ancestor.");
      }
      const row: { parentId: string | null } | undefined = await first(
        tx.select({ parentId: organizations.parentId }).from(organizations).where(eq(organizations.id, cursor)),
      );
      if (!row) {
        if (cursor === parentId) throw UserErrors.of("NOT_FOUND", ["parentId"], `Organization ${parentId} does not exist.`);
        break;
      }
      cursor = row.parentId;
    }
  }

  async create(actor: Actor, input: unknown): Promise<OrganizationRow> {
    const data = this.parseCreate(actor, input);
    return this.db.transaction((tx) => this.insertInTx(tx, data)).then((row) => {
      this.oldestId ??= row.id;
      return row;
    });
  }

  /**
   * Creates an organization inside the caller's transaction. `id` keeps the id it has elsewhere
   * (a bulk import recreating the organizations its customers belong to).
   */
  async createInTx(tx: Db, actor: Actor, input: unknown, id?: string): Promise<OrganizationRow> {
    return this.insertInTx(tx, this.parseCreate(actor, input), id);
  }

  private parseCreate(actor: Actor, input: unknown) {
    const data = parseInput(organizationSchema, input);
    // A partner's new organizations are its own to manage: they hang below it unless it names
    // another organization it manages.
    const restricted = Boolean(actor.access?.organizationIds);
    if (restricted && !data.parentId) data.parentId = actor.organizationId;
    if (data.parentId && !organizationVisible(actor.access, data.parentId)) {
      throw UserErrors.of("NOT_FOUND", ["parentId"], `Organization ${data.parentId} does not exist.`);
    }
    return data;
  }

  private async insertInTx(tx: Db, data: ReturnType<OrganizationService["parseCreate"]>, id?: string): Promise<OrganizationRow> {
    if (data.parentId) await this.assertParent(tx, data.parentId);
    const at = now();
    const [row] = await tx
      .insert(organizations)
      .values({
        id: id ?? newId("organization"),
        name: data.name,
        legalName: data.legalName ?? null,
        countryCode: data.countryCode ?? null,
        dataCenter: data.dataCenter ?? null,
        parentId: data.parentId ?? null,
        registrationPolicy: data.registrationPolicy ?? { requiredFields: [] },
        createdAt: at,
        updatedAt: at,
      })
      .returning();
    return row;
  }

  async update(actor: Actor, input: unknown): Promise<OrganizationRow> {
    const data = parseInput(updateOrganizationSchema, input);
    return this.db.transaction(async (tx) => {
      const current = await first(tx.select().from(organizations).where(eq(organizations.id, data.id)));
      if (!current || !organizationVisible(actor.access, current.id)) throw UserErrors.of("NOT_FOUND", ["id"], `Organization ${data.id} does not exist.`);
      const changes: Partial<OrganizationRow> = {};
      if (data.registrationPolicy && JSON.stringify(data.registrationPolicy) !== JSON.stringify(current.registrationPolicy)) {
        changes.registrationPolicy = data.registrationPolicy;
      }
      for (const key of ["name", "legalName", "countryCode", "dataCenter", "parentId"] as const) {
        const value = data[key];
        if (value === undefined || (value ?? null) === current[key]) continue;
        if (key === "name" && value === null) {
          throw UserErrors.of("INVALID", ["name"], "name cannot be cleared.");
        }
        (changes as Record<string, unknown>)[key] = value ?? null;
      }
      if (Object.keys(changes).length === 0) throw UserErrors.of("NO_CHANGES", null, "The update would change nothing.");
      if (changes.parentId !== undefined && actor.access?.organizationIds) {
        // A partner cannot move the organization it acts for, nor hang one outside its reach.
        if (current.id === actor.organizationId) {
          throw UserErrors.of("INVALID", ["parentId"], "An organization cannot change its own partner.");
        }
        if (!changes.parentId || !organizationVisible(actor.access, changes.parentId)) {
          throw UserErrors.of("NOT_FOUND", ["parentId"], `Organization ${changes.parentId ?? "null"} is not one you manage.`);
        }
      }
      if (changes.parentId) await this.assertParent(tx, changes.parentId, current.id);
      const [row] = await tx
        .update(organizations)
        .set({ ...changes, updatedAt: now() })
        .where(eq(organizations.id, current.id))
        .returning();
      return row;
    });
  }
}
