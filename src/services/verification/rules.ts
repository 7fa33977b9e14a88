// The KYC rule: which documents prove what, and the verification status and level that follow
// from a customer's documents. Pure functions, shared by the service (which stores the result)
// and the verification page (which shows the customer what is still needed).
import type { CustomerRow, DocumentRow } from "../../db/schema";

export type VerificationStatus = CustomerRow["verificationStatus"];
export type CustomerType = CustomerRow["type"];
type Doc = Pick<DocumentRow, "id" | "purpose" | "documentType" | "status" | "expiresAt">;

const IDENTITY_TYPES: ReadonlySet<string> = new Set(["PASSPORT", "ID_FRONT", "DRIVING_LICENCE", "RESIDENCE_PERMIT"]);
const ADDRESS_TYPES: ReadonlySet<string> = new Set(["UTILITY_BILL", "BANK_STATEMENT"]);

/** What a customer has to prove: level 1 is identity (registration for a company), level 2 adds an address. */
export type Requirement = "IDENTITY" | "COMPANY_REGISTRATION" | "PROOF_OF_ADDRESS";

export function requirementsFor(type: CustomerType): [Requirement, Requirement] {
  return [type === "ORGANIZATION" ? "COMPANY_REGISTRATION" : "IDENTITY", "PROOF_OF_ADDRESS"];
}

/** Whether `doc` is of the kind that can satisfy `requirement`. */
export function proves(requirement: Requirement, doc: Doc): boolean {
  switch (requirement) {
    case "IDENTITY":
      return IDENTITY_TYPES.has(doc.documentType);
    case "COMPANY_REGISTRATION":
      return doc.documentType === "COMPANY_REGISTRATION";
    case "PROOF_OF_ADDRESS":
      return doc.purpose === "PROOF_OF_ADDRESS" || ADDRESS_TYPES.has(doc.documentType);
  }
}

/** The first day a document with this expiry date no longer counts (it is valid through `expiresAt`). */
export function isExpired(doc: Pick<DocumentRow, "status" | "expiresAt">, today: string): boolean {
  return doc.status === "EXPIRED" || (doc.expiresAt !== null && doc.expiresAt < today);
}

/** Verified and not past its date: an expired document proves nothing, whatever its review said. */
export function counts(doc: Doc, today: string): boolean {
  return doc.status === "VERIFIED" && !isExpired(doc, today);
}

/**
 * Which of the customer's two requirements its documents meet. A proof of address must be a
 * different document than the one that proves identity, so that one paper never proves both.
 */
export function proven(type: CustomerType, docs: readonly Doc[], today: string): [boolean, boolean] {
  const [primary, address] = requirementsFor(type);
  const primaryProof = docs.filter((d) => proves(primary, d) && counts(d, today));
  const addressProven = docs.some(
    (d) => proves(address, d) && counts(d, today) && (primaryProof.length === 0 || primaryProof.some((p) => p.id !== d.id)),
  );
  return [primaryProof.length > 0, addressProven];
}

export interface DerivedVerification {
  status: VerificationStatus;
  level: number;
}

/**
 * Status and level from the documents (oldest first). VERIFIED at level 1 once an identity
 * document (a company: its registration) counts, level 2 once a proof of address counts too.
 * REJECTED when none counts and the latest identity document (registration) was rejected.
 * Otherwise PENDING, or UNVERIFIED when verification was never started.
 */
export function deriveVerification(type: CustomerType, docs: readonly Doc[], started: boolean, today: string): DerivedVerification {
  const [identity, address] = proven(type, docs, today);
  if (identity) return { status: "VERIFIED", level: address ? 2 : 1 };
  const [primary] = requirementsFor(type);
  const latest = docs.filter((d) => proves(primary, d)).at(-1);
  if (latest?.status === "REJECTED") return { status: "REJECTED", level: 0 };
  return { status: started ? "PENDING" : "UNVERIFIED", level: 0 };
}
