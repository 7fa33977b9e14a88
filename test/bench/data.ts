// What the benchmark writes: the create scenario's input, and the import file. Seeded customers
// and imported rows are the CLI's own sample customers (src/services/sample-customers.ts), so
// that `cli seed` and the import measure the same kind of data.
import fs from "node:fs";
import { sampleCustomers } from "../../src/services/sample-customers";

const FIRST = ["Ada", "Grace", "Amira", "Kenji", "Lukas", "Sofia", "Chinedu", "Mateo", "Priya", "Élodie", "Søren", "Zoë"];
const LAST = ["Lovelace", "Hopper", "Haddad", "Sato", "Müller", "Rossi", "Okafor", "García", "Sharma", "O'Brien", "Andersson"];
const PLACES = [
  { country: "GB", cities: ["London", "Leeds"], street: "Baker Street" },
  { country: "DE", cities: ["Berlin", "Köln"], street: "Hauptstraße" },
  { country: "AE", cities: ["Dubai", "Abu Dhabi"], street: "Sheikh Zayed Road" },
  { country: "US", cities: ["New York", "Austin"], street: "Broadway" },
];

function ascii(text: string): string {
  return text.normalize("NFD").replace(/[^A-Za-z0-9]/g, "").toLowerCase();
}

/** The create scenario's input: a person with two addresses, unique per `run` and `n`. */
export function createInput(run: string, n: number): Record<string, unknown> {
  const place = PLACES[n % PLACES.length];
  const first = FIRST[n % FIRST.length];
  const last = LAST[(n * 7) % LAST.length];
  return {
    type: "PERSON",
    email: `${ascii(first)}.${ascii(last)}.${run}.${n}@example.com`,
    person: {
      firstName: { name: first },
      lastName: { name: last },
      dateOfBirth: `19${50 + (n % 50)}-0${1 + (n % 9)}-1${n % 10}`,
    },
    addresses: [
      { purpose: "home", isPrimary: true, address: { country: place.country, city: place.cities[0], street: place.street, streetNumber: [String(1 + (n % 300))] } },
      { purpose: "billing", address: { country: place.country, city: place.cities[1], zipCode: "10001" } },
    ],
  };
}

/**
 * `rows` sample customers as JSON Lines in the export's shape (the create input mirrors the
 * Customer type; documents are a connection), three in four in the first organization.
 */
export async function writeImportFile(file: string, rows: number, organizationIds: [string, string]): Promise<void> {
  const out = fs.createWriteStream(file);
  const inFirst = Math.ceil((rows * 3) / 4);
  const sources = [
    sampleCustomers(inFirst, { seed: 101, organizationId: organizationIds[0] }),
    sampleCustomers(rows - inFirst, { seed: 102, organizationId: organizationIds[1] }),
  ];
  for (const source of sources) {
    for (const { documents, ...input } of source) {
      const record = documents ? { ...input, documents: { nodes: documents } } : input;
      if (!out.write(`${JSON.stringify(record)}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}
