// Development without friction: on the first start of a development server, a key for the demo
// organization is created and printed once, and the explorer served to this machine sends it.
// It is kept beside the database file (mode 0600) so that the explorer still has it after a restart.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config";
import { isPostgresUrl, sqliteFilename } from "../db/client";
import type { Logger } from "../lib/logger";
import type { Services } from "../services";
import { SCOPES } from "./principal";

export async function developmentKey(
  config: Config,
  services: Services,
  logger: Logger,
  seeded: boolean,
): Promise<string | null> {
  if (config.NODE_ENV !== "development") return null;
  // Beside the SQLite file; for PostgreSQL in ./data, one file per database URL.
  const file = isPostgresUrl(config.DATABASE_URL)
    ? path.resolve("data", `.dev-api-key-${createHash("sha256").update(config.DATABASE_URL).digest("hex").slice(0, 12)}`)
    : sqliteFilename(config.DATABASE_URL) === ":memory:"
      ? null
      : path.join(path.dirname(path.resolve(sqliteFilename(config.DATABASE_URL))), ".dev-api-key");

  if (!seeded) {
    if (!file || !fs.existsSync(file)) return null;
    const kept = fs.readFileSync(file, "utf8").trim();
    return (await services.apiKeys.authenticate(kept)) ? kept : null;
  }
  const organizationId = await services.organizations.defaultOrganizationId();
  if (!organizationId) return null;
  const { secret } = await services.apiKeys.create(
    { name: "system", via: "SYSTEM", organizationId: null },
    { organizationId, name: "development key", scopes: [...SCOPES] },
  );
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }
  // The one secret ever written to the log: printed once, at the first start, for the developer.
  logger.info(`development API key for the demo organization (shown once): ${secret}`);
  return secret;
}
