// From a request's credentials to a principal and what it may see. Used for HTTP requests and
// for WebSocket connections alike.
import { timingSafeEqual, createHash } from "node:crypto";
import { GraphQLError } from "graphql";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { ApiKeyService } from "./api-keys";
import { createJwtVerifier } from "./jwt";
import { SCOPES, type Access, type Principal } from "./principal";
import { accessFor } from "./tenancy";

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

function isLoopback(address: string | undefined): boolean {
  return !!address && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."));
}

const digest = (secret: string) => createHash("sha256").update(secret).digest();

export function createAuthenticator(config: Config, db: Database, apiKeys: ApiKeyService) {
  const verifyJwt = createJwtVerifier(config);
  // Compared as digests: equal lengths for timingSafeEqual, and the admin key's is made once.
  const adminDigest = config.ADMIN_API_KEY ? digest(config.ADMIN_API_KEY) : null;

  async function principalOf(authorization: string | undefined, remoteAddress: string | undefined): Promise<Principal> {
    if (!authorization) {
      if (config.ALLOW_ANONYMOUS && isLoopback(remoteAddress)) {
        return { id: "anonymous", kind: "anonymous", organizationId: null, root: true, scopes: SCOPES, tags: [] };
      }
      throw unauthenticated("Authentication required: send `Authorization: Bearer <API key or JWT>`.");
    }
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (!token) throw unauthenticated("The Authorization header must be `Bearer <API key or JWT>`.");
    if (adminDigest && timingSafeEqual(digest(token), adminDigest)) {
      return { id: "admin", kind: "admin", organizationId: null, root: true, scopes: SCOPES, tags: [] };
    }
    const principal = token.startsWith("ck_") ? await apiKeys.authenticate(token) : verifyJwt ? await verifyJwt(token) : null;
    if (!principal) throw unauthenticated("The credential is not valid: unknown, expired or revoked.");
    return principal;
  }

  /** The caller's principal and access; throws UNAUTHENTICATED (HTTP 401) when there is none. */
  return async (authorization: string | undefined, remoteAddress: string | undefined): Promise<{ principal: Principal; access: Access }> => {
    const principal = await principalOf(authorization, remoteAddress);
    const access = await accessFor(db.read, principal);
    if (!access) throw unauthenticated("The credential's organization does not exist.");
    return { principal, access };
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
