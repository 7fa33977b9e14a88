// What every command works with: the configuration, the database DATABASE_URL names and the
// services over it, and the parsed command line.
import { loadConfig, loadEnvFile, type Config } from "../config";
import { openDatabase, type Database } from "../db/client";
import { createEventBus, type EventBus } from "../events/pubsub";
import { createServices, type Services } from "../services";
import type { Actor } from "../services/actor";
import { Links } from "../services/links";
import { DevMailbox } from "../services/notifier";
import type { CliOptions } from "./options";

export interface Cli {
  config: Config;
  db: Database;
  bus: EventBus;
  services: Services;
  options: CliOptions;
  /** Positional arguments after the command (and its subcommand). */
  args: string[];
}

/** The CLI acts as the system itself: unrestricted, recorded as "cli" via SYSTEM. */
export const CLI_ACTOR: Actor = { name: "cli", via: "SYSTEM", organizationId: null };

export async function openCli(options: CliOptions, args: string[]): Promise<Cli> {
  // The same settings as the server: the environment, then .env (or ENV_FILE).
  loadEnvFile();
  const config = loadConfig();
  const db = await openDatabase(config.DATABASE_URL);
  const bus = createEventBus();
  const services = createServices(db, bus, config, new Links(config.PUBLIC_URL), new DevMailbox());
  return { config, db, bus, services, options, args };
}

/** A usage mistake: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** A whole number option, or `fallback` when absent. */
export function intOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}`);
  return n;
}

export function choice<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(", ")}`);
  return value as T;
}
