// Sends customers their verification link when one is issued (at creation, onboarding or
// startVerification): a listener on the event bus, so that it runs only for committed changes.
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { customers } from "../db/schema";
import type { Logger } from "../lib/logger";
import type { Notifier } from "../services/notifier";
import { Topic, type EventBus } from "./pubsub";
import { perConnection } from "../services/prepared";
import { executePrepared } from "../db/query";

interface Recipient {
  email: string | null;
  displayName: string;
  verificationUrl: string | null;
  erasedAt: string | null;
}

const recipient = perConnection((db) =>
  db
    .select({ email: customers.email, displayName: customers.displayName, verificationUrl: customers.verificationUrl, erasedAt: customers.erasedAt })
    .from(customers)
    .where(eq(customers.id, sql.placeholder("id")))
    .prepare(),
);

export function sendVerificationLinks(db: Database, bus: EventBus, notifier: Notifier, logger: Logger): () => Promise<void> {
  const events = bus.subscribe(Topic.CustomerEvent)[Symbol.asyncIterator]();
  const done = (async () => {
    for (;;) {
      const { value: event, done } = await events.next();
      if (done) return;
      const issued = event.type === "CREATED" || (event.type === "VERIFICATION_CHANGED" && event.changedFields.includes("verification.url"));
      if (!issued) continue;
      try {
        const [customer] = await executePrepared<Recipient>(recipient(db.read), { id: event.customerId });
        if (!customer?.email || !customer.verificationUrl || customer.erasedAt) continue;
        await notifier.send({
          to: customer.email,
          channel: "EMAIL",
          subject: "Verify your identity",
          body: `Hello ${customer.displayName},\n\nplease complete your verification here:\n${customer.verificationUrl}\n`,
        });
      } catch (err) {
        logger.error({ err, customerId: event.customerId }, "could not send the verification link");
      }
    }
  })();
  return async () => {
    await events.return?.();
    await done;
  };
}
