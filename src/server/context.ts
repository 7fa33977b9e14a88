import { asc } from "drizzle-orm";
import type { Database } from "../db/client";
import { organizations } from "../db/schema";
import type { EventBus } from "../events/pubsub";
import { createLoaders } from "../loaders";
import type { Context } from "../resolvers/context";
import type { Services } from "../services";
import type { Channel } from "../types/enums";

export interface AppDeps {
  db: Database;
  bus: EventBus;
  services: Services;
}

// Until access control exists every caller acts for the oldest organization (the demo one)
// with every scope. Organizations are never deleted, so it is cached once found.
const ALL_SCOPES = ["customers:read", "customers:write", "organizations:admin", "webhooks:manage"];

export function createContextFactory(deps: AppDeps) {
  let defaultOrganizationId: string | null = null;
  return async (via: Channel = "API"): Promise<Context> => {
    if (!defaultOrganizationId) {
      const oldest = await deps.db.read.select({ id: organizations.id }).from(organizations).orderBy(asc(organizations.id)).limit(1).get();
      defaultOrganizationId = oldest?.id ?? null;
    }
    return {
      ...deps,
      loaders: createLoaders(deps.db.read),
      actor: { name: "anonymous", via, organizationId: defaultOrganizationId },
      scopes: ALL_SCOPES,
    };
  };
}
