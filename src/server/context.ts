import { createAuthenticator } from "../auth/authenticate";
import type { Access, Principal } from "../auth/principal";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";
import type { Logger } from "../lib/logger";
import { createLoaders } from "../loaders";
import type { Context } from "../resolvers/context";
import type { Services } from "../services";
import type { Links } from "../services/links";
import type { DevMailbox } from "../services/notifier";
import type { Metrics } from "./metrics";

export interface AppDeps {
  db: Database;
  bus: EventBus;
  services: Services;
  config: Config;
  links: Links;
  /** The development mailbox; null in production. */
  mailbox: DevMailbox | null;
  logger: Logger;
  /** Prometheus metrics, unless METRICS_ENABLED=false. */
  metrics?: Metrics | null;
  /** The development API key the explorer sends, once known (development only). */
  developmentKey?: () => string | null;
}

export interface Credentials {
  /** The Authorization header (HTTP) or connectionParams.authorization (WebSocket). */
  authorization?: string;
  remoteAddress?: string;
}

/** Authenticates callers and builds their contexts: per HTTP request, per subscription over WebSocket. */
export function createContextFactory(deps: AppDeps) {
  const authenticate = createAuthenticator(deps.config, deps.db, deps.services.apiKeys);

  async function contextOf(auth: { principal: Principal; access: Access }): Promise<Context> {
    const { principal, access } = auth;
    return {
      db: deps.db,
      bus: deps.bus,
      services: deps.services,
      loaders: createLoaders(deps.db.read, access),
      actor: {
        name: principal.id,
        via: "API",
        organizationId: principal.organizationId ?? (await deps.services.organizations.defaultOrganizationId()),
        access,
      },
      principal,
      access,
    };
  }

  return {
    authenticate: (credentials: Credentials) => authenticate(credentials.authorization, credentials.remoteAddress),
    contextOf,
    /** Throws UNAUTHENTICATED (HTTP 401) without a valid credential. */
    async contextFor(credentials: Credentials): Promise<Context> {
      return contextOf(await authenticate(credentials.authorization, credentials.remoteAddress));
    },
  };
}
