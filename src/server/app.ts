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
import { sendVerificationLinks } from "../events/verification-links";
import { developmentKey } from "../auth/dev-key";
import { startServer } from "./http";
import { sweepExpiredIdempotencyRecords } from "./idempotency";
import { startExpirySweep } from "./expiry-sweep";
import { startWebhookWorker } from "../events/webhooks";
import { Metrics } from "./metrics";
import { closeRedis, connectRedis } from "./redis";

export interface App {
  url: string;
  db: Database;
  services: Services;
  logger: Logger;
  seeded: boolean;
  close(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Promise<App> {
  // What is open so far, closed in reverse if a later step fails, so that a failed start leaves
  // no server listening and no connection open.
  const opened: (() => unknown)[] = [];
  try {
    const db = await openDatabase(config.DATABASE_URL, logger);
    opened.push(() => db.close());
    // Rate limits, idempotency records and events shared with the other instances (REDIS_URL);
    // before the bus and the server, whose limits and idempotency plugins look for it.
    const redis = await connectRedis(config, logger);
    if (redis) opened.push(() => closeRedis(redis));
    const bus = createEventBus(redis && { redis, prefix: config.REDIS_KEY_PREFIX, logger });
    opened.push(() => bus.close());
    const links = new Links(config.PUBLIC_URL);
    // Real SMS and email senders plug in here; until one is configured, messages go to the
    // development mailbox (which production does not serve).
    const mailbox = new DevMailbox();
    const services = createServices(db, bus, config, links, mailbox);
    const stopLinks = sendVerificationLinks(db, bus, mailbox, logger);
    opened.push(stopLinks);
    const metrics = config.METRICS_ENABLED ? new Metrics(db) : null;
    let devKey: string | null = null;
    const server = await startServer({
      config,
      schema: buildCustomerSchema(),
      deps: { db, bus, services, config, links, mailbox: config.production ? null : mailbox, logger, metrics, developmentKey: () => devKey },
      logger,
    });
    opened.push(() => server.close());
    links.listeningAt(new URL(server.url).origin);
    // Seeded once the origin is known: the demo customers' verification links are absolute.
    const seeded = config.SEED_DEMO ? await seedDemo(db, services) : false;
    await services.organizations.defaultOrganizationId();
    devKey = await developmentKey(config, services, logger, seeded);
    // Expired documents, verification sessions and idempotency records: swept now, then on a timer,
    // by one of the instances that share the database.
    const stopSweep = await startExpirySweep(db, config.EXPIRY_SWEEP_INTERVAL_MS, logger, () =>
      Promise.all([services.verification.sweepExpired(), sweepExpiredIdempotencyRecords(db)]),
    );
    const stopWebhooks = startWebhookWorker(db, bus, config, logger, (outcome) => metrics?.webhookAttempt(outcome));
    return {
      url: server.url,
      db,
      services,
      logger,
      seeded,
      async close() {
        // Stop accepting and let in-flight requests finish (WebSockets are closed with 1001), while
        // the webhook worker finishes the deliveries it has started and leaves the rest pending;
        // then the database is checkpointed and closed.
        await Promise.all([server.close(), stopWebhooks(), stopSweep()]);
        await stopLinks();
        bus.close();
        if (redis) await closeRedis(redis);
        await db.close();
      },
    };
  } catch (error) {
    for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw error;
  }
}
