import type { Config } from "../config";
import { SCOPES, UNRESTRICTED } from "../auth/principal";
import type { Database } from "../db/client";
import type { Links } from "../services/links";
import type { Logger } from "../lib/logger";
import type { DevMailbox } from "../services/notifier";
import type { EventBus } from "../events/pubsub";
import { createLoaders } from "../loaders";
import type { Context } from "../resolvers/context";
import type { Services } from "../services";
import type { Channel } from "../types/enums";

export interface AppDeps {
  db: Database;
  bus: EventBus;
  services: Services;
  config: Config;
  links: Links;
  /** The development mailbox; null in production. */
  mailbox: DevMailbox | null;
  logger: Logger;
}

// Until access control exists every caller acts for the oldest organization (the demo one)
// with every scope.
const ALL_SCOPES = SCOPES;

export function createContextFactory(deps: AppDeps) {
  return async (via: Channel = "API"): Promise<Context> => ({
    db: deps.db,
    bus: deps.bus,
    services: deps.services,
    loaders: createLoaders(deps.db.read),
    actor: { name: "anonymous", via, organizationId: await deps.services.organizations.defaultOrganizationId() },
    principal: { id: "anonymous", kind: "anonymous", organizationId: null, root: true, scopes: ALL_SCOPES, tags: [] },
    access: UNRESTRICTED,
  });
}
