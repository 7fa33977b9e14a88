// Demo data for a first start: one organization, a partner it manages, and a dozen varied
// customers, created through the same service calls the API uses.
import { randomUUID } from "node:crypto";
import { count } from "drizzle-orm";
import type { Database } from "../db/client";
import { takeLease } from "../db/leases";
import { organizations } from "../db/schema";
import type { Actor } from "./actor";
import type { Services } from ".";

type CustomerInput = Record<string, unknown>;

const person = (first: string, last: string, extra: CustomerInput = {}): CustomerInput => ({
  type: "PERSON",
  person: { firstName: { name: first }, lastName: { name: last }, ...((extra.person as object) ?? {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "person")),
});

const DEMO_CUSTOMERS: CustomerInput[] = [
  person("Ada", "Lovelace", {
    email: "ada@example.com",
    phone: "+44 20 7946 0958",
    tags: ["vip", "founder"],
    riskLevel: "LOW",
    manager: "mgr-001",
    externalReference: "CRM-1001",
    categorization: "retail",
    person: {
      gender: "FEMALE",
      dateOfBirth: "1985-12-10",
      nationality: "GB",
      telephoneNumbers: [{ phoneType: "MOBILE", number: "+447911123456", purpose: "personal" }],
    },
    addresses: [
      {
        purpose: "home",
        isPrimary: true,
        address: { country: "GB", city: "London", zipCode: "W1J 7NT", street: "Piccadilly", streetNumber: ["12"] },
      },
    ],
    documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "passport.pdf", expiresAt: "2031-05-01" }],
    notificationPreferences: [
      { notificationType: "MARKETING", channel: "EMAIL", isEnabled: true },
      { notificationType: "SECURITY_ALERTS", channel: "SMS", isEnabled: true },
    ],
  }),
  person("Grace", "Hopper", {
    email: "grace@example.com",
    tags: ["vip"],
    riskLevel: "MEDIUM",
    manager: "mgr-002",
    externalReference: "CRM-1002",
    person: { middleName: { name: "Brewster" }, dateOfBirth: "1976-12-09", nationality: "US" },
    addresses: [{ purpose: "home", address: { country: "US", area: "NY", city: "New York", street: "Broadway", streetNumber: ["1500"] } }],
  }),
  person("Amira", "Haddad", {
    email: "amira.haddad@example.ae",
    phone: "+971 50 123 4567",
    tags: ["gulf"],
    riskLevel: "HIGH",
    manager: "mgr-001",
    person: { nationality: "784", gender: "FEMALE" },
    addresses: [
      {
        purpose: "home",
        address: {
          country: "784",
          city: "Dubai",
          area: "Dubai",
          street: "Sheikh Zayed Road",
          building: "Emirates Towers",
          floor: "21",
          geoPosition: { latitude: 25.2175, longitude: 55.2828 },
        },
      },
    ],
    documents: [{ purpose: "KYC", documentType: "ID_FRONT", name: "emirates-id-front.jpg" }],
  }),
  person("Kenji", "Sato", {
    email: "kenji.sato@example.jp",
    tags: ["asia"],
    riskLevel: "LOW",
    person: { lastName: { name: "Sato", native: "佐藤", language: "ja" }, firstName: { name: "Kenji", native: "健二", language: "ja" } },
    addresses: [{ purpose: "home", address: { country: "JP", city: "Tokyo", zipCode: "100-0001", alternative: { word1: "index", word2: "home", word3: "raft" } } }],
  }),
  person("Lukas", "Müller", {
    email: "lukas.mueller@example.de",
    phone: "+49 30 901820",
    tags: ["eu"],
    riskLevel: "MEDIUM",
    manager: "mgr-003",
    addresses: [
      {
        purpose: "home",
        address: {
          country: "DE",
          city: "Berlin",
          zipCode: "10117",
          street: "Unter den Linden",
          streetNumber: ["5", "7"],
          relatedTo: [{ relationType: "previous", address: "Hauptstraße 1, 80331 München" }],
          additionalData: [{ name: "deliveryNotes", type: "STRING", value: "Ring twice" }],
        },
      },
    ],
  }),
  person("Sofia", "Rossi", {
    email: "sofia.rossi@example.it",
    tags: ["eu", "newsletter"],
    nickname: "Sofi",
    person: { password: "correct horse battery staple", secretQuestions: [{ question: "First pet?", answer: "Pippo" }] },
    addresses: [{ purpose: "home", address: { country: "IT", city: "Milano", street: "Via Dante", streetNumber: ["4"] } }],
    notificationPreferences: [{ notificationType: "NEWSLETTER", channel: "EMAIL", isEnabled: true }],
  }),
  person("Chinedu", "Okafor", {
    email: "chinedu@example.ng",
    phone: "+234 802 123 4567",
    tags: ["africa"],
    riskLevel: "HIGH",
    addresses: [{ purpose: "home", address: { country: "NG", city: "Lagos", street: "Adeola Odeku Street" } }],
  }),
  person("Mateo", "García", {
    email: "mateo.garcia@example.es",
    tags: ["eu"],
    person: { gender: "MALE", placeOfBirth: "Sevilla", nationality: "ES" },
    addresses: [{ purpose: "home", address: { country: "ES", city: "Madrid", zipCode: "28013", street: "Gran Vía", streetNumber: ["28"] } }],
  }),
  {
    type: "ORGANIZATION",
    email: "finance@acme.example.com",
    phone: "+1 415 555 0100",
    tags: ["enterprise"],
    riskLevel: "LOW",
    manager: "mgr-002",
    externalReference: "CRM-2001",
    company: { legalName: "Acme Corporation", shortName: "Acme", registrationNumber: "C0806592", countryCode: "US" },
    person: { firstName: { name: "Wile" }, lastName: { name: "Coyote" }, email: "wile@acme.example.com" },
    addresses: [{ purpose: "registered", address: { country: "US", area: "CA", city: "San Francisco", street: "Market Street", streetNumber: ["1"] } }],
    documents: [{ purpose: "KYB", documentType: "COMPANY_REGISTRATION", name: "certificate-of-incorporation.pdf" }],
  },
  {
    type: "ORGANIZATION",
    email: "hello@nordlicht.example.se",
    tags: ["enterprise", "eu"],
    riskLevel: "MEDIUM",
    company: { legalName: "Nordlicht Handel AB", shortName: "Nordlicht", registrationNumber: "556677-8899", countryCode: "SE" },
    addresses: [{ purpose: "registered", address: { country: "SE", city: "Stockholm", street: "Drottninggatan", streetNumber: ["10"] } }],
  },
  {
    type: "ORGANIZATION",
    email: "ops@desertpalm.example.ae",
    tags: ["gulf", "enterprise"],
    riskLevel: "HIGH",
    company: { legalName: "Desert Palm Trading LLC", countryCode: "784" },
    addresses: [{ purpose: "registered", address: { country: "AE", city: "Abu Dhabi" } }],
  },
  person("Priya", "Sharma", {
    email: "priya.sharma@example.in",
    phone: "+91 98765 43210",
    tags: ["asia"],
    riskLevel: "LOW",
    person: { dateOfBirth: "1992-03-14", nationality: "IN" },
    addresses: [{ purpose: "home", address: { country: "IN", city: "Bengaluru", zipCode: "560001" } }],
  }),
];

/** Seeds the demo data when the database has no organization yet. Returns whether it seeded. */
/** How long an instance that started seeding keeps others from seeding too (if it dies first). */
const SEED_LEASE_MS = 5 * 60 * 1000;

/**
 * Seeds an empty database. Instances that start together on one new database would each see it
 * empty: the one that takes the `demo-seed` lease, in the transaction that finds no organization,
 * seeds; the others leave it.
 */
export async function seedDemo(db: Database, services: Services): Promise<boolean> {
  const mine = await db.transaction(async (tx) => {
    const [{ n }] = await tx.select({ n: count() }).from(organizations);
    if (n > 0) return false;
    const at = new Date();
    return takeLease(tx, "demo-seed", randomUUID(), at.toISOString(), new Date(at.getTime() + SEED_LEASE_MS).toISOString());
  });
  if (!mine) return false;
  const actor: Actor = { name: "seed", via: "SYSTEM", organizationId: null };
  const demo = await services.organizations.create(actor, {
    name: "Demo Bank",
    legalName: "Demo Bank Ltd",
    countryCode: "GB",
    dataCenter: "UK_SOUTH",
  });
  await services.organizations.create(actor, {
    name: "Northwind Retail",
    countryCode: "DE",
    dataCenter: "GERMANY_WEST_CENTRAL",
    parentId: demo.id,
  });
  const inDemo: Actor = { ...actor, organizationId: demo.id };
  for (const input of DEMO_CUSTOMERS) await services.customers.create(inDemo, input);
  return true;
}
