// Wires the application together; used by the entry point and by the tests.
import type { Config } from "../config";
import { openDatabase, type Database } from "../db/client";
import { createEventBus } from "../events/pubsub";
import { createLogger, type Logger } from "../lib/logger";
import { buildCustomerSchema } from "../schema";
import { createServices, type Services } from "../services";
import { seedDemo } from "../services/seed";
import { Links } from "../services/links";
import { DevMailbox } from "../services/notifier";
import { startServer } from "./http";

export interface App {
  url: string;
  db: Database;
  services: Services;
  logger: Logger;
  seeded: boolean;
  close(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Promise<App> {
  const db = openDatabase(config.DATABASE_URL);
  const bus = createEventBus();
  const links = new Links(config.PUBLIC_URL);
  // Real SMS and email senders plug in here; until one is configured, messages go to the
  // development mailbox (which production does not serve).
  const mailbox = new DevMailbox();
  const services = createServices(db, bus, config, links, mailbox);
  const seeded = config.SEED_DEMO ? await seedDemo(db, services) : false;
  await services.organizations.defaultOrganizationId();
  const server = await startServer({
    config,
    schema: buildCustomerSchema(),
    deps: { db, bus, services, config, links, mailbox: config.production ? null : mailbox },
    logger,
  });
  links.listeningAt(new URL(server.url).origin);
  return {
    url: server.url,
    db,
    services,
    logger,
    seeded,
    async close() {
      await server.close();
      db.close();
    },
  };
}
