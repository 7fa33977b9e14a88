// The raw read baseline: the list and get documents of queries.ts answered with better-sqlite3
// prepared statements and plain objects, one statement per relation for the whole page, in the
// same order and formats as the API, so that the JSON is byte-for-byte the same.
import type BetterSqlite3 from "better-sqlite3";

interface CustomerRow {
  id: string;
  type: string;
  status: string;
  display_name: string;
  email: string | null;
  phone: string | null;
  tags: string;
  risk_level: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

const CUSTOMER_COLUMNS = "id, type, status, display_name, email, phone, tags, risk_level, version, created_at, updated_at";
// What `customers` lists for a caller who sees everything: not erased, not archived, oldest first.
const LISTED = "erased_at is null and status <> 'ARCHIVED'";
const ORDERING = "CREATED_AT:ASC";
const IDS = "(select value from json_each(?))";

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([ORDERING, createdAt, id])).toString("base64url");
}

function decodeCursor(cursor: string): [string, string] {
  const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
  if (!Array.isArray(decoded) || decoded.length !== 3 || decoded[0] !== ORDERING) throw new Error("bad cursor");
  return [String(decoded[1]), String(decoded[2])];
}

function groupBy<T extends { customer_id: string }>(rows: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const list = map.get(row.customer_id);
    if (list) list.push(row);
    else map.set(row.customer_id, [row]);
  }
  return map;
}

export function createReadModel(db: BetterSqlite3.Database) {
  const first = db.prepare(`select ${CUSTOMER_COLUMNS} from customers where ${LISTED} order by created_at asc, id asc limit ?`);
  const after = db.prepare(
    `select ${CUSTOMER_COLUMNS} from customers where ${LISTED} and (created_at, id) > (?, ?) order by created_at asc, id asc limit ?`,
  );
  const total = db.prepare(`select count(*) as n from customers where ${LISTED}`).pluck();
  const one = db.prepare(`select ${CUSTOMER_COLUMNS} from customers where id = ? and erased_at is null`);
  const persons = db.prepare(`select customer_id, full_name, gender, date_of_birth, nationality from persons where customer_id in ${IDS}`);
  const names = db.prepare(`select customer_id, part, name, native from person_names where customer_id in ${IDS}`);
  const phones = db.prepare(
    `select customer_id, phone_type, number, purpose from telephone_numbers where customer_id in ${IDS} order by position`,
  );
  const addresses = db.prepare(
    `select id, customer_id, purpose, is_primary, country, city, zip_code, street, street_number, latitude, longitude
     from customer_addresses where customer_id in ${IDS} order by id`,
  );
  const documents = db.prepare(
    `select id, customer_id, purpose, document_type, name, status, expires_at from documents where customer_id in ${IDS} order by customer_id, id`,
  );
  const preferences = db.prepare(
    `select customer_id, notification_type, channel, is_enabled from notification_preferences
     where customer_id in ${IDS} order by notification_type, channel`,
  );
  const memberships = db.prepare(
    `select m.customer_id, m.management_mode, m.active, m.onboarded_at, o.id as organization_id, o.name as organization_name
     from memberships m join organizations o on o.id = m.organization_id where m.customer_id in ${IDS} order by m.onboarded_at`,
  );

  /** The customers in the shape of CUSTOMER_SELECTION, with every relation fetched once for all. */
  function shape(rows: CustomerRow[]): object[] {
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.id));
    type Person = { customer_id: string; full_name: string; gender: string | null; date_of_birth: string | null; nationality: string | null };
    type Name = { customer_id: string; part: string; name: string; native: string | null };
    type Phone = { customer_id: string; phone_type: string; number: string; purpose: string | null };
    type Address = {
      id: string; customer_id: string; purpose: string; is_primary: number; country: string; city: string | null;
      zip_code: string | null; street: string | null; street_number: string; latitude: number | null; longitude: number | null;
    };
    type Doc = { id: string; customer_id: string; purpose: string; document_type: string; name: string; status: string; expires_at: string | null };
    type Pref = { customer_id: string; notification_type: string; channel: string; is_enabled: number };
    type Membership = {
      customer_id: string; management_mode: number; active: number; onboarded_at: string; organization_id: string; organization_name: string;
    };
    const personBy = new Map((persons.all(ids) as Person[]).map((p) => [p.customer_id, p]));
    const namesBy = groupBy(names.all(ids) as Name[]);
    const phonesBy = groupBy(phones.all(ids) as Phone[]);
    const addressesBy = groupBy(addresses.all(ids) as Address[]);
    const documentsBy = groupBy(documents.all(ids) as Doc[]);
    const preferencesBy = groupBy(preferences.all(ids) as Pref[]);
    const membershipsBy = groupBy(memberships.all(ids) as Membership[]);

    return rows.map((c) => {
      const p = personBy.get(c.id);
      const parts = namesBy.get(c.id) ?? [];
      const part = (name: string) => parts.find((n) => n.part === name);
      const firstName = part("FIRST");
      const middleName = part("MIDDLE");
      const lastName = part("LAST");
      const docs = documentsBy.get(c.id) ?? [];
      return {
        id: c.id,
        type: c.type,
        status: c.status,
        displayName: c.display_name,
        email: c.email,
        phone: c.phone,
        tags: JSON.parse(c.tags) as string[],
        riskLevel: c.risk_level,
        version: c.version,
        createdAt: c.created_at,
        updatedAt: c.updated_at,
        person:
          p && firstName
            ? {
                fullName: p.full_name,
                gender: p.gender,
                dateOfBirth: p.date_of_birth,
                nationality: p.nationality,
                firstName: { name: firstName.name, native: firstName.native },
                middleName: middleName ? { name: middleName.name } : null,
                lastName: lastName ? { name: lastName.name, native: lastName.native } : null,
                telephoneNumbers: (phonesBy.get(c.id) ?? []).map((t) => ({ phoneType: t.phone_type, number: t.number, purpose: t.purpose })),
              }
            : null,
        addresses: (addressesBy.get(c.id) ?? []).map((a) => ({
          id: a.id,
          purpose: a.purpose,
          isPrimary: a.is_primary === 1,
          address: {
            country: a.country,
            city: a.city,
            zipCode: a.zip_code,
            street: a.street,
            streetNumber: JSON.parse(a.street_number) as string[],
            geoPosition: a.latitude !== null && a.longitude !== null ? { latitude: a.latitude, longitude: a.longitude } : null,
          },
        })),
        documents: {
          totalCount: docs.length,
          nodes: docs.slice(0, 10).map((d) => ({
            id: d.id,
            purpose: d.purpose,
            documentType: d.document_type,
            name: d.name,
            status: d.status,
            expiresAt: d.expires_at,
          })),
        },
        notificationPreferences: (preferencesBy.get(c.id) ?? []).map((n) => ({
          notificationType: n.notification_type,
          channel: n.channel,
          isEnabled: n.is_enabled === 1,
        })),
        memberships: (membershipsBy.get(c.id) ?? []).map((m) => ({
          managementMode: m.management_mode === 1,
          active: m.active === 1,
          onboardedAt: m.onboarded_at,
          organization: { id: m.organization_id, name: m.organization_name },
        })),
      };
    });
  }

  return {
    list(variables: { first: number; after?: string | null }): object {
      const limit = variables.first;
      const rows = (variables.after ? after.all(...decodeCursor(variables.after), limit + 1) : first.all(limit + 1)) as CustomerRow[];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        customers: {
          totalCount: total.get() as number,
          pageInfo: { hasNextPage: rows.length > limit, endCursor: last ? encodeCursor(last.created_at, last.id) : null },
          nodes: shape(page),
        },
      };
    },
    get(variables: { id: string }): object {
      const row = one.get(variables.id) as CustomerRow | undefined;
      return { customer: row ? shape([row])[0] : null };
    },
  };
}
