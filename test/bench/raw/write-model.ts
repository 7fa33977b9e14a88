// The raw create baseline: the rows createCustomer writes for a person with two addresses
// (customer, person, names, addresses, membership, CREATED event, verification session),
// inserted with prepared statements in one transaction.
import { createHash, randomBytes } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import { monotonicFactory } from "ulid";

const ulid = monotonicFactory();
const newId = (prefix: string) => `${prefix}_${ulid().toLowerCase()}`;

interface NameInput {
  name: string;
}
interface AddressInput {
  purpose: string;
  isPrimary?: boolean | null;
  address: { country: string; city?: string | null; zipCode?: string | null; street?: string | null; streetNumber?: string[] | null };
}
export interface CreateInput {
  type: "PERSON";
  email?: string | null;
  person: { firstName: NameInput; lastName?: NameInput | null; dateOfBirth?: string | null };
  addresses: AddressInput[];
}

export function createWriteModel(db: BetterSqlite3.Database, options: { publicUrl: string; actor: string }) {
  const organizationId = (db.prepare("select id from organizations order by id limit 1").pluck().get() as string | undefined) ?? null;
  const insertCustomer = db.prepare(
    `insert into customers (id, organization_id, type, status, display_name, email, tags, search_text, verification_status,
       verification_level, verification_url, verification_updated_at, version, created_at, created_by, created_via, updated_at, updated_by, updated_via)
     values (?, ?, ?, 'NEW', ?, ?, '[]', ?, 'PENDING', 0, ?, ?, 1, ?, ?, 'API', ?, ?, 'API')`,
  );
  const insertPerson = db.prepare("insert into persons (customer_id, full_name, date_of_birth) values (?, ?, ?)");
  const insertName = db.prepare("insert into person_names (customer_id, part, name) values (?, ?, ?)");
  const insertAddress = db.prepare(
    `insert into customer_addresses (id, customer_id, purpose, is_primary, country, city, zip_code, street, street_number,
       related_to, additional_data, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', ?, ?)`,
  );
  const insertMembership = db.prepare(
    "insert into memberships (customer_id, organization_id, management_mode, tags, onboarded_at, active) values (?, ?, 0, '[]', ?, 1)",
  );
  const insertEvent = db.prepare(
    `insert into customer_events (id, type, customer_id, organization_id, changed_fields, actor, via, occurred_at)
     values (?, 'CREATED', ?, ?, ?, ?, 'API', ?)`,
  );
  const insertSession = db.prepare(
    `insert into verification_sessions (id, customer_id, provider, token_hash, url, status, created_at, expires_at)
     values (?, ?, 'builtin', ?, ?, 'OPEN', ?, ?)`,
  );

  const create = db.transaction((input: CreateInput) => {
    if (!organizationId) throw new Error("no organization");
    const at = new Date().toISOString();
    const id = newId("cus");
    const displayName = [input.person.firstName.name, input.person.lastName?.name].filter(Boolean).join(" ");
    const email = input.email?.toLowerCase() ?? null;
    const token = randomBytes(32).toString("base64url");
    const sessionId = newId("ver");
    const url = `${options.publicUrl}/verify/${token}`;
    insertCustomer.run(id, organizationId, input.type, displayName, email, [displayName, email].filter(Boolean).join("\n").toLowerCase(), url, at, at, options.actor, at, options.actor);
    insertPerson.run(id, displayName, input.person.dateOfBirth ?? null);
    insertName.run(id, "FIRST", input.person.firstName.name);
    if (input.person.lastName) insertName.run(id, "LAST", input.person.lastName.name);
    const primary = Math.max(0, input.addresses.findIndex((a) => a.isPrimary));
    const addresses = input.addresses.map((a, i) => {
      const addressId = newId("adr");
      const d = a.address;
      insertAddress.run(addressId, id, a.purpose, i === primary ? 1 : 0, d.country, d.city ?? null, d.zipCode ?? null, d.street ?? null, JSON.stringify(d.streetNumber ?? []), at, at);
      return { id: addressId, isPrimary: i === primary };
    });
    insertMembership.run(id, organizationId, at);
    const changed = Object.keys(input).filter((k) => k !== "type" && (input as unknown as Record<string, unknown>)[k] != null).sort();
    insertEvent.run(newId("evt"), id, organizationId, JSON.stringify(changed), options.actor, at);
    const expires = new Date(Date.parse(at) + 7 * 24 * 3_600_000).toISOString();
    insertSession.run(sessionId, id, createHash("sha256").update(token).digest("hex"), `${options.publicUrl}/verify/{token}`, at, expires);
    return { id, displayName, version: 1, createdAt: at, addresses };
  });

  return {
    create(variables: { input: CreateInput }): object {
      return { createCustomer: { customer: create(variables.input), userErrors: [] } };
    },
  };
}
