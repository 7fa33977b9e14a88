// An organization's registration policy: which fields a new customer must have.
import type { RegistrationPolicyRow } from "../db/schema";
import type { UserErrorData } from "./errors";
import type { CreateCustomerData } from "./validation";

type Field = (typeof CHECKS)[number]["field"];

const CHECKS = [
  { field: "EMAIL", path: ["email"], has: (d: CreateCustomerData) => Boolean(d.email || d.person?.email) },
  { field: "PHONE", path: ["phone"], has: (d: CreateCustomerData) => Boolean(d.phone || d.person?.telephoneNumbers?.length) },
  { field: "PASSWORD", path: ["person", "password"], has: (d: CreateCustomerData) => Boolean(d.person?.password) },
  { field: "LAST_NAME", path: ["person", "lastName"], has: (d: CreateCustomerData) => d.type !== "PERSON" || Boolean(d.person?.lastName) },
  { field: "DATE_OF_BIRTH", path: ["person", "dateOfBirth"], has: (d: CreateCustomerData) => d.type !== "PERSON" || Boolean(d.person?.dateOfBirth) },
  { field: "NATIONALITY", path: ["person", "nationality"], has: (d: CreateCustomerData) => d.type !== "PERSON" || Boolean(d.person?.nationality) },
  {
    field: "COUNTRY",
    path: ["addresses"],
    has: (d: CreateCustomerData) => Boolean(d.company?.countryCode || d.person?.nationality || d.addresses?.length),
  },
  { field: "ADDRESS", path: ["addresses"], has: (d: CreateCustomerData) => Boolean(d.addresses?.length) },
  { field: "DOCUMENT", path: ["documents"], has: (d: CreateCustomerData) => Boolean(d.documents?.length) },
  { field: "EXTERNAL_REFERENCE", path: ["externalReference"], has: (d: CreateCustomerData) => Boolean(d.externalReference) },
] as const;

/** One REQUIRED_BY_POLICY error for each field the policy requires and `data` lacks. */
export function missingByPolicy(policy: RegistrationPolicyRow, data: CreateCustomerData): UserErrorData[] {
  const required = new Set(policy.requiredFields as Field[]);
  return CHECKS.filter((c) => required.has(c.field) && !c.has(data)).map((c) => ({
    code: "REQUIRED_BY_POLICY" as const,
    field: [...c.path],
    message: `${c.field} is required by the organization's registration policy.`,
  }));
}
