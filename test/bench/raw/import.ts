// The raw import baseline: the rows createCustomer writes for each record of a JSONL file
// (customer, person, names, phones, company, addresses, documents, preferences, membership,
// CREATED event, verification session), inserted by prepared statements in batched transactions.
// Usage: node dist/test/bench/raw/import.js <database file> <input.jsonl>
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import readline from "node:readline";
import Database from "better-sqlite3";
import { monotonicFactory } from "ulid";

const BATCH = 1000;
const ulid = monotonicFactory();
const newId = (prefix: string) => `${prefix}_${ulid().toLowerCase()}`;

type Name = { name: string; order?: number; abbreviation?: string; language?: string; native?: string; prefix?: string; suffix?: string } | null | undefined;
interface Record_ {
  organizationId?: string;
  type: "PERSON" | "ORGANIZATION";
  email?: string | null;
  phone?: string | null;
  nickname?: string | null;
  categorization?: string | null;
  tags?: string[] | null;
  externalReference?: string | null;
  riskLevel?: string | null;
  manager?: string | null;
  person?: {
    firstName: NonNullable<Name>; middleName?: Name; lastName?: Name; gender?: string | null; dateOfBirth?: string | null;
    placeOfBirth?: string | null; nationality?: string | null; email?: string | null;
    telephoneNumbers?: { phoneType: string; number: string; country?: string; operator?: string; encoding?: string; purpose?: string }[] | null;
  } | null;
  company?: { legalName: string; shortName?: string | null; registrationNumber?: string | null; countryCode?: string | null } | null;
  addresses?: {
    purpose: string; isPrimary?: boolean | null;
    address: {
      country: string; area?: string; zipCode?: string; city?: string; street?: string; streetNumber?: string[]; building?: string; apartment?: string;
      entrance?: string; floor?: string; doorNumber?: string; geoPosition?: { latitude: number; longitude: number; altitude?: number } | null;
      alternative?: { word1: string; word2: string; word3: string } | null; relatedTo?: unknown[]; additionalData?: unknown[];
    };
  }[] | null;
  documents?: { nodes: DocumentInput[] } | DocumentInput[] | null;
  notificationPreferences?: { notificationType: string; channel: string; isEnabled: boolean }[] | null;
}
interface DocumentInput {
  purpose: string; documentType: string; name: string; location?: string | null; metadata?: unknown[] | null; expiresAt?: string | null;
}

async function main(): Promise<void> {
  const [file, input] = process.argv.slice(2);
  if (!file || !input) throw new Error("usage: import.js <database file> <input.jsonl>");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("synchronous = NORMAL");
  const defaultOrganization = db.prepare("select id from organizations order by id limit 1").pluck().get() as string;
  const q = {
    customer: db.prepare(
      `insert into customers (id, organization_id, type, status, display_name, nickname, email, phone, categorization, tags, external_reference,
         risk_level, manager, search_text, verification_status, verification_level, verification_url, verification_updated_at, version,
         created_at, created_by, created_via, updated_at, updated_by, updated_via)
       values (?, ?, ?, 'NEW', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?, 1, ?, 'cli', 'IMPORT', ?, 'cli', 'IMPORT')`,
    ),
    person: db.prepare(
      "insert into persons (customer_id, full_name, gender, date_of_birth, place_of_birth, nationality, email) values (?, ?, ?, ?, ?, ?, ?)",
    ),
    name: db.prepare(
      `insert into person_names (customer_id, part, name, "order", abbreviation, language, native, prefix, suffix) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    phone: db.prepare(
      "insert into telephone_numbers (customer_id, position, phone_type, number, country, operator, encoding, purpose) values (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    company: db.prepare("insert into companies (customer_id, legal_name, short_name, registration_number, country_code) values (?, ?, ?, ?, ?)"),
    address: db.prepare(
      `insert into customer_addresses (id, customer_id, purpose, is_primary, country, area, zip_code, city, street, street_number, building,
         apartment, entrance, floor, door_number, latitude, longitude, altitude, alt_word1, alt_word2, alt_word3, related_to, additional_data,
         created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    document: db.prepare(
      `insert into documents (id, customer_id, purpose, document_type, name, location, status, metadata, expires_at, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    preference: db.prepare(
      "insert into notification_preferences (customer_id, notification_type, channel, is_enabled, updated_at) values (?, ?, ?, ?, ?)",
    ),
    membership: db.prepare(
      "insert into memberships (customer_id, organization_id, management_mode, tags, onboarded_at, active) values (?, ?, 0, '[]', ?, 1)",
    ),
    event: db.prepare(
      `insert into customer_events (id, type, customer_id, organization_id, changed_fields, actor, via, occurred_at)
       values (?, 'CREATED', ?, ?, ?, 'cli', 'IMPORT', ?)`,
    ),
    session: db.prepare(
      `insert into verification_sessions (id, customer_id, provider, token_hash, url, status, created_at, expires_at)
       values (?, ?, 'builtin', ?, ?, 'OPEN', ?, ?)`,
    ),
  };

  const insert = (r: Record_) => {
    const at = new Date().toISOString();
    const id = newId("cus");
    const organizationId = r.organizationId ?? defaultOrganization;
    const p = r.person;
    const displayName =
      r.type === "ORGANIZATION" && r.company ? r.company.legalName : [p?.firstName.name, p?.middleName?.name, p?.lastName?.name].filter(Boolean).join(" ");
    const email = r.email?.toLowerCase() ?? null;
    const searchText = [displayName, r.nickname, email, r.phone, r.phone?.replace(/\D/g, ""), p?.email, r.company?.legalName, r.company?.shortName, r.externalReference]
      .filter(Boolean)
      .join("\n")
      .toLowerCase();
    const token = randomBytes(32).toString("base64url");
    q.customer.run(id, organizationId, r.type, displayName, r.nickname ?? null, email, r.phone ?? null, r.categorization ?? null,
      JSON.stringify([...new Set(r.tags ?? [])]), r.externalReference ?? null, r.riskLevel ?? null, r.manager ?? null, searchText,
      `http://localhost/verify/${token}`, at, at, at);
    if (p) {
      q.person.run(id, [p.firstName.name, p.middleName?.name, p.lastName?.name].filter(Boolean).join(" "), p.gender ?? null, p.dateOfBirth ?? null,
        p.placeOfBirth ?? null, p.nationality ?? null, p.email?.toLowerCase() ?? null);
      for (const [part, n] of [["FIRST", p.firstName], ["MIDDLE", p.middleName], ["LAST", p.lastName]] as const) {
        if (n) q.name.run(id, part, n.name, n.order ?? null, n.abbreviation ?? null, n.language ?? null, n.native ?? null, n.prefix ?? null, n.suffix ?? null);
      }
      (p.telephoneNumbers ?? []).forEach((t, i) =>
        q.phone.run(id, i, t.phoneType, t.number, t.country ?? null, t.operator ?? null, t.encoding ?? null, t.purpose ?? null),
      );
    }
    if (r.company) q.company.run(id, r.company.legalName, r.company.shortName ?? null, r.company.registrationNumber ?? null, r.company.countryCode ?? null);
    const addresses = r.addresses ?? [];
    const primary = Math.max(0, addresses.findIndex((a) => a.isPrimary));
    addresses.forEach((a, i) => {
      const d = a.address;
      q.address.run(newId("adr"), id, a.purpose, i === primary ? 1 : 0, d.country, d.area ?? null, d.zipCode ?? null, d.city ?? null, d.street ?? null,
        JSON.stringify(d.streetNumber ?? []), d.building ?? null, d.apartment ?? null, d.entrance ?? null, d.floor ?? null, d.doorNumber ?? null,
        d.geoPosition?.latitude ?? null, d.geoPosition?.longitude ?? null, d.geoPosition?.altitude ?? null, d.alternative?.word1 ?? null,
        d.alternative?.word2 ?? null, d.alternative?.word3 ?? null, JSON.stringify(d.relatedTo ?? []), JSON.stringify(d.additionalData ?? []), at, at);
    });
    const documents = Array.isArray(r.documents) ? r.documents : (r.documents?.nodes ?? []);
    for (const d of documents) {
      const expired = d.expiresAt && d.expiresAt < at.slice(0, 10);
      q.document.run(newId("doc"), id, d.purpose, d.documentType, d.name, d.location ?? null, expired ? "EXPIRED" : "PENDING",
        JSON.stringify(d.metadata ?? []), d.expiresAt ?? null, at);
    }
    for (const n of r.notificationPreferences ?? []) q.preference.run(id, n.notificationType, n.channel, n.isEnabled ? 1 : 0, at);
    q.membership.run(id, organizationId, at);
    const changed = Object.keys(r).filter((k) => k !== "type" && k !== "organizationId" && (r as unknown as Record<string, unknown>)[k] != null).sort();
    q.event.run(newId("evt"), id, organizationId, JSON.stringify(changed), at);
    const expires = new Date(Date.parse(at) + 7 * 24 * 3_600_000).toISOString();
    q.session.run(newId("ver"), id, createHash("sha256").update(token).digest("hex"), "http://localhost/verify/{token}", at, expires);
  };
  const insertBatch = db.transaction((records: Record_[]) => {
    for (const r of records) insert(r);
  });

  let batch: Record_[] = [];
  let rows = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(input), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    batch.push(JSON.parse(line) as Record_);
    if (batch.length >= BATCH) {
      insertBatch(batch);
      rows += batch.length;
      batch = [];
    }
  }
  if (batch.length) insertBatch(batch);
  rows += batch.length;
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(JSON.stringify({ rows }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
