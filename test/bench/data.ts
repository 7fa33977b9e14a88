// Deterministic, varied customers in the shape of CreateCustomerInput: people and companies from
// several countries, with names in other scripts, several phones, addresses, documents and
// preferences. The same seed gives the same customers, so that runs compare.

type Input = Record<string, unknown>;

/** mulberry32: small, fast, good enough to vary test data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Place {
  country: string;
  cities: string[];
  streets: string[];
  zip: (r: () => number) => string;
  /** A valid number of this country in E.164, varied by `n`. */
  phone: (n: number) => string;
  lat: number;
  lon: number;
}

const digits = (n: number, width: number) => String(n % 10 ** width).padStart(width, "0");

const PLACES: Place[] = [
  { country: "GB", cities: ["London", "Manchester", "Leeds", "Bristol"], streets: ["Baker Street", "Piccadilly", "High Street", "Station Road"], zip: () => "W1J 7NT", phone: (n) => `+447911${digits(n, 6)}`, lat: 51.5, lon: -0.12 },
  { country: "DE", cities: ["Berlin", "München", "Köln", "Hamburg"], streets: ["Unter den Linden", "Hauptstraße", "Schillerstraße"], zip: (r) => digits(10000 + Math.floor(r() * 89999), 5), phone: (n) => `+491512${digits(n, 7)}`, lat: 52.52, lon: 13.4 },
  { country: "FR", cities: ["Paris", "Lyon", "Marseille", "Nantes"], streets: ["Rue de Rivoli", "Avenue Foch", "Boulevard Voltaire"], zip: (r) => digits(75000 + Math.floor(r() * 20), 5), phone: (n) => `+336${digits(n, 8)}`, lat: 48.86, lon: 2.35 },
  { country: "AE", cities: ["Dubai", "Abu Dhabi", "Sharjah"], streets: ["Sheikh Zayed Road", "Al Wasl Road", "Corniche Road"], zip: () => "00000", phone: (n) => `+97150${digits(n, 7)}`, lat: 25.2, lon: 55.27 },
  { country: "US", cities: ["New York", "San Francisco", "Austin", "Chicago"], streets: ["Broadway", "Market Street", "Main Street"], zip: (r) => digits(10000 + Math.floor(r() * 89999), 5), phone: (n) => `+1201555${digits(n, 4)}`, lat: 40.71, lon: -74.0 },
  { country: "JP", cities: ["Tokyo", "Osaka", "Kyoto"], streets: ["Chuo-dori", "Omotesando"], zip: () => "100-0001", phone: (n) => `+8190${digits(n, 8)}`, lat: 35.68, lon: 139.76 },
  { country: "IT", cities: ["Milano", "Roma", "Torino"], streets: ["Via Dante", "Via del Corso"], zip: (r) => digits(20100 + Math.floor(r() * 99), 5), phone: (n) => `+39312${digits(n, 7)}`, lat: 45.46, lon: 9.19 },
  { country: "IN", cities: ["Bengaluru", "Mumbai", "Delhi"], streets: ["MG Road", "Linking Road"], zip: (r) => digits(560001 + Math.floor(r() * 99), 6), phone: (n) => `+9198${digits(n, 8)}`, lat: 12.97, lon: 77.59 },
];

const FIRST = ["Ada", "Grace", "Amira", "Kenji", "Lukas", "Sofia", "Chinedu", "Mateo", "Priya", "Olivia", "Noah", "Fatima", "Yuki", "Élodie", "Søren", "Zoë", "Omar", "Ingrid", "Rahul", "Léa"];
const LAST = ["Lovelace", "Hopper", "Haddad", "Sato", "Müller", "Rossi", "Okafor", "García", "Sharma", "Smith", "Nguyen", "Dubois", "Kowalski", "O'Brien", "Andersson", "Tanaka", "Fernández", "Novák"];
const NATIVE: Record<string, string> = { Sato: "佐藤", Tanaka: "田中", Kenji: "健二", Yuki: "由紀", Amira: "أميرة", Omar: "عمر", Haddad: "حداد" };
const COMPANY = ["Acme", "Nordlicht", "Desert Palm", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Hooli"];
const SUFFIX = ["Ltd", "GmbH", "LLC", "SA", "AB", "KK", "Inc."];
const TAGS = ["vip", "gulf", "eu", "asia", "newsletter", "enterprise", "retail", "africa", "founder", "sme"];
const DOC_TYPES: [string, string][] = [
  ["KYC", "PASSPORT"], ["KYC", "ID_FRONT"], ["KYC", "ID_BACK"], ["KYC", "DRIVING_LICENCE"],
  ["PROOF_OF_ADDRESS", "UTILITY_BILL"], ["PROOF_OF_ADDRESS", "BANK_STATEMENT"], ["OTHER", "SELFIE"],
];
const PREFS: [string, string][] = [
  ["MARKETING", "EMAIL"], ["MARKETING", "SMS"], ["PRODUCT_UPDATES", "EMAIL"], ["ACCOUNT_ALERTS", "PUSH"],
  ["SECURITY_ALERTS", "SMS"], ["SECURITY_ALERTS", "EMAIL"], ["NEWSLETTER", "EMAIL"],
];

function ascii(s: string): string {
  return s.normalize("NFD").replace(/[^\w]/g, "").toLowerCase();
}

/**
 * The i-th varied customer. `organizationIds`, when given, spreads customers over them;
 * `run` makes emails unique across runs that share a database.
 */
export function variedCustomer(i: number, options: { organizationIds?: string[]; run?: string } = {}): Input {
  const r = random(i * 7919 + 17);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)];
  const chance = (p: number) => r() < p;
  const place = pick(PLACES);
  const isCompany = i % 5 === 4;
  const first = pick(FIRST);
  const last = pick(LAST);
  const tag = options.run ? `${options.run}.` : "";
  const input: Input = {
    type: isCompany ? "ORGANIZATION" : "PERSON",
    email: `${ascii(first)}.${ascii(last)}.${tag}${i}@example.com`,
    tags: [...new Set(Array.from({ length: Math.floor(r() * 3) }, () => pick(TAGS)))],
  };
  if (options.organizationIds?.length) input.organizationId = options.organizationIds[i % options.organizationIds.length];
  if (chance(0.7)) input.phone = place.phone(i);
  if (chance(0.2)) input.nickname = `${first.slice(0, 3)}${i % 100}`;
  if (chance(0.5)) input.categorization = pick(["retail", "private", "business", "premium"]);
  if (chance(0.6)) input.riskLevel = pick(["LOW", "MEDIUM", "HIGH"]);
  if (chance(0.4)) input.manager = `mgr-${digits(i % 37, 3)}`;
  if (chance(0.3)) input.externalReference = `CRM-${tag}${i}`;

  if (!isCompany || chance(0.5)) {
    const name = (n: string) => (NATIVE[n] && chance(0.7) ? { name: n, native: NATIVE[n], language: place.country === "JP" ? "ja" : "ar" } : { name: n });
    const person: Input = { firstName: name(first), lastName: name(last) };
    if (chance(0.15)) person.middleName = { name: pick(FIRST) };
    if (chance(0.6)) person.gender = pick(["MALE", "FEMALE", "OTHER", "UNDISCLOSED"]);
    if (chance(0.7)) person.dateOfBirth = `${1940 + Math.floor(r() * 65)}-${digits(1 + Math.floor(r() * 12), 2)}-${digits(1 + Math.floor(r() * 28), 2)}`;
    if (chance(0.3)) person.placeOfBirth = pick(place.cities);
    if (chance(0.6)) person.nationality = place.country;
    const phones = Math.floor(r() * 3);
    if (phones > 0) {
      person.telephoneNumbers = Array.from({ length: phones }, (_, p) => ({
        phoneType: p === 0 ? "MOBILE" : pick(["FIXED", "VOIP", "MOBILE"]),
        number: place.phone(i * 3 + p + 1),
        ...(chance(0.3) ? { purpose: pick(["personal", "work"]) } : {}),
      }));
    }
    if (isCompany) person.email = `${ascii(first)}@${ascii(pick(COMPANY))}.example.com`;
    input.person = person;
  }
  if (isCompany) {
    const name = pick(COMPANY);
    input.company = {
      legalName: `${name} ${place.cities[0]} ${i} ${pick(SUFFIX)}`,
      ...(chance(0.6) ? { shortName: name } : {}),
      ...(chance(0.7) ? { registrationNumber: `C${digits(i * 131, 7)}` } : {}),
      countryCode: place.country,
    };
  }

  const addressCount = 1 + Math.floor(r() * 3);
  input.addresses = Array.from({ length: addressCount }, (_, a) => {
    const where = a === 0 ? place : pick(PLACES);
    const address: Input = { country: where.country, city: pick(where.cities) };
    if (chance(0.8)) address.street = pick(where.streets);
    if (chance(0.7)) address.streetNumber = chance(0.1) ? [String(1 + (i % 90)), String(2 + (i % 90))] : [String(1 + (i % 200))];
    if (chance(0.7)) address.zipCode = where.zip(r);
    if (chance(0.2)) address.floor = String(Math.floor(r() * 30));
    if (chance(0.15)) address.building = `${pick(COMPANY)} Tower`;
    if (chance(0.3)) address.geoPosition = { latitude: +(where.lat + r()).toFixed(4), longitude: +(where.lon + r()).toFixed(4) };
    if (chance(0.05)) address.relatedTo = [{ relationType: "previous", address: `${pick(where.streets)} 1, ${pick(where.cities)}` }];
    if (chance(0.05)) address.additionalData = [{ name: "deliveryNotes", type: "STRING", value: "Ring twice" }];
    return { purpose: a === 0 ? (isCompany ? "registered" : "home") : pick(["billing", "work", "shipping"]), ...(a === 0 ? { isPrimary: true } : {}), address };
  });

  const documentCount = Math.floor(r() * 4);
  if (documentCount > 0 || isCompany) {
    const docs: Input[] = [];
    if (isCompany) docs.push({ purpose: "KYB", documentType: "COMPANY_REGISTRATION", name: `registration-${i}.pdf` });
    for (let d = 0; d < documentCount; d++) {
      const [purpose, documentType] = pick(DOC_TYPES);
      const doc: Input = { purpose, documentType, name: `${documentType.toLowerCase()}-${i}-${d}.pdf` };
      if (chance(0.3)) doc.metadata = [{ name: "number", type: "STRING", value: `X${digits(i * 17 + d, 8)}` }];
      if (chance(0.4)) doc.expiresAt = `${2027 + Math.floor(r() * 8)}-${digits(1 + Math.floor(r() * 12), 2)}-15`;
      docs.push(doc);
    }
    input.documents = docs;
  }

  const prefCount = Math.floor(r() * 4);
  if (prefCount > 0) {
    const chosen = new Map<string, [string, string]>();
    for (let p = 0; p < prefCount; p++) {
      const pref = pick(PREFS);
      chosen.set(pref.join("/"), pref);
    }
    input.notificationPreferences = [...chosen.values()].map(([notificationType, channel]) => ({ notificationType, channel, isEnabled: chance(0.7) }));
  }
  return input;
}

/** The create scenario's input: a person with two addresses, unique per `run` and `n`. */
export function createInput(run: string, n: number): Input {
  const place = PLACES[n % PLACES.length];
  const first = FIRST[n % FIRST.length];
  const last = LAST[(n * 7) % LAST.length];
  return {
    type: "PERSON",
    email: `${ascii(first)}.${ascii(last)}.${run}.${n}@example.com`,
    person: {
      firstName: { name: first },
      lastName: { name: last },
      dateOfBirth: `19${digits(50 + (n % 50), 2)}-0${1 + (n % 9)}-1${n % 10}`,
    },
    addresses: [
      { purpose: "home", isPrimary: true, address: { country: place.country, city: place.cities[0], street: place.streets[0], streetNumber: [String(1 + (n % 300))] } },
      { purpose: "billing", address: { country: place.country, city: place.cities[1 % place.cities.length], zipCode: "10001" } },
    ],
  };
}
