// Seeds a database with varied customers through the same service calls the API uses, until the
// CLI's `seed --customers N` exists (run.ts prefers it when `cli --help` lists it).
// Usage: node dist/test/bench/seed.js <database file> <customers>
import "reflect-metadata";
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db/client";
import { createEventBus } from "../../src/events/pubsub";
import { createServices } from "../../src/services";
import { Links } from "../../src/services/links";
import { DevMailbox } from "../../src/services/notifier";
import type { Actor } from "../../src/services/actor";
import { createCustomerSchema, parseInput } from "../../src/services/validation";
import { variedCustomer } from "./data";

const BATCH = 500;

async function main(): Promise<void> {
  const [file, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  if (!file || !Number.isInteger(count) || count < 0) throw new Error("usage: seed.js <database file> <customers>");
  const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: file, SEED_DEMO: "false", LOG_LEVEL: "silent" });
  const db = openDatabase(file);
  const services = createServices(db, createEventBus(), config, new Links("http://localhost:4000"), new DevMailbox(1));
  const actor: Actor = { name: "bench-seed", via: "IMPORT", organizationId: null };
  const bank = await services.organizations.create(actor, { name: "Bench Bank", legalName: "Bench Bank plc", countryCode: "GB" });
  const partners = [
    await services.organizations.create(actor, { name: "Bench Partner East", countryCode: "AE", parentId: bank.id }),
    await services.organizations.create(actor, { name: "Bench Partner West", countryCode: "US", parentId: bank.id }),
  ];
  const organizationIds = [bank.id, bank.id, partners[0].id, partners[1].id];
  // createInTx is what createCustomer runs; batching many into one transaction only saves commits.
  for (let start = 0; start < count; start += BATCH) {
    await db.transaction(async (tx) => {
      for (let i = start; i < Math.min(count, start + BATCH); i++) {
        const input = variedCustomer(i, { organizationIds });
        const data = parseInput(createCustomerSchema, input);
        const secrets = await services.customers.prepareSecrets(data.person);
        const changedFields = Object.keys(input).filter((k) => k !== "organizationId" && k !== "type" && input[k] != null);
        await services.customers.createInTx(tx, actor, data, secrets, [], { changedFields });
      }
    });
  }
  db.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
