// Input hygiene: every input a mutation takes is parsed here, normalised (E.164 phones, alpha-2
// countries, trimmed text) and turned into userErrors with field paths when it is not valid.
import { z } from "zod";
import { toAlpha2 } from "../lib/countries";
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { UserErrors } from "./errors";

const trimmed = z.string().trim();

/**
 * Cross-field checks run even when a field inside failed (zod skips them by default once a
 * transform has failed), so that a form gets every problem at once.
 */
const always = { when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null };

/** Required text, 1..max characters after trimming. */
export const text = (max: number) =>
  trimmed.min(1, { error: "must not be empty" }).max(max, { error: `must be at most ${max} characters` });

/** Optional text: undefined leaves a field unchanged, null (or blank) clears it. */
export const optionalText = (max: number) =>
  trimmed
    .max(max, { error: `must be at most ${max} characters` })
    .transform((v) => (v === "" ? null : v))
    .nullish();

export const country = z.string().transform((value, ctx) => {
  const code = toAlpha2(value);
  if (!code) {
    ctx.addIssue({ code: "custom", message: "is not an ISO 3166-1 country code (alpha-2, alpha-3 or numeric)" });
    return z.NEVER;
  }
  return code;
});

export const email = trimmed
  .max(254, { error: "must be at most 254 characters" })
  .pipe(z.email({ error: "is not a valid email address" }))
  .transform((v) => v.toLowerCase());

export function toE164(value: string, defaultCountry?: string | null): string | null {
  const parsed = parsePhoneNumberFromString(value, (defaultCountry ?? undefined) as CountryCode | undefined);
  return parsed && parsed.isValid() ? parsed.number : null;
}

export const phone = z.string().transform((value, ctx) => {
  const e164 = toE164(value);
  if (!e164) {
    ctx.addIssue({ code: "custom", message: "is not a valid phone number in international form (+country code)" });
    return z.NEVER;
  }
  return e164;
});

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export const localDate = trimmed.refine(isCalendarDate, { error: "is not a calendar date (YYYY-MM-DD)", abort: true });

const birthDate = localDate.refine(
  (v) => v >= "1900-01-01" && v <= new Date().toISOString().slice(0, 10),
  { error: "must be between 1900-01-01 and today" },
);

const namedValue = z
  .object({ name: text(100), type: z.enum(["STRING", "NUMBER", "BOOLEAN", "DATE"]), value: z.string().max(1000, { error: "must be at most 1000 characters" }) })
  .superRefine((v, ctx) => {
    const ok =
      v.type === "STRING" ||
      (v.type === "NUMBER" && v.value.trim() !== "" && Number.isFinite(Number(v.value))) ||
      (v.type === "BOOLEAN" && (v.value === "true" || v.value === "false")) ||
      (v.type === "DATE" && isCalendarDate(v.value));
    if (!ok) ctx.addIssue({ code: "custom", path: ["value"], message: `is not a valid ${v.type.toLowerCase()}` });
  }, always);

const list = <T extends z.ZodType>(item: T, max: number) =>
  z.array(item).max(max, { error: `must have at most ${max} items` });

export const tags = list(text(50), 50).transform((v) => [...new Set(v)]);

export const personName = z.object({
  name: text(100),
  order: z.number().int().min(0).max(10).nullish(),
  abbreviation: optionalText(20),
  language: optionalText(35),
  native: optionalText(100),
  prefix: optionalText(20),
  suffix: optionalText(20),
});

const telephoneNumber = z
  .object({
    phoneType: z.enum(["MOBILE", "FIXED", "FAX", "VOIP"]),
    number: z.string(),
    country: country.nullish(),
    operator: optionalText(100),
    encoding: optionalText(20),
    purpose: optionalText(50),
  })
  .transform((v, ctx) => {
    const number = toE164(v.number, v.country);
    if (!number) {
      ctx.addIssue({ code: "custom", path: ["number"], message: "is not a valid phone number" });
      return z.NEVER;
    }
    return { ...v, number };
  });

const secretQuestion = z.object({
  question: text(200),
  answer: z.string().min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" }),
});

export const personSchema = z.object({
  firstName: personName,
  middleName: personName.nullish(),
  lastName: personName.nullish(),
  gender: z.enum(["MALE", "FEMALE", "OTHER", "UNDISCLOSED"]).nullish(),
  dateOfBirth: birthDate.nullish(),
  placeOfBirth: optionalText(100),
  nationality: country.nullish(),
  email: email.nullish(),
  telephoneNumbers: list(telephoneNumber, 10).nullish(),
  password: z.string().min(8, { error: "must be at least 8 characters" }).max(200, { error: "must be at most 200 characters" }).nullish(),
  pinCode: z.string().regex(/^\d{4,12}$/, { error: "must be 4 to 12 digits" }).nullish(),
  secretQuestions: list(secretQuestion, 5).nullish(),
});
export type PersonData = z.infer<typeof personSchema>;

export const companySchema = z.object({
  legalName: text(200),
  shortName: optionalText(100),
  registrationNumber: optionalText(50),
  countryCode: country.nullish(),
});
export type CompanyData = z.infer<typeof companySchema>;

export const addressSchema = z.object({
  country,
  area: optionalText(100),
  zipCode: optionalText(20),
  city: optionalText(100),
  street: optionalText(200),
  streetNumber: list(text(20), 10).nullish(),
  building: optionalText(100),
  apartment: optionalText(20),
  entrance: optionalText(20),
  floor: optionalText(20),
  doorNumber: optionalText(20),
  geoPosition: z
    .object({
      latitude: z.number().min(-90, { error: "must be between -90 and 90" }).max(90, { error: "must be between -90 and 90" }),
      longitude: z.number().min(-180, { error: "must be between -180 and 180" }).max(180, { error: "must be between -180 and 180" }),
      altitude: z.number().min(-11000).max(100000).nullish(),
    })
    .nullish(),
  alternative: z.object({ word1: text(50), word2: text(50), word3: text(50) }).nullish(),
  relatedTo: list(z.object({ relationType: text(50), address: text(500) }), 20).nullish(),
  additionalData: list(namedValue, 50).nullish(),
});
export type AddressData = z.infer<typeof addressSchema>;

export const customerAddressSchema = z.object({
  purpose: text(50),
  isPrimary: z.boolean().nullish(),
  address: addressSchema,
});
export type CustomerAddressData = z.infer<typeof customerAddressSchema>;

const httpUrl = trimmed.max(2000, { error: "must be at most 2000 characters" }).pipe(
  z.url({ protocol: /^https?$/, error: "is not an http(s) URL" }),
);

export const documentSchema = z.object({
  purpose: z.enum(["KYC", "KYB", "PROOF_OF_ADDRESS", "OTHER"]),
  documentType: z.enum([
    "PASSPORT", "ID_FRONT", "ID_BACK", "DRIVING_LICENCE", "RESIDENCE_PERMIT",
    "UTILITY_BILL", "BANK_STATEMENT", "COMPANY_REGISTRATION", "SELFIE", "OTHER",
  ]),
  name: text(200),
  location: httpUrl.nullish(),
  metadata: list(namedValue, 50).nullish(),
  expiresAt: localDate.nullish(),
});
export type DocumentData = z.infer<typeof documentSchema>;

const notificationPreference = z.object({
  notificationType: z.enum(["MARKETING", "PRODUCT_UPDATES", "ACCOUNT_ALERTS", "SECURITY_ALERTS", "NEWSLETTER"]),
  channel: z.enum(["EMAIL", "SMS", "PUSH"]),
  isEnabled: z.boolean(),
});

export const notificationPreferences = list(notificationPreference, 15).superRefine((prefs, ctx) => {
  const seen = new Set<string>();
  prefs.forEach((p, i) => {
    const key = `${p.notificationType}/${p.channel}`;
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: [i], message: `sets ${key} twice` });
    seen.add(key);
  });
}, always);

const onePrimary = (addresses: { isPrimary?: boolean | null }[] | null | undefined, ctx: z.RefinementCtx) => {
  let primaries = 0;
  (addresses ?? []).forEach((a, i) => {
    if (a.isPrimary && ++primaries > 1) {
      ctx.addIssue({ code: "custom", path: ["addresses", i, "isPrimary"], message: "only one address can be primary" });
    }
  });
};

const customerFields = {
  email: email.nullish(),
  phone: phone.nullish(),
  nickname: optionalText(100),
  categorization: optionalText(50),
  tags: tags.nullish(),
  externalReference: optionalText(100),
  riskLevel: z.enum(["LOW", "MEDIUM", "HIGH"]).nullish(),
  manager: optionalText(100),
};

export const createCustomerSchema = z
  .object({
    type: z.enum(["PERSON", "ORGANIZATION"]),
    organizationId: z.string().nullish(),
    ...customerFields,
    person: personSchema.nullish(),
    company: companySchema.nullish(),
    addresses: list(customerAddressSchema, 20).nullish(),
    documents: list(documentSchema, 20).nullish(),
    notificationPreferences: notificationPreferences.nullish(),
  })
  .superRefine((v, ctx) => {
    if (v.type === "PERSON" && !v.person) {
      ctx.addIssue({ code: "custom", path: ["person"], message: "is required for a PERSON customer" });
    }
    if (v.type === "ORGANIZATION" && !v.company) {
      ctx.addIssue({ code: "custom", path: ["company"], message: "is required for an ORGANIZATION customer" });
    }
    onePrimary(v.addresses, ctx);
  }, always);
export type CreateCustomerData = z.infer<typeof createCustomerSchema>;

export const updateCustomerSchema = z.object({
  id: z.string(),
  expectedVersion: z.number().int().nullish(),
  ...customerFields,
  person: personSchema.nullish(),
  company: companySchema.nullish(),
});
export type UpdateCustomerData = z.infer<typeof updateCustomerSchema>;

export const updateAddressSchema = z.object({
  id: z.string(),
  purpose: text(50).nullish(),
  isPrimary: z.boolean().nullish(),
  address: addressSchema.nullish(),
});

export const REGISTRATION_FIELDS = [
  "EMAIL", "PHONE", "PASSWORD", "LAST_NAME", "DATE_OF_BIRTH", "NATIONALITY", "COUNTRY", "ADDRESS", "DOCUMENT", "EXTERNAL_REFERENCE",
] as const;

export const organizationSchema = z.object({
  name: text(200),
  legalName: optionalText(200),
  countryCode: country.nullish(),
  dataCenter: z.string().nullish(),
  parentId: z.string().nullish(),
  registrationPolicy: z
    .object({ requiredFields: z.array(z.enum(REGISTRATION_FIELDS)).transform((v) => [...new Set(v)].sort()) })
    .nullish(),
});
export const updateOrganizationSchema = organizationSchema.partial().extend({
  id: z.string(),
  name: text(200).nullish(),
});

/** Parses `input` or throws UserErrors with one INVALID entry per problem, paths relative to input. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: string[] = []): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new UserErrors(
    result.error.issues.map((issue) => {
      const field = [...prefix, ...issue.path.map(String)];
      return { code: "INVALID" as const, field, message: `${field.join(".") || "input"} ${issue.message}` };
    }),
  );
}
