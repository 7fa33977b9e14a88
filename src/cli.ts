// `npm run cli -- <command>`: manage the database that DATABASE_URL names.
import "reflect-metadata";
import { parseArgs } from "node:util";
import { loadConfig } from "./config";
import { openDatabase } from "./db/client";
import { organizations } from "./db/schema";
import { createEventBus } from "./events/pubsub";
import { createServices } from "./services";
import { Links } from "./services/links";
import { DevMailbox } from "./services/notifier";
import { UserErrors } from "./services/errors";
import type { Actor } from "./services/actor";

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                   apply the migrations in drizzle/ (also done on every start)
  keys create --org <org_id> --scopes <s1,s2> [--name <name>] [--tags <t1,t2>] [--expires <ISO time>]
                                            create an API key; its secret is printed once
  keys list [--org <org_id>]                list API keys (never their secrets)
  keys revoke <key_id>                      revoke an API key
  orgs list                                 list organizations

Scopes: customers:read, customers:write, organizations:admin, webhooks:manage.
The database is the one DATABASE_URL names (default file:./data/customers.db).`;

const list = (value: string | undefined) => (value ? value.split(",").map((v) => v.trim()).filter(Boolean) : undefined);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: "string" },
      scopes: { type: "string" },
      name: { type: "string" },
      tags: { type: "string" },
      expires: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  const config = loadConfig();
  const db = openDatabase(config.DATABASE_URL);
  const services = createServices(db, createEventBus(), config, new Links(config.PUBLIC_URL), new DevMailbox());
  const actor: Actor = { name: "cli", via: "SYSTEM", organizationId: null };
  try {
    if (command === "migrate") {
      console.log("migrations applied");
    } else if (command === "keys" && sub === "create") {
      const { apiKey, secret } = await services.apiKeys.create(actor, {
        organizationId: values.org ?? "",
        name: values.name ?? "cli key",
        scopes: list(values.scopes) ?? [],
        tags: list(values.tags),
        expiresAt: values.expires,
      });
      console.log(`created ${apiKey.id} for ${apiKey.organizationId} with ${apiKey.scopes.join(", ")}`);
      console.log(`secret (shown once, keep it safe): ${secret}`);
    } else if (command === "keys" && sub === "list") {
      for (const k of await services.apiKeys.list(values.org)) {
        const state = k.revokedAt ? "revoked" : k.expiresAt && k.expiresAt <= new Date().toISOString() ? "expired" : "active";
        console.log([k.id, k.prefix + "…", k.organizationId, k.name, k.scopes.join(","), k.tags.join(",") || "-", state].join("\t"));
      }
    } else if (command === "keys" && sub === "revoke" && arg) {
      const key = await services.apiKeys.revoke(actor, arg);
      console.log(`revoked ${key.id}`);
    } else if (command === "orgs" && sub === "list") {
      for (const o of await db.read.select().from(organizations).all()) console.log([o.id, o.name, o.parentId ?? "-"].join("\t"));
    } else {
      console.error(`Unknown command: ${positionals.join(" ")}\n\n${HELP}`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof UserErrors) {
      for (const e of error.errors) console.error(`${e.code}${e.field ? ` (${e.field.join(".")})` : ""}: ${e.message}`);
      return 1;
    }
    throw error;
  } finally {
    db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
