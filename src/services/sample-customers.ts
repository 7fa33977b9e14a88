// Sample customers for `cli seed`: varied and realistic create inputs (persons and companies in
// fifteen countries, with phones, addresses, documents, preferences and tags), deterministic for a
// given seed. They are plain CreateCustomerInput objects: the service validates them like any other.

/** mulberry32: a small, fast, seedable PRNG; Math.random cannot be seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

interface Country {
  code: string;
  tld: string;
  /** Mobile numbers: a valid prefix in international form and how many random digits follow. */
  mobile: [string, number];
  landline?: [string, number];
  zip: (r: Random) => string;
  cities: string[];
  streets: string[];
  first: string[];
  last: string[];
  /** Names in their native script, by the Latin name. */
  native?: Record<string, string>;
  language?: string;
  companySuffix: string;
  region: string;
}

const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const digits = (r: Random, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join("");
const pad = (n: number, width: number) => String(n).padStart(width, "0");

const COUNTRIES: Country[] = [
  {
    code: "GB", tld: "co.uk", mobile: ["+447712", 6], landline: ["+44207946", 4], region: "eu",
    zip: (r) => `${pick(r, ["SW1A", "EC1A", "M1", "EH1", "BS1", "LS1"])} ${digits(r, 1)}${pick(r, ["AA", "BD", "NT", "JX"])}`, cities: ["London", "Manchester", "Edinburgh", "Bristol", "Leeds"],
    streets: ["High Street", "Station Road", "Baker Street", "Church Lane", "Victoria Road"],
    first: ["Oliver", "Amelia", "Harry", "Isla", "George", "Olivia", "Jack", "Emily"],
    last: ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans"], companySuffix: "Ltd",
  },
  {
    code: "US", tld: "com", mobile: ["+1415555", 4], landline: ["+1212555", 4], region: "americas",
    zip: (r) => digits(r, 5), cities: ["New York", "San Francisco", "Chicago", "Austin", "Seattle"],
    streets: ["Main Street", "Broadway", "Market Street", "Elm Street", "Oak Avenue"],
    first: ["James", "Mary", "Michael", "Patricia", "Robert", "Jennifer", "David", "Linda"],
    last: ["Johnson", "Miller", "Davis", "Garcia", "Martinez", "Anderson", "Clark"], companySuffix: "Inc.",
  },
  {
    code: "DE", tld: "de", mobile: ["+49151", 8], landline: ["+4930", 7], region: "eu",
    zip: (r) => digits(r, 5), cities: ["Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main"],
    streets: ["Hauptstraße", "Unter den Linden", "Schillerstraße", "Goethestraße", "Bahnhofstraße"],
    first: ["Lukas", "Anna", "Leon", "Lena", "Felix", "Marie", "Jonas", "Sophie"],
    last: ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner"], companySuffix: "GmbH",
  },
  {
    code: "FR", tld: "fr", mobile: ["+336", 8], landline: ["+331", 8], region: "eu",
    zip: (r) => `750${pad(1 + Math.floor(r() * 20), 2)}`, cities: ["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux"],
    streets: ["Rue de Rivoli", "Avenue des Champs-Élysées", "Rue Victor Hugo", "Boulevard Haussmann"],
    first: ["Louis", "Chloé", "Gabriel", "Camille", "Jules", "Léa", "Hugo", "Manon"],
    last: ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit"], companySuffix: "SAS",
  },
  {
    code: "ES", tld: "es", mobile: ["+346", 8], region: "eu",
    zip: (r) => `280${digits(r, 2)}`, cities: ["Madrid", "Barcelona", "Sevilla", "Valencia", "Bilbao"],
    streets: ["Gran Vía", "Calle Mayor", "Paseo de Gracia", "Calle de Alcalá"],
    first: ["Mateo", "Lucía", "Hugo", "Sofía", "Martín", "Martina", "Pablo", "Paula"],
    last: ["García", "Fernández", "González", "Rodríguez", "López", "Sánchez"], companySuffix: "S.L.",
  },
  {
    code: "IT", tld: "it", mobile: ["+39347", 7], region: "eu",
    zip: (r) => digits(r, 5), cities: ["Milano", "Roma", "Torino", "Napoli", "Firenze"],
    streets: ["Via Dante", "Via Roma", "Corso Vittorio Emanuele", "Via Garibaldi"],
    first: ["Leonardo", "Sofia", "Francesco", "Giulia", "Alessandro", "Aurora"],
    last: ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"], companySuffix: "S.r.l.",
  },
  {
    code: "AE", tld: "ae", mobile: ["+97150", 7], region: "gulf",
    zip: () => "00000", cities: ["Dubai", "Abu Dhabi", "Sharjah"],
    streets: ["Sheikh Zayed Road", "Al Wasl Road", "Corniche Road", "Al Khaleej Road"],
    first: ["Mohammed", "Fatima", "Ahmed", "Aisha", "Omar", "Mariam"],
    last: ["Al Mansoori", "Haddad", "Al Hashimi", "Khalil", "Saleh"],
    native: { Mohammed: "محمد", Fatima: "فاطمة", Ahmed: "أحمد", Aisha: "عائشة", Omar: "عمر", Mariam: "مريم" },
    language: "ar", companySuffix: "LLC",
  },
  {
    code: "JP", tld: "jp", mobile: ["+8190", 8], region: "asia",
    zip: (r) => `${digits(r, 3)}-${digits(r, 4)}`, cities: ["Tokyo", "Osaka", "Kyoto", "Yokohama", "Sapporo"],
    streets: ["Ginza", "Omotesando", "Shinjuku-dori", "Meiji-dori"],
    first: ["Haruto", "Yui", "Sota", "Hina", "Kenji", "Sakura"],
    last: ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe"],
    native: { Haruto: "陽翔", Yui: "結衣", Sota: "蒼太", Hina: "陽菜", Kenji: "健二", Sakura: "さくら", Sato: "佐藤", Suzuki: "鈴木", Takahashi: "高橋", Tanaka: "田中", Watanabe: "渡辺" },
    language: "ja", companySuffix: "K.K.",
  },
  {
    code: "IN", tld: "in", mobile: ["+9198", 8], region: "asia",
    zip: (r) => `5600${digits(r, 2)}`, cities: ["Bengaluru", "Mumbai", "Delhi", "Chennai", "Pune"],
    streets: ["MG Road", "Brigade Road", "Linking Road", "Park Street"],
    first: ["Aarav", "Priya", "Vivaan", "Ananya", "Arjun", "Diya"],
    last: ["Sharma", "Patel", "Reddy", "Iyer", "Gupta", "Singh"], companySuffix: "Pvt Ltd",
  },
  {
    code: "NG", tld: "ng", mobile: ["+234802", 7], region: "africa",
    zip: (r) => `10${digits(r, 4)}`, cities: ["Lagos", "Abuja", "Port Harcourt", "Ibadan"],
    streets: ["Adeola Odeku Street", "Awolowo Road", "Broad Street"],
    first: ["Chinedu", "Ngozi", "Emeka", "Amaka", "Tunde", "Funmi"],
    last: ["Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze"], companySuffix: "Limited",
  },
  {
    code: "BR", tld: "com.br", mobile: ["+55119", 8], region: "americas",
    zip: (r) => `0${digits(r, 4)}-${digits(r, 3)}`, cities: ["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba"],
    streets: ["Avenida Paulista", "Rua Augusta", "Avenida Atlântica"],
    first: ["Miguel", "Helena", "Arthur", "Alice", "Heitor", "Laura"],
    last: ["Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa"], companySuffix: "Ltda.",
  },
  {
    code: "SE", tld: "se", mobile: ["+4670", 7], region: "eu",
    zip: (r) => `1${digits(r, 2)} ${digits(r, 2)}`, cities: ["Stockholm", "Göteborg", "Malmö", "Uppsala"],
    streets: ["Drottninggatan", "Kungsgatan", "Storgatan", "Sveavägen"],
    first: ["William", "Alice", "Liam", "Maja", "Noah", "Elsa"],
    last: ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson"], companySuffix: "AB",
  },
  {
    code: "NL", tld: "nl", mobile: ["+316", 8], region: "eu",
    zip: (r) => `10${digits(r, 2)} ${pick(r, ["AB", "CD", "EK", "RS"])}`, cities: ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag"],
    streets: ["Damrak", "Kalverstraat", "Herengracht", "Coolsingel"],
    first: ["Daan", "Emma", "Sem", "Julia", "Finn", "Tess"],
    last: ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker"], companySuffix: "B.V.",
  },
  {
    code: "CA", tld: "ca", mobile: ["+1416555", 4], region: "americas",
    zip: (r) => `M5H ${digits(r, 1)}N${digits(r, 1)}`, cities: ["Toronto", "Montréal", "Vancouver", "Calgary"],
    streets: ["King Street West", "Rue Sainte-Catherine", "Granville Street"],
    first: ["Liam", "Charlotte", "Noah", "Olivia", "Lucas", "Emma"],
    last: ["Tremblay", "Roy", "Gagnon", "Wilson", "MacDonald"], companySuffix: "Corp.",
  },
  {
    code: "AU", tld: "com.au", mobile: ["+61412", 6], region: "apac",
    zip: (r) => `2${digits(r, 3)}`, cities: ["Sydney", "Melbourne", "Brisbane", "Perth"],
    streets: ["George Street", "Collins Street", "Queen Street", "Hay Street"],
    first: ["Oliver", "Charlotte", "Jack", "Mia", "William", "Isla"],
    last: ["Nguyen", "Smith", "Kelly", "Walker", "Harris"], companySuffix: "Pty Ltd",
  },
];

const COMPANY_WORDS = ["Nordic", "Atlas", "Summit", "Harbor", "Crescent", "Pioneer", "Golden", "Silver", "Blue", "Green", "Union", "Meridian", "Apex", "Sterling", "Orion"];
const COMPANY_TRADES = ["Trading", "Logistics", "Software", "Holdings", "Foods", "Energy", "Textiles", "Consulting", "Motors", "Pharma", "Retail", "Capital"];
const TAGS = ["vip", "newsletter", "founder", "high-value", "dormant", "premium", "partner-referral", "student", "sme", "enterprise", "retail"];
const NOTIFICATIONS = ["MARKETING", "PRODUCT_UPDATES", "ACCOUNT_ALERTS", "SECURITY_ALERTS", "NEWSLETTER"] as const;
const CHANNELS = ["EMAIL", "SMS", "PUSH"] as const;
const IDENTITY_DOCUMENTS = ["PASSPORT", "ID_FRONT", "DRIVING_LICENCE", "RESIDENCE_PERMIT"] as const;

function ascii(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9]+/g, "").toLowerCase();
}

export interface SampleOptions {
  seed: number;
  /** The organization every customer is created in; omitted: the actor's default. */
  organizationId?: string;
}

/**
 * `count` create inputs. Emails and external references carry the seed and the index, so that
 * different seeds never clash; the same seed again yields the same customers (and DUPLICATE
 * external references in the same organization).
 */
export function* sampleCustomers(count: number, options: SampleOptions): Generator<Record<string, unknown>> {
  const r = prng(options.seed);
  const choose = <T>(list: readonly T[]): T => pick(r, list);
  const chance = (p: number) => r() < p;
  const run = options.seed.toString(36);
  const today = new Date();
  const year = today.getUTCFullYear();

  for (let i = 0; i < count; i++) {
    const country = choose(COUNTRIES);
    const isCompany = chance(0.2);
    const first = choose(country.first);
    const last = choose(country.last);
    const serial = `${run}-${i.toString(36)}`;
    const mobile = country.mobile[0] + digits(r, country.mobile[1]);
    const city = choose(country.cities);
    const street = choose(country.streets);

    const name = (value: string) =>
      country.native?.[value] ? { name: value, native: country.native[value], language: country.language } : { name: value };
    const telephoneNumbers: Record<string, unknown>[] = [{ phoneType: "MOBILE", number: mobile, purpose: "personal" }];
    if (country.landline && chance(0.3)) {
      telephoneNumbers.push({ phoneType: "FIXED", number: country.landline[0] + digits(r, country.landline[1]), purpose: "work" });
    }
    const birth = `${year - 18 - Math.floor(r() * 60)}-${pad(1 + Math.floor(r() * 12), 2)}-${pad(1 + Math.floor(r() * 28), 2)}`;
    const person = {
      firstName: name(first),
      ...(chance(0.15) ? { middleName: { name: choose(country.first) } } : {}),
      lastName: name(last),
      gender: choose(["MALE", "FEMALE", "OTHER", "UNDISCLOSED"]),
      dateOfBirth: birth,
      ...(chance(0.4) ? { placeOfBirth: choose(country.cities) } : {}),
      nationality: chance(0.9) ? country.code : choose(COUNTRIES).code,
      telephoneNumbers,
    };

    const address: Record<string, unknown> = {
      country: country.code,
      city,
      zipCode: country.zip(r),
      street,
      streetNumber: [String(1 + Math.floor(r() * 250))],
    };
    if (chance(0.3)) address.apartment = String(1 + Math.floor(r() * 40));
    if (chance(0.2)) address.floor = String(Math.floor(r() * 20));
    if (chance(0.25)) address.geoPosition = { latitude: Number((r() * 140 - 70).toFixed(5)), longitude: Number((r() * 340 - 170).toFixed(5)) };
    if (chance(0.1)) address.additionalData = [{ name: "deliveryNotes", type: "STRING", value: "Leave at reception" }];
    const addresses: Record<string, unknown>[] = [{ purpose: isCompany ? "registered" : "home", isPrimary: true, address }];
    if (chance(0.25)) {
      addresses.push({
        purpose: isCompany ? "billing" : "work",
        address: { country: country.code, city: choose(country.cities), street: choose(country.streets), streetNumber: [String(1 + Math.floor(r() * 99))] },
      });
    }

    const documents: Record<string, unknown>[] = [];
    const expiry = () => `${year - 1 + Math.floor(r() * 11)}-${pad(1 + Math.floor(r() * 12), 2)}-${pad(1 + Math.floor(r() * 28), 2)}`;
    if (isCompany) {
      documents.push({ purpose: "KYB", documentType: "COMPANY_REGISTRATION", name: "certificate-of-incorporation.pdf" });
    } else if (chance(0.8)) {
      const type = choose(IDENTITY_DOCUMENTS);
      documents.push({
        purpose: "KYC",
        documentType: type,
        name: `${type.toLowerCase().replace(/_/g, "-")}.pdf`,
        expiresAt: expiry(),
        ...(chance(0.5) ? { location: `https://files.example.com/kyc/${serial}/${type.toLowerCase()}.pdf` } : {}),
        ...(chance(0.3) ? { metadata: [{ name: "issuingCountry", type: "STRING", value: country.code }, { name: "pages", type: "NUMBER", value: String(1 + Math.floor(r() * 4)) }] } : {}),
      });
    }
    if (chance(0.3)) documents.push({ purpose: "PROOF_OF_ADDRESS", documentType: choose(["UTILITY_BILL", "BANK_STATEMENT"]), name: "proof-of-address.pdf" });

    const preferences = new Map<string, Record<string, unknown>>();
    for (let n = Math.floor(r() * 4); n > 0; n--) {
      const notificationType = choose(NOTIFICATIONS);
      const channel = choose(CHANNELS);
      preferences.set(`${notificationType}/${channel}`, { notificationType, channel, isEnabled: chance(0.7) });
    }

    const tags = new Set<string>([country.region]);
    for (let n = Math.floor(r() * 3); n > 0; n--) tags.add(choose(TAGS));
    if (isCompany) tags.add("enterprise");

    const local = `${ascii(first)}.${ascii(last)}.${serial}`;
    const common: Record<string, unknown> = {
      ...(options.organizationId ? { organizationId: options.organizationId } : {}),
      phone: mobile,
      tags: [...tags],
      riskLevel: choose(["LOW", "LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH"]),
      ...(chance(0.7) ? { externalReference: `CRM-${serial}` } : {}),
      ...(chance(0.5) ? { manager: `mgr-${pad(1 + Math.floor(r() * 40), 3)}` } : {}),
      ...(chance(0.3) ? { categorization: choose(["retail", "private", "business", "wealth"]) } : {}),
      addresses,
      ...(documents.length ? { documents } : {}),
      ...(preferences.size ? { notificationPreferences: [...preferences.values()] } : {}),
    };

    if (isCompany) {
      const brand = `${choose(COMPANY_WORDS)} ${choose(COMPANY_TRADES)}`;
      const legalName = `${brand} ${country.companySuffix}`;
      yield {
        type: "ORGANIZATION",
        email: `contact.${serial}@${ascii(brand)}.example.${country.tld}`,
        ...common,
        company: { legalName, shortName: brand, registrationNumber: `${country.code}${digits(r, 8)}`, countryCode: country.code },
        // A company's contact person.
        ...(chance(0.5) ? { person: { firstName: { name: first }, lastName: { name: last }, email: `${local}@example.${country.tld}` } } : {}),
      };
    } else {
      yield {
        type: "PERSON",
        email: `${local}@example.${country.tld}`,
        ...(chance(0.1) ? { nickname: first.slice(0, 3) } : {}),
        ...common,
        person,
      };
    }
  }
}
