// API keys: random `ck_…` secrets, shown once, stored only as SHA-256, scoped to one organization.
import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client";
import { first } from "../db/query";
import { apiKeys, organizations, type ApiKeyRow } from "../db/schema";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import type { Actor } from "../services/actor";
import { UserErrors } from "../services/errors";
import { parseInput, tags, text } from "../services/validation";
import { SCOPES, type Principal, type Scope } from "./principal";
import { organizationVisible } from "./tenancy";

const KEY_PREFIX = "ck_";
const SHOWN_PREFIX_LENGTH = 11;
// How often lastUsedAt is written for one key: a write per request would serialise reads.
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

const createSchema = z.object({
  organizationId: z.string(),
  name: text(100),
  scopes: z.array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(", ")}` })).min(1, { error: "must name at least one scope" }),
  tags: tags.nullish(),
  expiresAt: z
    .union([z.date(), z.string()])
    .nullish()
    .transform((v, ctx) => {
      if (v == null) return null;
      const date = v instanceof Date ? v : new Date(v);
      if (Number.isNaN(date.getTime()) || date.getTime() <= Date.now()) {
        ctx.addIssue({ code: "custom", message: "must be a time in the future" });
        return z.NEVER;
      }
      return date.toISOString();
    }),
});

export class ApiKeyService {
  private readonly lastWritten = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /** Creates a key; the secret is returned here once and never again. */
  async create(actor: Actor, input: unknown, grantor?: Principal): Promise<{ apiKey: ApiKeyRow; secret: string }> {
    const data = parseInput(createSchema, input);
    if (!organizationVisible(actor.access, data.organizationId)) {
      throw UserErrors.of("NOT_FOUND", ["organizationId"], `Organization ${data.organizationId} does not exist.`);
    }
    // Nobody hands out more than they have.
    if (grantor && !grantor.root) {
      const beyond = data.scopes.filter((s) => !grantor.scopes.includes(s));
      if (beyond.length) throw UserErrors.of("INVALID", ["scopes"], `Cannot grant scopes you do not have: ${beyond.join(", ")}.`);
      if (grantor.tags.length && (!data.tags?.length || data.tags.some((t) => !grantor.tags.includes(t)))) {
        throw UserErrors.of("INVALID", ["tags"], `A tag-restricted caller can only create keys restricted to its tags: ${grantor.tags.join(", ")}.`);
      }
    }
    const secret = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    return this.db.transaction(async (tx) => {
      const org = await first(tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, data.organizationId)));
      if (!org) throw UserErrors.of("NOT_FOUND", ["organizationId"], `Organization ${data.organizationId} does not exist.`);
      const [apiKey] = await tx
        .insert(apiKeys)
        .values({
          id: newId("apiKey"),
          organizationId: data.organizationId,
          name: data.name,
          prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
          secretHash: hashKey(secret),
          scopes: [...new Set(data.scopes)].sort(),
          tags: data.tags ?? [],
          createdAt: now(),
          expiresAt: data.expiresAt,
        })
        .returning();
      return { apiKey, secret };
    });
  }

  async revoke(actor: Actor, id: string): Promise<ApiKeyRow> {
    return this.db.transaction(async (tx) => {
      const key = await first(tx.select().from(apiKeys).where(eq(apiKeys.id, id)));
      if (!key || !organizationVisible(actor.access, key.organizationId)) {
        throw UserErrors.of("NOT_FOUND", ["id"], `API key ${id} does not exist.`);
      }
      if (key.revokedAt) throw UserErrors.of("INVALID_STATE", ["id"], `API key ${id} is already revoked.`);
      const [revoked] = await tx.update(apiKeys).set({ revokedAt: now() }).where(eq(apiKeys.id, id)).returning();
      return revoked;
    });
  }

  async list(organizationId?: string | null): Promise<ApiKeyRow[]> {
    return this.db.read
      .select()
      .from(apiKeys)
      .where(organizationId ? eq(apiKeys.organizationId, organizationId) : undefined)
      .orderBy(asc(apiKeys.id));
  }

  /** The principal of a valid key; null when unknown, revoked or expired. */
  async authenticate(secret: string): Promise<Principal | null> {
    if (!secret.startsWith(KEY_PREFIX)) return null;
    const key = await first(
      this.db.read
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.secretHash, hashKey(secret)), isNull(apiKeys.revokedAt))),
    );
    const at = now();
    if (!key || (key.expiresAt && key.expiresAt <= at)) return null;
    const written = this.lastWritten.get(key.id) ?? 0;
    if (Date.now() - written > LAST_USED_RESOLUTION_MS) {
      this.lastWritten.set(key.id, Date.now());
      await this.db.transaction((tx) => tx.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, key.id)));
    }
    return {
      id: key.id,
      kind: "apiKey",
      organizationId: key.organizationId,
      root: false,
      scopes: key.scopes as Scope[],
      tags: key.tags,
    };
  }
}
