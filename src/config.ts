// Environment, parsed and validated once. Nothing else reads process.env.
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const ConfigSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  // Unset: listen on every interface (IPv4 and IPv6), so that localhost works either way.
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).default("file:./data/customers.db"),
  SEED_DEMO: bool.default(true),
  // Public base URL of this server, used in links handed to customers (verification pages).
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Config = z.infer<typeof ConfigSchema> & { production: boolean };

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, production: parsed.data.NODE_ENV === "production" };
}
