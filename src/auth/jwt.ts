// Bearer JWTs from a configured issuer, verified with jose against a JWKS URL, a PEM public key or
// a shared secret, with issuer, audience and expiry checks. Claims map to organization, scopes and tags.
import { createPublicKey, type KeyObject } from "node:crypto";
// jose is an ES module: its types are imported as such, and Node 20.19+ `require`s its code.
import type * as Jose from "jose" with { "resolution-mode": "import" };
const { createRemoteJWKSet, jwtVerify } = require("jose") as typeof Jose;
type JWTPayload = Jose.JWTPayload;
import type { Config } from "../config";
import { SCOPES, type Principal, type Scope } from "./principal";

export type JwtVerifier = (token: string) => Promise<Principal | null>;

function stringList(value: unknown): string[] {
  if (typeof value === "string") return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/** null when no issuer is configured: bearer JWTs are then refused. */
export function createJwtVerifier(config: Config): JwtVerifier | null {
  if (!config.JWT_ISSUER) return null;
  let key: ReturnType<typeof createRemoteJWKSet> | KeyObject | Uint8Array;
  if (config.JWT_JWKS_URL) key = createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
  else if (config.JWT_PUBLIC_KEY) key = createPublicKey(config.JWT_PUBLIC_KEY);
  else if (config.JWT_SECRET) key = new TextEncoder().encode(config.JWT_SECRET);
  else throw new Error("Invalid configuration:\n  JWT_ISSUER: needs JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET to verify tokens");

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        requiredClaims: ["exp", "sub"],
      }));
    } catch {
      return null;
    }
    const organizationId = payload[config.JWT_ORGANIZATION_CLAIM];
    if (typeof organizationId !== "string" || !organizationId) return null;
    return {
      id: `jwt:${payload.iss}:${payload.sub}`,
      kind: "jwt",
      organizationId,
      root: false,
      scopes: stringList(payload[config.JWT_SCOPES_CLAIM]).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
      tags: stringList(payload[config.JWT_TAGS_CLAIM]),
    };
  };
}
