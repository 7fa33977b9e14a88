// Who is calling, and what they may see and do.

export const SCOPES = ["customers:read", "customers:write", "organizations:admin", "webhooks:manage"] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  /** Stable id of the credential: "key_…", "jwt:<issuer>:<subject>", "admin" or "anonymous:<address>". */
  id: string;
  kind: "apiKey" | "jwt" | "admin" | "anonymous";
  /** The caller's own organization; null for root principals. */
  organizationId: string | null;
  /** Root principals see every organization. */
  root: boolean;
  scopes: readonly Scope[];
  /** When not empty, only customers with one of these tags are visible (B2Core's tag-restricted admins). */
  tags: readonly string[];
}

/** What a caller may see: computed once per request from its principal. */
export interface Access {
  /** Organizations visible: the caller's own and those it manages as partner; null = all. */
  organizationIds: readonly string[] | null;
  /** Tag restriction; empty = none. */
  tags: readonly string[];
}

export const UNRESTRICTED: Access = { organizationIds: null, tags: [] };
