// Environment, parsed and validated once. Nothing else reads process.env.
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

// An origin in CORS_ORIGINS: scheme://host[:port], host a name, IPv4 or bracketed IPv6; the port
// digits or * (any port).
const ORIGIN = /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:(\d{1,5}|\*))?$/i;

/** Origins as browsers send them: lower case, without the scheme's default port. */
function normaliseOrigin(origin: string): string {
  const lower = origin.toLowerCase();
  if (lower.startsWith("http://") && lower.endsWith(":80")) return lower.slice(0, -":80".length);
  if (lower.startsWith("https://") && lower.endsWith(":443")) return lower.slice(0, -":443".length);
  return lower;
}

/** CORS_ORIGINS when unset outside production: this machine, on any port. */
const DEVELOPMENT_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

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
  // KYC providers allowed to report to POST /hooks/kyc/<provider>, with their HMAC secrets:
  // "name:secret,other:secret2".
  KYC_WEBHOOK_SECRETS: z
    .string()
    .default("")
    .transform((v, ctx) => {
      const entries = v.split(",").map((e) => e.trim()).filter(Boolean).map((e) => e.split(":"));
      if (entries.some((e) => e.length !== 2 || !/^[a-z0-9_-]+$/.test(e[0]) || e[1].length < 16)) {
        ctx.addIssue({ code: "custom", message: 'must be "provider:secret" pairs, comma-separated, secrets of 16+ characters' });
        return z.NEVER;
      }
      return Object.fromEntries(entries) as Record<string, string>;
    }),
  VERIFICATION_SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7),
  // How often expired documents and challenges are swept (ms).
  EXPIRY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(60 * 60 * 1000),
  WALLET_CHALLENGE_TTL_SECONDS: z.coerce.number().int().min(10).max(86400).default(600),
  TWO_FACTOR_CODE_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  TWO_FACTOR_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),

  // Access control. Outside production, requests without credentials from this machine (loopback)
  // act as an unrestricted development caller unless ALLOW_ANONYMOUS=false; production never allows it.
  ALLOW_ANONYMOUS: bool.optional(),
  // A root key with every scope across all organizations (as search engines' master keys are).
  ADMIN_API_KEY: z.string().min(32, { error: "must be at least 32 characters" }).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_JWKS_URL: z.url().optional(),
  // A PEM public key (RS/ES/EdDSA) or, for HS256, a shared secret: alternatives to a JWKS URL.
  JWT_PUBLIC_KEY: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(32, { error: "must be at least 32 characters" }).optional(),
  JWT_ORGANIZATION_CLAIM: z.string().min(1).default("org_id"),
  JWT_SCOPES_CLAIM: z.string().min(1).default("scope"),
  JWT_TAGS_CLAIM: z.string().min(1).default("tags"),
  // Introspection (and field suggestions in errors) stay off in production unless enabled.
  INTROSPECTION: bool.optional(),

  // Abuse protection: document limits checked before execution, and cost-based rate limiting.
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).default(12),
  MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  MAX_TOKENS: z.coerce.number().int().min(100).default(5000),
  MAX_DIRECTIVES: z.coerce.number().int().min(1).default(20),
  MAX_QUERY_COST: z.coerce.number().int().min(10).default(20000),
  MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  RATE_LIMIT_ENABLED: bool.default(true),
  // Leaky bucket per credential, in cost points (Shopify-style).
  RATE_LIMIT_BUCKET: z.coerce.number().int().min(10).default(50000),
  RATE_LIMIT_RESTORE_PER_SECOND: z.coerce.number().int().min(1).default(5000),

  // Webhooks. Outbound URLs to private or loopback addresses are refused unless allowed.
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  // First retry delay; each further retry waits twice as long (tests make it short).
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(30_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(12),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  // An endpoint failing this many deliveries in a row is disabled (with an event).
  WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(50),
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),

  // Operations: GET /metrics (Prometheus), optionally behind a bearer token, and how long a
  // SIGTERM/SIGINT waits for in-flight work before the process exits anyway.
  METRICS_ENABLED: bool.default(true),
  METRICS_TOKEN: z.string().min(16, { error: "must be at least 16 characters" }).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
  // The common request (one JSON POST with a valid document) skips express and Apollo's pipeline.
  HTTP_FAST_PATH: bool.default(true),
  // SQL statements counted per request (extensions.sqlStatements outside production, and the log
  // line). Counting tracks every request's async context, which costs; off in production unless set.
  SQL_STATEMENT_COUNTS: bool.optional(),
  // How HTTP operations are executed: compiled once per document by graphql-jit, or by graphql-js.
  EXECUTOR: z.enum(["jit", "graphql-js"]).default("jit"),

  // Browsers. The explorer (GraphiQL, served from node_modules) is on outside production unless
  // EXPLORER=false, off in production unless EXPLORER=true.
  EXPLORER: bool.optional(),
  // Origins whose pages may call /graphql (CORS) and open its WebSocket: "*", or a comma list of
  // origins ("https://app.example.com"), "*" as the port for any port ("http://localhost:*").
  // Unset: this machine's origins on any port outside production, none in production.
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const origins = v.split(",").map((e) => e.trim()).filter(Boolean);
      const bad = origins.filter((o) => o !== "*" && !ORIGIN.test(o));
      if (bad.length) {
        ctx.addIssue({ code: "custom", message: `not an origin (scheme://host[:port], port may be *): ${bad.join(", ")}` });
        return z.NEVER;
      }
      return origins.map(normaliseOrigin);
    }),
  // A JSON manifest of trusted documents ({ "<sha256>": "<document>" }, as GraphQL Codegen's
  // persisted documents, or Apollo's persisted query manifest). In "enforce" mode only its
  // documents run; "allow-unlisted" runs others too (and lets clients send listed ones by hash).
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  TRUSTED_DOCUMENTS_MODE: z.enum(["enforce", "allow-unlisted"]).default("enforce"),

  // Several instances: rate-limit buckets and idempotency records live in this Redis (redis:// or
  // rediss://), so that every instance sees the same ones. Unset: in this process and the database.
  REDIS_URL: z.url({ protocol: /^rediss?$/, hostname: /./, error: "must be a redis:// or rediss:// URL" }).optional(),
  // Prepended to every key this server writes to Redis, so that deployments can share one Redis.
  REDIS_KEY_PREFIX: z.string().default("customer-graph:"),
});

export type Config = Omit<z.infer<typeof ConfigSchema>, "ALLOW_ANONYMOUS" | "INTROSPECTION" | "EXPLORER" | "CORS_ORIGINS" | "SQL_STATEMENT_COUNTS"> & {
  production: boolean;
  SQL_STATEMENT_COUNTS: boolean;
  ALLOW_ANONYMOUS: boolean;
  INTROSPECTION: boolean;
  EXPLORER: boolean;
  CORS_ORIGINS: string[];
};

/**
 * Loads variables from a .env file (ENV_FILE, default ./.env) into process.env, when the file
 * exists; variables already set in the environment win. Called by the entry points only.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): string | null {
  const file = env.ENV_FILE ?? ".env";
  try {
    process.loadEnvFile(file);
    return file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && env.ENV_FILE === undefined) return null;
    throw new Error(`ENV_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const production = parsed.data.NODE_ENV === "production";
  return {
    ...parsed.data,
    production,
    ALLOW_ANONYMOUS: !production && (parsed.data.ALLOW_ANONYMOUS ?? true),
    INTROSPECTION: parsed.data.INTROSPECTION ?? !production,
    EXPLORER: parsed.data.EXPLORER ?? !production,
    SQL_STATEMENT_COUNTS: parsed.data.SQL_STATEMENT_COUNTS ?? !production,
    CORS_ORIGINS: parsed.data.CORS_ORIGINS ?? (production ? [] : DEVELOPMENT_ORIGINS),
  };
}
