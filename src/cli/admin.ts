// Database and access administration: migrations, API keys, organizations.
import { asc } from "drizzle-orm";
import { organizations } from "../db/schema";
import { CLI_ACTOR, UsageError, type Cli } from "./runtime";

const list = (value: string | undefined) => (value ? value.split(",").map((v) => v.trim()).filter(Boolean) : undefined);

export function migrate(): number {
  // Opening the database applied them.
  console.log("migrations applied");
  return 0;
}

export async function keys(cli: Cli, sub: string | undefined): Promise<number> {
  const { services, options } = cli;
  if (sub === "create") {
    const { apiKey, secret } = await services.apiKeys.create(CLI_ACTOR, {
      organizationId: options.org ?? "",
      name: options.name ?? "cli key",
      scopes: list(options.scopes) ?? [],
      tags: list(options.tags),
      expiresAt: options.expires,
    });
    console.log(`created ${apiKey.id} for ${apiKey.organizationId} with ${apiKey.scopes.join(", ")}`);
    console.log(`secret (shown once, keep it safe): ${secret}`);
  } else if (sub === "list") {
    for (const k of await services.apiKeys.list(options.org)) {
      const state = k.revokedAt ? "revoked" : k.expiresAt && k.expiresAt <= new Date().toISOString() ? "expired" : "active";
      console.log([k.id, k.prefix + "…", k.organizationId, k.name, k.scopes.join(","), k.tags.join(",") || "-", state].join("\t"));
    }
  } else if (sub === "revoke" && cli.args[0]) {
    const key = await services.apiKeys.revoke(CLI_ACTOR, cli.args[0]);
    console.log(`revoked ${key.id}`);
  } else {
    throw new UsageError(`unknown keys command: ${[sub, ...cli.args].filter(Boolean).join(" ")}`);
  }
  return 0;
}

export async function orgs(cli: Cli, sub: string | undefined): Promise<number> {
  const { db, services, options } = cli;
  if (sub === "list") {
    for (const o of await db.read.select().from(organizations).orderBy(asc(organizations.id))) {
      console.log([o.id, o.name, o.parentId ?? "-"].join("\t"));
    }
  } else if (sub === "create") {
    if (!options.name) throw new UsageError("orgs create needs --name");
    // The same service (and validation) as the createOrganization mutation.
    const org = await services.organizations.create(CLI_ACTOR, {
      name: options.name,
      legalName: options["legal-name"],
      countryCode: options.country,
      dataCenter: options["data-center"],
      parentId: options.parent,
    });
    console.log(`created ${org.id}\t${org.name}${org.parentId ? `\tparent ${org.parentId}` : ""}`);
  } else {
    throw new UsageError(`unknown orgs command: ${[sub, ...cli.args].filter(Boolean).join(" ")}`);
  }
  return 0;
}
