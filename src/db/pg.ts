// The PostgreSQL client (node-postgres), beside the SQLite one in ./client.ts. Not used by the app
// yet: the Database interface there is SQLite-shaped, and wiring this in is the next step of
// issue 8. Migrations in drizzle/pg are generated from ./schema.pg.ts (`npm run db:generate:pg`).
import path from "node:path";
import { Pool } from "pg";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { SQLITE_MIGRATIONS } from "./client";
import * as schema from "./schema.pg";

export type PgDb = NodePgDatabase<typeof schema>;

export const PG_MIGRATIONS = path.join(path.dirname(SQLITE_MIGRATIONS), "pg");

export interface Postgres {
  readonly db: PgDb;
  /** Ending it closes every connection; the caller owns it. */
  readonly pool: Pool;
}

/**
 * A connection pool on `url` (postgres://…) and a drizzle instance over it with the pg schema.
 * An idle connection the server ends (a restart, a dropped database) is reported to `onError` and
 * left by the pool, which opens another when needed; without a listener, node-postgres would
 * raise it as an uncaught exception and end the process.
 */
export function openPostgres(url: string, onError: (error: Error) => void = () => {}): Postgres {
  const pool = new Pool({ connectionString: url });
  pool.on("error", onError);
  return { pool, db: drizzle(pool, { schema }) };
}

/** Advisory lock key held while migrating (any fixed number that no other lock of ours uses). */
const MIGRATION_LOCK = 8_000_001;

/**
 * Applies the migrations in drizzle/pg not yet recorded in drizzle.__drizzle_migrations (drizzle
 * runs them in one transaction). Instances starting together on one database take turns under an
 * advisory lock: drizzle's migrator does not lock, and two would both create the same tables. The
 * generated SQL names the public schema, so one database holds one deployment.
 */
export async function migratePostgres({ db, pool }: Postgres): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrate(db, { migrationsFolder: PG_MIGRATIONS });
    } finally {
      await lock.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    lock.release();
  }
}
